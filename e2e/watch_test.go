package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// consoleErrors collects a tab's console errors, uncaught exceptions and
// browser-log errors (failed requests among them) from now on.
func consoleErrors(ctx context.Context) *lockedBuffer {
	out := &lockedBuffer{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				fmt.Fprintf(out, "%s %s: %s\n", m.Type, m.URL, m.Text)
			}
		}
	}()
	return out
}

// press sends one key to the page as a person types it.
func press(tb testing.TB, ctx context.Context, key string) {
	tb.Helper()
	do(tb, ctx, 5*time.Second, "press "+key, chromedp.KeyEvent(key))
}

// shotsTo is where the watch-page screenshots go: $BATON_E2E_SHOTS, else
// e2e/screenshots (ignored by git).
func shotsTo(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BATON_E2E_SHOTS")
	if dir == "" {
		dir = "screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// shoot writes the page as <name>-<width>-<scheme>.png at 1280x800 and
// 390x844 in both themes, and leaves the tab light at 1280x800.
func shoot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := shotsTo(tb)
	scheme := func(s string) {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}},
		}); err != nil {
			tb.Fatal(err)
		}
	}
	for _, s := range []string{"light", "dark"} {
		scheme(s)
		for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
			do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			sleep(tb, ctx, 300*time.Millisecond)
			c, cancel := context.WithTimeout(ctx, 15*time.Second)
			b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
			cancel()
			if err != nil {
				tb.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d-%s.png", name, size.w, s)), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	scheme("light")
	do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(1280, 800))
}

// clickAt clicks the page at a point with the mouse, as a person does.
func clickAt(tb testing.TB, ctx context.Context, x, y float64) {
	tb.Helper()
	for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMouseMoved, input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		p := input.DispatchMouseEventParams{Type: typ, X: x, Y: y}
		if typ != input.DispatchMouseEventTypeMouseMoved {
			p.Button = input.MouseButtonLeft
			p.ClickCount = 1
		}
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, p); err != nil {
			tb.Fatal(err)
		}
	}
}

