package main

import (
	"bytes"
	"encoding/json"
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
	"github.com/baton-video/baton/media/mediatest"
)

// TestSecondProcessOnDataDir starts a second `baton serve` and a
// `baton worker` on a data dir whose server is running a job. The second
// server refuses to start, naming the holder (pid and start time); the
// worker (SQLite: one process only) is refused and leaves the running job's
// files alone (it used to delete every tmp/job-* at start, and the job then
// failed as "invalid input" on its vanished file). The job ends ready.
func TestSecondProcessOnDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several real processes")
	}
	bin := buildBaton(t)
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 4, "320x240", "-pix_fmt", "yuv444p")
	data := mustRead(t, src)
	script, sdir := standIn(t, slowProcess)
	dataDir := t.TempDir()

	p := startProcess(t, bin, dataDir, "BATON_FFMPEG="+script)
	s := attach(t, p.url, dataDir, nil)
	v := s.MustCreateVideo(t, "processing while others start")
	if resp, body := uploadChunks(t, v.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	eventually(t, 30*time.Second, "the job's ffmpeg never started", func() bool {
		_, err := os.Stat(filepath.Join(sdir, "process"))
		return err == nil
	})
	jobDirs := func() []string {
		m, _ := filepath.Glob(filepath.Join(dataDir, "tmp", "proc-"+strconv.Itoa(p.cmd.Process.Pid)+"-*", "job-*"))
		return m
	}
	if len(jobDirs()) != 1 {
		t.Fatalf("job scratch = %v, want the running job's", jobDirs())
	}

	// A second server: refused at once, with the holder named.
	second := exec.Command(bin, "serve")
	second.Env = append(os.Environ(), "BATON_ADDR="+freeAddr(t), "BATON_DATA_DIR="+dataDir, "BATON_WORKERS=1")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = second.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		second.Process.Kill()
		t.Fatal("the second baton serve did not refuse to start")
	}
	msg := string(out)
	if err == nil || !strings.Contains(msg, "in use by another baton serve") ||
		!strings.Contains(msg, "process "+strconv.Itoa(p.cmd.Process.Pid)+" (started ") {
		t.Fatalf("second serve: %v\n%s\nwant a refusal naming pid %d", err, msg, p.cmd.Process.Pid)
	}

	// A worker beside it: on SQLite it is refused at start (several
	// processes need Postgres), and its start touches nothing of the
	// server's. On Postgres workers keep to their own scratch
	// (TestScaleOut).
	worker := exec.Command(bin, "worker")
	worker.Env = append(os.Environ(), "BATON_DATA_DIR="+dataDir, "BATON_WORKERS=1", "BATON_JOB_LEASE=2s",
		"BATON_LOG_LEVEL=warn", "BATON_FFMPEG="+script)
	wout, werr := worker.CombinedOutput()
	if werr == nil || !strings.Contains(string(wout), "baton worker needs a database that several processes share") {
		t.Fatalf("baton worker on SQLite: %v\n%s\nwant a refusal naming Postgres", werr, wout)
	}
	if len(jobDirs()) != 1 {
		t.Fatalf("the worker's start removed the running job's scratch: %v", jobDirs())
	}

	if got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("the first server's job: %s %s %q", got.Status, got.ErrorCode, got.Error)
	}
	assertReadyOutputs(t, s, v.ID)
	p.stop(t)
	assertNoLeftovers(t, dataDir, sdir)
	if m, _ := filepath.Glob(filepath.Join(dataDir, "locks", "*")); len(m) != 0 {
		t.Fatalf("data dir lock left after a clean stop: %v", m)
	}
}

