package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media/notifytest"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// A check-in over HTTP: two participants in Tokyo and New York are
// prompted at their own 10:00 with a link to the recorder attached to the
// round; Max posts his update through the API; the round page shows him
// posted and the other missing, and strangers do not see the check-in.
func TestCheckinOverHTTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	// Sunday 6 Dec 2026, noon UTC.
	clock := notifytest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	e := mustStartAsks(t, clock, srv, nil)
	carol := e.signUp(t, "carol@example.com", "Carol Quiet", nil)
	stranger := e.signUp(t, "sam@example.com", "Sam Stranger", nil)
	e.mustSend(t, "PATCH", "/api/auth/me", `{"timeZone":"Asia/Tokyo"}`, e.member, 200)
	e.mustSend(t, "PATCH", "/api/auth/me", `{"timeZone":"America/New_York"}`, carol, 200)

	for _, bad := range []string{
		`{"title":"","prompt":"p","schedule":{"days":["mon"],"time":"10:00"},"participants":["member@example.com"]}`,
		`{"title":"t","prompt":"p","schedule":{"days":["mon"],"time":"10am"},"participants":["member@example.com"]}`,
		`{"title":"t","prompt":"p","schedule":{"days":["mon"],"time":"10:00"},"participants":["nobody@example.com"]}`,
		`{"title":"t","prompt":"p","schedule":{"days":["mon"],"time":"10:00"},"participants":["member@example.com"],"dueAfter":"soon"}`,
	} {
		resp, b := e.send(t, "POST", "/api/checkins", bad, e.owner)
		if resp.StatusCode != 400 {
			t.Errorf("POST %s = %s %s, want 400", bad, resp.Status, b)
		}
	}
	var ci struct {
		ID       string
		Schedule struct{ Days []string }
	}
	json.Unmarshal(e.mustSend(t, "POST", "/api/checkins",
		`{"title":"Weekly update","prompt":"What moved, what is blocked?","schedule":{"days":["mon"],"time":"10:00"},"participants":["member@example.com","carol@example.com"],"dueAfter":"8h","maxLength":"3m"}`,
		e.owner, 201), &ci)
	if ci.ID == "" || strings.Join(ci.Schedule.Days, ",") != "mon" {
		t.Fatalf("check-in = %+v", ci)
	}
	e.mustSend(t, "GET", "/api/checkins/"+ci.ID, "", stranger, 404)
	e.mustSend(t, "GET", "/api/checkins/"+ci.ID+"/rounds/latest", "", e.owner, 404) // nothing started yet

	step := func(to time.Time) {
		for clock.Now().Before(to) {
			clock.Add(15 * time.Minute)
			if err := e.s.Checkins.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.s.Notify.SendDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Monday 10:00 in Tokyo is 01:00 UTC.
	step(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	mails := waitMail(t, srv, counts(map[string]int{"member@example.com": 1}))
	if len(mails["member@example.com"]) != 1 || len(mails["carol@example.com"]) != 0 {
		t.Fatalf("after Tokyo's 10:00: %q", mails)
	}
	prompt := mails["member@example.com"][0]
	if !strings.Contains(prompt[0], "Time for your update") || !strings.Contains(prompt[1], "/record?checkin="+ci.ID+"&round=2026-12-07") {
		t.Fatalf("prompt = %q", prompt)
	}
	// Max records: the recorder creates the video and attaches it at once.
	var v struct{ ID string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/videos", `{"title":"Max's update"}`, e.member, 201), &v)
	e.mustSend(t, "POST", "/api/checkins/"+ci.ID+"/rounds/2026-12-07/posts", `{"videoId":"`+v.ID+`"}`, e.member, 201)
	e.mustSend(t, "POST", "/api/checkins/"+ci.ID+"/rounds/2026-12-07/posts", `{"videoId":"`+v.ID+`"}`, e.owner, 403)

	// Monday 10:00 in New York is 15:00 UTC.
	step(time.Date(2026, 12, 7, 14, 45, 0, 0, time.UTC))
	if n := len(mailTo(t, srv)["carol@example.com"]); n != 0 {
		t.Fatalf("Carol prompted before her 10:00 (%d emails)", n)
	}
	step(time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC))
	if n := len(waitMail(t, srv, counts(map[string]int{"carol@example.com": 1}))["carol@example.com"]); n != 1 {
		t.Fatalf("Carol got %d emails at her 10:00", n)
	}
	var round struct {
		Round  string
		DueAt  string
		Posted []struct {
			User    struct{ Name string }
			VideoID string
		}
		Missing []struct{ Name string }
		Away    []struct{ Name string }
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/checkins/"+ci.ID+"/rounds/latest", "", carol, 200), &round)
	if round.Round != "2026-12-07" || round.DueAt != "2026-12-07T23:00:00Z" || len(round.Posted) != 1 || round.Posted[0].User.Name != "Max Member" ||
		round.Posted[0].VideoID != v.ID || len(round.Missing) != 1 || round.Missing[0].Name != "Carol Quiet" {
		t.Fatalf("round = %+v", round)
	}
	e.mustSend(t, "GET", "/api/checkins/"+ci.ID+"/rounds/latest", "", stranger, 404)
	e.mustSend(t, "GET", "/api/checkins/"+ci.ID+"/rounds/yesterday", "", e.owner, 400)
	var list struct{ Checkins []struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/checkins", "", carol, 200), &list)
	if len(list.Checkins) != 1 {
		t.Fatalf("Carol's check-ins = %+v", list)
	}
	e.mustSend(t, "DELETE", "/api/checkins/"+ci.ID, "", carol, 403)
	e.mustSend(t, "DELETE", "/api/checkins/"+ci.ID, "", e.owner, 204)
}
