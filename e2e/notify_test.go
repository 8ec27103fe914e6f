package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// api sends a JSON request with client's session and decodes the answer.
func api(tb testing.TB, client *http.Client, method, url string, body any, want int, out any) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s = %s %s, want %d", method, url, resp.Status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("decode %s: %v", b, err)
		}
	}
}

// TestBellAndAccountHours: a member in Tokyo (the browser's zone, which
// Baton proposes on the first visit) saves her working hours on the account
// page, and her bell counts up live while a colleague replies to her; the
// library counts what is new per video and the watch page marks the thread.
// The walk goes through several pages on purpose: a stream a page left open
// (in the back-forward cache) would make later pages' requests queue.
// Screenshots: auth-notify-account*, auth-notify-bell*, auth-notify-watch*.
func TestBellAndAccountHours(t *testing.T) {
	mail := smtptest.Start(t, smtptest.Options{})
	s := startServer(t, "BATON_SMTP_URL=smtp://"+mail.Addr+"?tls=none", "BATON_MAIL_FROM=Baton <baton@example.com>")
	// A colleague with his own session.
	bo, _ := s.member(t, "Bo Chen", "bo@example.com")

	var v struct{ ID, Slug string }
	api(t, s.client, "POST", s.URL+"/api/videos", map[string]string{"title": "Sprint review"}, 201, &v)
	var thread struct{ ID string }
	api(t, s.client, "POST", s.URL+"/api/videos/"+v.ID+"/comments", map[string]any{"body": "Can someone check the numbers on this slide?", "timeMs": 0}, 201, &thread)

	b := startBrowser(t)
	ctx, cancel := b.tab(t, false)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	s.signIn(t, ctx)
	do(t, ctx, 20*time.Second, "open the account page", chromedp.Navigate(s.URL+"/account"))
	waitJS(t, ctx, 15*time.Second, `document.querySelector('#notify-now')?.textContent.includes('UTC')`, `document.querySelector('#notify-now')?.textContent`)
	// First visit: the browser's zone is proposed.
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#zone-accept')`, `document.body.innerText.slice(0, 300)`)
	screenshots(t, ctx, "notify-zone-proposal")
	do(t, ctx, 10*time.Second, "accept the zone", chromedp.Click(chromedp.ID("zone-accept")))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#notify-zone')?.value === 'Asia/Tokyo' && !document.querySelector('#zone-proposal')`,
		`document.querySelector('#notify-zone')?.value`)

	// Hours: Monday to Thursday, 08:30 to 17:30.
	clear := `for (const id of ['notify-start', 'notify-end']) document.getElementById(id).value = ''; true`
	eval[bool](t, ctx, 5*time.Second, clear)
	do(t, ctx, 10*time.Second, "edit hours",
		chromedp.Click(chromedp.ID("notify-day-fri")),
		chromedp.SendKeys(chromedp.ID("notify-start"), "08:30"),
		chromedp.SendKeys(chromedp.ID("notify-end"), "17:30"),
		chromedp.Click(chromedp.ID("notify-mode-daily")),
		chromedp.Click(chromedp.ID("notify-save")),
	)
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#notify-status')?.textContent === 'Saved.'`, `document.querySelector('#notify-status')?.textContent`)
	line := eval[string](t, ctx, 5*time.Second, `document.querySelector('#notify-now').textContent`)
	if !strings.Contains(line, "It is ") || !strings.Contains(line, "Asia/Tokyo") || !strings.Contains(line, "at 08:30 on Mon–Thu") {
		t.Fatalf("account sentence = %q", line)
	}
	var me struct {
		TimeZone     string
		EmailMode    string
		WorkingHours struct {
			Days       []string
			Start, End string
		}
	}
	api(t, s.client, "GET", s.URL+"/api/auth/me", nil, 200, &me)
	if me.TimeZone != "Asia/Tokyo" || me.EmailMode != "daily" || strings.Join(me.WorkingHours.Days, ",") != "mon,tue,wed,thu" ||
		me.WorkingHours.Start != "08:30" || me.WorkingHours.End != "17:30" {
		t.Fatalf("saved settings = %+v", me)
	}
	// A bad time is refused with the server's words.
	eval[bool](t, ctx, 5*time.Second, clear)
	do(t, ctx, 10*time.Second, "bad time",
		chromedp.SendKeys(chromedp.ID("notify-start"), "08:30"),
		chromedp.SendKeys(chromedp.ID("notify-end"), "07:00"),
		chromedp.Click(chromedp.ID("notify-save")),
	)
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#notify-status')?.dataset.kind === 'error'`, `document.querySelector('#notify-status')?.textContent`)
	do(t, ctx, 10*time.Second, "reload", chromedp.Navigate(s.URL+"/account"))
	waitJS(t, ctx, 15*time.Second, `document.querySelector('#notify-end')?.value === '17:30'`, `document.querySelector('#notify-end')?.value`)
	screenshots(t, ctx, "notify-account")
	// On a phone the header with the bell still fits: nothing scrolls
	// sideways.
	do(t, ctx, 10*time.Second, "narrow", chromedp.EmulateViewport(375, 760))
	sleep(t, ctx, 300*time.Millisecond)
	if w := eval[int](t, ctx, 5*time.Second, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("at 375 px the account page is %d px wide: %s", w, eval[string](t, ctx, 5*time.Second,
			`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 375).slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className).join(', ')`))
	}
	do(t, ctx, 10*time.Second, "wide", chromedp.EmulateViewport(1280, 860))

	// A first visit to the watch page, so later activity counts as new.
	do(t, ctx, 20*time.Second, "first visit to the watch page", chromedp.Navigate(s.URL+"/v/"+v.Slug))
	waitJS(t, ctx, 15*time.Second, `document.querySelector('#follow-toggle')`, `document.body.innerText.slice(0, 200)`)
	do(t, ctx, 20*time.Second, "back to the account page", chromedp.Navigate(s.URL+"/account"))

	// The bell: nothing yet, then live as Bo replies.
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#bell-button') && document.querySelector('#bell-count').hidden`, `document.querySelector('#bell-count')?.outerHTML`)
	api(t, bo.client, "POST", s.URL+"/api/share/"+v.Slug+"/comments", map[string]any{"body": "The Q3 number looks off by one week.", "parentId": thread.ID}, 201, nil)
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#bell-count')?.textContent === '1' && !document.querySelector('#bell-count').hidden`,
		`document.querySelector('#bell-count')?.outerHTML`)
	api(t, bo.client, "POST", s.URL+"/api/share/"+v.Slug+"/comments", map[string]any{"body": "@rita also the chart colours", "parentId": thread.ID}, 201, nil)
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#bell-count')?.textContent === '2'`, `document.querySelector('#bell-count')?.outerHTML`)
	do(t, ctx, 10*time.Second, "open the bell", chromedp.Click(chromedp.ID("bell-button")))
	waitJS(t, ctx, 10*time.Second, `document.querySelectorAll('#bell-list .bell__row--unread').length === 2`, `document.querySelector('#bell-list')?.innerText`)
	text := eval[string](t, ctx, 5*time.Second, `document.querySelector('#bell-list').innerText`)
	if !strings.Contains(text, "Bo Chen mentioned you on “Sprint review”") || !strings.Contains(text, "Bo Chen replied on “Sprint review”") {
		t.Fatalf("bell panel = %q", text)
	}
	href := eval[string](t, ctx, 5*time.Second, `document.querySelector('#bell-list a').getAttribute('href')`)
	if href != "/v/"+v.Slug {
		t.Fatalf("item link = %q", href)
	}
	screenshots(t, ctx, "notify-bell")

	// The library counts what is new per video; the watch page marks the
	// thread Bo replied in.
	do(t, ctx, 20*time.Second, "open the library", chromedp.Navigate(s.URL+"/"))
	waitJS(t, ctx, 15*time.Second, `document.querySelector('.card[data-video-id="`+v.ID+`"] .card__new')?.textContent === '2 new'`,
		`document.querySelector('.card[data-video-id="`+v.ID+`"]')?.outerHTML`)
	do(t, ctx, 20*time.Second, "open the watch page", chromedp.Navigate(s.URL+"/v/"+v.Slug))
	waitJS(t, ctx, 15*time.Second, `document.querySelector('.thread[data-id="`+thread.ID+`"]')?.classList.contains('thread--new')`,
		`JSON.stringify({threads: document.querySelectorAll('.thread').length, times: [...document.querySelectorAll('.thread time')].map((t) => t.dateTime), done: performance.getEntriesByType('resource').map((r) => r.name.replace(location.origin, ''))})`)
	do(t, ctx, 10*time.Second, "open the bell on the watch page", chromedp.Click(chromedp.ID("bell-button")))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#bell-read-all') && !document.querySelector('#bell-panel').hidden`, `document.querySelector('#bell-panel')?.outerHTML`)
	do(t, ctx, 10*time.Second, "mark all read", chromedp.Click(chromedp.ID("bell-read-all")))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#bell-count').hidden`, `document.querySelector('#bell-count')?.outerHTML`)
	do(t, ctx, 10*time.Second, "close the bell", chromedp.Click(chromedp.ID("bell-button")))

	// The watch page: the owner follows, and can stop.
	waitJS(t, ctx, 15*time.Second, `document.querySelector('#follow-toggle')?.getAttribute('aria-pressed') === 'true'`, `document.querySelector('#follow-toggle')?.outerHTML`)
	do(t, ctx, 10*time.Second, "unfollow", chromedp.Click(chromedp.ID("follow-toggle")))
	waitJS(t, ctx, 10*time.Second, `document.querySelector('#follow-toggle')?.getAttribute('aria-pressed') === 'false'`, `document.querySelector('#follow-toggle')?.outerHTML`)
	screenshots(t, ctx, "notify-watch")
}
