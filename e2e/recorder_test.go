package e2e

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// hooks mirrors window.__baton, the recorder page's test hooks.
type hooks struct {
	State              string  `json:"state"`
	VideoID            string  `json:"videoId"`
	Slug               string  `json:"slug"`
	ShareURL           string  `json:"shareUrl"`
	MimeType           string  `json:"mimeType"`
	LinkShownAt        float64 `json:"linkShownAt"`
	RecordingStartedAt float64 `json:"recordingStartedAt"`
	FirstChunkAckAt    float64 `json:"firstChunkAckAt"`
	StoppedAt          float64 `json:"stoppedAt"`
	UploadedAt         float64 `json:"uploadedAt"`
	ReadyAt            float64 `json:"readyAt"`
	RecordedMs         float64 `json:"recordedMs"`
	ChunksProduced     int     `json:"chunksProduced"`
	BytesProduced      int64   `json:"bytesProduced"`
	BytesAcked         int64   `json:"bytesAcked"`
	UploadFailures     int     `json:"uploadFailures"`
	Recoverable        int     `json:"recoverable"`
	Error              string  `json:"error"`
}

const hooksJSON = `JSON.stringify(window.__baton)`

func readHooks(tb testing.TB, ctx context.Context) hooks {
	tb.Helper()
	return eval[hooks](tb, ctx, 5*time.Second, `window.__baton`)
}

// openRecorder loads /record and waits until it is ready to record.
func openRecorder(tb testing.TB, ctx context.Context, srv *server) {
	tb.Helper()
	do(tb, ctx, 20*time.Second, "open /record", chromedp.Navigate(srv.URL+"/record"))
	waitJS(tb, ctx, 15*time.Second,
		`window.__baton && __baton.state === 'idle' && !document.getElementById('record-start').disabled && document.getElementById('cam-preview').readyState >= 2`,
		hooksJSON)
}

// startRecording presses Record, skips the countdown and waits until MediaRecorder runs.
func startRecording(tb testing.TB, ctx context.Context) hooks {
	tb.Helper()
	do(tb, ctx, 10*time.Second, "click Start recording", chromedp.Click(chromedp.ID("record-start")))
	waitJS(tb, ctx, 15*time.Second, `['countdown', 'recording'].includes(__baton.state)`, hooksJSON)
	// The link exists as soon as the countdown runs.
	waitJS(tb, ctx, 10*time.Second, `document.getElementById('rec-share-link').value === __baton.shareUrl && __baton.shareUrl !== ''`, hooksJSON)
	do(tb, ctx, 10*time.Second, "skip the countdown", chromedp.Click(chromedp.ID("countdown-skip")))
	waitJS(tb, ctx, 10*time.Second, `__baton.state === 'recording'`, hooksJSON)
	return readHooks(tb, ctx)
}

// stopRecording presses Stop and waits until the upload is complete.
func stopRecording(tb testing.TB, ctx context.Context) hooks {
	tb.Helper()
	do(tb, ctx, 10*time.Second, "click Stop", chromedp.Click(chromedp.ID("rec-stop")))
	waitJS(tb, ctx, 60*time.Second, `['processing', 'ready'].includes(__baton.state)`, hooksJSON)
	return readHooks(tb, ctx)
}

// checkVideo asserts the final MP4 has video and audio and lasts about wantMs.
func checkVideo(tb testing.TB, v apiVideo, wantMs, tolerance float64) probe {
	tb.Helper()
	if v.MP4URL == "" {
		tb.Fatalf("ready video has no mp4Url: %+v", v)
	}
	p := probeURL(tb, v.MP4URL)
	if p.codec("video") == "" || p.codec("audio") == "" {
		tb.Fatalf("MP4 streams: video %q, audio %q; want both", p.codec("video"), p.codec("audio"))
	}
	got := p.seconds() * 1000
	if math.Abs(got-wantMs) > tolerance {
		tb.Fatalf("MP4 lasts %.0f ms, recorded %.0f ms: off by more than %.0f ms", got, wantMs, tolerance)
	}
	if math.Abs(float64(v.DurationMs)-got) > 500 {
		tb.Fatalf("durationMs %d disagrees with the file (%.0f ms)", v.DurationMs, got)
	}
	return p
}

