package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPlayerViewerTime is the player filled by the written record, in
// headless Chromium against the real binary: a video with speech made by
// espeak-ng, transcribed by real pocketsphinx, with a real sprite sheet
// and chapters set by its owner.
//   - captions arrive on a page that is already open when the transcript
//     is done; the CC button and the C key show and hide them, the cue
//     text is the transcript's, and the choice is remembered;
//   - the owner's default speed (set on the watch page) applies to a
//     viewer without a choice of their own, in the embed too; the viewer's
//     own choice wins;
//   - hovering the seek bar shows the sprite frame and the chapter there;
//   - chapters split the seek bar and are listed; a click or Enter seeks;
//   - the player resumes where the viewer left off ("Start over" goes
//     back), and a ?t= link wins over it.
//
// Screenshots: auth-player-*.png in $BATON_E2E_SHOTS (or /tmp/shots).
func TestPlayerViewerTime(t *testing.T) {
	s := startServer(t, "BATON_TRANSCRIBE=pocketsphinx", "BATON_THUMBNAILS=true")
	clip := speechVideo(t, 2,
		"the budget is approved. the budget is approved. please review the release schedule. please review the release schedule.")
	v := s.uploadClip(t, "Budget and schedule", clip)
	if v.DurationMs < 9000 {
		t.Fatalf("the speech clip lasts %d ms, want at least 9 s", v.DurationMs)
	}
	t.Logf("clip: %d ms", v.DurationMs)
	third := v.DurationMs / 3
	chapters := []map[string]any{{"startMs": 0, "title": "Intro"}, {"startMs": third, "title": "Budget"}, {"startMs": 2 * third, "title": "Schedule"}}
	s.api(t, "PUT", "/api/videos/"+v.ID+"/chapters", chapters, http.StatusOK)

	// A mouse, as on a desktop: headless Chromium has no pointing device,
	// so (hover: hover) is false and media-chrome never shows the preview.
	br := startBrowser(t, chromedp.Flag("blink-settings", "primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4"))
	watchURL := s.URL + "/v/" + v.Slug
	// A viewer without an account, in a profile of their own, with the page
	// open before the transcript is done.
	viewer, _ := br.tab(t, true)
	viewerErrs := consoleErrors(viewer)
	openWatch(t, viewer, watchURL)
	early := eval[bool](t, viewer, 5*time.Second, `!document.getElementById('player-captions').hidden`)

	t.Run("captions arrive on the open page", func(t *testing.T) {
		// The transcript job announces itself with a video event; the CC
		// button appears without a reload.
		waitJS(t, viewer, 4*time.Minute, `!document.getElementById('player-captions').hidden`,
			`JSON.stringify({tracks: [...document.querySelectorAll('#player track')].map((t) => t.outerHTML)})`)
		if early {
			t.Logf("the transcript was done before the page opened (a fast machine): the open-page path was not exercised")
		}
		if got := eval[string](t, viewer, 5*time.Second, `document.getElementById('player-captions').getAttribute('aria-pressed')`); got != "false" {
			t.Fatalf("captions on before the viewer asked (aria-pressed %q)", got)
		}
	})

	var tr struct {
		Status   string
		Segments []struct {
			StartMs, EndMs int64
			Text           string
		}
	}
	s.apiInto(t, "GET", "/api/share/"+v.Slug+"/transcript", nil, &tr)
	if tr.Status != "done" || len(tr.Segments) == 0 {
		t.Fatalf("transcript %s with %d segments", tr.Status, len(tr.Segments))
	}
	seg := tr.Segments[0]
	for _, sg := range tr.Segments {
		if strings.Contains(sg.Text, "budget") {
			seg = sg
			break
		}
	}
	t.Logf("segment %d-%d ms: %q", seg.StartMs, seg.EndMs, seg.Text)
	// cueText is the text of the captions the viewer sees now ("" when off).
	const cueText = `(() => {
		const el = document.querySelector('#player track[data-captions]');
		if (!el || el.track.mode !== 'showing') return '';
		return [...(el.track.activeCues ?? [])].map((c) => c.text).join(' ');
	})()`
	mid := float64(seg.StartMs+seg.EndMs) / 2

	t.Run("CC button and C toggle the captions", func(t *testing.T) {
		seekTo(t, viewer, int(mid))
		do(t, viewer, 5*time.Second, "click CC", chromedp.Click(chromedp.ID("player-captions")))
		waitJS(t, viewer, 10*time.Second, `document.getElementById('player-captions').getAttribute('aria-pressed') === 'true' && `+cueText+` === `+jsString(seg.Text),
			`JSON.stringify({pressed: document.getElementById('player-captions').getAttribute('aria-pressed'), cue: `+cueText+`, t: document.getElementById('player').currentTime})`)
		// Lifted above the seek bar (the browser would draw them under it).
		if lifted := eval[bool](t, viewer, 5*time.Second, `[...document.querySelector('#player track[data-captions]').track.cues].every((c) => c.snapToLines && c.line <= -2)`); !lifted {
			t.Fatalf("captions cues are not lifted above the controls: %s", eval[string](t, viewer, 5*time.Second, `JSON.stringify([...document.querySelector('#player track[data-captions]').track.cues].map((c) => [c.snapToLines, c.line]))`))
		}
		screenshots(t, viewer, "player-captions")
		eval[bool](t, viewer, 5*time.Second, `(document.activeElement?.blur(), true)`)
		press(t, viewer, "c")
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player-captions').getAttribute('aria-pressed') === 'false' && `+cueText+` === ''`, cueText)
		press(t, viewer, "c")
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player-captions').getAttribute('aria-pressed') === 'true' && `+cueText+` === `+jsString(seg.Text), cueText)
		// The ? list names C for captions and N for a comment.
		press(t, viewer, "?")
		waitJS(t, viewer, 5*time.Second, `(() => { const d = document.getElementById('shortcuts-dialog'); return d?.open && d.innerText.includes('Captions on or off') && d.innerText.includes('Comment at this moment'); })()`,
			`document.getElementById('shortcuts-dialog')?.innerText`)
		press(t, viewer, kb.Escape)
		// Remembered: the next page starts with them on.
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 60*time.Second, `document.getElementById('player-captions').getAttribute('aria-pressed') === 'true'`, "")
	})

	t.Run("hover shows the sprite frame and the chapter", func(t *testing.T) {
		// The sprite is made after ready, like the transcript.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var got struct{ ThumbsURL string }
			s.apiInto(t, "GET", "/api/videos/"+v.ID, nil, &got)
			if got.ThumbsURL != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no thumbnails after 2 minutes:\n%s", tail(s.log.String(), 3000))
			}
			time.Sleep(300 * time.Millisecond)
		}
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 20*time.Second, `(() => { const t = document.querySelector('#player track[label="thumbnails"]'); return t && t.track.cues?.length > 0; })()`,
			`document.querySelector('#player track[label="thumbnails"]')?.outerHTML ?? 'no thumbnails track'`)
		// In the Budget chapter, a little past its start.
		at := float64(third) + float64(third)/2
		geo := eval[map[string]float64](t, viewer, 5*time.Second, `(() => {
			const r = document.getElementById('player-seek').getBoundingClientRect();
			return {left: r.left, width: r.width, y: r.top + r.height / 2};
		})()`)
		x := geo["left"] + 12 + (geo["width"]-24)*at/float64(v.DurationMs)
		for _, dx := range []float64{-20, 0} {
			if _, err := chromedp.Call(viewer, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: x + dx, Y: geo["y"]}); err != nil {
				t.Fatal(err)
			}
		}
		waitJS(t, viewer, 10*time.Second, `(() => {
			const th = document.querySelector('#player-seek media-preview-thumbnail');
			const img = th?.shadowRoot?.querySelector('img');
			const r = th?.getBoundingClientRect();
			return !!(img && img.complete && img.naturalWidth > 0 && img.src.includes('/thumbs.jpg') && r && r.width > 20 && r.height > 10 && getComputedStyle(th).visibility === 'visible');
		})()`, `(() => {
			const th = document.querySelector('#player-seek media-preview-thumbnail');
			const seek = document.getElementById('player-seek');
			const r = seek.getBoundingClientRect();
			const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return JSON.stringify({hoverMedia: matchMedia('(hover: hover)').matches, seekHover: seek.matches(':hover'), top: top?.outerHTML.slice(0, 120), vis: th && getComputedStyle(th).visibility, attrs: th && [...th.attributes].map((a) => a.name + '=' + a.value), box: th?.getBoundingClientRect()});
		})()`)
		waitJS(t, viewer, 5*time.Second, `(() => {
			const c = document.querySelector('#player-seek media-preview-chapter-display');
			return c?.getAttribute('mediapreviewchapter') === 'Budget' && c.shadowRoot.textContent.includes('Budget') && c.getBoundingClientRect().width > 10 && getComputedStyle(c).display !== 'none';
		})()`, `document.querySelector('#player-seek media-preview-chapter-display')?.outerHTML`)
		// The preview lasts while the pointer stays: one shot as it is
		// (the helper's viewport changes would move it away).
		sleep(t, viewer, 900*time.Millisecond) // its fade-in
		c, cancel := context.WithTimeout(viewer, 15*time.Second)
		b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shotsDir(t), "auth-player-hover-preview.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		screenshots(t, viewer, "player-hover")
	})

	t.Run("chapters on the seek bar and in the list", func(t *testing.T) {
		waitJS(t, viewer, 10*time.Second, `document.getElementById('player-seek').shadowRoot.querySelectorAll('#segments-clipping rect').length === 3`,
			`document.getElementById('player-seek').shadowRoot.querySelector('#segments-clipping')?.outerHTML`)
		waitJS(t, viewer, 5*time.Second, `!document.getElementById('chapters').hidden && [...document.querySelectorAll('#chapter-list .chapters__item')].map((b) => b.textContent).join('|') === '0:00Intro|`+clock(third)+`Budget|`+clock(2*third)+`Schedule'`,
			`document.getElementById('chapter-list')?.innerText`)
		do(t, viewer, 5*time.Second, "click Budget", chromedp.Click(chromedp.CSS(`#chapter-list li:nth-child(2) button`)))
		waitJS(t, viewer, 5*time.Second, fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.3 && document.querySelector('#chapter-list li:nth-child(2) button').getAttribute('aria-current') === 'true'`, float64(third)/1000),
			`JSON.stringify({t: document.getElementById('player').currentTime, current: [...document.querySelectorAll('#chapter-list [aria-current]')].map((b) => b.textContent)})`)
		// By keyboard: Enter on the focused chapter.
		eval[bool](t, viewer, 5*time.Second, `(document.querySelector('#chapter-list li:nth-child(3) button').focus(), true)`)
		press(t, viewer, kb.Enter)
		waitJS(t, viewer, 5*time.Second, fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.3 && document.querySelector('#chapter-list li:nth-child(3) button').getAttribute('aria-current') === 'true'`, float64(2*third)/1000),
			`document.getElementById('player').currentTime`)
		if got := eval[string](t, viewer, 5*time.Second, `document.getElementById('chapters').getAttribute('aria-labelledby') + ':' + document.getElementById('chapters-title').textContent`); got != "chapters-title:Chapters" {
			t.Fatalf("chapter list label = %q", got)
		}
	})

	t.Run("resume where you left off", func(t *testing.T) {
		seekTo(t, viewer, 6200)
		eval[bool](t, viewer, 5*time.Second, `(document.getElementById('player').pause(), true)`)
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 10*time.Second, `Math.abs(document.getElementById('player').currentTime - 6.2) < 0.3 && document.getElementById('player-resumed')?.textContent.includes('Resumed at 0:06')`,
			`JSON.stringify({t: document.getElementById('player').currentTime, note: document.getElementById('player-resumed')?.textContent})`)
		screenshots(t, viewer, "player-resumed")
		do(t, viewer, 5*time.Second, "start over", chromedp.Click(chromedp.ID("player-start-over")))
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player').currentTime < 0.3 && !document.getElementById('player-resumed')`, `document.getElementById('player').currentTime`)
		// Started over: nothing to resume next time.
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player').currentTime < 0.3 && !document.getElementById('player-resumed')`, `document.getElementById('player').currentTime`)
		// A link at a moment wins over the remembered place.
		seekTo(t, viewer, 6200)
		eval[bool](t, viewer, 5*time.Second, `(document.getElementById('player').pause(), true)`)
		openWatch(t, viewer, watchURL+"?t=3")
		waitJS(t, viewer, 10*time.Second, `Math.abs(document.getElementById('player').currentTime - 3) < 0.3 && !document.getElementById('player-resumed')`,
			`JSON.stringify({t: document.getElementById('player').currentTime, note: document.getElementById('player-resumed')?.textContent})`)
	})

	t.Run("owner's default speed, the viewer's choice wins", func(t *testing.T) {
		owner, _ := br.tab(t, false)
		s.signIn(t, owner)
		openWatch(t, owner, watchURL)
		waitJS(t, owner, 10*time.Second, `!document.querySelector('.owner-speed').hidden`, `document.querySelector(".watch__text")?.outerHTML.slice(0, 400)`)
		do(t, owner, 5*time.Second, "pick 1.5x", chromedp.SetValue(chromedp.ID("default-speed"), "1.5"))
		eval[bool](t, owner, 5*time.Second, `(document.getElementById('default-speed').dispatchEvent(new Event('change')), true)`)
		waitJS(t, owner, 10*time.Second, `document.getElementById('toasts')?.innerText.includes('Viewers start at 1.5×')`, `document.body.innerText.slice(-300)`)
		var got struct{ DefaultSpeed float64 }
		s.apiInto(t, "GET", "/api/share/"+v.Slug, nil, &got)
		if got.DefaultSpeed != 1.5 {
			t.Fatalf("defaultSpeed after the owner picked 1.5x = %v", got.DefaultSpeed)
		}
		screenshots(t, owner, "player-owner")

		// A viewer who never picked a speed starts at the owner's, on the
		// watch page and in the embed.
		fresh, _ := br.tab(t, true)
		openWatch(t, fresh, watchURL)
		waitJS(t, fresh, 10*time.Second, `document.getElementById('player').playbackRate === 1.5 && document.getElementById('player-rate').getAttribute('mediaplaybackrate') === '1.5'`,
			`JSON.stringify({rate: document.getElementById('player').playbackRate, attr: document.getElementById('player-rate').getAttribute('mediaplaybackrate')})`)
		do(t, fresh, 20*time.Second, "open the embed", chromedp.Navigate(s.URL+"/embed/"+v.Slug))
		waitJS(t, fresh, 20*time.Second, `document.getElementById('player')?.readyState >= 1 && document.getElementById('player').playbackRate === 1.5`,
			`JSON.stringify({rate: document.getElementById('player')?.playbackRate})`)
		// The embed's seek bar has the chapters too.
		waitJS(t, fresh, 10*time.Second, `document.getElementById('player-seek').shadowRoot.querySelectorAll('#segments-clipping rect').length === 3`, "")
		screenshots(t, fresh, "player-embed")

		// The viewer's own choice (the earlier viewer picks normal speed
		// from the menu) wins over the owner's.
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 10*time.Second, `document.getElementById('player').playbackRate === 1.5`, `document.getElementById('player').playbackRate`)
		eval[bool](t, viewer, 5*time.Second, `(document.getElementById('player-rate').focus(), true)`)
		press(t, viewer, kb.Enter)
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player-rate-menu').matches(':focus-within')`, `document.activeElement?.outerHTML.slice(0, 200)`)
		// Focus goes to the first speed (0.5x); two down is 1x.
		press(t, viewer, kb.ArrowDown)
		press(t, viewer, kb.ArrowDown)
		press(t, viewer, kb.Enter)
		waitJS(t, viewer, 5*time.Second, `document.getElementById('player').playbackRate === 1`, `document.getElementById('player').playbackRate`)
		openWatch(t, viewer, watchURL)
		waitJS(t, viewer, 10*time.Second, `document.getElementById('player').playbackRate === 1 && document.getElementById('player-rate').getAttribute('mediaplaybackrate') === '1'`,
			`JSON.stringify({rate: document.getElementById('player').playbackRate, attr: document.getElementById('player-rate').getAttribute('mediaplaybackrate')})`)
		// An owner's change reaches an open page whose viewer has no choice
		// of their own (the owner's tab: they never picked one either).
		s.api(t, "PATCH", "/api/videos/"+v.ID, map[string]any{"defaultSpeed": 2}, http.StatusOK)
		waitJS(t, owner, 10*time.Second, `document.getElementById('player').playbackRate === 2 && document.getElementById('default-speed').value === '2'`,
			`JSON.stringify({rate: document.getElementById('player').playbackRate, def: document.getElementById('player').defaultPlaybackRate, select: document.getElementById('default-speed').value, prefs: localStorage.getItem('baton.player')})`)
	})

	t.Run("no console errors", func(t *testing.T) {
		if e := viewerErrs.String(); e != "" {
			t.Fatalf("the viewer's page logged errors:\n%s", e)
		}
	})
}

// clock is m:ss of ms, as the player shows it.
func clock(ms int64) string {
	s := ms / 1000
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// api sends a JSON request as the test account and checks the status.
func (s *server) api(tb testing.TB, method, path string, body any, want int) []byte {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != want {
		tb.Fatalf("%s %s = %s %s, want %d", method, path, r.Status, b, want)
	}
	return b
}

// apiInto is api with a 200 answer decoded into out.
func (s *server) apiInto(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	if err := json.Unmarshal(s.api(tb, method, path, body, http.StatusOK), out); err != nil {
		tb.Fatal(err)
	}
}
