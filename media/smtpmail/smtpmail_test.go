package smtpmail_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// Zones come from the binary, not the machine, as in cmd/baton.
	_ "time/tzdata"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/notifytest"
	"github.com/baton-video/baton/media/smtpmail"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

func sample() *media.EmailMessage {
	return &media.EmailMessage{
		To: "ana@example.com", Subject: "Bo replied on “Täglich” at 1:23",
		Text: "Bo replied\n> looks good\nhttp://x/v/abc?t=83\n", HTML: "<p>Bo replied</p>",
		MessageID: "notify-1-1@x", InReplyTo: "video-v1@x", ListUnsubscribe: "http://x/email/unsubscribe?r=user:1&s=abc",
	}
}

// parts returns the message's MIME parts by content type.
func parts(t *testing.T, m smtptest.Message) (map[string]string, mail.Header) {
	t.Helper()
	msg, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // NextPart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(b)
	}
	return out, msg.Header
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{STARTTLS: true, User: "baton", Pass: "s3cret"})
	m, err := smtpmail.New("smtp://baton:s3cret@"+srv.Addr, "Baton <baton@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = srv.Roots
	if err := m.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.TLS || got.Auth != "baton" {
		t.Fatalf("TLS = %v, auth = %q; want STARTTLS and AUTH", got.TLS, got.Auth)
	}
	if got.From != "baton@example.com" || len(got.To) != 1 || got.To[0] != "ana@example.com" {
		t.Fatalf("envelope %q -> %v", got.From, got.To)
	}
	body, h := parts(t, got)
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(h["Subject"][0])
	for k, want := range map[string]string{
		"Message-Id": "<notify-1-1@x>", "In-Reply-To": "<video-v1@x>", "References": "<video-v1@x>",
		"List-Unsubscribe":      "<http://x/email/unsubscribe?r=user:1&s=abc>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if g := strings.Join(h[k], ","); g != want {
			t.Errorf("%s = %q, want %q", k, g, want)
		}
	}
	if subj != "Bo replied on “Täglich” at 1:23" {
		t.Errorf("Subject = %q", subj)
	}
	if !strings.Contains(body["text/plain"], "> looks good\r\nhttp://x/v/abc?t=83") {
		t.Errorf("text part = %q", body["text/plain"])
	}
	if body["text/html"] != "<p>Bo replied</p>" {
		t.Errorf("html part = %q", body["text/html"])
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Implicit: true})
	m, err := smtpmail.New("smtps://"+srv.Addr, "baton@example.com")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = srv.Roots
	if err := m.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Fatalf("messages = %+v, want one over TLS", msgs)
	}
}

func TestSendPlainRelay(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{STARTTLS: true})
	m, err := smtpmail.New("smtp://"+srv.Addr+"?tls=none", "baton@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("messages = %+v, want one without TLS", msgs)
	}
}

func TestUntrustedCertificateIsRefused(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{STARTTLS: true})
	m, err := smtpmail.New("smtp://"+srv.Addr, "baton@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), sample()); err == nil {
		t.Fatal("sent over STARTTLS with an untrusted certificate")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted", n)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, tt := range []struct{ url, from string }{
		{"http://x", "a@b.c"}, {"smtp://", "a@b.c"}, {"smtp://x?tls=maybe", "a@b.c"},
		{"smtps://x?tls=none", "a@b.c"}, {"smtp://x", ""}, {"smtp://x", "not an address"},
	} {
		if _, err := smtpmail.New(tt.url, tt.from); err == nil {
			t.Errorf("New(%q, %q) accepted", tt.url, tt.from)
		}
	}
}

/* ---------- The outbox through a real SMTP server ---------- */

