package gormstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

type webhookRow struct {
	ID        string `gorm:"primaryKey"`
	OwnerID   string
	Workspace bool
	URL       string
	Events    string
	Format    string
	Secret    string
	CreatedAt int64 `gorm:"autoCreateTime:false"`
}

func (webhookRow) TableName() string { return "webhooks" }

func (r *webhookRow) webhook() *media.Webhook {
	return &media.Webhook{
		ID: r.ID, OwnerID: r.OwnerID, Workspace: r.Workspace, URL: r.URL, Events: strings.Split(r.Events, ","),
		Format: r.Format, Secret: r.Secret, CreatedAt: ms(r.CreatedAt),
	}
}

type deliveryRow struct {
	ID         string `gorm:"primaryKey"`
	WebhookID  string
	Type       string
	Payload    []byte
	State      string
	Attempts   int
	NextAt     int64
	LeaseOwner string
	LeaseUntil int64
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	UpdatedAt  int64 `gorm:"autoUpdateTime:false"`
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

func (r *deliveryRow) delivery() *media.WebhookDelivery {
	return &media.WebhookDelivery{
		ID: r.ID, WebhookID: r.WebhookID, Type: r.Type, Payload: r.Payload, State: r.State, Attempts: r.Attempts,
		NextAt: ms(r.NextAt), CreatedAt: ms(r.CreatedAt), LeaseOwner: r.LeaseOwner,
	}
}

// CreateWebhook inserts a webhook.
func (db *DB) CreateWebhook(ctx context.Context, h *media.Webhook) error {
	r := webhookRow{ID: h.ID, OwnerID: h.OwnerID, Workspace: h.Workspace, URL: h.URL, Events: strings.Join(h.Events, ","),
		Format: h.Format, Secret: h.Secret, CreatedAt: h.CreatedAt.UnixMilli()}
	if err := db.w.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("gormstore: create webhook: %w", err)
	}
	return nil
}

// Webhooks lists webhooks, newest first.
func (db *DB) Webhooks(ctx context.Context, ownerID string, all bool) ([]*media.Webhook, error) {
	var rows []webhookRow
	q := db.r.WithContext(ctx)
	if !all {
		q = q.Where("owner_id = ?", ownerID)
	}
	if err := q.Order("id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: webhooks: %w", err)
	}
	out := make([]*media.Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].webhook()
	}
	return out, nil
}

// Webhook returns one webhook.
func (db *DB) Webhook(ctx context.Context, id string) (*media.Webhook, error) {
	var r webhookRow
	err := db.r.WithContext(ctx).Where("id = ?", id).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Webhook not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: webhook: %w", err)
	}
	return r.webhook(), nil
}

// DeleteWebhook removes a webhook; its deliveries go with it.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	res := db.w.WithContext(ctx).Where("id = ?", id).Delete(&webhookRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: delete webhook: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return media.Errorf(media.ENOTFOUND, "Webhook not found.")
	}
	return nil
}

// WebhooksFor returns the webhooks that hear about a video owner's event.
func (db *DB) WebhooksFor(ctx context.Context, videoOwner, eventType string) ([]*media.Webhook, error) {
	var rows []webhookRow
	q := db.r.WithContext(ctx).Where("workspace = TRUE")
	if videoOwner != "" {
		q = db.r.WithContext(ctx).Where("workspace = TRUE OR owner_id = ?", videoOwner)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: webhooks for: %w", err)
	}
	var out []*media.Webhook
	for i := range rows {
		if h := rows[i].webhook(); h.Wants(eventType) {
			out = append(out, h)
		}
	}
	return out, nil
}

type attemptRow struct {
	DeliveryID string
	At         int64
	StatusCode int
	Error      string
	NextRetry  int64
}

// WebhookDeliveries lists a webhook's newest deliveries with their attempts.
func (db *DB) WebhookDeliveries(ctx context.Context, webhookID string, limit int) ([]*media.WebhookDelivery, error) {
	var rows []deliveryRow
	if err := db.r.WithContext(ctx).Where("webhook_id = ?", webhookID).Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: deliveries: %w", err)
	}
	out := make([]*media.WebhookDelivery, len(rows))
	byID := map[string]*media.WebhookDelivery{}
	ids := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].delivery()
		byID[rows[i].ID] = out[i]
		ids[i] = rows[i].ID
	}
	if len(ids) > 0 {
		var atts []attemptRow
		if err := db.r.WithContext(ctx).Raw(`SELECT delivery_id, at, status_code, error, next_retry FROM webhook_attempts WHERE delivery_id IN ? ORDER BY id`, ids).Scan(&atts).Error; err != nil {
			return nil, fmt.Errorf("gormstore: attempts: %w", err)
		}
		for _, a := range atts {
			d := byID[a.DeliveryID]
			d.Log = append(d.Log, media.DeliveryAttempt{At: ms(a.At), StatusCode: a.StatusCode, Error: a.Error, NextRetry: ms(a.NextRetry),
				OK: a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300})
		}
	}
	return out, nil
}

// ClaimWebhookDeliveries leases due deliveries with their webhook's
// address and secret. The outer conditions repeat the inner ones: on
// Postgres a second process blocked on the same rows re-checks them after
// the first commits, and must then find them leased.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, owner string, lease time.Duration, now time.Time, max int) ([]*media.WebhookDelivery, error) {
	nowMs := now.UnixMilli()
	var rows []deliveryRow
	err := db.w.WithContext(ctx).Raw(`UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = ? AND next_at <= ? AND lease_until <= ? ORDER BY next_at, id LIMIT ?)
		AND state = ? AND lease_until <= ?
		RETURNING *`, owner, now.Add(lease).UnixMilli(), nowMs, media.DeliveryPending, nowMs, nowMs, max, media.DeliveryPending, nowMs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: claim deliveries: %w", err)
	}
	hooks := map[string]*media.Webhook{}
	out := make([]*media.WebhookDelivery, 0, len(rows))
	for i := range rows {
		d := rows[i].delivery()
		h := hooks[d.WebhookID]
		if h == nil {
			if h, err = db.Webhook(ctx, d.WebhookID); err != nil {
				continue // deleted meanwhile: its deliveries went with it
			}
			hooks[d.WebhookID] = h
		}
		d.URL, d.Secret, d.Format = h.URL, h.Secret, h.Format
		out = append(out, d)
	}
	return out, nil
}

// FinishWebhookDelivery records an attempt and the delivery's new state.
func (db *DB) FinishWebhookDelivery(ctx context.Context, d *media.WebhookDelivery, a media.DeliveryAttempt) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, next := media.DeliveryPending, a.NextRetry.UnixMilli()
		switch {
		case a.OK:
			st, next = media.DeliveryDelivered, 0
		case a.GiveUp:
			st, next = media.DeliveryFailed, 0
		}
		res := tx.Model(&deliveryRow{}).Where("id = ? AND state = ? AND lease_owner = ?", d.ID, media.DeliveryPending, d.LeaseOwner).
			Updates(map[string]any{"state": st, "next_at": next, "lease_until": 0, "lease_owner": "", "updated_at": a.At.UnixMilli()})
		if res.Error != nil {
			return fmt.Errorf("gormstore: finish delivery: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return media.Errorf(media.ECONFLICT, "The delivery's lease was lost.")
		}
		return tx.Exec(`INSERT INTO webhook_attempts(delivery_id, at, status_code, error, next_retry) VALUES (?, ?, ?, ?, ?)`,
			d.ID, a.At.UnixMilli(), a.StatusCode, a.Error, msOf(a.NextRetry)).Error
	})
}
