package gormstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

func mustReadyVideo(tb testing.TB, db *gormstore.DB, owner, title string, vis media.Visibility) *media.Video {
	tb.Helper()
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: title, Status: media.StatusReady, HasMP4: true,
		DurationMs: 60000, OwnerID: owner, Sharing: media.Sharing{Visibility: vis}}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func claim(tb testing.TB, db *gormstore.DB) *media.Job {
	tb.Helper()
	j, err := db.ClaimJob(context.Background(), "w", time.Minute)
	if err != nil || j == nil {
		tb.Fatalf("claim: %v %v", j, err)
	}
	return j
}

// TestFollowUpsEnqueueOnceAndExpire: a ready video gets one transcribe
// and one thumbs job however often the sweep runs; a job that vanished
// (out of attempts) leaves a failed transcript with a reason, not a
// pending one forever.
func TestFollowUpsEnqueueOnceAndExpire(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := mustReadyVideo(t, db, "", "Weekly", media.VisibilityLink)
	MustCreateVideo(t, db) // not ready: nothing for it
	for i := 0; i < 3; i++ {
		n, err := db.EnqueueFollowUps(ctx, true, true, 5)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{0: 2}[i]; n != want {
			t.Fatalf("sweep %d enqueued %d, want %d", i, n, want)
		}
	}
	jobs, _ := db.Jobs(ctx)
	if len(jobs) != 2 {
		t.Fatalf("jobs = %+v", jobs)
	}
	tr, err := db.Transcript(ctx, v.ID)
	if err != nil || tr.Status != media.TranscriptPending {
		t.Fatalf("transcript = %+v, %v", tr, err)
	}
	// The reaper drops jobs that used every attempt; simulate with a claim
	// and a finish that records nothing.
	for range jobs {
		j := claim(t, db)
		if err := db.CompleteJob(ctx, j, func(*media.Video) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EnqueueFollowUps(ctx, true, true, 5); err != nil {
		t.Fatal(err)
	}
	tr, _ = db.Transcript(ctx, v.ID)
	if tr.Status != media.TranscriptFailed || tr.Error == "" {
		t.Fatalf("orphaned pending transcript = %+v, want failed with a reason", tr)
	}
	if n, _ := db.EnqueueFollowUps(ctx, true, true, 5); n != 0 {
		t.Fatalf("a failed transcript was enqueued again (%d)", n)
	}
}

// TestSearchRespectsLibrary: words in titles, comments and transcripts are
// found by their owner and by members for workspace videos, never in
// someone else's private or password-protected video.
func TestSearchRespectsLibrary(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	ann, bob := mustUser(t, "ann@x", media.RoleMember), mustUser(t, "bob@x", media.RoleMember)
	for _, u := range []*media.User{ann, bob} {
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	private := mustReadyVideo(t, db, ann.ID, "Secret budget plans", media.VisibilityPrivate)
	shared := mustReadyVideo(t, db, ann.ID, "Team update", media.VisibilityWorkspace)
	MustComment(t, db, shared.ID, "", 12000, "The budget is approved")
	MustComment(t, db, private.ID, "", 5000, "budget numbers inside")
	j := func(id string) *media.Job {
		if err := db.Retranscribe(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
		return claim(t, db)
	}
	err := db.FinishTranscript(ctx, j(shared.ID), &media.Transcript{VideoID: shared.ID, Status: media.TranscriptDone, Engine: "test",
		Segments: []media.Segment{{StartMs: 1000, EndMs: 2000, Text: "hello team"}, {StartMs: 30500, EndMs: 32000, Text: "the Budgetary review"}}})
	if err != nil {
		t.Fatal(err)
	}
	search := func(who *media.User, term string) []media.SearchHit {
		hits, err := db.Search(ctx, media.SearchQuery{Viewer: who.ID, Terms: []string{term}, Limit: 50, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	if got := search(ann, "budget"); len(got) != 4 {
		t.Fatalf("owner finds %d hits, want 4 (2 titles/comments of each video): %+v", len(got), got)
	}
	got := search(bob, "budget")
	if len(got) != 2 {
		t.Fatalf("member finds %+v, want the shared video's comment and transcript line", got)
	}
	for _, h := range got {
		if h.VideoID != shared.ID {
			t.Fatalf("member found a private video's words: %+v", h)
		}
	}
	if got[0].Kind != media.SearchComment || got[0].TimeMs != 12000 || got[1].Kind != media.SearchTranscript || got[1].TimeMs != 30500 {
		t.Fatalf("hits = %+v, want the comment at 12s then the line at 30.5s", got)
	}
	if got := search(bob, "secret"); len(got) != 0 {
		t.Fatalf("private title found by another member: %+v", got)
	}
	// Deleting the video takes its words out of the index.
	if err := db.DeleteVideo(ctx, shared.ID); err != nil {
		t.Fatal(err)
	}
	if got := search(ann, "budget"); len(got) != 2 {
		t.Fatalf("after delete: %+v", got)
	}
}

// TestApplyEditMovesCommentsAndUndo: cutting 10-20 s moves a comment at
// 40 s to 30 s and one at 15 s to the cut at 10 s, marked; undoing puts
// both back exactly.
func TestApplyEditMovesCommentsAndUndo(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := mustReadyVideo(t, db, "", "Demo", media.VisibilityLink)
	late := MustComment(t, db, v.ID, "", 40000, "later point")
	inside := MustComment(t, db, v.ID, "", 15000, "said in the cut part")
	apply := func(cuts []media.Cut, dur int64) {
		t.Helper()
		if err := db.StartEdit(ctx, v.ID, cuts, 60000); err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyEdit(ctx, claim(t, db), cuts, media.MediaInfo{DurationMs: dur}); err != nil {
			t.Fatal(err)
		}
	}
	at := func(id string) int64 {
		c, err := db.Comment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.TimeMs
	}
	apply([]media.Cut{{StartMs: 10000, EndMs: 20000}}, 50000)
	if got := at(late.ID); got != 30000 {
		t.Fatalf("comment at 40s moved to %d, want 30000", got)
	}
	if got := at(inside.ID); got != 10000 {
		t.Fatalf("comment inside the cut at %d, want 10000", got)
	}
	moved, err := db.MovedItems(ctx, v.ID)
	if err != nil || len(moved) != 1 || moved[0].ID != inside.ID || moved[0].OriginalMs != 15000 {
		t.Fatalf("moved = %+v, %v", moved, err)
	}
	if nv, _ := db.Video(ctx, v.ID); nv.DurationMs != 50000 {
		t.Fatalf("duration = %d", nv.DurationMs)
	}
	apply(nil, 60000)
	if a, b := at(late.ID), at(inside.ID); a != 40000 || b != 15000 {
		t.Fatalf("after undo: %d and %d, want 40000 and 15000", a, b)
	}
	if moved, _ := db.MovedItems(ctx, v.ID); len(moved) != 0 {
		t.Fatalf("moved after undo = %+v", moved)
	}
}

// TestFollowUpsYieldToProcessing: follow-ups never queue ahead of an
// upload waiting to be processed, and at most limit are active at once,
// newest video first.
func TestFollowUpsYieldToProcessing(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	var newest *media.Video
	for i := 0; i < 3; i++ {
		// Ids order by their millisecond; keep the videos apart.
		time.Sleep(3 * time.Millisecond)
		newest = mustReadyVideo(t, db, "", "v", media.VisibilityLink)
	}
	waiting := MustCreateVideo(t, db)
	enqueue(t, db, waiting.ID) // a queued process job
	if n, err := db.EnqueueFollowUps(ctx, true, false, 1); err != nil || n != 0 {
		t.Fatalf("with an upload waiting: enqueued %d, %v; want 0", n, err)
	}
	j := claim(t, db) // the worker takes the upload
	if j.Kind != media.JobProcess {
		t.Fatalf("claimed %s first", j.Kind)
	}
	if n, _ := db.EnqueueFollowUps(ctx, true, false, 1); n != 1 {
		t.Fatalf("enqueued %d, want 1 (the limit)", n)
	}
	if n, _ := db.EnqueueFollowUps(ctx, true, false, 1); n != 0 {
		t.Fatalf("enqueued %d past the limit", n)
	}
	jobs, _ := db.Jobs(ctx)
	var follow []media.Job
	for _, j := range jobs {
		if j.Kind == media.JobTranscribe {
			follow = append(follow, j)
		}
	}
	if len(follow) != 1 || follow[0].VideoID != newest.ID {
		t.Fatalf("follow-ups = %+v, want one for the newest video", follow)
	}
}

// TestClaimPrefersUploads: an upload queued behind follow-ups and an edit
// is claimed first, then the edit, then the follow-ups oldest first; a
// job scheduled for later waits whatever its kind.
func TestClaimPrefersUploads(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	ready := mustReadyVideo(t, db, "", "Weekly", media.VisibilityLink)
	if n, err := db.EnqueueFollowUps(ctx, true, true, 10); err != nil || n != 2 {
		t.Fatalf("follow-ups: %d, %v; want transcribe and thumbs", n, err)
	}
	time.Sleep(3 * time.Millisecond)
	if err := db.StartEdit(ctx, ready.ID, []media.Cut{{StartMs: 0, EndMs: 1000}}, 60000); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	later := MustCreateVideo(t, db)
	enqueue(t, db, later.ID)
	j := claim(t, db)
	if err := db.RetryJob(ctx, j, time.Now().Add(time.Hour), "later"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	upload := MustCreateVideo(t, db)
	enqueue(t, db, upload.ID)

	var got []string
	for {
		j, err := db.ClaimJob(ctx, "w", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		got = append(got, string(j.Kind)+" "+map[string]string{ready.ID: "ready", upload.ID: "upload", later.ID: "later"}[j.VideoID])
	}
	want := []string{"process upload", "edit ready", "transcribe ready", "thumbs ready"}
	if len(got) != 4 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("claimed %v, want %v (follow-ups in either order)", got, want)
	}
}

// TestSummaryStore: a done transcript with lines gets one summarize job
// however often the sweep runs; the summary is stored with its
// suggestions; a transcript redone later is summarized again (the old
// summary shows meanwhile); a pending summary whose job vanished fails
// with a reason.
func TestSummaryStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	v := mustReadyVideo(t, db, "", "Weekly", media.VisibilityLink)
	silent := mustReadyVideo(t, db, "", "Silent", media.VisibilityLink)
	transcribe := func(id string, segs ...media.Segment) {
		t.Helper()
		if err := db.Retranscribe(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishTranscript(ctx, claim(t, db), &media.Transcript{VideoID: id, Status: media.TranscriptDone, Engine: "test", Segments: segs}); err != nil {
			t.Fatal(err)
		}
	}
	transcribe(v.ID, media.Segment{StartMs: 0, EndMs: 2000, Text: "hello team"})
	transcribe(silent.ID)
	for i := 0; i < 3; i++ {
		if n, err := db.EnqueueSummaries(ctx, 5); err != nil || n != map[int]int{0: 1}[i] {
			t.Fatalf("sweep %d: enqueued %d, %v", i, n, err)
		}
	}
	if s, err := db.Summary(ctx, silent.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("a transcript without lines got a summary: %+v, %v", s, err)
	}
	j := claim(t, db)
	if j.Kind != media.JobSummarize || j.VideoID != v.ID {
		t.Fatalf("claimed %+v", j)
	}
	want := &media.Summary{VideoID: v.ID, Status: media.SummaryDone, Text: "Hello.", Model: "m",
		Chapters: []media.Chapter{{StartMs: 0, Title: "Start"}, {StartMs: 1000, Title: "Later"}}}
	if err := db.FinishSummary(ctx, j, want); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishSummary(ctx, j, want); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("finishing a finished job: %v, want conflict", err)
	}
	got, err := db.Summary(ctx, v.ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summary = %+v, %v; want %+v", got, err, want)
	}
	if n, _ := db.EnqueueSummaries(ctx, 5); n != 0 {
		t.Fatalf("a summarized video was enqueued again (%d)", n)
	}

	// The transcript is redone: summarized again, the old text showing.
	time.Sleep(5 * time.Millisecond)
	transcribe(v.ID, media.Segment{StartMs: 0, EndMs: 2000, Text: "hello again"})
	if n, _ := db.EnqueueSummaries(ctx, 5); n != 1 {
		t.Fatalf("a redone transcript enqueued %d summaries, want 1", n)
	}
	if got, _ := db.Summary(ctx, v.ID); got.Status != media.SummaryPending || got.Text != "Hello." {
		t.Fatalf("summary being redone = %+v", got)
	}
	// Its job runs out of attempts (the reaper drops it): failed, with a
	// reason, and not enqueued again.
	if err := db.CompleteJob(ctx, claim(t, db), func(*media.Video) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.EnqueueSummaries(ctx, 5); n != 0 {
		t.Fatalf("enqueued %d after the job vanished", n)
	}
	if got, _ := db.Summary(ctx, v.ID); got.Status != media.SummaryFailed || got.Error == "" {
		t.Fatalf("orphaned pending summary = %+v, want failed with a reason", got)
	}
}