// TestRefusedPatchChangesNothing: a PATCH refused with 413 because its body
// is longer than the length it declares (Upload-Length: 3, six bytes) used
// to store that length anyway, and every later chunk was refused: the
// upload could never finish. Now a refused request changes nothing: the
// upload's length stays deferred, its offset where it was, and the client
// finishes it.
func TestRefusedPatchChangesNothing(t *testing.T) {
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 1, "160x120")
	data := mustRead(t, src)
	n := int64(len(data))
	s := MustStart(t, testConfig(t, t.TempDir(), nil))

	for _, tc := range []struct {
		name   string
		offset int64 // where the refused PATCH goes; earlier bytes are sent first
		body   int64
		length int64
		status int
		code   string
	}{
		{"body longer than the declared length", 0, 6, 3, http.StatusRequestEntityTooLarge, media.ETOOLARGE},
		{"last chunk longer than the declared length", n / 2, n - n/2, n - 1, http.StatusRequestEntityTooLarge, media.ETOOLARGE},
		{"length below the offset", n / 2, 10, n/2 - 1, http.StatusBadRequest, "invalid_upload_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := s.MustCreateVideo(t, tc.name)
			if tc.offset > 0 {
				if resp, body := patch(t, v.UploadURL, 0, data[:tc.offset], -1); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("first chunk: %s %s", resp.Status, body)
				}
			}
			resp, body := patch(t, v.UploadURL, tc.offset, data[tc.offset:tc.offset+tc.body], tc.length)
			var e apiErr
			if resp.StatusCode != tc.status || json.Unmarshal(body, &e) != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("PATCH = %s %s, want %d %s", resp.Status, body, tc.status, tc.code)
			}
			req, _ := http.NewRequest("HEAD", v.UploadURL, nil)
			req.Header.Set("Tus-Resumable", "1.0.0")
			authorize(req)
			head, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			head.Body.Close()
			if off := head.Header.Get("Upload-Offset"); off != strconv.FormatInt(tc.offset, 10) ||
				head.Header.Get("Upload-Length") != "" || head.Header.Get("Upload-Defer-Length") != "1" {
				t.Fatalf("after the refusal: offset %q length %q defer %q; want %d, still deferred",
					off, head.Header.Get("Upload-Length"), head.Header.Get("Upload-Defer-Length"), tc.offset)
			}
			if resp, body := resumeUpload(t, v.UploadURL, data, int(n/3)); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("finish after the refusal: %s %s", resp.Status, body)
			}
			if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
				t.Fatalf("video: %s %q", got.Status, got.Error)
			}
			if sha256Hex(s.readObject(t, media.OriginalKey(v.ID))) != sha256Hex(data) {
				t.Fatal("stored original differs from the upload")
			}
		})
	}
}

