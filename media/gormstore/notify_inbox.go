package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// Notifications pages through a member's inbox, newest first (ids are
// UUIDv7, so they sort by time).
func (db *DB) Notifications(ctx context.Context, userID, before string, limit int) ([]*media.Notification, int, error) {
	var rows []notificationRow
	q := db.r.WithContext(ctx).Where("user_id = ?", userID)
	if before != "" {
		q = q.Where("id < ?", before)
	}
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("gormstore: notifications: %w", err)
	}
	out := make([]*media.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].notification()
	}
	n, err := db.UnreadCount(ctx, userID)
	return out, n, err
}

// UnreadCount counts a member's unread notifications.
func (db *DB) UnreadCount(ctx context.Context, userID string) (int, error) {
	var n int64
	if err := db.r.WithContext(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at = 0", userID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("gormstore: unread count: %w", err)
	}
	return int(n), nil
}

// MarkRead marks notifications read.
func (db *DB) MarkRead(ctx context.Context, userID string, ids []string, all bool, now time.Time) error {
	q := db.w.WithContext(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at = 0", userID)
	if !all {
		q = q.Where("id IN ?", ids)
	}
	if err := q.Update("read_at", now.UnixMilli()).Error; err != nil {
		return fmt.Errorf("gormstore: mark read: %w", err)
	}
	return nil
}

// NewCommentCounts counts unread comment notifications per video.
func (db *DB) NewCommentCounts(ctx context.Context, userID string, videoIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(videoIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		VideoID string
		N       int
	}
	err := db.r.WithContext(ctx).Raw(`SELECT video_id, COUNT(*) AS n FROM notifications
		WHERE user_id = ? AND read_at = 0 AND kind IN ('comment', 'reply', 'mention') AND video_id IN ?
		GROUP BY video_id`, userID, videoIDs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: new comment counts: %w", err)
	}
	for _, r := range rows {
		out[r.VideoID] = r.N
	}
	return out, nil
}

// SeenVideo records a member's visit to a video and returns the last one.
func (db *DB) SeenVideo(ctx context.Context, userID, videoID string, now time.Time) (time.Time, error) {
	var prev int64
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT COALESCE(MAX(seen_at), 0) FROM video_seen WHERE user_id = ? AND video_id = ?`, userID, videoID).Scan(&prev).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO video_seen(user_id, video_id, seen_at) VALUES (?, ?, ?)
			ON CONFLICT(user_id, video_id) DO UPDATE SET seen_at = excluded.seen_at`, userID, videoID, now.UnixMilli()).Error
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("gormstore: seen video: %w", err)
	}
	return ms(prev), nil
}
