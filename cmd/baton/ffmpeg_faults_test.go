package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestFFmpegMisbehaves runs the real server with ffmpeg replaced by
// scripts that fail in the ways ffmpeg can fail (ffprobe stays real, so
// uploads are accepted as usual). Each failure must be classified: input
// ffmpeg calls invalid fails the video at once with a readable reason; a
// crash is retried a bounded number of times and then fails with a readable
// reason; a hang is killed at the deadline and retried; an "ok" exit with no
// usable output never makes the video ready. In every case the original
// stays in the store, no job is left behind (except the hang's, which is
// waiting for its retry), and the server leaves no goroutines, processes or
// zombies once closed.
func TestFFmpegMisbehaves(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 1, "160x120")
	data := mustRead(t, src)

	tests := []struct {
		name   string
		script string
		cfg    func(*Config)
		// check runs once the server reached the expected state; it
		// returns the number of stand-in runs expected.
		check func(t *testing.T, s *testServer, v apiVideo, dir string)
	}{
		{
			name:   "invalid input",
			script: `echo "[in#0 @ 0x5] Error opening input: Invalid data found when processing input" >&2; exit 1`,
			check: func(t *testing.T, s *testServer, v apiVideo, dir string) {
				got := s.waitStatus(t, v.ID, 20*time.Second, "ready", "failed")
				if got.Status != "failed" || got.ErrorCode != media.EINVALID || got.Error != "The video data is corrupt or truncated." {
					t.Fatalf("video = %s %q %q, want failed/invalid with the hint", got.Status, got.ErrorCode, got.Error)
				}
				if n := runs(dir); n != 1 {
					t.Fatalf("ffmpeg ran %d times, want 1: invalid input is not retried", n)
				}
			},
		},
		{
			name:   "crash",
			script: `ulimit -c 0; kill -SEGV $$`,
			check: func(t *testing.T, s *testServer, v apiVideo, dir string) {
				got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed")
				want := "Processing failed after 5 attempts: The video converter crashed (segmentation fault) while working on this video."
				if got.Status != "failed" || got.ErrorCode != media.EINTERNAL || got.Error != want {
					t.Fatalf("video = %s %q %q, want failed with %q", got.Status, got.ErrorCode, got.Error, want)
				}
				if n := runs(dir); n != 5 {
					t.Fatalf("ffmpeg ran %d times, want 5 (the job's attempts)", n)
				}
			},
		},
		{
			// The hang also ignores SIGTERM, as a wedged process can: the
			// runner must escalate to SIGKILL. The backoff is long so the
			// retry is seen queued, not run.
			name:   "hang",
			script: `trap '' TERM; echo started > "$DIR/started"; exec "$DIR/hang-sleep" 600`,
			cfg: func(c *Config) {
				c.FFmpegTimeout = time.Second
				c.JobBackoff = time.Hour
			},
			check: func(t *testing.T, s *testServer, v apiVideo, dir string) {
				eventually(t, 10*time.Second, "the hanging ffmpeg never started", func() bool {
					return len(procsWith(filepath.Join(dir, "hang-sleep"))) > 0
				})
				start := time.Now()
				eventually(t, 10*time.Second, "the hanging ffmpeg was not killed", func() bool {
					return len(procsWith(filepath.Join(dir, "hang-sleep"))) == 0
				})
				// 1 s deadline, 3 s from SIGTERM to SIGKILL.
				if d := time.Since(start); d > 8*time.Second {
					t.Fatalf("hang killed after %v", d)
				}
				var jobs []media.Job
				eventually(t, 5*time.Second, "the job was not put back for a retry", func() bool {
					jobs = s.jobs(t)
					return len(jobs) == 1 && jobs[0].LeaseOwner == ""
				})
				if j := jobs[0]; j.Attempts != 1 || !strings.Contains(j.LastError, "limit and was killed") {
					t.Fatalf("job = %s, want attempt 1 recorded as a timeout", describeJobs(jobs))
				}
				var got apiVideo
				s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
				if got.Status != "processing" {
					t.Fatalf("status = %s %q, want processing (a timeout is retried)", got.Status, got.Error)
				}
			},
		},
		{
			name:   "exit 0 without output",
			script: `exit 0`,
			check: func(t *testing.T, s *testServer, v apiVideo, dir string) {
				got := s.waitStatus(t, v.ID, 20*time.Second, "ready", "failed")
				want := "The video could not be converted: nothing could be decoded."
				if got.Status != "failed" || got.ErrorCode != media.EINVALID || got.Error != want {
					t.Fatalf("video = %s %q %q, want failed with %q", got.Status, got.ErrorCode, got.Error, want)
				}
			},
		},
		{
			name: "exit 0 with an empty file",
			script: `for a; do case "$a" in *.mp4|*.jpg) : > "${a#file:}";; esac; done
exit 0`,
			check: func(t *testing.T, s *testServer, v apiVideo, dir string) {
				got := s.waitStatus(t, v.ID, 20*time.Second, "ready", "failed")
				want := "The video could not be converted: the converted file was unreadable."
				if got.Status != "failed" || got.ErrorCode != media.EINVALID || got.Error != want {
					t.Fatalf("video = %s %q %q, want failed with %q", got.Status, got.ErrorCode, got.Error, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, dir := standIn(t, tt.script)
			if tt.name == "hang" {
				// A sleep under a name of its own, so it can be found.
				mustCopyProgram(t, "sleep", filepath.Join(dir, "hang-sleep"))
			}
			http.DefaultClient.CloseIdleConnections()
			// tusd keeps one goroutine per request for 10 s after it ends
			// (Config.GracefulRequestCompletionTimeout: time for a store to
			// save a body cut off by a client); it is bounded, not a leak.
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
				goleak.IgnoreTopFunction("github.com/tus/tusd/v2/pkg/handler.newDelayedContext.func1"))

			dataDir := t.TempDir()
			s := MustStart(t, testConfig(t, dataDir, func(c *Config) {
				c.FFmpeg = script
				c.JobBackoff = 100 * time.Millisecond
				if tt.cfg != nil {
					tt.cfg(c)
				}
			}))
			v := s.MustCreateVideo(t, tt.name)
			if resp, body := uploadChunks(t, v.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("upload: %s %s", resp.Status, body)
			}
			tt.check(t, s, v, dir)

			// The original is kept whatever ffmpeg did; nothing else is
			// stored.
			if keys := s.objectKeys(t, ""); !slices.Equal(keys, []string{media.OriginalKey(v.ID)}) {
				t.Fatalf("objects = %v, want only the original", keys)
			}
			if got := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(got) != sha256Hex(data) {
				t.Fatal("stored original differs from the upload")
			}
			if tt.name != "hang" {
				if jobs := s.jobs(t); len(jobs) != 0 {
					t.Fatalf("jobs left: %s", describeJobs(jobs))
				}
			}
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			http.DefaultClient.CloseIdleConnections()
			assertNoLeftovers(t, dataDir, dir)
		})
	}
}

