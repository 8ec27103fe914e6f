package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestRecordedReplyRules: a recording made as a reply is created against a
// video the caller may watch, stays out of libraries, is attached once by
// its recorder to a comment of that video, opens for whoever may watch the
// parent (and follows the parent's sharing), and goes with its comment.
func TestRecordedReplyRules(t *testing.T) {
	db := MustDB(t)
	s := mustServerWithBlobs(t, db)
	ctx := context.Background()
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	otto := mustMember(t, s, "otto@example.com", "Otto", media.RoleMember)
	mia := mustMember(t, s, "mia@example.com", "Mia", media.RoleMember)
	mk := func(vis media.Visibility) *media.Video {
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "Plan", Status: media.StatusReady, DurationMs: 60_000,
			OwnerID: owner.user.ID, Sharing: media.Sharing{Visibility: vis}}
		if err := db.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v, other, private := mk(media.VisibilityLink), mk(media.VisibilityLink), mk(media.VisibilityPrivate)
	guest := http.Header{"X-Guest-Secret": {media.NewGuestSecret()}}

	type created struct {
		ID, Slug, Title, ReplyTo, ReplyKind, UploadURL string
	}
	record := func(who member, parent, kind string) created {
		t.Helper()
		rec := serve(s, "POST", "/api/videos", `{"replyTo":{"videoId":"`+parent+`","kind":"`+kind+`"}}`, who.h())
		if rec.Code != http.StatusCreated {
			t.Fatalf("create reply = %d %s", rec.Code, rec.Body)
		}
		return decodeAs[created](t, rec.Body.Bytes())
	}
	voice := record(otto, v.ID, "voice")
	if voice.ReplyTo != v.ID || voice.ReplyKind != "voice" || voice.UploadURL == "" || voice.Title != "Voice reply to “Plan”" {
		t.Fatalf("reply video = %+v", voice)
	}
	elsewhere := record(otto, other.ID, "camera")
	plain := decodeAs[created](t, serve(s, "POST", "/api/videos", `{"title":"ordinary"}`, otto.h()).Body.Bytes())
	miaScreen := record(mia, v.ID, "screen")

	type attachment struct {
		VideoID, Kind, Status, MP4URL, EventsURL string
	}
	type comment struct {
		ID         string
		Body       string
		Attachment *attachment
		Replies    []comment
	}
	var thread comment
	vp, sp := "/api/videos/"+v.ID, "/api/share/"+v.Slug
	attach := func(id string) string { return `{"timeMs":0,"attachment":{"videoId":"` + id + `"}}` }
	runScenarios(t, s, []scenario{
		{name: "create/unknown kind", method: "POST", path: "/api/videos", body: `{"replyTo":{"videoId":"` + v.ID + `","kind":"music"}}`, h: otto.h(), status: 400, code: media.EINVALID},
		{name: "create/not an id", method: "POST", path: "/api/videos", body: `{"replyTo":{"videoId":"x","kind":"voice"}}`, h: otto.h(), status: 400, code: media.EINVALID},
		{name: "create/someone else's private video", method: "POST", path: "/api/videos", body: `{"replyTo":{"videoId":"` + private.ID + `","kind":"voice"}}`, h: otto.h(), status: 404, code: media.ENOTFOUND},
		{name: "create/not to a reply", method: "POST", path: "/api/videos", body: `{"replyTo":{"videoId":"` + voice.ID + `","kind":"voice"}}`, h: otto.h(), status: 400, code: media.EINVALID},
		{name: "create/guests cannot", method: "POST", path: "/api/videos", body: `{"replyTo":{"videoId":"` + v.ID + `","kind":"voice"}}`, h: guest, status: 401, code: media.EUNAUTHORIZED},
		{name: "library/replies stay out", method: "GET", path: "/api/videos", h: otto.h(), status: 200, check: func(t *testing.T, b []byte) {
			l := decodeAs[struct{ Videos []created }](t, b)
			for _, x := range l.Videos {
				if x.ReplyTo != "" {
					t.Fatalf("library = %s, want no recorded replies", b)
				}
			}
			if len(l.Videos) != 3 {
				t.Fatalf("library = %s, want the ordinary video and the two shared with the workspace", b)
			}
		}},
		{name: "attach/a guest", method: "POST", path: sp + "/comments", body: `{"timeMs":0,"guestName":"Gil","attachment":{"videoId":"` + voice.ID + `"}}`, h: guest, status: 403, code: media.ENOTALLOWED},
		{name: "attach/someone else's recording", method: "POST", path: sp + "/comments", body: attach(voice.ID), h: mia.h(), status: 403, code: media.ENOTALLOWED},
		{name: "attach/an ordinary video", method: "POST", path: sp + "/comments", body: attach(plain.ID), h: otto.h(), status: 400, code: media.EINVALID},
		{name: "attach/recorded for another video", method: "POST", path: sp + "/comments", body: attach(elsewhere.ID), h: otto.h(), status: 400, code: media.EINVALID},
		{name: "attach/no such recording", method: "POST", path: sp + "/comments", body: attach(media.NewID()), h: otto.h(), status: 404, code: media.ENOTFOUND},
		{name: "attach/no id", method: "POST", path: sp + "/comments", body: `{"timeMs":0,"attachment":{}}`, h: otto.h(), status: 400, code: media.EINVALID},
		{name: "attach/neither body nor recording", method: "POST", path: sp + "/comments", body: `{"timeMs":0}`, h: otto.h(), status: 400, code: media.EINVALID},
		{name: "attach/the recorder, no text needed", method: "POST", path: sp + "/comments", body: attach(voice.ID), h: otto.h(), status: 201, check: func(t *testing.T, b []byte) {
			thread = decodeAs[comment](t, b)
			a := thread.Attachment
			if a == nil || a.VideoID != voice.ID || a.Kind != "voice" || a.Status != "created" || thread.Body != "" ||
				a.MP4URL != "/media/"+voice.Slug+"/video.mp4" || a.EventsURL != "/api/share/"+voice.Slug+"/events" {
				t.Fatalf("comment = %s", b)
			}
		}},
		{name: "attach/only once", method: "POST", path: vp + "/comments", body: attach(voice.ID), h: otto.h(), status: 409, code: media.ECONFLICT},
	})
	runScenarios(t, s, []scenario{
		{name: "attach/a reply in a thread, with text", method: "POST", path: sp + "/comments", body: `{"parentId":"` + thread.ID + `","body":"see my screen","attachment":{"videoId":"` + miaScreen.ID + `"}}`, h: mia.h(), status: 201},
		{name: "list/the thread shows its recordings", method: "GET", path: sp + "/comments", status: 200, check: func(t *testing.T, b []byte) {
			l := decodeAs[struct{ Threads []comment }](t, b)
			if len(l.Threads) != 1 || l.Threads[0].Attachment == nil || l.Threads[0].Attachment.VideoID != voice.ID ||
				len(l.Threads[0].Replies) != 1 || l.Threads[0].Replies[0].Attachment == nil || l.Threads[0].Replies[0].Attachment.Kind != "screen" {
				t.Fatalf("threads = %s", b)
			}
		}},
		{name: "export/captions say a recording is there", method: "GET", path: sp + "/comments.vtt", status: 200, check: func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), "Otto: [voice reply]") || !strings.Contains(string(b), "↳ Mia: see my screen [screen reply]") {
				t.Fatalf("captions = %s", b)
			}
		}},
		// The recording's own link is private; the parent's sharing decides.
		{name: "watch/a guest through the parent's link", method: "GET", path: "/api/share/" + voice.Slug, h: guest, status: 200},
		{name: "watch/a member", method: "GET", path: "/api/videos/" + voice.ID, h: mia.h(), status: 200},
		{name: "comment/not on the recording itself", method: "POST", path: "/api/share/" + voice.Slug + "/comments", body: `{"body":"x","timeMs":0}`, h: mia.h(), status: 400, code: media.EINVALID},
		{name: "sharing/the parent goes private", method: "PATCH", path: vp + "/sharing", body: `{"visibility":"private"}`, h: owner.h(), status: 200},
		{name: "watch/then not a guest", method: "GET", path: "/api/share/" + voice.Slug, h: guest, status: 404, code: media.ENOTFOUND},
		{name: "watch/nor another member", method: "GET", path: "/api/videos/" + voice.ID, h: mia.h(), status: 404, code: media.ENOTFOUND},
		{name: "watch/nor its media", method: "GET", path: "/media/" + voice.Slug + "/live/index.m3u8", h: mia.h(), status: 404},
		{name: "watch/its recorder still", method: "GET", path: "/api/videos/" + voice.ID, h: otto.h(), status: 200},
		{name: "watch/the parent's owner", method: "GET", path: "/api/share/" + voice.Slug, h: owner.h(), status: 200},
		{name: "delete/the comment (by the video's owner)", method: "DELETE", path: "/api/comments/" + thread.ID, h: owner.h(), status: 200},
		{name: "delete/takes its recording", method: "GET", path: "/api/videos/" + voice.ID, h: otto.h(), status: 404},
		{name: "delete/the parent", method: "DELETE", path: vp, h: owner.h(), status: 204},
		{name: "delete/takes every recording made for it", method: "GET", path: "/api/videos/" + miaScreen.ID, h: mia.h(), status: 404},
		{name: "delete/not others", method: "GET", path: "/api/videos/" + elsewhere.ID, h: otto.h(), status: 200},
	})
}

