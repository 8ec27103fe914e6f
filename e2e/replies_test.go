package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signInAs gives a tab the session held in jar (an isolated tab, so other
// tabs keep their own people).
func signInAs(tb testing.TB, ctx context.Context, base string, jar http.CookieJar) {
	tb.Helper()
	(&server{URL: base, client: &http.Client{Jar: jar}}).signIn(tb, ctx)
}

// TestVoiceReplyInThread: a member opens a video's watch page and records a
// voice reply in its thread (the microphone is a WAV of espeak-ng speech).
// The comment is in the thread, for a second viewer too, as soon as the
// recording starts; after Stop the reply plays inline on both pages
// without a reload, as a sound player with a length.
func TestVoiceReplyInThread(t *testing.T) {
	requireSetup(t)
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("espeak-ng is not installed")
		}
		t.Skip("espeak-ng is not installed")
	}
	speech := filepath.Join(t.TempDir(), "mic.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "140", "-w", speech,
		"Looks good to me. Ship option two, and keep the old pricing page for a week.").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}

	s := startServer(t)
	v := s.uploadClip(t, "Pricing options", makeClip(t, 8))
	bo, _ := s.member(t, "Bo Chen", "bo@example.com")

	b := startBrowser(t, chromedp.Flag("use-file-for-fake-audio-capture", speech))
	member, cancelM := b.tab(t, true)
	defer cancelM()
	bo.signIn(t, member)
	viewer, cancelV := b.tab(t, true) // nobody signed in, through the link
	defer cancelV()
	page := s.URL + "/v/" + v.Slug
	openWatch(t, member, page)
	openWatch(t, viewer, page)
	eval[bool](t, viewer, 5*time.Second, `(window.__samePage = true)`)
	// Guests are told why they have no record buttons.
	waitJS(t, viewer, 10*time.Second, `document.querySelector('#comment-form .record-btns__guest')?.innerText.includes('Sign in')`, `document.getElementById('comment-form')?.innerText`)

	waitJS(t, member, 10*time.Second, `document.getElementById('comment-record-voice')`, `document.getElementById('comment-form')?.innerText`)
	do(t, member, 10*time.Second, "type a line", chromedp.SendKeys(chromedp.CSS(`#comment-body`), "Voice note on pricing"))
	do(t, member, 10*time.Second, "record a voice reply", chromedp.Click(chromedp.ID("comment-record-voice")))
	waitJS(t, member, 30*time.Second, `window.__batonReply?.state === 'recording'`, `JSON.stringify(window.__batonReply)`)
	// In the thread at once, here and on the other page.
	for _, ctx := range []context.Context{member, viewer} {
		waitJS(t, ctx, 15*time.Second, `document.querySelector('#comment-list .reply-media--voice .reply-media__note')?.innerText.includes('recording')`,
			`document.getElementById('comment-list')?.innerText`)
	}
	if got := eval[string](t, member, 5*time.Second, `document.querySelector('.reply-rec .reply-rec__limit').textContent`); got != " / 5:00" {
		t.Errorf("the limit shown while recording = %q, want \" / 5:00\"", got)
	}
	screenshots(t, member, "reply-recording")
	waitJS(t, member, 30*time.Second, `document.querySelector('.reply-rec__timer').textContent >= '0:05'`, `document.querySelector('.reply-rec')?.innerText`)
	stopped := time.Now()
	do(t, member, 10*time.Second, "Stop", chromedp.Click(chromedp.CSS(`[data-action="stop-recording"]`)))
	waitJS(t, member, 60*time.Second, `window.__batonReply.state === 'done'`, `JSON.stringify(window.__batonReply)`)
	// Keyboard: focus is back on the button that started it.
	waitJS(t, member, 10*time.Second, `document.activeElement?.id === 'comment-record-voice'`, `document.activeElement?.outerHTML`)

	ready := `(() => { const a = document.querySelector('#comment-list .reply-media--voice[data-status="ready"] audio'); return a && a.readyState >= 1 && a.duration > 0; })()`
	waitJS(t, member, 60*time.Second, ready, `document.querySelector('#comment-list .reply-media')?.outerHTML`)
	// Live conversion: only the tail is left after Stop. A generous bound,
	// for a loaded machine; after-upload processing of a few seconds of
	// sound would also pass, the log line says which it was.
	took := time.Since(stopped)
	t.Logf("the voice reply was playable in the thread %.1f s after Stop", took.Seconds())
	if took > 30*time.Second {
		t.Errorf("the reply took %.1f s after Stop to be playable", took.Seconds())
	}
	waitJS(t, viewer, 30*time.Second, ready, `document.querySelector('#comment-list .reply-media')?.outerHTML`)
	if !eval[bool](t, viewer, 5*time.Second, `window.__samePage === true`) {
		t.Fatal("the viewer's page reloaded")
	}
	for _, ctx := range []context.Context{member, viewer} {
		got := eval[float64](t, ctx, 30*time.Second, `(async () => {
			const a = document.querySelector('#comment-list .reply-media--voice audio');
			a.muted = true;
			await a.play();
			const t0 = performance.now();
			while (a.currentTime < 0.5 && performance.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 100));
			a.pause();
			return a.currentTime;
		})()`)
		if got < 0.5 {
			t.Fatalf("the voice reply played to %.2f s, want past 0.5 s", got)
		}
	}
	body := eval[string](t, viewer, 5*time.Second, `document.querySelector('#comment-list .comment:has(.reply-media) .comment__body').innerText`)
	if body != "Voice note on pricing" {
		t.Errorf("the reply's text = %q", body)
	}

	// The recording: Bo's, ready, seconds long, kept out of his library.
	var rec struct {
		ID, Status, ReplyTo, ReplyKind string
		DurationMs                     int64
	}
	id := eval[string](t, member, 5*time.Second, `window.__batonReply.videoId`)
	api(t, bo.client, "GET", s.URL+"/api/videos/"+id, nil, 200, &rec)
	if rec.Status != "ready" || rec.ReplyTo != v.ID || rec.ReplyKind != "voice" || rec.DurationMs < 4000 {
		t.Fatalf("recording = %+v", rec)
	}
	var lib struct{ Videos []struct{ ID string } }
	api(t, bo.client, "GET", s.URL+"/api/videos", nil, 200, &lib)
	for _, x := range lib.Videos {
		if x.ID == id {
			t.Fatal("the recorded reply is in the library")
		}
	}

	// A camera reply inside the thread, from its reply box.
	do(t, member, 10*time.Second, "open the reply box", chromedp.Click(chromedp.CSS(`#comment-list [data-action="reply"]`)))
	do(t, member, 10*time.Second, "record a camera reply", chromedp.Click(chromedp.CSS(`.thread__reply-form [data-record="camera"]`)))
	waitJS(t, member, 30*time.Second, `window.__batonReply.state === 'recording' && document.querySelector('.thread__reply-form .reply-rec:not([hidden])')`,
		`JSON.stringify(window.__batonReply)`)
	waitJS(t, viewer, 15*time.Second, `document.querySelector('#comment-list .thread__reply .reply-media--camera')`, `document.getElementById('comment-list')?.innerText`)
	sleep(t, member, 3*time.Second)
	do(t, member, 10*time.Second, "Stop", chromedp.Click(chromedp.CSS(`.thread__reply-form [data-action="stop-recording"]`)))
	camReady := `(() => { const v = document.querySelector('#comment-list .thread__reply .reply-media--camera[data-status="ready"] video'); return v && v.readyState >= 1 && v.videoWidth > 0 && v.duration > 1; })()`
	for _, ctx := range []context.Context{member, viewer} {
		waitJS(t, ctx, 60*time.Second, camReady, `document.querySelector('#comment-list .thread__reply')?.outerHTML`)
	}
	// Saved: its reply box closes, focus back on the thread's Reply.
	waitJS(t, member, 10*time.Second, `!document.querySelector('.thread__reply-form') && document.activeElement?.dataset.action === 'reply'`,
		`document.activeElement?.outerHTML`)

	// A screen reply from the composer (the fake screen), as a new thread.
	do(t, member, 10*time.Second, "record a screen reply", chromedp.Click(chromedp.ID("comment-record-screen")))
	waitJS(t, member, 30*time.Second, `window.__batonReply.state === 'recording'`, `JSON.stringify(window.__batonReply)`)
	sleep(t, member, 3*time.Second)
	do(t, member, 10*time.Second, "Stop", chromedp.Click(chromedp.CSS(`#comment-form [data-action="stop-recording"]`)))
	scrReady := `(() => { const v = document.querySelector('#comment-list .reply-media--screen[data-status="ready"] video'); return v && v.readyState >= 1 && v.videoWidth >= 640 && v.duration > 1; })()`
	for _, ctx := range []context.Context{member, viewer} {
		waitJS(t, ctx, 60*time.Second, scrReady, `document.querySelector('#comment-list .reply-media--screen')?.outerHTML`)
	}
	screenshots(t, member, "reply-voice")
	screenshots(t, viewer, "reply-voice-guest")
}
