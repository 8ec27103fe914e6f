package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
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

	// Keep the recorder's tab focused (headless has no window focus) and
	// let Stop copy the link, as TestRecordScreenCameraMic does.
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: srv.URL,
		}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	openRecorder(t, ctx, srv)
	h := startRecording(t, ctx)
	// The recorder asks the server which case applies every 10 s.
	waitJS(t, ctx, 30*time.Second,
		`document.getElementById('rec-upload-status').textContent.includes('the server is busy: ready a little after you stop')`,
		`JSON.stringify({status: document.getElementById('rec-upload-status').textContent, state: window.__baton?.state})`)
	if got := srv.processing(t, h.VideoID); got != "after-upload" {
		t.Fatalf("the browser's recording is %q, want after-upload", got)
	}
	recordingShots(t, ctx, "admission-recorder-busy")

	// Its page, opened by a viewer while it records, says the same.
	watch, _ := br.tab(t, false)
	do(t, watch, 20*time.Second, "open the recording's page", chromedp.Navigate(srv.URL+"/v/"+h.Slug))
	waitJS(t, watch, 15*time.Second,
		`(document.getElementById('stage-heading')?.textContent ?? '').includes('the server is busy: ready a little after the recording stops')`,
		`document.getElementById('stage-heading')?.textContent ?? document.body.innerText.slice(0, 300)`)
	recordingShots(t, watch, "admission-watch-busy")

	// The other recording stops; its slot frees, and the browser's
	// recording, still short, is promoted at its next chunk.
	srv.patchUpload(t, other.UploadURL, int64(half), data[half:], int64(len(data)))
	for deadline := time.Now().Add(30 * time.Second); srv.processing(t, h.VideoID) != "live"; {
		if time.Now().After(deadline) {
			t.Fatal("the browser's recording was not promoted to live once the slot freed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitJS(t, ctx, 60*time.Second,
		`document.getElementById('rec-upload-status').textContent.includes('ready about a second after you stop')`,
		`JSON.stringify({status: document.getElementById('rec-upload-status').textContent, state: window.__baton?.state})`)
	recordingShots(t, ctx, "admission-recorder-live")
	do(t, watch, 20*time.Second, "reload the recording's page", chromedp.Navigate(srv.URL+"/v/"+h.Slug))
	sleep(t, watch, 2*time.Second) // the live rendition's first segments
	recordingShots(t, watch, "admission-watch-live")

	stopRecording(t, ctx)
	v := srv.waitReady(t, h.VideoID, 90*time.Second)
	if v.MP4URL == "" {
		t.Fatalf("ready without an MP4: %+v", v)
	}
	srv.waitReady(t, other.ID, 90*time.Second)
}

// recordingShots is screenshots for pages that play or record media:
// viewport captures with room for a renderer busy with media, light and
// dark, at 1280 and 375 px.
func recordingShots(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := shotsDir(tb)
	scheme := func(value string) {
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Call(c, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: value}},
		}); err != nil {
			tb.Fatal(err)
		}
	}
	for _, value := range []string{"light", "dark"} {
		scheme(value)
		for _, size := range []struct {
			suffix string
			w, h   int64
		}{{"", 1280, 860}, {"-375", 375, 760}} {
			do(tb, ctx, 20*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			sleep(tb, ctx, 500*time.Millisecond)
			c, cancel := context.WithTimeout(ctx, 60*time.Second)
			b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
			cancel()
			if err != nil {
				tb.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+size.suffix+"-"+value+".png"), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	scheme("light")
	do(tb, ctx, 20*time.Second, "viewport", chromedp.EmulateViewport(1280, 860))
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
