package e2e

import (
	"context"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
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
	ProducedMs         float64 `json:"producedMs"`
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
	srv.signIn(tb, ctx)
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

// stopRecording presses Stop and waits until the upload is complete and
// the recorder has moved to the video's page; it returns the recorder's
// figures, which it leaves in sessionStorage for that page.
func stopRecording(tb testing.TB, ctx context.Context) hooks {
	tb.Helper()
	do(tb, ctx, 10*time.Second, "click Stop", chromedp.Click(chromedp.ID("rec-stop")))
	waitJS(tb, ctx, 60*time.Second, `location.pathname.startsWith('/v/') && sessionStorage.getItem('baton.recorder') !== null && document.readyState === 'complete'`,
		`JSON.stringify({path: location.pathname, hooks: window.__baton ?? null})`)
	h := eval[hooks](tb, ctx, 5*time.Second, `JSON.parse(sessionStorage.getItem('baton.recorder'))`)
	if h.UploadedAt <= 0 || "/v/"+h.Slug != eval[string](tb, ctx, 5*time.Second, `location.pathname`) {
		tb.Fatalf("after Stop: %+v on %s", h, eval[string](tb, ctx, 5*time.Second, `location.href`))
	}
	return h
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

	// Stop copies the link: let the page use the clipboard, as a person
	// would allow it, and keep the page focused (headless has no window focus).
	origin := srv.URL
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	openRecorder(t, ctx, srv)
	startRecording(t, ctx)
	// The microphone meter moves while recording (the fake microphone beeps).
	var loudest float64
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		level := eval[float64](t, ctx, 5*time.Second, `parseFloat(document.getElementById('mic-level-live').style.width) || 0`)
		loudest = math.Max(loudest, level)
		sleep(t, ctx, 250*time.Millisecond)
	}
	stopClicked := time.Now()
	h := stopRecording(t, ctx)
	if loudest == 0 {
		t.Error("the microphone level meter never moved")
	}

	if h.LinkShownAt <= 0 || h.FirstChunkAckAt <= 0 || h.LinkShownAt >= h.FirstChunkAckAt {
		t.Fatalf("link shown at %.0f ms, first chunk acknowledged at %.0f ms: the link must come first", h.LinkShownAt, h.FirstChunkAckAt)
	}
	if h.ChunksProduced < 8 {
		t.Fatalf("%d chunks for ~10 s at a 1 s timeslice", h.ChunksProduced)
	}
	// Stop landed on the video's page with the link on the clipboard, and
	// the page says so; the video plays there once processed.
	if got := eval[string](t, ctx, 5*time.Second, `navigator.clipboard.readText()`); got != h.ShareURL {
		t.Fatalf("clipboard after Stop = %q, want the share link %q", got, h.ShareURL)
	}
	waitJS(t, ctx, 5*time.Second, `document.getElementById('toasts')?.innerText.includes('Link copied')`, `document.getElementById('toasts')?.innerText`)
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	waitJS(t, ctx, 20*time.Second, `document.getElementById('player')?.dataset.source === 'mp4' && document.getElementById('player').readyState >= 1`, `document.getElementById('stage')?.innerText`)
	readyAfter := time.Since(stopClicked)
	p := checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
	if got := srv.uploadLength(t, h.VideoID); got != h.BytesProduced {
		t.Fatalf("server has %d bytes, the recorder produced %d", got, h.BytesProduced)
	}
	t.Logf("mime %s; recorded %.1f s in %d chunks (%d bytes); link %.0f ms before the first ack; Stop->uploaded %.2f s, Stop->playing on the video page at most %.2f s; MP4 %.2f s %s/%s %dx%d",
		h.MimeType, h.RecordedMs/1000, h.ChunksProduced, h.BytesProduced, h.FirstChunkAckAt-h.LinkShownAt,
		(h.UploadedAt-h.StoppedAt)/1000, readyAfter.Seconds(), p.seconds(), p.codec("video"), p.codec("audio"), v.Width, v.Height)
}

const playerState = `(p => JSON.stringify(p && {t: p.currentTime, paused: p.paused, rs: p.readyState, err: p.error && p.error.message, frames: p.getVideoPlaybackQuality().totalVideoFrames, src: p.dataset.source, engine: p.dataset.engine}))(document.getElementById('player'))`

