package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var _ media.CommentStore = (*DB)(nil)

// commentRow is the comments table. A thread's parent_id is NULL (the
// foreign key needs it); times are unix milliseconds, 0 for "never".
type commentRow struct {
	ID              string `gorm:"primaryKey"`
	VideoID         string
	ParentID        *string
	TimeMs          int64
	EndMs           int64
	Body            string
	AuthorName      string
	AuthorUserID    string
	ByOwner         bool
	GuestSecretHash string
	Resolved        bool
	ResolvedAt      int64
	Deleted         bool
	EditedAt        int64
	CreatedAt       int64 `gorm:"autoCreateTime:false"`
	UpdatedAt       int64 `gorm:"autoUpdateTime:false"`
}

func (commentRow) TableName() string { return "comments" }

func toCommentRow(c *media.Comment) *commentRow {
	r := &commentRow{
		ID: c.ID, VideoID: c.VideoID, TimeMs: c.TimeMs, EndMs: c.EndMs, Body: c.Body,
		AuthorName: c.AuthorName, AuthorUserID: c.AuthorUserID, ByOwner: c.ByOwner,
		GuestSecretHash: c.GuestSecretHash, Resolved: c.Resolved, ResolvedAt: millis(c.ResolvedAt),
		Deleted: c.Deleted, EditedAt: millis(c.EditedAt),
		CreatedAt: millis(c.CreatedAt), UpdatedAt: millis(c.UpdatedAt),
	}
	if c.ParentID != "" {
		p := c.ParentID
		r.ParentID = &p
	}
	return r
}

func (r *commentRow) comment() *media.Comment {
	c := &media.Comment{
		ID: r.ID, VideoID: r.VideoID, TimeMs: r.TimeMs, EndMs: r.EndMs, Body: r.Body,
		AuthorName: r.AuthorName, AuthorUserID: r.AuthorUserID, ByOwner: r.ByOwner,
		GuestSecretHash: r.GuestSecretHash, Resolved: r.Resolved, ResolvedAt: fromMillis(r.ResolvedAt),
		Deleted: r.Deleted, EditedAt: fromMillis(r.EditedAt),
		CreatedAt: fromMillis(r.CreatedAt), UpdatedAt: fromMillis(r.UpdatedAt),
	}
	if r.ParentID != nil {
		c.ParentID = *r.ParentID
	}
	return c
}