// newWorld is the shared notification world (notifytest) on a SQLite
// store, mail over STARTTLS.
func newWorld(t *testing.T, start time.Time) *notifytest.World[*gormstore.DB] {
	t.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(t.TempDir(), "baton.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return notifytest.New(t, db, start, smtptest.Options{STARTTLS: true})
}

// A burst of comments at one instant on a Saturday reaches three people in
// Tokyo, Berlin and Los Angeles as one digest each, at the start of their
// own Monday. US clocks spring forward on the Sunday in between, so Los
// Angeles starts at 16:00 UTC, not 17:00.
func TestBurstBecomesOneDigestEachAtTheirOwnStart(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)) // Saturday
	tokyo := w.Member(t, "Aiko", "Asia/Tokyo", "mon-fri 10:00-18:00")
	berlin := w.Member(t, "Bernd", "Europe/Berlin", "mon-fri 08:30-17:00")
	la := w.Member(t, "Lucia", "America/Los_Angeles", "mon-fri 09:00-17:30")
	dana := w.Member(t, "Dana", "", "")
	v := w.Video(t, tokyo)
	for _, u := range []*media.User{berlin, la} {
		if err := w.Notifier.Follow(context.Background(), v.ID, u.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		w.Comment(t, v, dana, "Point "+string(rune('A'+i)), int64(i)*5000+83000, media.CommentInput{})
	}
	want := map[string]time.Time{
		tokyo.Email:  time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC),  // Mon 10:00 JST
		berlin.Email: time.Date(2026, 3, 9, 7, 30, 0, 0, time.UTC), // Mon 08:30 CET
		la.Email:     time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC), // Mon 09:00 PDT
	}
	got := map[string]time.Time{}
	ctx := context.Background()
	for now := w.Clock.Now(); !now.After(time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC)); now = now.Add(15 * time.Minute) {
		w.Clock.Set(now)
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		for to := range notifytest.ByRecipient(w.SMTP.Messages()) {
			if _, ok := got[to]; !ok {
				got[to] = now
			}
		}
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())
	if len(msgs) != 3 {
		t.Fatalf("mail went to %d people, want 3 (%v)", len(msgs), got)
	}
	for to, at := range want {
		if n := len(msgs[to]); n != 1 {
			t.Errorf("%s got %d emails, want one digest", to, n)
			continue
		}
		if !got[to].Equal(at) {
			t.Errorf("%s got the digest at %v, want %v", to, got[to], at)
		}
		body, h := parts(t, msgs[to][0])
		for i := 0; i < 5; i++ {
			if !strings.Contains(body["text/plain"], "Point "+string(rune('A'+i))) {
				t.Errorf("%s: digest lacks comment %d:\n%s", to, i, body["text/plain"])
			}
		}
		if !strings.Contains(body["text/plain"], "/v/"+v.Slug+"?t=83") || !strings.Contains(body["text/html"], "/media/"+v.Slug+"/poster.jpg") {
			t.Errorf("%s: no moment link or poster", to)
		}
		if h.Get("In-Reply-To") != "<video-"+v.ID+"@baton.test>" {
			t.Errorf("%s: In-Reply-To = %q", to, h.Get("In-Reply-To"))
		}
	}
	if _, ok := msgs[dana.Email]; ok {
		t.Error("the commenter was mailed about their own comments")
	}
}

