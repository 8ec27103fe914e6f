package gormstore

import (
	"context"
	"fmt"

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
