package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// Chapters returns the chapters the owner set.
func (db *DB) Chapters(ctx context.Context, videoID string) ([]media.Chapter, error) {
	var rows []struct {
		StartMs int64
		Title   string
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT start_ms, title FROM chapters WHERE video_id = ? ORDER BY start_ms`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: chapters: %w", err)
	}
	out := make([]media.Chapter, len(rows))
	for i, r := range rows {
		out[i] = media.Chapter{StartMs: r.StartMs, Title: r.Title}
	}
	return out, nil
}

// SetChapters replaces the chapters.
func (db *DB) SetChapters(ctx context.Context, videoID string, ch []media.Chapter) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := db.findVideo(ctx, tx, "id = ?", videoID); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM chapters WHERE video_id = ?`, videoID).Error; err != nil {
			return fmt.Errorf("gormstore: clear chapters: %w", err)
		}
		for _, c := range ch {
			if err := tx.Exec(`INSERT INTO chapters(video_id, start_ms, title) VALUES (?, ?, ?)`, videoID, c.StartMs, c.Title).Error; err != nil {
				return fmt.Errorf("gormstore: store chapter: %w", err)
			}
		}
		return nil
	})
}
