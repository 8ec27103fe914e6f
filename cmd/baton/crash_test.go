package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/s3store"
)

// crashRig runs the real binary on one data dir, on local disk or on
// MinIO, and kills it (SIGKILL) where a case says.
type crashRig struct {
	t       *testing.T
	bin     string
	dataDir string
	env     []string
	blobs   media.BlobStore
	p       *process
	sdir    string // the stand-in ffmpeg's directory, for its marker files
}

// crashOrphanAge is BATON_ORPHAN_AGE in these tests: a crash's leftovers
// are old enough to sweep by the restart after the one that recovers.
const crashOrphanAge = 2 * time.Second

func (r *crashRig) start() *process {
	r.t.Helper()
	r.p = startProcess(r.t, r.bin, r.dataDir, append([]string{"BATON_ORPHAN_AGE=" + crashOrphanAge.String()}, r.env...)...)
	return r.p
}

func (r *crashRig) server() *testServer {
	r.t.Helper()
	return attach(r.t, r.p.url, r.dataDir, r.blobs)
}

func (r *crashRig) uploadURL(id string) string { return r.p.url + "/api/uploads/" + id }

// marker waits until the stand-in ffmpeg has touched $DIR/name.
func (r *crashRig) marker(name string, timeout time.Duration) {
	r.t.Helper()
	eventually(r.t, timeout, "the stand-in never reached "+name, func() bool {
		_, err := os.Stat(filepath.Join(r.sdir, name))
		return err == nil
	})
}

// crashCase brings a video to the moment of the kill and kills the server.
type crashCase struct {
	name string
	// recording: a WebM recording (processed live while it uploads);
	// otherwise an MP4 whose video must be re-encoded (a processing job).
	recording bool
	// ffmpeg is the stand-in's body ("" for the real ffmpeg).
	ffmpeg string
	kill   func(r *crashRig, v apiVideo, data []byte)
}

// Stand-in bodies. Each slows one step down the first time only, so the
// kill lands in it and the recovery runs at full speed. A pause ends when
// Baton (the stand-in's parent) is gone, as the real ffmpeg would.
const (
	// The live transcoder reads its input at the recording's own pace, so
	// the final PATCH waits for the tail for seconds.
	liveAtPace = `for a; do case "$a" in pipe:0) exec "$REAL_FFMPEG" -re "$@";; esac; done
exec "$REAL_FFMPEG" "$@"`
	// The live session's poster is made after its MP4 and original are
	// committed, just before the video turns ready.
	slowLivePoster = pauseOnce + `for a; do case "$a" in */poster.jpg) pause_once poster;; esac; done
exec "$REAL_FFMPEG" "$@"`
	// The processing job's transcode runs at the video's pace.
	slowProcess = `for a; do case "$a" in */out/video.mp4) if [ ! -e "$DIR/process" ]; then : > "$DIR/process"; exec "$REAL_FFMPEG" -re "$@"; fi;; esac; done
exec "$REAL_FFMPEG" "$@"`
	// The faststart rewrite of a live recording's MP4.
	slowFaststart = pauseOnce + `for a; do case "$a" in */in.mp4) pause_once faststart;; esac; done
exec "$REAL_FFMPEG" "$@"`

	pauseOnce = `pause_once() {
	[ -e "$DIR/$1" ] && return
	: > "$DIR/$1"
	i=0
	while [ -e /proc/$PPID ] && [ $i -lt 200 ]; do "$SLEEP" 0.05; i=$((i+1)); done
}
`
)

// sendAllButLast sends the upload in chunks of c bytes without a length,
// stopping before the last chunk; it returns the offset reached.
func sendAllButLast(t *testing.T, url string, data []byte, c int64) int64 {
	t.Helper()
	n := int64(len(data))
	off := int64(0)
	for off+c < n {
		if resp, body := patch(t, url, off, data[off:off+c], -1); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH at %d: %s %s", off, resp.Status, body)
		}
		off += c
	}
	return off
}

// killInFinalPatch sends the last chunk with the length, as the recorder
// does, and kills the server d after its body went out.
func killInFinalPatch(d time.Duration) func(r *crashRig, v apiVideo, data []byte) {
	return func(r *crashRig, v apiVideo, data []byte) {
		n := int64(len(data))
		off := sendAllButLast(r.t, v.UploadURL, data, n/5)
		last := startPatch(v.UploadURL, off, n-off, n)
		if _, err := last.w.Write(data[off:]); err != nil {
			r.t.Fatal(err)
		}
		last.w.Close()
		time.Sleep(d)
		select {
		case res := <-last.done:
			r.t.Fatalf("the final PATCH was answered (%d %s) before the kill %v into it; the case kills nothing", res.status, res.body, d)
		default:
		}
		r.p.kill(r.t)
	}
}

