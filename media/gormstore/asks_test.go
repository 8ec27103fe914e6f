package gormstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/notifytest"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// newAskWorld is the shared notification world (notifytest) on this
// suite's store, mail in clear.
func newAskWorld(t *testing.T, start time.Time) *notifytest.World[*gormstore.DB] {
	t.Helper()
	return notifytest.New(t, MustOpen(t, filepath.Join(t.TempDir(), "asks.db")), start, smtptest.Options{})
}

func kindsOf(subjects []string) []string {
	var out []string
	for _, s := range subjects {
		switch {
		case strings.Contains(s, "Reminder"):
			out = append(out, "reminder")
		case strings.Contains(s, "Overdue"):
			out = append(out, "overdue")
		case strings.Contains(s, "asks for your answer"):
			out = append(out, "ask")
		case strings.Contains(s, "Past the reply-by"):
			out = append(out, "summary")
		default:
			out = append(out, "other")
		}
	}
	return out
}

// An ask on Friday with a Monday 17:00 UTC deadline to people in New York
// (who leave summer time on the Sunday), Berlin and Tokyo, and a member
// who is away. The clock walks through the weekend in 15-minute steps with
// the sender running: New York acknowledges on Sunday and hears nothing
// more; Berlin gets Monday morning's reminder, replies in a thread, and
// hears nothing more; Tokyo, who never answers, gets a reminder at the
// start of their Monday, one at the end of it (the 2 h mark is their
// night, after which the deadline comes before they work again) and one
// when overdue; the away member gets only the ask. The owner gets one
// summary the next working morning.
func TestAskRemindersOnlyToThoseWhoOwe(t *testing.T) {
	ctx := context.Background()
	w := newAskWorld(t, time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)) // Friday
	owner := w.Member(t, "Olga", "Europe/Berlin", "mon-fri 09:00-17:00")
	ny := w.Member(t, "Nate", "America/New_York", "mon-fri 09:00-17:00")
	berlin := w.Member(t, "Bernd", "Europe/Berlin", "mon-fri 09:00-17:00")
	tokyo := w.Member(t, "Aiko", "Asia/Tokyo", "mon-fri 09:00-18:00")
	away := w.Member(t, "Dana", "", "")
	if err := w.Asks.SetAway(ctx, away.ID, time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "Pricing options", Status: media.StatusReady, OwnerID: owner.ID, DurationMs: 60000}
	if err := w.DB.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)
	a, warnings, err := w.Asks.Set(ctx, owner, v, media.AskInput{Question: "Which option do we ship?", ReplyBy: deadline,
		Recipients: []string{ny.ID, berlin.Email, tokyo.ID, away.ID}})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{"outside Bernd's working hours", "outside Aiko's working hours", "Dana is away"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "Nate") {
		t.Errorf("Nate's deadline is inside his hours, yet warned:\n%s", joined)
	}
	recipient := func(u *media.User) *media.AskRecipient {
		for _, r := range a.Recipients {
			if r.UserID == u.ID {
				return r
			}
		}
		t.Fatalf("%s is not a recipient", u.Name)
		return nil
	}

	end := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	for now := w.Clock.Now(); !now.After(end); now = now.Add(15 * time.Minute) {
		w.Clock.Set(now)
		switch now {
		case time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC):
			if _, err := w.Asks.Acknowledge(ctx, recipient(ny)); err != nil {
				t.Fatal(err)
			}
		case time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC):
			c, _, err := w.Comments.Create(ctx, v.ID, media.Actor{UserID: berlin.ID, Name: berlin.Name},
				media.CommentInput{Body: "Option B.", TimeMs: 1000, HasTime: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Asks.Replied(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Asks.SendOverdueSummaries(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mail := w.Subjects(t)
	want := map[string][]string{
		ny.Email:     {"ask"},
		berlin.Email: {"ask", "reminder"},
		tokyo.Email:  {"ask", "reminder", "overdue"},
		away.Email:   {"ask"},
	}
	for to, kinds := range want {
		if got := strings.Join(kindsOf(mail[to]), ","); got != strings.Join(kinds, ",") {
			t.Errorf("%s received %s, want %s (%q)", to, got, strings.Join(kinds, ","), mail[to])
		}
	}
	var summaries int
	for _, k := range kindsOf(mail[owner.Email]) {
		if k == "summary" {
			summaries++
		}
	}
	if summaries != 1 {
		t.Errorf("owner got %d summaries, want 1 (%q)", summaries, mail[owner.Email])
	}

	if a, err = w.DB.Ask(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := w.Asks.Responses(ctx, v, a)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range rs {
		s := string(r.State)
		if r.Overdue {
			s += "+overdue"
		}
		if !r.AwayUntil.IsZero() {
			s += "+away"
		}
		states[r.Recipient.Name] = s
	}
	for name, s := range map[string]string{"Nate": "acknowledged", "Bernd": "replied", "Aiko": "not-opened+overdue", "Dana": "not-opened+away"} {
		if states[name] != s {
			t.Errorf("%s is %q, want %q", name, states[name], s)
		}
	}
	if got := media.Summarize(a, rs).Text(); got != "2 of 4 replied, 1 overdue, 1 away" {
		t.Errorf("summary = %q", got)
	}
}

// Setting the ask again keeps every kept recipient's personal link, drops
// the removed ones' (their link stops working), and removing the ask
// stops all of them.
func TestAskLinksLiveAndDieWithTheAsk(t *testing.T) {
	ctx := context.Background()
	w := newAskWorld(t, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	owner := w.Member(t, "Olga", "", "")
	ana := w.Member(t, "Ana", "", "")
	v := MustCreateVideo(t, w.DB)
	v.OwnerID = owner.ID
	in := media.AskInput{Question: "OK?", ReplyBy: time.Date(2026, 12, 11, 17, 0, 0, 0, time.UTC), Recipients: []string{ana.ID, "guest@elsewhere.org"}}
	a, _, err := w.Asks.Set(ctx, owner, v, in)
	if err != nil {
		t.Fatal(err)
	}
	anaTok, guestTok := a.Recipients[0].Token, a.Recipients[1].Token
	if anaTok == guestTok || !media.ValidSlug(anaTok) {
		t.Fatalf("tokens %q %q", anaTok, guestTok)
	}
	in.Recipients = []string{ana.Email}
	a2, _, err := w.Asks.Set(ctx, owner, v, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(a2.Recipients) != 1 || a2.Recipients[0].Token != anaTok {
		t.Fatalf("Ana's link changed or the guest stayed: %+v", a2.Recipients)
	}
	if _, err := w.Asks.Recipient(ctx, v.ID, guestTok); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("removed recipient's link: err = %v", err)
	}
	if err := w.Asks.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Asks.Recipient(ctx, v.ID, anaTok); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("link after delete: err = %v", err)
	}
	if _, _, err := w.Asks.Set(ctx, owner, v, media.AskInput{Question: "x", ReplyBy: w.Clock.Now().Add(-time.Hour), Recipients: []string{ana.ID}}); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("past deadline: err = %v", err)
	}
	if _, _, err := w.Asks.Set(ctx, owner, v, media.AskInput{Question: "x", ReplyBy: w.Clock.Now().Add(time.Hour), Recipients: []string{owner.ID}}); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("asking oneself: err = %v", err)
	}
}

// Receipts merge per view id and come back with the names the owner may
// see; an ask's activity is derived from them and from comments.
func TestViewReceiptsAndAskActivity(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, filepath.Join(t.TempDir(), "receipts.db"))
	owner := mustUser(t, "owner@example.com", media.RoleMember)
	bea := mustUser(t, "bea@example.com", media.RoleMember)
	bea.Name = "Bea"
	for _, u := range []*media.User{owner, bea} {
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	v := MustCreateVideo(t, db)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a := &media.Ask{VideoID: v.ID, OwnerID: owner.ID, Question: "OK?", ReplyBy: now.Add(48 * time.Hour), CreatedAt: now, UpdatedAt: now,
		Recipients: []*media.AskRecipient{
			{ID: media.NewID(), UserID: bea.ID, Email: bea.Email, Token: media.NewSlug(), CreatedAt: now},
			{ID: media.NewID(), Email: "guest@elsewhere.org", Token: media.NewSlug(), CreatedAt: now},
		}}
	if err := db.SaveAsk(ctx, a); err != nil {
		t.Fatal(err)
	}
	guest := a.Recipients[1]
	add := func(id, viewer, userID, recipientID string, rs [][2]int64, counted bool) {
		t.Helper()
		_, err := db.UpdateViewReceipt(ctx, &media.ViewReceipt{ID: id, VideoID: v.ID, Viewer: viewer, UserID: userID, RecipientID: recipientID, CreatedAt: now},
			func(r *media.ViewReceipt) error {
				r.Ranges = media.MergeRanges(append(r.Ranges, rs...))
				r.Counted = r.Counted || counted
				r.UpdatedAt = now
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("view-bea-0000000001", "user:"+bea.ID, bea.ID, "", [][2]int64{{0, 4000}}, false)
	add("view-bea-0000000001", "user:"+bea.ID, bea.ID, "", [][2]int64{{3000, 6000}}, true)
	add("view-guest-00000001", "browser:g", "", guest.ID, [][2]int64{{0, 1000}}, false)
	add("view-anon-000000001", "browser:x", "", "", [][2]int64{{0, 10000}}, true)
	rs, err := db.ViewReceipts(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d receipts, want 3 (one per view id)", len(rs))
	}
	names := map[string]string{}
	for _, r := range rs {
		names[r.ID] = r.Name + "|" + r.Email
		if r.ID == "view-bea-0000000001" && (len(r.Ranges) != 1 || r.Ranges[0] != [2]int64{0, 6000} || !r.Counted) {
			t.Errorf("Bea's receipt = %+v", r)
		}
	}
	if names["view-bea-0000000001"] != "Bea|bea@example.com" || names["view-guest-00000001"] != "|guest@elsewhere.org" || names["view-anon-000000001"] != "|" {
		t.Fatalf("names = %v", names)
	}
	act, err := db.AskActivity(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if x := act[a.Recipients[0].ID]; !x.Counted || x.OpenedAt.IsZero() || media.Covered(x.Ranges) != 6000 {
		t.Errorf("Bea's activity = %+v", x)
	}
	if x := act[guest.ID]; x.Counted || x.OpenedAt.IsZero() {
		t.Errorf("guest's activity = %+v", x)
	}
	if _, err := db.AcknowledgeAsk(ctx, guest.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAway(ctx, bea.ID, now.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if away, err := db.Away(ctx, []string{bea.ID}); err != nil || !away[bea.ID].Equal(now.Add(72*time.Hour)) {
		t.Fatalf("away = %v, %v", away, err)
	}
	w := now.Add(49 * time.Hour)
	for i := 0; i < 2; i++ {
		got, err := db.ClaimOverdueAsks(ctx, w, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 - i; len(got) != want {
			t.Fatalf("claim %d got %d asks, want %d", i, len(got), want)
		}
	}
	if err := db.DeleteAsk(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AskRecipientByToken(ctx, v.ID, guest.Token); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("token after delete: %v", err)
	}
}
