package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// eventRow is the comment event log: every comment and reaction change in
// commit order. Its id is the Seq that live streams resume from.
type eventRow struct {
	ID        int64 `gorm:"primaryKey"`
	VideoID   string
	Type      string
	CommentID *string
	Payload   string
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	// Notify is the event's media.NotifyRequest as JSON, empty when none
	// (migration 13). Only the planner reads it.
	Notify string
}

func (eventRow) TableName() string { return "comment_events" }

// notifyPayload is what comment_events.notify holds.
type notifyPayload struct {
	Urgent      bool   `json:"urgent,omitempty"`
	NotifyEmail string `json:"email,omitempty"`
	ByUserID    string `json:"by,omitempty"`
	ByName      string `json:"byName,omitempty"`
}

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
	// Attachment names the recording the comment carries (media/reply.go).
	Attachment *attachmentPayload `json:"attachment,omitempty"`
}

type attachmentPayload struct {
	VideoID string `json:"videoId"`
	Slug    string `json:"slug"`
	Kind    string `json:"kind"`
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
		Attachment: toAttachmentPayload(c.Attachment),
	}
}

func toAttachmentPayload(a *media.Attachment) *attachmentPayload {
	if a == nil {
		return nil
	}
	return &attachmentPayload{VideoID: a.VideoID, Slug: a.Slug, Kind: string(a.Kind)}
}

func (p *commentPayload) comment() *media.Comment {
	return &media.Comment{
		ID: p.ID, VideoID: p.VideoID, ParentID: p.ParentID, TimeMs: p.TimeMs, EndMs: p.EndMs,
		Body: p.Body, AuthorName: p.AuthorName, AuthorUserID: p.AuthorUserID, ByOwner: p.ByOwner,
		Resolved: p.Resolved, ResolvedAt: fromMillis(p.ResolvedAt), Deleted: p.Deleted,
		EditedAt: fromMillis(p.EditedAt), CreatedAt: fromMillis(p.CreatedAt), UpdatedAt: fromMillis(p.UpdatedAt),
		Attachment: p.Attachment.attachment(),
	}
}

func (p *attachmentPayload) attachment() *media.Attachment {
	if p == nil {
		return nil
	}
	return &media.Attachment{VideoID: p.VideoID, Slug: p.Slug, Kind: media.ReplyKind(p.Kind)}
}

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
	notify := ""
	if !ev.Notify.IsZero() {
		r := ev.Notify
		nb, err := json.Marshal(notifyPayload{Urgent: r.Urgent, NotifyEmail: r.NotifyEmail, ByUserID: r.ByUserID, ByName: r.ByName})
		if err != nil {
			return fmt.Errorf("gormstore: encode event: %w", err)
		}
		notify = string(nb)
	}
	ev.CreatedAt = nowMillis()
	if err := lockEventOrder(tx); err != nil {
		return err
	}
	args := []any{ev.VideoID, string(ev.Type), commentID, string(b), millis(ev.CreatedAt), notify}
	if isPG(tx) {
		err = queryRowRaw(tx, sqlAppendEvent+` RETURNING id`, args...).Scan(&ev.Seq)
	} else {
		// SQLite runs RETURNING through a temporary trigger, which
		// doubled the cost of this insert; its rowid is the id.
		var res sql.Result
		if res, err = execRaw(tx, sqlAppendEvent, args...); err == nil {
			ev.Seq, err = res.LastInsertId()
		}
	}
	if err != nil {
		return fmt.Errorf("gormstore: append event: %w", err)
	}
	return nil
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

// decodeNotify sets ev.Notify from the row's notify column.
func decodeNotify(r *eventRow, ev *media.CommentEvent) error {
	if r.Notify == "" {
		return nil
	}
	var p notifyPayload
	if err := json.Unmarshal([]byte(r.Notify), &p); err != nil {
		return fmt.Errorf("gormstore: decode event %d notify: %w", r.ID, err)
	}
	ev.Notify = &media.NotifyRequest{Urgent: p.Urgent, NotifyEmail: p.NotifyEmail, ByUserID: p.ByUserID, ByName: p.ByName}
	return nil
}

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
