package diskstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

func TestStreamingBlobStoreContract(t *testing.T) {
	mediatest.TestStreamingBlobStore(t, func(t *testing.T) media.StreamingBlobStore {
		s, dir := newStore(t)
		t.Cleanup(func() {
			for _, f := range files(t, dir) {
				if strings.Contains(f, ".tmp-") {
					t.Errorf("temp file left behind: %s", f)
				}
			}
		})
		return s
	})
}

// The bytes go to a hidden temp file beside the object, which List and
// Stat do not see; Abort removes it and the directories made for it.
func TestWriterTempFile(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	mediatest.MustPut(t, s, "videos/v1/poster.jpg", []byte("x"), "image/jpeg")
	w, err := s.Create(ctx, "videos/v2/video.mp4", "video/mp4")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(mediatest.Pattern(1, 1000)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := strings.Join(files(t, dir), " ")
	if !strings.Contains(got, "videos/v2/.video.mp4.tmp-") {
		t.Fatalf("files while writing: %s; want a temp file in videos/v2/", got)
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if got, want := strings.Join(files(t, dir), " "), "videos/ videos/v1/ videos/v1/.poster.jpg.ct videos/v1/poster.jpg"; got != want {
		t.Fatalf("files after Abort: %s\nwant %s", got, want)
	}
}

// A cancelled context discards the object even if the writer is never
// touched again.
func TestWriterCancelRemovesTempFile(t *testing.T) {
	s, dir := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "videos/v1/video.mp4", "video/mp4")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(mediatest.Pattern(2, 1000)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for len(files(t, dir)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("files 2s after the cancel: %q", files(t, dir))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := w.Abort(t.Context()); err != nil {
		t.Fatalf("Abort: %v", err)
	}
}

// The video is deleted while it is still being recorded: Commit fails
// rather than resurrect it, and Abort is still clean.
func TestWriterPrefixDeletedUnderIt(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	w, err := s.Create(ctx, "videos/v1/video.mp4", "video/mp4")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.DeletePrefix(ctx, "videos/v1/"); err != nil {
		t.Fatalf("DeletePrefix: %v", err)
	}
	if err := w.Commit(ctx); err == nil {
		t.Fatal("Commit after the prefix was deleted succeeded")
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files: %q, want none", got)
	}
}
