package gormstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var _ media.UserStore = (*DB)(nil)

// Rows of the accounts tables (migration 6). Times are unix milliseconds;
// 0 is "never".

type userRow struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         string
	PasswordHash string
	CreatedAt    int64 `gorm:"autoCreateTime:false"`
	UpdatedAt    int64 `gorm:"autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) user() *media.User {
	return &media.User{
		ID: r.ID, Email: r.Email, Name: r.Name, Role: media.Role(r.Role), PasswordHash: r.PasswordHash,
		CreatedAt: ms(r.CreatedAt), UpdatedAt: ms(r.UpdatedAt),
	}
}

func toUserRow(u *media.User) *userRow {
	return &userRow{
		ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), PasswordHash: u.PasswordHash,
		CreatedAt: u.CreatedAt.UnixMilli(), UpdatedAt: u.UpdatedAt.UnixMilli(),
	}
}

type sessionRow struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	LastSeenAt int64
	ExpiresAt  int64
	UserAgent  string
}

func (sessionRow) TableName() string { return "sessions" }

type tokenRow struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	LastUsedAt int64
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r *tokenRow) token() *media.APIToken {
	return &media.APIToken{
		ID: r.ID, UserID: r.UserID, Name: r.Name, Hash: r.TokenHash, Prefix: r.Prefix,
		CreatedAt: ms(r.CreatedAt), LastUsedAt: ms(r.LastUsedAt),
	}
}

type inviteRow struct {
	ID        string `gorm:"primaryKey"`
	TokenHash string
	Role      string
	CreatedBy string
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	ExpiresAt int64
	UsedAt    int64
	UsedBy    string
}

func (inviteRow) TableName() string { return "invites" }

func (r *inviteRow) invite() *media.Invite {
	return &media.Invite{
		ID: r.ID, Hash: r.TokenHash, Role: media.Role(r.Role), CreatedBy: r.CreatedBy,
		CreatedAt: ms(r.CreatedAt), ExpiresAt: ms(r.ExpiresAt), UsedAt: ms(r.UsedAt), UsedBy: r.UsedBy,
	}
}

// ms turns unix milliseconds into a time; 0 is the zero time.
func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func userNotFound() error { return media.Errorf(media.ENOTFOUND, "User not found.") }

// CreateUser inserts u; the first account becomes the admin and takes over
// the videos nobody owns, and an invite is used up, all in one transaction.
func (db *DB) CreateUser(ctx context.Context, u *media.User, inviteHash string) error {
	adopted := false
	defer func() {
		if adopted {
			db.VideoChanged("")
		}
	}()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&userRow{}).Count(&n).Error; err != nil {
			return fmt.Errorf("gormstore: count users: %w", err)
		}
		if inviteHash != "" {
			var inv inviteRow
			err := tx.Where("token_hash = ?", inviteHash).Take(&inv).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return media.Errorf(media.ENOTFOUND, "This invite link isn’t valid.")
			}
			if err != nil {
				return fmt.Errorf("gormstore: find invite: %w", err)
			}
			if inv.UsedAt != 0 || inv.ExpiresAt <= u.CreatedAt.UnixMilli() {
				return media.Errorf(media.EGONE, "This invite link has already been used or has expired.")
			}
			u.Role = media.Role(inv.Role)
			res := tx.Model(&inviteRow{}).Where("id = ? AND used_at = 0", inv.ID).
				Updates(map[string]any{"used_at": u.CreatedAt.UnixMilli(), "used_by": u.ID})
			if res.Error != nil {
				return fmt.Errorf("gormstore: use invite: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				return media.Errorf(media.EGONE, "This invite link has already been used.")
			}
		}
		if n == 0 {
			u.Role = media.RoleAdmin
		}
		if err := tx.Create(toUserRow(u)).Error; err != nil {
			if isUnique(err) {
				return media.WrapError(media.ECONFLICT, err, "There is already an account with this email. Sign in instead.")
			}
			return fmt.Errorf("gormstore: create user: %w", err)
		}
		if n == 0 {
			if err := tx.Exec(`UPDATE videos SET owner_id = ? WHERE owner_id = ''`, u.ID).Error; err != nil {
				return fmt.Errorf("gormstore: adopt videos: %w", err)
			}
			adopted = true
			if err := notifyTx(tx, db, "v", ""); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) findUser(ctx context.Context, g *gorm.DB, where string, arg any) (*media.User, error) {
	var row userRow
	err := g.WithContext(ctx).Where(where, arg).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, userNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: find user: %w", err)
	}
	return row.user(), nil
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id string) (*media.User, error) {
	return db.findUser(ctx, db.r, "id = ?", id)
}

// UserByEmail returns the user with email.
func (db *DB) UserByEmail(ctx context.Context, email string) (*media.User, error) {
	return db.findUser(ctx, db.r, "email = ?", email)
}

// Users lists every account, oldest first.
func (db *DB) Users(ctx context.Context) ([]*media.User, error) {
	var rows []userRow
	if err := db.r.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: list users: %w", err)
	}
	out := make([]*media.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}

// CountUsers counts accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int64
	if err := db.r.WithContext(ctx).Model(&userRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("gormstore: count users: %w", err)
	}
	return int(n), nil
}

// UpdateUser applies fn to the user in one transaction.
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*media.User) error) (*media.User, error) {
	var out *media.User
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := db.findUser(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		row := toUserRow(u)
		if err := tx.Model(&userRow{}).Where("id = ?", id).Select("*").Omit("id", "created_at").Updates(row).Error; err != nil {
			if isUnique(err) {
				return media.WrapError(media.ECONFLICT, err, "There is already an account with this email.")
			}
			return fmt.Errorf("gormstore: save user: %w", err)
		}
		out = u
		return nil
	})
	return out, err
}

// DeleteUser removes the user, their sessions and tokens (ON DELETE
// CASCADE); their videos pass to keepVideosFor.
func (db *DB) DeleteUser(ctx context.Context, id, keepVideosFor string) error {
	// Who owns a video decides who manages it through its link.
	defer db.VideoChanged("")
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE videos SET owner_id = ? WHERE owner_id = ?`, keepVideosFor, id).Error; err != nil {
			return fmt.Errorf("gormstore: hand over videos: %w", err)
		}
		if err := notifyTx(tx, db, "v", ""); err != nil {
			return err
		}
		res := tx.Where("id = ?", id).Delete(&userRow{})
		if res.Error != nil {
			return fmt.Errorf("gormstore: delete user: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return userNotFound()
		}
		return nil
	})
}

