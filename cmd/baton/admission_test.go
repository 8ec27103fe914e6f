package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media/mediatest"
)

// apiProcessing is the part of the video JSON that tells the recorder how
// its recording will be processed.
type apiProcessing struct {
	Status, Processing, ProcessingNote string
}

func (s *testServer) processing(tb testing.TB, id string) apiProcessing {
	tb.Helper()
	var p apiProcessing
	s.do(tb, "GET", "/api/videos/"+id, nil, &p)
	return p
}

// TestAdmissionRealRecordings: with BATON_MAX_LIVE=1, the first recording
// is converted live, the second (arriving meanwhile) is told it will be
// processed after Stop, and both end ready with their whole length; once
// the first is done, a new recording is admitted again.
func TestAdmissionRealRecordings(t *testing.T) {
	src := filepath.Join(t.TempDir(), "rec.mkv")
	const secs = 6
	mediatest.MustRecording(t, src, secs, "320x180", "h264")
	data, _ := os.ReadFile(src)
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) { c.MaxLive = 1 }))

	half := len(data) / 2
	first, second := s.MustCreateVideo(t, "first"), s.MustCreateVideo(t, "second")
	for _, v := range []apiVideo{first, second} {
		if resp, body := patch(t, v.UploadURL, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH: %s %s", resp.Status, body)
		}
	}
	if got := s.processing(t, first.ID); got.Processing != "live" {
		t.Fatalf("first recording: %+v, want live", got)
	}
	if got := s.processing(t, second.ID); got.Processing != "after-upload" || got.Status != "uploading" {
		t.Fatalf("second recording: %+v, want after-upload while uploading", got)
	}
	// The link of the refused recording works at once.
	var shared apiVideo
	if resp := s.do(t, "GET", "/api/share/"+second.Slug, nil, &shared); resp.StatusCode != http.StatusOK {
		t.Fatalf("share link of the refused recording: %s", resp.Status)
	}
	for _, v := range []apiVideo{first, second} {
		if resp, body := patch(t, v.UploadURL, int64(half), data[half:], int64(len(data))); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("final PATCH: %s %s", resp.Status, body)
		}
	}
	for _, v := range []apiVideo{first, second} {
		got := s.waitStatus(t, v.ID, 90*time.Second, "ready", "failed")
		if got.Status != "ready" {
			t.Fatalf("%s: %s %s", v.Title, got.Status, got.Error)
		}
		if d := float64(got.DurationMs) / 1000; d < secs*0.95 || d > secs*1.05 {
			t.Fatalf("%s: duration %.2f s, want %d s", v.Title, d, secs)
		}
	}
	// The slot is free again: the next recording is live.
	third := s.MustCreateVideo(t, "third")
	if resp, body := patch(t, third.UploadURL, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	if got := s.processing(t, third.ID); got.Processing != "live" {
		t.Fatalf("third recording after the slot freed: %+v, want live", got)
	}
}

// TestLiveMemoryBound: a live ffmpeg over BATON_LIVE_MAX_MEMORY_MB is
// stopped; the person is told why, and the recording ends ready through
// the processing job.
func TestLiveMemoryBound(t *testing.T) {
	src := filepath.Join(t.TempDir(), "rec.mkv")
	const secs = 4
	mediatest.MustRecording(t, src, secs, "320x180", "h264")
	data, _ := os.ReadFile(src)
	// 1 MiB: every ffmpeg is over it at its first sample.
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) { c.LiveMaxMemory = 1 << 20 }))
	v := s.MustCreateVideo(t, "big")
	half := len(data) / 2
	if resp, body := patch(t, v.UploadURL, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := s.processing(t, v.ID)
		if got.Processing == "after-upload" {
			if !strings.Contains(got.ProcessingNote, "memory") {
				t.Fatalf("note = %q, want the memory reason", got.ProcessingNote)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("live session never stopped: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, body := patch(t, v.UploadURL, int64(half), data[half:], int64(len(data))); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("final PATCH: %s %s", resp.Status, body)
	}
	got := s.waitStatus(t, v.ID, 90*time.Second, "ready", "failed")
	if got.Status != "ready" {
		t.Fatalf("status %s: %s", got.Status, got.Error)
	}
}
