package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var (
	_ media.AskStore     = (*DB)(nil)
	_ media.ReceiptStore = (*DB)(nil)
)

type askRow struct {
	VideoID   string `gorm:"primaryKey"`
	OwnerID   string
	Question  string
	ReplyBy   int64
	SummaryAt int64
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	UpdatedAt int64 `gorm:"autoUpdateTime:false"`
}

func (askRow) TableName() string { return "asks" }

func (r *askRow) ask() *media.Ask {
	return &media.Ask{VideoID: r.VideoID, OwnerID: r.OwnerID, Question: r.Question, ReplyBy: ms(r.ReplyBy),
		SummaryAt: ms(r.SummaryAt), CreatedAt: ms(r.CreatedAt), UpdatedAt: ms(r.UpdatedAt)}
}

type askRecipientRow struct {
	ID        string `gorm:"primaryKey"`
	VideoID   string
	UserID    string
	Email     string
	Token     string
	AckAt     int64
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	// Filled by reads (users.name).
	Name string `gorm:"->;-:migration"`
}

func (askRecipientRow) TableName() string { return "ask_recipients" }

func (r *askRecipientRow) recipient() *media.AskRecipient {
	return &media.AskRecipient{ID: r.ID, VideoID: r.VideoID, UserID: r.UserID, Email: r.Email, Name: r.Name,
		Token: r.Token, AckAt: ms(r.AckAt), CreatedAt: ms(r.CreatedAt)}
}

func askNotFound() error { return media.Errorf(media.ENOTFOUND, "This video has no ask.") }

// recipientsQuery selects recipients with the member's current name and
// address (a member who changed their email is mailed at the new one).
const recipientsQuery = `SELECT r.id, r.video_id, r.user_id, COALESCE(u.email, r.email) AS email, r.token, r.ack_at, r.created_at,
	COALESCE(u.name, '') AS name
	FROM ask_recipients r LEFT JOIN users u ON u.id = r.user_id AND r.user_id != ''`

