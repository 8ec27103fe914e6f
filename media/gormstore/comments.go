package gormstore

import (
	"context"
	"errors"
	"fmt"

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

func insertComment(tx *gorm.DB, c *media.Comment) error {
	var parent any // NULL for a thread
	if c.ParentID != "" {
		parent = c.ParentID
	}
	_, err := execRaw(tx, sqlInsertComment,
		c.ID, c.VideoID, parent, c.TimeMs, c.EndMs, c.Body, c.AuthorName, c.AuthorUserID,
		c.ByOwner, c.GuestSecretHash, c.Resolved, millis(c.ResolvedAt), c.Deleted, millis(c.EditedAt),
		millis(c.CreatedAt), millis(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("gormstore: create comment: %w", err)
	}
	return nil
}

// CreateComment inserts c and its event after check approves.
func (db *DB) CreateComment(ctx context.Context, c *media.Comment, note *media.NotifyRequest, check func(*media.Video, *media.Comment) error) (*media.CommentEvent, error) {
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
		ev := &media.CommentEvent{VideoID: c.VideoID, Type: media.CommentCreated, Comment: c, Notify: note}
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
func (db *DB) UpdateComment(ctx context.Context, id string, note *media.NotifyRequest, fn func(*media.Video, *media.Comment) (media.CommentEventType, error)) (*media.Comment, *media.CommentEvent, error) {
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
		ev := &media.CommentEvent{VideoID: c.VideoID, Type: typ, Comment: c, Notify: note}
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
		rows, more, err := keysetPage[commentRow](q, opt.AfterTimeMs, opt.AfterID, opt.Limit)
		if err != nil {
			return fmt.Errorf("gormstore: list threads: %w", err)
		}
		page.More = more
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
