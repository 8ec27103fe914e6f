package gormstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

func approve(*media.Video, *media.Comment) error { return nil }

func MustComment(tb testing.TB, db *gormstore.DB, videoID, parentID string, timeMs int64, body string) *media.Comment {
	tb.Helper()
	c := &media.Comment{ID: media.NewID(), VideoID: videoID, ParentID: parentID, TimeMs: timeMs, Body: body, AuthorName: "Ann", GuestSecretHash: media.HashSecret("s")}
	if _, err := db.CreateComment(context.Background(), c, nil, approve); err != nil {
		tb.Fatalf("create comment: %v", err)
	}
	return c
}

func events(tb testing.TB, db *gormstore.DB, videoID string, after int64) []*media.CommentEvent {
	tb.Helper()
	evs, err := db.CommentEvents(context.Background(), videoID, after, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

func TestCommentThreadsOrderRepliesAndPages(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	other := MustCreateVideo(t, db)
	late := MustComment(t, db, v.ID, "", 9000, "late")
	early := MustComment(t, db, v.ID, "", 1000, "early")
	sameA := MustComment(t, db, v.ID, "", 5000, "same time, first")
	time.Sleep(2 * time.Millisecond) // ids order creation only across milliseconds
	sameB := MustComment(t, db, v.ID, "", 5000, "same time, second")
	r1 := MustComment(t, db, v.ID, early.ID, 1000, "reply 1")
	time.Sleep(2 * time.Millisecond)
	r2 := MustComment(t, db, v.ID, early.ID, 1000, "reply 2")
	MustComment(t, db, other.ID, "", 0, "elsewhere")

	var got []string
	opt := media.ThreadOptions{Limit: 2}
	var pages int
	for {
		p, err := db.Threads(ctx, v.ID, opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.Count != 6 {
			t.Fatalf("Count = %d, want 6", p.Count)
		}
		for _, th := range p.Threads {
			got = append(got, th.ID)
			if th.ID == early.ID {
				if len(th.Replies) != 2 || th.Replies[0].ID != r1.ID || th.Replies[1].ID != r2.ID {
					t.Fatalf("replies of early = %+v", th.Replies)
				}
			} else if len(th.Replies) != 0 {
				t.Fatalf("thread %q has replies %v", th.Body, th.Replies)
			}
		}
		if !p.More {
			break
		}
		last := p.Threads[len(p.Threads)-1]
		opt.AfterTimeMs, opt.AfterID = last.TimeMs, last.ID
	}
	want := []string{early.ID, sameA.ID, sameB.ID, late.ID}
	if strings.Join(got, ",") != strings.Join(want, ",") || pages != 2 {
		t.Fatalf("threads = %v in %d pages, want %v in 2", got, pages, want)
	}
}

func TestCommentReplyToAnotherVideosComment(t *testing.T) {
	db := MustOpen(t, "")
	v, other := MustCreateVideo(t, db), MustCreateVideo(t, db)
	th := MustComment(t, db, other.ID, "", 0, "x")
	c := &media.Comment{ID: media.NewID(), VideoID: v.ID, ParentID: th.ID, Body: "y", AuthorName: "A"}
	if _, err := db.CreateComment(context.Background(), c, nil, approve); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("reply across videos: %v, want invalid", err)
	}
	c.ParentID = media.NewID()
	if _, err := db.CreateComment(context.Background(), c, nil, approve); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("reply to nothing: %v, want invalid", err)
	}
	c.VideoID, c.ParentID = media.NewID(), ""
	if _, err := db.CreateComment(context.Background(), c, nil, approve); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("comment on a missing video: %v, want not found", err)
	}
	if n := len(events(t, db, v.ID, 0)); n != 0 {
		t.Fatalf("%d events for refused writes", n)
	}
}

// A refusal from the check must leave nothing behind: no row, no event.
func TestCommentCheckRefusalRollsBack(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
	_, err := db.CreateComment(ctx, c, nil, func(*media.Video, *media.Comment) error {
		return media.Errorf(media.ECOMMENTSOFF, "off")
	})
	if media.ErrorCode(err) != media.ECOMMENTSOFF {
		t.Fatalf("err = %v", err)
	}
	if _, err := db.Comment(ctx, c.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("refused comment stored: %v", err)
	}
	if n := len(events(t, db, v.ID, 0)); n != 0 {
		t.Fatalf("%d events after a refusal", n)
	}
}

