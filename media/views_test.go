package media

import (
	"testing"
	"time"
)

func TestViewRule(t *testing.T) {
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	r := DefaultViewRule
	tests := []struct {
		name   string
		played time.Duration
		last   time.Time
		now    time.Time
		want   bool
	}{
		{"first view after 3 s", 3 * time.Second, time.Time{}, t0, true},
		{"not yet 3 s", 2999 * time.Millisecond, time.Time{}, t0, false},
		{"again within 30 min", time.Minute, t0, t0.Add(29 * time.Minute), false},
		{"again after 30 min", time.Minute, t0, t0.Add(30 * time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Counts(tt.played, tt.last, tt.now); got != tt.want {
				t.Fatalf("Counts = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestViewLogOncePerViewerPerWindow(t *testing.T) {
	var l ViewLog
	t0 := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
	r := DefaultViewRule
	if l.Claim(r, "v1", "a", time.Second, t0) {
		t.Fatal("counted after 1 s of playback")
	}
	if !l.Claim(r, "v1", "a", 3*time.Second, t0) {
		t.Fatal("first view after 3 s did not count")
	}
	// Four windows of one viewer are one view.
	for i := 0; i < 4; i++ {
		if l.Claim(r, "v1", "a", 10*time.Second, t0.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("window %d counted again", i)
		}
	}
	if !l.Claim(r, "v1", "b", 3*time.Second, t0) || !l.Claim(r, "v2", "a", 3*time.Second, t0) {
		t.Fatal("another viewer or another video must count on its own")
	}
	if !l.Claim(r, "v1", "a", 3*time.Second, t0.Add(31*time.Minute)) {
		t.Fatal("the same viewer 31 minutes later did not count")
	}
	l.Forget("v1", "a")
	if !l.Claim(r, "v1", "a", 3*time.Second, t0.Add(32*time.Minute)) {
		t.Fatal("a forgotten claim must count again")
	}
}