// TestRecordScreenCameraMic records about 10 s of screen, camera bubble and
// microphone, and checks that the link came before the first uploaded byte
// and that the result is a complete video soon after Stop.
func TestRecordScreenCameraMic(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	openRecorder(t, ctx, srv)
	startRecording(t, ctx)
	sleep(t, ctx, 10*time.Second)
	h := stopRecording(t, ctx)

	if h.LinkShownAt <= 0 || h.FirstChunkAckAt <= 0 || h.LinkShownAt >= h.FirstChunkAckAt {
		t.Fatalf("link shown at %.0f ms, first chunk acknowledged at %.0f ms: the link must come first", h.LinkShownAt, h.FirstChunkAckAt)
	}
	if h.ChunksProduced < 8 {
		t.Fatalf("%d chunks for ~10 s at a 1 s timeslice", h.ChunksProduced)
	}
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	waitJS(t, ctx, 15*time.Second, `__baton.state === 'ready'`, hooksJSON)
	h2 := readHooks(t, ctx)
	p := checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
	if got := srv.uploadLength(t, h.VideoID); got != h.BytesProduced {
		t.Fatalf("server has %d bytes, the recorder produced %d", got, h.BytesProduced)
	}
	t.Logf("mime %s; recorded %.1f s in %d chunks (%d bytes); link %.0f ms before the first ack; Stop->uploaded %.2f s, Stop->ready (page) %.2f s; MP4 %.2f s %s/%s %dx%d",
		h.MimeType, h.RecordedMs/1000, h.ChunksProduced, h.BytesProduced, h.FirstChunkAckAt-h.LinkShownAt,
		(h2.UploadedAt-h.StoppedAt)/1000, (h2.ReadyAt-h.StoppedAt)/1000, p.seconds(), p.codec("video"), p.codec("audio"), v.Width, v.Height)
}

// TestWatchWhileRecording opens the share link in another browser profile
// while the recording runs: it must play before the recording stops, and
// switch to the final video after Stop without a reload.
func TestWatchWhileRecording(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	rec, _ := br.tab(t, false)

	openRecorder(t, rec, srv)
	h := startRecording(t, rec)
	sleep(t, rec, 3*time.Second)

	viewer, _ := br.tab(t, true)
	opened := time.Now()
	do(t, viewer, 20*time.Second, "open the share link", chromedp.Navigate(h.ShareURL))
	waitJS(t, viewer, 20*time.Second, `document.querySelector('#player[data-source="live"]')`,
		`JSON.stringify({stage: document.getElementById('stage')?.dataset, html: document.getElementById('stage')?.innerHTML.slice(0, 300)})`)
	liveAfter := time.Since(opened)
	waitJS(t, viewer, 10*time.Second, `/recording/i.test(document.getElementById('live-badge')?.textContent ?? '')`,
		`JSON.stringify(document.getElementById('live-badge')?.textContent ?? null)`)
	const playing = `(p => p && p.currentTime > 0.5 && p.getVideoPlaybackQuality().totalVideoFrames > 5)(document.getElementById('player'))`
	const playerState = `(p => JSON.stringify(p && {t: p.currentTime, paused: p.paused, rs: p.readyState, err: p.error && p.error.message, frames: p.getVideoPlaybackQuality().totalVideoFrames, src: p.dataset.source}))(document.getElementById('player'))`
	waitJS(t, viewer, 25*time.Second, playing, playerState)
	playingAfter := time.Since(opened)
	during := readHooks(t, rec)
	if during.State != "recording" {
		t.Fatalf("the viewer played only after the recording stopped (state %s)", during.State)
	}
	liveAt := eval[float64](t, viewer, 5*time.Second, `document.getElementById('player').currentTime`)
	engine := eval[string](t, viewer, 5*time.Second, `document.getElementById('player').dataset.engine ?? ''`)
	t.Logf("viewer (opened %.1f s into the recording): live player after %.1f s, playing (%s) after %.1f s, at %.1f s of the video while %.1f s were recorded",
		(h.RecordedMs+3000)/1000, liveAfter.Seconds(), engine, playingAfter.Seconds(), liveAt, during.RecordedMs/1000)

	// A mark that a reload would wipe.
	eval[bool](t, viewer, 5*time.Second, `window.__noReload = true`)
	sleep(t, rec, 3*time.Second)
	h = stopRecording(t, rec)
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	waitJS(t, viewer, 30*time.Second, `document.querySelector('#player[data-source="mp4"]')`, playerState)
	if !eval[bool](t, viewer, 5*time.Second, `window.__noReload === true`) {
		t.Fatal("the watch page reloaded to show the final video")
	}
	waitJS(t, viewer, 15*time.Second, `document.getElementById('player').readyState >= 2`, playerState)
	if eval[bool](t, viewer, 5*time.Second, `!!document.getElementById('live-badge')`) {
		t.Fatal("the recording badge is still shown on the final video")
	}
	checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
}

