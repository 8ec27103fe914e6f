package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// readUnread reads "unread" events from a bell stream into a channel.
func readUnread(t *testing.T, e *authzEnv, h http.Header) (<-chan int, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.s.URL+"/api/notifications/events", nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("bell stream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := make(chan int, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var v struct{ Unread int }
				if json.Unmarshal([]byte(line), &v) == nil {
					out <- v.Unread
				}
			}
		}
		close(out)
	}()
	return out, cancel
}

func nextUnread(t *testing.T, c <-chan int) int {
	t.Helper()
	select {
	case n, ok := <-c:
		if !ok {
			t.Fatal("bell stream ended")
		}
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no unread event within 10 s")
	}
	return 0
}

// waitUnread reads the bell until it shows want: a comment's notices are
// planned just after it commits, so a page may first hear the count from
// before them.
func waitUnread(t *testing.T, c <-chan int, want int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n, ok := <-c:
			if !ok {
				t.Fatal("bell stream ended")
			}
			if n == want {
				return
			}
		case <-deadline:
			t.Fatalf("the bell never showed %d within 10 s", want)
		}
	}
}

// The whole path over HTTP: settings on /api/auth/me (validated), a
// comment that moves the owner's bell live, the inbox, email through a
// real SMTP server with a one-click unsubscribe that needs no sign-in,
// follows, and webhooks refusing loopback.
func TestNotificationsOverHTTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e := mustStartAuthz(t, func(c *Config) {
		c.SMTPURL, c.MailFrom = "smtp://"+srv.Addr+"?tls=none", "Baton <baton@example.com>"
		c.NotifyBundle = 0 // due at once, so the test need not move a clock
	})
	var me map[string]any
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.owner, 200), &me)
	if me["emailEnabled"] != true || me["hoursSet"] != false || me["timeZone"] != "UTC" || me["hoursText"] != "Mon–Fri 09:00–17:00" {
		t.Fatalf("me before settings = %v", me)
	}
	for _, bad := range []string{
		`{"timeZone":"Mars/Olympus"}`, `{"timeZone":"../etc"}`,
		`{"workingHours":{"days":["mon"],"start":"17:00","end":"09:00"}}`,
		`{"workingHours":{"days":[],"start":"09:00","end":"17:00"}}`,
		`{"workingHours":{"days":["someday"],"start":"09:00","end":"17:00"}}`,
		`{"workingHours":{"days":["mon"],"start":"9am","end":"17:00"}}`,
		`{"emailMode":"sometimes"}`, `{}`,
	} {
		resp, b := e.send(t, "PATCH", "/api/auth/me", bad, e.owner)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"code":"invalid"`) {
			t.Errorf("PATCH %s = %s %s, want 400 invalid", bad, resp.Status, b)
		}
	}
	json.Unmarshal(e.mustSend(t, "PATCH", "/api/auth/me",
		`{"timeZone":"Asia/Kolkata","workingHours":{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"24:00"},"emailMode":"working-hours"}`,
		e.owner, 200), &me)
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.owner, 200), &me)
	if me["timeZone"] != "Asia/Kolkata" || me["hoursSet"] != true || me["hoursText"] != "Mon–Sun 00:00–24:00" {
		t.Fatalf("me after settings = %v", me)
	}

	fx := e.newFixture(t, media.VisibilityLink, "") // with a guest's comment
	bell, stop := readUnread(t, e, e.owner)
	defer stop()
	waitUnread(t, bell, 1) // the guest's comment
	var cm struct{ ID string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/videos/"+fx.ID+"/comments", `{"body":"Looks great @olive","timeMs":4000}`, e.member, 201), &cm)
	waitUnread(t, bell, 2) // and the member's
	var inbox struct {
		Items []struct {
			Kind, Actor, Text, URL, CommentID, ReadAt string
		}
		Unread int
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/notifications?limit=1", "", e.owner, 200), &inbox)
	if inbox.Unread != 2 || len(inbox.Items) != 1 {
		t.Fatalf("inbox = %+v", inbox)
	}
	if it := inbox.Items[0]; it.Kind != "mention" || it.Actor != "Max Member" || it.CommentID != cm.ID || it.URL != "/v/"+fx.Slug+"?t=4" || it.ReadAt != "" {
		t.Fatalf("newest item = %+v", it)
	}
	e.mustSend(t, "GET", "/api/notifications?limit=0", "", e.owner, 400)
	e.mustSend(t, "POST", "/api/notifications/read", `{}`, e.owner, 400)
	e.mustSend(t, "POST", "/api/notifications/read", `{"all":true}`, e.owner, 200)
	if n := nextUnread(t, bell); n != 0 {
		t.Fatalf("bell after reading all = %d", n)
	}
	e.mustSend(t, "GET", "/api/notifications", "", nil, 401)

	// The commenter follows automatically; they can stop.
	var f struct{ Following bool }
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/follow", "", e.member, 200), &f)
	if !f.Following {
		t.Fatal("commenter does not follow the video")
	}
	e.mustSend(t, "DELETE", "/api/videos/"+fx.ID+"/follow", "", e.member, 200)
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/follow", "", e.member, 200), &f)
	if f.Following {
		t.Fatal("still following after unfollowing")
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos/"+fx.ID+"/follow", "", e.owner, 200), &f)
	if !f.Following {
		t.Fatal("the owner does not follow their own video")
	}

	// The sender loop may have sent it already; SendDue shares its leases.
	if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mail *smtptest.Message
	for _, m := range srv.Messages() {
		if m.To[0] == "owner@example.com" {
			m := m
			mail = &m
		}
	}
	if mail == nil {
		t.Fatalf("no email to the owner (%d messages)", len(srv.Messages()))
	}
	msg, _ := mail.Parse()
	un := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
	if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(un, e.s.URL+"/email/unsubscribe?") {
		t.Fatalf("unsubscribe headers %q / %q", un, msg.Header.Get("List-Unsubscribe-Post"))
	}
	// A mail client's one-click POST: no cookie, no origin.
	resp, err := http.Post(un+"x", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("forged unsubscribe: %v %v", resp.Status, err)
	}
	resp, err = http.Post(un, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.owner, 200), &me)
	if me["emailMode"] != "off" {
		t.Fatalf("emailMode after unsubscribing = %v", me["emailMode"])
	}
	if resp, _ := http.Get(un); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET unsubscribe page: %v", resp.Status)
	}

	// Webhooks: loopback refused without BATON_WEBHOOK_ALLOW_PRIVATE.
	resp2, b := e.send(t, "POST", "/api/webhooks", `{"url":"http://127.0.0.1:9/hook","events":["comment.created"]}`, e.owner)
	if resp2.StatusCode != 400 || !strings.Contains(string(b), "BATON_WEBHOOK_ALLOW_PRIVATE") {
		t.Fatalf("loopback webhook: %s %s", resp2.Status, b)
	}
	e.mustSend(t, "POST", "/api/webhooks", `{"url":"https://93.184.216.34/hook","events":["comment.created"],"workspace":true}`, e.owner, 403)
	var hook struct{ ID, Secret string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/webhooks", `{"url":"https://93.184.216.34/hook","events":["comment.created"],"format":"slack"}`, e.owner, 201), &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("secret %q", hook.Secret)
	}
	var list struct{ Items []map[string]any }
	json.Unmarshal(e.mustSend(t, "GET", "/api/webhooks", "", e.owner, 200), &list)
	if len(list.Items) != 1 || list.Items[0]["secret"] != nil {
		t.Fatalf("webhook list %v", list)
	}
	e.mustSend(t, "GET", "/api/webhooks/"+hook.ID+"/deliveries", "", e.member, 404)
	e.mustSend(t, "DELETE", "/api/webhooks/"+hook.ID, "", e.member, 404)
	e.mustSend(t, "POST", "/api/webhooks/"+hook.ID+"/test", "", e.owner, 202)
	e.mustSend(t, "GET", "/api/webhooks/"+hook.ID+"/deliveries", "", e.owner, 200)
	e.mustSend(t, "DELETE", "/api/webhooks/"+hook.ID, "", e.admin, 204)

	// Library counts.
	var counts struct{ Counts map[string]int }
	json.Unmarshal(e.mustSend(t, "GET", "/api/notifications/counts?videoIds="+url.QueryEscape(fx.ID), "", e.owner, 200), &counts)
	if counts.Counts[fx.ID] != 0 {
		t.Fatalf("counts after reading all = %v", counts)
	}
}

// Two API processes on one Postgres database: a guest comments through
// one, and the owner's bell, open on the other, counts it at once (the
// inbox change travels as a database notice, not through memory).
func TestBellAcrossProcesses(t *testing.T) {
	requireFFmpeg(t)
	dbURL := mediatest.PostgresURL(t)
	start := func() *testServer {
		cfg := testConfig(t, t.TempDir(), func(c *Config) {
			c.DatabaseURL = dbURL
			c.Workers = 0
		})
		m := NewMain(cfg, testLogger(t))
		m.Frontend = testFrontend
		m.Hasher = testHasher
		if err := m.Open(context.Background()); err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { m.Close() })
		provisionAuth(t, m.DB)
		return &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}
	}
	a, b := start(), start()
	v := a.MustCreateVideo(t, "Across processes")
	e := &authzEnv{s: b, client: http.DefaultClient}
	bell, stop := readUnread(t, e, http.Header{"Authorization": {"Bearer " + testToken}})
	defer stop()
	if n := nextUnread(t, bell); n != 0 {
		t.Fatalf("unread at start = %d", n)
	}
	req, _ := http.NewRequest("POST", a.URL+"/api/share/"+v.Slug+"/comments", strings.NewReader(`{"body":"Hello from the other side","timeMs":0,"guestName":"Gus"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("comment on process A: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := nextUnread(t, bell); n != 1 {
		t.Fatalf("bell on process B = %d, want 1", n)
	}
}
