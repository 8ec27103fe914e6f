package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/baton-video/baton/media"
)

// A process that does not hold a recording's upload (scale-out: another
// API process admitted it) answers how it is processed from what the
// holder stored on the video, to the owner and through the share link; a
// finished video says nothing about it.
func TestProcessingFromAnotherProcess(t *testing.T) {
	db := MustDB(t)
	// No live sessions here: the upload is the other process's.
	s := mustServerWithBlobs(t, db)
	ctx := context.Background()
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusUploading, OwnerID: owner.user.ID,
		Processing: media.LiveModeAfterUpload, ProcessingNote: "Live processing stopped."}
	if err := db.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	type processing struct {
		Processing, ProcessingNote string
	}
	for _, path := range []string{"/api/videos/" + v.ID, "/api/share/" + v.Slug} {
		rec := serve(s, "GET", path, "", owner.h())
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
		if got := decodeAs[processing](t, rec.Body.Bytes()); got.Processing != "after-upload" || got.ProcessingNote != v.ProcessingNote {
			t.Fatalf("GET %s: %+v, want after-upload with the stored note", path, got)
		}
	}
	if _, err := db.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.Status = media.StatusReady
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec := serve(s, "GET", "/api/videos/"+v.ID, "", owner.h())
	if got := decodeAs[processing](t, rec.Body.Bytes()); got.Processing != "" {
		t.Fatalf("ready video: %+v, want no processing mode", got)
	}
}