// Inside working hours, a reply reaches the thread's participants after the
// bundle window as one email; an urgent one goes at once with [Urgent].
func TestBundleAndUrgent(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)) // Monday, 11:00 in Berlin
	owner := w.Member(t, "Olga", "Europe/Berlin", "mon-fri 09:00-17:00")
	bo := w.Member(t, "Bo", "Europe/Berlin", "mon-fri 09:00-17:00")
	v := w.Video(t, owner)
	th := w.Comment(t, v, bo, "Question about the chart", 5000, media.CommentInput{})
	w.Clock.Set(w.Clock.Now().Add(30 * time.Second))
	w.Comment(t, v, owner, "Good point", 5000, media.CommentInput{ParentID: th.ID})
	w.Clock.Set(w.Clock.Now().Add(30 * time.Second))
	w.Comment(t, v, owner, "@Bo see 0:42 too", 42000, media.CommentInput{})
	ctx := context.Background()
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(w.SMTP.Messages()); n != 0 {
		t.Fatalf("%d emails before the bundle window ended", n)
	}
	w.Clock.Set(time.Date(2026, 3, 9, 10, 2, 30, 0, time.UTC))
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())
	if len(msgs[bo.Email]) != 1 || len(msgs[owner.Email]) != 1 {
		t.Fatalf("emails: %d to Bo, %d to Olga; want one each", len(msgs[bo.Email]), len(msgs[owner.Email]))
	}
	body, _ := parts(t, msgs[bo.Email][0])
	if !strings.Contains(body["text/plain"], "Good point") || !strings.Contains(body["text/plain"], "mentioned you") {
		t.Fatalf("Bo's bundle lacks the reply or the mention:\n%s", body["text/plain"])
	}
	// Urgent, at 3 a.m. Berlin time: straight out.
	w.Clock.Set(time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC))
	w.Comment(t, v, owner, "Server is down, need your OK", 0, media.CommentInput{ParentID: th.ID, Urgent: true})
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs = notifytest.ByRecipient(w.SMTP.Messages())
	if len(msgs[bo.Email]) != 2 {
		t.Fatalf("urgent reply not sent at once (%d emails to Bo)", len(msgs[bo.Email]))
	}
	_, h := parts(t, msgs[bo.Email][1])
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(h.Get("Subject")); !strings.HasPrefix(subj, "[Urgent] ") {
		t.Fatalf("urgent subject = %q", subj)
	}
	// The budget is per sender.
	for i := 0; i < 2; i++ {
		w.Comment(t, v, owner, "again", 0, media.CommentInput{ParentID: th.ID, Urgent: true})
	}
	_, _, err := w.Comments.Create(ctx, v.ID, media.Actor{UserID: owner.ID, Name: owner.Name}, media.CommentInput{Body: "x", ParentID: th.ID, Urgent: true})
	if media.ErrorCode(err) != media.ERATELIMIT {
		t.Fatalf("fourth urgent comment: err = %v, want rate limited", err)
	}
	if _, _, err := w.Comments.Create(ctx, v.ID, media.Actor{GuestSecret: media.NewGuestSecret()}, media.CommentInput{Body: "x", GuestName: "G", TimeMs: 0, HasTime: true, Urgent: true}); media.ErrorCode(err) != media.ENOTALLOWED {
		t.Fatalf("guest urgent: err = %v, want not allowed", err)
	}
}

