package gormstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// A Monday 10:00 check-in for Aiko in Tokyo and Lucia in Los Angeles: each
// is prompted at their own 10:00 (01:00 and 18:00 UTC), by email through a
// real SMTP server. Aiko posts at once; Lucia is reminded two hours before
// her update is due and posts then. When the last due time passes, the
// owner gets the round, and the reel holds both updates in the order they
// were posted.
func TestCheckinPromptsEachAtTheirTenAndCompilesTheReel(t *testing.T) {
	ctx := context.Background()
	w := newAskWorld(t, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)) // Sunday
	owner := w.Member(t, "Olga", "Europe/Berlin", "mon-fri 09:00-17:00")
	aiko := w.Member(t, "Aiko", "Asia/Tokyo", "mon-fri 09:00-18:00")
	lucia := w.Member(t, "Lucia", "America/Los_Angeles", "mon-fri 09:00-17:00")
	ci := &media.Checkins{Store: w.DB, Asks: w.Asks, Users: w.DB, Videos: w.DB, Notify: w.Notifier, Clock: w.Clock.Now}
	c, err := ci.Create(ctx, owner, media.CheckinInput{Title: "Weekly update", Prompt: "What moved, what is blocked?",
		Days: []string{"mon"}, Time: "10:00", Participants: []string{aiko.ID, lucia.Email}, DueAfter: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []media.CheckinInput{
		{Title: "", Prompt: "p", Days: []string{"mon"}, Time: "10:00", Participants: []string{aiko.ID}},
		{Title: "t", Prompt: "p", Days: []string{"someday"}, Time: "10:00", Participants: []string{aiko.ID}},
		{Title: "t", Prompt: "p", Days: []string{"mon"}, Time: "25:00", Participants: []string{aiko.ID}},
		{Title: "t", Prompt: "p", Days: []string{"mon"}, Time: "10:00", Participants: []string{"nobody@example.com"}},
		{Title: "t", Prompt: "p", Days: []string{"mon"}, Time: "10:00"},
	} {
		if _, err := ci.Create(ctx, owner, bad); media.ErrorCode(err) != media.EINVALID {
			t.Errorf("Create(%+v) err = %v, want invalid", bad, err)
		}
	}
	video := func(u *media.User) *media.Video {
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: u.Name + "'s update", Status: media.StatusReady, OwnerID: u.ID, DurationMs: 30000}
		if err := w.DB.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	arrived := map[string][]string{} // address -> "kind@HH:MM"
	seen := 0
	end := time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)
	for now := w.Clock.Now(); !now.After(end); now = now.Add(15 * time.Minute) {
		w.Clock.Set(now)
		switch now {
		case time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC):
			if _, err := ci.Post(ctx, c, "2026-12-07", aiko, video(aiko).ID); err != nil {
				t.Fatal(err)
			}
		case time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC):
			if _, err := ci.Post(ctx, c, "2026-12-07", lucia, video(lucia).ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := ci.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.Notifier.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := w.SMTP.Messages()
		for _, m := range msgs[seen:] {
			pm, _ := m.Parse()
			kind := "other"
			subj := pm.Header.Get("Subject")
			switch {
			case strings.Contains(subj, "Time_for_your_update") || strings.Contains(subj, "Time for your update"):
				kind = "prompt"
			case strings.Contains(subj, "Reminder"):
				kind = "reminder"
			case strings.Contains(subj, "round"):
				kind = "round"
			}
			arrived[m.To[0]] = append(arrived[m.To[0]], kind+"@"+now.Format("Mon 15:04"))
		}
		seen = len(msgs)
	}
	want := map[string]string{
		aiko.Email:  "prompt@Mon 01:00",
		lucia.Email: "prompt@Mon 18:00,reminder@Tue 00:00",
		owner.Email: "round@Tue 02:00",
	}
	for to, w := range want {
		if got := strings.Join(arrived[to], ","); got != w {
			t.Errorf("%s received %q, want %q", to, got, w)
		}
	}
	st, err := ci.Round(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Round != "2026-12-07" || len(st.Posted) != 2 || len(st.Missing) != 0 || !st.DueAt.Equal(time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("round = %+v", st)
	}
	reel, err := ci.Reel(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(reel) != 2 || reel[0].OwnerID != aiko.ID || reel[1].OwnerID != lucia.ID {
		t.Fatalf("reel = %v", reel)
	}
	if _, err := ci.Post(ctx, c, "2026-12-07", owner, video(owner).ID); media.ErrorCode(err) != media.ENOTALLOWED {
		t.Fatalf("a non-participant posted: %v", err)
	}
	if _, err := ci.Post(ctx, c, "2026-12-08", aiko, video(aiko).ID); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("posted to a Tuesday round of a Monday check-in: %v", err)
	}
	// The bell's items lead where the emails do, within the site: the
	// recorder attached to the round, and the round's page.
	links := func(u *media.User) string {
		ns, _, err := w.DB.Notifications(ctx, u.ID, "", 20)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, string(n.Kind)+" "+n.Link)
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
	rec := "/record?checkin=" + c.ID + "&round=2026-12-07"
	for u, want := range map[*media.User]string{
		aiko:  "checkin-prompt " + rec,
		lucia: "checkin-prompt " + rec + ", checkin-reminder " + rec,
		owner: "checkin-round /checkins/" + c.ID + "?round=2026-12-07",
	} {
		if got := links(u); got != want {
			t.Errorf("%s's bell = %q, want %q", u.Name, got, want)
		}
	}
}

// The check-in store on its own: a check-in, its posts per round, and
// events claimed once.
func TestCheckinStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, t.TempDir()+"/checkins.db")
	owner := mustUser(t, "owner@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, owner, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &media.Checkin{ID: media.NewID(), OwnerID: owner.ID, Title: "Weekly", Prompt: "What moved?", Time: 600,
		DueAfter: 8 * time.Hour, MaxLength: 3 * time.Minute, Participants: []string{owner.ID}, Observers: []string{}, CreatedAt: now, UpdatedAt: now}
	c.Days[time.Monday] = true
	if err := db.CreateCheckin(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.Checkin(ctx, c.ID)
	if err != nil || got.Title != "Weekly" || !got.Days[time.Monday] || got.DueAfter != 8*time.Hour || len(got.Participants) != 1 {
		t.Fatalf("Checkin = %+v, %v", got, err)
	}
	v := MustCreateVideo(t, db)
	if err := db.SaveCheckinPost(ctx, &media.CheckinPost{CheckinID: c.ID, Round: "2026-12-07", UserID: owner.ID, VideoID: v.ID, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ps, err := db.CheckinPosts(ctx, c.ID, "2026-12-07")
	if err != nil || len(ps) != 1 || ps[0].VideoID != v.ID {
		t.Fatalf("posts = %+v, %v", ps, err)
	}
	for i, want := range []bool{true, false} {
		ok, err := db.ClaimCheckinEvent(ctx, c.ID, "2026-12-07", owner.ID, "checkin-prompt", now)
		if err != nil || ok != want {
			t.Fatalf("claim %d = %v, %v", i, ok, err)
		}
	}
	if cs, err := db.Checkins(ctx, owner.ID); err != nil || len(cs) != 1 {
		t.Fatalf("Checkins = %v, %v", cs, err)
	}
	if err := db.DeleteCheckin(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Checkin(ctx, c.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}
