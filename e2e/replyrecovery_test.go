package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// keptReplies is what the page's IndexedDB backup holds (lib/chunkstore.ts):
// the recordings' ids and their byte counts.
const keptReplies = `new Promise((resolve) => {
	const r = indexedDB.open('baton-recorder');
	r.onsuccess = () => {
		const db = r.result;
		if (!db.objectStoreNames.contains('recordings')) return resolve([]);
		const g = db.transaction('recordings').objectStore('recordings').getAll();
		g.onsuccess = () => resolve(g.result.map((m) => ({ videoId: m.videoId, replyTo: m.replyTo || '', totalBytes: m.totalBytes })));
		g.onerror = () => resolve([]);
	};
	r.onerror = () => resolve([]);
})`

// TestReplyRecoveredAfterTabDies: a voice reply's tab dies mid-recording
// (closed without Stop). Its chunks are kept on the device like the
// recorder's; the next visit of that watch page offers to finish the
// upload, and the reply then plays in the thread.
func TestReplyRecoveredAfterTabDies(t *testing.T) {
	requireSetup(t)
	s := startServer(t)
	v := s.uploadClip(t, "Roadmap", makeClip(t, 6))
	bo, _ := s.member(t, "Bo Chen", "bo@example.com")
	page := s.URL + "/v/" + v.Slug

	b := startBrowser(t)
	first, closeFirst := b.tab(t, false)
	bo.signIn(t, first)
	openWatch(t, first, page)
	waitJS(t, first, 10*time.Second, `document.getElementById('comment-record-voice')`, `document.getElementById('comment-form')?.innerText`)
	do(t, first, 10*time.Second, "record a voice reply", chromedp.Click(chromedp.ID("comment-record-voice")))
	waitJS(t, first, 30*time.Second, `window.__batonReply?.state === 'recording'`, `JSON.stringify(window.__batonReply)`)
	waitJS(t, first, 30*time.Second, `document.querySelector('.reply-rec__timer').textContent >= '0:04'`, `document.querySelector('.reply-rec')?.innerText`)
	id := eval[string](t, first, 5*time.Second, `window.__batonReply.videoId`)
	waitJS(t, first, 10*time.Second, `(async () => (await `+keptReplies+`).some((m) => m.replyTo && m.totalBytes > 0))()`, keptReplies)
	closeFirst() // the tab dies: no Stop, no last chunk, no length declared

	var rec struct {
		Status     string
		DurationMs int64
	}
	api(t, bo.client, "GET", s.URL+"/api/videos/"+id, nil, 200, &rec)
	if rec.Status == "ready" {
		t.Fatalf("the reply is ready although its upload never finished: %+v", rec)
	}

	second, closeSecond := b.tab(t, false)
	defer closeSecond()
	openWatch(t, second, page)
	waitJS(t, second, 20*time.Second, `document.querySelector('.reply-recover [data-action="finish-reply-upload"]')`, `document.getElementById('comments')?.innerText`)
	if got := eval[string](t, second, 5*time.Second, `document.querySelector('.reply-recover').innerText`); !strings.Contains(got, "Voice reply") || !strings.Contains(got, "kept on this device") {
		t.Errorf("the offer reads %q", got)
	}
	screenshots(t, second, "reply-recover")
	do(t, second, 10*time.Second, "Finish uploading", chromedp.Click(chromedp.CSS(`[data-action="finish-reply-upload"]`)))
	ready := `(() => { const a = document.querySelector('#comment-list .reply-media--voice[data-status="ready"] audio'); return a && a.readyState >= 1 && a.duration > 0; })()`
	waitJS(t, second, 90*time.Second, ready, `document.querySelector('#comment-list .reply-media')?.outerHTML + ' ' + document.querySelector('.reply-recover')?.innerText`)
	api(t, bo.client, "GET", s.URL+"/api/videos/"+id, nil, 200, &rec)
	if rec.Status != "ready" || rec.DurationMs < 2000 {
		t.Fatalf("recovered reply = %+v, want ready with the seconds recorded before the tab died", rec)
	}
	waitJS(t, second, 10*time.Second, `(async () => (await `+keptReplies+`).length === 0)()`, keptReplies)
}
