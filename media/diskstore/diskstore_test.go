package diskstore_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/mediatest"
)

func TestBlobStoreContract(t *testing.T) {
	mediatest.TestBlobStore(t, func(t *testing.T) media.BlobStore {
		s, dir := newStore(t)
		// Whatever a subtest did, it must not leave temp files behind.
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

func newStore(tb testing.TB) (*diskstore.Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	s, err := diskstore.New(dir)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s, dir
}

// files lists every file and directory under dir, relative, slash-separated.
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil && p != dir && errors.Is(err, fs.ErrNotExist) {
			// Pruned between listing its parent and reading it: tests poll
			// while a cancelled writer cleans up.
			return nil
		}
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func TestLayoutIsPlainFiles(t *testing.T) {
	s, dir := newStore(t)
	data := mediatest.Pattern(1, 100)
	mediatest.MustPut(t, s, "videos/v1/original", data, "video/webm")

	// The object is an ordinary file an operator can copy or inspect.
	got, err := os.ReadFile(filepath.Join(dir, "videos", "v1", "original"))
	if err != nil || string(got) != string(data) {
		t.Fatalf("object file = %d bytes, %v; want the %d put", len(got), err, len(data))
	}
	p, err := s.Path("videos/v1/original")
	if err != nil || p != filepath.Join(dir, "videos", "v1", "original") {
		t.Fatalf("Path = %q, %v", p, err)
	}
	if _, err := s.Path("videos/v1/none"); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("Path(missing) = %v, want code %s", err, media.ENOTFOUND)
	}
	if _, err := s.Path("../x"); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("Path(../x) = %v, want code %s", err, media.EINVALID)
	}
}

func TestContentTypeWithoutSidecarFromExtension(t *testing.T) {
	s, dir := newStore(t)
	// A file copied into the tree by hand has no sidecar.
	if err := os.MkdirAll(filepath.Join(dir, "videos", "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"video.mp4": "video/mp4", "blob": "application/octet-stream"} {
		if err := os.WriteFile(filepath.Join(dir, "videos", "v1", name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := s.Stat(t.Context(), "videos/v1/"+name)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got := info.ContentType; got != want {
			t.Errorf("%s: ContentType = %q, want %q", name, got, want)
		}
	}
}

func TestDeleteRemovesEmptyDirectories(t *testing.T) {
	s, dir := newStore(t)
	ctx := t.Context()
	for _, k := range []string{"videos/v1/original", "videos/v1/hls/0/seg.m4s", "videos/v2/original"} {
		mediatest.MustPut(t, s, k, []byte("x"), "")
	}
	if err := s.DeletePrefix(ctx, "videos/v1/"); err != nil {
		t.Fatalf("DeletePrefix: %v", err)
	}
	if got, want := strings.Join(files(t, dir), " "), "videos/ videos/v2/ videos/v2/.original.ct videos/v2/original"; got != want {
		t.Fatalf("after DeletePrefix(videos/v1/): %s\nwant %s", got, want)
	}
	if err := s.Delete(ctx, "videos/v2/original"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// The root itself stays: it is the store.
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("after deleting every object: %q, want an empty root", got)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("root: %v", err)
	}

	// A non-directory prefix takes the sidecars and stray temp files of
	// the objects it covers, and nothing of their neighbours.
	mediatest.MustPut(t, s, "videos/v3/thumb.jpg", []byte("x"), "image/jpeg")
	mediatest.MustPut(t, s, "videos/v3/tile.jpg", []byte("x"), "image/jpeg")
	if err := os.WriteFile(filepath.Join(dir, "videos", "v3", ".thumb.jpg.tmp-123"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePrefix(ctx, "videos/v3/th"); err != nil {
		t.Fatalf("DeletePrefix(videos/v3/th): %v", err)
	}
	if got, want := strings.Join(files(t, dir), " "), "videos/ videos/v3/ videos/v3/.tile.jpg.ct videos/v3/tile.jpg"; got != want {
		t.Fatalf("after DeletePrefix(videos/v3/th): %s\nwant %s", got, want)
	}
	// A "directory prefix" naming a file is not that file.
	if err := s.DeletePrefix(ctx, "videos/v3/tile.jpg/"); err != nil {
		t.Fatalf("DeletePrefix(videos/v3/tile.jpg/): %v", err)
	}
	if _, err := s.Stat(ctx, "videos/v3/tile.jpg"); err != nil {
		t.Fatalf("Stat after DeletePrefix(videos/v3/tile.jpg/): %v", err)
	}
}

// Delete prunes directories it empties while Put may be creating files in
// them; Put must win that race every time rather than fail.
func TestPutRacesDeletePruning(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				key := "videos/race/" + string(rune('a'+w))
				if err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); err != nil {
					t.Errorf("Put #%d: %v", i, err)
					return
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Errorf("Delete #%d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCancelledContext(t *testing.T) {
	s, dir := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "videos/v1/original", strings.NewReader("x"), 1, ""); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files after cancelled Put: %q", got)
	}
}

func TestNewRefusesAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := diskstore.New(f); err == nil {
		t.Fatal("New on a regular file succeeded")
	}
	if _, err := diskstore.New(""); err == nil {
		t.Fatal(`New("") succeeded`)
	}
}
