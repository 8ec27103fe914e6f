package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// askShots writes asks-<name>*.png (see shots).
func askShots(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	shots(tb, ctx, "asks-"+name, 900, 800)
}

// TestAskOwnerTableAndReplyByLine: the owner asks an outside address and a
// colleague for a reply by Friday 17:00 UTC. The outside recipient opens
// her personal link in a browser set to Tokyo, reads "Reply by Sat …,
// 02:00 your time", plays a few seconds (the page reports what it played
// when it is hidden) and presses "Got it". The owner, in New York, sees one
// row per person: Got it with the share she watched, and the colleague not
// opened; the heat strip shows where she watched.
// Screenshots: asks-recipient*, asks-owner*.
func TestAskOwnerTableAndReplyByLine(t *testing.T) {
	mail := smtptest.Start(t, smtptest.Options{})
	s := startServer(t, "BATON_SMTP_URL=smtp://"+mail.Addr+"?tls=none", "BATON_MAIL_FROM=Baton <baton@example.com>")
	bo, boID := s.member(t, "Bo Chen", "bo@example.com")
	v := s.uploadClip(t, "Pricing options", makeClip(t, 8))

	// The next Friday at least two days away, 17:00 UTC.
	deadline := time.Now().UTC().AddDate(0, 0, 2)
	for deadline.Weekday() != time.Friday {
		deadline = deadline.AddDate(0, 0, 1)
	}
	deadline = time.Date(deadline.Year(), deadline.Month(), deadline.Day(), 17, 0, 0, 0, time.UTC)
	var ask struct {
		Recipients []struct{ Email, Link string }
	}
	api(t, s.client, "PUT", s.URL+"/api/videos/"+v.ID+"/ask", map[string]any{
		"question": "Which option do we ship?", "replyBy": deadline.Format(time.RFC3339),
		"recipients": []string{"ana@outside.example", boID},
	}, 200, &ask)
	link := ""
	for _, r := range ask.Recipients {
		if r.Email == "ana@outside.example" {
			link = r.Link
		}
	}
	if link == "" {
		t.Fatalf("no personal link for Ana: %+v", ask)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	wantLine := "Reply by " + deadline.In(tokyo).Format("Mon 2 Jan, 15:04") + " your time"

	b := startBrowser(t)
	rctx, cancelR := b.tab(t, true) // Ana: nobody signed in
	defer cancelR()
	if _, err := chromedp.Call(rctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	do(t, rctx, 20*time.Second, "open the personal link", chromedp.Navigate(link))
	waitJS(t, rctx, 15*time.Second, `document.querySelector('#ask-reply-by')`, `document.body.innerText.slice(0, 400)`)
	if got := eval[string](t, rctx, 5*time.Second, `document.querySelector('#ask-reply-by').textContent`); got != wantLine {
		t.Fatalf("reply-by line = %q, want %q", got, wantLine)
	}
	// Play about four seconds, then hide the page: the beacon reports it.
	waitJS(t, rctx, 15*time.Second, `document.querySelector('#stage video')?.readyState >= 2`, `document.querySelector('#stage')?.innerHTML.slice(0, 300)`)
	eval[bool](t, rctx, 5*time.Second, `(() => { const v = document.querySelector('#stage video'); v.muted = true; v.play(); return true; })()`)
	waitJS(t, rctx, 15*time.Second, `document.querySelector('#stage video').currentTime > 4.2`, `document.querySelector('#stage video').currentTime`)
	eval[bool](t, rctx, 5*time.Second, `(() => { document.querySelector('#stage video').pause(); return true; })()`)
	askShots(t, rctx, "recipient")
	do(t, rctx, 10*time.Second, "Got it", chromedp.Click(chromedp.ID("ask-ack")))
	waitJS(t, rctx, 10*time.Second, `document.querySelector('#ask-done')`, `document.querySelector('#ask-section')?.innerText`)
	do(t, rctx, 10*time.Second, "leave the page", chromedp.Navigate("about:blank"))

	octx, cancelO := b.tab(t, false)
	defer cancelO()
	if _, err := chromedp.Call(octx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	s.signIn(t, octx)
	do(t, octx, 20*time.Second, "open the video as its owner", chromedp.Navigate(s.URL+"/v/"+v.Slug))
	waitJS(t, octx, 20*time.Second,
		`document.querySelector('#ask-table tr[data-email="ana@outside.example"]')?.dataset.state === 'acknowledged' && !document.querySelector('#heat')?.hidden`,
		`document.querySelector('#ask-section')?.innerText`)
	rows := eval[[]string](t, octx, 5*time.Second,
		`[...document.querySelectorAll('#ask-table tbody tr')].map(r => r.dataset.email + ' ' + r.dataset.state + ' ' + r.children[2].textContent)`)
	got := strings.Join(rows, "; ")
	if !strings.Contains(got, "bo@example.com not-opened –") {
		t.Errorf("Bo's row: %q", got)
	}
	var anaPct int
	for _, r := range rows {
		if strings.HasPrefix(r, "ana@outside.example acknowledged ") {
			fmt.Sscanf(strings.TrimPrefix(r, "ana@outside.example acknowledged "), "%d%%", &anaPct)
		}
	}
	if anaPct < 40 || anaPct > 80 {
		t.Errorf("Ana watched %d%% of an 8 s clip after ~4.2 s of playback (rows %q)", anaPct, got)
	}
	ownLine := eval[string](t, octx, 5*time.Second, `document.querySelector('.ask__by').textContent`)
	ny, _ := time.LoadLocation("America/New_York")
	if !strings.HasPrefix(ownLine, "Reply by "+deadline.In(ny).Format("Mon 2 Jan, 15:04")+" your time · 1 of 2 replied") {
		t.Errorf("owner's line = %q", ownLine)
	}
	heat := eval[int](t, octx, 5*time.Second, `document.querySelectorAll('#heat .heat__cell').length`)
	if heat != 100 {
		t.Errorf("heat strip has %d cells", heat)
	}
	askShots(t, octx, "owner")

	// The form shows the ask as it is, and saves a change (a third person).
	// The keyboard opens it (the zone proposal may float over the button).
	eval[bool](t, octx, 5*time.Second, `(() => { document.querySelector('#zone-proposal .btn--secondary')?.click(); return true; })()`)
	do(t, octx, 10*time.Second, "open the ask form", chromedp.Focus(chromedp.CSS("#ask-edit")), chromedp.KeyEvent("\r"))
	waitJS(t, octx, 10*time.Second, `document.querySelectorAll('dialog .ask-chip').length === 2`, `document.querySelector('dialog')?.innerText`)
	do(t, octx, 10*time.Second, "add a recipient",
		chromedp.SendKeys(chromedp.CSS(`dialog input[list]`), "cy@elsewhere.example\r"))
	if eval[bool](t, octx, 5*time.Second, `!document.querySelector('dialog')`) {
		t.Fatal("Enter in the recipient field submitted the form")
	}
	waitJS(t, octx, 10*time.Second, `document.querySelectorAll('dialog .ask-chip').length === 3`, `document.querySelector('dialog')?.innerText`)
	askShots(t, octx, "form")
	eval[bool](t, octx, 5*time.Second, `(() => { document.querySelector('dialog button[data-action="confirm"]').click(); return true; })()`)
	waitJS(t, octx, 15*time.Second, `document.querySelector('#ask-table tr[data-email="cy@elsewhere.example"]')`, `document.querySelector('#ask-section')?.innerText`)

	// Bo, who has not answered, finds it on "Waiting on me" with his link.
	bctx, cancelB := b.tab(t, true)
	defer cancelB()
	bo.signIn(t, bctx)
	do(t, bctx, 20*time.Second, "open Waiting on me", chromedp.Navigate(s.URL+"/waiting"))
	waitJS(t, bctx, 15*time.Second, `document.querySelector('#waiting-list li[data-video-id="`+v.ID+`"] a')?.href.includes('?r=')`,
		`document.querySelector('main')?.innerText`)
	askShots(t, bctx, "waiting")
}
