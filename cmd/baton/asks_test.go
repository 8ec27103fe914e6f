package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/notifytest"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// testClock is the clock the ask and check-in tests move.
type testClock = notifytest.Clock

// mustStartAsks is mustStartAuthz with email through a real SMTP server,
// a clock the test moves, and everyone working around the clock (the
// zones and hours of reminders are proven in media's tests).
func mustStartAsks(tb testing.TB, clock *testClock, srv *smtptest.Server, fn func(*Config)) *authzEnv {
	tb.Helper()
	requireFFmpeg(tb)
	cfg := testConfig(tb, tb.TempDir(), func(c *Config) {
		c.Workers = 0
		c.SMTPURL, c.MailFrom = "smtp://"+srv.Addr+"?tls=none", "Baton <baton@example.com>"
		h, err := media.ParseWorkingHours("mon-sun 00:00-24:00")
		if err != nil {
			tb.Fatal(err)
		}
		c.DefaultWorkingHours = h
		if fn != nil {
			fn(c)
		}
	})
	m := NewMain(cfg, testLogger(tb))
	m.Frontend = testFrontend
	m.Hasher = testHasher
	m.RateLimits = api.RateLimits{Disabled: true}
	m.Clock = clock.Now
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	provisionAuth(tb, m.DB)
	e := &authzEnv{s: &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}, admin: http.Header{"Authorization": {"Bearer " + testToken}},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var ownerUser struct{ User struct{ ID string } }
	e.owner = e.signUp(tb, "owner@example.com", "Olive Owner", &ownerUser)
	e.ownerID = ownerUser.User.ID
	e.member = e.signUp(tb, "member@example.com", "Max Member", nil)
	return e
}

// waitMail waits until the messages received satisfy ok: the server's own
// sender runs beside the test's SendDue on the same clock, and may be the
// one that delivers.
func waitMail(tb testing.TB, srv *smtptest.Server, ok func(map[string][][2]string) bool) map[string][][2]string {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := mailTo(tb, srv)
		if ok(m) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// counts is the number of messages per address.
func counts(want map[string]int) func(map[string][][2]string) bool {
	return func(m map[string][][2]string) bool {
		for to, n := range want {
			if len(m[to]) < n {
				return false
			}
		}
		return true
	}
}

// mailTo returns each address's messages as (subject, plain text).
func mailTo(tb testing.TB, srv *smtptest.Server) map[string][][2]string {
	tb.Helper()
	out := map[string][][2]string{}
	for _, m := range srv.Messages() {
		pm, err := m.Parse()
		if err != nil {
			tb.Fatal(err)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		out[m.To[0]] = append(out[m.To[0]], [2]string{subj, plainText(tb, pm)})
	}
	return out
}

func plainText(tb testing.TB, pm *mail.Message) string {
	_, params, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
	if err != nil {
		tb.Fatal(err)
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		b, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				b, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
			}
			return string(b)
		}
	}
}

type askRecipientOut struct {
	ID, Email, Name, Link, Needs string
}

func tokenOf(link string) string {
	_, tok, _ := strings.Cut(link, "?r=")
	return tok
}

