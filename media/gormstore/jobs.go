package gormstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/baton-video/baton/media"
)

// strandedGrace is how long a video must have been processing without a
// job before StrandedVideos reports it, when processes share the database.
const strandedGrace = 2 * time.Minute

// DefaultMaxAttempts bounds how often a job is tried before its video fails.
const DefaultMaxAttempts = 5

const (
	jobQueued  = "queued"
	jobRunning = "running"
)

type jobRow struct {
	ID          int64 `gorm:"primaryKey"`
	Kind        string
	VideoID     string
	State       string
	Attempts    int
	MaxAttempts int
	RunAt       int64
	LeaseOwner  string
	LeaseUntil  int64
	LastError   string
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	UpdatedAt   int64 `gorm:"autoUpdateTime:false"`
}

func (jobRow) TableName() string { return "jobs" }

func (r *jobRow) job() *media.Job {
	return &media.Job{
		ID: r.ID, Kind: media.JobKind(r.Kind), VideoID: r.VideoID, Attempts: r.Attempts,
		MaxAttempts: r.MaxAttempts, LeaseOwner: r.LeaseOwner,
		LeaseUntil: time.UnixMilli(r.LeaseUntil).UTC(), LastError: r.LastError,
	}
}

// insertJob enqueues a job unless one of that kind is already active for the
// video: enqueueing is idempotent, so a retried request cannot double work.
func insertJob(tx *gorm.DB, kind media.JobKind, videoID string, now time.Time) error {
	ms := now.UnixMilli()
	err := tx.Exec(`INSERT INTO jobs(kind, video_id, state, attempts, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT(kind, video_id) DO NOTHING`,
		string(kind), videoID, jobQueued, DefaultMaxAttempts, ms, ms, ms).Error
	if err != nil {
		return fmt.Errorf("gormstore: enqueue %s: %w", kind, err)
	}
	return nil
}

// claimOrder ranks runnable jobs: an upload waiting to become ready
// first, then work an owner is watching or that is quick (an edit, a
// faststart rewrite), then follow-ups that may run for minutes
// (transcripts, thumbnails). With one worker, an upload that arrives
// behind a queue of transcriptions is next, not last. Within a rank the
// oldest goes first. Kinds are constants, so they are written into the
// statement; the CASE reads the same in SQLite and Postgres.
var claimOrder = fmt.Sprintf(`CASE kind WHEN '%s' THEN 0 WHEN '%s' THEN 1 WHEN '%s' THEN 1 ELSE 2 END, run_at, id`,
	media.JobProcess, media.JobEdit, media.JobFaststart)