// SaveAsk upserts the ask and replaces its recipient set.
func (db *DB) SaveAsk(ctx context.Context, a *media.Ask) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO asks(video_id, owner_id, question, reply_by, summary_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET owner_id = excluded.owner_id, question = excluded.question, reply_by = excluded.reply_by,
			summary_at = excluded.summary_at, updated_at = excluded.updated_at`,
			a.VideoID, a.OwnerID, a.Question, a.ReplyBy.UnixMilli(), msOf(a.SummaryAt), a.CreatedAt.UnixMilli(), a.UpdatedAt.UnixMilli()).Error; err != nil {
			return err
		}
		ids := make([]string, 0, len(a.Recipients))
		for _, r := range a.Recipients {
			ids = append(ids, r.ID)
			if err := tx.Exec(`INSERT INTO ask_recipients(id, video_id, user_id, email, token, ack_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(id) DO NOTHING`, r.ID, a.VideoID, r.UserID, r.Email, r.Token, msOf(r.AckAt), r.CreatedAt.UnixMilli()).Error; err != nil {
				return err
			}
		}
		q := tx.Where("video_id = ?", a.VideoID)
		if len(ids) > 0 {
			q = q.Where("id NOT IN ?", ids)
		}
		return q.Delete(&askRecipientRow{}).Error
	})
	if err != nil {
		return fmt.Errorf("gormstore: save ask: %w", err)
	}
	return nil
}

// Ask returns the video's ask.
func (db *DB) Ask(ctx context.Context, videoID string) (*media.Ask, error) {
	m, err := db.asksOf(ctx, []string{videoID})
	if err != nil {
		return nil, err
	}
	if a := m[videoID]; a != nil {
		return a, nil
	}
	return nil, askNotFound()
}

// AsksOf returns the asks of the videos.
func (db *DB) AsksOf(ctx context.Context, videoIDs []string) (map[string]*media.Ask, error) {
	return db.asksOf(ctx, videoIDs)
}

func (db *DB) asksOf(ctx context.Context, videoIDs []string) (map[string]*media.Ask, error) {
	out := map[string]*media.Ask{}
	if len(videoIDs) == 0 {
		return out, nil
	}
	var rows []askRow
	if err := db.r.WithContext(ctx).Where("video_id IN ?", videoIDs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: asks: %w", err)
	}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	for i := range rows {
		out[rows[i].VideoID] = rows[i].ask()
		ids[i] = rows[i].VideoID
	}
	var rs []askRecipientRow
	if err := db.r.WithContext(ctx).Raw(recipientsQuery+` WHERE r.video_id IN ? ORDER BY r.created_at, r.id`, ids).Scan(&rs).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ask recipients: %w", err)
	}
	for i := range rs {
		if a := out[rs[i].VideoID]; a != nil {
			a.Recipients = append(a.Recipients, rs[i].recipient())
		}
	}
	return out, nil
}

// DeleteAsk removes the ask and (by cascade) its recipients.
func (db *DB) DeleteAsk(ctx context.Context, videoID string) error {
	res := db.w.WithContext(ctx).Where("video_id = ?", videoID).Delete(&askRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: delete ask: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return askNotFound()
	}
	return nil
}

// AskRecipientByToken finds a personal link's holder.
func (db *DB) AskRecipientByToken(ctx context.Context, videoID, token string) (*media.AskRecipient, error) {
	var rs []askRecipientRow
	if err := db.r.WithContext(ctx).Raw(recipientsQuery+` WHERE r.token = ? AND r.video_id = ?`, token, videoID).Scan(&rs).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ask recipient: %w", err)
	}
	if len(rs) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "This personal link is not valid any more.")
	}
	return rs[0].recipient(), nil
}

// AcknowledgeAsk records the first "Got it".
func (db *DB) AcknowledgeAsk(ctx context.Context, recipientID string, at time.Time) (*media.AskRecipient, error) {
	res := db.w.WithContext(ctx).Exec(`UPDATE ask_recipients SET ack_at = ? WHERE id = ? AND ack_at = 0`, at.UnixMilli(), recipientID)
	if res.Error != nil {
		return nil, fmt.Errorf("gormstore: acknowledge: %w", res.Error)
	}
	var rs []askRecipientRow
	if err := db.w.WithContext(ctx).Raw(recipientsQuery+` WHERE r.id = ?`, recipientID).Scan(&rs).Error; err != nil {
		return nil, fmt.Errorf("gormstore: acknowledge: %w", err)
	}
	if len(rs) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "This personal link is not valid any more.")
	}
	return rs[0].recipient(), nil
}

// RecordAskReply links a comment to the recipient who wrote it.
func (db *DB) RecordAskReply(ctx context.Context, recipientID, commentID string, at time.Time) error {
	err := db.w.WithContext(ctx).Exec(`INSERT INTO ask_replies(recipient_id, comment_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, recipientID, commentID, at.UnixMilli()).Error
	if err != nil {
		return fmt.Errorf("gormstore: record ask reply: %w", err)
	}
	return nil
}

// AskActivity derives what each recipient did: receipts by their personal
// link or their account, and their first comment since the ask was made
// (by account, or linked through the personal link).
func (db *DB) AskActivity(ctx context.Context, a *media.Ask) (map[string]*media.AskActivity, error) {
	out := map[string]*media.AskActivity{}
	if len(a.Recipients) == 0 {
		return out, nil
	}
	byUser := map[string]string{}
	for _, r := range a.Recipients {
		out[r.ID] = &media.AskActivity{}
		if r.UserID != "" {
			byUser[r.UserID] = r.ID
		}
	}
	var receipts []receiptRow
	if err := db.r.WithContext(ctx).Raw(`SELECT * FROM view_receipts WHERE video_id = ? AND (recipient_id IN (SELECT id FROM ask_recipients WHERE video_id = ?)
		OR user_id IN (SELECT user_id FROM ask_recipients WHERE video_id = ? AND user_id != '')) ORDER BY created_at`,
		a.VideoID, a.VideoID, a.VideoID).Scan(&receipts).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ask activity: %w", err)
	}
	for i := range receipts {
		rr := receipts[i].receipt()
		id := rr.RecipientID
		if out[id] == nil {
			id = byUser[rr.UserID]
		}
		x := out[id]
		if x == nil {
			continue
		}
		if x.OpenedAt.IsZero() || rr.CreatedAt.Before(x.OpenedAt) {
			x.OpenedAt = rr.CreatedAt
		}
		x.Counted = x.Counted || rr.Counted
		x.Ranges = media.MergeRanges(append(x.Ranges, rr.Ranges...))
	}
	var replies []struct {
		RecipientID string
		At          int64
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT r.id AS recipient_id, MIN(c.created_at) AS at FROM ask_recipients r
		JOIN comments c ON c.video_id = r.video_id AND c.deleted = FALSE AND c.created_at >= ?
		 AND (r.user_id != '' AND c.author_user_id = r.user_id OR c.id IN (SELECT comment_id FROM ask_replies WHERE recipient_id = r.id))
		WHERE r.video_id = ? GROUP BY r.id`, a.CreatedAt.UnixMilli(), a.VideoID).Scan(&replies).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ask replies: %w", err)
	}
	for _, r := range replies {
		if x := out[r.RecipientID]; x != nil && r.At > 0 {
			x.RepliedAt = ms(r.At)
		}
	}
	return out, nil
}

// AsksTo lists the asks addressed to the member.
func (db *DB) AsksTo(ctx context.Context, userID string) ([]*media.Ask, error) {
	var ids []string
	if err := db.r.WithContext(ctx).Raw(`SELECT video_id FROM ask_recipients WHERE user_id = ?`, userID).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("gormstore: asks to: %w", err)
	}
	m, err := db.asksOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*media.Ask, 0, len(m))
	for _, id := range ids {
		if a := m[id]; a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// ClaimOverdueAsks marks due summaries planned in one UPDATE ... RETURNING:
// on Postgres a second process blocked on the same rows finds summary_at
// set when it re-checks, so each ask goes to one caller.
func (db *DB) ClaimOverdueAsks(ctx context.Context, now time.Time, max int) ([]*media.Ask, error) {
	var ids []string
	err := db.w.WithContext(ctx).Raw(`UPDATE asks SET summary_at = ? WHERE summary_at = 0 AND video_id IN
		(SELECT video_id FROM asks WHERE summary_at = 0 AND reply_by <= ? ORDER BY reply_by LIMIT ?) RETURNING video_id`,
		now.UnixMilli(), now.UnixMilli(), max).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: claim overdue asks: %w", err)
	}
	m, err := db.asksOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*media.Ask, 0, len(ids))
	for _, id := range ids {
		if a := m[id]; a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// CancelAskEmails deletes pending, unleased emails about the video.
func (db *DB) CancelAskEmails(ctx context.Context, videoID, recipient string, kinds []media.NotifyKind) error {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	q := db.w.WithContext(ctx).Where("video_id = ? AND state = ? AND kind IN ? AND lease_until <= ?", videoID, emailPending, ks, time.Now().UnixMilli())
	if recipient != "" {
		q = q.Where("recipient = ?", recipient)
	}
	if err := q.Delete(&emailRow{}).Error; err != nil {
		return fmt.Errorf("gormstore: cancel ask emails: %w", err)
	}
	return nil
}

// Away returns the members' away dates.
func (db *DB) Away(ctx context.Context, userIDs []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID    string
		AwayUntil int64
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT user_id, away_until FROM user_away WHERE user_id IN ?`, userIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: away: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = ms(r.AwayUntil)
	}
	return out, nil
}

