package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var _ media.SummaryStore = (*DB)(nil)

// EnqueueSummaries gives videos with a finished transcript their
// summarize job: those without a summary, and those whose transcript was
// redone or corrected after their summary was written.
func (db *DB) EnqueueSummaries(ctx context.Context, limit int) (int, error) {
	// Most sweeps find nothing; a read does not take the single writer.
	var todo bool
	check := `SELECT EXISTS (SELECT 1 FROM transcripts t WHERE t.status = 'done'
			AND EXISTS (SELECT 1 FROM transcript_segments g WHERE g.video_id = t.video_id)
			AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.video_id = t.video_id AND (s.status = 'pending' OR s.updated_at >= t.updated_at)))
		OR EXISTS (SELECT 1 FROM summaries WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'summarize' AND jobs.video_id = summaries.video_id))`
	if err := db.r.WithContext(ctx).Raw(check).Scan(&todo).Error; err != nil {
		return 0, fmt.Errorf("gormstore: check summaries: %w", err)
	}
	if !todo {
		return 0, nil
	}
	now := time.Now()
	n := 0
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A pending summary whose job is gone ran out of attempts.
		if err := tx.Exec(`UPDATE summaries SET status = 'failed', error = 'Summarizing stopped unexpectedly several times.', updated_at = ?
			WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'summarize' AND jobs.video_id = summaries.video_id)`, now.UnixMilli()).Error; err != nil {
			return fmt.Errorf("gormstore: expire summaries: %w", err)
		}
		var active int
		if err := tx.Raw(`SELECT COUNT(*) FROM jobs WHERE kind = 'summarize'`).Scan(&active).Error; err != nil {
			return fmt.Errorf("gormstore: count summaries: %w", err)
		}
		if limit-active <= 0 {
			return nil
		}
		var ids []string
		if err := tx.Raw(`SELECT t.video_id FROM transcripts t WHERE t.status = 'done'
				AND EXISTS (SELECT 1 FROM transcript_segments g WHERE g.video_id = t.video_id)
				AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.video_id = t.video_id AND (s.status = 'pending' OR s.updated_at >= t.updated_at))
				AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'summarize' AND j.video_id = t.video_id)
				ORDER BY t.updated_at DESC, t.video_id LIMIT ?`, limit-active).Scan(&ids).Error; err != nil {
			return fmt.Errorf("gormstore: find videos to summarize: %w", err)
		}
		for _, id := range ids {
			if err := insertJob(tx, media.JobSummarize, id, now); err != nil {
				return err
			}
			// A summary being redone keeps showing until the new one lands.
			if err := tx.Exec(`INSERT INTO summaries(video_id, status, updated_at) VALUES (?, 'pending', ?)
				ON CONFLICT(video_id) DO UPDATE SET status = 'pending', error = '', updated_at = excluded.updated_at`, id, now.UnixMilli()).Error; err != nil {
				return fmt.Errorf("gormstore: mark summary pending: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

type summaryRow struct {
	VideoID  string
	Status   string
	Text     string
	Chapters string
	Model    string
	Error    string
}

type chapterJSON struct {
	StartMs int64  `json:"startMs"`
	Title   string `json:"title"`
}

// Summary returns the video's summary.
func (db *DB) Summary(ctx context.Context, videoID string) (*media.Summary, error) {
	var rows []summaryRow
	if err := db.r.WithContext(ctx).Raw(`SELECT video_id, status, text, chapters, model, error FROM summaries WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: summary: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "No summary.")
	}
	r := rows[0]
	var ch []chapterJSON
	if err := json.Unmarshal([]byte(r.Chapters), &ch); err != nil {
		return nil, fmt.Errorf("gormstore: summary chapters: %w", err)
	}
	s := &media.Summary{VideoID: r.VideoID, Status: media.SummaryStatus(r.Status), Text: r.Text, Model: r.Model, Error: r.Error}
	for _, c := range ch {
		s.Chapters = append(s.Chapters, media.Chapter{StartMs: c.StartMs, Title: c.Title})
	}
	return s, nil
}

// FinishSummary stores s and removes job in one transaction. A failure
// keeps the text and suggestions of an earlier summary, if any.
func (db *DB) FinishSummary(ctx context.Context, job *media.Job, s *media.Summary) error {
	ch := make([]chapterJSON, 0, len(s.Chapters))
	for _, c := range s.Chapters {
		ch = append(ch, chapterJSON{StartMs: c.StartMs, Title: c.Title})
	}
	chapters, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	defer db.VideoChanged(job.VideoID)
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		if _, err := db.findVideo(ctx, tx, "id = ?", job.VideoID); err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		if s.Status != media.SummaryDone {
			return tx.Exec(`INSERT INTO summaries(video_id, status, error, model, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, error = excluded.error, updated_at = excluded.updated_at`,
				job.VideoID, string(s.Status), truncate(s.Error, 2000), s.Model, now).Error
		}
		return tx.Exec(`INSERT INTO summaries(video_id, status, text, chapters, model, error, updated_at) VALUES (?, ?, ?, ?, ?, '', ?)
			ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, text = excluded.text, chapters = excluded.chapters,
				model = excluded.model, error = '', updated_at = excluded.updated_at`,
			job.VideoID, string(s.Status), s.Text, string(chapters), s.Model, now).Error
	})
}