// mustCopyProgram copies a program from PATH under a name of its own, so
// its processes can be told apart from everyone else's.
func mustCopyProgram(tb testing.TB, program, to string) {
	tb.Helper()
	from, err := exec.LookPath(program)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, mustRead(tb, from), 0o755); err != nil {
		tb.Fatal(err)
	}
}

// TestFaststartFailureKeepsVideo: a recording converted while it uploaded
// is ready at once and then gets its MP4 rewritten with the index in front
// by a follow-up job. If ffmpeg fails that job, the video must stay ready
// with the MP4 it has: an optimisation must never fail a working video.
func TestFaststartFailureKeepsVideo(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 2, "320x240")
	data := mustRead(t, src)
	script, dir := standIn(t, `for a; do case "$a" in */in.mp4) echo fast >> "$DIR/faststart"; echo "[in#0] Invalid data found when processing input" >&2; exit 1;; esac; done
exec "$REAL_FFMPEG" "$@"`)
	dataDir := t.TempDir()
	s := MustStart(t, testConfig(t, dataDir, func(c *Config) {
		c.FFmpeg = script
		c.JobBackoff = 100 * time.Millisecond
	}))
	v := s.MustCreateVideo(t, "faststart fails")
	if resp, body := uploadChunks(t, v.UploadURL, data, 3); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("status %s %q", got.Status, got.Error)
	}
	eventually(t, 20*time.Second, "the faststart job never ran", func() bool {
		_, err := os.Stat(filepath.Join(dir, "faststart"))
		return err == nil
	})
	eventually(t, 20*time.Second, "the failed faststart job was not dropped", func() bool { return len(s.jobs(t)) == 0 })
	var got apiVideo
	s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
	if got.Status != "ready" || got.MP4URL == "" {
		t.Fatalf("after a failed faststart: %s %q %q, want still ready", got.Status, got.ErrorCode, got.Error)
	}
	assertReadyOutputs(t, s, v.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, dataDir, dir)
}
