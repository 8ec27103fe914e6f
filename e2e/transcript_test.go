package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

type apiSegment struct {
	ID      int64  `json:"id"`
	StartMs int64  `json:"startMs"`
	EndMs   int64  `json:"endMs"`
	Text    string `json:"text"`
	Edited  bool   `json:"edited"`
}

type apiTranscript struct {
	Status    string            `json:"status"`
	Engine    string            `json:"engine"`
	Message   string            `json:"message"`
	Segments  []apiSegment      `json:"segments"`
	Downloads map[string]string `json:"downloads"`
}

// speechClip is an H.264/AAC MP4 of espeak-ng reading sentences with two
// seconds of quiet between them (so pocketsphinx hears one utterance, one
// transcript line, each), over a test pattern, after a second of quiet.
func speechClip(tb testing.TB, sentences ...string) string {
	tb.Helper()
	ssml := "<speak>" + strings.Join(sentences, " <break time='2000ms'/> ") + "</speak>"
	return speechVideo(tb, 1, "-m", ssml)
}

// speechVideo is the MP4 the speech tests upload: espeak-ng saying what
// its arguments say (plain text, or SSML after -m), after a second of
// quiet and followed by padSeconds of it, over a test pattern. Tests that
// need speech skip without espeak-ng and pocketsphinx, and fail with
// CI=true.
func speechVideo(tb testing.TB, padSeconds int, espeak ...string) string {
	tb.Helper()
	for _, tool := range []string{"espeak-ng", "pocketsphinx_continuous"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s not on PATH (make test-deps installs it)", tool)
			}
			tb.Skipf("%s not on PATH", tool)
		}
	}
	dir := tb.TempDir()
	speech, clip := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech.mp4")
	args := append([]string{"-v", "en-us", "-s", "130", "-w", speech}, espeak...)
	if out, err := exec.Command("espeak-ng", args...).CombinedOutput(); err != nil {
		tb.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", speech,
		"-f", "lavfi", "-i", "testsrc2=size=480x270:rate=15",
		"-filter_complex", fmt.Sprintf("[0:a]adelay=1000,apad=pad_dur=%d[a]", padSeconds), "-map", "1:v", "-map", "[a]", "-shortest",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", clip).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return clip
}

