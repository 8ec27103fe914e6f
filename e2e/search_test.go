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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestLibrarySearchMoments: in the library, a search finds what was said
// in a video (transcribed by real pocketsphinx) and what a comment says,
// each as a moment with the matched word marked, linking to the watch page
// at that time. Screenshots: search-*.png in $BATON_E2E_SHOTS.
func TestLibrarySearchMoments(t *testing.T) {
	s := startServer(t, "BATON_TRANSCRIBE=pocketsphinx", "BATON_THUMBNAILS=false")
	clip := speechVideo(t, 1,
		"the budget is approved. the budget is approved. the budget is approved. please review the release schedule. please review the release schedule.")
	v := s.uploadClip(t, "Release planning", clip)

	// The transcript arrives after ready.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r, err := s.client.Get(s.URL + "/api/videos/" + v.ID + "/transcript")
		if err != nil {
			t.Fatal(err)
		}
		var tr struct{ Status, Message string }
		json.NewDecoder(r.Body).Decode(&tr)
		r.Body.Close()
		if tr.Status == "done" {
			break
		}
		if tr.Status != "pending" || time.Now().After(deadline) {
			t.Fatalf("transcript %s: %s", tr.Status, tr.Message)
		}
		time.Sleep(300 * time.Millisecond)
	}
	body, _ := json.Marshal(map[string]any{"body": "Can we move the schedule <b>review</b> to Friday?", "timeMs": 4200})
	r, err := s.client.Post(s.URL+"/api/videos/"+v.ID+"/comments", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("comment: %s %s", r.Status, b)
	}

	br := startBrowser(t)
	ctx, cancel := br.tab(t, false)
	defer cancel()
	s.signIn(t, ctx)
	do(t, ctx, 30*time.Second, "open the library", chromedp.Navigate(s.URL+"/"))
	waitJS(t, ctx, 20*time.Second, `document.querySelectorAll('#video-grid .card').length === 1`, `document.body.innerText.slice(0, 300)`)
	do(t, ctx, 10*time.Second, "search", chromedp.SendKeys(chromedp.ID("search-input"), "schedule"))
	waitJS(t, ctx, 20*time.Second, `!document.getElementById('moments').hidden && document.querySelectorAll('#moments-list .moment').length >= 2`,
		`document.getElementById('moments').outerHTML.slice(0, 600)`)
	type moment struct {
		Href, Kind, Time, Mark string
		Tags                   []string
	}
	got := eval[[]moment](t, ctx, 5*time.Second, `[...document.querySelectorAll('#moments-list .moment')].map((li) => ({
		href: li.querySelector('a').getAttribute('href'),
		kind: li.querySelector('.moment__kind').textContent,
		time: li.querySelector('.moment__time').textContent,
		mark: li.querySelector('mark')?.textContent ?? '',
		tags: [...li.querySelectorAll('.moment__text *')].map((e) => e.tagName),
	}))`)
	var said, comment bool
	for _, m := range got {
		if m.Mark != "schedule" || !strings.Contains(m.Href, "/v/"+v.Slug+"?t=") {
			t.Errorf("moment %+v: want \"schedule\" marked and a link to the moment", m)
		}
		for _, tag := range m.Tags {
			if tag != "MARK" {
				t.Errorf("moment text holds a <%s>: text from a comment became markup", tag)
			}
		}
		switch m.Kind {
		case "Said":
			said = true
		case "Comment":
			comment = comment || m.Time == "0:04"
		}
	}
	if !said || !comment {
		t.Fatalf("moments = %+v; want a spoken line and the comment at 0:04", got)
	}
	// The grid still filters titles; nothing here matches "schedule" by
	// title, so the moments are the answer.
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		for _, w := range []int64{1280, 375} {
			do(t, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(w, 800))
			sleep(t, ctx, 300*time.Millisecond)
			if wide := eval[bool](t, ctx, 5*time.Second, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); wide {
				t.Errorf("the library is wider than a %d px screen", w)
			}
			c, cancel := context.WithTimeout(ctx, 15*time.Second)
			png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(shotsDir(t), fmt.Sprintf("search-%d-%s.png", w, scheme)), png, 0o644)
		}
	}
}