// The SMTP server goes away for ten minutes: nothing is lost, nothing is
// sent twice, and each attempt is recorded.
func TestOutageLosesNothingSendsNothingTwice(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	owner := w.Member(t, "Olga", "UTC", "mon-sun 00:00-24:00")
	var people []*media.User
	for _, n := range []string{"Pia", "Quinn", "Rafa"} {
		u := w.Member(t, n, "UTC", "mon-sun 00:00-24:00")
		people = append(people, u)
		if err := w.Notifier.Follow(context.Background(), w.Video(t, owner).ID, u.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	v := w.Video(t, owner)
	for _, u := range people {
		_ = w.Notifier.Follow(context.Background(), v.ID, u.ID, true)
	}
	w.Comment(t, v, owner, "Please review", 1000, media.CommentInput{})
	w.SMTP.Stop()
	ctx := context.Background()
	for i := 0; i <= 10; i++ {
		w.Clock.Set(time.Date(2026, 3, 9, 10, 2+i, 1, 0, time.UTC))
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := w.DB.PendingEmails(ctx); err != nil || n != 3 {
		t.Fatalf("pending emails during the outage = %d (%v), want 3", n, err)
	}
	total, ok, _ := w.DB.EmailAttempts(ctx, media.UserRecipient(people[0].ID))
	if total < 2 || ok != 0 {
		t.Fatalf("attempts during outage = %d (ok %d), want several failures", total, ok)
	}
	w.SMTP.Restart(t)
	for i := 0; i < 8; i++ {
		w.Clock.Set(w.Clock.Now().Add(10 * time.Minute))
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())
	for _, u := range people {
		if n := len(msgs[u.Email]); n != 1 {
			t.Errorf("%s got %d emails after the outage, want 1", u.Name, n)
		}
	}
	if n, _ := w.DB.PendingEmails(ctx); n != 0 {
		t.Fatalf("%d emails still pending", n)
	}
	if _, ok, _ := w.DB.EmailAttempts(ctx, media.UserRecipient(people[0].ID)); ok != 1 {
		t.Fatalf("successful attempts = %d, want 1", ok)
	}
}

// A guest's address gets one confirmation link and nothing else until it
// is confirmed; then replies reach it; one-click unsubscribe stops it.
func TestGuestEmailNeedsConfirmation(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	owner := w.Member(t, "Olga", "", "")
	v := w.Video(t, owner)
	ctx := context.Background()
	guest := media.Actor{GuestSecret: media.NewGuestSecret()}
	th, _, err := w.Comments.Create(ctx, v.ID, guest, media.CommentInput{Body: "Nice", GuestName: "Gus", HasTime: true, NotifyEmail: "gus@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	w.Plan(t)
	w.Comment(t, v, owner, "Thanks!", 0, media.CommentInput{ParentID: th.ID})
	w.Clock.Set(w.Clock.Now().Add(time.Hour))
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())["gus@example.org"]
	if len(msgs) != 1 {
		t.Fatalf("guest got %d emails before confirming, want 1 (the confirmation)", len(msgs))
	}
	body, _ := parts(t, msgs[0])
	i := strings.Index(body["text/plain"], "http://baton.test/email/confirm?")
	if i < 0 {
		t.Fatalf("no confirmation link:\n%s", body["text/plain"])
	}
	link := strings.Fields(body["text/plain"][i:])[0]
	q := strings.Split(strings.SplitN(link, "?", 2)[1], "&")
	gid, sig := strings.TrimPrefix(q[0], "g="), strings.TrimPrefix(q[1], "s=")
	if _, err := w.Notifier.ConfirmGuest(ctx, gid, sig+"x"); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("forged confirmation: %v", err)
	}
	if _, err := w.Notifier.ConfirmGuest(ctx, gid, sig); err != nil {
		t.Fatal(err)
	}
	w.Comment(t, v, owner, "One more thing", 0, media.CommentInput{ParentID: th.ID})
	w.Clock.Set(w.Clock.Now().Add(time.Hour))
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs = notifytest.ByRecipient(w.SMTP.Messages())["gus@example.org"]
	if len(msgs) != 2 {
		t.Fatalf("guest got %d emails after confirming, want 2", len(msgs))
	}
	_, h := parts(t, msgs[1])
	un := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	q = strings.Split(strings.SplitN(un, "?", 2)[1], "&")
	if err := w.Notifier.Unsubscribe(ctx, strings.TrimPrefix(q[0], "r="), strings.TrimPrefix(q[1], "s=")); err != nil {
		t.Fatal(err)
	}
	w.Comment(t, v, owner, "Are you there?", 0, media.CommentInput{ParentID: th.ID})
	w.Clock.Set(w.Clock.Now().Add(time.Hour))
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(notifytest.ByRecipient(w.SMTP.Messages())["gus@example.org"]); n != 2 {
		t.Fatalf("guest got mail after unsubscribing (%d emails)", n)
	}
}

// Ready after slow processing and first views reach the owner once.
func TestReadyAndFirstView(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	owner := w.Member(t, "Olga", "UTC", "mon-sun 00:00-24:00")
	viewer := w.Member(t, "Vik", "", "")
	v := w.Video(t, owner)
	ctx := context.Background()
	if err := w.Notifier.VideoReady(ctx, v, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := w.Notifier.VideoReady(ctx, v, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct{ id, name string }{{"", ""}, {viewer.ID, viewer.Name}, {viewer.ID, viewer.Name}, {"", ""}, {owner.ID, owner.Name}} {
		if err := w.Notifier.VideoViewed(ctx, v, who.id, who.name); err != nil {
			t.Fatal(err)
		}
	}
	items, unread, err := w.DB.Notifications(ctx, owner.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, string(it.Kind)+":"+it.Text)
	}
	want := []string{"view:Vik watched your video.", "view:Your video had its first view.", "ready:Your video is ready to share."}
	if unread != 3 || strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Fatalf("owner's inbox = %v (unread %d), want %v", kinds, unread, want)
	}
}

// A digest held overnight carries comments as they are when it goes out:
// edited text replaces the planned one, deleted comments are left out, and
// a digest with nothing left is not sent.
func TestHeldDigestFollowsEditsAndDeletes(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC)) // Monday evening in Berlin
	owner := w.Member(t, "Olga", "Europe/Berlin", "mon-fri 09:00-17:00")
	bo := w.Member(t, "Bo", "", "")
	ctx := context.Background()
	v1, v2 := w.Video(t, owner), w.Video(t, owner)
	a := w.Comment(t, v1, bo, "First draft of my remark", 1000, media.CommentInput{})
	b := w.Comment(t, v1, bo, "This one I will delete", 2000, media.CommentInput{})
	c := w.Comment(t, v2, bo, "Only comment here, deleted too", 0, media.CommentInput{})
	actor := media.Actor{UserID: bo.ID, Name: bo.Name}
	if _, err := w.Comments.Edit(ctx, a.ID, actor, "Edited remark"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{b.ID, c.ID} {
		if _, err := w.Comments.Delete(ctx, id, actor); err != nil {
			t.Fatal(err)
		}
	}
	w.Clock.Set(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)) // 09:00 in Berlin
	sent, _, err := w.Notifier.SendDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())[owner.Email]
	if sent != 1 || len(msgs) != 1 {
		t.Fatalf("sent %d, owner got %d emails; want 1", sent, len(msgs))
	}
	body, _ := parts(t, msgs[0])
	if !strings.Contains(body["text/plain"], "Edited remark") || strings.Contains(body["text/plain"], "First draft") || strings.Contains(body["text/plain"], "delete") {
		t.Fatalf("digest:\n%s", body["text/plain"])
	}
	if n, _ := w.DB.PendingEmails(ctx); n != 0 {
		t.Fatalf("%d emails still pending", n)
	}
}

