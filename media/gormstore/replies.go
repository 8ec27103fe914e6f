package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-video/baton/media"
)

var _ media.ReplyStore = (*DB)(nil)

// ReplyRecordings returns the recordings attached to comments of parentID.
func (db *DB) ReplyRecordings(ctx context.Context, parentID string) ([]*media.Video, error) {
	var rows []videoRow
	err := db.r.WithContext(ctx).Where("reply_to = ? AND reply_comment_id <> ''", parentID).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: reply recordings: %w", err)
	}
	out := make([]*media.Video, len(rows))
	for i := range rows {
		out[i] = rows[i].video()
	}
	return out, nil
}

// ReplyRecordingsOf returns the ids of every recording made as a reply to
// parentID.
func (db *DB) ReplyRecordingsOf(ctx context.Context, parentID string) ([]string, error) {
	var ids []string
	err := db.r.WithContext(ctx).Model(&videoRow{}).Where("reply_to = ?", parentID).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: reply recordings of: %w", err)
	}
	return ids, nil
}

// StrayReplies returns recordings made as replies before cutoff that no
// comment carries, or whose parent video is gone.
func (db *DB) StrayReplies(ctx context.Context, cutoff time.Time) ([]string, error) {
	var ids []string
	err := db.r.WithContext(ctx).Raw(`SELECT v.id FROM videos v
		WHERE v.reply_to <> '' AND v.created_at < ? AND (
			NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = v.reply_comment_id AND c.deleted = FALSE)
			OR NOT EXISTS (SELECT 1 FROM videos p WHERE p.id = v.reply_to))
		ORDER BY v.id`, cutoff.UnixMilli()).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: stray replies: %w", err)
	}
	return ids, nil
}
