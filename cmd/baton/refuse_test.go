package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestRefusedUploads: input Baton cannot accept is refused on the request
// that completes the upload, with a status, a code and a readable message,
// and leaves nothing behind: no staged bytes, no temp files, no objects.
func TestRefusedUploads(t *testing.T) {
	dir := t.TempDir()
	webm := filepath.Join(dir, "ok.webm")
	mediatest.MustWebM(t, webm, 4, "320x240")
	audioOnly := filepath.Join(dir, "audio.webm")
	mediatest.MustFFmpeg(t, "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "libopus", audioOnly)
	ts := filepath.Join(dir, "clip.ts")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("160x120", 25, 1), []string{"-c:v", "libx264", "-f", "mpegts", ts})...)
	png := filepath.Join(dir, "image.png")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("64x64", 25, 0), []string{"-frames:v", "1", png})...)

	read := func(p string) []byte { b, _ := os.ReadFile(p); return b }
	tests := []struct {
		name       string
		data       []byte
		cfg        func(*Config)
		wantStatus int
		wantCode   string
		// notVideo: the first bytes are refused, so the video goes too (no
		// library card for something that never was a video).
		notVideo bool
	}{
		{"zero-length", nil, nil, http.StatusBadRequest, media.EINVALID, false},
		{"text named .webm", []byte("this is not a video, just some text pretending to be one\n"), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, true},
		{"image named .webm", read(png), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, true},
		{"HLS playlist", []byte("#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, true},
		{"ffconcat script", []byte("ffconcat version 1.0\nfile '/etc/passwd'\n"), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, true},
		{"MPEG-TS (not an accepted container)", read(ts), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, true},
		{"audio only", read(audioOnly), nil, http.StatusUnsupportedMediaType, media.EUNSUPPORTED, false},
		{"over pixel limit", read(webm), func(c *Config) { c.MaxPixels = 160 * 120 }, http.StatusRequestEntityTooLarge, media.ETOOLARGE, false},
		{"over duration limit", read(webm), func(c *Config) { c.MaxDuration = 2 * time.Second }, http.StatusRequestEntityTooLarge, media.ETOOLARGE, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustStart(t, testConfig(t, t.TempDir(), tt.cfg))
			v := s.MustCreateVideo(t, tt.name)
			resp, body := uploadChunks(t, v.UploadURL, tt.data, 2)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %s (%s), want %d", resp.Status, body, tt.wantStatus)
			}
			var e apiErr
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q is not JSON: %v", body, err)
			}
			if e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Fatalf("error = %+v, want code %s with a message", e.Error, tt.wantCode)
			}
			var got apiVideo
			if tt.notVideo {
				if resp := s.do(t, "GET", "/api/videos/"+v.ID, nil, nil); resp.StatusCode != http.StatusNotFound {
					t.Fatalf("GET the refused upload's video = %s, want 404", resp.Status)
				}
			} else if s.do(t, "GET", "/api/videos/"+v.ID, nil, &got); got.Status != "failed" || got.Error != e.Error.Message || got.ErrorCode != tt.wantCode {
				t.Fatalf("video = %s %q %q, want failed with the same reason", got.Status, got.ErrorCode, got.Error)
			}
			// A retried last PATCH gets the same refusal, not a silent 204.
			if resp, _ := patch(t, v.UploadURL, int64(len(tt.data)), nil, -1); resp.StatusCode < 400 {
				t.Fatalf("PATCH after refusal = %s, want an error", resp.Status)
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "uploads")); len(left) != 0 {
				t.Fatalf("staging not cleaned: %v", left)
			}
			if left := listFiles(t, filepath.Join(s.DataDir, "tmp")); len(left) != 0 {
				t.Fatalf("temp files left: %v", left)
			}
			if keys := s.objectKeys(t, ""); len(keys) != 0 {
				t.Fatalf("objects stored for refused input: %v", keys)
			}
		})
	}
}

// TestAPIErrors: bad requests get JSON errors with real statuses.
func TestAPIErrors(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	v := s.MustCreateVideo(t, "x")
	long := make([]byte, media.MaxTitleLen+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/videos/not-an-id", nil, 404, media.ENOTFOUND},
		{"GET", "/api/videos/" + media.NewID(), nil, 404, media.ENOTFOUND},
		{"GET", "/api/videos?limit=0", nil, 400, media.EINVALID},
		{"GET", "/api/videos?before=bogus", nil, 400, media.EINVALID},
		{"PATCH", "/api/videos/" + v.ID, map[string]string{"title": string(long)}, 400, media.EINVALID},
		{"PATCH", "/api/videos/" + v.ID, map[string]any{}, 400, media.EINVALID},
		{"POST", "/api/videos", "not an object", 400, media.EINVALID},
		{"DELETE", "/api/videos/" + media.NewID(), nil, 404, media.ENOTFOUND},
		{"GET", "/api/share/nope", nil, 404, media.ENOTFOUND},
		{"GET", "/api/share/" + media.NewSlug(), nil, 404, media.ENOTFOUND},
		{"GET", "/media/" + v.Slug + "/video.mp4", nil, 404, media.ENOTFOUND},
		{"GET", "/media/" + v.Slug + "/../../etc/passwd", nil, 404, media.ENOTFOUND},
		{"GET", "/api/nothing", nil, 404, media.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var e apiErr
			resp := s.do(t, tt.method, tt.path, tt.body, &e)
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e.Error, tt.status, tt.code)
			}
		})
	}
	// Renaming works and trims.
	var got apiVideo
	if resp := s.do(t, "PATCH", "/api/videos/"+v.ID, map[string]string{"title": "  Weekly  "}, &got); resp.StatusCode != 200 || got.Title != "Weekly" {
		t.Fatalf("rename: %s %q", resp.Status, got.Title)
	}
	// Uploading with the wrong offset is a protocol error in our JSON shape.
	resp, body := patch(t, v.UploadURL, 5, []byte("abc"), -1)
	var e apiErr
	if resp.StatusCode != http.StatusConflict || json.Unmarshal(body, &e) != nil || e.Error.Code != "upload_offset_mismatch" {
		t.Fatalf("offset mismatch: %s %s", resp.Status, body)
	}
}