// watchLive opens a share link and waits until the live player plays.
func watchLive(t *testing.T, viewer context.Context, link, engine string) {
	t.Helper()
	opened := time.Now()
	do(t, viewer, 20*time.Second, "open the share link", chromedp.Navigate(link))
	waitJS(t, viewer, 20*time.Second, `document.querySelector('#player[data-source="live"]')`,
		`JSON.stringify({stage: document.getElementById('stage')?.dataset, html: document.getElementById('stage')?.innerHTML.slice(0, 300)})`)
	waitJS(t, viewer, 10*time.Second, `/recording in progress/i.test(document.getElementById('live-badge')?.textContent ?? '')`,
		`JSON.stringify(document.getElementById('live-badge')?.textContent ?? null)`)
	waitJS(t, viewer, 25*time.Second,
		`(p => p && p.dataset.engine === '`+engine+`' && p.currentTime > 0.5 && p.getVideoPlaybackQuality().totalVideoFrames > 5)(document.getElementById('player'))`,
		`JSON.stringify({player: `+playerState+`, stage: document.getElementById('stage')?.textContent})`)
	at := eval[float64](t, viewer, 5*time.Second, `document.getElementById('player').currentTime`)
	t.Logf("%s viewer: playing %.1f s after opening the link, at %.1f s of the video", engine, time.Since(opened).Seconds(), at)
	// A mark that a reload would wipe.
	eval[bool](t, viewer, 5*time.Second, `window.__noReload = true`)
}

// TestWatchWhileRecording opens the share link in two other browser
// profiles while the recording runs, one with hls.js (the default where
// Media Source Extensions exist) and one with the browser's own HLS player
// (as on iPhones): both must play before the recording stops, and
// switch to the final video after Stop without a reload.
func TestWatchWhileRecording(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	rec, _ := br.tab(t, false)

	openRecorder(t, rec, srv)
	h := startRecording(t, rec)
	sleep(t, rec, 3*time.Second)

	hlsjs, _ := br.tab(t, true)
	watchLive(t, hlsjs, h.ShareURL, "hls.js")
	native, _ := br.tab(t, true)
	watchLive(t, native, h.ShareURL+"?hls=native", "native")
	during := readHooks(t, rec)
	if during.State != "recording" {
		t.Fatalf("the viewers played only after the recording stopped (state %s)", during.State)
	}
	t.Logf("both viewers played while the recording was at %.1f s", during.RecordedMs/1000)

	h = stopRecording(t, rec)
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	for _, viewer := range []context.Context{native, hlsjs} {
		waitJS(t, viewer, 30*time.Second, `document.querySelector('#player[data-source="mp4"]')`, playerState)
		if !eval[bool](t, viewer, 5*time.Second, `window.__noReload === true`) {
			t.Fatal("the watch page reloaded to show the final video")
		}
		waitJS(t, viewer, 15*time.Second, `document.getElementById('player').readyState >= 2`, playerState)
		if eval[bool](t, viewer, 5*time.Second, `!!document.getElementById('live-badge')`) {
			t.Fatal("the recording badge is still shown on the final video")
		}
	}
	checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
}

// TestNetworkLoss cuts the recorder off from the upload endpoint for 4 s in
// the middle of a recording: the recording must still complete with every
// byte.
func TestNetworkLoss(t *testing.T) {
	requireSetup(t)
	ln := listen(t)
	srv := startServer(t, "BATON_PUBLIC_URL=http://"+ln.Addr().String())
	proxy := startFlakyProxy(t, ln, srv.URL)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	// The page, its API calls and its uploads all go through the proxy.
	openRecorder(t, ctx, &server{URL: proxy.URL, client: srv.client})
	startRecording(t, ctx)
	sleep(t, ctx, 3*time.Second)
	proxy.down.Store(true)
	waitJS(t, ctx, 5*time.Second, `__baton.uploadFailures > 0 && document.getElementById('rec-upload-status').dataset.kind === 'warn'`, hooksJSON)
	sleep(t, ctx, 4*time.Second)
	during := readHooks(t, ctx)
	proxy.down.Store(false)
	waitJS(t, ctx, 10*time.Second, `__baton.uploadFailures === 0 && document.getElementById('rec-upload-status').dataset.kind !== 'warn'`, hooksJSON)
	sleep(t, ctx, 3*time.Second)
	h := stopRecording(t, ctx)
	if proxy.dropped.Load() == 0 {
		t.Fatal("no upload request was cut off during the outage")
	}
	if behind := during.BytesProduced - during.BytesAcked; behind <= 0 {
		t.Fatalf("during the outage the uploader was not behind (%d produced, %d acked)", during.BytesProduced, during.BytesAcked)
	}
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	if got := srv.uploadLength(t, h.VideoID); got != h.BytesProduced {
		t.Fatalf("server has %d bytes, the recorder produced %d", got, h.BytesProduced)
	}
	checkVideo(t, v, h.RecordedMs, 0.1*h.RecordedMs)
	t.Logf("%d upload requests cut off; %d bytes were waiting when the network came back; Stop->uploaded %.2f s",
		proxy.dropped.Load(), during.BytesProduced-during.BytesAcked, (h.UploadedAt-h.StoppedAt)/1000)
}