func (s *server) transcript(tb testing.TB, videoID string) apiTranscript {
	tb.Helper()
	r, err := s.client.Get(s.URL + "/api/videos/" + videoID + "/transcript")
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	var t apiTranscript
	if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestTranscriptPanel: a video whose speech real pocketsphinx transcribed,
// watched by its owner. The transcript shows up in its tab without a
// reload; a click on a line, or Enter on its time, plays from there;
// playback highlights the line being spoken; the search marks a spoken
// word; a guest's comment (with the owner's reply) sits between the two
// lines around its moment in the record; the owner's correction shows an
// error in place when refused, Escape cancels, Enter saves, and the
// correction is still there after a reload and in the .txt download.
// Screenshots: auth-transcript-*.png in $BATON_E2E_SHOTS (or /tmp/shots).
func TestTranscriptPanel(t *testing.T) {
	clip := speechClip(t, "the budget is approved.", "please review the release schedule.",
		"we ship on friday morning.", "thank you all for the work.")
	s := startServer(t, "BATON_TRANSCRIBE=pocketsphinx")
	v := s.uploadClip(t, "Release planning", clip)

	br := startBrowser(t)
	ctx, cancel := br.tab(t, false)
	defer cancel()
	errs := consoleErrors(ctx)
	s.signIn(t, ctx)
	openWatch(t, ctx, s.URL+"/v/"+v.Slug)
	// The comments are the first tab; the transcript is one click away.
	if got := eval[string](t, ctx, 5*time.Second, `document.querySelector('[role=tab][aria-selected=true]').id`); got != "tab-comments" {
		t.Fatalf("selected tab = %q, want tab-comments", got)
	}
	do(t, ctx, 5*time.Second, "open the transcript tab", chromedp.Click(chromedp.ID("tab-transcript")))
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('transcript').hidden && document.getElementById('comments').hidden`, `document.getElementById('side').outerHTML.slice(0, 300)`)
	firstState := eval[string](t, ctx, 5*time.Second, `document.getElementById('transcript').dataset.status`)
	if firstState == "pending" {
		// Usually the case: the engine takes a few seconds. The page says
		// how long pocketsphinx usually takes.
		if text := eval[string](t, ctx, 5*time.Second, `document.getElementById('transcript-pending')?.textContent ?? ''`); !strings.Contains(text, "25 s per minute of video") {
			t.Errorf("pending transcript reads %q, want pocketsphinx's usual pace", text)
		}
		screenshots(t, ctx, "transcript-pending")
	}

	// The transcript is made after ready; the open page shows it when it is done.
	deadline := time.Now().Add(3 * time.Minute)
	var tr apiTranscript
	for {
		tr = s.transcript(t, v.ID)
		if tr.Status == "done" {
			break
		}
		if tr.Status != "pending" || time.Now().After(deadline) {
			t.Fatalf("transcript %s: %s", tr.Status, tr.Message)
		}
		time.Sleep(300 * time.Millisecond)
	}
	segs := tr.Segments
	t.Logf("page first showed %q; pocketsphinx heard %d lines: %+v", firstState, len(segs), segs)
	if len(segs) < 3 {
		t.Fatalf("want at least 3 transcript lines for 4 sentences apart, got %+v", segs)
	}
	waitJS(t, ctx, 30*time.Second, fmt.Sprintf(`document.getElementById('transcript').dataset.status === 'done' && document.querySelectorAll('#transcript-list .tline').length === %d`, len(segs)),
		`JSON.stringify({status: document.getElementById('transcript').dataset.status, text: document.getElementById('transcript').innerText.slice(0, 400)})`)
	if got := eval[string](t, ctx, 5*time.Second, `document.querySelector('.tline[data-line="1"] .tline__text').textContent`); got != segs[1].Text {
		t.Errorf("line 2 reads %q, want %q", got, segs[1].Text)
	}

	playerAt := func(ms int64) string {
		return fmt.Sprintf(`Math.abs(document.getElementById('player').currentTime - %f) < 0.25`, float64(ms)/1000)
	}
	playerState := `JSON.stringify({t: document.getElementById('player').currentTime, current: document.getElementById('transcript').dataset.current})`

	// A click on a line's words plays from its start, and it is the current line.
	do(t, ctx, 5*time.Second, "click line 3", chromedp.Click(chromedp.CSS(`.tline[data-line="2"] .tline__text`)))
	waitJS(t, ctx, 5*time.Second, playerAt(segs[2].StartMs)+` && document.querySelector('.tline[data-line="2"]').classList.contains('tline--current')`, playerState)
	if n := eval[int](t, ctx, 5*time.Second, `document.querySelectorAll('.tline--current').length`); n != 1 {
		t.Errorf("%d current lines, want 1", n)
	}
	// Enter on a line's time does the same, from the keyboard.
	eval[bool](t, ctx, 5*time.Second, `(document.querySelector('.tline[data-line="1"] .tline__time').focus(), true)`)
	press(t, ctx, "\r")
	waitJS(t, ctx, 5*time.Second, playerAt(segs[1].StartMs)+` && document.getElementById('transcript').dataset.current === '1'`, playerState)
	// Arrows move between lines: one tab stop for the whole list.
	press(t, ctx, kb.ArrowDown)
	if got := eval[string](t, ctx, 5*time.Second, `document.activeElement.closest('li')?.dataset.line ?? ''`); got != "2" {
		t.Errorf("ArrowDown moved focus to line %q, want 2", got)
	}
	if n := eval[int](t, ctx, 5*time.Second, `document.querySelectorAll('#transcript-list .tline__time[tabindex="0"]').length`); n != 1 {
		t.Errorf("%d line times in the tab order, want 1", n)
	}

	// Playback moves the highlight to the line being spoken.
	do(t, ctx, 5*time.Second, "click line 1", chromedp.Click(chromedp.CSS(`.tline[data-line="0"] .tline__text`)))
	waitJS(t, ctx, 5*time.Second, playerAt(segs[0].StartMs), playerState)
	eval[bool](t, ctx, 5*time.Second, `(document.getElementById('player').muted = true, document.getElementById('player').play().then(() => true))`)
	waitJS(t, ctx, time.Duration(segs[1].StartMs+8000)*time.Millisecond, fmt.Sprintf(`document.getElementById('player').currentTime > %f`, float64(segs[1].StartMs)/1000+0.3), playerState)
	type now struct {
		T       float64 `json:"t"`
		Current string  `json:"current"`
		Class   int     `json:"class"`
	}
	// The highlight follows timeupdate (4 a second): give it one.
	sleep(t, ctx, 400*time.Millisecond)
	at := eval[now](t, ctx, 5*time.Second, `(() => { const p = document.getElementById('player'); p.pause(); const i = document.getElementById('transcript').dataset.current;
		return {t: p.currentTime, current: i, class: [...document.querySelectorAll('.tline--current')].map((li) => +li.dataset.line)[0] ?? -1}; })()`)
	want := -1
	for i, sg := range segs {
		if float64(sg.StartMs)/1000 <= at.T {
			want = i
		}
	}
	if at.Current != fmt.Sprint(want) || at.Class != want {
		t.Errorf("at %.2f s the highlighted line is %s (class on %d), want %d (%+v)", at.T, at.Current, at.Class, want, segs)
	}

	// Following playback in a window too small for the whole transcript
	// (a phone's, made smaller): the line being spoken is kept in view
	// until the person scrolls the list; "Follow along" brings it back.
	do(t, ctx, 10*time.Second, "phone width", chromedp.EmulateViewport(375, 760))
	eval[bool](t, ctx, 5*time.Second, `(document.querySelector('.transcript__scroll').style.maxHeight = '90px', true)`)
	visible := func(line int) string {
		return fmt.Sprintf(`(() => { const s = document.querySelector('.transcript__scroll').getBoundingClientRect(); const r = document.querySelector('.tline[data-line="%d"]').getBoundingClientRect();
			return r.top >= s.top - 1 && r.bottom <= s.bottom + 1; })()`, line)
	}
	scrollState := `JSON.stringify({top: document.querySelector('.transcript__scroll').scrollTop, current: document.getElementById('transcript').dataset.current, following: document.getElementById('transcript').dataset.following, t: document.getElementById('player').currentTime})`
	do(t, ctx, 5*time.Second, "click line 1", chromedp.Click(chromedp.CSS(`.tline[data-line="0"] .tline__text`)))
	waitJS(t, ctx, 5*time.Second, playerAt(segs[0].StartMs)+` && document.getElementById('transcript').dataset.following === 'true'`, scrollState)
	eval[bool](t, ctx, 5*time.Second, `document.getElementById('player').play().then(() => true)`)
	waitJS(t, ctx, 20*time.Second, `document.getElementById('transcript').dataset.current === '2' && `+visible(2), scrollState)
	box := eval[[]float64](t, ctx, 5*time.Second, `(() => { const s = document.querySelector('.transcript__scroll'); s.scrollIntoView({block: 'center'});
		const r = s.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	// The list's own smooth scroll to line 3 has ended.
	eval[bool](t, ctx, 5*time.Second, `new Promise((done) => { const s = document.querySelector('.transcript__scroll'); let last = -1;
		const tick = () => { if (s.scrollTop === last) done(true); else { last = s.scrollTop; setTimeout(tick, 250); } }; tick(); })`)
	// (CDP wants both deltas; the 1 px sideways moves nothing.)
	if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseWheel, X: box[0], Y: box[1], DeltaX: 1, DeltaY: -600}); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, 5*time.Second, `document.getElementById('transcript').dataset.following === 'false' && !document.getElementById('transcript-follow').hidden && document.querySelector('.transcript__scroll').scrollTop === 0`, scrollState)
	waitJS(t, ctx, 15*time.Second, `document.getElementById('transcript').dataset.current === '3'`, scrollState)
	sleep(t, ctx, 500*time.Millisecond)
	if top := eval[float64](t, ctx, 5*time.Second, `document.querySelector('.transcript__scroll').scrollTop`); top != 0 || eval[bool](t, ctx, 5*time.Second, visible(3)) {
		t.Errorf("the list moved to the spoken line (scrollTop %v) after the person scrolled it", top)
	}
	do(t, ctx, 5*time.Second, "follow along", chromedp.Click(chromedp.ID("transcript-follow")))
	waitJS(t, ctx, 5*time.Second, `document.getElementById('transcript').dataset.following === 'true' && document.getElementById('transcript-follow').hidden && `+visible(3), scrollState)
	eval[bool](t, ctx, 5*time.Second, `(document.getElementById('player').pause(), document.querySelector('.transcript__scroll').style.maxHeight = '', true)`)
	do(t, ctx, 10*time.Second, "wide again", chromedp.EmulateViewport(1280, 860))

	// The search marks a word that was said, in the line that said it.
	word := strings.Fields(segs[2].Text)[0]
	for _, w := range strings.Fields(segs[2].Text) {
		if len(w) > len(word) {
			word = w
		}
	}
	do(t, ctx, 5*time.Second, "search", chromedp.SendKeys(chromedp.ID("transcript-search"), word))
	waitJS(t, ctx, 5*time.Second, fmt.Sprintf(`[...document.querySelectorAll('#transcript-list mark')].some((m) => m.textContent.toLowerCase() === %s && m.closest('.tline').dataset.line === '2') && /^1 of \d+$/.test(document.getElementById('transcript-matches').textContent)`, jsString(strings.ToLower(word))),
		`document.getElementById('transcript-matches').textContent + ' ' + document.getElementById('transcript-list').innerHTML.slice(0, 500)`)
	screenshots(t, ctx, "transcript-search")
	do(t, ctx, 5*time.Second, "back to the search box", chromedp.Focus(chromedp.ID("transcript-search")))
	press(t, ctx, "\x1b") // Escape clears the search.
	waitJS(t, ctx, 5*time.Second, `document.querySelectorAll('#transcript-list mark').length === 0 && document.getElementById('transcript-search').value === ''`, "")

	// A comment between lines 2 and 3 arrives live and takes its place in
	// the record, with the reply counted.
	between := (segs[1].StartMs + segs[2].StartMs) / 2
	g := newGuest("Kenji in Tokyo")
	c := s.comment(t, &g, v.Slug, between, "Is the schedule final for everyone?", "")
	s.comment(t, nil, v.Slug, between, "Yes, Friday holds.", c.ID)
	waitJS(t, ctx, 15*time.Second, fmt.Sprintf(`document.querySelector('.trec[data-id=%s] .trec__replies')?.textContent === '1 reply'`, jsString(c.ID)),
		`document.getElementById('transcript-list').innerText.slice(0, 600)`)
	type neighbours struct{ Before, After, Author, Text string }
	nb := eval[neighbours](t, ctx, 5*time.Second, fmt.Sprintf(`(() => { const li = document.querySelector('.trec[data-id=%s]');
		return {before: li.previousElementSibling?.dataset.line ?? 'none', after: li.nextElementSibling?.dataset.line ?? 'none',
			author: li.querySelector('.trec__author').textContent, text: li.querySelector('.trec__text').textContent}; })()`, jsString(c.ID)))
	if nb.Before != "1" || nb.After != "2" || nb.Author != "Kenji in Tokyo" || nb.Text != "Is the schedule final for everyone?" {
		t.Errorf("the comment at %d ms sits %+v; want between lines 1 and 2 (starting %d and %d ms)", between, nb, segs[1].StartMs, segs[2].StartMs)
	}
	do(t, ctx, 5*time.Second, "click the comment in the record", chromedp.Click(chromedp.CSS(`.trec[data-id="`+c.ID+`"] .trec__text`)))
	waitJS(t, ctx, 5*time.Second, playerAt(between), playerState)
	if got := eval[string](t, ctx, 5*time.Second, `document.getElementById('tab-comments').textContent`); got != "Comments2" {
		t.Errorf("comments tab reads %q, want the count 2", got)
	}
	screenshots(t, ctx, "transcript-record")
	// Lines only, without the comments.
	do(t, ctx, 5*time.Second, "hide comments", chromedp.Click(chromedp.ID("transcript-show-comments")))
	waitJS(t, ctx, 5*time.Second, `document.querySelectorAll('#transcript-list .trec').length === 0`, "")
	do(t, ctx, 5*time.Second, "show comments", chromedp.Click(chromedp.ID("transcript-show-comments")))
	waitJS(t, ctx, 5*time.Second, `document.querySelectorAll('#transcript-list .trec').length === 1`, "")

	// Correcting a line: a refused correction says why in place.
	edit := func(line int) {
		t.Helper()
		do(t, ctx, 5*time.Second, "edit a line", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tline[data-line="%d"] .tline__edit`, line))))
		waitJS(t, ctx, 5*time.Second, `document.activeElement?.classList.contains('tline__field')`, `document.activeElement?.outerHTML`)
	}
	edit(0)
	eval[bool](t, ctx, 5*time.Second, `(document.activeElement.value = '', true)`)
	do(t, ctx, 5*time.Second, "type spaces", chromedp.SendKeys(chromedp.CSS(`.tline__field`), "   "))
	press(t, ctx, "\r")
	waitJS(t, ctx, 10*time.Second, `(() => { const e = document.querySelector('.tline[data-line="0"] .tline__error'); return e && !e.hidden && /empty/.test(e.textContent); })()`,
		`document.querySelector('.tline[data-line="0"]').outerHTML`)
	screenshots(t, ctx, "transcript-edit-error")
	// Escape cancels and leaves the line as it was.
	press(t, ctx, "\x1b")
	waitJS(t, ctx, 5*time.Second, fmt.Sprintf(`!document.querySelector('.tline__field') && document.querySelector('.tline[data-line="0"] .tline__text').textContent === %s`, jsString(segs[0].Text)), "")
	// Enter saves.
	const fixed = "The budget is approved."
	edit(0)
	eval[bool](t, ctx, 5*time.Second, `(document.activeElement.value = '', true)`)
	do(t, ctx, 5*time.Second, "type the correction", chromedp.SendKeys(chromedp.CSS(`.tline__field`), fixed))
	press(t, ctx, "\r")
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf(`!document.querySelector('.tline__field') && document.querySelector('.tline[data-line="0"] .tline__text').textContent === %s`, jsString(fixed)),
		`document.querySelector('.tline[data-line="0"]').outerHTML`)

	// After a reload: the transcript tab (remembered) with the correction.
	do(t, ctx, 20*time.Second, "reload", chromedp.Reload())
	waitJS(t, ctx, 20*time.Second, fmt.Sprintf(`!document.getElementById('transcript')?.hidden && document.querySelector('.tline[data-line="0"] .tline__text')?.textContent === %s && document.querySelector('.tline[data-line="0"] .tline__edited')`, jsString(fixed)),
		`document.getElementById('side')?.innerText.slice(0, 400)`)
	r, err := s.client.Get(s.URL + "/api/videos/" + v.ID + "/transcript.txt")
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || !strings.Contains(string(txt), fixed) {
		t.Errorf("transcript.txt: %s %q, want the correction in it", r.Status, txt)
	}
	// The downloads menu offers the three files the API names, and the
	// record: lines and comments by time, replies under their thread.
	do(t, ctx, 5*time.Second, "open downloads", chromedp.Click(chromedp.ID("transcript-download")))
	waitJS(t, ctx, 5*time.Second, `document.querySelectorAll('.transcript__download [role=menuitem]').length === 4 && document.activeElement.getAttribute('role') === 'menuitem'`, "")
	screenshots(t, ctx, "transcript-downloads")
	// The file the page makes lands in the browser's downloads.
	downloads := t.TempDir()
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 5*time.Second, "download the record", chromedp.Click(chromedp.CSS(`.transcript__download [data-action="download-record"]`)))
	var saved struct{ Name, Text string }
	for end := time.Now().Add(15 * time.Second); saved.Name == "" && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(downloads, "Release planning record.txt")); err == nil && len(b) > 0 {
			saved.Name, saved.Text = "Release planning record.txt", string(b)
		}
	}
	wantRecord := strings.Join([]string{
		"[0:0" + fmt.Sprint(segs[1].StartMs/1000) + "] " + segs[1].Text,
		"[0:0" + fmt.Sprint(between/1000) + "] Kenji in Tokyo: Is the schedule final for everyone?",
		"       ↳ " + testAccount["name"] + ": Yes, Friday holds.",
		"[0:" + fmt.Sprintf("%02d", segs[2].StartMs/1000) + "] " + segs[2].Text,
	}, "\n")
	if saved.Name != "Release planning record.txt" || !strings.HasPrefix(saved.Text, "Release planning\n") || !strings.Contains(saved.Text, wantRecord) {
		t.Errorf("the record download is %q:\n%s\nwant it to hold:\n%s", saved.Name, saved.Text, wantRecord)
	}

	// N (a new comment here) from the transcript tab brings the comments back with the composer.
	eval[bool](t, ctx, 5*time.Second, `(document.activeElement?.blur(), true)`)
	press(t, ctx, "n")
	waitJS(t, ctx, 5*time.Second, `!document.getElementById('comments').hidden && document.getElementById('transcript').hidden && document.activeElement?.closest('#comments')`,
		`document.activeElement?.outerHTML.slice(0, 200)`)

	// A viewer reads the same transcript and cannot correct it.
	guestTab, cancelGuest := br.tab(t, true)
	defer cancelGuest()
	openWatch(t, guestTab, s.URL+"/v/"+v.Slug)
	do(t, guestTab, 5*time.Second, "open the transcript tab", chromedp.Click(chromedp.ID("tab-transcript")))
	waitJS(t, guestTab, 20*time.Second, fmt.Sprintf(`document.querySelectorAll('#transcript-list .tline').length === %d`, len(segs)), "")
	if n := eval[int](t, guestTab, 5*time.Second, `document.querySelectorAll('.tline__edit').length`); n != 0 {
		t.Errorf("a viewer sees %d edit buttons", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(errs.String()), "\n") {
		// The refused (empty) correction above is the one error expected.
		if line != "" && !strings.Contains(line, "/transcript/segments/") {
			t.Errorf("console error: %s", line)
		}
	}
}

// TestTranscriptStates: what the transcript tab says when there is no
// transcript. An engine that refuses the audio (pocketsphinx asked for
// German) fails with its reason; the owner retries from the tab, which
// shows the new attempt, while a viewer sees the reason without a button.
// With transcription off, the owner is told how to turn it on (naming
// BATON_TRANSCRIBE) and a viewer gets one quiet line.
func TestTranscriptStates(t *testing.T) {
	if _, err := exec.LookPath("pocketsphinx_continuous"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pocketsphinx_continuous not on PATH (make test-deps installs it)")
		}
		t.Skip("pocketsphinx_continuous not on PATH")
	}
	clip := makeClip(t, 3)
	br := startBrowser(t)
	state := `JSON.stringify({status: document.getElementById('transcript')?.dataset.status, text: document.getElementById('transcript')?.innerText})`
	openTab := func(ctx context.Context, url string) {
		t.Helper()
		openWatch(t, ctx, url)
		do(t, ctx, 5*time.Second, "open the transcript tab", chromedp.Click(chromedp.ID("tab-transcript")))
	}

	failing := startServer(t, "BATON_TRANSCRIBE=pocketsphinx", "BATON_TRANSCRIBE_LANGUAGE=de")
	v := failing.uploadClip(t, "Weekly update", clip)
	owner, cancel := br.tab(t, false)
	defer cancel()
	failing.signIn(t, owner)
	openTab(owner, failing.URL+"/v/"+v.Slug)
	waitJS(t, owner, 60*time.Second, `/English only/.test(document.getElementById('transcript-failed')?.textContent ?? '') && document.getElementById('transcript-retry')`, state)
	screenshots(t, owner, "transcript-failed")
	// Every status the panel shows from now on.
	eval[bool](t, owner, 5*time.Second, `(() => { const el = document.getElementById('transcript'); window.__statuses = [];
		new MutationObserver(() => window.__statuses.push(el.dataset.status)).observe(el, {attributes: true, attributeFilter: ['data-status']}); return true; })()`)
	do(t, owner, 5*time.Second, "retry", chromedp.Click(chromedp.ID("transcript-retry")))
	waitJS(t, owner, 60*time.Second, `window.__statuses.includes('pending') && document.getElementById('transcript').dataset.status === 'failed' && document.getElementById('transcript-retry')`,
		`JSON.stringify(window.__statuses) + ' ' + document.getElementById('transcript').innerText`)
	viewer, cancelViewer := br.tab(t, true)
	defer cancelViewer()
	openTab(viewer, failing.URL+"/v/"+v.Slug)
	waitJS(t, viewer, 20*time.Second, `/English only/.test(document.getElementById('transcript-failed')?.textContent ?? '') && !document.getElementById('transcript-retry')`, state)

	off := startServer(t, "BATON_TRANSCRIBE=off")
	v = off.uploadClip(t, "Weekly update", clip)
	off.signIn(t, owner)
	openTab(owner, off.URL+"/v/"+v.Slug)
	waitJS(t, owner, 20*time.Second, `document.getElementById('transcript').dataset.status === 'off' && /BATON_TRANSCRIBE/.test(document.getElementById('transcript-off')?.textContent ?? '')`, state)
	if n := eval[int](t, owner, 5*time.Second, `document.querySelectorAll('.transcript__tools:not([hidden])').length`); n != 0 {
		t.Errorf("with no transcript, %d search tools are shown", n)
	}
	screenshots(t, owner, "transcript-off")
	openTab(viewer, off.URL+"/v/"+v.Slug)
	waitJS(t, viewer, 20*time.Second, `document.getElementById('transcript-off')?.textContent === 'This video has no transcript.'`, state)
}
