package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media/mediatest"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// shotsDir is where the account and sharing screenshots go for people to
// look at ($BATON_E2E_SHOTS, or /tmp/shots).
func shotsDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BATON_E2E_SHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// screenshots writes auth-<name>*.png (see shots).
func screenshots(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	shots(tb, ctx, "auth-"+name, 860, 760)
}

// shots writes the page as <file>[-375]-<scheme>.png in shotsDir: light
// and dark, 1280 px wide with a wideH viewport and 375 px wide with a
// phoneH one, whole pages. It leaves the tab as it found it (light, wide).
func shots(tb testing.TB, ctx context.Context, file string, wideH, phoneH int64) {
	tb.Helper()
	dir := shotsDir(tb)
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			tb.Fatal(err)
		}
		for _, size := range []struct {
			suffix string
			w, h   int64
		}{{"", 1280, wideH}, {"-375", 375, phoneH}} {
			do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			sleep(tb, ctx, 350*time.Millisecond)
			c, cancel := context.WithTimeout(ctx, 15*time.Second)
			b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
			cancel()
			if err != nil {
				tb.Fatalf("screenshot %s: %v", file, err)
			}
			if err := os.WriteFile(filepath.Join(dir, file+size.suffix+"-"+scheme+".png"), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
	}); err != nil {
		tb.Fatal(err)
	}
	do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(1280, wideH))
}

