package gormstore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// reactionRow is the reactions table: an emoji at a time of a video.
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
		rows, more, err := keysetPage[reactionRow](tx.Where("video_id = ?", videoID), opt.AfterTimeMs, opt.AfterID, opt.Limit)
		if err != nil {
			return fmt.Errorf("gormstore: list reactions: %w", err)
		}
		page.More = more
		for i := range rows {
			page.Reactions = append(page.Reactions, rows[i].reaction())
		}
		page.Counts, err = reactionCounts(tx, videoID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// CommentEvents returns the video's events after seq, oldest first.