// The whole path through the real server: the owner asks three people
// (an outside address, two members); the outside person watches 95%
// through their personal link, one member presses "Got it" without
// signing in, the other does nothing. The responses show watched /
// acknowledged / not-opened, the library says "1 of 3 replied", and when
// the clock reaches 24 h before the deadline the reminder reaches only the
// two who did not answer, over a real SMTP server. Insights count the one
// view and name its viewer; the owner's own viewing counts for nothing.
func TestAskThreeRecipientsOverHTTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	clock := notifytest.NewClock(time.Now().UTC().Truncate(time.Minute))
	e := mustStartAsks(t, clock, srv, nil)
	carol := e.signUp(t, "carol@example.com", "Carol Quiet", nil)
	var max struct{ User struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &max)
	fx := e.newFixture(t, media.VisibilityLink, "")

	// Bad asks are refused with reasons.
	deadline := clock.Now().Add(48 * time.Hour)
	for _, bad := range []string{
		`{"question":"","replyBy":"` + deadline.Format(time.RFC3339) + `","recipients":["a@example.org"]}`,
		`{"question":"Q","replyBy":"tomorrow","recipients":["a@example.org"]}`,
		`{"question":"Q","replyBy":"2001-01-01T00:00:00Z","recipients":["a@example.org"]}`,
		`{"question":"Q","replyBy":"` + deadline.Format(time.RFC3339) + `","recipients":[]}`,
		`{"question":"Q","replyBy":"` + deadline.Format(time.RFC3339) + `","recipients":["not an address"]}`,
		`{"question":"Q","replyBy":"` + deadline.Format(time.RFC3339) + `","recipients":["` + e.ownerID + `"]}`,
	} {
		resp, b := e.send(t, "PUT", "/api/videos/"+fx.ID+"/ask", bad, e.owner)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"code":"invalid"`) {
			t.Errorf("PUT ask %s = %s %s, want 400 invalid", bad, resp.Status, b)
		}
	}
	e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask", `{"question":"Q","replyBy":"`+deadline.Format(time.RFC3339)+`","recipients":["a@example.org"]}`, e.member, 403)

	var ask struct {
		Question   string
		Recipients []askRecipientOut
		Warnings   []string
	}
	body := fmt.Sprintf(`{"question":"Which option do we ship?","replyBy":%q,"recipients":["Ana@Outside.example",%q,"carol@example.com"]}`,
		deadline.Format(time.RFC3339), max.User.ID)
	json.Unmarshal(e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask", body, e.owner, 200), &ask)
	if len(ask.Recipients) != 3 {
		t.Fatalf("ask = %+v", ask)
	}
	tok := map[string]string{}
	for _, r := range ask.Recipients {
		if !strings.HasPrefix(r.Link, e.s.URL+"/v/"+fx.Slug+"?r=") || !media.ValidSlug(tokenOf(r.Link)) || r.Needs != "link" {
			t.Fatalf("recipient %+v", r)
		}
		tok[r.Email] = tokenOf(r.Link)
	}
	if tok["ana@outside.example"] == "" || tok["member@example.com"] == "" || tok["carol@example.com"] == "" {
		t.Fatalf("tokens %v", tok)
	}

	// The ask goes out after the bundle window, to each their own link.
	clock.Add(3 * time.Minute)
	if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := waitMail(t, srv, counts(map[string]int{"ana@outside.example": 1, "member@example.com": 1, "carol@example.com": 1}))
	for email, tk := range tok {
		if len(mails[email]) != 1 || !strings.Contains(mails[email][0][0], "Olive Owner asks for your answer") ||
			!strings.Contains(mails[email][0][1], "?r="+tk) || !strings.Contains(mails[email][0][1], "Which option do we ship?") {
			t.Fatalf("%s got %q", email, mails[email])
		}
	}

	// Ana opens her personal link (not signed in) and watches 95%: the
	// page load sets the cookie that carries her token; the beacon is sent
	// twice, as a hidden page does, and counts once.
	resp, _ := e.send(t, "GET", "/v/"+fx.Slug+"?r="+tok["ana@outside.example"], "", nil)
	var anaCookie string
	for _, c := range resp.Cookies() {
		if c.Name == "baton_r_"+fx.Slug {
			anaCookie = c.Name + "=" + c.Value
		}
	}
	if resp.StatusCode != 200 || anaCookie == "" {
		t.Fatalf("personal link page: %s, cookie %q", resp.Status, anaCookie)
	}
	ana := http.Header{"Cookie": {anaCookie}}
	viewID := "view_" + strings.Repeat("a", 20)
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"`+viewID+`","ranges":[]}`, ana, 200)
	var rec struct {
		Counted   bool
		WatchedMs int64
	}
	json.Unmarshal(e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"`+viewID+`","ranges":[[0,6000],[5000,9500]]}`, ana, 200), &rec)
	if !rec.Counted || rec.WatchedMs != 9500 {
		t.Fatalf("receipt = %+v", rec)
	}
	json.Unmarshal(e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"`+viewID+`","ranges":[[0,6000],[5000,9500]]}`, ana, 200), &rec)
	if rec.Counted || rec.WatchedMs != 9500 {
		t.Fatalf("repeated beacon = %+v", rec)
	}
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"`+viewID+`","ranges":[[5,1]]}`, ana, 400)
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"short","ranges":[[0,1]]}`, ana, 400)
	// The owner watching changes nothing.
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"owner_view_1234567890","ranges":[[0,10000]]}`, e.owner, 200)

	// Max acknowledges from his link without signing in; a wrong token
	// is refused and acknowledges nothing.
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/ack", `{"token":"`+tok["ana@outside.example"]+`x"}`, nil, 403)
	var ack struct{ State string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/ack", `{"token":"`+tok["member@example.com"]+`"}`, nil, 200), &ack)
	if ack.State != "acknowledged" {
		t.Fatalf("ack = %+v", ack)
	}

	var rs struct {
		Summary    struct{ Text string }
		Recipients []struct {
			Email, State, OpenedAt, AcknowledgedAt string
			WatchedPercent                         int
			Overdue                                bool
		}
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/responses", "", e.owner, 200), &rs)
	got := map[string]string{}
	for _, r := range rs.Recipients {
		got[r.Email] = fmt.Sprintf("%s %d%% overdue=%v", r.State, r.WatchedPercent, r.Overdue)
	}
	want := map[string]string{
		"ana@outside.example": "watched 95% overdue=false",
		"member@example.com":  "acknowledged 0% overdue=false",
		"carol@example.com":   "not-opened 0% overdue=false",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/responses", "", e.member, 403)

	var lib struct {
		Videos []struct {
			ID  string
			Ask *struct{ Text string }
		}
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos", "", e.owner, 200), &lib)
	for _, v := range lib.Videos {
		if v.ID == fx.ID && (v.Ask == nil || v.Ask.Text != "1 of 3 replied") {
			t.Errorf("library line = %+v", v.Ask)
		}
	}
	var waiting struct {
		Asks []struct{ Question, Link string }
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/asks/waiting", "", carol, 200), &waiting)
	if len(waiting.Asks) != 1 || !strings.Contains(waiting.Asks[0].Link, tok["carol@example.com"]) {
		t.Fatalf("Carol's waiting list = %+v", waiting)
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/asks/waiting", "", e.member, 200), &waiting)
	if len(waiting.Asks) != 0 {
		t.Fatalf("Max acknowledged, yet waits on %+v", waiting)
	}

	// 24 h before the deadline: a reminder to Ana and Carol only.
	clock.Add(deadline.Sub(clock.Now()) - 24*time.Hour + time.Minute)
	if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails = waitMail(t, srv, counts(map[string]int{"ana@outside.example": 2, "carol@example.com": 2}))
	time.Sleep(200 * time.Millisecond) // anything wrongly sent to Max would be in by now
	mails = mailTo(t, srv)
	for email, n := range map[string]int{"ana@outside.example": 2, "carol@example.com": 2, "member@example.com": 1} {
		if len(mails[email]) != n {
			t.Errorf("%s got %d emails, want %d: %q", email, len(mails[email]), n, mails[email])
			continue
		}
		if n == 2 && (!strings.HasPrefix(mails[email][1][0], "Reminder:") || !strings.Contains(mails[email][1][1], "?r="+tok[email])) {
			t.Errorf("%s's second email is %q", email, mails[email][1])
		}
	}

	var in struct {
		Views, UniqueViewers int
		CompletionRate       float64
		Heat                 []float64
		Viewers              []struct {
			Name, Email    string
			WatchedPercent int
		}
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/insights", "", e.owner, 200), &in)
	if in.Views != 1 || in.UniqueViewers != 1 || in.CompletionRate != 1 || len(in.Heat) != 100 || in.Heat[0] != 1 || in.Heat[99] != 0 {
		t.Fatalf("insights = %+v", in)
	}
	if len(in.Viewers) != 1 || in.Viewers[0].Email != "ana@outside.example" || in.Viewers[0].WatchedPercent != 95 {
		t.Fatalf("viewers = %+v", in.Viewers)
	}
	e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/insights", "", e.member, 403)

	// Removing the ask kills the links.
	e.mustSend(t, "DELETE", "/api/videos/"+fx.ID+"/ask", "", e.owner, 204)
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/ack", `{"token":"`+tok["carol@example.com"]+`"}`, nil, 404)
}

// A personal link opens a workspace video for the outside address the
// owner named, not for anyone else, and a member named in the ask still
// signs in; a private video opens for nobody.
func TestPersonalLinkObeysVisibility(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	clock := notifytest.NewClock(time.Now().UTC())
	e := mustStartAsks(t, clock, srv, nil)
	var max struct{ User struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &max)
	for _, vis := range []media.Visibility{media.VisibilityWorkspace, media.VisibilityPrivate} {
		fx := e.newFixture(t, vis, "")
		var ask struct {
			Recipients []askRecipientOut
			Warnings   []string
		}
		body := fmt.Sprintf(`{"question":"OK?","replyBy":%q,"recipients":["ana@outside.example",%q]}`,
			clock.Now().Add(72*time.Hour).Format(time.RFC3339), max.User.ID)
		json.Unmarshal(e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask", body, e.owner, 200), &ask)
		anaTok, maxTok := tokenOf(ask.Recipients[0].Link), tokenOf(ask.Recipients[1].Link)
		hdr := func(tok string) http.Header { return http.Header{"X-Baton-Recipient": {tok}} }
		if vis == media.VisibilityPrivate {
			if !strings.Contains(strings.Join(ask.Warnings, " "), "visible only to you") || ask.Recipients[0].Needs != "unavailable" {
				t.Errorf("private: warnings %q, needs %q", ask.Warnings, ask.Recipients[0].Needs)
			}
			e.mustSend(t, "GET", "/api/share/"+fx.Slug, "", hdr(anaTok), 404)
			e.mustSend(t, "GET", "/api/share/"+fx.Slug+"?r="+anaTok, "", nil, 404)
			continue
		}
		if ask.Recipients[0].Needs != "link" || ask.Recipients[1].Needs != "sign-in" {
			t.Errorf("workspace needs: %+v", ask.Recipients)
		}
		e.mustSend(t, "GET", "/api/share/"+fx.Slug, "", hdr(anaTok), 200)
		e.mustSend(t, "GET", "/media/"+fx.Slug+"/video.mp4?r="+anaTok, "", nil, 200)
		e.mustSend(t, "GET", "/api/share/"+fx.Slug, "", hdr(maxTok), 404)
		e.mustSend(t, "GET", "/api/share/"+fx.Slug, "", hdr(strings.Repeat("A", 22)), 404)
		e.mustSend(t, "GET", "/api/share/"+fx.Slug, "", nil, 404)
		var shared struct {
			Question string
			You      *struct{ Email, State string }
		}
		json.Unmarshal(e.mustSend(t, "GET", "/api/share/"+fx.Slug+"/ask", "", hdr(anaTok), 200), &shared)
		if shared.Question != "OK?" || shared.You == nil || shared.You.Email != "ana@outside.example" {
			t.Fatalf("Ana's view of the ask = %+v", shared)
		}
		h := http.Header{"Cookie": e.member["Cookie"], "X-Baton-Recipient": {maxTok}}
		json.Unmarshal(e.mustSend(t, "GET", "/api/share/"+fx.Slug+"/ask", "", h, 200), &shared)
		if shared.You == nil || shared.You.Email != "member@example.com" {
			t.Fatalf("Max's view of the ask = %+v", shared)
		}
	}
}

// Away members are shown as away, not overdue, and get no reminders.
func TestAwayUntilOnMe(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	clock := notifytest.NewClock(time.Now().UTC())
	e := mustStartAsks(t, clock, srv, nil)
	for _, bad := range []string{`{"awayUntil":"soon"}`, `{"awayUntil":"2001-01-01"}`, `{"awayUntil":5}`} {
		e.mustSend(t, "PATCH", "/api/auth/me", bad, e.member, 400)
	}
	day := clock.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	var me struct{ AwayUntil string }
	json.Unmarshal(e.mustSend(t, "PATCH", "/api/auth/me", `{"awayUntil":"`+day+`"}`, e.member, 200), &me)
	if !strings.HasPrefix(me.AwayUntil, clock.Now().AddDate(0, 0, 11).Format(time.DateOnly)) {
		t.Fatalf("awayUntil = %q, want the end of %s", me.AwayUntil, day)
	}
	var max struct{ User struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &max)
	fx := e.newFixture(t, media.VisibilityLink, "")
	deadline := clock.Now().Add(30 * time.Hour)
	var ask struct{ Warnings []string }
	json.Unmarshal(e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask",
		fmt.Sprintf(`{"question":"OK?","replyBy":%q,"recipients":[%q]}`, deadline.Format(time.RFC3339), max.User.ID), e.owner, 200), &ask)
	if !strings.Contains(strings.Join(ask.Warnings, " "), "Max Member is away") {
		t.Errorf("warnings %q", ask.Warnings)
	}
	clock.Add(31 * time.Hour)
	for i := 0; i < 2; i++ {
		if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, m := range waitMail(t, srv, counts(map[string]int{"member@example.com": 1}))["member@example.com"] {
		if !strings.Contains(m[0], "asks for your answer") {
			t.Errorf("away member got %q", m[0])
		}
	}
	var rs struct {
		Recipients []struct {
			State   string
			Overdue bool
			Away    bool
		}
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/responses", "", e.owner, 200), &rs)
	if len(rs.Recipients) != 1 || rs.Recipients[0].Overdue || !rs.Recipients[0].Away {
		t.Fatalf("responses = %+v", rs)
	}
	e.mustSend(t, "PATCH", "/api/auth/me", `{"awayUntil":null}`, e.member, 200)
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &me)
	if me.AwayUntil != "" {
		t.Fatalf("awayUntil after clearing = %q", me.AwayUntil)
	}
}

// Replying in a thread answers an ask: an outside recipient writing as a
// guest through their personal link, and a member writing from their
// library. Both show as replied, and neither gets a reminder afterwards;
// the one who only watched still does.
func TestRepliesAnswerTheAsk(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	clock := notifytest.NewClock(time.Now().UTC().Truncate(time.Minute))
	e := mustStartAsks(t, clock, srv, nil)
	carol := e.signUp(t, "carol@example.com", "Carol Quiet", nil)
	var max struct{ User struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &max)
	fx := e.newFixture(t, media.VisibilityLink, "")
	deadline := clock.Now().Add(48 * time.Hour)
	var ask struct{ Recipients []askRecipientOut }
	json.Unmarshal(e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask", fmt.Sprintf(`{"question":"Ship A or B?","replyBy":%q,"recipients":["ana@outside.example",%q,"carol@example.com"]}`,
		deadline.Format(time.RFC3339), max.User.ID), e.owner, 200), &ask)
	tok := map[string]string{}
	for _, r := range ask.Recipients {
		tok[r.Email] = tokenOf(r.Link)
	}
	// The ask goes out after the bundle window.
	clock.Add(3 * time.Minute)
	if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitMail(t, srv, counts(map[string]int{"carol@example.com": 1}))
	ana := http.Header{"X-Baton-Recipient": {tok["ana@outside.example"]}, "X-Guest-Secret": {media.NewGuestSecret()}}
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/comments", `{"body":"B, because of the numbers.","timeMs":2000,"guestName":"Ana"}`, ana, 201)
	e.mustSend(t, "POST", "/api/videos/"+fx.ID+"/comments", `{"body":"Agree with B.","timeMs":3000}`, e.member, 201)
	// Carol only watches.
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/views", `{"viewId":"carol_view_0123456789","ranges":[[0,5000]]}`, carol, 200)

	var rs struct {
		Recipients []struct{ Email, State, RepliedAt string }
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/responses", "", e.owner, 200), &rs)
	got := map[string]string{}
	for _, r := range rs.Recipients {
		got[r.Email] = r.State
		if r.State == "replied" && r.RepliedAt == "" {
			t.Errorf("%s replied without a time", r.Email)
		}
	}
	if got["ana@outside.example"] != "replied" || got["member@example.com"] != "replied" || got["carol@example.com"] != "watched" {
		t.Fatalf("states = %v", got)
	}
	clock.Add(deadline.Sub(clock.Now()) - 24*time.Hour + time.Minute)
	if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := waitMail(t, srv, counts(map[string]int{"carol@example.com": 2}))
	time.Sleep(200 * time.Millisecond)
	mails = mailTo(t, srv)
	for _, to := range []string{"ana@outside.example", "member@example.com"} {
		for _, m := range mails[to] {
			if strings.HasPrefix(m[0], "Reminder") {
				t.Errorf("%s replied and was still reminded: %q", to, m[0])
			}
		}
	}
	if n := len(mails["carol@example.com"]); n != 2 || !strings.HasPrefix(mails["carol@example.com"][1][0], "Reminder") {
		t.Errorf("Carol, who only watched, got %q", mails["carol@example.com"])
	} else if link := e.s.URL + "/v/" + fx.Slug + "?r=" + tok["carol@example.com"]; !strings.Contains(mails["carol@example.com"][1][1], link) {
		t.Errorf("Carol's reminder lacks her personal link %s:\n%s", link, mails["carol@example.com"][1][1])
	}
}