func TestCommentDeletePlaceholderAndHistory(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	th := MustComment(t, db, v.ID, "", 100, "my secret plan")
	reply := MustComment(t, db, v.ID, th.ID, 100, "a reply")
	lone := MustComment(t, db, v.ID, "", 200, "lonely")
	ok := func(*media.Video, *media.Comment) error { return nil }

	// A thread with a reply stays as a placeholder.
	evs, err := db.DeleteComment(ctx, th.ID, ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Removed || !evs[0].Comment.Deleted || evs[0].Comment.Body != "" {
		t.Fatalf("delete thread events = %+v", evs[0])
	}
	got, err := db.Comment(ctx, th.ID)
	if err != nil || !got.Deleted || got.Body != "" || got.AuthorName != "" {
		t.Fatalf("placeholder = %+v, %v", got, err)
	}
	p, _ := db.Threads(ctx, v.ID, media.ThreadOptions{Limit: 10})
	if len(p.Threads) != 2 || !p.Threads[0].Deleted || len(p.Threads[0].Replies) != 1 || p.Count != 2 {
		t.Fatalf("threads after placeholder = %+v (count %d)", p.Threads, p.Count)
	}
	// The text is gone from the history that streams replay.
	for _, ev := range events(t, db, v.ID, 0) {
		if ev.Comment != nil && strings.Contains(ev.Comment.Body, "secret plan") {
			t.Fatalf("event %d (%s) still holds the deleted text", ev.Seq, ev.Type)
		}
	}

	// The last reply takes the placeholder with it.
	evs, err = db.DeleteComment(ctx, reply.ID, ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || !evs[0].Removed || evs[0].Comment.ID != reply.ID || !evs[1].Removed || evs[1].Comment.ID != th.ID {
		t.Fatalf("delete last reply events = %+v", evs)
	}
	// A thread without replies disappears.
	if _, err := db.DeleteComment(ctx, lone.ID, ok); err != nil {
		t.Fatal(err)
	}
	p, _ = db.Threads(ctx, v.ID, media.ThreadOptions{Limit: 10})
	if len(p.Threads) != 0 || p.Count != 0 {
		t.Fatalf("threads left: %+v", p.Threads)
	}
	if _, err := db.DeleteComment(ctx, lone.ID, ok); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
}

func TestCommentEditRewritesHistory(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	c := MustComment(t, db, v.ID, "", 0, "my password is hunter2")
	got, ev, err := db.UpdateComment(ctx, c.ID, nil, func(_ *media.Video, c *media.Comment) (media.CommentEventType, error) {
		c.Body = "oops"
		return media.CommentUpdated, nil
	})
	if err != nil || got.Body != "oops" || ev == nil || ev.Type != media.CommentUpdated {
		t.Fatalf("update = %+v %+v %v", got, ev, err)
	}
	evs := events(t, db, v.ID, 0)
	if len(evs) != 2 || evs[0].Type != media.CommentCreated || evs[0].Comment.Body != "oops" {
		t.Fatalf("history after edit: %+v", evs[0].Comment)
	}
	// No change, no event.
	_, ev, err = db.UpdateComment(ctx, c.ID, nil, func(*media.Video, *media.Comment) (media.CommentEventType, error) { return "", nil })
	if err != nil || ev != nil {
		t.Fatalf("no-op update: %v %v", ev, err)
	}
	if n := len(events(t, db, v.ID, 0)); n != 2 {
		t.Fatalf("%d events after a no-op", n)
	}
}

func TestReactionsCountsAndEvents(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	add := func(emoji string, t0 int64) *media.CommentEvent {
		r := &media.Reaction{ID: media.NewID(), VideoID: v.ID, Emoji: emoji, TimeMs: t0, ReactorHash: media.HashSecret("me")}
		ev, err := db.AddReaction(ctx, r, func(*media.Video) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	add("👍", 300)
	add("🔥", 100)
	ev := add("👍", 200)
	if ev.Counts["👍"] != 2 || ev.Counts["🔥"] != 1 || ev.Type != media.ReactionAdded {
		t.Fatalf("counts = %v", ev.Counts)
	}
	p, err := db.Reactions(ctx, v.ID, media.ReactionOptions{Limit: 2})
	if err != nil || len(p.Reactions) != 2 || !p.More || p.Reactions[0].TimeMs != 100 || p.Reactions[1].TimeMs != 200 {
		t.Fatalf("reactions page = %+v %v", p, err)
	}
	rm, err := db.RemoveReaction(ctx, ev.Reaction.ID, func(*media.Video, *media.Reaction) error { return nil })
	if err != nil || rm.Counts["👍"] != 1 || rm.Type != media.ReactionRemoved {
		t.Fatalf("remove = %+v %v", rm, err)
	}
	if _, err := db.Reaction(ctx, ev.Reaction.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("removed reaction still there: %v", err)
	}
	evs := events(t, db, v.ID, 0)
	if len(evs) != 4 || evs[3].Reaction == nil || evs[3].Reaction.ID != ev.Reaction.ID || evs[3].Counts["👍"] != 1 {
		t.Fatalf("events = %+v", evs)
	}
	if evs[3].Reaction.ReactorHash != "" {
		t.Fatal("the reactor's hash is stored in an event")
	}
}

// Event ids are strictly increasing and have no gaps per video when many
// writers append at once; a video's deletion takes its conversation along.
func TestCommentEventsConcurrentAndCascade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db := MustOpen(t, path)
	v := MustCreateVideo(t, db)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
				if _, err := db.CreateComment(ctx, c, nil, approve); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	evs := events(t, db, v.ID, 0)
	if len(evs) != 80 {
		t.Fatalf("%d events, want 80", len(evs))
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("events out of order at %d", i)
		}
	}
	last, all, err := db.LastCommentEvent(ctx, v.ID)
	if err != nil || last != evs[79].Seq || all != last {
		t.Fatalf("LastCommentEvent = %d %d %v", last, all, err)
	}
	if got := events(t, db, v.ID, evs[76].Seq); len(got) != 3 {
		t.Fatalf("events after the 77th: %d, want 3", len(got))
	}
	if err := db.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(events(t, db, v.ID, 0)); n != 0 {
		t.Fatalf("%d events outlived their video", n)
	}
	if _, err := db.Comment(ctx, evs[0].Comment.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("comment outlived its video: %v", err)
	}
}

func TestVideoSettingsDefaultsAndPersist(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db := MustOpen(t, path)
	v := MustCreateVideo(t, db)
	if !v.CommentsEnabled() || !v.GuestComments() || !v.ReactionsEnabled() {
		t.Fatal("a new video has its discussion off")
	}
	_, err := db.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.GuestsOff, v.OwnerID = true, "owner-1"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	got, err := MustOpen(t, path).Video(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GuestsOff || got.CommentsOff || got.OwnerID != "owner-1" {
		t.Fatalf("settings after reopen = %+v", got)
	}
}

// Concurrent writes are committed in batches; each refusal undoes only its
// own write, and every committed event is published once, in Seq order,
// before its write returns.
func TestCommentBatchesPublishInOrder(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	var (
		mu        sync.Mutex
		published []int64
	)
	db.OnCommentEvent(func(ev *media.CommentEvent) {
		mu.Lock()
		published = append(published, ev.Seq)
		mu.Unlock()
	})
	refuse := errors.New("refused")
	var (
		wg       sync.WaitGroup
		created  sync.Map
		refusals int64
		rmu      sync.Mutex
	)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
				no := i%5 == 0
				ev, err := db.CreateComment(ctx, c, nil, func(*media.Video, *media.Comment) error {
					if no {
						return media.WrapError(media.EINVALID, refuse, "no")
					}
					return nil
				})
				if no {
					if !errors.Is(err, refuse) {
						t.Errorf("refused write: %v", err)
					}
					rmu.Lock()
					refusals++
					rmu.Unlock()
					continue
				}
				if err != nil {
					t.Error(err)
					continue
				}
				mu.Lock()
				seen := len(published) > 0 && published[len(published)-1] >= ev.Seq
				mu.Unlock()
				if !seen {
					t.Errorf("write of seq %d returned before its event was published", ev.Seq)
				}
				created.Store(c.ID, ev.Seq)
			}
		}(g)
	}
	wg.Wait()
	n := 0
	created.Range(func(k, _ any) bool {
		n++
		if _, err := db.Comment(ctx, k.(string)); err != nil {
			t.Errorf("created comment %s missing: %v", k, err)
		}
		return true
	})
	if n != 16*20 || refusals != 16*5 {
		t.Fatalf("%d created, %d refused", n, refusals)
	}
	stored := events(t, db, v.ID, 0)
	if len(stored) != n || len(published) != n {
		t.Fatalf("%d events stored, %d published, want %d", len(stored), len(published), n)
	}
	for i := range stored {
		if published[i] != stored[i].Seq {
			t.Fatalf("published[%d] = %d, stored %d: not in commit order", i, published[i], stored[i].Seq)
		}
	}
	p, _ := db.Threads(ctx, v.ID, media.ThreadOptions{Limit: 1})
	if p.Count != n {
		t.Fatalf("Count = %d, want %d: a refusal undid someone else's write", p.Count, n)
	}
}

// A check that panics fails its own write and nothing else; later writes
// still go through (the lead is handed on).
func TestCommentBatchSurvivesPanicsAndCancellation(t *testing.T) {
	db := MustOpen(t, "")
	v := MustCreateVideo(t, db)
	c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
	_, err := db.CreateComment(context.Background(), c, nil, func(*media.Video, *media.Comment) error { panic("bug") })
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("panicking check: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2 := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "x", AuthorName: "A"}
	if _, err := db.CreateComment(ctx, c2, nil, approve); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		MustComment(t, db, v.ID, "", 0, "after")
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("writes stuck after a panic")
	}
	if n := len(events(t, db, v.ID, 0)); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

// BenchmarkCreateComment measures the store's comment write from many
// goroutines at once (batched commits).
func BenchmarkCreateComment(b *testing.B) {
	db := MustOpen(b, "")
	v := MustCreateVideo(b, db)
	ctx := context.Background()
	b.SetParallelism(50)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := &media.Comment{ID: media.NewID(), VideoID: v.ID, Body: "a comment of a usual length, give or take", AuthorName: "A", GuestSecretHash: media.HashSecret("s")}
			if _, err := db.CreateComment(ctx, c, nil, approve); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
