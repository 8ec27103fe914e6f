package main

// Helpers shared by the fault and hostile-input tests (faults_*.go,
// hostile_test.go, shutdown_test.go): test inputs, stand-in ffmpeg scripts,
// tus clients that resume the way the browser recorder does, and checks for
// leaked processes and jobs.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

// MustMP4 writes an H.264/AAC MP4 of testsrc2 and a tone: what a phone or a
// screen recorder uploads. Its header states the duration, so accepting it
// needs only ffprobe, and its video is copied, not re-encoded, so
// processing it takes a fraction of a second. extra go before the output.
func MustMP4(tb testing.TB, path string, seconds float64, size string, extra ...string) {
	tb.Helper()
	d := strconv.FormatFloat(seconds, 'f', -1, 64)
	args := []string{
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30:duration=" + d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + d,
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "30",
		"-c:a", "aac", "-b:a", "64k",
	}
	args = append(args, extra...)
	MustFFmpeg(tb, append(args, path)...)
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// standIn writes an executable /bin/sh script to stand in for ffmpeg.
// Baton runs its children with an empty environment (no PATH), so the
// script names every program by absolute path; in body, $REAL_FFMPEG is the
// real ffmpeg, $SLEEP sleep, $DIR the script's own directory (for marker
// files) and $COUNT a file that gains a line per run.
func standIn(tb testing.TB, body string) (path, dir string) {
	tb.Helper()
	realFFmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Skip("ffmpeg not installed")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		tb.Fatal(err)
	}
	dir = tb.TempDir()
	path = filepath.Join(dir, "ffmpeg")
	script := "#!/bin/sh\n" +
		"REAL_FFMPEG=" + shellQuote(realFFmpeg) + "\n" +
		"SLEEP=" + shellQuote(sleep) + "\n" +
		"DIR=" + shellQuote(dir) + "\n" +
		"COUNT=" + shellQuote(filepath.Join(dir, "count")) + "\n" +
		"echo run >> \"$COUNT\"\n" +
		body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	return path, dir
}

// runs counts how often a stand-in ran.
func runs(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "count"))
	return strings.Count(string(b), "run\n")
}

// eventually polls cond until it holds or timeout passes.
func eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// procsWith lists running processes other than this one whose command line
// contains s.
func procsWith(s string) []string {
	var out []string
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	self := strconv.Itoa(os.Getpid())
	for _, p := range paths {
		if filepath.Base(filepath.Dir(p)) == self {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
		if strings.Contains(cmd, s) {
			out = append(out, filepath.Base(filepath.Dir(p))+": "+cmd)
		}
	}
	return out
}

// zombies lists this process's children that exited but were never waited
// for.
func zombies() []string {
	var out []string
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 2 && f[0] == "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			out = append(out, strings.TrimSpace(s[:i+1]))
		}
	}
	return out
}

// assertNoLeftovers checks what a finished test must not leave: stand-in or
// ffmpeg processes working on dataDir (or running a script from standInDir),
// zombies, or files in the temp and staging directories.
func assertNoLeftovers(tb testing.TB, dataDir string, standInDirs ...string) {
	tb.Helper()
	var procs []string
	procs = append(procs, ffmpegChildren(dataDir)...)
	for _, d := range standInDirs {
		procs = append(procs, procsWith(d)...)
	}
	if len(procs) > 0 {
		tb.Errorf("processes left running: %v", procs)
	}
	if z := zombies(); len(z) > 0 {
		tb.Errorf("zombie children: %v", z)
	}
	for _, sub := range []string{"tmp", "uploads"} {
		if left := listFiles(tb, filepath.Join(dataDir, sub)); len(left) != 0 {
			tb.Errorf("files left in %s: %v", sub, left)
		}
	}
}

// jobsIn reads the job table of a data dir whose server may be stopped.
func jobsIn(tb testing.TB, dataDir string) []media.Job {
	tb.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(dataDir, "baton.db"), nil)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	defer db.Close()
	jobs, err := db.Jobs(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return jobs
}

func (s *testServer) jobs(tb testing.TB) []media.Job {
	tb.Helper()
	jobs, err := s.DB.Jobs(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return jobs
}

// headUpload asks for an upload's offset. length is "" while deferred.
func headUpload(tb testing.TB, url string) (status int, offset int64, length string) {
	tb.Helper()
	req, _ := http.NewRequest("HEAD", url, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("HEAD: %v", err)
	}
	resp.Body.Close()
	offset, _ = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return resp.StatusCode, offset, resp.Header.Get("Upload-Length")
}

// resumeUpload finishes an upload the way the browser recorder does after
// an interruption: it asks for the offset, sends the rest in chunks of
// about chunk bytes, and declares the length on the last one (even if an
// earlier, cut-off request had declared it already). It returns the last
// response.
func resumeUpload(tb testing.TB, url string, data []byte, chunk int) (*http.Response, []byte) {
	tb.Helper()
	status, off, _ := headUpload(tb, url)
	if status != http.StatusOK {
		tb.Fatalf("HEAD before resuming = %d", status)
	}
	if off > int64(len(data)) {
		tb.Fatalf("server has %d bytes of a %d-byte upload", off, len(data))
	}
	for {
		end := min(off+int64(chunk), int64(len(data)))
		length := int64(-1)
		if end == int64(len(data)) {
			length = int64(len(data))
		}
		resp, body := patch(tb, url, off, data[off:end], length)
		if length >= 0 || resp.StatusCode != http.StatusNoContent {
			return resp, body
		}
		off = end
	}
}

// openPatch is a PATCH whose body is still being sent.
type openPatch struct {
	w    *io.PipeWriter
	done chan patchResult
}

type patchResult struct {
	status int
	offset int64
	body   string
	err    error
}

// startPatch begins a PATCH of n bytes at offset whose body the test writes
// through p.w, as a slow network would deliver it. length >= 0 declares the
// upload length.
func startPatch(url string, offset, n, length int64) *openPatch {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PATCH", url, pr)
	req.ContentLength = n
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	}
	p := &openPatch{w: pw, done: make(chan patchResult, 1)}
	go func() {
		// Its own transport, so a connection the test breaks on purpose is
		// never reused by the other requests.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			p.done <- patchResult{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		off, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		p.done <- patchResult{status: resp.StatusCode, offset: off, body: string(b)}
	}()
	return p
}

func (p *openPatch) result(tb testing.TB, timeout time.Duration) patchResult {
	tb.Helper()
	select {
	case r := <-p.done:
		return r
	case <-time.After(timeout):
		tb.Fatalf("PATCH still running after %v", timeout)
		return patchResult{}
	}
}

// stagedSize is how many bytes of a video's upload are on disk.
func stagedSize(dataDir, id string) int64 {
	st, err := os.Stat(filepath.Join(dataDir, "uploads", id))
	if err != nil {
		return -1
	}
	return st.Size()
}

// readObject reads an object from the store.
func (s *testServer) readObject(tb testing.TB, key string) []byte {
	tb.Helper()
	b, err := s.Blobs.Open(context.Background(), key)
	if err != nil {
		tb.Fatalf("open %s: %v", key, err)
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	return data
}

func describeJobs(jobs []media.Job) string {
	var parts []string
	for _, j := range jobs {
		parts = append(parts, fmt.Sprintf("{video %s attempts %d owner %q last %q}", j.VideoID, j.Attempts, j.LeaseOwner, j.LastError))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
