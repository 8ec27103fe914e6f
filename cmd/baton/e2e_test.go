package main

import (
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestUploadProcessWatch is the core path end to end: a WebM without a
// duration header, uploaded over tus in chunks with deferred length, ends as
// a playable H.264/AAC MP4 served with Range support — on local disk and on
// a real MinIO.
func TestUploadProcessWatch(t *testing.T) {
	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 4, "320x240")
	srcDur := MustProbe(t, src)
	data, _ := os.ReadFile(src)

	for _, store := range []string{"disk", "minio"} {
		t.Run(store, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir(), func(c *Config) {
				if store == "minio" {
					withMinIO(t, c)
				}
			})
			s := MustStart(t, cfg)
			v := s.MustCreateVideo(t, "Standup")
			if v.Status != "created" || v.UploadURL == "" || !media.ValidSlug(v.Slug) || !media.ValidID(v.ID) {
				t.Fatalf("created video = %+v", v)
			}
			if got, want := v.ShareURL, s.URL+"/v/"+v.Slug; got != want {
				t.Fatalf("ShareURL = %q, want %q", got, want)
			}
			resp, body := uploadChunks(t, v.UploadURL, data, 5)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("final PATCH = %s %s", resp.Status, body)
			}
			v = s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed")
			if v.Status != "ready" {
				t.Fatalf("status %s: %s", v.Status, v.Error)
			}
			// A follow-up job may still be tidying (faststart rewrite).
			s.waitJobsDone(t, time.Minute)
			s.do(t, "GET", "/api/videos/"+v.ID, nil, &v)
			if v.MP4URL == "" || v.PosterURL == "" || v.Width != 320 || v.Height != 240 {
				t.Fatalf("ready video = %+v", v)
			}

			// Range request, as a player seeking makes.
			req, _ := http.NewRequest("GET", v.MP4URL, nil)
			req.Header.Set("Range", "bytes=0-1023")
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			part, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusPartialContent || len(part) != 1024 {
				t.Fatalf("range: %s, %d bytes", r.Status, len(part))
			}
			if ct := r.Header.Get("Content-Type"); ct != "video/mp4" {
				t.Fatalf("Content-Type = %q", ct)
			}

			out := filepath.Join(t.TempDir(), "out.mp4")
			r, err = http.Get(v.MP4URL)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Create(out)
			n, _ := io.Copy(f, r.Body)
			f.Close()
			r.Body.Close()
			if n != v.SizeBytes {
				t.Fatalf("downloaded %d bytes, sizeBytes says %d", n, v.SizeBytes)
			}
			p := MustProbe(t, out)
			if p.codec("video") != "h264" || p.codec("audio") != "aac" {
				t.Fatalf("codecs = %s/%s, want h264/aac", p.codec("video"), p.codec("audio"))
			}
			want := srcDur.seconds()
			if want == 0 {
				want = 4
			}
			if math.Abs(p.seconds()-want)/want > 0.05 {
				t.Fatalf("duration %.2fs, source %.2fs: off by more than 5%%", p.seconds(), want)
			}
			if math.Abs(float64(v.DurationMs)/1000-p.seconds()) > 0.2 {
				t.Fatalf("durationMs %d disagrees with the file (%.2fs)", v.DurationMs, p.seconds())
			}

			r, _ = http.Get(v.PosterURL)
			poster, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || len(poster) < 100 || poster[0] != 0xFF || poster[1] != 0xD8 {
				t.Fatalf("poster: %s, %d bytes", r.Status, len(poster))
			}

			// The share page and the public view answer; the upload is gone
			// from staging; the store holds exactly the outputs.
			var shared apiVideo
			if resp := s.do(t, "GET", "/api/share/"+v.Slug, nil, &shared); resp.StatusCode != 200 || shared.ID != v.ID || shared.UploadURL != "" {
				t.Fatalf("share api: %s %+v", resp.Status, shared)
			}
			if r, _ := http.Get(v.ShareURL); r.StatusCode != 200 {
				t.Fatalf("share page: %s", r.Status)
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "uploads")); len(left) != 0 {
				t.Fatalf("staging not cleaned: %v", left)
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "tmp")); len(left) != 0 {
				t.Fatalf("temp files left: %v", left)
			}
			keys := s.objectKeys(t, media.VideoPrefix(v.ID))
			wantKeys := []string{media.OriginalKey(v.ID), media.PosterKey(v.ID), media.MP4Key(v.ID)}
			slices.Sort(wantKeys)
			if !slices.Equal(keys, wantKeys) {
				t.Fatalf("objects = %v, want %v", keys, wantKeys)
			}

			// Delete removes the row and every object.
			if resp := s.do(t, "DELETE", "/api/videos/"+v.ID, nil, nil); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %s", resp.Status)
			}
			if keys := s.objectKeys(t, media.VideoPrefix(v.ID)); len(keys) != 0 {
				t.Fatalf("objects after delete: %v", keys)
			}
			if r, _ := http.Get(v.MP4URL); r.StatusCode != http.StatusNotFound {
				t.Fatalf("media after delete: %s", r.Status)
			}
		})
	}
}