// Recordings that ended up in no thread are deleted once they are older
// than the orphan age: never attached, attached to a comment that is gone,
// or made for a video that is gone. Attached and recent ones stay.
func TestStrayRepliesAreSwept(t *testing.T) {
	db := MustDB(t)
	s := mustServerWithBlobs(t, db)
	ctx := context.Background()
	bo := mustMember(t, s, "bo@example.com", "Bo", media.RoleMember)
	old := time.Now().Add(-2 * time.Hour)
	mk := func(replyTo, commentID string, at time.Time) string {
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: bo.user.ID,
			ReplyTo: replyTo, ReplyKind: media.ReplyVoice, ReplyCommentID: commentID, CreatedAt: at}
		if err := db.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	parent := mk("", "", old)
	c, _, err := s.comments.Create(ctx, parent, media.Actor{UserID: bo.user.ID, Name: "Bo"}, media.CommentInput{Body: "hi", HasTime: true})
	if err != nil {
		t.Fatal(err)
	}
	attached := mk(parent, c.ID, old)
	never := mk(parent, "", old)
	recent := mk(parent, "", time.Now())
	commentGone := mk(parent, media.NewID(), old)
	parentGone := mk(media.NewID(), "", old)

	if n := s.sweepReplies(ctx, time.Hour); n != 3 {
		t.Errorf("swept %d, want 3", n)
	}
	for id, want := range map[string]bool{parent: true, attached: true, recent: true, never: false, commentGone: false, parentGone: false} {
		_, err := db.Video(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("video %s kept = %v, want %v (err %v)", id, got, want, err)
		}
	}
}