// TestDataDirFull puts the whole data dir (database, objects, staging,
// scratch) on a small tmpfs and fills it while a second video uploads. The
// chunk that does not fit is answered 507 with a readable message; the
// first video, already ready, stays whole and playable; the server keeps
// serving; once space is freed the upload resumes from HEAD and ends ready.
func TestDataDirFull(t *testing.T) {
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 2, "320x240", "-qp", "10")
	data := mustRead(t, src)
	n := int64(len(data))
	dataDir := filepath.Join(t.TempDir(), "data")
	mustMountTmpfs(t, dataDir, "24m")
	s := MustStart(t, testConfig(t, dataDir, nil))

	first := s.MustCreateVideo(t, "stored before the disk filled")
	if resp, body := uploadChunks(t, first.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, first.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("first video: %s %q", got.Status, got.Error)
	}
	s.waitJobsDone(t, 30*time.Second)
	firstMP4 := s.readObject(t, media.MP4Key(first.ID))

	v := s.MustCreateVideo(t, "uploading when the disk fills")
	half := n / 2
	if resp, body := patch(t, v.UploadURL, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first chunk: %s %s", resp.Status, body)
	}
	// Fill what is left.
	filler := filepath.Join(dataDir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 64<<10)); err != nil {
			break
		}
	}
	f.Close()

	resp, body := patch(t, v.UploadURL, half, data[half:], n)
	var e apiErr
	if resp.StatusCode != http.StatusInsufficientStorage || json.Unmarshal(body, &e) != nil || e.Error.Code != media.ENOSPACE ||
		!strings.Contains(e.Error.Message, "disk space") {
		t.Fatalf("chunk on a full disk = %s %s, want 507 with a readable message", resp.Status, body)
	}
	// Still serving, and nothing stored was lost.
	var got apiVideo
	if resp := s.do(t, "GET", "/api/videos/"+first.ID, nil, &got); resp.StatusCode != http.StatusOK || got.Status != "ready" {
		t.Fatalf("GET the stored video on a full disk: %s %s", resp.Status, got.Status)
	}
	r, err := http.Get(got.MP4URL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || !bytes.Equal(served, firstMP4) {
		t.Fatalf("MP4 of the stored video on a full disk: %s, %d of %d bytes", r.Status, len(served), len(firstMP4))
	}
	if sha256Hex(s.readObject(t, media.OriginalKey(first.ID))) != sha256Hex(data) {
		t.Fatal("the stored original changed")
	}
	status, off, _ := headUpload(t, v.UploadURL)
	if status != http.StatusOK || off < half || off > n {
		t.Fatalf("HEAD on a full disk = %d offset %d", status, off)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if resp, body := resumeUpload(t, v.UploadURL, data, int(n)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resume once space is back: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("status %s: %s", got.Status, got.Error)
	}
	if sha256Hex(s.readObject(t, media.OriginalKey(v.ID))) != sha256Hex(data) {
		t.Fatal("stored original differs from the upload")
	}
	assertReadyOutputs(t, s, v.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, dataDir)
}

// TestStrandedVideosRescued: videos that an older version left processing
// without a job (its final-PATCH crash) are put back on a path that ends
// by the upkeep pass: processing again when the original is stored; back to
// uploading when the upload is still staged, so the client's resume hands
// it off; failed with a reason when the bytes are gone.
func TestStrandedVideosRescued(t *testing.T) {
	src := filepath.Join(t.TempDir(), "clip.mp4")
	mediatest.MustMP4(t, src, 1, "160x120")
	data := mustRead(t, src)
	n := int64(len(data))
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	ctx := t.Context()
	strand := func(id string) {
		t.Helper()
		if _, err := s.DB.UpdateVideo(ctx, id, "", func(v *media.Video) error {
			v.Status = media.StatusProcessing
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	stored := s.MustCreateVideo(t, "original stored")
	if resp, body := uploadChunks(t, stored.UploadURL, data, 2); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	s.waitStatus(t, stored.ID, 30*time.Second, "ready")
	s.waitJobsDone(t, 30*time.Second)
	strand(stored.ID)

	staged := s.MustCreateVideo(t, "upload still staged")
	if resp, body := patch(t, staged.UploadURL, 0, data, -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	strand(staged.ID)

	lost := s.MustCreateVideo(t, "bytes gone")
	if resp, body := patch(t, lost.UploadURL, 0, data[:n/2], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	strand(lost.ID)
	for _, f := range []string{lost.ID, lost.ID + ".info"} {
		if err := os.Remove(filepath.Join(s.DataDir, "uploads", f)); err != nil {
			t.Fatal(err)
		}
	}

	s.Server.SweepUploads(ctx)

	if got := s.waitStatus(t, stored.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("stored: %s %q", got.Status, got.Error)
	}
	var got apiVideo
	s.do(t, "GET", "/api/videos/"+staged.ID, nil, &got)
	if got.Status != "uploading" {
		t.Fatalf("staged: %s, want uploading again", got.Status)
	}
	if resp, body := resumeUpload(t, staged.UploadURL, data, int(n)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resume: %s %s", resp.Status, body)
	}
	if got := s.waitStatus(t, staged.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
		t.Fatalf("staged: %s %q", got.Status, got.Error)
	}
	if sha256Hex(s.readObject(t, media.OriginalKey(staged.ID))) != sha256Hex(data) {
		t.Fatal("staged: stored original differs from the upload")
	}
	s.do(t, "GET", "/api/videos/"+lost.ID, nil, &got)
	if got.Status != "failed" || !strings.Contains(got.Error, "upload the video again") {
		t.Fatalf("lost: %s %q, want failed with a reason", got.Status, got.Error)
	}
	if ids, err := s.DB.StrandedVideos(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("stranded after the pass: %v %v", ids, err)
	}
}