// ClaimJob leases the runnable job that comes first in claimOrder in one
// statement, so two workers (or two processes) can never claim the same
// job. A job already running keeps its worker: the order decides only
// what is taken next.
func (db *DB) ClaimJob(ctx context.Context, owner string, lease time.Duration) (*media.Job, error) {
	now := time.Now()
	// On Postgres, two claimers running the subquery at once would pick the
	// same row and the second UPDATE would take it again after the first
	// commits (the subquery is not re-evaluated); SKIP LOCKED makes the
	// second pick the next job instead, and the outer state check is a
	// second guard. SQLite has one writer and no FOR UPDATE.
	lock := ""
	if db.pg {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var rows []jobRow
	err := db.w.WithContext(ctx).Raw(`UPDATE jobs SET state = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE state = ? AND id = (SELECT id FROM jobs WHERE state = ? AND run_at <= ? ORDER BY `+claimOrder+` LIMIT 1`+lock+`)
		RETURNING *`,
		jobRunning, owner, now.Add(lease).UnixMilli(), now.UnixMilli(), jobQueued, jobQueued, now.UnixMilli()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: claim job: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].job(), nil
}

// leased scopes a statement to a job the caller still holds.
func leased(tx *gorm.DB, job *media.Job) *gorm.DB {
	return tx.Model(&jobRow{}).Where("id = ? AND state = ? AND lease_owner = ?", job.ID, jobRunning, job.LeaseOwner)
}

var errLeaseLost = media.Errorf(media.ECONFLICT, "The job's lease was lost.")

// ExtendLease pushes the lease of a running job forward.
func (db *DB) ExtendLease(ctx context.Context, job *media.Job, lease time.Duration) error {
	now := time.Now()
	until := now.Add(lease).UnixMilli()
	res := leased(db.w.WithContext(ctx), job).Updates(map[string]any{"lease_until": until, "updated_at": now.UnixMilli()})
	if res.Error != nil {
		return fmt.Errorf("gormstore: extend lease: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errLeaseLost
	}
	job.LeaseUntil = time.UnixMilli(until).UTC()
	return nil
}

// CompleteJob removes the job and updates its video atomically.
func (db *DB) CompleteJob(ctx context.Context, job *media.Job, fn func(*media.Video) error) error {
	return db.finishJob(ctx, job, fn)
}

// FailJob removes the job and marks its video failed atomically.
func (db *DB) FailJob(ctx context.Context, job *media.Job, fn func(*media.Video) error) error {
	return db.finishJob(ctx, job, fn)
}

func (db *DB) finishJob(ctx context.Context, job *media.Job, fn func(*media.Video) error) error {
	defer db.VideoChanged(job.VideoID)
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The video first, then the job: UpdateVideo locks in that order
		// too (on Postgres), so the two cannot deadlock.
		v, err := db.findVideo(ctx, tx, "id = ?", job.VideoID)
		if err != nil {
			return err
		}
		res := tx.Where("id = ? AND state = ? AND lease_owner = ?", job.ID, jobRunning, job.LeaseOwner).Delete(&jobRow{})
		if res.Error != nil {
			return fmt.Errorf("gormstore: finish job: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errLeaseLost
		}
		if err := fn(v); err != nil {
			return err
		}
		return db.saveVideo(tx, v)
	})
}

// RetryJob puts the job back in the queue to run at runAt, with
// job.Attempts as its count of attempts so far.
func (db *DB) RetryJob(ctx context.Context, job *media.Job, runAt time.Time, reason string) error {
	res := leased(db.w.WithContext(ctx), job).Updates(map[string]any{
		"state": jobQueued, "lease_owner": "", "lease_until": 0, "run_at": runAt.UnixMilli(),
		"attempts":   max(job.Attempts, 0),
		"last_error": truncate(reason, 2000), "updated_at": time.Now().UnixMilli(),
	})
	if res.Error != nil {
		return fmt.Errorf("gormstore: retry job: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errLeaseLost
	}
	return nil
}

// ReapJobs requeues jobs whose lease expired (their worker died or stalled)
// and fails the videos of those that have no attempts left.
func (db *DB) ReapJobs(ctx context.Context, now time.Time, reason string) ([]string, error) {
	var changed []string
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var expired []jobRow
		// SKIP LOCKED (Postgres): a job another reaper or its worker is
		// finishing right now is left to them.
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("state = ? AND lease_until < ?", jobRunning, now.UnixMilli()).Find(&expired).Error; err != nil {
			return fmt.Errorf("gormstore: find expired jobs: %w", err)
		}
		for _, j := range expired {
			if j.Attempts >= j.MaxAttempts {
				if err := tx.Delete(&jobRow{}, j.ID).Error; err != nil {
					return fmt.Errorf("gormstore: drop dead job: %w", err)
				}
				if j.Kind != string(media.JobProcess) {
					// A follow-up on a ready video (faststart): the video
					// stays as it is.
					continue
				}
				v, err := db.findVideo(ctx, tx, "id = ?", j.VideoID)
				if errors.Is(err, gorm.ErrRecordNotFound) || media.ErrorCode(err) == media.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				v.Status, v.ErrorCode, v.Error = media.StatusFailed, media.EINTERNAL, reason
				if err := db.saveVideo(tx, v); err != nil {
					return err
				}
			} else {
				err := tx.Model(&jobRow{}).Where("id = ?", j.ID).Updates(map[string]any{
					"state": jobQueued, "lease_owner": "", "lease_until": 0, "run_at": now.UnixMilli(),
					"last_error": "lease expired (worker stopped)", "updated_at": now.UnixMilli(),
				}).Error
				if err != nil {
					return fmt.Errorf("gormstore: requeue job: %w", err)
				}
			}
			changed = append(changed, j.VideoID)
		}
		return nil
	})
	for _, id := range changed {
		db.VideoChanged(id)
	}
	return changed, err
}

// StrandedVideos returns the processing videos that have no job.
func (db *DB) StrandedVideos(ctx context.Context) ([]string, error) {
	// On Postgres another process may be finishing a live recording right
	// now (processing, no job, for a second or two): only a video left so
	// for strandedGrace counts. SQLite is one process, which knows its own.
	before := int64(math.MaxInt64)
	if db.pg {
		before = time.Now().Add(-strandedGrace).UnixMilli()
	}
	var ids []string
	err := db.r.WithContext(ctx).Raw(`SELECT id FROM videos WHERE status = ? AND updated_at < ?
		AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.video_id = videos.id)`, string(media.StatusProcessing), before).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: stranded videos: %w", err)
	}
	return ids, nil
}

// Jobs lists the queued and running jobs, oldest first, for tests and
// operators.
func (db *DB) Jobs(ctx context.Context) ([]media.Job, error) {
	var rows []jobRow
	if err := db.r.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: list jobs: %w", err)
	}
	jobs := make([]media.Job, len(rows))
	for i := range rows {
		jobs[i] = *rows[i].job()
	}
	return jobs, nil
}

// ActiveJobs counts queued and running jobs, for tests and /readyz details.
func (db *DB) ActiveJobs(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.WithContext(ctx).Model(&jobRow{}).Count(&n).Error
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
