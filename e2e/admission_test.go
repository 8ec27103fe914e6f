package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baton-video/baton/media/mediatest"
)

// TestRecorderSaysWhenReady: with one live slot (BATON_MAX_LIVE=1) held by
// another recording, the recorder and the video's page say the recording
// will be ready a little after Stop; once that slot frees, the recording is
// promoted to live mid-recording and the recorder says "about a second".
// It ends ready either way. Screenshots (admission-*.png) show both
// wordings in light and dark, at 1280 and 375 px.
func TestRecorderSaysWhenReady(t *testing.T) {
	srv := startServer(t, "BATON_MAX_LIVE=1")
	srv.signUp(t)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	// Someone else is recording: half a recording, its length not known
	// yet, holds the one live slot.
	src := filepath.Join(t.TempDir(), "other.mkv")
	mediatest.MustRecording(t, src, 6, "320x180", "h264")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	other := srv.createVideo(t, "someone else's update")
	half := len(data) / 2
	srv.patchUpload(t, other.UploadURL, 0, data[:half], -1)
	if got := srv.processing(t, other.ID); got != "live" {
		t.Fatalf("the first recording is %q, want live", got)
	}

	openRecorder(t, ctx, srv)
	h := startRecording(t, ctx)
	// The recorder asks the server which case applies every 10 s.
	waitJS(t, ctx, 30*time.Second,
		`document.getElementById('rec-upload-status').textContent.includes('the server is busy: ready a little after you stop')`,
		`document.getElementById('rec-upload-status').textContent`)
	if got := srv.processing(t, h.VideoID); got != "after-upload" {
		t.Fatalf("the browser's recording is %q, want after-upload", got)
	}
	screenshots(t, ctx, "admission-recorder-busy")

	// Its page, opened by a viewer while it records, says the same.
	watch, _ := br.tab(t, false)
	do(t, watch, 20*time.Second, "open the recording's page", chromedp.Navigate(srv.URL+"/v/"+h.Slug))
	waitJS(t, watch, 15*time.Second,
		`(document.getElementById('stage-heading')?.textContent ?? '').includes('the server is busy: ready a little after the recording stops')`,
		`document.getElementById('stage-heading')?.textContent ?? document.body.innerText.slice(0, 300)`)
	screenshots(t, watch, "admission-watch-busy")

	// The other recording stops; its slot frees, and the browser's
	// recording, still short, is promoted at its next chunk.
	srv.patchUpload(t, other.UploadURL, int64(half), data[half:], int64(len(data)))
	waitJS(t, ctx, 30*time.Second,
		`document.getElementById('rec-upload-status').textContent.includes('ready about a second after you stop')`,
		`document.getElementById('rec-upload-status').textContent`)
	if got := srv.processing(t, h.VideoID); got != "live" {
		t.Fatalf("the browser's recording after the slot freed is %q, want live", got)
	}
	screenshots(t, ctx, "admission-recorder-live")
	do(t, watch, 20*time.Second, "reload the recording's page", chromedp.Navigate(srv.URL+"/v/"+h.Slug))
	sleep(t, watch, 2*time.Second) // the live rendition's first segments
	screenshots(t, watch, "admission-watch-live")

	stopRecording(t, ctx)
	v := srv.waitReady(t, h.VideoID, 90*time.Second)
	if v.MP4URL == "" {
		t.Fatalf("ready without an MP4: %+v", v)
	}
	srv.waitReady(t, other.ID, 90*time.Second)
}

// createVideo creates a video as the test account.
func (s *server) createVideo(tb testing.TB, title string) struct{ ID, Slug, UploadURL string } {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"title": title})
	r, err := s.client.Post(s.URL+"/api/videos", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusCreated {
		tb.Fatalf("create video: %s %s", r.Status, b)
	}
	var v struct{ ID, Slug, UploadURL string }
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// patchUpload sends one tus PATCH; length < 0 leaves the length unknown,
// as a recorder does until Stop.
func (s *server) patchUpload(tb testing.TB, uploadURL string, offset int64, chunk []byte, length int64) {
	tb.Helper()
	up, _ := url.Parse(uploadURL)
	req, _ := http.NewRequest(http.MethodPatch, s.URL+up.Path, bytes.NewReader(chunk))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	}
	r, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusNoContent {
		tb.Fatalf("PATCH at %d: %s %s", offset, r.Status, b)
	}
}

// processing is how the server says it processes a recording in progress.
func (s *server) processing(tb testing.TB, id string) string {
	tb.Helper()
	r, err := s.client.Get(s.URL + "/api/videos/" + id)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	var v struct{ Processing string }
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		tb.Fatal(err)
	}
	return v.Processing
}
