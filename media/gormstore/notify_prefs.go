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

type prefsRow struct {
	UserID       string `gorm:"primaryKey"`
	TimeZone     string
	WorkingHours string
	EmailMode    string
	UpdatedAt    int64 `gorm:"autoUpdateTime:false"`
}

func (prefsRow) TableName() string { return "notify_prefs" }

func (r *prefsRow) prefs() *media.Prefs {
	h, err := media.ParseWorkingHours(r.WorkingHours)
	if err != nil {
		h = media.DefaultWorkingHours
	}
	return &media.Prefs{TimeZone: r.TimeZone, Hours: h, EmailMode: media.EmailMode(r.EmailMode)}
}

// Prefs returns a member's settings, nil when never set.
func (db *DB) Prefs(ctx context.Context, userID string) (*media.Prefs, error) {
	var rows []prefsRow
	if err := db.r.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: prefs: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].prefs(), nil
}

// SetPrefs stores a member's settings.
func (db *DB) SetPrefs(ctx context.Context, userID string, p *media.Prefs) error {
	err := db.w.WithContext(ctx).Exec(`INSERT INTO notify_prefs(user_id, time_zone, working_hours, email_mode, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(user_id) DO UPDATE SET time_zone = excluded.time_zone, working_hours = excluded.working_hours,
		email_mode = excluded.email_mode, updated_at = excluded.updated_at`,
		userID, p.TimeZone, p.Hours.String(), string(p.EmailMode), time.Now().UnixMilli()).Error
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return media.Errorf(media.ENOTFOUND, "User not found.")
		}
		return fmt.Errorf("gormstore: set prefs: %w", err)
	}
	return nil
}

// People resolves recipients to their names, addresses and settings.
func (db *DB) People(ctx context.Context, recipients []string) (map[string]*media.Person, error) {
	out := map[string]*media.Person{}
	var users, guests []string
	for _, r := range recipients {
		switch kind, id := media.SplitRecipient(r); kind {
		case "user":
			users = append(users, id)
		case "guest":
			guests = append(guests, id)
		}
	}
	for len(users) > 0 {
		chunk := users[:min(len(users), 500)]
		users = users[len(chunk):]
		var rows []struct {
			ID, Name, Email                   string
			TimeZone, WorkingHours, EmailMode *string
		}
		err := db.r.WithContext(ctx).Raw(`SELECT u.id, u.name, u.email, p.time_zone, p.working_hours, p.email_mode
			FROM users u LEFT JOIN notify_prefs p ON p.user_id = u.id WHERE u.id IN ?`, chunk).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("gormstore: people: %w", err)
		}
		for _, r := range rows {
			p := &media.Person{Recipient: media.UserRecipient(r.ID), Name: r.Name, Email: r.Email}
			if r.TimeZone != nil {
				pr := prefsRow{TimeZone: *r.TimeZone, WorkingHours: *r.WorkingHours, EmailMode: *r.EmailMode}
				p.Prefs = pr.prefs()
			}
			out[p.Recipient] = p
		}
	}
	if len(guests) > 0 {
		var rows []guestRow
		if err := db.r.WithContext(ctx).Where("id IN ?", guests).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("gormstore: guest people: %w", err)
		}
		for _, r := range rows {
			p := &media.Person{Recipient: media.GuestRecipient(r.ID), Email: r.Email, Guest: true,
				Confirmed: r.ConfirmedAt != 0, Unsubscribed: r.Unsubscribed}
			out[p.Recipient] = p
		}
	}
	return out, nil
}

type guestRow struct {
	ID            string `gorm:"primaryKey"`
	Email         string
	ConfirmedAt   int64
	ConfirmSentAt int64
	Unsubscribed  bool
	CreatedAt     int64 `gorm:"autoCreateTime:false"`
}

func (guestRow) TableName() string { return "guest_emails" }

func (r *guestRow) guest() *media.GuestEmail {
	return &media.GuestEmail{ID: r.ID, Email: r.Email, ConfirmedAt: ms(r.ConfirmedAt), ConfirmSentAt: ms(r.ConfirmSentAt), Unsubscribed: r.Unsubscribed}
}

// GuestEmail returns the address's row, creating it.
func (db *DB) GuestEmail(ctx context.Context, email string, now time.Time) (*media.GuestEmail, error) {
	if err := db.w.WithContext(ctx).Exec(`INSERT INTO guest_emails(id, email, created_at) VALUES (?, ?, ?) ON CONFLICT(email) DO NOTHING`,
		media.NewID(), email, now.UnixMilli()).Error; err != nil {
		return nil, fmt.Errorf("gormstore: guest email: %w", err)
	}
	var r guestRow
	if err := db.w.WithContext(ctx).Where("email = ?", email).First(&r).Error; err != nil {
		return nil, fmt.Errorf("gormstore: guest email: %w", err)
	}
	return r.guest(), nil
}

// GuestEmailByID returns a guest address.
func (db *DB) GuestEmailByID(ctx context.Context, id string) (*media.GuestEmail, error) {
	var r guestRow
	err := db.r.WithContext(ctx).Where("id = ?", id).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Address not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: guest email: %w", err)
	}
	return r.guest(), nil
}

// UpdateGuestEmail changes a guest address in one transaction.
func (db *DB) UpdateGuestEmail(ctx context.Context, id string, fn func(*media.GuestEmail) error) (*media.GuestEmail, error) {
	var out *media.GuestEmail
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r guestRow
		err := tx.Where("id = ?", id).First(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return media.Errorf(media.ENOTFOUND, "Address not found.")
		}
		if err != nil {
			return err
		}
		g := r.guest()
		if err := fn(g); err != nil {
			return err
		}
		r.ConfirmedAt, r.ConfirmSentAt, r.Unsubscribed = msOf(g.ConfirmedAt), msOf(g.ConfirmSentAt), g.Unsubscribed
		out = g
		return tx.Save(&r).Error
	})
	if err != nil && media.ErrorCode(err) == media.EINTERNAL {
		return nil, fmt.Errorf("gormstore: update guest email: %w", err)
	}
	return out, err
}
