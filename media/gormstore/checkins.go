package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-video/baton/media"
)

var _ media.CheckinStore = (*DB)(nil)

type checkinRow struct {
	ID           string `gorm:"primaryKey"`
	OwnerID      string
	Title        string
	Prompt       string
	Days         string
	TimeMin      int
	DueAfterMs   int64
	MaxLengthMs  int64
	Participants string
	Observers    string
	CreatedAt    int64 `gorm:"autoCreateTime:false"`
	UpdatedAt    int64 `gorm:"autoUpdateTime:false"`
}

func (checkinRow) TableName() string { return "checkins" }

func (r *checkinRow) checkin() *media.Checkin {
	c := &media.Checkin{ID: r.ID, OwnerID: r.OwnerID, Title: r.Title, Prompt: r.Prompt, Time: r.TimeMin,
		DueAfter: time.Duration(r.DueAfterMs) * time.Millisecond, MaxLength: time.Duration(r.MaxLengthMs) * time.Millisecond,
		CreatedAt: ms(r.CreatedAt), UpdatedAt: ms(r.UpdatedAt)}
	// Written only by this package.
	_ = json.Unmarshal([]byte(r.Days), &c.Days)
	_ = json.Unmarshal([]byte(r.Participants), &c.Participants)
	_ = json.Unmarshal([]byte(r.Observers), &c.Observers)
	return c
}

// CreateCheckin inserts a check-in.
func (db *DB) CreateCheckin(ctx context.Context, c *media.Checkin) error {
	days, _ := json.Marshal(c.Days)
	parts, _ := json.Marshal(c.Participants)
	obs, _ := json.Marshal(c.Observers)
	r := checkinRow{ID: c.ID, OwnerID: c.OwnerID, Title: c.Title, Prompt: c.Prompt, Days: string(days), TimeMin: c.Time,
		DueAfterMs: c.DueAfter.Milliseconds(), MaxLengthMs: c.MaxLength.Milliseconds(), Participants: string(parts),
		Observers: string(obs), CreatedAt: c.CreatedAt.UnixMilli(), UpdatedAt: c.UpdatedAt.UnixMilli()}
	if err := db.w.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("gormstore: create check-in: %w", err)
	}
	return nil
}

// Checkin returns one check-in.
func (db *DB) Checkin(ctx context.Context, id string) (*media.Checkin, error) {
	var rows []checkinRow
	if err := db.r.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: check-in: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "Check-in not found.")
	}
	return rows[0].checkin(), nil
}

// Checkins lists check-ins, all or a member's.
func (db *DB) Checkins(ctx context.Context, userID string) ([]*media.Checkin, error) {
	var rows []checkinRow
	if err := db.r.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: check-ins: %w", err)
	}
	out := make([]*media.Checkin, 0, len(rows))
	for i := range rows {
		c := rows[i].checkin()
		if userID == "" || c.OwnerID == userID || has(c.Participants, userID) || has(c.Observers, userID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// DeleteCheckin removes a check-in (posts and events by cascade).
func (db *DB) DeleteCheckin(ctx context.Context, id string) error {
	res := db.w.WithContext(ctx).Where("id = ?", id).Delete(&checkinRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: delete check-in: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return media.Errorf(media.ENOTFOUND, "Check-in not found.")
	}
	return nil
}

// SaveCheckinPost records a participant's update for a round.
func (db *DB) SaveCheckinPost(ctx context.Context, p *media.CheckinPost) error {
	err := db.w.WithContext(ctx).Exec(`INSERT INTO checkin_posts(checkin_id, round, user_id, video_id, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(checkin_id, round, user_id) DO UPDATE SET video_id = excluded.video_id, created_at = excluded.created_at`,
		p.CheckinID, p.Round, p.UserID, p.VideoID, p.CreatedAt.UnixMilli()).Error
	if err != nil {
		return fmt.Errorf("gormstore: save check-in post: %w", err)
	}
	return nil
}

// CheckinPosts lists a round's posts.
func (db *DB) CheckinPosts(ctx context.Context, checkinID, round string) ([]*media.CheckinPost, error) {
	var rows []struct {
		CheckinID, Round, UserID, VideoID string
		CreatedAt                         int64
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT checkin_id, round, user_id, video_id, created_at FROM checkin_posts
		WHERE checkin_id = ? AND round = ? ORDER BY created_at, user_id`, checkinID, round).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: check-in posts: %w", err)
	}
	out := make([]*media.CheckinPost, len(rows))
	for i, r := range rows {
		out[i] = &media.CheckinPost{CheckinID: r.CheckinID, Round: r.Round, UserID: r.UserID, VideoID: r.VideoID, CreatedAt: ms(r.CreatedAt)}
	}
	return out, nil
}

// ClaimCheckinEvent inserts the event unless it exists.
func (db *DB) ClaimCheckinEvent(ctx context.Context, checkinID, round, userID, kind string, at time.Time) (bool, error) {
	res := db.w.WithContext(ctx).Exec(`INSERT INTO checkin_events(checkin_id, round, user_id, kind, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, checkinID, round, userID, kind, at.UnixMilli())
	if res.Error != nil {
		return false, fmt.Errorf("gormstore: claim check-in event: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
