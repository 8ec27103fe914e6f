package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

type transcriptRow struct {
	VideoID   string
	Status    string
	Engine    string
	Language  string
	Error     string
	UpdatedAt int64
}

type segmentRow struct {
	ID      int64
	StartMs int64
	EndMs   int64
	Text    string
	Edited  bool
}

// Transcript returns the video's transcript and its lines.
func (db *DB) Transcript(ctx context.Context, videoID string) (*media.Transcript, error) {
	var rows []transcriptRow
	r := db.r.WithContext(ctx)
	if err := r.Raw(`SELECT video_id, status, engine, language, error, updated_at FROM transcripts WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: transcript: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "No transcript.")
	}
	var segs []segmentRow
	if err := r.Raw(`SELECT id, start_ms, end_ms, text, edited FROM transcript_segments WHERE video_id = ? ORDER BY start_ms, id`, videoID).Scan(&segs).Error; err != nil {
		return nil, fmt.Errorf("gormstore: transcript lines: %w", err)
	}
	row := rows[0]
	t := &media.Transcript{
		VideoID: row.VideoID, Status: media.TranscriptStatus(row.Status), Engine: row.Engine,
		Language: row.Language, Error: row.Error, UpdatedAt: time.UnixMilli(row.UpdatedAt).UTC(),
		Segments: make([]media.Segment, len(segs)),
	}
	for i, s := range segs {
		t.Segments[i] = media.Segment{ID: s.ID, StartMs: s.StartMs, EndMs: s.EndMs, Text: s.Text, Edited: s.Edited}
	}
	return t, nil
}

// FinishTranscript stores t in place of the video's transcript and
// removes job, in one transaction.
func (db *DB) FinishTranscript(ctx context.Context, job *media.Job, t *media.Transcript) error {
	now := time.Now().UnixMilli()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT COUNT(*) FROM videos WHERE id = ?`, t.VideoID).Scan(&n).Error; err != nil {
			return fmt.Errorf("gormstore: finish transcript: %w", err)
		}
		if n == 0 {
			return media.Errorf(media.ENOTFOUND, "Video not found.")
		}
		return replaceTranscript(tx, t, now)
	})
}

func replaceTranscript(tx *gorm.DB, t *media.Transcript, now int64) error {
	if err := tx.Exec(`DELETE FROM transcript_segments WHERE video_id = ?`, t.VideoID).Error; err != nil {
		return fmt.Errorf("gormstore: clear transcript: %w", err)
	}
	for _, s := range t.Segments {
		if err := tx.Exec(`INSERT INTO transcript_segments(video_id, start_ms, end_ms, text) VALUES (?, ?, ?, ?)`,
			t.VideoID, s.StartMs, s.EndMs, s.Text).Error; err != nil {
			return fmt.Errorf("gormstore: store transcript line: %w", err)
		}
	}
	err := tx.Exec(`INSERT INTO transcripts(video_id, status, engine, language, error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, engine = excluded.engine,
			language = excluded.language, error = excluded.error, updated_at = excluded.updated_at`,
		t.VideoID, string(t.Status), t.Engine, t.Language, truncate(t.Error, 2000), now, now).Error
	if err != nil {
		return fmt.Errorf("gormstore: store transcript: %w", err)
	}
	return nil
}

// UpdateSegment corrects one line.
func (db *DB) UpdateSegment(ctx context.Context, videoID string, segmentID int64, text string) (*media.Segment, error) {
	var out *media.Segment
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE transcript_segments SET text = ?, edited = TRUE WHERE id = ? AND video_id = ?`, text, segmentID, videoID)
		if res.Error != nil {
			return fmt.Errorf("gormstore: update transcript line: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return media.Errorf(media.ENOTFOUND, "Transcript line not found.")
		}
		var rows []segmentRow
		if err := tx.Raw(`SELECT id, start_ms, end_ms, text, edited FROM transcript_segments WHERE id = ?`, segmentID).Scan(&rows).Error; err != nil || len(rows) == 0 {
			return fmt.Errorf("gormstore: read transcript line: %v", err)
		}
		s := rows[0]
		out = &media.Segment{ID: s.ID, StartMs: s.StartMs, EndMs: s.EndMs, Text: s.Text, Edited: s.Edited}
		return tx.Exec(`UPDATE transcripts SET updated_at = ? WHERE video_id = ?`, time.Now().UnixMilli(), videoID).Error
	})
	return out, err
}

// Retranscribe resets the transcript to pending with a new job.
func (db *DB) Retranscribe(ctx context.Context, videoID, engine string) error {
	now := time.Now()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := db.findVideo(ctx, tx, "id = ?", videoID); err != nil {
			return err
		}
		var active int64
		if err := tx.Raw(`SELECT COUNT(*) FROM jobs WHERE kind = 'transcribe' AND video_id = ?`, videoID).Scan(&active).Error; err != nil {
			return fmt.Errorf("gormstore: retranscribe: %w", err)
		}
		if active > 0 {
			return media.Errorf(media.ECONFLICT, "The video is being transcribed already.")
		}
		err := tx.Exec(`INSERT INTO transcripts(video_id, status, engine, created_at, updated_at) VALUES (?, 'pending', ?, ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET status = 'pending', engine = excluded.engine, error = '', updated_at = excluded.updated_at`,
			videoID, engine, now.UnixMilli(), now.UnixMilli()).Error
		if err != nil {
			return fmt.Errorf("gormstore: retranscribe: %w", err)
		}
		return insertJob(tx, media.JobTranscribe, videoID, now)
	})
}
