package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCheckinReel: a check-in whose first round starts a minute from now;
// two people post their updates, and the round page plays them one after
// another as one reel (the second starts when the first ends), with a
// chapter per person and the chosen speed kept across chapters.
// Screenshots: asks-reel*.
func TestCheckinReel(t *testing.T) {
	s := startServer(t)
	bo, _ := s.member(t, "Bo Chen", "bo@example.com")

	at := time.Now().UTC().Add(70 * time.Second).Truncate(time.Minute)
	var ci struct{ ID string }
	api(t, s.client, "POST", s.URL+"/api/checkins", map[string]any{
		"title": "Weekly update", "prompt": "What moved, what is blocked?",
		"schedule":     map[string]any{"days": []string{strings.ToLower(at.Weekday().String()[:3])}, "time": at.Format("15:04")},
		"participants": []string{testAccount["email"], "bo@example.com"}, "dueAfter": "8h", "maxLength": "3m",
	}, 201, &ci)
	rita := s.uploadClip(t, "Rita's update", makeClip(t, 3))
	boV := bo.uploadClip(t, "Bo's update", makeClip(t, 3))
	time.Sleep(time.Until(at) + time.Second)
	round := at.Format(time.DateOnly)
	api(t, s.client, "POST", s.URL+"/api/checkins/"+ci.ID+"/rounds/"+round+"/posts", map[string]string{"videoId": rita.ID}, 201, nil)
	api(t, bo.client, "POST", s.URL+"/api/checkins/"+ci.ID+"/rounds/"+round+"/posts", map[string]string{"videoId": boV.ID}, 201, nil)

	b := startBrowser(t)
	ctx, cancel := b.tab(t, false)
	defer cancel()
	s.signIn(t, ctx)
	do(t, ctx, 20*time.Second, "open the round", chromedp.Navigate(s.URL+"/checkins/"+ci.ID))
	waitJS(t, ctx, 15*time.Second, `document.querySelectorAll('#reel-chapters button').length === 2 && document.querySelector('#reel-player')?.readyState >= 1`,
		`document.querySelector('main')?.innerText`)
	chapters := eval[[]string](t, ctx, 5*time.Second, `[...document.querySelectorAll('#reel-chapters button')].map(b => b.textContent)`)
	if !strings.HasPrefix(chapters[0], "1. Rita Recorder") || !strings.HasPrefix(chapters[1], "2. Bo Chen") {
		t.Fatalf("chapters = %q", chapters)
	}
	askShots(t, ctx, "reel")
	eval[bool](t, ctx, 5*time.Second, `(() => { const s = document.getElementById('reel-speed'); s.value = '2'; s.dispatchEvent(new Event('change')); const v = document.getElementById('reel-player'); v.muted = true; v.play(); return true; })()`)
	waitJS(t, ctx, 20*time.Second, `document.getElementById('reel-player').dataset.videoId === '`+boV.ID+`' && document.getElementById('reel-player').currentTime > 0.3`,
		`document.getElementById('reel-player').dataset.videoId + ' ' + document.getElementById('reel-player').currentTime`)
	if rate := eval[float64](t, ctx, 5*time.Second, `document.getElementById('reel-player').playbackRate`); rate != 2 {
		t.Errorf("the second chapter plays at %v×, want the chosen 2×", rate)
	}
}
