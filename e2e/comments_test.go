package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-video/baton/media/mediatest"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The watch page's conversation in a real browser: hostile comments render
// as text and run nothing, two pages see each other's comments and
// reactions live (and catch up after their stream drops), and the keyboard
// flow puts a comment and its marker at the right moment. Screenshots go to
// $BATON_E2E_SHOTS (or /tmp/shots) as comments-*.png.

/* ---------- Helpers ---------- */

// makeClip writes a small test video (test pattern and a tone) of secs seconds.
func makeClip(tb testing.TB, secs int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "clip.webm")
	mediatest.MustFFmpeg(tb, mediatest.Join(mediatest.TestSrc("480x270", 15, float64(secs)), mediatest.Tone(330, float64(secs)),
		mediatest.VP8(), []string{"-b:v", "300k", "-c:a", "libopus", path})...)
	return path
}

// uploadClip creates a video as the test account, uploads the file in one
// tus PATCH and waits until it is ready.
func (s *server) uploadClip(tb testing.TB, title, path string) apiVideo {
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
	var v struct{ ID, UploadURL string }
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// The upload URL carries the public URL, which may be a proxy's.
	up, _ := url.Parse(v.UploadURL)
	req, _ := http.NewRequest(http.MethodPatch, s.URL+up.Path, bytes.NewReader(data))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	r, err = s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusNoContent {
		tb.Fatalf("upload: %s %s", r.Status, b)
	}
	return s.waitReady(tb, v.ID, 90*time.Second)
}

// guest is someone without an account, known by their secret.
type guest struct {
	name, secret string
}

func newGuest(name string) guest {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return guest{name: name, secret: base64.RawURLEncoding.EncodeToString(b)}
}

type apiComment struct {
	ID         string `json:"id"`
	TimeMs     int64  `json:"timeMs"`
	Body       string `json:"body"`
	AuthorName string `json:"authorName"`
}

// share calls /api/share/{slug}{path} as a guest (g set) or as the test
// account (g nil) and wants the status.
func (s *server) share(tb testing.TB, g *guest, method, slug, path string, body any, want int) []byte {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+"/api/share/"+slug+path, rd)
	req.Header.Set("Content-Type", "application/json")
	client := s.client
	if g != nil {
		req.Header.Set("X-Guest-Secret", g.secret)
		client = &http.Client{Timeout: 30 * time.Second}
	}
	r, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != want {
		tb.Fatalf("%s /api/share/%s%s: %s %s", method, slug, path, r.Status, b)
	}
	return b
}