type reactionRow struct {
	ID          string `gorm:"primaryKey"`
	VideoID     string
	Emoji       string
	TimeMs      int64
	UserID      string
	ReactorHash string
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (reactionRow) TableName() string { return "reactions" }

func (r *reactionRow) reaction() *media.Reaction {
	return &media.Reaction{
		ID: r.ID, VideoID: r.VideoID, Emoji: r.Emoji, TimeMs: r.TimeMs,
		UserID: r.UserID, ReactorHash: r.ReactorHash, CreatedAt: fromMillis(r.CreatedAt),
	}
}

type eventRow struct {
	ID        int64 `gorm:"primaryKey"`
	VideoID   string
	Type      string
	CommentID *string
	Payload   string
	CreatedAt int64 `gorm:"autoCreateTime:false"`
}

func (eventRow) TableName() string { return "comment_events" }

// eventPayload is what comment_events.payload holds. It is this package's
// own shape, not the API's, and it never holds secrets' hashes.
type eventPayload struct {
	Comment  *commentPayload  `json:"comment,omitempty"`
	Removed  bool             `json:"removed,omitempty"`
	Reaction *reactionPayload `json:"reaction,omitempty"`
	Counts   map[string]int   `json:"counts,omitempty"`
}

type commentPayload struct {
	ID           string `json:"id"`
	VideoID      string `json:"videoId"`
	ParentID     string `json:"parentId,omitempty"`
	TimeMs       int64  `json:"timeMs"`
	EndMs        int64  `json:"endMs,omitempty"`
	Body         string `json:"body"`
	AuthorName   string `json:"authorName"`
	AuthorUserID string `json:"authorUserId,omitempty"`
	ByOwner      bool   `json:"byOwner,omitempty"`
	Resolved     bool   `json:"resolved,omitempty"`
	ResolvedAt   int64  `json:"resolvedAt,omitempty"`
	Deleted      bool   `json:"deleted,omitempty"`
	EditedAt     int64  `json:"editedAt,omitempty"`
	CreatedAt    int64  `json:"createdAt"`
	UpdatedAt    int64  `json:"updatedAt"`
}

type reactionPayload struct {
	ID        string `json:"id"`
	VideoID   string `json:"videoId"`
	Emoji     string `json:"emoji"`
	TimeMs    int64  `json:"timeMs"`
	UserID    string `json:"userId,omitempty"`
	CreatedAt int64  `json:"createdAt"`
}

func toCommentPayload(c *media.Comment) *commentPayload {
	return &commentPayload{
		ID: c.ID, VideoID: c.VideoID, ParentID: c.ParentID, TimeMs: c.TimeMs, EndMs: c.EndMs,
		Body: c.Body, AuthorName: c.AuthorName, AuthorUserID: c.AuthorUserID, ByOwner: c.ByOwner,
		Resolved: c.Resolved, ResolvedAt: millis(c.ResolvedAt), Deleted: c.Deleted,
		EditedAt: millis(c.EditedAt), CreatedAt: millis(c.CreatedAt), UpdatedAt: millis(c.UpdatedAt),
	}
}

func (p *commentPayload) comment() *media.Comment {
	return &media.Comment{
		ID: p.ID, VideoID: p.VideoID, ParentID: p.ParentID, TimeMs: p.TimeMs, EndMs: p.EndMs,
		Body: p.Body, AuthorName: p.AuthorName, AuthorUserID: p.AuthorUserID, ByOwner: p.ByOwner,
		Resolved: p.Resolved, ResolvedAt: fromMillis(p.ResolvedAt), Deleted: p.Deleted,
		EditedAt: fromMillis(p.EditedAt), CreatedAt: fromMillis(p.CreatedAt), UpdatedAt: fromMillis(p.UpdatedAt),
	}
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// nowMillis is the current time at the precision it is stored with, so what
// a write returns equals what a later read returns.
func nowMillis() time.Time { return time.UnixMilli(time.Now().UnixMilli()).UTC() }

// appendEvent stores ev in tx and sets its Seq.
func appendEvent(tx *gorm.DB, ev *media.CommentEvent) error {
	p := eventPayload{Removed: ev.Removed, Counts: ev.Counts}
	var commentID any // NULL for reaction events
	if ev.Comment != nil {
		p.Comment = toCommentPayload(ev.Comment)
		commentID = ev.Comment.ID
	}
	if r := ev.Reaction; r != nil {
		p.Reaction = &reactionPayload{ID: r.ID, VideoID: r.VideoID, Emoji: r.Emoji, TimeMs: r.TimeMs, UserID: r.UserID, CreatedAt: millis(r.CreatedAt)}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("gormstore: encode event: %w", err)
	}
	ev.CreatedAt = nowMillis()
	if err := lockEventOrder(tx); err != nil {
		return err
	}
	err = queryRowRaw(tx, `INSERT INTO comment_events (video_id, type, comment_id, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		ev.VideoID, string(ev.Type), commentID, string(b), millis(ev.CreatedAt)).Scan(&ev.Seq)
	if err != nil {
		return fmt.Errorf("gormstore: append event: %w", err)
	}
	return nil
}

// execRaw runs a statement on tx's connection directly, skipping GORM's
// statement building on the hot write path.
func execRaw(tx *gorm.DB, query string, args ...any) (sql.Result, error) {
	if isPG(tx) {
		query = rebind(query)
	}
	return tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
}

// rewriteEvents replaces the comment in the earlier events that show it
// with its current state, so that an edited or deleted text does not live
// on in the history that streams replay.
func rewriteEvents(tx *gorm.DB, c *media.Comment, before int64) error {
	b, err := json.Marshal(eventPayload{Comment: toCommentPayload(c)})
	if err != nil {
		return fmt.Errorf("gormstore: encode event: %w", err)
	}
	err = tx.Exec(`UPDATE comment_events SET payload = ? WHERE comment_id = ? AND id < ? AND type IN (?, ?, ?, ?)`,
		string(b), c.ID, before, media.CommentCreated, media.CommentUpdated, media.CommentResolved, media.CommentReopened).Error
	if err != nil {
		return fmt.Errorf("gormstore: rewrite events: %w", err)
	}
	return nil
}

func (db *DB) decodeEvent(r *eventRow) (*media.CommentEvent, error) {
	var p eventPayload
	if err := json.Unmarshal([]byte(r.Payload), &p); err != nil {
		return nil, fmt.Errorf("gormstore: decode event %d: %w", r.ID, err)
	}
	ev := &media.CommentEvent{
		Seq: r.ID, VideoID: r.VideoID, Type: media.CommentEventType(r.Type),
		Removed: p.Removed, Counts: p.Counts, CreatedAt: fromMillis(r.CreatedAt),
	}
	if p.Comment != nil {
		ev.Comment = p.Comment.comment()
	}
	if q := p.Reaction; q != nil {
		ev.Reaction = &media.Reaction{ID: q.ID, VideoID: q.VideoID, Emoji: q.Emoji, TimeMs: q.TimeMs, UserID: q.UserID, CreatedAt: fromMillis(q.CreatedAt)}
	}
	return ev, nil
}

func findComment(ctx context.Context, g *gorm.DB, id string) (*media.Comment, error) {
	var row commentRow
	err := g.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Comment not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: find comment: %w", err)
	}
	return row.comment(), nil
}

func saveComment(tx *gorm.DB, c *media.Comment) error {
	err := tx.Model(&commentRow{}).Where("id = ?", c.ID).Select("*").
		Omit("id", "video_id", "parent_id", "created_at").Updates(toCommentRow(c)).Error
	if err != nil {
		return fmt.Errorf("gormstore: save comment: %w", err)
	}
	return nil
}

func countReplies(tx *gorm.DB, id string) (int64, error) {
	var n int64
	if err := tx.Model(&commentRow{}).Where("parent_id = ?", id).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("gormstore: count replies: %w", err)
	}
	return n, nil
}

func reactionCounts(tx *gorm.DB, videoID string) (map[string]int, error) {
	var rows []struct {
		Emoji string
		N     int
	}
	if err := tx.Raw(`SELECT emoji, COUNT(*) AS n FROM reactions WHERE video_id = ? GROUP BY emoji`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: count reactions: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Emoji] = r.N
	}
	return out, nil
}

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

type commentQueue struct {
	mu      sync.Mutex
	pending []*commentOp
	leading bool
	publish func(*media.CommentEvent)
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
	q.mu.Lock()
	n := min(len(q.pending), maxCommentBatch)
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
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
	err := db.w.WithContext(context.Background()).Transaction(func(tx *gorm.DB) error {
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
			if _, err := execRaw(tx, `SAVEPOINT comment_op`); err != nil {
				return fmt.Errorf("gormstore: savepoint: %w", err)
			}
			op.evs, op.err = runOp(op, tx, video)
			if op.err != nil {
				op.evs = nil
				if _, err := execRaw(tx, `ROLLBACK TO comment_op`); err != nil {
					return fmt.Errorf("gormstore: roll back to savepoint: %w", err)
				}
			}
			if _, err := execRaw(tx, `RELEASE comment_op`); err != nil {
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

func insertComment(tx *gorm.DB, c *media.Comment) error {
	var parent any // NULL for a thread
	if c.ParentID != "" {
		parent = c.ParentID
	}
	_, err := execRaw(tx, `INSERT INTO comments (id, video_id, parent_id, time_ms, end_ms, body, author_name, author_user_id,
		by_owner, guest_secret_hash, resolved, resolved_at, deleted, edited_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.VideoID, parent, c.TimeMs, c.EndMs, c.Body, c.AuthorName, c.AuthorUserID,
		c.ByOwner, c.GuestSecretHash, c.Resolved, millis(c.ResolvedAt), c.Deleted, millis(c.EditedAt),
		millis(c.CreatedAt), millis(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("gormstore: create comment: %w", err)
	}
	return nil
}

// CreateComment inserts c and its event after check approves.
func (db *DB) CreateComment(ctx context.Context, c *media.Comment, check func(*media.Video, *media.Comment) error) (*media.CommentEvent, error) {
	evs, err := db.commentWrite(ctx, func(tx *gorm.DB, video func(string) (*media.Video, error)) ([]*media.CommentEvent, error) {
		v, err := video(c.VideoID)
		if err != nil {
			return nil, err
		}
		var parent *media.Comment
		if c.ParentID != "" {
			parent, err = findComment(tx.Statement.Context, tx, c.ParentID)
			if media.ErrorCode(err) == media.ENOTFOUND || err == nil && parent.VideoID != c.VideoID {
				return nil, media.Errorf(media.EINVALID, "parentId does not name a comment of this video.")
			}
			if err != nil {
				return nil, err
			}
		}
		if err := check(v, parent); err != nil {
			return nil, err
		}
		c.CreatedAt = nowMillis()
		c.UpdatedAt = c.CreatedAt
		if err := insertComment(tx, c); err != nil {
			return nil, err
		}
		ev := &media.CommentEvent{VideoID: c.VideoID, Type: media.CommentCreated, Comment: c}
		return []*media.CommentEvent{ev}, appendEvent(tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// Comment returns the comment with id.
func (db *DB) Comment(ctx context.Context, id string) (*media.Comment, error) {
	return findComment(ctx, db.r, id)
}

// UpdateComment applies fn to the comment and stores the change with its
// event.
func (db *DB) UpdateComment(ctx context.Context, id string, fn func(*media.Video, *media.Comment) (media.CommentEventType, error)) (*media.Comment, *media.CommentEvent, error) {
	var out *media.Comment
	evs, err := db.commentWrite(ctx, func(tx *gorm.DB, video func(string) (*media.Video, error)) ([]*media.CommentEvent, error) {
		c, err := findComment(tx.Statement.Context, tx, id)
		if err != nil {
			return nil, err
		}
		v, err := video(c.VideoID)
		if err != nil {
			return nil, err
		}
		typ, err := fn(v, c)
		if err != nil {
			return nil, err
		}
		out = c
		if typ == "" {
			return nil, nil
		}
		c.UpdatedAt = nowMillis()
		if err := saveComment(tx, c); err != nil {
			return nil, err
		}
		ev := &media.CommentEvent{VideoID: c.VideoID, Type: typ, Comment: c}
		if err := appendEvent(tx, ev); err != nil {
			return nil, err
		}
		if typ == media.CommentUpdated {
			if err := rewriteEvents(tx, c, ev.Seq); err != nil {
				return nil, err
			}
		}
		return []*media.CommentEvent{ev}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	var ev *media.CommentEvent
	if len(evs) > 0 {
		ev = evs[0]
	}
	return out, ev, nil
}

// DeleteComment deletes the comment (or blanks a thread with replies to a
// placeholder) with its events.
func (db *DB) DeleteComment(ctx context.Context, id string, check func(*media.Video, *media.Comment) error) ([]*media.CommentEvent, error) {
	return db.commentWrite(ctx, func(tx *gorm.DB, video func(string) (*media.Video, error)) ([]*media.CommentEvent, error) {
		var evs []*media.CommentEvent
		c, err := findComment(tx.Statement.Context, tx, id)
		if err != nil {
			return nil, err
		}
		v, err := video(c.VideoID)
		if err != nil {
			return nil, err
		}
		if err := check(v, c); err != nil {
			return nil, err
		}
		now := nowMillis()
		blank := func(c *media.Comment) {
			c.Deleted, c.Body, c.AuthorName, c.UpdatedAt = true, "", "", now
		}
		if c.IsThread() {
			n, err := countReplies(tx, c.ID)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				blank(c)
				if err := saveComment(tx, c); err != nil {
					return nil, err
				}
				ev := &media.CommentEvent{VideoID: c.VideoID, Type: media.CommentDeleted, Comment: c}
				if err := appendEvent(tx, ev); err != nil {
					return nil, err
				}
				return []*media.CommentEvent{ev}, rewriteEvents(tx, c, ev.Seq)
			}
		}
		// remove deletes a comment row for good, with an event and its
		// history blanked.
		remove := func(c *media.Comment) error {
			if _, err := execRaw(tx, `DELETE FROM comments WHERE id = ?`, c.ID); err != nil {
				return fmt.Errorf("gormstore: delete comment: %w", err)
			}
			blank(c)
			ev := &media.CommentEvent{VideoID: c.VideoID, Type: media.CommentDeleted, Comment: c, Removed: true}
			if err := appendEvent(tx, ev); err != nil {
				return err
			}
			evs = append(evs, ev)
			return rewriteEvents(tx, c, ev.Seq)
		}
		if err := remove(c); err != nil {
			return nil, err
		}
		if c.IsThread() {
			return evs, nil
		}
		parent, err := findComment(tx.Statement.Context, tx, c.ParentID)
		if err != nil {
			return nil, err
		}
		if !parent.Deleted {
			return evs, nil
		}
		if n, err := countReplies(tx, parent.ID); err != nil || n > 0 {
			return evs, err
		}
		return evs, remove(parent)
	})
}

// Threads returns a page of threads with their replies, in one snapshot.
func (db *DB) Threads(ctx context.Context, videoID string, opt media.ThreadOptions) (*media.ThreadPage, error) {
	page := &media.ThreadPage{}
	err := db.readTx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("video_id = ? AND parent_id IS NULL", videoID)
		if opt.AfterID != "" {
			q = q.Where("(time_ms > ? OR (time_ms = ? AND id > ?))", opt.AfterTimeMs, opt.AfterTimeMs, opt.AfterID)
		}
		var rows []commentRow
		if err := q.Order("time_ms, id").Limit(opt.Limit + 1).Find(&rows).Error; err != nil {
			return fmt.Errorf("gormstore: list threads: %w", err)
		}
		if len(rows) > opt.Limit {
			rows, page.More = rows[:opt.Limit], true
		}
		byID := make(map[string]*media.Comment, len(rows))
		ids := make([]string, 0, len(rows))
		for i := range rows {
			c := rows[i].comment()
			c.Replies = []*media.Comment{}
			page.Threads = append(page.Threads, c)
			byID[c.ID] = c
			ids = append(ids, c.ID)
		}
		if len(ids) > 0 {
			var replies []commentRow
			if err := tx.Where("video_id = ? AND parent_id IN ?", videoID, ids).Order("id").Find(&replies).Error; err != nil {
				return fmt.Errorf("gormstore: list replies: %w", err)
			}
			for i := range replies {
				r := replies[i].comment()
				if t := byID[r.ParentID]; t != nil {
					t.Replies = append(t.Replies, r)
				}
			}
		}
		if err := tx.Raw(`SELECT COUNT(*) FROM comments WHERE video_id = ? AND deleted = FALSE`, videoID).Scan(&page.Count).Error; err != nil {
			return fmt.Errorf("gormstore: count comments: %w", err)
		}
		var err error
		if page.Counts, err = reactionCounts(tx, videoID); err != nil {
			return err
		}
		if err := tx.Raw(`SELECT COALESCE(MAX(id), 0) FROM comment_events WHERE video_id = ?`, videoID).Scan(&page.LastEventSeq).Error; err != nil {
			return fmt.Errorf("gormstore: last event: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// AddReaction inserts r and its event after check approves.
func (db *DB) AddReaction(ctx context.Context, r *media.Reaction, check func(*media.Video) error) (*media.CommentEvent, error) {
	evs, err := db.commentWrite(ctx, func(tx *gorm.DB, video func(string) (*media.Video, error)) ([]*media.CommentEvent, error) {
		v, err := video(r.VideoID)
		if err != nil {
			return nil, err
		}
		if err := check(v); err != nil {
			return nil, err
		}
		r.CreatedAt = nowMillis()
		_, err = execRaw(tx, `INSERT INTO reactions (id, video_id, emoji, time_ms, user_id, reactor_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.VideoID, r.Emoji, r.TimeMs, r.UserID, r.ReactorHash, millis(r.CreatedAt))
		if err != nil {
			return nil, fmt.Errorf("gormstore: create reaction: %w", err)
		}
		counts, err := reactionCounts(tx, r.VideoID)
		if err != nil {
			return nil, err
		}
		ev := &media.CommentEvent{VideoID: r.VideoID, Type: media.ReactionAdded, Reaction: r, Counts: counts}
		return []*media.CommentEvent{ev}, appendEvent(tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

func findReaction(ctx context.Context, g *gorm.DB, id string) (*media.Reaction, error) {
	var row reactionRow
	err := g.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Reaction not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: find reaction: %w", err)
	}
	return row.reaction(), nil
}

// Reaction returns the reaction with id.
func (db *DB) Reaction(ctx context.Context, id string) (*media.Reaction, error) {
	return findReaction(ctx, db.r, id)
}

// RemoveReaction deletes the reaction with its event after check approves.
func (db *DB) RemoveReaction(ctx context.Context, id string, check func(*media.Video, *media.Reaction) error) (*media.CommentEvent, error) {
	evs, err := db.commentWrite(ctx, func(tx *gorm.DB, video func(string) (*media.Video, error)) ([]*media.CommentEvent, error) {
		r, err := findReaction(tx.Statement.Context, tx, id)
		if err != nil {
			return nil, err
		}
		v, err := video(r.VideoID)
		if err != nil {
			return nil, err
		}
		if err := check(v, r); err != nil {
			return nil, err
		}
		if _, err := execRaw(tx, `DELETE FROM reactions WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("gormstore: delete reaction: %w", err)
		}
		counts, err := reactionCounts(tx, r.VideoID)
		if err != nil {
			return nil, err
		}
		ev := &media.CommentEvent{VideoID: r.VideoID, Type: media.ReactionRemoved, Reaction: r, Counts: counts}
		return []*media.CommentEvent{ev}, appendEvent(tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// Reactions returns a page of the video's reactions and its counts.
func (db *DB) Reactions(ctx context.Context, videoID string, opt media.ReactionOptions) (*media.ReactionPage, error) {
	page := &media.ReactionPage{}
	err := db.readTx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("video_id = ?", videoID)
		if opt.AfterID != "" {
			q = q.Where("(time_ms > ? OR (time_ms = ? AND id > ?))", opt.AfterTimeMs, opt.AfterTimeMs, opt.AfterID)
		}
		var rows []reactionRow
		if err := q.Order("time_ms, id").Limit(opt.Limit + 1).Find(&rows).Error; err != nil {
			return fmt.Errorf("gormstore: list reactions: %w", err)
		}
		if len(rows) > opt.Limit {
			rows, page.More = rows[:opt.Limit], true
		}
		for i := range rows {
			page.Reactions = append(page.Reactions, rows[i].reaction())
		}
		var err error
		page.Counts, err = reactionCounts(tx, videoID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// CommentEvents returns the video's events after seq, oldest first.
func (db *DB) CommentEvents(ctx context.Context, videoID string, after int64, limit int) ([]*media.CommentEvent, error) {
	var rows []eventRow
	err := db.r.WithContext(ctx).Where("video_id = ? AND id > ?", videoID, after).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: list events: %w", err)
	}
	out := make([]*media.CommentEvent, 0, len(rows))
	for i := range rows {
		ev, err := db.decodeEvent(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// LastCommentEvent returns the newest event's Seq of the video and overall.
func (db *DB) LastCommentEvent(ctx context.Context, videoID string) (video, all int64, err error) {
	err = db.r.WithContext(ctx).Raw(`SELECT
		(SELECT COALESCE(MAX(id), 0) FROM comment_events WHERE video_id = ?) AS video,
		(SELECT COALESCE(MAX(id), 0) FROM comment_events) AS "all"`, videoID).Row().Scan(&video, &all)
	if err != nil {
		return 0, 0, fmt.Errorf("gormstore: last event: %w", err)
	}
	return video, all, nil
}
