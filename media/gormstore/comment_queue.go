package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// Comment writes are committed in batches: SQLite has one writer, and
// what limits it is the cost of each transaction (begin, commit, the
// statements prepared for it), not of each row. A caller that finds no
// batch being written leads: it takes every write waiting (its own first),
// commits them in one transaction, each inside its own savepoint so that
// one refusal does not undo the others, publishes their events in commit
// order, and hands the lead to the first write that queued meanwhile. No
// goroutine outlives the calls, and events reach the publish function in
// exactly the order of their Seq.

// maxCommentBatch bounds a transaction, so the first writes of a burst are
// not held back by the last.
const maxCommentBatch = 256

// A leader that finds itself alone right after a batch of at least
// gatherAfter writes waits up to gatherWait for half as many to join it.
// Under load, the callers the last batch answered are about to send their
// next writes; without the wait every other batch was a lone write (531
// of 779 batches in bench/comments), and each batch pays its own BEGIN,
// video read, COMMIT and search-index segment. A write that comes alone
// to a quiet server never waits.
const (
	gatherAfter = 8
	gatherWait  = 2 * time.Millisecond
)

type commentQueue struct {
	mu      sync.Mutex
	pending []*commentOp
	leading bool
	publish func(*media.CommentEvent)
	// last is the size of the last batch; gathering, while a leader
	// waits, is closed once want writes are pending.
	last      int
	gathering chan struct{}
	want      int
}

// gather holds a lone leader back briefly after a large batch (see
// gatherAfter).
func (q *commentQueue) gather() {
	q.mu.Lock()
	if len(q.pending) > 1 || q.last < gatherAfter {
		q.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	q.gathering, q.want = ch, q.last/2
	q.mu.Unlock()
	t := time.NewTimer(gatherWait)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	q.mu.Lock()
	q.gathering = nil
	q.mu.Unlock()
}

// commentOp is one write: run does it inside the batch's transaction,
// with the batch's cache of videos (which no comment write changes).
type commentOp struct {
	ctx  context.Context
	run  func(tx *gorm.DB, video func(id string) (*media.Video, error)) ([]*media.CommentEvent, error)
	evs  []*media.CommentEvent
	err  error
	done chan struct{} // closed when evs and err are set
	lead chan struct{} // closed when this op's caller must lead
}

// OnCommentEvent sets the function that receives every committed event, in
// commit order (the live hub's Publish).
func (db *DB) OnCommentEvent(publish func(*media.CommentEvent)) {
	db.comments.mu.Lock()
	defer db.comments.mu.Unlock()
	db.comments.publish = publish
}

// commentWrite queues run and returns when its batch is committed.
func (db *DB) commentWrite(ctx context.Context, run func(*gorm.DB, func(string) (*media.Video, error)) ([]*media.CommentEvent, error)) ([]*media.CommentEvent, error) {
	q := &db.comments
	op := &commentOp{ctx: ctx, run: run, done: make(chan struct{}), lead: make(chan struct{})}
	q.mu.Lock()
	q.pending = append(q.pending, op)
	lead := !q.leading
	q.leading = true
	if q.gathering != nil && len(q.pending) >= q.want {
		close(q.gathering)
		q.gathering = nil
	}
	q.mu.Unlock()
	if !lead {
		// The op stays queued until a leader runs it or hands this caller
		// the lead; cancelling ctx only makes the leader skip it.
		select {
		case <-op.done:
			return op.evs, op.err
		case <-op.lead:
		}
	}
	q.gather()
	q.mu.Lock()
	n := min(len(q.pending), maxCommentBatch)
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	q.last = n
	publish := q.publish
	q.mu.Unlock()

	defer func() {
		// Hand the lead on even if this batch panicked, or every later
		// comment write would wait for good.
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.leading = false
		} else {
			close(q.pending[0].lead)
		}
		q.mu.Unlock()
	}()
	db.commitBatch(batch, publish)
	return op.evs, op.err
}

