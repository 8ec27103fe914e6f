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
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	ReadAt    int64
}

func (notificationRow) TableName() string { return "notifications" }

func (r *notificationRow) notification() *media.Notification {
	return &media.Notification{
		ID: r.ID, UserID: r.UserID, Kind: media.NotifyKind(r.Kind), VideoID: r.VideoID, VideoSlug: r.VideoSlug,
		Title: r.Title, CommentID: r.CommentID, Actor: r.Actor, Text: r.Text, TimeMs: r.TimeMs, Urgent: r.Urgent,
		CreatedAt: ms(r.CreatedAt), ReadAt: ms(r.ReadAt),
	}
}

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
					CommentID: n.CommentID, Actor: n.Actor, Text: n.Text, TimeMs: n.TimeMs, Urgent: n.Urgent, CreatedAt: msOf(n.CreatedAt),
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

// UnplannedComments finds comments whose plan key is missing.
func (db *DB) UnplannedComments(ctx context.Context, from, to time.Time, limit int) ([]*media.Comment, error) {
	var rows []commentRow
	err := db.r.WithContext(ctx).Raw(`SELECT c.* FROM comments c
		WHERE c.created_at >= ? AND c.created_at <= ? AND c.deleted = FALSE
		AND NOT EXISTS (SELECT 1 FROM notify_once o WHERE o.key = 'plan:' || c.id)
		ORDER BY c.created_at, c.id LIMIT ?`, from.UnixMilli(), to.UnixMilli(), limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: unplanned comments: %w", err)
	}
	out := make([]*media.Comment, len(rows))
	for i := range rows {
		out[i] = rows[i].comment()
	}
	return out, nil
}

// Once inserts key unless it exists.
func (db *DB) Once(ctx context.Context, key string, now time.Time) (bool, error) {
	res := db.w.WithContext(ctx).Exec(`INSERT INTO notify_once(key, created_at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, now.UnixMilli())
	if res.Error != nil {
		return false, fmt.Errorf("gormstore: once: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Notifications pages through a member's inbox, newest first (ids are
// UUIDv7, so they sort by time).
func (db *DB) Notifications(ctx context.Context, userID, before string, limit int) ([]*media.Notification, int, error) {
	var rows []notificationRow
	q := db.r.WithContext(ctx).Where("user_id = ?", userID)
	if before != "" {
		q = q.Where("id < ?", before)
	}
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("gormstore: notifications: %w", err)
	}
	out := make([]*media.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].notification()
	}
	n, err := db.UnreadCount(ctx, userID)
	return out, n, err
}

// UnreadCount counts a member's unread notifications.
func (db *DB) UnreadCount(ctx context.Context, userID string) (int, error) {
	var n int64
	if err := db.r.WithContext(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at = 0", userID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("gormstore: unread count: %w", err)
	}
	return int(n), nil
}

// MarkRead marks notifications read.
func (db *DB) MarkRead(ctx context.Context, userID string, ids []string, all bool, now time.Time) error {
	q := db.w.WithContext(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at = 0", userID)
	if !all {
		q = q.Where("id IN ?", ids)
	}
	if err := q.Update("read_at", now.UnixMilli()).Error; err != nil {
		return fmt.Errorf("gormstore: mark read: %w", err)
	}
	return nil
}

// NewCommentCounts counts unread comment notifications per video.
func (db *DB) NewCommentCounts(ctx context.Context, userID string, videoIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(videoIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		VideoID string
		N       int
	}
	err := db.r.WithContext(ctx).Raw(`SELECT video_id, COUNT(*) AS n FROM notifications
		WHERE user_id = ? AND read_at = 0 AND kind IN ('comment', 'reply', 'mention') AND video_id IN ?
		GROUP BY video_id`, userID, videoIDs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: new comment counts: %w", err)
	}
	for _, r := range rows {
		out[r.VideoID] = r.N
	}
	return out, nil
}

// SeenVideo records a member's visit to a video and returns the last one.
func (db *DB) SeenVideo(ctx context.Context, userID, videoID string, now time.Time) (time.Time, error) {
	var prev int64
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT COALESCE(MAX(seen_at), 0) FROM video_seen WHERE user_id = ? AND video_id = ?`, userID, videoID).Scan(&prev).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO video_seen(user_id, video_id, seen_at) VALUES (?, ?, ?)
			ON CONFLICT(user_id, video_id) DO UPDATE SET seen_at = excluded.seen_at`, userID, videoID, now.UnixMilli()).Error
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("gormstore: seen video: %w", err)
	}
	return ms(prev), nil
}

// SetFollow follows or stops following. Stopping is kept as a row so
// automatic follows (commenting) do not undo it.
func (db *DB) SetFollow(ctx context.Context, f media.Follow, on bool, now time.Time) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !on {
			if err := tx.Exec(`DELETE FROM follows WHERE video_id = ? AND recipient = ? AND thread_id != ''`, f.VideoID, f.Recipient).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO follows(video_id, thread_id, recipient, following, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(video_id, thread_id, recipient) DO UPDATE SET following = excluded.following`,
			f.VideoID, f.ThreadID, f.Recipient, on, now.UnixMilli()).Error
	})
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return media.Errorf(media.ENOTFOUND, "Video not found.")
		}
		return fmt.Errorf("gormstore: follow: %w", err)
	}
	return nil
}

func (db *DB) followState(ctx context.Context, videoID, recipient string) (int, error) {
	var st []bool
	err := db.r.WithContext(ctx).Raw(`SELECT following FROM follows WHERE video_id = ? AND thread_id = '' AND recipient = ?`, videoID, recipient).Scan(&st).Error
	if err != nil {
		return 0, fmt.Errorf("gormstore: follow state: %w", err)
	}
	switch {
	case len(st) == 0:
		return -1, nil
	case st[0]:
		return 1, nil
	}
	return 0, nil
}

// Following reports whether the recipient follows the video.
func (db *DB) Following(ctx context.Context, videoID, recipient string) (bool, error) {
	st, err := db.followState(ctx, videoID, recipient)
	return st == 1, err
}

// Unfollowed reports whether the recipient explicitly stopped following.
func (db *DB) Unfollowed(ctx context.Context, videoID, recipient string) (bool, error) {
	st, err := db.followState(ctx, videoID, recipient)
	return st == 0, err
}

// Followers lists who follows the video (threadID empty) or the thread.
func (db *DB) Followers(ctx context.Context, videoID, threadID string) ([]string, error) {
	var out []string
	err := db.r.WithContext(ctx).Raw(`SELECT recipient FROM follows WHERE video_id = ? AND thread_id = ? AND following = TRUE ORDER BY created_at`,
		videoID, threadID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: followers: %w", err)
	}
	return out, nil
}

// CurrentComments returns the bodies of the live comments among ids.
func (db *DB) CurrentComments(ctx context.Context, ids []string) (map[string]string, error) {
	var rows []struct{ ID, Body string }
	if err := db.r.WithContext(ctx).Raw(`SELECT id, body FROM comments WHERE id IN ? AND deleted = FALSE`, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: current comments: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Body
	}
	return out, nil
}

// ThreadAuthors lists the members who wrote in a thread.
func (db *DB) ThreadAuthors(ctx context.Context, threadID string) ([]string, error) {
	var out []string
	err := db.r.WithContext(ctx).Raw(`SELECT DISTINCT author_user_id FROM comments
		WHERE (id = ? OR parent_id = ?) AND author_user_id != '' AND deleted = FALSE`, threadID, threadID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: thread authors: %w", err)
	}
	return out, nil
}

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
