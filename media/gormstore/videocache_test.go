package gormstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/mediatest"
)

// Every write of this package that changes a video reaches the slug cache:
// a lookup by slug right after it sees the change, though the lookups
// before it had the row cached.
func TestVideoCacheSeesEveryWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	db := MustOpen(t, path)
	bySlug := func(t *testing.T, slug string) *media.Video {
		t.Helper()
		for range 2 { // the second comes from the cache
			if _, err := db.VideoBySlug(ctx, slug); err != nil {
				t.Fatal(err)
			}
		}
		v, err := db.VideoBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("a copy each time", func(t *testing.T) {
		v := MustCreateVideo(t, db)
		got := bySlug(t, v.Slug)
		got.Title = "scribbled on"
		if again := bySlug(t, v.Slug); again.Title != "t" {
			t.Fatalf("a caller's change reached the cache: %q", again.Title)
		}
	})
	t.Run("count view", func(t *testing.T) {
		v := MustCreateVideo(t, db)
		bySlug(t, v.Slug)
		if _, err := db.CountView(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if got := bySlug(t, v.Slug).Views; got != 1 {
			t.Fatalf("Views = %d, want 1", got)
		}
	})
	t.Run("job finished", func(t *testing.T) {
		v := MustCreateVideo(t, db)
		enqueue(t, db, v.ID)
		bySlug(t, v.Slug)
		job, err := db.ClaimJob(ctx, "w", time.Minute)
		if err != nil || job == nil {
			t.Fatalf("claim = %v, %v", job, err)
		}
		if err := db.CompleteJob(ctx, job, func(v *media.Video) error { v.Status = media.StatusReady; return nil }); err != nil {
			t.Fatal(err)
		}
		if got, want := bySlug(t, v.Slug).Status, media.StatusReady; got != want {
			t.Fatalf("Status = %v, want %v", got, want)
		}
	})
	t.Run("job reaped", func(t *testing.T) {
		v := MustCreateVideo(t, db)
		enqueue(t, db, v.ID)
		for i := 0; ; i++ {
			job, err := db.ClaimJob(ctx, "w", time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if job == nil {
				t.Fatal("no job to claim")
			}
			bySlug(t, v.Slug)
			time.Sleep(2 * time.Millisecond)
			if _, err := db.ReapJobs(ctx, time.Now(), "the worker stopped"); err != nil {
				t.Fatal(err)
			}
			if bySlug(t, v.Slug).Status == media.StatusFailed {
				return
			}
			if i > 10 {
				t.Fatal("the reaper never failed the video (or the cache hid it)")
			}
		}
	})
	t.Run("owner hand-over", func(t *testing.T) {
		a, b := mustUser(t, "a@example.com", media.RoleMember), mustUser(t, "b@example.com", media.RoleMember)
		for _, u := range []*media.User{a, b} {
			if err := db.CreateUser(ctx, u, ""); err != nil {
				t.Fatal(err)
			}
		}
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, OwnerID: b.ID}
		if err := db.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		bySlug(t, v.Slug)
		if err := db.DeleteUser(ctx, b.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := bySlug(t, v.Slug).OwnerID; got != a.ID {
			t.Fatalf("OwnerID = %q, want the new owner %q", got, a.ID)
		}
	})
	t.Run("feed notice", func(t *testing.T) {
		// Another process changes the row (a second handle on the same
		// file stands in for it): this process cannot know until the
		// change feed's notice reaches VideoChanged.
		other := MustOpen(t, path)
		v := MustCreateVideo(t, db)
		bySlug(t, v.Slug)
		if _, err := other.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error { v.Title = "elsewhere"; return nil }); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == "postgres" {
			// The real change feed delivers the notice by itself.
			deadline := time.Now().Add(3 * time.Second)
			for bySlug(t, v.Slug).Title != "elsewhere" {
				if time.Now().After(deadline) {
					t.Fatal("the change feed's notice never reached the cache")
				}
				time.Sleep(10 * time.Millisecond)
			}
			return
		}
		if got := bySlug(t, v.Slug).Title; got != "t" {
			t.Fatalf("before the notice Title = %q: the cache was not used", got)
		}
		db.VideoChanged(v.ID)
		if got := bySlug(t, v.Slug).Title; got != "elsewhere" {
			t.Fatalf("after the notice Title = %q", got)
		}
	})
}

// On Postgres, a change made by another process reaches this process's
// slug cache through the change feed: a reset link, a sharing change and a
// delete on process b are seen by process a's next lookups, never answered
// from a's cache for longer than the notice takes.
func TestVideoCacheAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	url := mediatest.PostgresURL(t)
	open := func() *gormstore.DB {
		db, err := gormstore.OpenURL(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	a.OnVideoChange(func(*media.Video) {}) // as an API process does
	eventually := func(t *testing.T, what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("process a still sees the old row: %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	warm := func(t *testing.T, slug string) {
		t.Helper()
		for range 2 {
			if _, err := a.VideoBySlug(ctx, slug); err != nil {
				t.Fatal(err)
			}
		}
	}

	v := MustCreateVideo(t, b)
	warm(t, v.Slug)
	nv, err := b.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.Slug = media.NewSlug()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "reset link", func() bool {
		_, err := a.VideoBySlug(ctx, v.Slug)
		return media.ErrorCode(err) == media.ENOTFOUND
	})
	warm(t, nv.Slug)
	if _, err := b.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.Sharing.Visibility = media.VisibilityPrivate
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sharing change", func() bool {
		got, err := a.VideoBySlug(ctx, nv.Slug)
		return err == nil && got.Sharing.Visibility == media.VisibilityPrivate
	})
	warm(t, nv.Slug)
	if err := b.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "delete", func() bool {
		_, err := a.VideoBySlug(ctx, nv.Slug)
		return media.ErrorCode(err) == media.ENOTFOUND
	})
}
