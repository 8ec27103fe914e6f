package gormstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// New comments reach the SQLite search index after they commit, from the
// comment event log, not from a trigger inside the write: the FTS4 insert
// (a segment, its doclist, the statement journal of a savepoint) was two
// thirds of a comment INSERT's cost, paid per comment inside the batch
// that every writer waits for. The indexer is a cursor over the log
// (event_cursors, name searchCursor), moved in the same transaction that
// adds the rows, so a crash between a comment's commit and its indexing
// leaves the cursor behind it and the next pass (after the restart too)
// indexes it. It needs no lease: SQLite is one process.
//
// Each "created" event indexes its comment as the comments table has it
// when the indexer runs, so an edit or a delete that came first wins: the
// update and delete triggers (migration 10) still keep indexed comments
// current, and a comment they already indexed is skipped. Search drains
// the indexer before it reads, so a search sees every committed comment.
//
// Postgres keeps its trigger: its tsvector row is one B-tree and one GIN
// pending-list insert, and several processes would need the cursor's
// lease; migration 18 leaves it as it is.

const (
	searchCursor = "search-index"
	indexBatch   = 512
	// indexDelay gathers the comments of many write batches into one
	// indexing pass: each pass writes one FTS4 segment, and a segment per
	// write batch (a few comments each under load) cost as much again as
	// the writes themselves, in the inserts and the merges they cause.
	indexDelay = 25 * time.Millisecond
)

type searchIndexer struct {
	mu      sync.Mutex // one pass at a time
	kickMu  sync.Mutex
	running bool
	again   bool
	wg      sync.WaitGroup
}

// kickIndex starts an indexing pass in the background unless one is
// running, in which case that one makes another pass when it is done.
func (db *DB) kickIndex() {
	if db.pg {
		return
	}
	ix := &db.index
	ix.kickMu.Lock()
	defer ix.kickMu.Unlock()
	if ix.running {
		ix.again = true
		return
	}
	ix.running = true
	ix.wg.Add(1)
	go func() {
		defer ix.wg.Done()
		for {
			time.Sleep(indexDelay)
			if err := db.indexComments(context.Background()); err != nil {
				db.log.Warn("search: index comments", "err", err)
			}
			ix.kickMu.Lock()
			if !ix.again {
				ix.running = false
				ix.kickMu.Unlock()
				return
			}
			ix.again = false
			ix.kickMu.Unlock()
		}
	}()
}

// IndexComments indexes every committed comment the search index does not
// have yet and returns when it is done. Search calls it; so can a test.
func (db *DB) IndexComments(ctx context.Context) error { return db.indexComments(ctx) }

func (db *DB) indexComments(ctx context.Context) error {
	if db.pg {
		return nil
	}
	db.index.mu.Lock()
	defer db.index.mu.Unlock()
	// A look on a reader first: a search on a quiet server must not take
	// the write lock.
	var behind bool
	err := db.r.WithContext(ctx).Raw(`SELECT COALESCE((SELECT MAX(id) FROM comment_events), 0) > COALESCE((SELECT seq FROM event_cursors WHERE name = ?), 0)`,
		searchCursor).Scan(&behind).Error
	if err != nil {
		return fmt.Errorf("gormstore: search index position: %w", err)
	}
	for behind {
		n, err := db.indexBatch(ctx)
		if err != nil {
			return err
		}
		behind = n == indexBatch
	}
	return nil
}

// indexBatch indexes the comments created by the next indexBatch events
// and moves the cursor past those events, in one transaction.
func (db *DB) indexBatch(ctx context.Context) (int, error) {
	var n int
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var seq int64
		if err := tx.Raw(`SELECT seq FROM event_cursors WHERE name = ?`, searchCursor).Scan(&seq).Error; err != nil {
			return err
		}
		var evs []struct {
			ID        int64
			Type      string
			CommentID string
		}
		if err := tx.Raw(`SELECT id, type, comment_id FROM comment_events WHERE id > ? ORDER BY id LIMIT ?`, seq, indexBatch).Scan(&evs).Error; err != nil {
			return err
		}
		n = len(evs)
		if n == 0 {
			return nil
		}
		ids := make([]string, 0, n)
		for _, ev := range evs {
			if ev.Type == string(media.CommentCreated) && ev.CommentID != "" {
				ids = append(ids, ev.CommentID)
			}
		}
		if len(ids) > 0 {
			// search_docs ids only grow (AUTOINCREMENT) and this is the
			// one writer, so the rows added here are those above top.
			var top int64
			if err := tx.Raw(`SELECT COALESCE(MAX(docid), 0) FROM search_docs`).Scan(&top).Error; err != nil {
				return err
			}
			err := tx.Exec(`INSERT INTO search_docs(kind, ref, video_id, time_ms)
				SELECT 'comment', c.id, c.video_id, c.time_ms FROM comments c
				WHERE c.id IN (?) AND c.deleted = FALSE
					AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.kind = 'comment' AND d.ref = c.id)
				ORDER BY c.id`, ids).Error
			if err != nil {
				return err
			}
			err = tx.Exec(`INSERT INTO search_fts(docid, text)
				SELECT d.docid, c.body FROM search_docs d JOIN comments c ON c.id = d.ref
				WHERE d.docid > ? AND d.kind = 'comment'`, top).Error
			if err != nil {
				return err
			}
		}
		return tx.Exec(`UPDATE event_cursors SET seq = ? WHERE name = ?`, evs[n-1].ID, searchCursor).Error
	})
	if err != nil {
		return 0, fmt.Errorf("gormstore: index comments: %w", err)
	}
	return n, nil
}
