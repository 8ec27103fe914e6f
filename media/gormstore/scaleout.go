package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/baton-video/baton/media"
)

var (
	_ media.Ticks        = (*DB)(nil)
	_ media.UploadOwners = (*DB)(nil)
	_ media.Notices      = (*DB)(nil)
)

// ClaimTick reports whether this caller runs the period of name that is due
// now. The claim is one conditional UPDATE: whoever moves next_at forward
// first wins, everyone else in the same period affects no row. next_at is
// set a tenth of a period early, so a ticker that fires slightly early
// still finds its period open.
func (db *DB) ClaimTick(ctx context.Context, name string, every time.Duration) (bool, error) {
	now := time.Now()
	g := db.w.WithContext(ctx)
	if err := g.Exec(`INSERT INTO ticks(name, next_at, last_at) VALUES (?, 0, 0) ON CONFLICT(name) DO NOTHING`, name).Error; err != nil {
		return false, fmt.Errorf("gormstore: tick %s: %w", name, err)
	}
	next := now.Add(every - every/10).UnixMilli()
	res := g.Exec(`UPDATE ticks SET next_at = ?, last_at = ? WHERE name = ? AND next_at <= ?`, next, now.UnixMilli(), name, now.UnixMilli())
	if res.Error != nil {
		return false, fmt.Errorf("gormstore: claim tick %s: %w", name, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// SetUploadOwner records addr as the process holding the upload.
func (db *DB) SetUploadOwner(ctx context.Context, videoID, addr string) error {
	err := db.w.WithContext(ctx).Exec(`INSERT INTO upload_owners(video_id, addr, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(video_id) DO UPDATE SET addr = excluded.addr, updated_at = excluded.updated_at`,
		videoID, addr, time.Now().UnixMilli()).Error
	if err != nil {
		return fmt.Errorf("gormstore: set upload owner: %w", err)
	}
	return nil
}

// UploadOwner returns the address of the process holding the upload.
func (db *DB) UploadOwner(ctx context.Context, videoID string) (string, error) {
	var addr string
	err := db.r.WithContext(ctx).Raw(`SELECT addr FROM upload_owners WHERE video_id = ?`, videoID).Row().Scan(&addr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", media.Errorf(media.ENOTFOUND, "No process holds this upload.")
	}
	if err != nil {
		return "", fmt.Errorf("gormstore: upload owner: %w", err)
	}
	return addr, nil
}

// ExpireIdleUploads fails the videos still waiting for upload bytes whose
// last change is older than idleSince, and returns them.
func (db *DB) ExpireIdleUploads(ctx context.Context, idleSince time.Time, reason string) ([]*media.Video, error) {
	var ids []string
	err := db.r.WithContext(ctx).Raw(`SELECT id FROM videos WHERE status IN (?, ?) AND updated_at < ? ORDER BY id LIMIT 1000`,
		string(media.StatusCreated), string(media.StatusUploading), idleSince.UnixMilli()).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: find idle uploads: %w", err)
	}
	var out []*media.Video
	for _, id := range ids {
		v, err := db.UpdateVideo(ctx, id, "", func(v *media.Video) error {
			// Checked again under the row lock: bytes may have come since.
			if v.Status != media.StatusCreated && v.Status != media.StatusUploading || !v.UpdatedAt.Before(idleSince) {
				return errNotIdle
			}
			v.Status, v.ErrorCode, v.Error, v.Live = media.StatusFailed, media.EGONE, reason, false
			return nil
		})
		if errors.Is(err, errNotIdle) || media.ErrorCode(err) == media.ENOTFOUND {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

var errNotIdle = errors.New("gormstore: upload not idle")

// JobStats is the queue at a glance, for metrics.
type JobStats struct {
	Queued, Running             int64
	OldestQueued, OldestRunning time.Duration
	VideosByStatus              map[string]int64
}

// JobStats counts the queue's jobs by state with the age of the oldest
// (queued: since it became runnable; running: since its claim), and the
// videos by status.
func (db *DB) JobStats(ctx context.Context) (JobStats, error) {
	now := time.Now().UnixMilli()
	var rows []struct {
		State  string
		N      int64
		Oldest int64
	}
	err := db.r.WithContext(ctx).Raw(`SELECT state, COUNT(*) AS n,
		MIN(CASE WHEN state = ? THEN run_at ELSE updated_at END) AS oldest
		FROM jobs WHERE state = ? OR run_at <= ? GROUP BY state`, jobQueued, jobRunning, now).Scan(&rows).Error
	if err != nil {
		return JobStats{}, fmt.Errorf("gormstore: job stats: %w", err)
	}
	var st JobStats
	for _, r := range rows {
		age := time.Duration(max(now-r.Oldest, 0)) * time.Millisecond
		switch r.State {
		case jobQueued:
			st.Queued, st.OldestQueued = r.N, age
		case jobRunning:
			st.Running, st.OldestRunning = r.N, age
		}
	}
	var vs []struct {
		Status string
		N      int64
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT status, COUNT(*) AS n FROM videos GROUP BY status`).Scan(&vs).Error; err != nil {
		return JobStats{}, fmt.Errorf("gormstore: video stats: %w", err)
	}
	st.VideosByStatus = make(map[string]int64, len(vs))
	for _, v := range vs {
		st.VideosByStatus[v.Status] = v.N
	}
	return st, nil
}