var crashCases = []crashCase{
	{name: "between chunks", recording: true, kill: func(r *crashRig, v apiVideo, data []byte) {
		n := int64(len(data))
		sendAllButLast(r.t, v.UploadURL, data[:n/2], n/6)
		r.p.kill(r.t)
	}},
	{name: "mid final chunk", recording: true, kill: func(r *crashRig, v apiVideo, data []byte) {
		n := int64(len(data))
		off := sendAllButLast(r.t, v.UploadURL, data, n/4)
		cut := startPatch(v.UploadURL, off, n-off, n)
		half := off + (n-off)/2
		if _, err := cut.w.Write(data[off:half]); err != nil {
			r.t.Fatal(err)
		}
		eventually(r.t, 5*time.Second, "half the final chunk never reached staging", func() bool {
			return stagedSize(r.dataDir, v.ID) == half
		})
		r.p.kill(r.t)
		cut.w.Close()
	}},
	{name: "final PATCH +0.1s", recording: true, ffmpeg: liveAtPace, kill: killInFinalPatch(100 * time.Millisecond)},
	{name: "final PATCH +1s", recording: true, ffmpeg: liveAtPace, kill: killInFinalPatch(time.Second)},
	{name: "final PATCH +3s", recording: true, ffmpeg: liveAtPace, kill: killInFinalPatch(3 * time.Second)},
	{name: "live finish", recording: true, ffmpeg: slowLivePoster, kill: func(r *crashRig, v apiVideo, data []byte) {
		n := int64(len(data))
		off := sendAllButLast(r.t, v.UploadURL, data, n/5)
		last := startPatch(v.UploadURL, off, n-off, n)
		if _, err := last.w.Write(data[off:]); err != nil {
			r.t.Fatal(err)
		}
		last.w.Close()
		r.marker("poster", 30*time.Second)
		r.p.kill(r.t)
	}},
	{name: "processing", ffmpeg: slowProcess, kill: func(r *crashRig, v apiVideo, data []byte) {
		if resp, body := uploadChunks(r.t, v.UploadURL, data, 3); resp.StatusCode != http.StatusNoContent {
			r.t.Fatalf("upload: %s %s", resp.Status, body)
		}
		r.marker("process", 30*time.Second)
		time.Sleep(500 * time.Millisecond)
		r.p.kill(r.t)
	}},
	{name: "faststart", recording: true, ffmpeg: slowFaststart, kill: func(r *crashRig, v apiVideo, data []byte) {
		if resp, body := uploadChunks(r.t, v.UploadURL, data, 5); resp.StatusCode != http.StatusNoContent {
			r.t.Fatalf("upload: %s %s", resp.Status, body)
		}
		r.marker("faststart", 30*time.Second)
		r.p.kill(r.t)
	}},
}

// TestCrashAnywhere SIGKILLs the real server at chosen moments of an
// upload's life, on local disk and on MinIO: between chunks, in the middle
// of the final chunk (which declares the length, as the recorder sends
// it), 0.1, 1 and 3 s into the final PATCH while it waits for the live
// session's tail, while the live session publishes its outputs, during
// ordinary processing and during the faststart rewrite. Each time the
// server is restarted on the same data and the client resumes as the
// recorder would. Whatever the moment, the upload is either complete or
// resumable from the offset HEAD reports; no video is ever processing
// without a job; it ends ready with an original byte-identical to the
// source and an MP4 of full length; and once the leftovers are old enough,
// the next start sweeps them all (temp objects, multipart uploads, staging,
// scratch of the dead process).
func TestCrashAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection: real processes killed and restarted")
	}
	bin := buildBaton(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.webm")
	mediatest.MustWebM(t, rec, 5, "320x240")
	clip := filepath.Join(dir, "clip.mp4")
	mediatest.MustMP4(t, clip, 4, "320x240", "-pix_fmt", "yuv444p")
	inputs := map[bool][]byte{true: mustRead(t, rec), false: mustRead(t, clip)}
	seconds := map[bool]float64{true: 5, false: 4}
	minio := mediatest.StartMinIO(t)

	for _, store := range []string{"disk", "minio"} {
		for i, c := range crashCases {
			t.Run(store+"/"+c.name, func(t *testing.T) {
				r := &crashRig{t: t, bin: bin, dataDir: t.TempDir()}
				if store == "minio" {
					bucket := fmt.Sprintf("crash-%d", i)
					r.env = []string{"BATON_S3_ENDPOINT=" + minio.Endpoint, "BATON_S3_ACCESS_KEY=" + minio.AccessKey,
						"BATON_S3_SECRET_KEY=" + minio.SecretKey, "BATON_S3_BUCKET=" + bucket}
					blobs, err := s3store.New(context.Background(), s3store.Config{Endpoint: minio.Endpoint, Bucket: bucket,
						AccessKey: minio.AccessKey, SecretKey: minio.SecretKey, PathStyle: true})
					if err != nil {
						t.Fatal(err)
					}
					r.blobs = blobs
				}
				if c.ffmpeg != "" {
					var script string
					script, r.sdir = standIn(t, c.ffmpeg)
					r.env = append(r.env, "BATON_FFMPEG="+script)
				}
				data := inputs[c.recording]
				r.start()
				v := r.server().MustCreateVideo(t, c.name)
				c.kill(r, v, data)
				recoverAndCheck(t, r, v, data, seconds[c.recording])
			})
		}
	}
}

