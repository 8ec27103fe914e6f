package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/baton-video/baton/media"
)

// A share link is answered from the store's video cache, and every change
// that revokes or moves the link is seen by the very next request: making
// the video private, resetting the link, deleting the video. The requests
// before each change warm the cache, so a stale entry would answer 200.
func TestSlugCacheInvalidation(t *testing.T) {
	db := MustDB(t)
	s := mustServerWithBlobs(t, db)
	ctx := context.Background()
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	newVideo := func() *media.Video {
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
		if err := db.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	warm := func(t *testing.T, slug string) {
		t.Helper()
		for range 3 {
			for _, p := range []string{"/api/share/" + slug, "/api/share/" + slug + "/comments"} {
				if rec := serve(s, "GET", p, "", nil); rec.Code != http.StatusOK {
					t.Fatalf("GET %s = %d %s", p, rec.Code, rec.Body)
				}
			}
		}
	}
	gone := func(t *testing.T, slug string) {
		t.Helper()
		for _, p := range []string{"/api/share/" + slug, "/api/share/" + slug + "/comments"} {
			if rec := serve(s, "GET", p, "", nil); rec.Code != http.StatusNotFound {
				t.Fatalf("GET %s after the change = %d %s, want 404", p, rec.Code, rec.Body)
			}
		}
	}
	manage := func(t *testing.T, method, path, body string, want int) *httptest.ResponseRecorder {
		t.Helper()
		rec := serve(s, method, path, body, owner.h())
		if rec.Code != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, rec.Code, rec.Body, want)
		}
		return rec
	}

	t.Run("sharing change", func(t *testing.T) {
		v := newVideo()
		warm(t, v.Slug)
		manage(t, "PATCH", "/api/videos/"+v.ID+"/sharing", `{"visibility":"private"}`, http.StatusOK)
		gone(t, v.Slug)
		// And back: the link works again at once, too.
		manage(t, "PATCH", "/api/videos/"+v.ID+"/sharing", `{"visibility":"link"}`, http.StatusOK)
		warm(t, v.Slug)
		// A password is a sharing change the cache must not hide either.
		manage(t, "PATCH", "/api/videos/"+v.ID+"/sharing", `{"password":"hunter22"}`, http.StatusOK)
		if rec := serve(s, "GET", "/api/share/"+v.Slug, "", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("after setting a password = %d %s, want 403", rec.Code, rec.Body)
		}
	})
	t.Run("reset link", func(t *testing.T) {
		v := newVideo()
		warm(t, v.Slug)
		rec := manage(t, "POST", "/api/videos/"+v.ID+"/sharing/regenerate", "", http.StatusOK)
		nv := decodeAs[struct{ Slug string }](t, rec.Body.Bytes())
		if nv.Slug == "" || nv.Slug == v.Slug {
			t.Fatalf("new slug = %q", nv.Slug)
		}
		gone(t, v.Slug)
		warm(t, nv.Slug)
	})
	t.Run("delete", func(t *testing.T) {
		v := newVideo()
		warm(t, v.Slug)
		manage(t, "DELETE", "/api/videos/"+v.ID, "", http.StatusNoContent)
		gone(t, v.Slug)
	})
	t.Run("status and title", func(t *testing.T) {
		v := newVideo()
		warm(t, v.Slug)
		manage(t, "PATCH", "/api/videos/"+v.ID, `{"title":"Renamed"}`, http.StatusOK)
		if _, err := db.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
			v.Status, v.Error = media.StatusFailed, "broken"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		rec := serve(s, "GET", "/api/share/"+v.Slug, "", nil)
		got := decodeAs[struct{ Title, Status string }](t, rec.Body.Bytes())
		if got.Title != "Renamed" || got.Status != "failed" {
			t.Fatalf("share answer after rename and failure = %+v", got)
		}
	})
}