// TestNetworkLoss cuts the recorder off from the upload endpoint for 4 s in
// the middle of a recording: the recording must still complete with every
// byte.
func TestNetworkLoss(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	var outage atomic.Bool
	var refused atomic.Int64
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	go func() {
		for ev, err := range paused {
			if err != nil {
				t.Logf("DEBUG paused err %v", err)
				return
			}
			t.Logf("DEBUG paused %s %s", ev.Request.Method, ev.Request.URL)
			if outage.Load() {
				refused.Add(1)
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
			} else {
				_, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				t.Logf("DEBUG continue %v", err)
			}
		}
	}()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/uploads/*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}

	openRecorder(t, ctx, srv)
	startRecording(t, ctx)
	sleep(t, ctx, 3*time.Second)
	outage.Store(true)
	waitJS(t, ctx, 4*time.Second, `__baton.uploadFailures > 0 && document.getElementById('rec-upload-status').dataset.kind === 'warn'`, hooksJSON)
	sleep(t, ctx, 4*time.Second)
	during := readHooks(t, ctx)
	outage.Store(false)
	sleep(t, ctx, 5*time.Second)
	h := stopRecording(t, ctx)
	if refused.Load() == 0 {
		t.Fatal("no upload request was refused during the outage")
	}
	if behind := during.BytesProduced - during.BytesAcked; behind <= 0 {
		t.Fatalf("during the outage the uploader was not behind (%d produced, %d acked)", during.BytesProduced, during.BytesAcked)
	}
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	if got := srv.uploadLength(t, h.VideoID); got != h.BytesProduced {
		t.Fatalf("server has %d bytes, the recorder produced %d", got, h.BytesProduced)
	}
	checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
	t.Logf("%d requests refused; %d bytes were waiting when the network came back", refused.Load(), during.BytesProduced-during.BytesAcked)
}

// TestCrashRecovery kills the recording tab's renderer mid-recording, then
// reopens the recorder in the same profile: it offers to recover, and the
// result holds what was recorded before the crash.
func TestCrashRecovery(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	first, closeFirst := br.tab(t, false)

	openRecorder(t, first, srv)
	startRecording(t, first)
	waitJS(t, first, 20*time.Second, `__baton.recordedMs >= 6000 && __baton.bytesAcked > 0`, hooksJSON)
	before := readHooks(t, first)
	// The renderer dies: no unload handlers, nothing flushed.
	c, cancel := context.WithTimeout(first, 5*time.Second)
	_, _ = chromedp.Call(c, page.Crash, cdp.Empty{})
	cancel()
	closeFirst()

	ctx, _ := br.tab(t, false)
	openRecorder(t, ctx, srv)
	waitJS(t, ctx, 10*time.Second, `!document.getElementById('recover').hidden`, hooksJSON)
	do(t, ctx, 10*time.Second, "click Recover", chromedp.Click(chromedp.ID("recover-start")))
	waitJS(t, ctx, 60*time.Second, `['ready', 'failed'].includes(__baton.state)`, hooksJSON)
	h := readHooks(t, ctx)
	if h.State != "ready" || h.VideoID != before.VideoID {
		t.Fatalf("after recovery: %+v (recorded video %s)", h, before.VideoID)
	}
	v := srv.waitReady(t, before.VideoID, 30*time.Second)
	if got := srv.uploadLength(t, before.VideoID); got < before.BytesProduced {
		t.Fatalf("server has %d bytes, at the crash %d had been produced", got, before.BytesProduced)
	}
	p := checkVideo(t, v, before.RecordedMs, 1500)
	t.Logf("crashed at %.1f s recorded (%d bytes produced, %d acked); recovered video %.2f s",
		before.RecordedMs/1000, before.BytesProduced, before.BytesAcked, p.seconds())
	if eval[bool](t, ctx, 5*time.Second, `!document.getElementById('recover').hidden`) {
		t.Fatal("the recover notice is still shown after recovering")
	}
}

// TestRecorderScreenshots writes screenshots of the recorder's states in
// both themes and at phone width to $BATON_E2E_SHOTS, for people to look at.
func TestRecorderScreenshots(t *testing.T) {
	dir := os.Getenv("BATON_E2E_SHOTS")
	if dir == "" {
		t.Skip("set BATON_E2E_SHOTS=dir to write screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	theme := func(scheme string) {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string, width, height int64) {
		do(t, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(width, height))
		sleep(t, ctx, 400*time.Millisecond)
		c, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		b, err := chromedp.Run(c, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(dir, "rec-"+name+".png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	both := func(state string) {
		for _, scheme := range []string{"light", "dark"} {
			theme(scheme)
			shot(state+"-"+scheme, 1280, 860)
			shot(state+"-375-"+scheme, 375, 740)
		}
		do(t, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(1280, 860))
	}

	openRecorder(t, ctx, srv)
	both("idle")
	do(t, ctx, 10*time.Second, "click Start recording", chromedp.Click(chromedp.ID("record-start")))
	waitJS(t, ctx, 15*time.Second, `__baton.state === 'countdown'`, hooksJSON)
	theme("dark")
	shot("countdown-dark", 1280, 860)
	do(t, ctx, 10*time.Second, "skip", chromedp.Click(chromedp.ID("countdown-skip")))
	waitJS(t, ctx, 10*time.Second, `__baton.state === 'recording'`, hooksJSON)
	sleep(t, ctx, 3*time.Second)
	both("recording")
	do(t, ctx, 10*time.Second, "click Stop", chromedp.Click(chromedp.ID("rec-stop")))
	theme("light")
	shot("finishing-light", 1280, 860)
	waitJS(t, ctx, 60*time.Second, `__baton.state === 'ready'`, hooksJSON)
	both("ready")

	// The watch page of the recorded video.
	h := readHooks(t, ctx)
	do(t, ctx, 10*time.Second, "open watch page", chromedp.Navigate(h.ShareURL))
	waitJS(t, ctx, 15*time.Second, `document.getElementById('player')?.readyState >= 2`, "")
	both("watch")
}
