package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/notifytest"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// recordReply has the member record a voice reply in fx's thread (the
// recording made ready with stand-in media) and post it as a comment. It
// returns the recording's slug.
func (e *authzEnv) recordReply(tb testing.TB, fx *fixture, who http.Header) string {
	tb.Helper()
	var v struct{ ID, Slug string }
	json.Unmarshal(e.mustSend(tb, "POST", "/api/videos", `{"replyTo":{"videoId":"`+fx.ID+`","kind":"voice"}}`, who, 201), &v)
	ctx := context.Background()
	for key, data := range map[string]string{media.MP4Key(v.ID): "not really an mp4", media.PosterKey(v.ID): "not really a jpeg"} {
		if err := e.s.Blobs.Put(ctx, key, strings.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := e.s.DB.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error {
		mv.Status, mv.HasMP4, mv.HasPoster = media.StatusReady, true, true
		mv.DurationMs, mv.Width, mv.Height, mv.SizeBytes = 4_000, 320, 240, 17
		mv.UploadedBytes, mv.OriginalSize = 17, 17
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	e.mustSend(tb, "POST", "/api/share/"+fx.Slug+"/comments", `{"timeMs":1000,"attachment":{"videoId":"`+v.ID+`"}}`, who, 201)
	return v.Slug
}

// An outside person asked to watch a workspace-only video through their
// personal link plays the thread's recorded replies too: the token reaches
// the recording's own URLs the way the page's requests carry it (the
// cookie the page load set for the parent, ?r=, the header). It opens
// nothing else: not the recording without the token, not another video's
// recording with it, and a member's token still needs their sign-in.
func TestRecordedReplyThroughPersonalLink(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	clock := notifytest.NewClock(time.Now().UTC())
	e := mustStartAsks(t, clock, srv, nil)
	var max struct{ User struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", e.member, 200), &max)
	fx, other := e.newFixture(t, media.VisibilityWorkspace, ""), e.newFixture(t, media.VisibilityWorkspace, "")
	e.recordReply(t, fx, e.member)
	otherReply := e.recordReply(t, other, e.member)

	var ask struct{ Recipients []askRecipientOut }
	body := fmt.Sprintf(`{"question":"OK?","replyBy":%q,"recipients":["ana@outside.example",%q]}`,
		clock.Now().Add(72*time.Hour).Format(time.RFC3339), max.User.ID)
	json.Unmarshal(e.mustSend(t, "PUT", "/api/videos/"+fx.ID+"/ask", body, e.owner, 200), &ask)
	anaTok, maxTok := tokenOf(ask.Recipients[0].Link), tokenOf(ask.Recipients[1].Link)

	// What the page does: the thread through the personal link, which sets
	// the parent's cookie, then the recording's URLs as the thread gives them.
	resp, b := e.send(t, "GET", "/api/share/"+fx.Slug+"/comments?r="+anaTok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("thread through the personal link = %s %s", resp.Status, b)
	}
	var cookie string
	for _, ck := range resp.Cookies() {
		if ck.Name == "baton_r_"+fx.Slug {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no personal-link cookie for the parent: %v", resp.Header["Set-Cookie"])
	}
	var thread struct {
		Threads []struct {
			Attachment *struct{ MP4URL, PosterURL, EventsURL string }
		}
	}
	json.Unmarshal(b, &thread)
	var urls []string
	for _, c := range thread.Threads {
		if a := c.Attachment; a != nil {
			urls = append(urls, a.MP4URL, a.PosterURL, a.EventsURL)
		}
	}
	if len(urls) != 3 || urls[1] == "" {
		t.Fatalf("recording URLs in the thread = %q (%s)", urls, b)
	}
	withQuery := func(u string) string {
		if strings.Contains(u, "?") {
			return u + "&r=" + anaTok
		}
		return u + "?r=" + anaTok
	}
	for _, u := range urls {
		e.mustSend(t, "GET", u, "", http.Header{"Cookie": {cookie}}, 200)
		e.mustSend(t, "GET", withQuery(u), "", nil, 200)
		e.mustSend(t, "GET", u, "", http.Header{"X-Baton-Recipient": {anaTok}}, 200)
		e.mustSend(t, "GET", u, "", nil, 404)
		e.mustSend(t, "GET", u, "", http.Header{"X-Baton-Recipient": {maxTok}}, 404)
		e.mustSend(t, "GET", u, "", http.Header{"X-Baton-Recipient": {maxTok}, "Cookie": e.member["Cookie"]}, 200)
	}
	// The recording's own page is its place in the thread, token and all.
	resp, _ = e.send(t, "GET", "/v/"+strings.TrimPrefix(strings.TrimSuffix(urls[0], "/video.mp4"), "/media/")+"?r="+anaTok, "", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/v/"+fx.Slug+"?r="+anaTok+"&t=1" {
		t.Errorf("recording's page through the personal link = %s to %q", resp.Status, loc)
	}
	// Ana's token names nobody in another video's thread.
	e.mustSend(t, "GET", "/media/"+otherReply+"/video.mp4?r="+anaTok, "", nil, 404)
	e.mustSend(t, "GET", "/media/"+otherReply+"/video.mp4", "", http.Header{"Cookie": {cookie}}, 404)
	// Nor does the recording's own page open more than the parent does:
	// once the ask is gone, so is Ana's way in.
	e.mustSend(t, "DELETE", "/api/videos/"+fx.ID+"/ask", "", e.owner, 204)
	e.mustSend(t, "GET", urls[0], "", http.Header{"Cookie": {cookie}}, 404)
}

// A recording's own page (/v/{its slug}, from a copied link or an email)
// leads to the parent's thread at the moment of the comment that carries
// it, for everyone who may watch there. Its recorder, once the parent is
// no longer theirs to see, still finds the recording itself.
func TestReplyPageOpensItsThread(t *testing.T) {
	e := mustStartAuthz(t, nil)
	fx := e.newFixture(t, media.VisibilityLink, "")
	rec := e.recordReply(t, fx, e.member)
	for _, who := range []http.Header{nil, e.member, e.owner} {
		resp, b := e.send(t, "GET", "/v/"+rec, "", who)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/v/"+fx.Slug+"?t=1" {
			t.Errorf("GET /v/{recording} = %s to %q %.200s", resp.Status, loc, b)
		}
	}
	e.mustSend(t, "PATCH", "/api/videos/"+fx.ID+"/sharing", `{"visibility":"private"}`, e.owner, 200)
	e.mustSend(t, "GET", "/v/"+rec, "", e.member, 200)
	e.mustSend(t, "GET", "/v/"+rec, "", nil, 404)
}

// A recorded reply that runs past 5 minutes (a recorder that does not stop
// there) is not refused: through the real upload and live path it becomes
// a reply of the first 5:00, so nothing said before the limit is lost.
func TestLongReplyCutAtTheLimit(t *testing.T) {
	requireFFmpeg(t)
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	var parent, reply apiVideo
	s.do(t, "POST", "/api/videos", map[string]any{"title": "Plan"}, &parent)
	if resp := s.do(t, "POST", "/api/videos", map[string]any{"replyTo": map[string]string{"videoId": parent.ID, "kind": "voice"}}, &reply); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create reply = %s", resp.Status)
	}
	// What a browser records for a voice reply: a small picture and
	// sound, as WebM written front to back; 5:08 of it.
	const seconds = 308
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=64x48:rate=5:duration=%d", seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds),
		"-c:v", "libvpx", "-deadline", "realtime", "-b:v", "50k", "-c:a", "libopus", "-b:a", "24k",
		"-f", "webm", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	if resp, body := uploadChunks(t, reply.UploadURL, out, 20); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("last PATCH = %s %s", resp.Status, body)
	}
	v := s.waitStatus(t, reply.ID, 3*time.Minute, "ready", "failed")
	if v.Status != "ready" {
		t.Fatalf("reply = %+v, want ready", v)
	}
	if limit := media.MaxReplyLength.Milliseconds(); v.DurationMs < limit-3000 || v.DurationMs > limit+1000 {
		t.Errorf("reply is %d ms long, want the first %d ms of the %d s recorded", v.DurationMs, limit, seconds)
	}
}