// comment posts a comment (a reply with parentID) and returns it.
func (s *server) comment(tb testing.TB, g *guest, slug string, timeMs int64, body, parentID string) apiComment {
	tb.Helper()
	in := map[string]any{"body": body, "timeMs": timeMs}
	if g != nil {
		in["guestName"] = g.name
	}
	if parentID != "" {
		in["parentId"] = parentID
	}
	var c apiComment
	if err := json.Unmarshal(s.share(tb, g, "POST", slug, "/comments", in, http.StatusCreated), &c); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (s *server) react(tb testing.TB, g *guest, slug, emoji string, timeMs int64) {
	tb.Helper()
	s.share(tb, g, "POST", slug, "/reactions", map[string]any{"emoji": emoji, "timeMs": timeMs}, http.StatusCreated)
}

// openWatch loads a watch page and waits until its comments are loaded
// and live.
func openWatch(tb testing.TB, ctx context.Context, pageURL string) {
	tb.Helper()
	do(tb, ctx, 20*time.Second, "open "+pageURL, chromedp.Navigate(pageURL))
	waitJS(tb, ctx, 20*time.Second,
		`window.__batonComments?.connected === true && document.getElementById('comments')?.dataset.count !== undefined && document.getElementById('player')?.readyState >= 1`,
		`JSON.stringify({text: document.body.innerText.slice(0, 400), hooks: window.__batonComments && {seq: __batonComments.lastSeq, connected: __batonComments.connected}})`)
}

// commentShots writes the page in light and dark, wide and at phone width,
// as comments-<name>-<width>-<scheme>.png, and leaves the tab light and wide.
func commentShots(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := shotsDir(tb)
	setScheme := func(scheme string) {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			tb.Fatal(err)
		}
	}
	for _, scheme := range []string{"light", "dark"} {
		setScheme(scheme)
		for _, size := range []struct{ w, h int64 }{{1280, 860}, {375, 760}} {
			do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			sleep(tb, ctx, 400*time.Millisecond)
			// Nothing may stick out sideways, down to a 375 px phone.
			if wide := eval[[]string](tb, ctx, 5*time.Second, `(() => {
				const w = document.documentElement.clientWidth;
				if (document.documentElement.scrollWidth <= w) return [];
				return [...document.querySelectorAll('body *')].filter((e) => {
					const r = e.getBoundingClientRect();
					return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed';
				}).slice(0, 8).map((e) => e.tagName + '#' + e.id + '.' + [...e.classList].join('.') + ' right=' + Math.round(e.getBoundingClientRect().right));
			})()`); len(wide) > 0 {
				tb.Errorf("%s at %d px (%s): the page is wider than the screen: %q", name, size.w, scheme, wide)
			}
			c, cancel := context.WithTimeout(ctx, 15*time.Second)
			b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
			cancel()
			if err != nil {
				tb.Fatalf("screenshot %s: %v", name, err)
			}
			path := filepath.Join(dir, fmt.Sprintf("comments-%s-%d-%s.png", name, size.w, scheme))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	setScheme("light")
	do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(1280, 860))
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

/* ---------- XSS ---------- */

// TestCommentXSS posts hostile bodies, names and a hostile title through the
// API, renders the watch page in Chromium, and checks that nothing runs
// (window.__pwned, which every payload would set, stays undefined), that no
// element comes from a comment except safe links, and that every text
// shows exactly as written.
func TestCommentXSS(t *testing.T) {
	srv := startServer(t)
	title := `"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"></title><svg onload=window.__pwned=1>`
	v := srv.uploadClip(t, title, makeClip(t, 20))

	hostile := []struct{ name, body string }{
		{`<script>window.__pwned=1</script>`, `<script>window.__pwned=1</script>`},
		{`<img src=x onerror="window.__pwned=1">`, `<img src=x onerror="window.__pwned=1">`},
		{`Mallory`, `click me: javascript:window.__pwned=1`},
		{`</textarea><script>window.__pwned=1</script>`, `</textarea><script>window.__pwned=1</script>`},
		{`{{constructor.constructor('window.__pwned=1')()}}`, `{{constructor.constructor('window.__pwned=1')()}}`},
		{"${window.__pwned=1}", "${window.__pwned=1} `${window.__pwned=1}`"},
		{`Eve`, "\u202Egnp.exe https://example.com/\u202E and back"},
		{`Linker`, `[docs](javascript:window.__pwned=1) https://example.com/a"onmouseover="window.__pwned=1 <a href="javascript:window.__pwned=1">x</a>`},
		{`<b>bold</b> & <i>`, "two\nlines <style>body{display:none}</style> &amp; &lt;"},
	}
	var first apiComment
	for i, h := range hostile {
		g := newGuest(h.name)
		c := srv.comment(t, &g, v.Slug, int64(i)*2000, h.body, "")
		if i == 0 {
			first = c
		}
		if c.Body != h.body || c.AuthorName != h.name {
			t.Fatalf("stored %q by %q, posted %q by %q", c.Body, c.AuthorName, h.body, h.name)
		}
	}
	replier := newGuest(`"><svg/onload=window.__pwned=1>`)
	reply := `<iframe src="javascript:window.__pwned=1"></iframe>`
	srv.comment(t, &replier, v.Slug, first.TimeMs, reply, first.ID)
	bodies := []string{reply}
	names := []string{replier.name}
	for _, h := range hostile {
		bodies = append(bodies, h.body)
		names = append(names, h.name)
	}

	br := startBrowser(t)
	ctx, _ := br.tab(t, true)
	openWatch(t, ctx, srv.URL+"/v/"+v.Slug)
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf(`document.querySelectorAll('#comment-list .comment').length === %d`, len(bodies)), `document.getElementById('comments').innerText`)
	// Show every marker's preview once (the tooltip renders names and bodies too).
	eval[bool](t, ctx, 5*time.Second, `(() => { for (const m of document.querySelectorAll('.ctl__marker')) m.focus(); return true; })()`)

	var report struct {
		Pwned        string   `json:"pwned"`
		Bodies       []string `json:"bodies"`
		Names        []string `json:"names"`
		Scripts      []string `json:"scripts"`
		Foreign      []string `json:"foreign"`
		BodyElements []string `json:"bodyElements"`
		Links        []struct {
			Href, Rel, Target, Text string
		} `json:"links"`
		OnAttrs   []string `json:"onAttrs"`
		Title     string   `json:"title"`
		DocTitle  string   `json:"docTitle"`
		OGTitle   *string  `json:"ogTitle"`
		BidiBody  string   `json:"bidiBody"`
		BidiName  string   `json:"bidiName"`
		TipHTML   string   `json:"tipHtml"`
		TipOthers []string `json:"tipOthers"`
	}
	raw := eval[string](t, ctx, 5*time.Second, `JSON.stringify((() => {
		const own = (s) => s.type === 'module' && new URL(s.src, location.href).pathname.startsWith('/assets/');
		// The reaction emoji are Baton's own bundled pictures (lib/emoji.ts).
		const ownEmoji = (e) => e.tagName === 'IMG' && !!e.dataset.emoji && /^(data:image\/svg\+xml,|\/assets\/)/.test(e.getAttribute('src') ?? '');
		const tip = document.getElementById('ctl-tooltip');
		return {
			pwned: typeof window.__pwned,
			bodies: [...document.querySelectorAll('#comment-list .comment__body')].map((e) => e.textContent),
			names: [...document.querySelectorAll('#comment-list .comment .comment__author')].map((e) => e.textContent),
			scripts: [...document.querySelectorAll('script')].filter((s) => !own(s)).map((s) => s.outerHTML),
			foreign: [
				...[...document.querySelectorAll('#comment-list *, #comment-timeline *, #comment-markers *')].filter((e) => !ownEmoji(e)).filter((e) =>
					['SCRIPT', 'IMG', 'IFRAME', 'STYLE', 'OBJECT', 'EMBED', 'B', 'I', 'TEXTAREA', 'FORM', 'BASE', 'INPUT'].includes(e.tagName)
					|| (e.tagName.toLowerCase() === 'svg' && !e.classList.contains('icon'))),
				...[...document.head.children].filter((e) =>
					['IMG', 'IFRAME', 'STYLE', 'OBJECT', 'EMBED', 'BASE', 'SVG', 'svg'].includes(e.tagName) || (e.tagName === 'SCRIPT' && !own(e))),
			].map((e) => e.outerHTML.slice(0, 120)),
			bodyElements: [...document.querySelectorAll('.comment__body *')].filter((e) => !(e.tagName === 'A' && e.classList.contains('comment__link'))).map((e) => e.outerHTML),
			links: [...document.querySelectorAll('#comment-list a')].map((a) => ({ Href: a.getAttribute('href'), Rel: a.rel, Target: a.target, Text: a.textContent })),
			onAttrs: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => e.tagName + ' ' + a.name)),
			title: document.getElementById('video-title').textContent,
			docTitle: document.title,
			ogTitle: document.querySelector('meta[property="og:title"]')?.getAttribute('content') ?? null,
			bidiBody: getComputedStyle(document.querySelector('.comment__body')).unicodeBidi,
			bidiName: getComputedStyle(document.querySelector('.comment__author')).unicodeBidi,
			tipHtml: tip.textContent,
			tipOthers: [...tip.querySelectorAll('*')].filter((e) => !['DIV', 'SPAN', 'P'].includes(e.tagName) && !ownEmoji(e)).map((e) => e.tagName),
		};
	})())`)
	if err := json.Unmarshal([]byte(raw), &report); err != nil {
		t.Fatalf("report: %v: %s", err, raw)
	}
	if report.Pwned != "undefined" {
		t.Fatalf("a payload ran: window.__pwned is %s", report.Pwned)
	}
	if len(report.Scripts) > 0 {
		t.Errorf("scripts that are not the page's own: %q", report.Scripts)
	}
	if len(report.Foreign) > 0 {
		t.Errorf("elements from comments or the title: %q", report.Foreign)
	}
	if len(report.BodyElements) > 0 {
		t.Errorf("elements inside comment bodies besides links: %q", report.BodyElements)
	}
	if len(report.OnAttrs) > 0 {
		t.Errorf("event handler attributes in the page: %q", report.OnAttrs)
	}
	for _, want := range bodies {
		if !contains(report.Bodies, want) {
			t.Errorf("body %q not shown literally; bodies shown: %q", want, report.Bodies)
		}
	}
	for _, want := range names {
		if !contains(report.Names, want) {
			t.Errorf("name %q not shown literally; names shown: %q", want, report.Names)
		}
	}
	for _, l := range report.Links {
		if !strings.HasPrefix(l.Href, "https://") && !strings.HasPrefix(l.Href, "http://") {
			t.Errorf("link to %q (%q)", l.Href, l.Text)
		}
		if l.Rel != "noopener noreferrer nofollow ugc" || l.Target != "_blank" {
			t.Errorf("link %q has rel %q target %q", l.Href, l.Rel, l.Target)
		}
	}
	if len(report.Links) != 2 {
		t.Errorf("links = %+v, want the two https ones", report.Links)
	}
	if report.Title != title || report.DocTitle != title+" · Baton" {
		t.Errorf("title shown as %q / document %q, want %q", report.Title, report.DocTitle, title)
	}
	if report.OGTitle == nil || *report.OGTitle != title {
		t.Errorf("og:title = %v, want %q", report.OGTitle, title)
	}
	if report.BidiBody != "isolate" || report.BidiName != "isolate" {
		t.Errorf("unicode-bidi of body %q, name %q; want isolate", report.BidiBody, report.BidiName)
	}
	if len(report.TipOthers) > 0 || report.TipHTML == "" {
		t.Errorf("marker preview: text %q, elements %q", report.TipHTML, report.TipOthers)
	}

	// Clicking the text that looks like a javascript: link runs nothing and
	// goes nowhere; so does clicking the marked-up names.
	before := eval[string](t, ctx, 5*time.Second, `location.href`)
	eval[bool](t, ctx, 5*time.Second, `(() => {
		for (const e of document.querySelectorAll('#comment-list .comment__body')) {
			if (e.textContent.startsWith('click me: javascript:')) e.dataset.test = 'js-text';
		}
		document.querySelector('#comment-list .comment .comment__author').dataset.test = 'name';
		return true;
	})()`)
	do(t, ctx, 10*time.Second, "click the javascript: text",
		chromedp.Click(chromedp.CSS(`[data-test="js-text"]`)),
		chromedp.Click(chromedp.CSS(`[data-test="name"]`)))
	sleep(t, ctx, 500*time.Millisecond)
	if got := eval[string](t, ctx, 5*time.Second, `typeof window.__pwned + ' ' + location.href`); got != "undefined "+before {
		t.Fatalf("after clicking: %s", got)
	}
	commentShots(t, ctx, "hostile")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

/* ---------- Live ---------- */

// sseProxy stands between the browsers and Baton and can cut the event
// streams: cut() drops every open stream and refuses new ones (the
// connection closes at once, as when Wi-Fi drops) until restore(). It
// records the Last-Event-ID each stream request carried.
type sseProxy struct {
	URL  string
	down atomic.Bool

	mu      sync.Mutex
	streams map[*int]context.CancelFunc
	asked   []string // Last-Event-ID of each stream request ("" for none)
}

func startSSEProxy(tb testing.TB, ln net.Listener, target string) *sseProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &sseProxy{URL: "http://" + ln.Addr().String(), streams: map[*int]context.CancelFunc{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/events") {
				rp.ServeHTTP(w, r)
				return
			}
			p.mu.Lock()
			p.asked = append(p.asked, r.Header.Get("Last-Event-ID"))
			p.mu.Unlock()
			if p.down.Load() {
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			ctx, cancel := context.WithCancel(r.Context())
			key := new(int)
			p.mu.Lock()
			p.streams[key] = cancel
			p.mu.Unlock()
			defer func() {
				p.mu.Lock()
				delete(p.streams, key)
				p.mu.Unlock()
				cancel()
			}()
			rp.ServeHTTP(w, r.WithContext(ctx))
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}

func (p *sseProxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cancel := range p.streams {
		cancel()
	}
}

func (p *sseProxy) restore() { p.down.Store(false) }

func (p *sseProxy) lastEventIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// seenHook records (window.__seen[key]) when cond first holds on page b,
// checked on every change under #comments and #comment-timeline: a
// MutationObserver, which runs in background tabs too.
func seenHook(tb testing.TB, ctx context.Context, key, cond string) {
	tb.Helper()
	eval[bool](tb, ctx, 5*time.Second, `(() => {
		window.__seen ??= {};
		const key = `+jsString(key)+`;
		const check = () => { if (!window.__seen[key] && (`+cond+`)) window.__seen[key] = Date.now(); };
		const mo = new MutationObserver(check);
		for (const id of ['comments', 'comment-timeline']) mo.observe(document.getElementById(id), { subtree: true, childList: true, characterData: true, attributes: true });
		check();
		return true;
	})()`)
}

func hasBody(text string) string {
	return `[...document.querySelectorAll('#comment-list .comment__body')].some((e) => e.textContent === ` + jsString(text) + `)`
}

// postFromUI types a comment into page's composer and sends it, noting
// the moment of sending as window.__sent[key].
func postFromUI(tb testing.TB, ctx context.Context, key, text string) {
	tb.Helper()
	eval[bool](tb, ctx, 5*time.Second, `(() => {
		window.__sent ??= {};
		document.getElementById('comment-form').addEventListener('submit', () => { window.__sent[`+jsString(key)+`] ??= Date.now(); }, { capture: true, once: true });
		return true;
	})()`)
	do(tb, ctx, 10*time.Second, "type a comment",
		chromedp.SendKeys(chromedp.CSS(`#comment-body`), text),
		chromedp.Click(chromedp.CSS(`#comment-submit`)))
	waitJS(tb, ctx, 10*time.Second, hasBody(text)+` && document.getElementById('comment-body').value === ''`,
		`document.getElementById('comment-error')?.textContent`)
}

// TestCommentLive opens the same video in two pages. Page A comments (in
// its composer) and reacts; page B shows both within a second without a
// reload. Then B's event stream is cut, A posts two more comments, the
// stream comes back, and B shows the two it missed: the browser resumed
// with Last-Event-ID and the server replayed them.
func TestCommentLive(t *testing.T) {
	requireSetup(t)
	ln := listen(t)
	srv := startServer(t, "BATON_PUBLIC_URL=http://"+ln.Addr().String())
	proxy := startSSEProxy(t, ln, srv.URL)
	v := srv.uploadClip(t, "Live conversation", makeClip(t, 20))
	link := proxy.URL + "/v/" + v.Slug

	br := startBrowser(t)
	a, _ := br.tab(t, true)
	b, _ := br.tab(t, true)
	openWatch(t, a, link)
	openWatch(t, b, link)
	waitJS(t, b, 5*time.Second, `!document.getElementById('comments-empty').hidden`, "")
	commentShots(t, b, "empty")
	eval[bool](t, b, 5*time.Second, `(window.__samePage = true)`)
	do(t, a, 10*time.Second, "name the guest", chromedp.SendKeys(chromedp.CSS(`#comment-guest-name`), "Alice from A"))

	// A comment.
	first := "Hello from page A"
	seenHook(t, b, "first", hasBody(first))
	postFromUI(t, a, "first", first)
	waitJS(t, b, 5*time.Second, `window.__seen.first > 0`, `document.getElementById('comments').innerText`)
	commentLag := eval[float64](t, b, 5*time.Second, `window.__seen.first`) - eval[float64](t, a, 5*time.Second, `window.__sent.first`)

	// A reaction.
	seenHook(t, b, "reaction", `document.querySelector('#reaction-bar [data-emoji="🎉"] .reaction__count')?.textContent === '1' && document.querySelector('.ctl__marker--reaction') !== null`)
	eval[bool](t, a, 5*time.Second, `(() => { document.getElementById('reaction-bar').addEventListener('click', () => { window.__sent.reaction ??= Date.now(); }, { capture: true }); return true; })()`)
	do(t, a, 10*time.Second, "react", chromedp.Click(chromedp.CSS(`#reaction-bar [data-emoji="🎉"]`)))
	waitJS(t, b, 5*time.Second, `window.__seen.reaction > 0`, `document.getElementById('reaction-bar').innerText`)
	reactionLag := eval[float64](t, b, 5*time.Second, `window.__seen.reaction`) - eval[float64](t, a, 5*time.Second, `window.__sent.reaction`)
	t.Logf("page B saw A's comment %.0f ms and reaction %.0f ms after A sent them", commentLag, reactionLag)
	if commentLag > 1000 || reactionLag > 1000 {
		t.Fatalf("live updates took %.0f ms (comment) and %.0f ms (reaction); want under 1000", commentLag, reactionLag)
	}
	if n := eval[int](t, b, 5*time.Second, `document.querySelectorAll('#comment-list .comment').length`); n != 1 {
		t.Fatalf("page B shows %d comments, want 1 (no duplicates)", n)
	}

	// Cut B's stream (A's too: both go through the proxy); A keeps posting.
	seqBefore := eval[int](t, b, 5*time.Second, `__batonComments.lastSeq`)
	asked := len(proxy.lastEventIDs())
	proxy.cut()
	waitJS(t, b, 10*time.Second, `__batonComments.connected === false && document.getElementById('comments').dataset.connected === 'false'`, "")
	missed := []string{"Posted while B was offline (1)", "Posted while B was offline (2)"}
	for i, text := range missed {
		postFromUI(t, a, fmt.Sprintf("missed%d", i), text)
	}
	sleep(t, b, 1500*time.Millisecond)
	if eval[bool](t, b, 5*time.Second, hasBody(missed[0])+` || `+hasBody(missed[1])) {
		t.Fatal("page B got comments while its stream was cut")
	}
	seenHook(t, b, "replay", hasBody(missed[0])+` && `+hasBody(missed[1]))
	restored := time.Now()
	proxy.restore()
	waitJS(t, b, 15*time.Second, `window.__seen.replay > 0 && __batonComments.connected`, `document.getElementById('comments').innerText`)
	t.Logf("after the stream came back, page B showed the 2 missed comments in %s", time.Since(restored).Round(10*time.Millisecond))

	if !eval[bool](t, b, 5*time.Second, `window.__samePage === true`) {
		t.Fatal("page B reloaded")
	}
	if n := eval[int](t, b, 5*time.Second, `document.querySelectorAll('#comment-list .comment').length`); n != 3 {
		t.Fatalf("page B shows %d comments, want 3", n)
	}
	resumed := false
	for _, id := range proxy.lastEventIDs()[asked:] {
		if id == strconv.Itoa(seqBefore) {
			resumed = true
		}
	}
	if !resumed {
		t.Fatalf("no stream request resumed from Last-Event-ID %d; requests carried %q", seqBefore, proxy.lastEventIDs()[asked:])
	}
	// And A's own page counted each comment once.
	if n := eval[int](t, a, 5*time.Second, `document.querySelectorAll('#comment-list .comment').length`); n != 3 {
		t.Fatalf("page A shows %d comments, want 3", n)
	}
	// After a reload A is still the author of its comments (the guest
	// secret in localStorage), and its name is remembered.
	openWatch(t, a, link)
	waitJS(t, a, 10*time.Second, `document.querySelectorAll('#comment-list .comment--mine [data-action="menu"]').length === 3 && document.getElementById('comment-guest-name').value === 'Alice from A'`,
		`JSON.stringify({mine: document.querySelectorAll('#comment-list .comment--mine').length, name: document.getElementById('comment-guest-name')?.value})`)
	if n := eval[int](t, b, 5*time.Second, `document.querySelectorAll('#comment-list .comment--mine, #comment-list [data-action="menu"]').length`); n != 0 {
		t.Fatalf("page B may change %d of A's comments", n)
	}
}

/* ---------- Keyboard, and the page with a real conversation ---------- */

type markerBox struct {
	Frac   float64 `json:"frac"`
	TimeMs float64 `json:"timeMs"`
	ID     string  `json:"id"`
}

// TestCommentKeyboard: at 0:12 the owner presses C, types and presses Enter;
// the comment is at 0:12 in the list and its marker sits at 12 s of the
// strip. Space plays and pauses, arrows seek 5 s, typing pauses the video.
// Then a conversation with replies, a range, an edit, a deletion, a
// resolved thread and reactions is screenshot in light and dark, wide and
// at 375 px.
func TestCommentKeyboard(t *testing.T) {
	srv := startServer(t)
	v := srv.uploadClip(t, "Quarterly roadmap walkthrough", makeClip(t, 30))
	br := startBrowser(t)
	ctx, _ := br.tab(t, true)
	srv.signIn(t, ctx)
	openWatch(t, ctx, srv.URL+"/v/"+v.Slug)
	if eval[bool](t, ctx, 5*time.Second, `document.getElementById('comment-guest-name') !== null`) {
		t.Fatal("a signed-in member is asked for a guest name")
	}

	eval[bool](t, ctx, 10*time.Second, `(async () => {
		const p = document.getElementById('player');
		p.muted = true;
		const seeked = new Promise((r) => p.addEventListener('seeked', r, { once: true }));
		p.currentTime = 12.3;
		await seeked;
		document.activeElement?.blur();
		return true;
	})()`)
	do(t, ctx, 5*time.Second, "press n", chromedp.KeyEvent("n"))
	waitJS(t, ctx, 5*time.Second, `document.activeElement?.id === 'comment-body' && document.getElementById('comment-at').textContent === 'Comment at 0:12'`,
		`JSON.stringify({active: document.activeElement?.id, at: document.getElementById('comment-at')?.textContent})`)
	text := "Typed at twelve seconds, sent with Enter"
	do(t, ctx, 10*time.Second, "type and press Enter", chromedp.KeyEvent(text), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, 10*time.Second, hasBody(text), `JSON.stringify({error: document.getElementById('comment-error')?.textContent, value: document.getElementById('comment-body').value, list: document.getElementById('comment-list').innerText})`)
	raw := eval[string](t, ctx, 5*time.Second, `JSON.stringify((() => {
		const li = [...document.querySelectorAll('#comment-list > li')].find((l) => l.querySelector('.comment__body')?.textContent === `+jsString(text)+`);
		const m = [...document.querySelectorAll('.ctl__marker--comment')].find((x) => x.dataset.ids.split(' ').includes(li.dataset.id));
		if (!m) return { id: li.dataset.id, timeMs: Number(li.dataset.timeMs), frac: -1 };
		// Where the marker's centre is along the seek bar's track (the marker layer spans it).
		const s = document.querySelector('#comment-markers').getBoundingClientRect();
		const r = m.getBoundingClientRect();
		return { id: li.dataset.id, timeMs: Number(li.dataset.timeMs), frac: (r.left + r.width / 2 - s.left) / s.width };
	})())`)
	var mk markerBox
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if mk.TimeMs < 12000 || mk.TimeMs >= 13000 {
		t.Fatalf("the comment is at %v ms, want 0:12", mk.TimeMs)
	}
	want := mk.TimeMs / float64(v.DurationMs)
	if math.Abs(mk.Frac-want) > 0.015 {
		t.Fatalf("marker at %.3f of the strip, want %.3f (%v ms of %d)", mk.Frac, want, mk.TimeMs, v.DurationMs)
	}
	t.Logf("comment at %v ms; marker at %.3f of the strip (want %.3f)", mk.TimeMs, mk.Frac, want)

	// The marker's preview, on focus.
	eval[bool](t, ctx, 5*time.Second, `(document.querySelector('.ctl__marker--comment[data-ids~="`+mk.ID+`"]').focus(), true)`)
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('ctl-tooltip').hidden && document.getElementById('ctl-tooltip').textContent.includes(`+jsString(text)+`)`, `document.getElementById('ctl-tooltip').outerHTML`)

	// The comments as a captions track of the player.
	waitJS(t, ctx, 10*time.Second, `(() => {
		const tr = document.querySelector('#player track[data-comments]');
		if (!tr) return false;
		tr.track.mode = 'hidden';
		return [...(tr.track.cues ?? [])].some((c) => c.text.includes(`+jsString(text)+`));
	})()`, `document.querySelector('#player track')?.outerHTML ?? 'no track'`)

	// Space plays and pauses; arrows seek 5 s; not while typing.
	eval[bool](t, ctx, 5*time.Second, `(document.activeElement?.blur(), true)`)
	do(t, ctx, 5*time.Second, "space", chromedp.KeyEvent(" "))
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('player').paused`, "")
	do(t, ctx, 5*time.Second, "space", chromedp.KeyEvent(" "))
	waitJS(t, ctx, 5*time.Second, `document.getElementById('player').paused`, "")
	before := eval[float64](t, ctx, 5*time.Second, `document.getElementById('player').currentTime`)
	do(t, ctx, 5*time.Second, "arrow right", chromedp.KeyEvent(kb.ArrowRight))
	waitJS(t, ctx, 5*time.Second, fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.3`, before+5), `document.getElementById('player').currentTime`)
	do(t, ctx, 5*time.Second, "arrow left", chromedp.KeyEvent(kb.ArrowLeft))
	waitJS(t, ctx, 5*time.Second, fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.3`, before), `document.getElementById('player').currentTime`)

	// Typing pauses the video, and keys typed in the box stay there.
	eval[bool](t, ctx, 5*time.Second, `document.getElementById('player').play().then(() => true)`)
	do(t, ctx, 5*time.Second, "press n while playing", chromedp.KeyEvent("n"))
	waitJS(t, ctx, 5*time.Second, `document.activeElement?.id === 'comment-body'`, "")
	do(t, ctx, 5*time.Second, "type", chromedp.KeyEvent("c "+kb.ArrowLeft))
	waitJS(t, ctx, 5*time.Second, `document.getElementById('player').paused && document.getElementById('comment-body').value === 'c '`,
		`JSON.stringify({paused: document.getElementById('player').paused, value: document.getElementById('comment-body').value})`)
	do(t, ctx, 5*time.Second, "cancel", chromedp.Click(chromedp.CSS(`#comment-cancel`)))

	// A conversation to look at.
	owner := (*guest)(nil)
	priya, marco, sam, jun, ana, noor := newGuest("Priya Raman"), newGuest("Marco"), newGuest("Sam Okafor"), newGuest("Jun"), newGuest("Ana"), newGuest("نور")
	p := srv.comment(t, &priya, v.Slug, 3100, "Love the new onboarding flow — can we ship this on Friday?", "")
	srv.comment(t, owner, v.Slug, 3100, "Yes, if QA signs off today.", p.ID)
	srv.comment(t, &marco, v.Slug, 3100, "I can pair on the last QA pass this afternoon.", p.ID)
	m := srv.share(t, &marco, "POST", v.Slug, "/comments", map[string]any{
		"body": "The chart here is hard to read on a phone. Larger labels? Notes: https://example.com/design-notes", "timeMs": 8000, "endMs": 15000, "guestName": marco.name,
	}, http.StatusCreated)
	_ = m
	s := srv.comment(t, &sam, v.Slug, 18200, "Typo in the title card: “Roadmpa”.", "")
	srv.share(t, owner, "POST", v.Slug, "/comments/"+s.ID+"/resolve", nil, http.StatusOK)
	j := srv.comment(t, &jun, v.Slug, 21000, "Ignore this, wrong video.", "")
	srv.comment(t, &ana, v.Slug, 21000, "No worries!", j.ID)
	srv.share(t, &jun, "DELETE", v.Slug, "/comments/"+j.ID, nil, http.StatusOK)
	an := srv.comment(t, &ana, v.Slug, 25000, "Could we get the numbers for EMEA too?", "")
	srv.share(t, &ana, "PATCH", v.Slug, "/comments/"+an.ID, map[string]any{"body": "Could we get the numbers for EMEA and APAC too?"}, http.StatusOK)
	srv.comment(t, &noor, v.Slug, 27500, "عرض رائع، شكراً! The demo at the end was great.", "")
	for _, r := range []struct {
		g     *guest
		emoji string
		at    int64
	}{{&priya, "🎉", 3000}, {&marco, "🎉", 3400}, {&sam, "👍", 8200}, {&ana, "🔥", 12500}, {&noor, "❤️", 25100}, {&jun, "😂", 27000}, {&priya, "👀", 16000}} {
		srv.react(t, r.g, v.Slug, r.emoji, r.at)
	}
	// They arrive live.
	waitJS(t, ctx, 10*time.Second, `document.getElementById('comments').dataset.count === '9' && document.querySelectorAll('.ctl__marker--reaction').length >= 4`,
		`JSON.stringify({count: document.getElementById('comments').dataset.count, reactions: document.querySelectorAll('.ctl__marker--reaction').length})`)
	// At 0:10 the range comment is the current one.
	eval[bool](t, ctx, 10*time.Second, `(async () => {
		const p = document.getElementById('player');
		p.pause();
		const seeked = new Promise((r) => p.addEventListener('seeked', r, { once: true }));
		p.currentTime = 10;
		await seeked;
		document.activeElement?.blur();
		return true;
	})()`)
	waitJS(t, ctx, 5*time.Second, `document.querySelector('#comment-list > li.thread--active .comment__body')?.textContent.startsWith('The chart here')`,
		`document.querySelector('#comment-list > li.thread--active')?.innerText ?? 'none active'`)
	if !eval[bool](t, ctx, 5*time.Second, `document.querySelector('#comment-list > li.thread--resolved.thread--collapsed') !== null && document.getElementById('comments-resolved').textContent === '1 resolved'`) {
		t.Fatal("the resolved thread is not collapsed with a count")
	}
	if !eval[bool](t, ctx, 5*time.Second, `[...document.querySelectorAll('.comment__body--deleted')].length === 1 && [...document.querySelectorAll('.comment__edited')].length === 1`) {
		t.Fatal("no deleted placeholder or edited mark")
	}
	commentShots(t, ctx, "conversation")

	// The composer in use, with an end time, and a marker's preview.
	do(t, ctx, 5*time.Second, "press n", chromedp.KeyEvent("n"))
	do(t, ctx, 10*time.Second, "write a range comment",
		chromedp.KeyEvent("From here to the end of the chart, the colours are hard to tell apart."),
		chromedp.Click(chromedp.CSS(`#comment-end-toggle`)))
	eval[bool](t, ctx, 5*time.Second, `(document.querySelector('.ctl__marker--comment').focus(), true)`)
	commentShots(t, ctx, "composing")
	do(t, ctx, 5*time.Second, "cancel", chromedp.Click(chromedp.CSS(`#comment-cancel`)))

	// Reply, edit, reopen, resolve and delete, with the page's own controls.
	thread := func(id string) string { return `#comment-list > li[data-id="` + id + `"]` }
	do(t, ctx, 10*time.Second, "reply", chromedp.Click(chromedp.CSS(thread(p.ID)+` > article [data-action="reply"]`)))
	waitJS(t, ctx, 5*time.Second, `document.activeElement?.closest('.thread__reply-form') !== null`, "")
	do(t, ctx, 10*time.Second, "type the reply", chromedp.KeyEvent("Shipping it Friday then."), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, 10*time.Second, `document.querySelectorAll('`+thread(p.ID)+` .thread__replies .comment').length === 3 && document.querySelector('`+thread(p.ID)+` .thread__reply-form') === null`, `document.querySelector('`+thread(p.ID)+`').innerText`)

	do(t, ctx, 10*time.Second, "edit",
		chromedp.Click(chromedp.CSS(thread(mk.ID)+` > article [data-action="menu"]`)),
		chromedp.Click(chromedp.CSS(thread(mk.ID)+` [role="menuitem"][data-action="edit"]`)))
	waitJS(t, ctx, 5*time.Second, `document.activeElement?.closest('.comment__edit') !== null`, "")
	do(t, ctx, 10*time.Second, "change it", chromedp.KeyEvent(" (edited)"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, 10*time.Second, hasBody(text+" (edited)")+` && document.querySelector('`+thread(mk.ID)+` .comment__edited') !== null`, `document.querySelector('`+thread(mk.ID)+`').innerText`)

	do(t, ctx, 10*time.Second, "open the resolved thread", chromedp.Click(chromedp.CSS(thread(s.ID)+` [data-action="expand"]`)))
	do(t, ctx, 10*time.Second, "reopen", chromedp.Click(chromedp.CSS(thread(s.ID)+` > article [data-action="reopen"]`)))
	waitJS(t, ctx, 10*time.Second, `!document.querySelector('`+thread(s.ID)+`').classList.contains('thread--resolved') && document.getElementById('comments-resolved').hidden`, "")
	do(t, ctx, 10*time.Second, "resolve", chromedp.Click(chromedp.CSS(thread(p.ID)+` > article [data-action="resolve"]`)))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('`+thread(p.ID)+`').classList.contains('thread--collapsed') && document.getElementById('comments-resolved').textContent === '1 resolved'`, "")

	do(t, ctx, 10*time.Second, "delete",
		chromedp.Click(chromedp.CSS(thread(mk.ID)+` > article [data-action="menu"]`)),
		chromedp.Click(chromedp.CSS(thread(mk.ID)+` [role="menuitem"][data-action="delete"]`)))
	waitJS(t, ctx, 5*time.Second, `document.getElementById('delete-comment-dialog')?.open === true`, "")
	do(t, ctx, 10*time.Second, "confirm", chromedp.Click(chromedp.CSS(`#delete-comment-dialog [data-action="confirm"]`)))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('`+thread(mk.ID)+`') === null && !document.querySelector('[data-ids~="`+mk.ID+`"]') && document.getElementById('comments').dataset.count === '9'`,
		`document.getElementById('comments').dataset.count`)
	// What the page shows is what the server has.
	var list struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(srv.share(t, nil, "GET", v.Slug, "/comments", nil, http.StatusOK), &list); err != nil || list.Count != 9 {
		t.Fatalf("server count %d (%v), want 9", list.Count, err)
	}
}

/* ---------- Settings ---------- */

// TestCommentSettings: the owner changes the video's discussion settings
// while a guest has the page open; the page follows at once: guests not
// allowed asks to sign in, comments off is a calm note (the conversation
// so far stays readable), reactions off hides the reaction bar.
func TestCommentSettings(t *testing.T) {
	srv := startServer(t)
	v := srv.uploadClip(t, "Discussion settings", makeClip(t, 10))
	gail := newGuest("Gail")
	srv.comment(t, &gail, v.Slug, 1000, "Said before the switch", "")
	br := startBrowser(t)
	ctx, _ := br.tab(t, true)
	openWatch(t, ctx, srv.URL+"/v/"+v.Slug)
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('comment-form').hidden && document.getElementById('comment-guest-name') !== null && !document.getElementById('reaction-bar').hidden && document.querySelector('[data-action="reply"]') !== null`,
		`document.getElementById('comments').innerText`)

	settings := func(change map[string]bool) {
		t.Helper()
		b, _ := json.Marshal(change)
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/videos/"+v.ID, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		r, err := srv.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %v: %s %s", change, r.Status, body)
		}
	}
	state := `JSON.stringify({form: document.getElementById('comment-form')?.hidden, note: document.getElementById('comments-note')?.innerText, bar: document.getElementById('reaction-bar').hidden})`

	settings(map[string]bool{"guestComments": false})
	waitJS(t, ctx, 5*time.Second, `document.getElementById('comment-form').hidden && document.getElementById('comments-sign-in')?.textContent === 'Sign in to comment'
		&& document.getElementById('comments-sign-in').getAttribute('href') === '/login?next=' + encodeURIComponent(location.pathname)
		&& document.getElementById('comment-here').hidden && document.querySelector('[data-action="reply"]') === null`, state)
	commentShots(t, ctx, "guests-off")

	settings(map[string]bool{"guestComments": true, "commentsEnabled": false})
	waitJS(t, ctx, 5*time.Second, `document.getElementById('comment-form').hidden && document.getElementById('comments-note').innerText.includes('Comments are turned off')
		&& `+hasBody("Said before the switch"), state)
	commentShots(t, ctx, "comments-off")

	settings(map[string]bool{"commentsEnabled": true, "reactionsEnabled": false})
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('comment-form').hidden && document.getElementById('comments-note').hidden && document.getElementById('reaction-bar').hidden`, state)
}