// A sender that dies after claiming (its lease never released) loses
// nothing: after a restart the emails are claimed again once the lease has
// run out, and sent once; emails recorded as sent before a restart are not
// sent again after it.
func TestRestartLosesNothingSendsNothingTwice(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *gormstore.DB {
		db, err := gormstore.Open(ctx, filepath.Join(dir, "baton.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	w := notifytest.New(t, db, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC), smtptest.Options{})
	w.Notifier.Config.Bundle = time.Minute
	// Each restart is a new process: a notifier of its own on the reopened
	// database, with the same mail server, clock and settings.
	notifier := func(db *gormstore.DB) *media.Notifier {
		return &media.Notifier{Store: db, Videos: db, Users: db, Mailer: w.Notifier.Mailer, Clock: w.Clock.Now, Key: w.Notifier.Key,
			Config: w.Notifier.Config}
	}
	owner := w.Member(t, "Olga", "UTC", "mon-sun 00:00-24:00")
	pia := w.Member(t, "Pia", "UTC", "mon-sun 00:00-24:00")
	v := w.Video(t, owner)
	if err := w.Notifier.Follow(ctx, v.ID, pia.ID, true); err != nil {
		t.Fatal(err)
	}
	w.Comment(t, v, owner, "Before the crash", 0, media.CommentInput{})
	w.Clock.Set(w.Clock.Now().Add(2 * time.Minute))
	// A sender claims Pia's email and dies before sending.
	if bs, err := db.ClaimEmails(ctx, "dead-sender", 2*time.Minute, w.Clock.Now(), 10); err != nil || len(bs) != 1 {
		t.Fatalf("claim: %v %v", bs, err)
	}
	db.Close()

	db = open()
	n := notifier(db)
	if sent, _, err := n.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("while the dead sender's lease holds: sent %d (%v), want 0", sent, err)
	}
	w.Clock.Set(w.Clock.Now().Add(3 * time.Minute))
	if sent, _, err := n.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("after the lease ran out: sent %d (%v), want 1", sent, err)
	}
	db.Close()
	db = open()
	t.Cleanup(func() { db.Close() })
	n = notifier(db)
	w.Clock.Set(w.Clock.Now().Add(time.Hour))
	if sent, _, err := n.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("after another restart: sent %d (%v), want 0", sent, err)
	}
	if got := len(notifytest.ByRecipient(w.SMTP.Messages())[pia.Email]); got != 1 {
		t.Fatalf("Pia got %d emails, want 1", got)
	}
}

