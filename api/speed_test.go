package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

// The owner's default playback speed: set with PATCH, shown to the owner
// and through the share link, refused (changing nothing) when the player
// does not offer it, and removed by setting normal speed.
func TestDefaultSpeed(t *testing.T) {
	db := MustDB(t)
	s := mustServerWithBlobs(t, db)
	ctx := context.Background()
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	other := mustMember(t, s, "otto@example.com", "Otto", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
	if err := db.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	type speed struct {
		DefaultSpeed float64 `json:"defaultSpeed"`
	}
	shared := func(t *testing.T) float64 {
		t.Helper()
		rec := serve(s, "GET", "/api/share/"+v.Slug, "", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET share = %d %s", rec.Code, rec.Body)
		}
		return decodeAs[speed](t, rec.Body.Bytes()).DefaultSpeed
	}
	if got := shared(t); got != 1 {
		t.Fatalf("defaultSpeed of a new video = %v, want 1", got)
	}

	rec := serve(s, "PATCH", "/api/videos/"+v.ID, `{"defaultSpeed":1.5}`, owner.h())
	if rec.Code != http.StatusOK {
		t.Fatalf("PATCH 1.5 = %d %s", rec.Code, rec.Body)
	}
	if got := decodeAs[speed](t, rec.Body.Bytes()).DefaultSpeed; got != 1.5 {
		t.Fatalf("PATCH answer defaultSpeed = %v, want 1.5", got)
	}
	if got := shared(t); got != 1.5 {
		t.Fatalf("share defaultSpeed = %v, want 1.5", got)
	}
	rec = serve(s, "GET", "/api/videos/"+v.ID, "", owner.h())
	if got := decodeAs[speed](t, rec.Body.Bytes()).DefaultSpeed; got != 1.5 {
		t.Fatalf("owner's GET defaultSpeed = %v, want 1.5", got)
	}

	for _, body := range []string{`{"defaultSpeed":3}`, `{"defaultSpeed":1.3}`, `{"defaultSpeed":0}`, `{"defaultSpeed":-1}`, `{"defaultSpeed":"fast"}`, `{"defaultSpeed":1.5e308}`, `{"title":"Renamed","defaultSpeed":4}`} {
		rec := serve(s, "PATCH", "/api/videos/"+v.ID, body, owner.h())
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("PATCH %s = %d %s, want 400", body, rec.Code, rec.Body)
		}
		if strings.Contains(body, `"fast"`) {
			continue // a JSON type error, named by the decoder
		}
		if msg := rec.Body.String(); !strings.Contains(msg, "0.5, 0.75, 1, 1.25, 1.5, 1.75, 2") {
			t.Fatalf("PATCH %s error = %s, want the speeds listed", body, msg)
		}
	}
	if got := shared(t); got != 1.5 {
		t.Fatalf("after refused PATCHes defaultSpeed = %v, want 1.5 still", got)
	}
	if got, _ := db.Video(ctx, v.ID); got.Title != "" {
		t.Fatalf("a refused PATCH renamed the video to %q", got.Title)
	}

	// Only those who manage the video set it.
	if rec := serve(s, "PATCH", "/api/videos/"+v.ID, `{"defaultSpeed":2}`, other.h()); rec.Code != http.StatusNotFound && rec.Code != http.StatusForbidden {
		t.Fatalf("PATCH by another member = %d %s, want 403/404", rec.Code, rec.Body)
	}

	// Normal speed removes the default.
	if rec := serve(s, "PATCH", "/api/videos/"+v.ID, `{"defaultSpeed":1}`, owner.h()); rec.Code != http.StatusOK {
		t.Fatalf("PATCH 1 = %d %s", rec.Code, rec.Body)
	}
	if got, _ := db.Video(ctx, v.ID); got.DefaultSpeed != 0 {
		t.Fatalf("stored DefaultSpeed after 1 = %v, want 0 (none)", got.DefaultSpeed)
	}
	if got := shared(t); got != 1 {
		t.Fatalf("share defaultSpeed after 1 = %v, want 1", got)
	}
}
