package main

// Helpers shared by the fault and hostile-input tests (faults_*.go,
// hostile_test.go, shutdown_test.go): test inputs, stand-in ffmpeg scripts,
// tus clients that resume the way the browser recorder does, and checks for
// leaked processes and jobs.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/s3store"
)

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
// files) and $COUNT a file that gains a line per run (poster grabs aside).
func standIn(tb testing.TB, body string) (path, dir string) {
	tb.Helper()
	requireFFmpeg(tb) // fails under CI=true, skips elsewhere
	realFFmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Fatal(err)
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
		// Only the encoder's runs count: the poster (one frame, cut while
		// the encoder runs) is a helper of the same attempt.
		"case \" $* \" in *\" -frames:v 1 \"*) ;; *) echo run >> \"$COUNT\";; esac\n" +
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
	authorize(req)
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
	authorize(req)
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

// attach returns a testServer for a server in another process, reading its
// database and object store directly for the checks.
func attach(tb testing.TB, url, dataDir string, blobs media.BlobStore) *testServer {
	tb.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(dataDir, "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if blobs == nil {
		if blobs, err = diskstore.New(filepath.Join(dataDir, "objects")); err != nil {
			tb.Fatal(err)
		}
	}
	return &testServer{Main: &Main{DB: db, Blobs: blobs}, URL: url, DataDir: dataDir}
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

// assertReadyOutputs checks a ready video's objects: the original, the MP4,
// the poster and, for a recording processed while it uploaded, its live
// HLS rendition (kept so players still on it can reach its end), and
// nothing else; and that no job is left for it.
func assertReadyOutputs(tb testing.TB, s *testServer, id string) {
	tb.Helper()
	// A video made ready while it uploaded gets a follow-up job (faststart);
	// whatever jobs a ready video has must finish.
	var left []media.Job
	deadline := time.Now().Add(30 * time.Second)
	for {
		left = left[:0]
		for _, j := range s.jobs(tb) {
			if j.VideoID == id {
				left = append(left, j)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) != 0 {
		tb.Errorf("jobs left for a ready video: %s", describeJobs(left))
	}
	want := map[string]bool{media.OriginalKey(id): false, media.MP4Key(id): false, media.PosterKey(id): false}
	for _, k := range s.objectKeys(tb, media.VideoPrefix(id)) {
		if _, ok := want[k]; ok {
			want[k] = true
			continue
		}
		if name, ok := strings.CutPrefix(k, media.LivePrefix(id)); ok && media.ValidLiveName(name) {
			continue
		}
		tb.Errorf("stray object %s", k)
	}
	for k, seen := range want {
		if !seen {
			tb.Errorf("missing object %s", k)
		}
	}
}

func describeJobs(jobs []media.Job) string {
	var parts []string
	for _, j := range jobs {
		parts = append(parts, fmt.Sprintf("{video %s attempts %d owner %q last %q}", j.VideoID, j.Attempts, j.LeaseOwner, j.LastError))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestStaleUploadsExpire: uploads idle past BATON_UPLOAD_EXPIRY are removed
// by upkeep — their staged bytes, the live session a recording had started
// (its ffmpeg, scratch files and half-written objects) — and the video
// fails with a clear reason; a later HEAD or PATCH gets 410 "expired". An
// upload that is still moving is left alone and finishes.
func TestStaleUploadsExpire(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.webm")
	mediatest.MustWebM(t, rec, 3, "320x240")
	recData := mustRead(t, rec)
	clip := filepath.Join(dir, "clip.mp4")
	mediatest.MustMP4(t, clip, 1, "160x120")
	clipData := mustRead(t, clip)

	dataDir := t.TempDir()
	s := MustStart(t, testConfig(t, dataDir, func(c *Config) { c.UploadExpiry = time.Minute }))
	recording := s.MustCreateVideo(t, "abandoned recording")
	untouched := s.MustCreateVideo(t, "never uploaded")
	active := s.MustCreateVideo(t, "still uploading")

	half := int64(len(recData) / 2)
	if resp, body := patch(t, recording.UploadURL, 0, recData[:half], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	if resp, body := patch(t, active.UploadURL, 0, clipData[:100], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	// The recording is being transcoded while it uploads.
	eventually(t, 10*time.Second, "no live session started", func() bool { return s.Service.Live.Active(recording.ID) })

	old := time.Now().Add(-2 * time.Minute)
	for _, id := range []string{recording.ID, untouched.ID} {
		if err := os.Chtimes(filepath.Join(dataDir, "uploads", id), old, old); err != nil {
			t.Fatal(err)
		}
	}
	s.Server.SweepUploads(t.Context())

	const reason = "The upload expired before it was finished."
	for _, v := range []apiVideo{recording, untouched} {
		var got apiVideo
		s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
		if got.Status != "failed" || got.ErrorCode != media.EGONE || got.Error != reason || got.UploadURL != "" {
			t.Fatalf("%s: %s %q %q upload %q, want failed/expired", v.Title, got.Status, got.ErrorCode, got.Error, got.UploadURL)
		}
		if status, _, _ := headUpload(t, v.UploadURL); status != http.StatusGone {
			t.Fatalf("%s: HEAD = %d, want 410", v.Title, status)
		}
		resp, body := patch(t, v.UploadURL, 0, []byte("late"), -1)
		var e apiErr
		if resp.StatusCode != http.StatusGone || json.Unmarshal(body, &e) != nil || e.Error.Code != media.EGONE || e.Error.Message != reason {
			t.Fatalf("%s: late PATCH = %s %s, want 410 expired", v.Title, resp.Status, body)
		}
	}
	if s.Service.Live.Active(recording.ID) {
		t.Fatal("the expired recording's live session is still running")
	}
	eventually(t, 10*time.Second, "the live ffmpeg of the expired recording still runs", func() bool {
		return len(ffmpegChildren(dataDir)) == 0
	})
	if left := listFiles(t, filepath.Join(dataDir, "tmp")); len(left) != 0 {
		t.Fatalf("scratch files of the expired session: %v", left)
	}
	if left := listFiles(t, filepath.Join(dataDir, "objects")); len(left) != 0 {
		t.Fatalf("objects of the expired session: %v", left)
	}
	if left := listFiles(t, filepath.Join(dataDir, "uploads")); !slices.Equal(left, []string{active.ID, active.ID + ".info"}) {
		t.Fatalf("staging = %v, want only the active upload", left)
	}

	// The active upload was not touched and can finish.
	if resp, body := resumeUpload(t, active.UploadURL, clipData, len(clipData)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("finish the active upload: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, active.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("active upload: %s %s", got.Status, got.Error)
	}
	assertReadyOutputs(t, s, active.ID)
	// An expired video can still be deleted.
	if resp := s.do(t, "DELETE", "/api/videos/"+recording.ID, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete expired: %s", resp.Status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, dataDir)
}

// TestObjectStoreOutage stops MinIO while one video is being processed and
// another finishes uploading, then starts it again. The upload's final
// PATCH fails fast with a retryable 503 "unavailable" (no hang) and leaves
// the upload complete in staging; /readyz says the object store is down;
// the processing job waits with backoff without using up its attempts.
// When the store is back, the client's retried HEAD hands the upload off,
// and both videos end ready with exactly their outputs.
func TestObjectStoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	mediatest.MustMP4(t, clip, 1, "160x120")
	data := mustRead(t, clip)
	// ffmpeg waits at a gate, so the store can be stopped while a job is
	// certainly mid-processing.
	script, sdir := standIn(t, `while [ -e "$DIR/gate" ]; do "$SLEEP" 0.05; done; exec "$REAL_FFMPEG" "$@"`)
	gate := filepath.Join(sdir, "gate")
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	dataDir := t.TempDir()
	var minio mediatest.MinIO
	s := MustStart(t, testConfig(t, dataDir, func(c *Config) {
		minio = withMinIO(t, c)
		c.FFmpeg = script
		c.JobBackoff = 100 * time.Millisecond
	}))

	processing := s.MustCreateVideo(t, "processing during the outage")
	if resp, body := uploadChunks(t, processing.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	eventually(t, 10*time.Second, "ffmpeg never reached the gate", func() bool { return runs(sdir) > 0 })

	minio.Stop()

	// readyz names the store, quickly.
	start := time.Now()
	var ready struct {
		Ready  bool
		Checks map[string]string
	}
	if resp := s.do(t, "GET", "/readyz", nil, &ready); resp.StatusCode != http.StatusServiceUnavailable ||
		ready.Ready || ready.Checks["objectStore"] == "ok" || ready.Checks["objectStore"] == "" || ready.Checks["database"] != "ok" {
		t.Fatalf("readyz = %s %+v, want 503 naming the object store", resp.Status, ready)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("readyz took %v", d)
	}

	// An upload during the outage: chunks land in staging as usual; the
	// final one cannot store the original and says so at once.
	uploading := s.MustCreateVideo(t, "uploaded during the outage")
	half := len(data) / 2
	if resp, body := patch(t, uploading.UploadURL, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH during outage: %s %s", resp.Status, body)
	}
	start = time.Now()
	resp, body := patch(t, uploading.UploadURL, int64(half), data[half:], int64(len(data)))
	var e apiErr
	if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Error.Code != media.EUNAVAILABLE || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("final PATCH during outage = %s %s (Retry-After %q), want 503 unavailable", resp.Status, body, resp.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("final PATCH took %v to fail; want a prompt answer", d)
	}
	if status, _, _ := headUpload(t, uploading.UploadURL); status != http.StatusServiceUnavailable {
		t.Fatalf("HEAD during outage = %d, want 503 (the hand-off is retried and fails)", status)
	}
	var got apiVideo
	s.do(t, "GET", "/api/videos/"+uploading.ID, nil, &got)
	if got.Status != "uploading" || got.UploadedBytes > int64(len(data)) {
		t.Fatalf("video uploaded during outage = %s %q, want still uploading", got.Status, got.Error)
	}
	if n := stagedSize(dataDir, uploading.ID); n != int64(len(data)) {
		t.Fatalf("staged %d bytes, want the whole upload kept", n)
	}

	// The job finishes ffmpeg, cannot store the outputs, and waits.
	if err := os.Remove(gate); err != nil {
		t.Fatal(err)
	}
	var jobs []media.Job
	// First it cannot store the MP4; then retries cannot even fetch the
	// original: that failure on record proves it ran again.
	eventually(t, 15*time.Second, "the job never retried", func() bool {
		jobs = s.jobs(t)
		return len(jobs) == 1 && jobs[0].LeaseOwner == "" && strings.Contains(jobs[0].LastError, "/original")
	})
	if j := jobs[0]; j.Attempts != 0 || !strings.Contains(j.LastError, "unavailable") {
		t.Fatalf("job = %s, want waiting for the store without spending attempts", describeJobs(jobs))
	}
	s.do(t, "GET", "/api/videos/"+processing.ID, nil, &got)
	if got.Status != "processing" {
		t.Fatalf("video processing during outage = %s %q, want still processing", got.Status, got.Error)
	}

	minio.Start()
	eventually(t, 10*time.Second, "readyz never recovered", func() bool {
		return s.do(t, "GET", "/readyz", nil, nil).StatusCode == http.StatusOK
	})
	// The client's retry: HEAD hands the complete upload off and says so.
	status, off, length := headUpload(t, uploading.UploadURL)
	if status != http.StatusOK || off != int64(len(data)) || length != strconv.Itoa(len(data)) {
		t.Fatalf("HEAD after outage = %d %d/%s", status, off, length)
	}
	for _, v := range []apiVideo{processing, uploading} {
		if got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("%s: %s %q", v.Title, got.Status, got.Error)
		}
		assertReadyOutputs(t, s, v.ID)
		if stored := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(stored) != sha256Hex(data) {
			t.Fatalf("%s: stored original differs from the upload", v.Title)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, dataDir, sdir)
}

// mustMountTmpfs mounts a tmpfs of size (e.g. "2m") on dir, to make a disk
// that fills up. Tests run as root in CI; elsewhere they are skipped if
// mounting is not allowed.
func mustMountTmpfs(tb testing.TB, dir, size string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0750", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs (needs root): %v %s", err, out)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() {
		if exec.Command("umount", dir).Run() != nil {
			// Busy: a failed test's server may still hold files there.
			if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
				tb.Errorf("umount %s: %v %s", dir, err, out)
			}
		}
	})
}

func resizeTmpfs(tb testing.TB, dir, size string) {
	tb.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		tb.Fatalf("remount %s: %v %s", dir, err, out)
	}
}

// TestDiskFull fills the disk under upload staging, then under processing
// scratch space. A chunk that does not fit is refused with 507
// "insufficient_storage" in our JSON shape, the bytes that did fit stay a
// correct prefix of the upload, other requests are still served (creating
// a video fails cleanly with the same 507 and leaves nothing behind), and
// once space is back the upload resumes and the video ends ready. A job
// that runs out of scratch space waits without using up its attempts.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 2, "640x360", "-qp", "10")
	data := mustRead(t, src)
	n := int64(len(data)) // about 850 KB
	// A disk with room for the upload twice over, in whole pages.
	disk := (2*n/4096 + 1) * 4096

	t.Run("staging", func(t *testing.T) {
		dataDir := t.TempDir()
		staging := filepath.Join(dataDir, "uploads")
		mustMountTmpfs(t, staging, strconv.FormatInt(disk, 10))
		s := MustStart(t, testConfig(t, dataDir, nil))
		v := s.MustCreateVideo(t, "too big for the disk")
		// Leave about half the upload's worth of room.
		filler := filepath.Join(staging, "filler")
		if err := os.WriteFile(filler, make([]byte, disk-n/2), 0o600); err != nil {
			t.Fatal(err)
		}
		first := n / 4
		if resp, body := patch(t, v.UploadURL, 0, data[:first], -1); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("first chunk: %s %s", resp.Status, body)
		}
		// The last chunk declares the length and does not fit.
		resp, body := patch(t, v.UploadURL, first, data[first:], n)
		var e apiErr
		if resp.StatusCode != http.StatusInsufficientStorage || json.Unmarshal(body, &e) != nil || e.Error.Code != media.ENOSPACE || e.Error.Message == "" {
			t.Fatalf("chunk past a full disk = %s %s, want 507 insufficient_storage", resp.Status, body)
		}
		status, off, _ := headUpload(t, v.UploadURL)
		if status != http.StatusOK || off < first || off >= n {
			t.Fatalf("HEAD on a full disk = %d offset %d", status, off)
		}
		if got := mustRead(t, filepath.Join(staging, v.ID)); !bytes.Equal(got, data[:len(got)]) {
			t.Fatal("the bytes that fit are not the upload's")
		}

		// Everything else still works; a new video cannot get staging
		// space and says so, leaving nothing behind.
		if resp := s.do(t, "GET", "/healthz", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz on a full disk: %s", resp.Status)
		}
		var list struct{ Videos []apiVideo }
		if resp := s.do(t, "GET", "/api/videos", nil, &list); resp.StatusCode != http.StatusOK || len(list.Videos) != 1 {
			t.Fatalf("list on a full disk: %s, %d videos", resp.Status, len(list.Videos))
		}
		e = apiErr{}
		if resp := s.do(t, "POST", "/api/videos", map[string]string{"title": "no room"}, &e); resp.StatusCode != http.StatusInsufficientStorage || e.Error.Code != media.ENOSPACE {
			t.Fatalf("create on a full disk = %s %+v, want 507", resp.Status, e)
		}
		s.do(t, "GET", "/api/videos", nil, &list)
		if len(list.Videos) != 1 {
			t.Fatalf("%d videos after a refused create, want 1", len(list.Videos))
		}
		if left := listFiles(t, staging); !slices.Equal(left, []string{v.ID, v.ID + ".info", "filler"}) {
			t.Fatalf("staging = %v, want the one upload and the filler", left)
		}

		// Space comes back; the recorder resumes where the server is.
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		if resp, body := resumeUpload(t, v.UploadURL, data, len(data)); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("resume once space is back: %s %s", resp.Status, body)
		}
		if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("status %s: %s", got.Status, got.Error)
		}
		if stored := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(stored) != sha256Hex(data) {
			t.Fatal("stored original differs from the upload")
		}
		assertReadyOutputs(t, s, v.ID)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		assertNoLeftovers(t, dataDir)
	})

	t.Run("scratch", func(t *testing.T) {
		dataDir := t.TempDir()
		scratch := filepath.Join(dataDir, "tmp")
		mustMountTmpfs(t, scratch, strconv.FormatInt(n/4, 10)) // no room for the outputs
		s := MustStart(t, testConfig(t, dataDir, func(c *Config) { c.JobBackoff = 100 * time.Millisecond }))
		v := s.MustCreateVideo(t, "no scratch space")
		if resp, body := uploadChunks(t, v.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("upload: %s %s", resp.Status, body)
		}
		var jobs []media.Job
		eventually(t, 15*time.Second, "the job did not wait for space", func() bool {
			jobs = s.jobs(t)
			// From Go ("no space left on device") or ffmpeg ("No space left").
			return len(jobs) == 1 && jobs[0].LeaseOwner == "" && strings.Contains(strings.ToLower(jobs[0].LastError), "no space left")
		})
		// Several tries in, it has used up none of its attempts.
		time.Sleep(time.Second)
		if jobs = s.jobs(t); len(jobs) != 1 || jobs[0].Attempts > 1 {
			t.Fatalf("jobs = %s, want one waiting without spending attempts", describeJobs(jobs))
		}
		var got apiVideo
		s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
		if got.Status != "processing" {
			t.Fatalf("status %s %q, want processing while the disk is full", got.Status, got.Error)
		}
		resizeTmpfs(t, scratch, strconv.FormatInt(16*n, 10))
		if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("status %s: %s", got.Status, got.Error)
		}
		assertReadyOutputs(t, s, v.ID)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		assertNoLeftovers(t, dataDir)
	})
}

// TestUploadSurvivesKill SIGKILLs the real server twice during an upload to
// MinIO: once between chunks, once in the middle of one. Each time it is
// restarted on the same data: HEAD reports exactly the bytes the server had
// (the acknowledged ones the first time; those plus the part of the cut
// chunk it had written the second), the client resumes from there, and the
// stored original is byte-identical to the source, in exactly one video.
func TestUploadSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	bin := buildBaton(t)
	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 4, "320x240")
	data := mustRead(t, src)
	n := int64(len(data))
	c := n / 6
	minio := mediatest.StartMinIO(t)
	env := []string{"BATON_S3_ENDPOINT=" + minio.Endpoint, "BATON_S3_ACCESS_KEY=" + minio.AccessKey,
		"BATON_S3_SECRET_KEY=" + minio.SecretKey, "BATON_S3_BUCKET=baton-kill"}
	blobs, err := s3store.New(context.Background(), s3store.Config{Endpoint: minio.Endpoint, Bucket: "baton-kill",
		AccessKey: minio.AccessKey, SecretKey: minio.SecretKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()

	p := startProcess(t, bin, dataDir, env...)
	v := (&testServer{URL: p.url}).MustCreateVideo(t, "killed twice")
	for off := int64(0); off < 2*c; off += c {
		if resp, body := patch(t, v.UploadURL, off, data[off:off+c], -1); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH: %s %s", resp.Status, body)
		}
	}
	p.kill(t)

	// Killed between requests: the offset is what was acknowledged.
	p = startProcess(t, bin, dataDir, env...)
	url := p.url + "/api/uploads/" + v.ID
	if status, off, _ := headUpload(t, url); status != http.StatusOK || off != 2*c {
		t.Fatalf("HEAD after kill = %d offset %d, want %d acknowledged", status, off, 2*c)
	}

	// Killed while a chunk is half sent.
	cut := startPatch(url, 2*c, c, -1)
	if _, err := cut.w.Write(data[2*c : 2*c+c/2]); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "half a chunk never reached staging", func() bool {
		return stagedSize(dataDir, v.ID) == 2*c+c/2
	})
	p.kill(t)
	cut.w.Close()
	if r := cut.result(t, 5*time.Second); r.err == nil {
		t.Fatalf("PATCH to a killed server answered %d", r.status)
	}

	p = startProcess(t, bin, dataDir, env...)
	url = p.url + "/api/uploads/" + v.ID
	s := attach(t, p.url, dataDir, blobs)
	status, off, _ := headUpload(t, url)
	if status != http.StatusOK || off != 2*c+c/2 {
		t.Fatalf("HEAD after a kill mid-chunk = %d offset %d, want %d (what reached the disk)", status, off, 2*c+c/2)
	}
	if got := mustRead(t, filepath.Join(dataDir, "uploads", v.ID)); !bytes.Equal(got, data[:off]) {
		t.Fatal("staged bytes differ from the source")
	}
	if resp, body := resumeUpload(t, url, data, int(c)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resume: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("status %s: %s", got.Status, got.Error)
	}
	if stored := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(stored) != sha256Hex(data) {
		t.Fatalf("stored original (%d bytes) is not the source (%d bytes)", len(stored), n)
	}
	var list struct{ Videos []apiVideo }
	s.do(t, "GET", "/api/videos", nil, &list)
	if len(list.Videos) != 1 || list.Videos[0].ID != v.ID {
		t.Fatalf("videos = %+v, want exactly the one", list.Videos)
	}
	assertReadyOutputs(t, s, v.ID)
	p.stop(t)
	if keys := s.objectKeys(t, ""); len(keys) != len(s.objectKeys(t, media.VideoPrefix(v.ID))) {
		t.Fatalf("objects outside the video: %v", keys)
	}
	assertNoLeftovers(t, dataDir)
}