// A process dies after its comments committed and before they were
// planned, holding the planner's cursor: the next process plans them once
// the lease runs out, with what their authors asked (urgent, a guest's
// address, who resolved). Another dies after saving plans but before
// moving the cursor: planning again delivers nothing twice.
func TestCrashBetweenCommitAndPlanLosesNothing(t *testing.T) {
	start := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // 3 a.m. in Berlin
	w := newWorld(t, start)
	ctx := context.Background()
	owner := w.Member(t, "Olga", "Europe/Berlin", "mon-fri 09:00-17:00")
	bo := w.Member(t, "Bo", "Europe/Berlin", "mon-fri 09:00-17:00")
	v := w.Video(t, owner)
	th := w.Comment(t, v, bo, "Question about the chart", 0, media.CommentInput{})

	// The dying process: its planner took the cursor, then the process
	// stopped; its requests committed and answered, nothing was planned.
	if _, ok, err := w.DB.ClaimEventCursor(ctx, media.PlanCursor, "planner-of-the-dead", time.Minute, w.Clock.Now()); err != nil || !ok {
		t.Fatalf("claim = %v %v", ok, err)
	}
	dying := media.NewComments(w.DB, w.DB, media.NewBroker())
	if _, _, err := dying.Create(ctx, v.ID, media.Actor{UserID: bo.ID, Name: bo.Name}, media.CommentInput{Body: "Server is down, need your OK", HasTime: true, Urgent: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dying.Create(ctx, v.ID, media.Actor{GuestSecret: media.NewGuestSecret()}, media.CommentInput{Body: "Following this", GuestName: "Gus", HasTime: true, NotifyEmail: "gus@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dying.Resolve(ctx, th.ID, media.Actor{UserID: owner.ID, Name: owner.Name}, true); err != nil {
		t.Fatal(err)
	}

	// The next process, at once: the dead planner's lease still holds.
	if _, _, err := w.Notifier.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.SMTP.Count(); n != 0 {
		t.Fatalf("%d emails while the dead planner's lease held", n)
	}
	if items, _, _ := w.DB.Notifications(ctx, owner.ID, "", 10); len(items) != 1 {
		t.Fatalf("owner's inbox has %d items before the lease ran out, want 1 (the first thread)", len(items))
	}

	// A second process saves the plans and dies before moving the cursor.
	w.Clock.Set(start.Add(61 * time.Second))
	crashing := &media.Notifier{
		Store: advanceFails{w.DB}, Videos: w.DB, Users: w.DB, Mailer: w.Notifier.Mailer, Clock: w.Clock.Now, Key: []byte("test key"),
		Config: w.Notifier.Config, Inbox: media.NewInboxHub(),
	}
	if k, err := crashing.PlanEvents(ctx); err == nil || k != 3 {
		t.Fatalf("crashing planner planned %d (%v), want 3 then a failure", k, err)
	}

	// The third process, once the second's lease ran out too.
	w.Clock.Set(start.Add(3 * time.Minute))
	for i := 0; i < 2; i++ {
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := notifytest.ByRecipient(w.SMTP.Messages())
	if len(msgs[owner.Email]) != 1 {
		t.Fatalf("Olga got %d emails, want 1 (the urgent comment, at 3 a.m.)", len(msgs[owner.Email]))
	}
	dec := new(mime.WordDecoder)
	if _, h := parts(t, msgs[owner.Email][0]); !strings.HasPrefix(must(dec.DecodeHeader(h.Get("Subject"))), "[Urgent] ") {
		t.Fatalf("the comment lost its urgency: subject %q", h.Get("Subject"))
	}
	if len(msgs["gus@example.org"]) != 1 {
		t.Fatalf("guest got %d emails, want 1 (the confirmation of the address they left)", len(msgs["gus@example.org"]))
	}
	items, _, err := w.DB.Notifications(ctx, owner.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, it := range items {
		texts = append(texts, it.Text)
	}
	if strings.Join(texts, "|") != "Following this|Server is down, need your OK|Question about the chart" {
		t.Fatalf("owner's inbox = %q", texts)
	}
	boItems, _, err := w.DB.Notifications(ctx, bo.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(boItems) != 2 || boItems[0].Kind != media.NotifyResolved || boItems[0].Actor != "Olga" {
		t.Fatalf("Bo's inbox = %+v, want Olga's resolve (and the guest's comment)", boItems)
	}
	if k, err := w.Notifier.PlanEvents(ctx); err != nil || k != 0 {
		t.Fatalf("planning again planned %d (%v), want 0", k, err)
	}
}

// advanceFails is a store whose process dies as it moves the cursor.
type advanceFails struct{ *gormstore.DB }

func (advanceFails) AdvanceEventCursor(context.Context, string, string, int64, time.Duration, time.Time) error {
	return errors.New("killed")
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// The owner follows their video without asking: they hear of new threads
// and of replies in threads they never wrote in, until they unfollow. A
// thread's author hears of replies even without following.
func TestOwnerFollowsUntilUnfollowing(t *testing.T) {
	w := newWorld(t, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	owner, bo, cy := w.Member(t, "Olga", "", ""), w.Member(t, "Bo", "", ""), w.Member(t, "Cy", "", "")
	v := w.Video(t, owner)
	th := w.Comment(t, v, bo, "A question", 0, media.CommentInput{})
	if err := w.Notifier.Follow(ctx, v.ID, bo.ID, false); err != nil { // Bo stops following the video
		t.Fatal(err)
	}
	w.Comment(t, v, cy, "An answer", 0, media.CommentInput{ParentID: th.ID})
	kinds := func(u *media.User) []string {
		items, _, err := w.DB.Notifications(ctx, u.ID, "", 20)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, string(it.Kind)+":"+it.Actor)
		}
		return out
	}
	if got := strings.Join(kinds(owner), ","); got != "reply:Cy,comment:Bo" {
		t.Fatalf("owner's inbox = %s", got)
	}
	if got := strings.Join(kinds(bo), ","); got != "reply:Cy" {
		t.Fatalf("thread author's inbox = %s", got)
	}
	if err := w.Notifier.Follow(ctx, v.ID, owner.ID, false); err != nil {
		t.Fatal(err)
	}
	w.Comment(t, v, cy, "Another thread", 0, media.CommentInput{})
	if got := strings.Join(kinds(owner), ","); got != "reply:Cy,comment:Bo" {
		t.Fatalf("owner heard after unfollowing: %s", got)
	}
}