// CreateSession inserts s.
func (db *DB) CreateSession(ctx context.Context, s *media.Session) error {
	row := &sessionRow{
		ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt.UnixMilli(), LastSeenAt: s.LastSeenAt.UnixMilli(),
		ExpiresAt: s.ExpiresAt.UnixMilli(), UserAgent: s.UserAgent,
	}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("gormstore: create session: %w", err)
	}
	return nil
}

// SessionUser returns the unexpired session with id and its user.
func (db *DB) SessionUser(ctx context.Context, id string, now time.Time) (*media.Session, *media.User, error) {
	var r sessionRow
	err := db.r.WithContext(ctx).Where("id = ? AND expires_at > ?", id, now.UnixMilli()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, media.Errorf(media.ENOTFOUND, "Session not found.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gormstore: find session: %w", err)
	}
	u, err := db.User(ctx, r.UserID)
	if err != nil {
		return nil, nil, err
	}
	s := &media.Session{
		ID: r.ID, UserID: r.UserID, CreatedAt: ms(r.CreatedAt), LastSeenAt: ms(r.LastSeenAt),
		ExpiresAt: ms(r.ExpiresAt), UserAgent: r.UserAgent,
	}
	return s, u, nil
}

// TouchSession moves the session's expiry and last use.
func (db *DB) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	err := db.w.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", id).
		Updates(map[string]any{"last_seen_at": seen.UnixMilli(), "expires_at": expires.UnixMilli()}).Error
	if err != nil {
		return fmt.Errorf("gormstore: touch session: %w", err)
	}
	return nil
}

// DeleteSession removes one session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if err := db.w.WithContext(ctx).Where("id = ?", id).Delete(&sessionRow{}).Error; err != nil {
		return fmt.Errorf("gormstore: delete session: %w", err)
	}
	return nil
}

// DeleteSessions removes every session of the user except keep.
func (db *DB) DeleteSessions(ctx context.Context, userID, keep string) error {
	if err := db.w.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, keep).Delete(&sessionRow{}).Error; err != nil {
		return fmt.Errorf("gormstore: delete sessions: %w", err)
	}
	return nil
}

