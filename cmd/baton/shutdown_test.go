package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestGracefulShutdown sends SIGTERM to the real server while a recording's
// chunk is half way through its PATCH (with a live session transcoding it)
// and another video is in ffmpeg. The PATCH still completes and its bytes
// are acknowledged; the processing job is handed back to the queue without
// spending an attempt; every ffmpeg stops; the process exits 0 promptly,
// leaving no scratch files. Restarted, both videos end ready.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	bin := buildBaton(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	mediatest.MustMP4(t, clip, 8, "160x120")
	clipData := mustRead(t, clip)
	rec := filepath.Join(dir, "rec.webm")
	mediatest.MustWebM(t, rec, 3, "320x240")
	recData := mustRead(t, rec)
	// Transcoding runs at the video's own pace (-re), so it is certainly
	// running when the signal comes; everything else runs as usual.
	script, sdir := standIn(t, `for a; do case "$a" in *poster.jpg) exec "$REAL_FFMPEG" "$@";; esac; done
for a; do case "$a" in */out/video.mp4) exec "$REAL_FFMPEG" -re "$@";; esac; done
exec "$REAL_FFMPEG" "$@"`)
	dataDir := t.TempDir()

	p := startProcess(t, bin, dataDir, "BATON_FFMPEG="+script)
	s := attach(t, p.url, dataDir, nil)
	processing := s.MustCreateVideo(t, "in ffmpeg at shutdown")
	if resp, body := uploadChunks(t, processing.UploadURL, clipData, 2); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	eventually(t, 15*time.Second, "transcoding never started", func() bool {
		for _, p := range procsWith(dataDir) {
			if strings.Contains(p, " -re ") {
				return true
			}
		}
		return false
	})

	uploading := s.MustCreateVideo(t, "mid-PATCH at shutdown")
	c := int64(len(recData) / 3)
	if resp, body := patch(t, uploading.UploadURL, 0, recData[:c], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	inflight := startPatch(uploading.UploadURL, c, c, -1)
	if _, err := inflight.w.Write(recData[c : c+c/2]); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the in-flight PATCH never reached staging", func() bool {
		return stagedSize(dataDir, uploading.ID) == c+c/2
	})

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case <-p.done:
		t.Fatal("the server exited with a request still running")
	default:
	}
	if _, err := inflight.w.Write(recData[c+c/2 : 2*c]); err != nil {
		t.Fatalf("finish the in-flight body: %v", err)
	}
	inflight.w.Close()
	if r := inflight.result(t, 10*time.Second); r.err != nil || r.status != http.StatusNoContent || r.offset != 2*c {
		t.Fatalf("in-flight PATCH = %d offset %d (%v) %s, want 204 at %d", r.status, r.offset, r.err, r.body, 2*c)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit within 15 s of SIGTERM")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if left := append(procsWith(dataDir), procsWith(sdir)...); len(left) != 0 {
		t.Fatalf("processes outlived the server: %v", left)
	}
	if left := listFiles(t, filepath.Join(dataDir, "tmp")); len(left) != 0 {
		t.Fatalf("scratch files left: %v", left)
	}
	jobs := jobsIn(t, dataDir)
	if len(jobs) != 1 || jobs[0].VideoID != processing.ID || jobs[0].LeaseOwner != "" || jobs[0].Attempts != 0 ||
		jobs[0].LastError != "interrupted by shutdown" {
		t.Fatalf("jobs after shutdown = %s, want the job queued again with no attempt spent", describeJobs(jobs))
	}
	if got := stagedSize(dataDir, uploading.ID); got != 2*c {
		t.Fatalf("staged %d bytes, want the %d acknowledged", got, 2*c)
	}

	p = startProcess(t, bin, dataDir)
	s = attach(t, p.url, dataDir, nil)
	url := p.url + "/api/uploads/" + uploading.ID
	if resp, body := resumeUpload(t, url, recData, int(c)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resume: %s %s", resp.Status, body)
	}
	for _, v := range []apiVideo{processing, uploading} {
		if got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("%s: %s %q", v.Title, got.Status, got.Error)
		}
	}
	for _, v := range []apiVideo{processing, uploading} {
		assertReadyOutputs(t, s, v.ID)
	}
	p.stop(t)
	if got := s.readObject(t, media.OriginalKey(uploading.ID)); sha256Hex(got) != sha256Hex(recData) {
		t.Fatal("stored original differs from the recording")
	}
	assertNoLeftovers(t, dataDir, sdir)
}