// TestSignUpShareWithPasswordAndWatch is the sharing flow as a person does
// it: sign up in the browser, upload a video from the library, make its
// link password-protected in the sharing dialog, then open the link in a
// fresh browser context (nobody signed in), give the password and watch.
// Screenshots of the sign-in page, the library, the sharing dialog, the
// password page and the watch page go to $BATON_E2E_SHOTS (or /tmp/shots).
func TestSignUpShareWithPasswordAndWatch(t *testing.T) {
	srv := startServer(t)
	src := filepath.Join(t.TempDir(), "Team update.webm")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("640x360", 30, 3), mediatest.Tone(440, 3), mediatest.VP8(),
		[]string{"-b:v", "500k", "-c:a", "libopus", src})...)
	br := startBrowser(t)
	owner, _ := br.tab(t, true)

	// Signed out, / is the sign-in page; sign up from it.
	do(t, owner, 20*time.Second, "open /", chromedp.Navigate(srv.URL+"/"))
	waitJS(t, owner, 10*time.Second, `document.getElementById('auth-title')?.textContent === 'Sign in'`, `document.body.innerText`)
	screenshots(t, owner, "signin")
	do(t, owner, 10*time.Second, "go to sign-up", chromedp.Click(chromedp.CSS(`#auth-switch a`)))
	waitJS(t, owner, 10*time.Second, `location.pathname === '/signup' && !document.getElementById('name-field').hidden`, `document.body.innerText`)
	do(t, owner, 10*time.Second, "fill the sign-up form",
		chromedp.SendKeys(chromedp.ID("auth-name"), "Sam Sharer"),
		chromedp.SendKeys(chromedp.ID("auth-email"), "sam@example.com"),
		chromedp.SendKeys(chromedp.ID("auth-password"), "a passphrase for sam"),
		chromedp.Click(chromedp.ID("auth-submit")),
	)
	waitJS(t, owner, 15*time.Second, `location.pathname === '/' && document.getElementById('upload-input') !== null && !document.getElementById('empty-state').hidden`, `document.body.innerText`)
	if got := eval[string](t, owner, 5*time.Second, `document.getElementById('account-button')?.title ?? ''`); !strings.Contains(got, "sam@example.com") {
		t.Fatalf("account menu = %q, want Sam's", got)
	}

	// Upload from the library; the page moves to the watch page.
	do(t, owner, 10*time.Second, "choose the file", chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{src}))
	waitJS(t, owner, 60*time.Second, `location.pathname.startsWith('/v/') && document.getElementById('player')?.readyState >= 2`, `document.body.innerText`)
	waitJS(t, owner, 10*time.Second, `document.getElementById('sharing-button') !== null`, `document.body.innerText`)
	slug := strings.TrimPrefix(eval[string](t, owner, 5*time.Second, `location.pathname`), "/v/")

	// Share it with a password.
	do(t, owner, 10*time.Second, "open the sharing dialog", chromedp.Click(chromedp.ID("sharing-button")))
	waitJS(t, owner, 5*time.Second, `document.getElementById('sharing-dialog')?.open === true`, "")
	screenshots(t, owner, "sharing-dialog")
	do(t, owner, 10*time.Second, "require a password",
		chromedp.Click(chromedp.CSS(`#sharing-dialog input[type="checkbox"]`)),
		chromedp.SendKeys(chromedp.CSS(`#sharing-dialog input[type="password"]`), "open sesame"),
	)
	screenshots(t, owner, "sharing-dialog-password")
	do(t, owner, 10*time.Second, "save", chromedp.Click(chromedp.ID("share-save")))
	waitJS(t, owner, 10*time.Second, `document.getElementById('sharing-dialog') === null && document.getElementById('sharing-button').title.includes('password')`, `document.body.innerText`)
	screenshots(t, owner, "watch-owner")

	// The library now shows the lock.
	do(t, owner, 20*time.Second, "open the library", chromedp.Navigate(srv.URL+"/"))
	waitJS(t, owner, 10*time.Second, `document.querySelector('.card .card__lock') !== null`, `document.body.innerText`)
	screenshots(t, owner, "library")

	// A stranger with the link: the password first, with nothing of the
	// video shown; then the video plays.
	viewer, _ := br.tab(t, true)
	do(t, viewer, 20*time.Second, "open the link", chromedp.Navigate(srv.URL+"/v/"+slug))
	waitJS(t, viewer, 10*time.Second, `document.getElementById('password-gate') !== null`, `document.body.innerText`)
	if text := eval[string](t, viewer, 5*time.Second, `document.documentElement.outerHTML`); strings.Contains(text, "Team update") || strings.Contains(text, "poster.jpg") {
		t.Fatal("the password page shows the video's title or poster")
	}
	screenshots(t, viewer, "password")
	do(t, viewer, 10*time.Second, "wrong password",
		chromedp.SendKeys(chromedp.ID("video-password"), "guess"),
		chromedp.Click(chromedp.ID("gate-submit")),
	)
	waitJS(t, viewer, 10*time.Second, `!document.getElementById('gate-error').hidden`, `document.body.innerText`)
	eval[bool](t, viewer, 5*time.Second, `(document.getElementById('video-password').value = '') === ''`)
	do(t, viewer, 10*time.Second, "right password",
		chromedp.SendKeys(chromedp.ID("video-password"), "open sesame"),
		chromedp.Click(chromedp.ID("gate-submit")),
	)
	waitJS(t, viewer, 20*time.Second, `document.getElementById('video-title')?.textContent === 'Team update' && document.getElementById('player')?.readyState >= 2`, `document.body.innerText`)
	played := eval[bool](t, viewer, 15*time.Second, `(async () => {
		const v = document.getElementById('player');
		v.muted = true;
		await v.play();
		await new Promise((r) => setTimeout(r, 1200));
		return !v.paused && v.currentTime > 0.5;
	})()`)
	if !played {
		t.Fatal("the video does not play after the password")
	}
	if eval[bool](t, viewer, 5*time.Second, `document.getElementById('sharing-button') !== null`) {
		t.Fatal("a viewer sees the owner's sharing button")
	}
	screenshots(t, viewer, "watch-viewer")

	// Reloading keeps the viewer in (the pass); a fresh context is asked again.
	do(t, viewer, 20*time.Second, "reload", chromedp.Navigate(srv.URL+"/v/"+slug))
	waitJS(t, viewer, 10*time.Second, `document.getElementById('video-title')?.textContent === 'Team update'`, `document.body.innerText`)
	other, _ := br.tab(t, true)
	do(t, other, 20*time.Second, "open the link elsewhere", chromedp.Navigate(srv.URL+"/v/"+slug))
	waitJS(t, other, 10*time.Second, `document.getElementById('password-gate') !== null`, `document.body.innerText`)

	// The account page.
	do(t, owner, 20*time.Second, "open the account page", chromedp.Navigate(srv.URL+"/account"))
	waitJS(t, owner, 10*time.Second, `document.getElementById('profile-name')?.value === 'Sam Sharer'`, `document.body.innerText`)
	do(t, owner, 10*time.Second, "make a token",
		chromedp.SendKeys(chromedp.ID("token-name"), "CI uploads"),
		chromedp.Click(chromedp.ID("token-create")),
	)
	waitJS(t, owner, 10*time.Second, `!document.getElementById('token-secret').hidden && document.querySelectorAll('#token-list li').length === 1`, `document.body.innerText`)
	screenshots(t, owner, "account")
}
