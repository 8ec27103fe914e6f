package gormstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/mediatest"
)

// Of several callers claiming the same tick at once, exactly one wins per
// period; the next period is open again. The contested period is an hour
// long, so a slow machine cannot let it run out between the claims (a 300 ms
// period once did under load); the reopening is shown on a short one, where
// waiting longer can only make the claim surer.
func TestClaimTickOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	path := ""
	db := MustOpen(t, path)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.ClaimTick(ctx, "sweep", time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d winners in one period, want 1", got)
	}
	if ok, _ := db.ClaimTick(ctx, "sweep", time.Hour); ok {
		t.Fatal("claimed the same period twice")
	}
	if ok, _ := db.ClaimTick(ctx, "other", time.Hour); !ok {
		t.Fatal("another task's tick was taken")
	}
	const short = 100 * time.Millisecond
	if ok, err := db.ClaimTick(ctx, "short", short); !ok || err != nil {
		t.Fatalf("short tick not claimable: %v %v", ok, err)
	}
	time.Sleep(short)
	if ok, err := db.ClaimTick(ctx, "short", short); !ok || err != nil {
		t.Fatalf("next period not claimable: %v %v", ok, err)
	}
}

func TestUploadOwners(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	if _, err := db.UploadOwner(ctx, v.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("owner before any: %v", err)
	}
	for _, addr := range []string{"http://10.0.0.1:8080", "http://10.0.0.2:8080"} {
		if err := db.SetUploadOwner(ctx, v.ID, addr); err != nil {
			t.Fatal(err)
		}
		if got, err := db.UploadOwner(ctx, v.ID); err != nil || got != addr {
			t.Fatalf("owner = %q, %v; want %q", got, err, addr)
		}
	}
	if err := db.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UploadOwner(ctx, v.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("owner outlived its video: %v", err)
	}
}

// Two handles on one Postgres database stand for two processes: comment
// events written on either reach both hubs, once each, in Seq order; video
// changes made by one reach the other; a write returns only once its own
// events were published.
func TestFeedAcrossProcesses(t *testing.T) {
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
	type sink struct {
		mu   sync.Mutex
		seqs []int64
	}
	sinks := []*sink{{}, {}}
	for i, db := range []*gormstore.DB{a, b} {
		s := sinks[i]
		db.OnCommentEvent(func(ev *media.CommentEvent) {
			s.mu.Lock()
			s.seqs = append(s.seqs, ev.Seq)
			s.mu.Unlock()
		})
	}
	videos := make(chan *media.Video, 16)
	b.OnVideoChange(func(v *media.Video) { videos <- v })
	aVideos := make(chan *media.Video, 16)
	a.OnVideoChange(func(v *media.Video) { aVideos <- v })

	v := MustCreateVideo(t, a)
	var wg sync.WaitGroup
	for i, db := range []*gormstore.DB{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
				if _, err := db.CreateComment(ctx, c, nil, approve); err != nil {
					t.Error(err)
				}
				_ = i + j
			}
		}()
	}
	wg.Wait()
	want := events(t, a, v.ID, 0)
	if len(want) != 40 {
		t.Fatalf("%d events stored, want 40", len(want))
	}
	deadline := time.Now().Add(5 * time.Second)
	for i, s := range sinks {
		for {
			s.mu.Lock()
			n := len(s.seqs)
			s.mu.Unlock()
			if n >= 40 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		s.mu.Lock()
		if len(s.seqs) != 40 {
			t.Fatalf("process %d published %d events, want 40", i, len(s.seqs))
		}
		for k, ev := range want {
			if s.seqs[k] != ev.Seq {
				t.Fatalf("process %d: event %d has seq %d, want %d (order %v)", i, k, s.seqs[k], ev.Seq, s.seqs)
			}
		}
		s.mu.Unlock()
	}

	if _, err := a.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error { v.Title = "renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-videos:
		if got.ID != v.ID || got.Title != "renamed" {
			t.Fatalf("relayed video = %s %q", got.ID, got.Title)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the other process did not hear of the video change")
	}
	select {
	case got := <-aVideos:
		t.Fatalf("the writing process heard its own change back (%s)", got.ID)
	case <-time.After(200 * time.Millisecond):
	}

	// Custom notices reach every process, the sender too.
	got := make(chan string, 4)
	a.OnNotice("cache", func(id string) { got <- "a:" + id })
	b.OnNotice("cache", func(id string) { got <- "b:" + id })
	if err := a.Notify(ctx, "cache", "k1"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		select {
		case s := <-got:
			seen[s] = true
		case <-time.After(3 * time.Second):
			t.Fatalf("notices heard: %v", seen)
		}
	}
	if !seen["a:k1"] || !seen["b:k1"] {
		t.Fatalf("notices heard: %v", seen)
	}
}

// A listener that loses its connection catches up on what was committed
// meanwhile, in order.
func TestFeedCatchesUpAfterReconnect(t *testing.T) {
	ctx := context.Background()
	pg := mediatest.StartPostgres(t)
	url := pg.CreateDB(t)
	a, err := gormstore.OpenURL(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := gormstore.OpenURL(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	var seqs []int64
	b.OnCommentEvent(func(ev *media.CommentEvent) {
		mu.Lock()
		seqs = append(seqs, ev.Seq)
		mu.Unlock()
	})
	v := MustCreateVideo(t, a)
	// End b's listening connection (and only it: it is the one LISTENing).
	if out, err := pg.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'`); err != nil {
		t.Fatal(err, out)
	}
	for range 5 {
		MustComment(t, a, v.ID, "", 0, "while away")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seqs)
		mu.Unlock()
		if n >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b published %d of 5 events after reconnecting", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := events(t, a, v.ID, 0)
	mu.Lock()
	defer mu.Unlock()
	for i, ev := range want {
		if seqs[i] != ev.Seq {
			t.Fatalf("event %d: seq %d, want %d", i, seqs[i], ev.Seq)
		}
	}
}

// A video that has just become processing without a job is being finished
// by some process (a live recording's last second): with several processes
// (Postgres) it is not reported as stranded until a grace period passes;
// SQLite, one process, reports it at once.
func TestStrandedVideosGrace(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	if _, err := db.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.Status = media.StatusProcessing
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ids, err := db.StrandedVideos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	if db.Dialect() == "postgres" {
		want = 0
	}
	if len(ids) != want {
		t.Fatalf("%s: stranded = %v, want %d", db.Dialect(), ids, want)
	}
}