// CreateToken inserts t.
func (db *DB) CreateToken(ctx context.Context, t *media.APIToken) error {
	row := &tokenRow{ID: t.ID, UserID: t.UserID, Name: t.Name, TokenHash: t.Hash, Prefix: t.Prefix, CreatedAt: t.CreatedAt.UnixMilli()}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("gormstore: create token: %w", err)
	}
	return nil
}

// TokenUser returns the token with hash and its user, and records its use
// (at most once a minute, to spare the writer).
func (db *DB) TokenUser(ctx context.Context, hash string, now time.Time) (*media.APIToken, *media.User, error) {
	var t tokenRow
	err := db.r.WithContext(ctx).Where("token_hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, media.Errorf(media.ENOTFOUND, "Token not found.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gormstore: find token: %w", err)
	}
	u, err := db.User(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.UnixMilli()-t.LastUsedAt > time.Minute.Milliseconds() {
		t.LastUsedAt = now.UnixMilli()
		_ = db.w.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", t.ID).Update("last_used_at", t.LastUsedAt).Error
	}
	return t.token(), u, nil
}

// Tokens lists the user's tokens, newest first.
func (db *DB) Tokens(ctx context.Context, userID string) ([]*media.APIToken, error) {
	var rows []tokenRow
	if err := db.r.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: list tokens: %w", err)
	}
	out := make([]*media.APIToken, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	return out, nil
}

// DeleteToken removes the user's token with id.
func (db *DB) DeleteToken(ctx context.Context, userID, id string) error {
	res := db.w.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&tokenRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: delete token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return media.Errorf(media.ENOTFOUND, "Token not found.")
	}
	return nil
}

// CreateInvite inserts inv.
func (db *DB) CreateInvite(ctx context.Context, inv *media.Invite) error {
	row := &inviteRow{
		ID: inv.ID, TokenHash: inv.Hash, Role: string(inv.Role), CreatedBy: inv.CreatedBy,
		CreatedAt: inv.CreatedAt.UnixMilli(), ExpiresAt: inv.ExpiresAt.UnixMilli(),
	}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("gormstore: create invite: %w", err)
	}
	return nil
}

// InviteByHash returns the invite with hash.
func (db *DB) InviteByHash(ctx context.Context, hash string) (*media.Invite, error) {
	var row inviteRow
	err := db.r.WithContext(ctx).Where("token_hash = ?", hash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Invite not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: find invite: %w", err)
	}
	return row.invite(), nil
}

// Invites lists invites neither used nor expired, newest first.
func (db *DB) Invites(ctx context.Context, now time.Time) ([]*media.Invite, error) {
	var rows []inviteRow
	err := db.r.WithContext(ctx).Where("used_at = 0 AND expires_at > ?", now.UnixMilli()).Order("id DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: list invites: %w", err)
	}
	out := make([]*media.Invite, len(rows))
	for i := range rows {
		out[i] = rows[i].invite()
	}
	return out, nil
}

// DeleteInvite removes the invite with id.
func (db *DB) DeleteInvite(ctx context.Context, id string) error {
	res := db.w.WithContext(ctx).Where("id = ?", id).Delete(&inviteRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: delete invite: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return media.Errorf(media.ENOTFOUND, "Invite not found.")
	}
	return nil
}

// ServerKey returns the named secret, creating it the first time. INSERT
// ... DO NOTHING then SELECT makes every process agree on the first one
// written.
func (db *DB) ServerKey(ctx context.Context, name string, make func() []byte) ([]byte, error) {
	err := db.w.WithContext(ctx).Exec(`INSERT INTO server_keys(name, value, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING`,
		name, base64.StdEncoding.EncodeToString(make()), time.Now().UnixMilli()).Error
	if err != nil {
		return nil, fmt.Errorf("gormstore: create server key: %w", err)
	}
	var v string
	if err := db.w.WithContext(ctx).Raw(`SELECT value FROM server_keys WHERE name = ?`, name).Scan(&v).Error; err != nil {
		return nil, fmt.Errorf("gormstore: read server key: %w", err)
	}
	return base64.StdEncoding.DecodeString(v)
}
