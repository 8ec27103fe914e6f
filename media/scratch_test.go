package media_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestScratchOwnership: a sweep removes scratch whose owner is gone (its
// lock file can be taken), never a running owner's, and old ownerless
// directories of earlier versions.
func TestScratchOwnership(t *testing.T) {
	root, locks := t.TempDir(), t.TempDir()
	running, err := media.OpenScratch(root, locks)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if err := os.WriteFile(filepath.Join(running.Dir(), "in-use"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A process that died: its lock file and directory, nobody holding it.
	dead := filepath.Join(root, "proc-999999-deadbeef")
	if err := os.MkdirAll(filepath.Join(dead, "job-1-x"), 0o700); err != nil {
		t.Fatal(err)
	}
	deadLock := filepath.Join(locks, "proc-999999-deadbeef.lock")
	if err := os.WriteFile(deadLock, []byte("pid 999999 started 2026-01-01T00:00:00Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// What an older version left: no owner, old.
	legacy := filepath.Join(root, "job-7-abc")
	if err := os.Mkdir(legacy, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(legacy, old, old)

	// A process that died as it closed: its directory, no lock file.
	closing := filepath.Join(root, "proc-999998-cafecafe")
	if err := os.Mkdir(closing, 0o700); err != nil {
		t.Fatal(err)
	}
	other, err := media.OpenScratch(root, locks)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if n := other.Sweep(time.Hour); n != 3 {
		t.Fatalf("swept %d, want the two dead processes' and the legacy directory", n)
	}
	for _, p := range []string{dead, deadLock, closing, legacy} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the sweep", p)
		}
	}
	if _, err := os.Stat(filepath.Join(running.Dir(), "in-use")); err != nil {
		t.Fatalf("a running owner's scratch was touched: %v", err)
	}
	if err := running.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(root, "proc-*")); len(left) != 1 {
		t.Fatalf("after Close: %v, want only the other process's directory", left)
	}
	if left, _ := filepath.Glob(filepath.Join(locks, "proc-*")); len(left) != 1 {
		t.Fatalf("after Close: locks %v, want only the other process's", left)
	}
	if left, _ := os.ReadDir(root); len(left) != 1 {
		t.Fatalf("scratch root holds %d entries, want the one directory (no files)", len(left))
	}
}

// TestLockFileNamesHolder: a second taker of a lock is refused with the
// holder's pid and start time; after Release it can take it.
func TestLockFileNamesHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "baton.lock")
	l, err := media.LockFile(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = media.LockFile(p)
	if media.ErrorCode(err) != media.ECONFLICT || !strings.Contains(media.ErrorMessage(err), "process ") ||
		!strings.Contains(media.ErrorMessage(err), "(started ") {
		t.Fatalf("second lock: %v, want a conflict naming the holder", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := media.LockFile(p)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}
