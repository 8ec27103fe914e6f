package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

type emailRow struct {
	ID         int64 `gorm:"primaryKey"`
	Recipient  string
	ToAddr     string
	Kind       string
	VideoID    string
	VideoSlug  string
	Title      string
	CommentID  string
	Actor      string
	Text       string
	TimeMs     int64
	Urgent     bool
	State      string
	DueAt      int64
	Attempts   int
	LeaseOwner string
	LeaseUntil int64
	LastError  string
	SentAt     int64
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	Link       string
}

func (emailRow) TableName() string { return "email_outbox" }

func (r *emailRow) item() *media.EmailItem {
	return &media.EmailItem{
		ID: r.ID, Recipient: r.Recipient, To: r.ToAddr, Kind: media.NotifyKind(r.Kind), VideoID: r.VideoID,
		VideoSlug: r.VideoSlug, Title: r.Title, CommentID: r.CommentID, Actor: r.Actor, Text: r.Text,
		TimeMs: r.TimeMs, Urgent: r.Urgent, DueAt: ms(r.DueAt), CreatedAt: ms(r.CreatedAt), Attempts: r.Attempts,
		Link: r.Link,
	}
}

// ClaimEmails leases the due emails of up to max recipients, oldest due
// first. SQLite has one writer, so the select and the lease are atomic in
// one transaction; on Postgres two processes may pick the same
// recipients, and the update's own conditions (re-checked on rows another
// transaction changed) give each row to one of them.
func (db *DB) ClaimEmails(ctx context.Context, owner string, lease time.Duration, now time.Time, max int) ([]*media.EmailBatch, error) {
	nowMs := now.UnixMilli()
	var out []*media.EmailBatch
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var recipients []string
		if err := tx.Raw(`SELECT recipient FROM email_outbox WHERE state = ? AND due_at <= ? AND lease_until <= ?
			GROUP BY recipient ORDER BY MIN(due_at) LIMIT ?`, emailPending, nowMs, nowMs, max).Scan(&recipients).Error; err != nil {
			return err
		}
		if len(recipients) == 0 {
			return nil
		}
		var rows []emailRow
		if err := tx.Raw(`UPDATE email_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE state = ? AND due_at <= ? AND lease_until <= ? AND recipient IN ? RETURNING *`,
			owner, now.Add(lease).UnixMilli(), emailPending, nowMs, nowMs, recipients).Scan(&rows).Error; err != nil {
			return err
		}
		by := map[string]*media.EmailBatch{}
		for i := range rows {
			r := &rows[i]
			// Confirmation links go alone: they are not notifications.
			key := r.Recipient
			if r.Kind == string(media.NotifyConfirm) {
				key += "\x00confirm"
			}
			b := by[key]
			if b == nil {
				b = &media.EmailBatch{Recipient: r.Recipient, To: r.ToAddr, LeaseOwner: owner}
				by[key] = b
				out = append(out, b)
			}
			b.Items = append(b.Items, r.item())
			b.Attempts = max0(b.Attempts, r.Attempts)
			// The newest address wins if a member changed theirs.
			b.To = r.ToAddr
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gormstore: claim emails: %w", err)
	}
	return out, nil
}

func max0(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// FinishEmails records attempts and the batches' new states together, in
// one transaction: outcomes that arrive while the writer is busy commit as
// a group, so a burst of sends costs one commit, not one each.
func (db *DB) FinishEmails(ctx context.Context, outcomes []media.EmailOutcome) ([]error, error) {
	errs := make([]error, len(outcomes))
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for k, o := range outcomes {
			b, a := o.Batch, o.Attempt
			ids := make([]int64, len(b.Items))
			for i, it := range b.Items {
				ids[i] = it.ID
			}
			// The unary + keeps SQLite on the primary key: without
			// statistics it would otherwise walk the (state, due_at) index
			// through every pending row. Postgres plans this by itself
			// (and has no unary + for text).
			cond := "id IN ? AND +state = ? AND +lease_owner = ?"
			if isPG(tx) {
				cond = "id IN ? AND state = ? AND lease_owner = ?"
			}
			q := tx.Model(&emailRow{}).Where(cond, ids, emailPending, b.LeaseOwner)
			var res *gorm.DB
			switch {
			case a.OK:
				res = q.Updates(map[string]any{"state": emailSent, "sent_at": a.At.UnixMilli(), "lease_until": 0, "last_error": ""})
			case a.GiveUp:
				res = q.Updates(map[string]any{"state": emailFailed, "lease_until": 0, "last_error": a.Error})
			default:
				res = q.Updates(map[string]any{"due_at": a.NextRetry.UnixMilli(), "lease_until": 0, "lease_owner": "", "last_error": a.Error})
			}
			if res.Error != nil {
				return fmt.Errorf("gormstore: finish emails: %w", res.Error)
			}
			if int(res.RowsAffected) != len(ids) {
				// Another sender took these over after the lease ran out;
				// a partial update must not stand.
				if res.RowsAffected > 0 {
					return fmt.Errorf("gormstore: finish emails: %d of %d rows still leased", res.RowsAffected, len(ids))
				}
				errs[k] = media.Errorf(media.ECONFLICT, "The emails' lease was lost.")
				continue
			}
			if err := tx.Exec(`INSERT INTO email_attempts(recipient, items, at, ok, error, next_retry) VALUES (?, ?, ?, ?, ?, ?)`,
				b.Recipient, len(ids), a.At.UnixMilli(), a.OK, a.Error, msOf(a.NextRetry)).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return errs, err
}

// EmailAttempts counts the recorded attempts to a recipient and how many
// succeeded (for tests and operators).
func (db *DB) EmailAttempts(ctx context.Context, recipient string) (total, ok int, err error) {
	var r struct{ Total, OK int }
	err = db.r.WithContext(ctx).Raw(`SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN ok THEN 1 ELSE 0 END), 0) AS ok FROM email_attempts WHERE recipient = ?`, recipient).Scan(&r).Error
	return r.Total, r.OK, err
}

// PendingEmails counts emails not yet sent or failed.
func (db *DB) PendingEmails(ctx context.Context) (int, error) {
	var n int64
	err := db.r.WithContext(ctx).Model(&emailRow{}).Where("state = ?", emailPending).Count(&n).Error
	return int(n), err
}
