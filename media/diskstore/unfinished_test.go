package diskstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestUnfinished: the temp file of a writer that was never committed (its
// process died) is listed with the key it was for, and removed by
// RemoveUnfinished; objects and their sidecars never are.
func TestUnfinished(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	if err := s.Put(ctx, "videos/v1/video.mp4", strings.NewReader("done"), 4, "video/mp4"); err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(ctx, "videos/v1/original", "video/x-matroska")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(mediatest.Pattern(1, 1000)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Unfinished(ctx, "")
	if err != nil || len(got) != 1 || got[0].Key != "videos/v1/original" || time.Since(got[0].ModTime) > time.Minute {
		t.Fatalf("Unfinished = %+v, %v; want the open writer's temp file", got, err)
	}
	if err := s.RemoveUnfinished(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Unfinished(ctx, ""); len(got) != 0 {
		t.Fatalf("after removal: %+v", got)
	}
	for _, bad := range []string{"videos/v1/video.mp4", "videos/v1/.video.mp4.ct", "../x/.a.tmp-1"} {
		if err := s.RemoveUnfinished(ctx, media.Unfinished{ID: bad}); media.ErrorCode(err) != media.EINVALID {
			t.Errorf("RemoveUnfinished(%q) = %v, want EINVALID", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "videos/v1/video.mp4")); err != nil {
		t.Fatalf("the object went: %v", err)
	}
	_ = w.Abort(ctx)
}
