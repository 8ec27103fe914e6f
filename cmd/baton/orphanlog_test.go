package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestSweepsAreLogged: what a crash left behind is removed at start and by
// the first upkeep pass, and each removal is counted in the log an operator
// reads: the dead process's scratch at start, then an unfinished write of
// a video that is gone and a stray staging file in one "upkeep swept
// orphans" line. (TestCrashAnywhere proves the sweep after real kills; this
// proves the line.)
func TestSweepsAreLogged(t *testing.T) {
	dataDir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	plant := func(path string, dir bool) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		var err error
		if dir {
			err = os.Mkdir(path, 0o700)
		} else {
			err = os.WriteFile(path, []byte("left by a crash"), 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A process that died: its scratch and its lock file, nobody holding it.
	scratch := plant(filepath.Join(dataDir, "tmp", "proc-999999-deadbeef"), true)
	plant(filepath.Join(dataDir, "locks", "proc-999999-deadbeef.lock"), false)
	// Half an original of a video that no longer exists, and a staging file
	// that belongs to no upload.
	unfinished := plant(filepath.Join(dataDir, "objects", "videos", media.NewID(), ".original.tmp-4242"), false)
	stray := plant(filepath.Join(dataDir, "uploads", "stray.part"), false)

	logs := &lockedBuffer{}
	cfg := testConfig(t, dataDir, func(c *Config) { c.OrphanAge = time.Minute })
	MustStartWith(t, cfg, func(m *Main) {
		m.Log = slog.New(slog.NewJSONHandler(io.MultiWriter(logs, tbWriter{t}), &slog.HandlerOptions{Level: slog.LevelInfo}))
	})

	line := func(msg string) map[string]any {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
				return rec
			}
		}
		return nil
	}
	var swept map[string]any
	eventually(t, 10*time.Second, `no "upkeep swept orphans" line`, func() bool {
		swept = line("upkeep swept orphans")
		return swept != nil
	})
	for k, want := range map[string]float64{"unfinished_objects": 1, "staging_files": 1, "stranded_videos": 0, "scratch_dirs": 0} {
		if got, ok := swept[k].(float64); !ok || got != want {
			t.Errorf("upkeep swept orphans: %s = %v, want %v (%v)", k, swept[k], want, swept)
		}
	}
	if rec := line("removed scratch of stopped processes"); rec == nil || rec["scratch_dirs"] != float64(1) {
		t.Errorf("start-up scratch line = %v, want scratch_dirs 1", rec)
	}
	for _, p := range []string{scratch, unfinished, stray} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was not swept (%v)", p, err)
		}
	}
}
