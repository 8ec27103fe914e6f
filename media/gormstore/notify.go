package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var _ media.NotifyStore = (*DB)(nil)

// Rows of the notification tables (migration 9). Times are unix
// milliseconds; 0 is "never".

type notificationRow struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	Kind      string
	VideoID   string
	VideoSlug string
	Title     string
	CommentID string
	Actor     string
	Text      string
	TimeMs    int64
	Urgent    bool
	// Link is where the item leads when it is about no video (check-ins).
	Link      string
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	ReadAt    int64
}

func (notificationRow) TableName() string { return "notifications" }

func (r *notificationRow) notification() *media.Notification {
	return &media.Notification{
		ID: r.ID, UserID: r.UserID, Kind: media.NotifyKind(r.Kind), VideoID: r.VideoID, VideoSlug: r.VideoSlug,
		Title: r.Title, CommentID: r.CommentID, Actor: r.Actor, Text: r.Text, TimeMs: r.TimeMs, Urgent: r.Urgent,
		Link: r.Link, CreatedAt: ms(r.CreatedAt), ReadAt: ms(r.ReadAt),
	}
}

const (
	emailPending = "pending"
	emailSent    = "sent"
	emailFailed  = "failed"
)

// SavePlan stores an event's inbox rows, emails, webhook deliveries and
// follows in one transaction. An email's due time is decided inside it,
// against the recipient's pending emails, so two events planned at once
// still join one bundle.
func (db *DB) SavePlan(ctx context.Context, p *media.Plan, now time.Time, due func(*media.EmailItem, time.Time) time.Time) error {
	nowMs := now.UnixMilli()
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if p.Key != "" {
			res := tx.Exec(`INSERT INTO notify_once(key, created_at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, p.Key, nowMs)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return media.ErrPlanned
			}
		}
		for _, f := range p.Follows {
			if err := tx.Exec(`INSERT INTO follows(video_id, thread_id, recipient, following, created_at) VALUES (?, ?, ?, TRUE, ?)
				ON CONFLICT(video_id, thread_id, recipient) DO NOTHING`, f.VideoID, f.ThreadID, f.Recipient, nowMs).Error; err != nil {
				return err
			}
		}
		if len(p.Inbox) > 0 {
			rows := make([]notificationRow, len(p.Inbox))
			for i, n := range p.Inbox {
				rows[i] = notificationRow{
					ID: n.ID, UserID: n.UserID, Kind: string(n.Kind), VideoID: n.VideoID, VideoSlug: n.VideoSlug, Title: n.Title,
					CommentID: n.CommentID, Actor: n.Actor, Text: n.Text, TimeMs: n.TimeMs, Urgent: n.Urgent, Link: n.Link,
					CreatedAt: msOf(n.CreatedAt),
				}
			}
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		if len(p.Emails) > 0 {
			// The recipients' earliest pending bundles, in one query; a
			// batch in flight (leased) cannot take more items.
			var rs []string
			for _, it := range p.Emails {
				rs = append(rs, it.Recipient)
			}
			var rows []struct {
				Recipient string
				Due       int64
			}
			if err := tx.Raw(`SELECT recipient, MIN(due_at) AS due FROM email_outbox
				WHERE recipient IN ? AND state = ? AND urgent = FALSE AND kind != ? AND lease_until <= ? GROUP BY recipient`,
				rs, emailPending, string(media.NotifyConfirm), nowMs).Scan(&rows).Error; err != nil {
				return err
			}
			pending := make(map[string]int64, len(rows))
			for _, r := range rows {
				pending[r.Recipient] = r.Due
			}
			out := make([]emailRow, len(p.Emails))
			for i, it := range p.Emails {
				it.DueAt = now
				if due != nil {
					var was int64
					if !it.Urgent && it.Kind != media.NotifyConfirm {
						was = pending[it.Recipient]
					}
					it.DueAt = due(it, ms(was))
				}
				out[i] = emailRow{
					Recipient: it.Recipient, ToAddr: it.To, Kind: string(it.Kind), VideoID: it.VideoID, VideoSlug: it.VideoSlug,
					Title: it.Title, CommentID: it.CommentID, Actor: it.Actor, Text: it.Text, TimeMs: it.TimeMs, Urgent: it.Urgent,
					State: emailPending, DueAt: it.DueAt.UnixMilli(), CreatedAt: msOf(it.CreatedAt), Link: it.Link,
				}
			}
			if err := tx.CreateInBatches(out, 200).Error; err != nil {
				return err
			}
			for i, it := range p.Emails {
				it.ID = out[i].ID
			}
		}
		for _, d := range p.Hooks {
			r := deliveryRow{
				ID: d.ID, WebhookID: d.WebhookID, Type: d.Type, Payload: d.Payload, State: media.DeliveryPending,
				NextAt: d.NextAt.UnixMilli(), CreatedAt: msOf(d.CreatedAt), UpdatedAt: nowMs,
			}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, media.ErrPlanned) {
		return media.ErrPlanned
	}
	if err != nil {
		return fmt.Errorf("gormstore: save notifications: %w", err)
	}
	return nil
}

// Once inserts key unless it exists.
func (db *DB) Once(ctx context.Context, key string, now time.Time) (bool, error) {
	res := db.w.WithContext(ctx).Exec(`INSERT INTO notify_once(key, created_at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, now.UnixMilli())
	if res.Error != nil {
		return false, fmt.Errorf("gormstore: once: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
