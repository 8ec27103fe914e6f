package media_test

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
)

var (
	idShape       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	slugShape     = regexp.MustCompile(`^[0-9A-Za-z]{22}$`)
	liveNameShape = regexp.MustCompile(`^(index\.m3u8|init\.mp4|seg-[0-9]{5,9}\.m4s)$`)
)

// checkKeyShape is what both stores demand of a key (and what keeps it
// inside a directory): relative, slash-separated, no empty, dot or
// dot-dot segments, no backslash or NUL, already clean.
func checkKeyShape(t *testing.T, key string) {
	t.Helper()
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") || path.Clean(key) != key {
		t.Fatalf("key %q is not a clean relative path", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			t.Fatalf("key %q has segment %q", key, seg)
		}
	}
}

// FuzzObjectKeys: object keys are built only from what the validators
// accept, and whatever string gets past them, the keys built from it stay
// inside that video's prefix, never climb out of a directory, and are keys
// the stores accept. Seeds are in testdata/fuzz/FuzzObjectKeys.
func FuzzObjectKeys(f *testing.F) {
	f.Add(media.NewID(), "index.m3u8", media.NewID())
	f.Add("01a20142-9a24-71bf-8fd8-8e8693785fed", "seg-00001.m4s", "../../etc/passwd")
	f.Add("01a20142-9a24-71bf-8fd8-8e8693785fe/", "seg-../../x.m4s", "01a20142-9a24-71bf-8fd8-8e8693785fed")
	f.Fuzz(func(t *testing.T, id, name, other string) {
		if media.ValidID(id) != idShape.MatchString(id) {
			t.Fatalf("ValidID(%q) = %v, disagrees with the UUID shape", id, media.ValidID(id))
		}
		if media.ValidLiveName(name) != liveNameShape.MatchString(name) {
			t.Fatalf("ValidLiveName(%q) = %v", name, media.ValidLiveName(name))
		}
		if media.ValidSlug(other) && !slugShape.MatchString(other) {
			t.Fatalf("ValidSlug(%q) accepted a non-base62 slug", other)
		}
		if !media.ValidID(id) {
			return
		}
		prefix := media.VideoPrefix(id)
		if prefix != "videos/"+id+"/" {
			t.Fatalf("VideoPrefix(%q) = %q", id, prefix)
		}
		keys := []string{media.OriginalKey(id), media.MP4Key(id), media.PosterKey(id)}
		if media.ValidLiveName(name) {
			live := media.LiveKey(id, name)
			if !strings.HasPrefix(live, media.LivePrefix(id)) || path.Base(live) != name {
				t.Fatalf("LiveKey(%q, %q) = %q", id, name, live)
			}
			keys = append(keys, live)
		}
		for _, k := range keys {
			checkKeyShape(t, k)
			if !strings.HasPrefix(k, prefix) {
				t.Fatalf("key %q outside %q", k, prefix)
			}
			// Deleting another video (DeletePrefix) must never reach it.
			if media.ValidID(other) && other != id && strings.HasPrefix(k, media.VideoPrefix(other)) {
				t.Fatalf("key %q of %s is under %s's prefix", k, id, other)
			}
		}
	})
}

// FuzzDiskStoreKeys: whatever key reaches the disk store, it either refuses
// it or writes inside its root; nothing appears beside the root.
func FuzzDiskStoreKeys(f *testing.F) {
	parent := f.TempDir()
	root := filepath.Join(parent, "objects")
	s, err := diskstore.New(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("videos/01a20142-9a24-71bf-8fd8-8e8693785fed/original")
	f.Add("../escape")
	f.Add("videos/../../escape")
	f.Add("videos/x/..")
	f.Add("/etc/passwd")
	f.Add("videos\\..\\..\\escape")
	f.Add("videos/.meta")
	f.Add("a//b")
	f.Fuzz(func(t *testing.T, key string) {
		if err := s.Put(t.Context(), key, bytes.NewReader([]byte("x")), 1, ""); err != nil {
			return
		}
		defer s.Delete(t.Context(), key)
		p := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			t.Fatalf("key %q stored at %s, outside the root", key, p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("key %q accepted but not at %s: %v", key, p, err)
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Fatalf("key %q created files beside the root: %v", key, entries)
		}
	})
}
