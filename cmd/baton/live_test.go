package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestLiveRecording: chunks of a recording arrive over time, as from the
// browser recorder. Before the last chunk the video already has a live HLS
// rendition a viewer can fetch; after it, the video is ready within seconds
// and its MP4 has the whole recording.
func TestLiveRecording(t *testing.T) {
	for _, codec := range []string{"h264", "vp8"} {
		t.Run(codec, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "rec.mkv")
			const secs = 10
			mediatest.MustRecording(t, src, secs, "640x360", codec)
			data, _ := os.ReadFile(src)
			s := MustStart(t, testConfig(t, t.TempDir(), nil))
			v := s.MustCreateVideo(t, "live "+codec)

			// Send all but the last chunk, a "second" apart (faster than
			// real time to keep the test short).
			chunks := secs
			step := (len(data) + chunks - 1) / chunks
			off := 0
			for off+step < len(data) {
				resp, body := patch(t, v.UploadURL, int64(off), data[off:off+step], -1)
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("PATCH: %s %s", resp.Status, body)
				}
				off += step
				time.Sleep(150 * time.Millisecond)
			}
			// The live rendition appears while the upload is still open.
			var live apiVideo
			deadline := time.Now().Add(30 * time.Second)
			for {
				s.do(t, "GET", "/api/share/"+v.Slug, nil, &live)
				if live.LiveURL != "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no liveUrl before the end of the recording: %+v", live)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if !live.Recording || live.Status != "uploading" {
				t.Fatalf("live video = %+v, want recording while uploading", live)
			}
			r, err := http.Get(live.LiveURL)
			if err != nil {
				t.Fatal(err)
			}
			playlist, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || !strings.Contains(string(playlist), "#EXTM3U") || !strings.Contains(string(playlist), ".m4s") {
				t.Fatalf("playlist: %s %q", r.Status, playlist)
			}
			seg := ""
			for _, line := range strings.Split(string(playlist), "\n") {
				if strings.HasSuffix(line, ".m4s") {
					seg = line
					break
				}
			}
			base := strings.TrimSuffix(live.LiveURL, "index.m3u8")
			for _, name := range []string{"init.mp4", seg} {
				r, err := http.Get(base + name)
				if err != nil || r.StatusCode != 200 {
					t.Fatalf("GET %s: %v %v", name, err, r.Status)
				}
				r.Body.Close()
			}

			stop := time.Now()
			resp, body := patch(t, v.UploadURL, int64(off), data[off:], int64(len(data)))
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("final PATCH: %s %s", resp.Status, body)
			}
			got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed")
			tail := time.Since(stop)
			if got.Status != "ready" {
				t.Fatalf("status %s: %s", got.Status, got.Error)
			}
			t.Logf("stop to ready: %v", tail)
			if got.LiveURL != "" || got.Recording {
				t.Fatalf("ready video still live: %+v", got)
			}
			// The streamed MP4 is then rewritten in the background with its
			// index in front.
			s.waitJobsDone(t, 60*time.Second)
			out := filepath.Join(t.TempDir(), "out.mp4")
			r, err = http.Get(got.MP4URL)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Create(out)
			io.Copy(f, r.Body)
			f.Close()
			r.Body.Close()
			mp4, _ := os.ReadFile(out)
			if moov, mdat := bytes.Index(mp4, []byte("moov")), bytes.Index(mp4, []byte("mdat")); moov < 0 || moov > mdat || bytes.Contains(mp4, []byte("moof")) {
				t.Fatalf("final MP4 is not faststart (moov %d, mdat %d)", moov, mdat)
			}
			p := MustProbe(t, out)
			if p.codec("video") != "h264" || p.codec("audio") != "aac" {
				t.Fatalf("codecs %s/%s", p.codec("video"), p.codec("audio"))
			}
			if d := p.seconds(); d < secs*0.95 || d > secs*1.05 {
				t.Fatalf("duration %.2fs, want %ds ±5%%", d, secs)
			}
			// The original is every uploaded byte.
			b, err := s.Blobs.Open(t.Context(), media.OriginalKey(v.ID))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := io.ReadAll(b)
			b.Close()
			if !bytes.Equal(orig, data) {
				t.Fatalf("original differs from the upload (%d vs %d bytes)", len(orig), len(data))
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "tmp")); len(left) != 0 {
				t.Fatalf("temp files left: %v", left)
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "uploads")); len(left) != 0 {
				t.Fatalf("staging left: %v", left)
			}
		})
	}
}
