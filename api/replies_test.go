package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
)

// TestRecordedReplyRules: a recording made as a reply is created against a
// video the caller may watch, stays out of libraries, is attached once by
// its recorder to a comment of that video, opens for whoever may watch the
// parent (and follows the parent's sharing), and goes with its comment.
func TestRecordedReplyRules(t *testing.T) {
	db := MustDB(t)
	blobs, err := diskstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := &media.Service{Videos: db, Jobs: db, Blobs: blobs, Events: media.NewBroker()}
	s := MustServer(t, db, Options{Service: svc, RateLimits: RateLimits{Disabled: true}})
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
		// The recording's own link is private; the parent's sharing decides.
		{name: "watch/a guest through the parent's link", method: "GET", path: "/api/share/" + voice.Slug, h: guest, status: 200},
		{name: "watch/a member", method: "GET", path: "/api/videos/" + voice.ID, h: mia.h(), status: 200},
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
	if strings.Contains(voice.Title, "\n") {
		t.Fatal("title has a line break")
	}
}
