package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// The planner's cursor: leased to one owner at a time, taken over when the
// lease runs out, never moved back; EventsToPlan passes over reactions and
// edits, hands over what the author asked for, and never hands the watchers'
// replay the notify request.
func TestEventCursor(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	now := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)

	seq, ok, err := db.ClaimEventCursor(ctx, media.PlanCursor, "a", time.Minute, now)
	if err != nil || !ok || seq != 0 {
		t.Fatalf("first claim = %d %v %v, want 0 true", seq, ok, err)
	}
	if _, ok, err := db.ClaimEventCursor(ctx, media.PlanCursor, "b", time.Minute, now.Add(59*time.Second)); err != nil || ok {
		t.Fatalf("claim while leased = %v %v, want refused", ok, err)
	}

	c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "Urgent thing", AuthorName: "Ann", AuthorUserID: "u1"}
	if _, err := db.CreateComment(ctx, c, &media.NotifyRequest{Urgent: true}, approve); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddReaction(ctx, &media.Reaction{ID: media.NewID(), VideoID: v.ID, Emoji: "👍", UserID: "u2"}, func(*media.Video) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UpdateComment(ctx, c.ID, &media.NotifyRequest{ByUserID: "u3", ByName: "Olga"}, func(_ *media.Video, c *media.Comment) (media.CommentEventType, error) {
		c.Resolved = true
		return media.CommentResolved, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddReaction(ctx, &media.Reaction{ID: media.NewID(), VideoID: v.ID, Emoji: "🎉", UserID: "u2"}, func(*media.Video) error { return nil }); err != nil {
		t.Fatal(err)
	}
	last, err := db.LastEventSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}

	evs, upTo, err := db.EventsToPlan(ctx, 0, 1)
	if err != nil || len(evs) != 1 || upTo != evs[0].Seq {
		t.Fatalf("EventsToPlan(limit 1) = %d events up to %d (%v)", len(evs), upTo, err)
	}
	if ev := evs[0]; ev.Type != media.CommentCreated || ev.Comment.ID != c.ID || ev.Notify == nil || !ev.Notify.Urgent {
		t.Fatalf("created event = %+v notify %+v", ev, ev.Notify)
	}
	evs, upTo, err = db.EventsToPlan(ctx, upTo, 10)
	if err != nil || len(evs) != 1 || upTo != last {
		t.Fatalf("EventsToPlan(rest) = %d events up to %d (%v), want 1 up to %d", len(evs), upTo, err, last)
	}
	if ev := evs[0]; ev.Type != media.CommentResolved || ev.Notify == nil || ev.Notify.ByName != "Olga" || ev.Notify.ByUserID != "u3" {
		t.Fatalf("resolved event = %+v notify %+v", ev, ev.Notify)
	}
	for _, ev := range events(t, db, v.ID, 0) {
		if ev.Notify != nil {
			t.Fatalf("replayed event %d carries its notify request", ev.Seq)
		}
	}

	if err := db.AdvanceEventCursor(ctx, media.PlanCursor, "b", last, time.Minute, now); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("advance by a non-holder: %v, want conflict", err)
	}
	if err := db.AdvanceEventCursor(ctx, media.PlanCursor, "a", last, time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if err := db.AdvanceEventCursor(ctx, media.PlanCursor, "a", 1, time.Minute, now); err != nil {
		t.Fatal(err)
	}
	// The holder died: after its lease, b takes over where a left it.
	seq, ok, err = db.ClaimEventCursor(ctx, media.PlanCursor, "b", time.Minute, now.Add(61*time.Second))
	if err != nil || !ok || seq != last {
		t.Fatalf("take-over = %d %v %v, want %d (never moved back)", seq, ok, err, last)
	}
	if err := db.ReleaseEventCursor(ctx, media.PlanCursor, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.ClaimEventCursor(ctx, media.PlanCursor, "a", time.Minute, now.Add(62*time.Second)); ok {
		t.Fatal("a's late release freed b's lease")
	}
	if err := db.ReleaseEventCursor(ctx, media.PlanCursor, "b"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.ClaimEventCursor(ctx, media.PlanCursor, "a", time.Minute, now.Add(62*time.Second)); err != nil || !ok {
		t.Fatalf("claim after release = %v %v", ok, err)
	}
}
