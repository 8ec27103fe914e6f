package media_test

import (
	"math"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// Two views of a 10 s video overlap in the middle: the first 25% was
// watched by one of two views, the middle quarter by both, the rest by one.
func TestHeatFromOverlappingViews(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rs := []*media.ViewReceipt{
		{ID: "a", Viewer: "browser:a", Ranges: [][2]int64{{0, 3000}, {2000, 5000}}, Counted: true, CreatedAt: at},
		{ID: "b", Viewer: "user:b", UserID: "b", Name: "Bea", Email: "bea@example.com", Ranges: [][2]int64{{2500, 10000}}, Counted: true, CreatedAt: at.Add(time.Minute)},
		// Opened but never played 3 s: no view, no heat.
		{ID: "c", Viewer: "browser:c", Ranges: [][2]int64{{0, 2000}}, CreatedAt: at},
	}
	in := media.ComputeInsights(10000, rs)
	if in.Views != 2 || in.UniqueViewers != 2 {
		t.Fatalf("views %d unique %d, want 2 and 2", in.Views, in.UniqueViewers)
	}
	for i, h := range in.Heat {
		want := 0.5
		if i >= 25 && i < 50 {
			want = 1
		}
		if math.Abs(h-want) > 1e-9 {
			t.Errorf("heat[%d] = %v, want %v", i, h, want)
		}
	}
	// Only b covered 90%: it watched 75%. Nobody completed.
	if in.CompletionRate != 0 {
		t.Errorf("completion %v, want 0", in.CompletionRate)
	}
	if len(in.Viewers) != 1 || in.Viewers[0].Name != "Bea" || in.Viewers[0].WatchedPercent != 75 {
		t.Fatalf("viewers = %+v, want only Bea at 75%%", in.Viewers)
	}
}

func TestMergeAndCleanRanges(t *testing.T) {
	got := media.MergeRanges([][2]int64{{5, 9}, {0, 2}, {2, 4}, {8, 12}})
	want := [][2]int64{{0, 4}, {5, 12}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("MergeRanges = %v, want %v", got, want)
	}
	c, err := media.CleanRanges([][2]int64{{0, 50}, {90, 200}, {300, 400}}, 100)
	if err != nil || len(c) != 2 || c[1] != [2]int64{90, 100} {
		t.Fatalf("CleanRanges = %v, %v", c, err)
	}
	if _, err := media.CleanRanges([][2]int64{{10, 5}}, 100); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("backwards range: err = %v", err)
	}
	if got := media.WatchedPercent([][2]int64{{0, 9500}}, 10000); got != 95 {
		t.Fatalf("WatchedPercent = %d", got)
	}
}