// TestCrashRecovery kills the recording tab's renderer mid-recording, then
// reopens the recorder in the same profile: it offers to recover, and the
// result holds what MediaRecorder had produced before the crash.
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
	if dir := os.Getenv("BATON_E2E_SHOTS"); dir != "" && os.MkdirAll(dir, 0o755) == nil {
		if b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "rec-recover-light.png"), b, 0o644)
		}
	}
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
	// What MediaRecorder had handed over before the crash must all be
	// there; what was still inside the encoder (up to the 1 s timeslice,
	// plus its lag) dies with the tab.
	p := checkVideo(t, v, before.ProducedMs, 1500)
	t.Logf("crashed %.1f s into the recording, %.1f s of it handed over by MediaRecorder (%d bytes, %d acked); recovered video %.2f s",
		before.RecordedMs/1000, before.ProducedMs/1000, before.BytesProduced, before.BytesAcked, p.seconds())
	if eval[bool](t, ctx, 5*time.Second, `!document.getElementById('recover').hidden`) {
		t.Fatal("the recover notice is still shown after recovering")
	}
}

// TestRecorderControls restarts, pauses and cancels recordings: a restart
// deletes the first video and records a new one, a pause is left out of
// the result, a cancel deletes the video.
func TestRecorderControls(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	ctx, _ := br.tab(t, false)

	openRecorder(t, ctx, srv)
	first := startRecording(t, ctx)
	sleep(t, ctx, 2*time.Second)
	do(t, ctx, 10*time.Second, "click Restart", chromedp.Click(chromedp.ID("rec-restart")))
	do(t, ctx, 10*time.Second, "confirm Restart", chromedp.Click(chromedp.CSS(`#restart-dialog [data-action="confirm"]`)))
	waitJS(t, ctx, 15*time.Second, `['countdown', 'recording'].includes(__baton.state) && __baton.videoId !== '' && __baton.videoId !== '`+first.VideoID+`'`, hooksJSON)
	if st := srv.status(t, first.VideoID); st != http.StatusNotFound {
		t.Fatalf("after Restart the first video answers %d, want 404", st)
	}
	do(t, ctx, 10*time.Second, "skip the countdown", chromedp.Click(chromedp.ID("countdown-skip")))
	waitJS(t, ctx, 10*time.Second, `__baton.state === 'recording'`, hooksJSON)
	began := time.Now()

	sleep(t, ctx, 2*time.Second)
	do(t, ctx, 10*time.Second, "click Pause", chromedp.Click(chromedp.ID("rec-pause")))
	waitJS(t, ctx, 5*time.Second, `__baton.state === 'paused'`, hooksJSON)
	sleep(t, ctx, 2500*time.Millisecond)
	do(t, ctx, 10*time.Second, "click Resume", chromedp.Click(chromedp.ID("rec-pause")))
	waitJS(t, ctx, 5*time.Second, `__baton.state === 'recording'`, hooksJSON)
	sleep(t, ctx, 2*time.Second)
	wall := time.Since(began)
	h := stopRecording(t, ctx)
	if h.RecordedMs > float64(wall.Milliseconds()-2000) {
		t.Fatalf("recorded %.0f ms in %v with a 2.5 s pause: the pause was counted", h.RecordedMs, wall)
	}
	v := srv.waitReady(t, h.VideoID, 60*time.Second)
	checkVideo(t, v, h.RecordedMs, math.Max(500, 0.1*h.RecordedMs))

	// Stop moved to the video's page; Record in its header starts another.
	do(t, ctx, 10*time.Second, "click Record", chromedp.Click(chromedp.ID("record-link")))
	waitJS(t, ctx, 15*time.Second, `window.__baton?.state === 'idle' && !document.getElementById('record-start').disabled && document.getElementById('cam-preview').readyState >= 2`, hooksJSON)
	third := startRecording(t, ctx)
	sleep(t, ctx, 1500*time.Millisecond)
	do(t, ctx, 10*time.Second, "click Cancel", chromedp.Click(chromedp.ID("rec-cancel")))
	do(t, ctx, 10*time.Second, "confirm Cancel", chromedp.Click(chromedp.CSS(`#cancel-dialog [data-action="confirm"]`)))
	waitJS(t, ctx, 10*time.Second, `__baton.state === 'idle'`, hooksJSON)
	if st := srv.status(t, third.VideoID); st != http.StatusNotFound {
		t.Fatalf("after Cancel the video answers %d, want 404", st)
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
		b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
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
	theme("light")
	// Stop moves to the video's page, which shows processing, then the video.
	stopRecording(t, ctx)
	both("processing")
	waitJS(t, ctx, 60*time.Second, `document.getElementById('player')?.readyState >= 2`, "")
	both("watch")
}
