package gormstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestSearchFollowsCommentChanges: comments are indexed after they commit,
// and an edit or a delete made before or after that is what search shows.
func TestSearchFollowsCommentChanges(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	ann := mustUser(t, "ann@x", media.RoleMember)
	if err := db.CreateUser(ctx, ann, ""); err != nil {
		t.Fatal(err)
	}
	v := mustReadyVideo(t, db, ann.ID, "Weekly", media.VisibilityWorkspace)
	kept := MustComment(t, db, v.ID, "", 1000, "zebra crossing")
	edited := MustComment(t, db, v.ID, "", 2000, "giraffe neck")
	gone := MustComment(t, db, v.ID, "", 3000, "zebra stripes")
	_, _, err := db.UpdateComment(ctx, edited.ID, nil, func(_ *media.Video, c *media.Comment) (media.CommentEventType, error) {
		c.Body = "okapi forest"
		return media.CommentUpdated, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteComment(ctx, gone.ID, func(*media.Video, *media.Comment) error { return nil }); err != nil {
		t.Fatal(err)
	}
	search := func(term string) []media.SearchHit {
		t.Helper()
		hits, err := db.Search(ctx, media.SearchQuery{Viewer: ann.ID, Terms: []string{term}, Limit: 50, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	if got := search("zebra"); len(got) != 1 || got[0].Text != kept.Body {
		t.Fatalf("zebra: %+v, want only the kept comment (the other was deleted)", got)
	}
	if got := search("giraffe"); len(got) != 0 {
		t.Fatalf("giraffe: %+v, want nothing (edited away)", got)
	}
	if got := search("okapi"); len(got) != 1 || got[0].TimeMs != 2000 {
		t.Fatalf("okapi: %+v, want the edited comment", got)
	}
	// Edits after indexing are followed too, and indexing twice adds nothing.
	_, _, err = db.UpdateComment(ctx, kept.ID, nil, func(_ *media.Video, c *media.Comment) (media.CommentEventType, error) {
		c.Body = "okapi again"
		return media.CommentUpdated, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.IndexComments(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search("okapi"); len(got) != 2 {
		t.Fatalf("okapi: %+v, want both edited comments once each", got)
	}
	if got := search("zebra"); len(got) != 0 {
		t.Fatalf("zebra: %+v, want nothing", got)
	}
}

// TestSearchIndexCatchesUpAfterCrash: comments that committed but were not
// indexed (the process died in between: the cursor is behind them) are
// indexed when the database opens again, once each.
func TestSearchIndexCatchesUpAfterCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	db := MustOpen(t, path)
	ann := mustUser(t, "ann@x", media.RoleMember)
	if err := db.CreateUser(ctx, ann, ""); err != nil {
		t.Fatal(err)
	}
	v := mustReadyVideo(t, db, ann.ID, "Weekly", media.VisibilityWorkspace)
	for i := range 3 {
		MustComment(t, db, v.ID, "", int64(i)*1000, "walrus tusk")
	}
	if err := db.IndexComments(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What a crash right after the commits leaves: rows and events, no
	// index entries, the cursor where it was before them.
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM search_fts WHERE docid IN (SELECT docid FROM search_docs WHERE kind = 'comment')`,
		`DELETE FROM search_docs WHERE kind = 'comment'`,
		`UPDATE event_cursors SET seq = 0 WHERE name = 'search-index'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpen(t, path)
	hits, err := db.Search(ctx, media.SearchQuery{Viewer: ann.ID, Terms: []string{"walrus"}, Limit: 50, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Fatalf("walrus: %d hits, want the 3 comments once each: %+v", len(hits), hits)
	}
}