// A password on the video replied to guards its recordings too: nothing of
// them without the password, everything with the pass it gives.
func TestRecordedReplyBehindPassword(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{Disabled: true}})
	ctx := context.Background()
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	bo := mustMember(t, s, "bo@example.com", "Bo", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "Plan", Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
	if err := db.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	rec := serve(s, "POST", "/api/videos", `{"replyTo":{"videoId":"`+v.ID+`","kind":"camera"}}`, bo.h())
	if rec.Code != http.StatusCreated {
		t.Fatalf("create reply = %d %s", rec.Code, rec.Body)
	}
	reply := decodeAs[struct{ Slug string }](t, rec.Body.Bytes())
	if rec := serve(s, "PATCH", "/api/videos/"+v.ID+"/sharing", `{"password":"open sesame 12"}`, owner.h()); rec.Code != http.StatusOK {
		t.Fatalf("set password = %d %s", rec.Code, rec.Body)
	}
	guest := http.Header{}
	if rec := serve(s, "GET", "/api/share/"+reply.Slug, "", guest); rec.Code != http.StatusNotFound {
		t.Fatalf("recording without the password = %d %s", rec.Code, rec.Body)
	}
	rec = serve(s, "POST", "/api/share/"+v.Slug+"/unlock", `{"password":"open sesame 12"}`, guest)
	if rec.Code != http.StatusOK {
		t.Fatalf("unlock = %d %s", rec.Code, rec.Body)
	}
	for _, ck := range rec.Result().Cookies() {
		guest.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if rec := serve(s, "GET", "/api/share/"+reply.Slug, "", guest); rec.Code != http.StatusOK {
		t.Fatalf("recording with the parent's pass = %d %s", rec.Code, rec.Body)
	}
}