func (db *DB) commitBatch(batch []*commentOp, publish func(*media.CommentEvent)) {
	defer func() {
		for _, op := range batch {
			close(op.done)
		}
	}()
	videos := map[string]*media.Video{}
	bound := &boundStmts{db: db, m: make(map[string]*sql.Stmt, len(hotQueries))}
	ctx := context.WithValue(context.Background(), boundKey{}, bound)
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		bound.tx, _ = tx.Statement.ConnPool.(*sql.Tx)
		video := func(id string) (*media.Video, error) {
			if v, ok := videos[id]; ok {
				cp := *v
				return &cp, nil
			}
			v, err := db.findVideo(tx.Statement.Context, tx, "id = ?", id)
			if err != nil {
				return nil, err
			}
			videos[id] = v
			cp := *v
			return &cp, nil
		}
		// Before any row lock, so that batches of two processes cannot
		// deadlock on videos and the event order.
		if err := lockEventOrder(tx); err != nil {
			return err
		}
		for _, op := range batch {
			if op.err = op.ctx.Err(); op.err != nil {
				continue
			}
			if _, err := execRaw(tx, sqlSavepoint); err != nil {
				return fmt.Errorf("gormstore: savepoint: %w", err)
			}
			op.evs, op.err = runOp(op, tx, video)
			if op.err != nil {
				op.evs = nil
				if _, err := execRaw(tx, sqlRollbackTo); err != nil {
					return fmt.Errorf("gormstore: roll back to savepoint: %w", err)
				}
			}
			if _, err := execRaw(tx, sqlRelease); err != nil {
				return fmt.Errorf("gormstore: release savepoint: %w", err)
			}
		}
		var top int64
		for _, op := range batch {
			for _, ev := range op.evs {
				top = max(top, ev.Seq)
			}
		}
		if top > 0 {
			return notifyTx(tx, db, "c", strconv.FormatInt(top, 10))
		}
		return nil
	})
	var last int64
	for _, op := range batch {
		if err != nil && op.err == nil {
			op.evs, op.err = nil, fmt.Errorf("gormstore: commit comments: %w", err)
		}
		for _, ev := range op.evs {
			last = max(last, ev.Seq)
		}
		if db.feed != nil {
			// Every process, this one too, publishes from the feed, in
			// id order (feed.go).
			continue
		}
		if publish != nil {
			for _, ev := range op.evs {
				publish(ev)
			}
		}
	}
	if db.feed != nil && last > 0 {
		db.feed.waitDelivered(last)
	}
}

// runOp runs one write, turning a panic in it (a bug in a check) into its
// error, so the rest of the batch still commits.
func runOp(op *commentOp, tx *gorm.DB, video func(string) (*media.Video, error)) (evs []*media.CommentEvent, err error) {
	defer func() {
		if r := recover(); r != nil {
			evs, err = nil, fmt.Errorf("gormstore: comment write panicked: %v", r)
		}
	}()
	return op.run(tx, video)
}

// execRaw runs a statement on tx's connection directly, skipping GORM's
// statement building on the hot write path; inside a comment batch, the
// hot statements run prepared.
func execRaw(tx *gorm.DB, query string, args ...any) (sql.Result, error) {
	if st := boundStmt(tx, query); st != nil {
		return st.ExecContext(tx.Statement.Context, args...)
	}
	if isPG(tx) {
		query = rebind(query)
	}
	return tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
}

// The statements every comment write runs. Each used to be parsed and
// planned again per comment (SQLite compiles a table's triggers and
// foreign key checks into every INSERT), a fifth of a comment's write
// cost. They are prepared once when the database opens and bound to each
// batch's transaction once (database/sql keeps one prepared copy per
// connection and prepares it again on a new connection by itself). Not
// GORM's PrepareStmt: that prepares everything GORM runs, migrations too.
const (
	sqlSavepoint     = `SAVEPOINT comment_op`
	sqlRollbackTo    = `ROLLBACK TO comment_op`
	sqlRelease       = `RELEASE comment_op`
	sqlInsertComment = `INSERT INTO comments (id, video_id, parent_id, time_ms, end_ms, body, author_name, author_user_id,
		by_owner, guest_secret_hash, resolved, resolved_at, deleted, edited_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// sqlAppendEvent ends with RETURNING id on Postgres (appendEvent).
	sqlAppendEvent = `INSERT INTO comment_events (video_id, type, comment_id, payload, created_at, notify) VALUES (?, ?, ?, ?, ?, ?)`
)

var hotQueries = []string{sqlSavepoint, sqlRollbackTo, sqlRelease, sqlInsertComment, sqlAppendEvent, sqlAppendEvent + ` RETURNING id`}

// prepareHot prepares hotQueries on the writer pool. On SQLite it must run
// before any transaction holds the one writer connection.
func (db *DB) prepareHot(ctx context.Context) error {
	sdb, err := db.w.DB()
	if err != nil {
		return fmt.Errorf("gormstore: %w", err)
	}
	db.hot = make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		pq := q
		if db.pg {
			pq = rebind(q)
		}
		st, err := sdb.PrepareContext(ctx, pq)
		if err != nil {
			return fmt.Errorf("gormstore: prepare %q: %w", q, err)
		}
		db.hot[q] = st
	}
	return nil
}

type boundKey struct{}

// boundStmts are the hot statements bound to one batch's transaction, each
// bound on first use.
type boundStmts struct {
	db *DB
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func boundStmt(tx *gorm.DB, query string) *sql.Stmt {
	b, _ := tx.Statement.Context.Value(boundKey{}).(*boundStmts)
	if b == nil || b.tx == nil || b.tx != tx.Statement.ConnPool {
		return nil
	}
	if st, ok := b.m[query]; ok {
		return st
	}
	parent, ok := b.db.hot[query]
	if !ok {
		return nil
	}
	st := b.tx.StmtContext(tx.Statement.Context, parent)
	b.m[query] = st
	return st
}
