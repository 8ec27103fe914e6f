package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

type thumbRow struct {
	Status     string
	Error      string
	IntervalMs int64
	Columns    int
	Count      int
	TileWidth  int
	TileHeight int
	DurationMs int64
}

// Thumbs returns the video's sprite geometry.
func (db *DB) Thumbs(ctx context.Context, videoID string) (*media.ThumbSheet, error) {
	var rows []thumbRow
	if err := db.r.WithContext(ctx).Raw(`SELECT status, error, interval_ms, columns, count, tile_width, tile_height, duration_ms FROM thumbnails WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: thumbnails: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "No thumbnails.")
	}
	r := rows[0]
	return &media.ThumbSheet{Status: media.ThumbStatus(r.Status), Error: r.Error, IntervalMs: r.IntervalMs, Columns: r.Columns,
		Count: r.Count, TileWidth: r.TileWidth, TileHeight: r.TileHeight, DurationMs: r.DurationMs}, nil
}

// FinishThumbs stores the sheet and removes job.
func (db *DB) FinishThumbs(ctx context.Context, job *media.Job, s *media.ThumbSheet) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		if _, err := db.findVideo(ctx, tx, "id = ?", job.VideoID); err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO thumbnails(video_id, status, error, interval_ms, columns, count, tile_width, tile_height, duration_ms, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, error = excluded.error, interval_ms = excluded.interval_ms,
				columns = excluded.columns, count = excluded.count, tile_width = excluded.tile_width, tile_height = excluded.tile_height,
				duration_ms = excluded.duration_ms, updated_at = excluded.updated_at`,
			job.VideoID, string(s.Status), truncate(s.Error, 2000), s.IntervalMs, s.Columns, s.Count, s.TileWidth, s.TileHeight, s.DurationMs,
			time.Now().UnixMilli()).Error
	})
}