// recoverAndCheck restarts a killed server, resumes the upload as a client
// would, and checks the video ends ready, whole, with nothing left over.
func recoverAndCheck(t *testing.T, r *crashRig, v apiVideo, data []byte, seconds float64) {
	t.Helper()
	n := int64(len(data))
	dead := attach(t, "", r.dataDir, r.blobs)
	t.Logf("left by the kill: %d unfinished writes, %d scratch dirs, staged %d of %d bytes",
		len(unfinished(t, dead)), len(scratchDirs(t, r.dataDir)), stagedSize(r.dataDir, v.ID), n)
	r.start()
	s := r.server()
	url := r.uploadURL(v.ID)
	// The client asks where to resume. The answer is the durable offset;
	// the upload is never both incomplete and unresumable.
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, off, _ := headUpload(t, url)
		if status == http.StatusOK && off == n {
			break // complete: nothing left to send
		}
		if status == http.StatusOK {
			if got := mustRead(t, filepath.Join(r.dataDir, "uploads", v.ID)); int64(len(got)) != off || string(got) != string(data[:off]) {
				t.Fatalf("HEAD says %d bytes; staging holds %d that differ from the source", off, len(got))
			}
			if resp, body := resumeUpload(t, url, data, int(n/5)); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("resume from %d: %s %s", off, resp.Status, body)
			}
			break
		}
		if status != http.StatusLocked && status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			var got apiVideo
			s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
			t.Fatalf("HEAD after the restart = %d; video %s %q", status, got.Status, got.Error)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Never processing without a job on the way to ready.
	deadline = time.Now().Add(90 * time.Second)
	var got apiVideo
	for {
		s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
		if got.Status == "ready" || got.Status == "failed" {
			break
		}
		if got.Status == "processing" && !hasJob(t, s, v.ID) {
			s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
			if got.Status == "processing" {
				t.Fatalf("video processing without a job")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("video still %s after 90 s", got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got.Status != "ready" {
		t.Fatalf("video %s: %s %s", got.Status, got.ErrorCode, got.Error)
	}
	if stored := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(stored) != sha256Hex(data) {
		t.Fatalf("stored original (%d bytes) differs from the source (%d bytes)", len(stored), n)
	}
	assertReadyOutputs(t, s, v.ID)
	mp4 := filepath.Join(t.TempDir(), "video.mp4")
	if err := os.WriteFile(mp4, s.readObject(t, media.MP4Key(v.ID)), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := MustProbe(t, mp4).seconds(); d < seconds*0.95 || d > seconds*1.05 {
		t.Fatalf("MP4 lasts %.2fs, want %.1fs", d, seconds)
	}

	// The crash's leftovers are older than BATON_ORPHAN_AGE now (the
	// recovery took longer); the sweep at the next start removes them.
	r.p.stop(t)
	time.Sleep(crashOrphanAge)
	r.start()
	s = r.server()
	eventually(t, 15*time.Second, "leftovers were not swept", func() bool {
		return len(unfinished(t, s)) == 0 && len(listFiles(t, filepath.Join(r.dataDir, "uploads"))) == 0 &&
			len(scratchDirs(t, r.dataDir)) == 1
	})
	r.p.stop(t)
	if u := unfinished(t, s); len(u) != 0 {
		t.Fatalf("unfinished writes left: %+v", u)
	}
	if keys, own := s.objectKeys(t, ""), s.objectKeys(t, media.VideoPrefix(v.ID)); len(keys) != len(own) {
		t.Fatalf("objects outside the video: %v", keys)
	}
	var stuck []string
	for _, j := range jobsIn(t, r.dataDir) {
		stuck = append(stuck, j.VideoID)
	}
	if len(stuck) != 0 {
		t.Fatalf("jobs left: %v", stuck)
	}
	var standIns []string
	if r.sdir != "" {
		standIns = append(standIns, r.sdir)
	}
	assertNoLeftovers(t, r.dataDir, standIns...)
}

func hasJob(tb testing.TB, s *testServer, id string) bool {
	tb.Helper()
	for _, j := range s.jobs(tb) {
		if j.VideoID == id {
			return true
		}
	}
	return false
}

// unfinished lists the store's unfinished writes: temp files on disk,
// multipart uploads on S3.
func unfinished(tb testing.TB, s *testServer) []media.Unfinished {
	tb.Helper()
	u, err := s.Blobs.(media.UnfinishedSweeper).Unfinished(context.Background(), "")
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// scratchDirs lists the per-process scratch directories of a data dir.
func scratchDirs(tb testing.TB, dataDir string) []string {
	tb.Helper()
	entries, _ := os.ReadDir(filepath.Join(dataDir, "tmp"))
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "proc-") {
			out = append(out, e.Name())
		}
	}
	return out
}
