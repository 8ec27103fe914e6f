package gormstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

// MustOpen opens a fresh database of the dialect under test (see
// dialects_test.go); the same non-empty path opens the same database again.
func MustOpen(tb testing.TB, path string) *gormstore.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "baton.db")
	}
	db, err := gormstore.OpenURL(context.Background(), dialectURL(tb, path), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func MustCreateVideo(tb testing.TB, db *gormstore.DB) *media.Video {
	tb.Helper()
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "t", Status: media.StatusCreated}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func enqueue(tb testing.TB, db *gormstore.DB, id string) {
	tb.Helper()
	_, err := db.UpdateVideo(context.Background(), id, media.JobProcess, func(v *media.Video) error {
		v.Status = media.StatusProcessing
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestVideoCRUD(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	got, err := db.VideoBySlug(ctx, v.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != v.ID || got.Status != media.StatusCreated {
		t.Fatalf("got %+v", got)
	}
	if err := db.CreateVideo(ctx, v); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("duplicate create: %v, want conflict", err)
	}
	if _, err := db.Video(ctx, media.NewID()); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("missing video: %v", err)
	}
	if err := db.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteVideo(ctx, v.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
}

// The owner's default speed is a column like any other: written by
// UpdateVideo, read back through the id and the (cached) slug, and the
// fraction survives both dialects (REAL / DOUBLE PRECISION).
func TestVideoDefaultSpeed(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	if _, err := db.VideoBySlug(ctx, v.Slug); err != nil { // warm the slug cache
		t.Fatal(err)
	}
	if _, err := db.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.DefaultSpeed = 0.75
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	byID, err := db.Video(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	bySlug, err := db.VideoBySlug(ctx, v.Slug)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]float64{"by id": byID.DefaultSpeed, "by slug": bySlug.DefaultSpeed} {
		if got != 0.75 {
			t.Fatalf("DefaultSpeed %s = %v, want 0.75", name, got)
		}
	}
}

func TestListVideosPages(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, MustCreateVideo(t, db).ID)
		time.Sleep(2 * time.Millisecond) // distinct UUIDv7 milliseconds
	}
	page, err := db.ListVideos(ctx, media.ListOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[2] {
		t.Fatalf("first page wrong: %v", page)
	}
	page, _ = db.ListVideos(ctx, media.ListOptions{Limit: 3, Before: page[2].ID})
	if len(page) != 2 || page[0].ID != ids[1] {
		t.Fatalf("second page wrong")
	}
}

func TestMigrationsReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	db := MustOpen(t, path)
	v := MustCreateVideo(t, db)
	db.Close()
	db2 := MustOpen(t, path)
	if _, err := db2.Video(context.Background(), v.ID); err != nil {
		t.Fatalf("video lost across reopen: %v", err)
	}
	if n, _ := db2.SchemaVersion(context.Background()); n < 1 {
		t.Fatalf("schema version %d", n)
	}
}

func TestEnqueueIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	enqueue(t, db, v.ID)
	enqueue(t, db, v.ID)
	if n, _ := db.ActiveJobs(ctx); n != 1 {
		t.Fatalf("active jobs = %d, want 1", n)
	}
}

// Many workers claiming at once must each get a different job.
func TestClaimIsExclusive(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	const jobs = 20
	for i := 0; i < jobs; i++ {
		enqueue(t, db, MustCreateVideo(t, db).ID)
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				j, err := db.ClaimJob(ctx, "w", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				if seen[j.ID] {
					t.Errorf("job %d claimed twice", j.ID)
				}
				seen[j.ID] = true
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Fatalf("claimed %d jobs, want %d", len(seen), jobs)
	}
}

func TestLeaseLifecycle(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	enqueue(t, db, v.ID)

	j, err := db.ClaimJob(ctx, "a", 50*time.Millisecond)
	if err != nil || j == nil {
		t.Fatalf("claim: %v %v", j, err)
	}
	if j.Attempts != 1 {
		t.Fatalf("Attempts = %d, want 1", j.Attempts)
	}
	if j2, _ := db.ClaimJob(ctx, "b", time.Minute); j2 != nil {
		t.Fatal("a leased job was claimed again")
	}
	time.Sleep(80 * time.Millisecond)
	ids, err := db.ReapJobs(ctx, time.Now(), "dead")
	if err != nil || len(ids) != 1 {
		t.Fatalf("reap: %v %v", ids, err)
	}
	// The stale worker has lost the job: none of its writes land.
	if err := db.ExtendLease(ctx, j, time.Minute); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("extend after reap: %v, want conflict", err)
	}
	if err := db.CompleteJob(ctx, j, func(v *media.Video) error { v.Status = media.StatusReady; return nil }); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("complete after reap: %v, want conflict", err)
	}
	j2, _ := db.ClaimJob(ctx, "b", time.Minute)
	if j2 == nil || j2.Attempts != 2 {
		t.Fatalf("reclaim: %+v", j2)
	}
	if err := db.RetryJob(ctx, j2, time.Now().Add(time.Hour), "later"); err != nil {
		t.Fatal(err)
	}
	if j3, _ := db.ClaimJob(ctx, "c", time.Minute); j3 != nil {
		t.Fatal("a job scheduled for later ran now")
	}
}

func TestReapFailsVideoAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	enqueue(t, db, v.ID)
	for i := 0; i < gormstore.DefaultMaxAttempts; i++ {
		j, _ := db.ClaimJob(ctx, "w", time.Millisecond)
		if j == nil {
			t.Fatalf("attempt %d: nothing to claim", i+1)
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := db.ReapJobs(ctx, time.Now(), "Processing kept stopping."); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.Video(ctx, v.ID)
	if got.Status != media.StatusFailed || got.Error != "Processing kept stopping." {
		t.Fatalf("video = %s %q, want failed with reason", got.Status, got.Error)
	}
	if n, _ := db.ActiveJobs(ctx); n != 0 {
		t.Fatalf("active jobs = %d", n)
	}
}

func TestCompleteUpdatesVideoAtomically(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	enqueue(t, db, v.ID)
	j, _ := db.ClaimJob(ctx, "w", time.Minute)
	err := db.CompleteJob(ctx, j, func(v *media.Video) error {
		v.Status, v.DurationMs = media.StatusReady, 1234
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := db.Video(ctx, v.ID)
	if got.Status != media.StatusReady || got.DurationMs != 1234 {
		t.Fatalf("video = %+v", got)
	}
	if n, _ := db.ActiveJobs(ctx); n != 0 {
		t.Fatalf("active jobs = %d", n)
	}
}