// seekTo puts the player at ms and waits until it is there.
func seekTo(tb testing.TB, ctx context.Context, ms int) {
	tb.Helper()
	eval[bool](tb, ctx, 5*time.Second, fmt.Sprintf(`(document.getElementById('player').currentTime = %f, true)`, float64(ms)/1000))
	waitJS(tb, ctx, 5*time.Second, fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.3`, float64(ms)/1000), "")
}

// libraryCount is how many videos the test account's library lists.
func (s *server) libraryCount(tb testing.TB) int {
	tb.Helper()
	r, err := s.client.Get(s.URL + "/api/videos?limit=50")
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	var page struct {
		Videos []apiVideo `json:"videos"`
	}
	if err := json.NewDecoder(r.Body).Decode(&page); err != nil {
		tb.Fatal(err)
	}
	return len(page.Videos)
}

// TestWatchPage drives the watch page as its owner and as a guest: a
// refused upload leaves nothing in the library; comment markers on the
// player's seek bar seek and open their thread; a resolved thread renders
// once; the speed is remembered across reloads; every control is reached
// with Tab and shows a focus ring; the keys work; the owner edits the
// title in place; the Embed dialog's code plays in a page of another
// origin (and that play counts one view); no page logs a console error,
// signed out or in. Screenshots of watch (owner, guest), library,
// recorder, account and embed go to e2e/screenshots ($BATON_E2E_SHOTS).
func TestWatchPage(t *testing.T) {
	srv := startServer(t)
	br := startBrowser(t)
	owner, _ := br.tab(t, false)
	srv.signIn(t, owner)
	ownerErrs := consoleErrors(owner)

	// A refused upload: the banner says why, the library stays empty.
	notVideo := filepath.Join(t.TempDir(), "notes.mp4")
	if err := os.WriteFile(notVideo, []byte("these are meeting notes, not a video\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, owner, 20*time.Second, "open the library", chromedp.Navigate(srv.URL+"/"))
	waitJS(t, owner, 10*time.Second, `document.getElementById('upload-button') && document.getElementById('account-button')`, `document.body.innerText.slice(0, 300)`)
	do(t, owner, 10*time.Second, "choose a file", chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{notVideo}))
	waitJS(t, owner, 30*time.Second, `document.getElementById('upload-panel')?.dataset.state === 'failed'`, `document.getElementById('upload-panel')?.innerText`)
	banner := eval[string](t, owner, 5*time.Second, `document.getElementById('upload-panel').innerText`)
	if !strings.Contains(strings.ToLower(banner), "video") {
		t.Errorf("the refusal banner does not say why: %q", banner)
	}
	if n := srv.libraryCount(t); n != 0 {
		t.Fatalf("after a refused upload the library lists %d videos, want 0", n)
	}
	do(t, owner, 20*time.Second, "reload the library", chromedp.Navigate(srv.URL+"/"))
	waitJS(t, owner, 10*time.Second, `!document.getElementById('empty-state').hidden && document.querySelectorAll('#video-grid .card').length === 0`, `document.getElementById('video-grid').innerText`)

	// A video with a conversation.
	v := srv.uploadClip(t, "Quarterly update", makeClip(t, 12))
	ann, bob := newGuest("Ann"), newGuest("Bob")
	first := srv.comment(t, &ann, v.Slug, 3000, "Check this chart\nand the second line", "")
	done := srv.comment(t, &bob, v.Slug, 8000, "Typo in the legend", "")
	srv.comment(t, &ann, v.Slug, 8000, "Fixed, thanks", done.ID)
	srv.share(t, nil, "POST", v.Slug, "/comments/"+done.ID+"/resolve", nil, http.StatusOK)
	srv.react(t, &bob, v.Slug, "🎉", 5000)
	srv.react(t, &ann, v.Slug, "🔥", 10000)

	openWatch(t, owner, srv.URL+"/v/"+v.Slug)
	waitJS(t, owner, 10*time.Second, `document.querySelectorAll('#comment-markers .ctl__marker--comment').length === 2 && document.querySelectorAll('#comment-markers .ctl__marker--reaction').length === 2`,
		`document.getElementById('comment-markers')?.outerHTML.slice(0, 600)`)

	t.Run("markers on the seek bar", func(t *testing.T) {
		// The markers are inside the player, over its seek bar's track.
		geo := eval[map[string]float64](t, owner, 5*time.Second, `(() => {
			const seek = document.getElementById('player-seek').getBoundingClientRect();
			const m = document.querySelector('.ctl__marker--comment[data-ids~="`+first.ID+`"]').getBoundingClientRect();
			return {seekTop: seek.top, seekBottom: seek.bottom, seekLeft: seek.left, seekWidth: seek.width, y: m.top + m.height / 2, x: m.left + m.width / 2};
		})()`)
		if geo["y"] < geo["seekTop"] || geo["y"] > geo["seekBottom"] {
			t.Fatalf("comment marker at y=%.0f, seek bar from %.0f to %.0f: not on the seek bar", geo["y"], geo["seekTop"], geo["seekBottom"])
		}
		if want := geo["seekLeft"] + 12 + (geo["seekWidth"]-24)*3000/float64(v.DurationMs); geo["x"] < want-8 || geo["x"] > want+8 {
			t.Fatalf("marker for 0:03 at x=%.0f, want about %.0f", geo["x"], want)
		}
		if n := eval[int](t, owner, 5*time.Second, `document.querySelectorAll('.ctl__strip').length + document.querySelectorAll('input[type=range]:not(media-time-range *)').length`); n != 1 {
			t.Fatalf("%d marker strips or extra sliders on the page, want only the one on the seek bar", n)
		}
		// Hover shows the comment's first line only.
		for _, dx := range []float64{-30, 0} {
			if _, err := chromedp.Call(owner, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: geo["x"] + dx, Y: geo["y"]}); err != nil {
				t.Fatal(err)
			}
		}
		waitJS(t, owner, 5*time.Second, `!document.getElementById('ctl-tooltip').hidden && document.getElementById('ctl-tooltip').innerText.includes('Check this chart')`, `document.getElementById('ctl-tooltip').outerHTML`)
		if tip := eval[string](t, owner, 5*time.Second, `document.getElementById('ctl-tooltip').innerText`); strings.Contains(tip, "second line") {
			t.Fatalf("tooltip shows more than the first line: %q", tip)
		}
		// Click: seek to the resolved thread's marker and open the thread.
		seekTo(t, owner, 0)
		do(t, owner, 5*time.Second, "click the marker", chromedp.Click(chromedp.CSS(`.ctl__marker--comment[data-ids~="`+done.ID+`"]`)))
		waitJS(t, owner, 5*time.Second, `Math.abs(document.getElementById('player').currentTime - 8) < 0.3`, `document.getElementById('player').currentTime`)
		waitJS(t, owner, 5*time.Second, `(() => { const li = document.querySelector('li.thread[data-id="`+done.ID+`"]'); return li && li.innerText.includes('Fixed, thanks') && li.getBoundingClientRect().height > 0; })()`,
			`document.querySelector('li.thread[data-id="`+done.ID+`"]')?.outerHTML.slice(0, 800)`)
	})

	t.Run("a resolved thread renders once", func(t *testing.T) {
		n := eval[map[string]int](t, owner, 5*time.Second, `(() => {
			const li = document.querySelector('li.thread[data-id="`+done.ID+`"]');
			const shown = (el) => el.getClientRects().length > 0;
			const count = (text) => [...li.querySelectorAll('*')].filter((e) => shown(e) && e.children.length === 0 && e.textContent.includes(text)).length;
			return {body: count('Typo in the legend'), reply: count('Fixed, thanks')};
		})()`)
		if n["body"] != 1 || n["reply"] != 1 {
			t.Fatalf("opened resolved thread shows its comment %d times and its reply %d times, want once each", n["body"], n["reply"])
		}
	})

	t.Run("speed is remembered", func(t *testing.T) {
		eval[bool](t, owner, 5*time.Second, `(document.getElementById('player-rate').focus(), true)`)
		press(t, owner, kb.Enter)
		waitJS(t, owner, 5*time.Second, `!document.getElementById('player-rate-menu').hidden`, "")
		// Focus goes to the first speed (0.5x); four down is 1.5x.
		waitJS(t, owner, 5*time.Second, `document.getElementById('player-rate-menu').matches(':focus-within')`, `document.activeElement?.outerHTML.slice(0, 200)`)
		for i := 0; i < 4; i++ {
			press(t, owner, kb.ArrowDown)
		}
		press(t, owner, kb.Enter)
		waitJS(t, owner, 5*time.Second, `document.getElementById('player').playbackRate === 1.5`, `document.getElementById('player').playbackRate`)
		openWatch(t, owner, srv.URL+"/v/"+v.Slug)
		waitJS(t, owner, 5*time.Second, `document.getElementById('player').playbackRate === 1.5 && document.getElementById('player-rate').getAttribute('mediaplaybackrate') === '1.5'`,
			`JSON.stringify({rate: document.getElementById('player').playbackRate, attr: document.getElementById('player-rate').getAttribute('mediaplaybackrate')})`)
		eval[bool](t, owner, 5*time.Second, `(document.getElementById('player').playbackRate = 1, true)`)
	})

	t.Run("keyboard only", func(t *testing.T) {
		eval[bool](t, owner, 5*time.Second, `(document.activeElement?.blur(), document.body.focus(), true)`)
		want := []string{"player-play", "player-mute", "player-volume", "player-seek", "player-rate", "player-pip", "player-fullscreen", "marker", "copy-link", "copy-embed", "comment-body"}
		seen := map[string]string{}
		reached := func() bool {
			for _, id := range want {
				if _, ok := seen[id]; !ok {
					return false
				}
			}
			return true
		}
		for i := 0; i < 60 && !reached(); i++ {
			press(t, owner, "\t")
			got := eval[map[string]string](t, owner, 5*time.Second, `(() => {
				const a = document.activeElement;
				if (!a || a === document.body) return {id: ''};
				const s = getComputedStyle(a);
				const id = a.classList.contains('ctl__marker') ? 'marker' : a.id;
				return {id, outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow};
			})()`)
			id := got["id"]
			if id == "" {
				continue
			}
			visible := !strings.HasPrefix(got["outline"], "none") && !strings.HasSuffix(got["outline"], " 0px")
			if !visible {
				t.Errorf("#%s has focus without a visible outline (outline %q)", id, got["outline"])
			}
			seen[id] = got["outline"]
		}
		for _, id := range want {
			if _, ok := seen[id]; !ok {
				t.Errorf("Tab never reached %s (reached %v)", id, seen)
			}
		}
	})

	t.Run("keys", func(t *testing.T) {
		eval[bool](t, owner, 5*time.Second, `(document.activeElement?.blur(), true)`)
		seekTo(t, owner, 1000)
		press(t, owner, "l")
		waitJS(t, owner, 5*time.Second, `Math.abs(document.getElementById('player').currentTime - 11) < 0.3`, `document.getElementById('player').currentTime`)
		press(t, owner, "j")
		waitJS(t, owner, 5*time.Second, `Math.abs(document.getElementById('player').currentTime - 1) < 0.3`, `document.getElementById('player').currentTime`)
		press(t, owner, "m")
		waitJS(t, owner, 5*time.Second, `document.getElementById('player').muted`, "")
		press(t, owner, "m")
		press(t, owner, "k")
		waitJS(t, owner, 5*time.Second, `!document.getElementById('player').paused`, "")
		press(t, owner, "k")
		waitJS(t, owner, 5*time.Second, `document.getElementById('player').paused`, "")
		// A click on the picture plays and pauses, as on every player.
		pic := eval[map[string]float64](t, owner, 5*time.Second, `(() => { const r = document.getElementById('player').getBoundingClientRect(); return {x: r.left + r.width * 0.2, y: r.top + r.height * 0.3}; })()`)
		clickAt(t, owner, pic["x"], pic["y"])
		waitJS(t, owner, 5*time.Second, `!document.getElementById('player').paused`, "")
		clickAt(t, owner, pic["x"], pic["y"])
		waitJS(t, owner, 5*time.Second, `document.getElementById('player').paused`, "")
		press(t, owner, "?")
		waitJS(t, owner, 5*time.Second, `document.getElementById('shortcuts-dialog')?.open && document.getElementById('shortcuts-dialog').innerText.includes('Comment at this moment')`, "")
		press(t, owner, kb.Escape)
		waitJS(t, owner, 5*time.Second, `!document.getElementById('shortcuts-dialog')`, "")
		// N opens the comment box at this moment; Esc goes back to the player.
		seekTo(t, owner, 4000)
		press(t, owner, "n")
		waitJS(t, owner, 5*time.Second, `document.activeElement?.id === 'comment-body' && document.getElementById('comment-at').textContent.includes('0:04')`, `document.getElementById('comment-at').textContent`)
		press(t, owner, kb.Escape)
		waitJS(t, owner, 5*time.Second, `document.getElementById('player-ctl').contains(document.activeElement)`, `document.activeElement?.outerHTML.slice(0, 200)`)
	})

	t.Run("title and description in place", func(t *testing.T) {
		do(t, owner, 5*time.Second, "edit the title", chromedp.Click(chromedp.ID("title-edit")))
		waitJS(t, owner, 5*time.Second, `document.activeElement?.id === 'title-input'`, "")
		eval[bool](t, owner, 5*time.Second, `(document.getElementById('title-input').value = '', true)`)
		do(t, owner, 5*time.Second, "type", chromedp.SendKeys(chromedp.ID("title-input"), "Q3 update"))
		press(t, owner, kb.Enter)
		waitJS(t, owner, 5*time.Second, `document.getElementById('video-title').innerText.trim() === 'Q3 update'`, `document.getElementById('video-title').innerText`)
		do(t, owner, 5*time.Second, "edit the description", chromedp.Click(chromedp.ID("description-edit")))
		do(t, owner, 5*time.Second, "type", chromedp.SendKeys(chromedp.ID("description-input"), "Numbers for the board"))
		press(t, owner, kb.Enter)
		waitJS(t, owner, 5*time.Second, `document.getElementById('video-description').innerText.includes('Numbers for the board')`, "")
		var got struct{ Title, Description string }
		b := srv.share(t, nil, "GET", v.Slug, "", nil, http.StatusOK)
		_ = json.Unmarshal(b, &got)
		if got.Title != "Q3 update" || got.Description != "Numbers for the board" {
			t.Fatalf("stored title %q, description %q", got.Title, got.Description)
		}
		// Esc cancels.
		do(t, owner, 5*time.Second, "edit the title", chromedp.Click(chromedp.ID("title-edit")))
		do(t, owner, 5*time.Second, "type", chromedp.SendKeys(chromedp.ID("title-input"), " and more"))
		press(t, owner, kb.Escape)
		waitJS(t, owner, 5*time.Second, `!document.getElementById('title-input') && document.getElementById('video-title').innerText.trim() === 'Q3 update'`, "")
	})

	// The guest's view of the same page, for the screenshots and the console.
	guestTab, _ := br.tab(t, true)
	guestErrs := consoleErrors(guestTab)

	t.Run("embed code plays on another origin", func(t *testing.T) {
		do(t, owner, 5*time.Second, "open Embed", chromedp.Click(chromedp.ID("copy-embed")))
		waitJS(t, owner, 5*time.Second, `document.getElementById('embed-dialog')?.open && document.getElementById('embed-preview').src.includes('/embed/')`, "")
		do(t, owner, 5*time.Second, "autoplay", chromedp.Click(chromedp.ID("embed-autoplay")))
		code := eval[string](t, owner, 5*time.Second, `document.getElementById('embed-code').value`)
		if !strings.Contains(code, "autoplay=1") || !strings.Contains(code, "/embed/"+v.Slug) {
			t.Fatalf("embed code %q", code)
		}
		shoot(t, owner, "embed-dialog")
		press(t, owner, kb.Escape)

		// Another origin on 127.0.0.1: a page that only holds the code.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><title>Team wiki</title><h1>Team wiki</h1><div style=\"max-width:640px\">%s</div>", code)
		})}
		go func() { _ = host.Serve(ln) }()
		t.Cleanup(func() { _ = host.Close() })
		var before struct{ Views int64 }
		_ = json.Unmarshal(srv.share(t, nil, "GET", v.Slug, "", nil, http.StatusOK), &before)
		do(t, guestTab, 20*time.Second, "open the wiki", chromedp.Navigate("http://"+ln.Addr().String()+"/"))
		// A view counts after 3 s of playback: the count going up is the proof it played.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var now struct{ Views int64 }
			b := srv.share(t, nil, "GET", v.Slug, "", nil, http.StatusOK)
			_ = json.Unmarshal(b, &now)
			if now.Views == before.Views+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("views %d after the embed was open 30 s, want %d", now.Views, before.Views+1)
			}
			time.Sleep(500 * time.Millisecond)
		}
		shoot(t, guestTab, "embed-host")
	})

	t.Run("views count once per viewer", func(t *testing.T) {
		views := func() int64 {
			var got struct{ Views int64 }
			_ = json.Unmarshal(srv.share(t, nil, "GET", v.Slug, "", nil, http.StatusOK), &got)
			return got.Views
		}
		play := func() {
			openWatch(t, guestTab, srv.URL+"/v/"+v.Slug)
			eval[bool](t, guestTab, 5*time.Second, `(document.getElementById('player').muted = true, document.getElementById('player').play(), true)`)
			waitJS(t, guestTab, 15*time.Second, `document.getElementById('player').currentTime > 4`, `document.getElementById('player').currentTime`)
			sleep(t, guestTab, 500*time.Millisecond)
		}
		// A window that has not played yet counts nothing.
		before := views()
		openWatch(t, guestTab, srv.URL+"/v/"+v.Slug)
		sleep(t, guestTab, 1500*time.Millisecond)
		if got := views(); got != before {
			t.Fatalf("opening the page counted a view (%d -> %d); only playback counts", before, got)
		}
		// Two windows of one guest browser, each playing 4 s: the first may
		// count (unless the embed above already counted this browser within
		// the window), the second never does, and by now this viewer has
		// counted exactly once.
		play()
		mid := views()
		play()
		after := views()
		if mid-before > 1 || after != mid {
			t.Fatalf("views %d -> %d -> %d for two windows of one browser, want at most one and then none", before, mid, after)
		}
		if after < 1 {
			t.Fatalf("views = %d after a guest played 4 s, want the view counted", after)
		}
	})

	// Screenshots.
	openWatch(t, owner, srv.URL+"/v/"+v.Slug)
	seekTo(t, owner, 3000)
	shoot(t, owner, "watch-owner")
	openWatch(t, guestTab, srv.URL+"/v/"+v.Slug)
	eval[bool](t, guestTab, 5*time.Second, `(document.getElementById('player').pause(), true)`)
	seekTo(t, guestTab, 3000)
	shoot(t, guestTab, "watch-guest")
	do(t, guestTab, 10*time.Second, "open the embed", chromedp.Navigate(srv.URL+"/embed/"+v.Slug))
	waitJS(t, guestTab, 10*time.Second, `document.getElementById('player')?.readyState >= 1`, "")
	shoot(t, guestTab, "embed")
	do(t, owner, 10*time.Second, "open the library", chromedp.Navigate(srv.URL+"/"))
	waitJS(t, owner, 10*time.Second, `document.querySelectorAll('#video-grid .card').length === 1`, "")
	shoot(t, owner, "library")
	do(t, owner, 10*time.Second, "open the recorder", chromedp.Navigate(srv.URL+"/record"))
	waitJS(t, owner, 15*time.Second, `window.__baton?.state === 'idle' && document.getElementById('record-link')`, "")
	shoot(t, owner, "record")
	do(t, owner, 10*time.Second, "open the account", chromedp.Navigate(srv.URL+"/account"))
	waitJS(t, owner, 10*time.Second, `document.getElementById('profile-name')?.value !== ''`, "")
	shoot(t, owner, "account")

	t.Run("no console errors", func(t *testing.T) {
		// Signed out: sign-in page, watch, embed, 404. Signed in: the same
		// and the library, recorder and account (visited above).
		for _, p := range []string{"/login", "/v/" + v.Slug, "/embed/" + v.Slug, "/no/such/page"} {
			do(t, guestTab, 15*time.Second, "open "+p, chromedp.Navigate(srv.URL+p))
			sleep(t, guestTab, 800*time.Millisecond)
		}
		for _, p := range []string{"/v/" + v.Slug, "/embed/" + v.Slug, "/no/such/page"} {
			do(t, owner, 15*time.Second, "open "+p, chromedp.Navigate(srv.URL+p))
			sleep(t, owner, 800*time.Millisecond)
		}
		// The 404 has the same header as every signed-in page.
		waitJS(t, owner, 5*time.Second, `document.getElementById('record-link') && document.getElementById('upload-link') && document.getElementById('library-link')`, `document.querySelector('header').innerHTML`)
		shoot(t, owner, "notfound")
		// Expected: the 404 page's own 404 status (it must stay a 404 for
		// crawlers and scripts) and, signed in, the refused upload's 415.
		unexpected := func(log string, allowed ...string) []string {
			var out []string
		lines:
			for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
				if l == "" {
					continue
				}
				for _, a := range allowed {
					if strings.Contains(l, a) {
						continue lines
					}
				}
				out = append(out, l)
			}
			return out
		}
		notFoundDoc := "/no/such/page: Failed to load resource: the server responded with a status of 404"
		if errs := unexpected(guestErrs.String(), notFoundDoc); len(errs) > 0 {
			t.Errorf("signed out, the pages logged errors:\n%s", strings.Join(errs, "\n"))
		}
		if errs := unexpected(ownerErrs.String(), notFoundDoc, "status of 415"); len(errs) > 0 {
			t.Errorf("signed in, the pages logged errors:\n%s", strings.Join(errs, "\n"))
		}
	})
}
