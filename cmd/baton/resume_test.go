package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestProcessingResumesAfterStop: the server is stopped while ffmpeg is
// working. The job goes back to the queue (not lost, not stuck), no ffmpeg
// survives, and after a restart on the same data the video ends ready once,
// with exactly its outputs.
func TestProcessingResumesAfterStop(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	// An MP4 whose video must be re-encoded: a processing job takes it
	// (recordings are converted while they upload), and long enough to be
	// caught in ffmpeg.
	src := filepath.Join(t.TempDir(), "long.mp4")
	mediatest.MustMP4(t, src, 12, "640x360", "-pix_fmt", "yuv444p")
	data, _ := os.ReadFile(src)
	dataDir := t.TempDir()
	cfg := testConfig(t, dataDir, nil)

	s := MustStart(t, cfg)
	v := s.MustCreateVideo(t, "interrupted")
	if resp, body := uploadChunks(t, v.UploadURL, data, 3); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	waitForFFmpeg(t, dataDir)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if left := ffmpegChildren(dataDir); len(left) != 0 {
		t.Fatalf("ffmpeg survived shutdown: %v", left)
	}
	if left := listFiles(t, filepath.Join(dataDir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left after shutdown: %v", left)
	}

	s2 := MustStart(t, cfg)
	got := s2.waitStatus(t, v.ID, 90*time.Second, "ready", "failed")
	if got.Status != "ready" {
		t.Fatalf("after restart: %s %q", got.Status, got.Error)
	}
	assertOutputsOnce(t, s2, v.ID)
}

// TestProcessingResumesAfterKill: the real binary is SIGKILLed mid-ffmpeg.
// Its lease expires, the restarted server reaps and retries the job, and the
// video ends ready once; the killed process's ffmpeg dies with it and its
// scratch files are cleaned up.
func TestProcessingResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	bin := buildBaton(t)
	// An MP4 whose video must be re-encoded: a processing job takes it
	// (recordings are converted while they upload), and long enough to be
	// caught in ffmpeg.
	src := filepath.Join(t.TempDir(), "long.mp4")
	mediatest.MustMP4(t, src, 12, "640x360", "-pix_fmt", "yuv444p")
	data, _ := os.ReadFile(src)
	dataDir := t.TempDir()

	p := startProcess(t, bin, dataDir)
	s := &testServer{URL: p.url, DataDir: dataDir}
	v := s.MustCreateVideo(t, "killed")
	if resp, body := uploadChunks(t, v.UploadURL, data, 3); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	waitForFFmpeg(t, dataDir)
	p.kill(t)
	deadline := time.Now().Add(5 * time.Second)
	for len(ffmpegChildren(dataDir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if left := ffmpegChildren(dataDir); len(left) != 0 {
		t.Fatalf("ffmpeg outlived its killed parent: %v", left)
	}

	p2 := startProcess(t, bin, dataDir)
	s2 := &testServer{URL: p2.url, DataDir: dataDir}
	got := s2.waitStatus(t, v.ID, 120*time.Second, "ready", "failed")
	if got.Status != "ready" {
		t.Fatalf("after restart: %s %q", got.Status, got.Error)
	}
	p2.stop(t)
	if jobs := jobsIn(t, dataDir); len(jobs) != 0 {
		t.Fatalf("jobs left: %s", describeJobs(jobs))
	}
	if left := listFiles(t, filepath.Join(dataDir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	var objs []string
	for _, f := range listFiles(t, filepath.Join(dataDir, "objects")) {
		if !strings.HasPrefix(filepath.Base(f), ".") { // the disk store's metadata sidecars
			objs = append(objs, f)
		}
	}
	slices.Sort(objs)
	want := []string{media.OriginalKey(v.ID), media.PosterKey(v.ID), media.MP4Key(v.ID)}
	slices.Sort(want)
	if !slices.Equal(objs, want) {
		t.Fatalf("objects = %v, want %v", objs, want)
	}
}

func assertOutputsOnce(t *testing.T, s *testServer, id string) {
	t.Helper()
	keys := s.objectKeys(t, media.VideoPrefix(id))
	want := []string{media.OriginalKey(id), media.PosterKey(id), media.MP4Key(id)}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("objects = %v, want %v", keys, want)
	}
	if n, err := s.DB.ActiveJobs(t.Context()); err != nil || n != 0 {
		t.Fatalf("active jobs = %d (%v), want 0", n, err)
	}
}

// waitForFFmpeg waits until an ffmpeg of this data dir runs.
func waitForFFmpeg(t *testing.T, dataDir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range ffmpegChildren(dataDir) {
			if !strings.Contains(p, "ffprobe") {
				time.Sleep(300 * time.Millisecond) // let it get going
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("ffmpeg never started")
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildBaton compiles the real binary once per test run.
func buildBaton(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "baton-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "baton")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type process struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProcess runs `baton serve` on a free port with a short job lease.
func startProcess(t *testing.T, bin, dataDir string, extraEnv ...string) *process {
	t.Helper()
	addr := freeAddr(t)
	provisionDataDir(t, dataDir) // the harness signs in as its admin
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+dataDir,
		"BATON_WORKERS=1", "BATON_JOB_LEASE=2s", "BATON_LOG_LEVEL=warn",
		// As testConfig: no follow-up jobs (transcripts, thumbnails) unless
		// a test asks for them, so "no job left" means the video's own.
		"BATON_TRANSCRIBE=off", "BATON_THUMBNAILS=false")
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout = tbWriter{t}
	cmd.Stderr = tbWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(t) })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(p.url + "/healthz"); err == nil {
			r.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatal("baton exited during start")
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("baton did not start")
	return nil
}

func (p *process) kill(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *process) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("baton did not stop on SIGTERM")
	}
}
