package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// The written record: transcripts, chapters, thumbnails, edits and search
// (migration 7). The full-text index is kept by triggers, so the comment
// and video code paths need not know it exists.

var _ media.RecordStore = (*DB)(nil)

// finishLeased removes a job the caller still holds, inside tx.
func finishLeased(tx *gorm.DB, job *media.Job) error {
	res := tx.Where("id = ? AND state = ? AND lease_owner = ?", job.ID, jobRunning, job.LeaseOwner).Delete(&jobRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: finish job: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errLeaseLost
	}
	return nil
}

// EnqueueFollowUps gives ready videos their transcribe and thumbs jobs.
func (db *DB) EnqueueFollowUps(ctx context.Context, transcribe, thumbs bool, limit int) (int, error) {
	// The sweep runs every few seconds; most find nothing to do, and a
	// read does not take the single writer.
	var todo bool
	check := `SELECT EXISTS (SELECT 1 FROM videos WHERE status = 'ready' AND has_mp4 = TRUE AND (
			(? AND NOT EXISTS (SELECT 1 FROM thumbnails t WHERE t.video_id = videos.id))
			OR (? AND NOT EXISTS (SELECT 1 FROM transcripts t WHERE t.video_id = videos.id AND t.status <> 'off'))))
		OR EXISTS (SELECT 1 FROM transcripts WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'transcribe' AND jobs.video_id = transcripts.video_id))
		OR EXISTS (SELECT 1 FROM thumbnails WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'thumbs' AND jobs.video_id = thumbnails.video_id))
		OR EXISTS (SELECT 1 FROM video_edits WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'edit' AND jobs.video_id = video_edits.video_id))`
	if err := db.r.WithContext(ctx).Raw(check, thumbs, transcribe).Scan(&todo).Error; err != nil {
		return 0, fmt.Errorf("gormstore: check follow-ups: %w", err)
	}
	if !todo {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	n := 0
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A pending row whose job is gone ran out of attempts (the reaper
		// dropped it): say so instead of waiting forever.
		steps := []struct {
			sql  string
			args []any
		}{
			{`UPDATE transcripts SET status = 'failed', error = 'Transcription stopped unexpectedly several times.', updated_at = ?
				WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'transcribe' AND jobs.video_id = transcripts.video_id)`, []any{now}},
			{`UPDATE thumbnails SET status = 'failed', error = 'Making thumbnails stopped unexpectedly several times.', updated_at = ?
				WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'thumbs' AND jobs.video_id = thumbnails.video_id)`, []any{now}},
			{`UPDATE video_edits SET state = 'failed', error = 'The edit stopped unexpectedly several times.', updated_at = ?
				WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'edit' AND jobs.video_id = video_edits.video_id)`, []any{now}},
		}
		for _, s := range steps {
			if err := tx.Exec(s.sql, s.args...).Error; err != nil {
				return fmt.Errorf("gormstore: expire follow-ups: %w", err)
			}
		}
		// Follow-ups share the worker pool with processing: they wait
		// while an upload waits to be processed, and at most limit of
		// them are queued or running at once, so a backlog (an engine
		// turned on over a full library) never queues ahead of new
		// uploads. Newest videos go first.
		var busy struct{ Waiting, Active int }
		if err := tx.Raw(`SELECT
				(SELECT COUNT(*) FROM jobs WHERE kind = 'process' AND state = ?) AS waiting,
				(SELECT COUNT(*) FROM jobs WHERE kind IN ('transcribe', 'thumbs')) AS active`, jobQueued).Scan(&busy).Error; err != nil {
			return fmt.Errorf("gormstore: count jobs: %w", err)
		}
		if busy.Waiting > 0 {
			return nil
		}
		free := limit - busy.Active
		type follow struct {
			kind, table string
			on          bool
		}
		for _, f := range []follow{{"thumbs", "thumbnails", thumbs}, {"transcribe", "transcripts", transcribe}} {
			if !f.on || free <= 0 {
				continue
			}
			if f.kind == "transcribe" {
				// Rows a worker wrote while transcription was off are
				// redone now that it is on.
				if err := tx.Exec(`DELETE FROM transcripts WHERE status = 'off'`).Error; err != nil {
					return fmt.Errorf("gormstore: reset transcripts: %w", err)
				}
			}
			var ids []string
			err := tx.Raw(`SELECT id FROM videos WHERE status = 'ready' AND has_mp4 = TRUE
				AND NOT EXISTS (SELECT 1 FROM `+f.table+` t WHERE t.video_id = videos.id)
				AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = ? AND j.video_id = videos.id)
				ORDER BY id DESC LIMIT ?`, f.kind, free).Scan(&ids).Error
			if err != nil {
				return fmt.Errorf("gormstore: find videos for %s: %w", f.kind, err)
			}
			for _, id := range ids {
				if err := insertJob(tx, media.JobKind(f.kind), id, time.UnixMilli(now)); err != nil {
					return err
				}
				row := `INSERT INTO transcripts(video_id, status, created_at, updated_at) VALUES (?, 'pending', ?, ?)`
				args := []any{id, now, now}
				if f.table == "thumbnails" {
					row, args = `INSERT INTO thumbnails(video_id, status, updated_at) VALUES (?, 'pending', ?)`, []any{id, now}
				}
				if err := tx.Exec(row, args...).Error; err != nil {
					return fmt.Errorf("gormstore: mark %s pending: %w", f.table, err)
				}
			}
			n += len(ids)
			free -= len(ids)
		}
		return nil
	})
	return n, err
}