// SetAway stores or clears a member's away date.
func (db *DB) SetAway(ctx context.Context, userID string, until time.Time) error {
	var err error
	if until.IsZero() {
		err = db.w.WithContext(ctx).Exec(`DELETE FROM user_away WHERE user_id = ?`, userID).Error
	} else {
		err = db.w.WithContext(ctx).Exec(`INSERT INTO user_away(user_id, away_until) VALUES (?, ?)
			ON CONFLICT(user_id) DO UPDATE SET away_until = excluded.away_until`, userID, until.UnixMilli()).Error
	}
	if err != nil {
		return fmt.Errorf("gormstore: set away: %w", err)
	}
	return nil
}

/* ---------- Receipts ---------- */

type receiptRow struct {
	ID          string `gorm:"primaryKey"`
	VideoID     string
	Viewer      string
	UserID      string
	RecipientID string
	Ranges      string
	Counted     bool
	CreatedAt   int64  `gorm:"autoCreateTime:false"`
	UpdatedAt   int64  `gorm:"autoUpdateTime:false"`
	Name        string `gorm:"->;-:migration"`
	Email       string `gorm:"->;-:migration"`
}

func (receiptRow) TableName() string { return "view_receipts" }

func (r *receiptRow) receipt() *media.ViewReceipt {
	out := &media.ViewReceipt{ID: r.ID, VideoID: r.VideoID, Viewer: r.Viewer, UserID: r.UserID, RecipientID: r.RecipientID,
		Counted: r.Counted, CreatedAt: ms(r.CreatedAt), UpdatedAt: ms(r.UpdatedAt), Name: r.Name, Email: r.Email}
	// Written only by this package; a row that does not parse has no ranges.
	_ = json.Unmarshal([]byte(r.Ranges), &out.Ranges)
	return out
}

