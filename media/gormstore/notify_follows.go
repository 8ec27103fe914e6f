package gormstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// SetFollow follows or stops following. Stopping is kept as a row so
// automatic follows (commenting) do not undo it.
func (db *DB) SetFollow(ctx context.Context, f media.Follow, on bool, now time.Time) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !on {
			if err := tx.Exec(`DELETE FROM follows WHERE video_id = ? AND recipient = ? AND thread_id != ''`, f.VideoID, f.Recipient).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO follows(video_id, thread_id, recipient, following, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(video_id, thread_id, recipient) DO UPDATE SET following = excluded.following`,
			f.VideoID, f.ThreadID, f.Recipient, on, now.UnixMilli()).Error
	})
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return media.Errorf(media.ENOTFOUND, "Video not found.")
		}
		return fmt.Errorf("gormstore: follow: %w", err)
	}
	return nil
}

func (db *DB) followState(ctx context.Context, videoID, recipient string) (int, error) {
	var st []bool
	err := db.r.WithContext(ctx).Raw(`SELECT following FROM follows WHERE video_id = ? AND thread_id = '' AND recipient = ?`, videoID, recipient).Scan(&st).Error
	if err != nil {
		return 0, fmt.Errorf("gormstore: follow state: %w", err)
	}
	switch {
	case len(st) == 0:
		return -1, nil
	case st[0]:
		return 1, nil
	}
	return 0, nil
}

// Following reports whether the recipient follows the video.
func (db *DB) Following(ctx context.Context, videoID, recipient string) (bool, error) {
	st, err := db.followState(ctx, videoID, recipient)
	return st == 1, err
}

// Unfollowed reports whether the recipient explicitly stopped following.
func (db *DB) Unfollowed(ctx context.Context, videoID, recipient string) (bool, error) {
	st, err := db.followState(ctx, videoID, recipient)
	return st == 0, err
}

// Followers lists who follows the video (threadID empty) or the thread.
func (db *DB) Followers(ctx context.Context, videoID, threadID string) ([]string, error) {
	var out []string
	err := db.r.WithContext(ctx).Raw(`SELECT recipient FROM follows WHERE video_id = ? AND thread_id = ? AND following = TRUE ORDER BY created_at`,
		videoID, threadID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: followers: %w", err)
	}
	return out, nil
}

// CurrentComments returns the bodies of the live comments among ids.
func (db *DB) CurrentComments(ctx context.Context, ids []string) (map[string]string, error) {
	var rows []struct{ ID, Body string }
	if err := db.r.WithContext(ctx).Raw(`SELECT id, body FROM comments WHERE id IN ? AND deleted = FALSE`, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: current comments: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Body
	}
	return out, nil
}

// ThreadAuthors lists the members who wrote in a thread.
func (db *DB) ThreadAuthors(ctx context.Context, threadID string) ([]string, error) {
	var out []string
	err := db.r.WithContext(ctx).Raw(`SELECT DISTINCT author_user_id FROM comments
		WHERE (id = ? OR parent_id = ?) AND author_user_id != '' AND deleted = FALSE`, threadID, threadID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: thread authors: %w", err)
	}
	return out, nil
}
