package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// An upload's requests may reach any API process: chunks sent to the
// process that does not hold the upload are forwarded to the one that does
// (where the recording is transcoded live). While the holder is down they
// are refused with 503 and Retry-After; once it is back (same data dir and
// address) the upload resumes through the other process and the finished
// recording goes through ordinary processing.
func TestUploadsForwardedToTheirHolder(t *testing.T) {
	requireFFmpeg(t)
	dbURL := mediatest.PostgresURL(t)
	minio := mediatest.StartMinIO(t)
	aAddr, aDir := freeAddr(t), t.TempDir()
	cfg := func(dir, addr string, workers int) Config {
		return testConfig(t, dir, func(c *Config) {
			c.DatabaseURL = dbURL
			c.S3Endpoint, c.S3AccessKey, c.S3SecretKey, c.S3Bucket = minio.Endpoint, minio.AccessKey, minio.SecretKey, "baton-fwd"
			c.Workers = workers
			if addr != "" {
				c.Addr, c.PublicURL = addr, "http://"+addr
			}
		})
	}
	a := MustStart(t, cfg(aDir, aAddr, 0))
	b := MustStart(t, cfg(t.TempDir(), "", 1))

	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 3, "320x240")
	data := mustRead(t, src)
	third := len(data) / 3

	v := a.MustCreateVideo(t, "held by A")
	viaB := strings.Replace(v.UploadURL, a.URL, b.URL, 1)
	if viaB == v.UploadURL {
		t.Fatalf("upload URL %s is not on A (%s)", v.UploadURL, a.URL)
	}
	resp, body := patch(t, viaB, 0, data[:third], -1)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(third) {
		t.Fatalf("first chunk through B: %s %s (offset %s)", resp.Status, body, resp.Header.Get("Upload-Offset"))
	}
	if !a.Service.Live.Active(v.ID) {
		t.Fatal("the holder A is not transcoding the recording live")
	}
	if b.Service.Live.Active(v.ID) {
		t.Fatal("B started a live session for an upload it does not hold")
	}
	head, _ := http.NewRequest("HEAD", viaB, nil)
	head.Header.Set("Tus-Resumable", "1.0.0")
	authorize(head)
	hr, err := http.DefaultClient.Do(head)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if got := hr.Header.Get("Upload-Offset"); got != strconv.Itoa(third) {
		t.Fatalf("HEAD through B: offset %q, want %d", got, third)
	}

	// The holder goes away: B cannot take the bytes and says so.
	if err := a.Close(); err != nil {
		t.Logf("close A: %v", err)
	}
	resp, body = patch(t, viaB, int64(third), data[third:2*third], -1)
	var e apiErr
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || e.Error.Code != "unavailable" {
		t.Fatalf("chunk while the holder is down: %s %s (Retry-After %q)", resp.Status, body, resp.Header.Get("Retry-After"))
	}

	// The holder comes back with its data dir: the upload resumes through
	// B and, with no live session left, is processed as a whole.
	a2 := NewMain(cfg(aDir, aAddr, 0), testLogger(t))
	a2.Frontend, a2.Hasher = testFrontend, testHasher
	if err := a2.Open(context.Background()); err != nil {
		t.Fatalf("restart A: %v", err)
	}
	t.Cleanup(func() { a2.Close() })
	if resp, body := patch(t, viaB, int64(third), data[third:2*third], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("chunk after the holder came back: %s %s", resp.Status, body)
	}
	if resp, body := patch(t, viaB, int64(2*third), data[2*third:], int64(len(data))); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("final chunk: %s %s", resp.Status, body)
	}
	got := b.waitStatus(t, v.ID, 2*time.Minute, "ready", "failed")
	if got.Status != "ready" {
		t.Fatalf("after the holder's restart: %s (%s)", got.Status, got.Error)
	}
}

// Unfinished writes are swept only once their video is done: with a shared
// object store, a recording in progress on another process (whose live
// session this process cannot see) streams into a write that may be older
// than the orphan age.
func TestOrphanSweepSparesVideosInFlight(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) { c.Workers = 0 }))
	ctx := context.Background()
	v := s.MustCreateVideo(t, "recording elsewhere")
	w, err := s.Blobs.(media.StreamingBlobStore).Create(ctx, media.VideoPrefix(v.ID)+"live/seg-00001.m4s", "video/mp4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("a segment in progress")); err != nil {
		t.Fatal(err)
	}
	defer w.Abort(ctx)
	sweep := func() int {
		if _, err := s.Service.SweepOrphans(ctx, 0); err != nil {
			t.Fatal(err)
		}
		return len(unfinished(t, s))
	}
	if n := sweep(); n != 1 {
		t.Fatalf("%d unfinished writes after a sweep while the video uploads, want 1 (spared)", n)
	}
	if _, err := s.DB.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error {
		mv.Status, mv.ErrorCode, mv.Error = media.StatusFailed, media.EGONE, "expired"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := sweep(); n != 0 {
		t.Fatalf("%d unfinished writes after the video failed, want 0", n)
	}
}