// UpdateViewReceipt loads or starts a receipt, applies fn and saves it.
func (db *DB) UpdateViewReceipt(ctx context.Context, init *media.ViewReceipt, fn func(*media.ViewReceipt) error) (*media.ViewReceipt, error) {
	var out *media.ViewReceipt
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row receiptRow
		err := tx.Where("id = ?", init.ID).First(&row).Error
		r := init
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			cp := *init
			r = &cp
		case err != nil:
			return err
		default:
			r = row.receipt()
		}
		if err := fn(r); err != nil {
			return err
		}
		b, err := json.Marshal(r.Ranges)
		if err != nil {
			return err
		}
		if r.Ranges == nil {
			b = []byte("[]")
		}
		out = r
		return tx.Exec(`INSERT INTO view_receipts(id, video_id, viewer, user_id, recipient_id, ranges, counted, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET recipient_id = excluded.recipient_id, ranges = excluded.ranges,
			counted = excluded.counted, updated_at = excluded.updated_at`,
			r.ID, r.VideoID, r.Viewer, r.UserID, r.RecipientID, string(b), r.Counted, msOf(r.CreatedAt), msOf(r.UpdatedAt)).Error
	})
	if err != nil {
		if media.ErrorCode(err) != media.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("gormstore: view receipt: %w", err)
	}
	return out, nil
}

// ViewReceipts lists a video's receipts with the names the owner may see:
// members' and addressed recipients'.
func (db *DB) ViewReceipts(ctx context.Context, videoID string) ([]*media.ViewReceipt, error) {
	var rows []receiptRow
	err := db.r.WithContext(ctx).Raw(`SELECT v.*,
		COALESCE(u.name, ru.name, '') AS name, COALESCE(u.email, ru.email, ar.email, '') AS email
		FROM view_receipts v
		LEFT JOIN users u ON v.user_id != '' AND u.id = v.user_id
		LEFT JOIN ask_recipients ar ON v.recipient_id != '' AND ar.id = v.recipient_id
		LEFT JOIN users ru ON ar.user_id != '' AND ru.id = ar.user_id
		WHERE v.video_id = ? ORDER BY v.created_at, v.id`, videoID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: view receipts: %w", err)
	}
	out := make([]*media.ViewReceipt, len(rows))
	for i := range rows {
		out[i] = rows[i].receipt()
	}
	return out, nil
}
