package media

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Accounts holds the rules of signing up, signing in and the credentials
// that follow: sessions for browsers, API tokens for scripts, invites for
// new members.
type Accounts struct {
	Users  UserStore
	Hasher PasswordHasher
	// SignupOpen lets anyone create an account. Without it only the first
	// account (the admin) and invited people can.
	SignupOpen bool
	// SessionTTL is how long a session lasts without use; each use extends
	// it.
	SessionTTL time.Duration
	// InviteTTL is how long an invite link works.
	InviteTTL time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	// dummyHash is checked against when an email is unknown, so that a
	// failed sign-in takes as long whether the account exists or not.
	dummyOnce sync.Once
	dummyHash string
}

// Defaults of Accounts' durations.
const (
	DefaultSessionTTL = 30 * 24 * time.Hour
	DefaultInviteTTL  = 7 * 24 * time.Hour
	// sessionTouchEvery bounds the writes a busy session makes.
	sessionTouchEvery = time.Hour
)

// Token shapes: 256 random bits, base64url; API tokens carry a prefix so
// that secret scanners and people recognise them.
const (
	tokenBytes     = 32
	APITokenPrefix = "baton_"
)

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Accounts) sessionTTL() time.Duration {
	if a.SessionTTL > 0 {
		return a.SessionTTL
	}
	return DefaultSessionTTL
}

// SignUpInput is a new account as a person asked for it.
type SignUpInput struct {
	Email    string
	Name     string
	Password string
	// Invite is the token of an invite link; with it sign-up works even
	// when it is closed, and the invite's role applies.
	Invite string
}

// SignUp creates an account: the first one becomes the admin; later ones
// need open sign-up or an invite. EINVALID, ENOTALLOWED (sign-up closed),
// ECONFLICT (email taken), EGONE/ENOTFOUND (the invite).
func (a *Accounts) SignUp(ctx context.Context, in SignUpInput) (*User, error) {
	if in.Invite == "" && !a.SignupOpen {
		n, err := a.Users.CountUsers(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, Errorf(ENOTALLOWED, "Sign-up is closed here. Ask an admin for an invite link.")
		}
	}
	inviteHash := ""
	role := RoleMember
	if in.Invite != "" {
		inv, err := a.CheckInvite(ctx, in.Invite)
		if err != nil {
			return nil, err
		}
		inviteHash, role = inv.Hash, inv.Role
	}
	return a.create(ctx, in.Email, in.Name, in.Password, role, inviteHash)
}

// AddUser creates an account for an operator (the command line): no
// sign-up or invite needed. The first account is an admin whatever role
// says.
func (a *Accounts) AddUser(ctx context.Context, email, name, password string, role Role) (*User, error) {
	if !ValidRole(role) {
		return nil, Errorf(EINVALID, "The role must be admin or member.")
	}
	return a.create(ctx, email, name, password, role, "")
}

func (a *Accounts) create(ctx context.Context, email, name, password string, role Role, inviteHash string) (*User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if name, err = NormalizeUserName(name, email); err != nil {
		return nil, err
	}
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	hash, err := a.Hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	now := a.now()
	u := &User{ID: NewID(), Email: email, Name: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := a.Users.CreateUser(ctx, u, inviteHash); err != nil {
		return nil, err
	}
	return u, nil
}

// errBadLogin is the one answer to a wrong email or a wrong password.
func errBadLogin() error {
	return Errorf(EUNAUTHORIZED, "That email and password don’t match an account.")
}

// Login checks an email and password. EUNAUTHORIZED for a wrong pair,
// whichever half is wrong.
func (a *Accounts) Login(ctx context.Context, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(password) > MaxPasswordLen || email == "" || password == "" {
		return nil, errBadLogin()
	}
	u, err := a.Users.UserByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		// Spend the same time as a real check.
		a.dummyOnce.Do(func() { a.dummyHash, _ = a.Hasher.Hash("not a password of anyone's") })
		_, _ = a.Hasher.Verify(a.dummyHash, password)
		return nil, errBadLogin()
	}
	if err != nil {
		return nil, err
	}
	ok, err := a.Hasher.Verify(u.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadLogin()
	}
	return u, nil
}

func newToken() string { return newSecret(tokenBytes) }

// StartSession signs u in on one browser. It returns the session's token,
// for the cookie; only its hash is stored.
func (a *Accounts) StartSession(ctx context.Context, u *User, userAgent string) (string, *Session, error) {
	token := newToken()
	now := a.now()
	userAgent = strings.ToValidUTF8(userAgent, "")
	if r := []rune(userAgent); len(r) > 200 {
		userAgent = string(r[:200])
	}
	s := &Session{ID: HashSecret(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.sessionTTL()), UserAgent: userAgent}
	if err := a.Users.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// SessionUser returns who a session token signs in, extending the session
// (at most once an hour). EUNAUTHORIZED when it is unknown, revoked or
// expired.
func (a *Accounts) SessionUser(ctx context.Context, token string) (*User, *Session, error) {
	if !ValidSecret(token) {
		return nil, nil, errSignedOut()
	}
	now := a.now()
	s, u, err := a.Users.SessionUser(ctx, HashSecret(token), now)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, errSignedOut()
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		s.LastSeenAt, s.ExpiresAt = now, now.Add(a.sessionTTL())
		// Best effort: a failed touch only shortens the session.
		_ = a.Users.TouchSession(ctx, s.ID, s.LastSeenAt, s.ExpiresAt)
	}
	return u, s, nil
}

func errSignedOut() error {
	return Errorf(EUNAUTHORIZED, "Sign in to continue.")
}

// EndSession signs a browser out.
func (a *Accounts) EndSession(ctx context.Context, token string) error {
	if !ValidSecret(token) {
		return nil
	}
	return a.Users.DeleteSession(ctx, HashSecret(token))
}

// ChangePassword replaces u's password after checking the current one, and
// signs out every other session (keepSession is the hash of the one making
// the change; empty signs out all). EUNAUTHORIZED (wrong current
// password), EINVALID.
func (a *Accounts) ChangePassword(ctx context.Context, u *User, current, next, keepSession string) error {
	ok, err := a.Hasher.Verify(u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EUNAUTHORIZED, "The current password isn’t right.")
	}
	return a.SetPassword(ctx, u.ID, next, keepSession)
}

// SetPassword replaces a user's password without asking for the old one
// (the command line), and signs out their sessions but keepSession.
func (a *Accounts) SetPassword(ctx context.Context, userID, password, keepSession string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := a.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if _, err := a.Users.UpdateUser(ctx, userID, func(u *User) error {
		u.PasswordHash, u.UpdatedAt = hash, a.now()
		return nil
	}); err != nil {
		return err
	}
	return a.Users.DeleteSessions(ctx, userID, keepSession)
}

// UpdateProfile changes u's display name.
func (a *Accounts) UpdateProfile(ctx context.Context, u *User, name string) (*User, error) {
	name, err := NormalizeUserName(name, u.Email)
	if err != nil {
		return nil, err
	}
	return a.Users.UpdateUser(ctx, u.ID, func(u *User) error {
		u.Name, u.UpdatedAt = name, a.now()
		return nil
	})
}

// CreateToken makes an API token for u. The secret is returned once.
func (a *Accounts) CreateToken(ctx context.Context, u *User, name string) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "API token"
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxTokenNameLen {
		return "", nil, Errorf(EINVALID, "The token name must be at most %d characters.", MaxTokenNameLen)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || isBidiControl(r) }) {
		return "", nil, Errorf(EINVALID, "The token name must not contain control characters.")
	}
	secret := APITokenPrefix + newToken()
	t := &APIToken{ID: NewID(), UserID: u.ID, Name: name, Hash: HashSecret(secret), Prefix: secret[:len(APITokenPrefix)+4], CreatedAt: a.now()}
	if err := a.Users.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// TokenUser returns who an API token belongs to. EUNAUTHORIZED when it is
// unknown or revoked.
func (a *Accounts) TokenUser(ctx context.Context, secret string) (*User, *APIToken, error) {
	rest, ok := strings.CutPrefix(secret, APITokenPrefix)
	if !ok || !ValidSecret(rest) {
		return nil, nil, Errorf(EUNAUTHORIZED, "The API token is not valid.")
	}
	t, u, err := a.Users.TokenUser(ctx, HashSecret(secret), a.now())
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(EUNAUTHORIZED, "The API token is not valid (it may have been revoked).")
	}
	if err != nil {
		return nil, nil, err
	}
	return u, t, nil
}

// Tokens lists u's API tokens.
func (a *Accounts) Tokens(ctx context.Context, u *User) ([]*APIToken, error) {
	return a.Users.Tokens(ctx, u.ID)
}

// RevokeToken deletes one of u's API tokens. ENOTFOUND.
func (a *Accounts) RevokeToken(ctx context.Context, u *User, id string) error {
	return a.Users.DeleteToken(ctx, u.ID, id)
}

// CreateInvite makes a one-time invite link token; only admins may.
// ENOTALLOWED, EINVALID.
func (a *Accounts) CreateInvite(ctx context.Context, by *User, role Role) (string, *Invite, error) {
	if !by.IsAdmin() {
		return "", nil, Errorf(ENOTALLOWED, "Only admins can invite people.")
	}
	if role == "" {
		role = RoleMember
	}
	if !ValidRole(role) {
		return "", nil, Errorf(EINVALID, "The role must be admin or member.")
	}
	ttl := a.InviteTTL
	if ttl <= 0 {
		ttl = DefaultInviteTTL
	}
	token := newToken()
	now := a.now()
	inv := &Invite{ID: NewID(), Hash: HashSecret(token), Role: role, CreatedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := a.Users.CreateInvite(ctx, inv); err != nil {
		return "", nil, err
	}
	return token, inv, nil
}

// CheckInvite returns the invite behind a link's token if it can still be
// used. ENOTFOUND (unknown), EGONE (used or expired).
func (a *Accounts) CheckInvite(ctx context.Context, token string) (*Invite, error) {
	if !ValidSecret(token) {
		return nil, Errorf(ENOTFOUND, "This invite link isn’t valid.")
	}
	inv, err := a.Users.InviteByHash(ctx, HashSecret(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "This invite link isn’t valid.")
	}
	if err != nil {
		return nil, err
	}
	if !inv.UsedAt.IsZero() {
		return nil, Errorf(EGONE, "This invite link has already been used.")
	}
	if !a.now().Before(inv.ExpiresAt) {
		return nil, Errorf(EGONE, "This invite link has expired. Ask for a new one.")
	}
	return inv, nil
}

// Invites lists the invites that can still be used; admins only.
func (a *Accounts) Invites(ctx context.Context, by *User) ([]*Invite, error) {
	if !by.IsAdmin() {
		return nil, Errorf(ENOTALLOWED, "Only admins can see invites.")
	}
	return a.Users.Invites(ctx, a.now())
}

// RevokeInvite deletes an invite; admins only. ENOTFOUND, ENOTALLOWED.
func (a *Accounts) RevokeInvite(ctx context.Context, by *User, id string) error {
	if !by.IsAdmin() {
		return Errorf(ENOTALLOWED, "Only admins can revoke invites.")
	}
	return a.Users.DeleteInvite(ctx, id)
}

// Members lists the workspace's accounts.
func (a *Accounts) Members(ctx context.Context) ([]*User, error) {
	return a.Users.Users(ctx)
}

// SetRole changes a member's role; admins only, and the last admin stays
// one. ENOTALLOWED, ENOTFOUND, EINVALID, ECONFLICT.
func (a *Accounts) SetRole(ctx context.Context, by *User, userID string, role Role) (*User, error) {
	if !by.IsAdmin() {
		return nil, Errorf(ENOTALLOWED, "Only admins can change roles.")
	}
	if !ValidRole(role) {
		return nil, Errorf(EINVALID, "The role must be admin or member.")
	}
	if role != RoleAdmin {
		if err := a.keepAnAdmin(ctx, userID); err != nil {
			return nil, err
		}
	}
	return a.Users.UpdateUser(ctx, userID, func(u *User) error {
		u.Role, u.UpdatedAt = role, a.now()
		return nil
	})
}

// RemoveMember deletes an account; admins only, never the last admin.
// Their videos pass to the admin who removed them.
func (a *Accounts) RemoveMember(ctx context.Context, by *User, userID string) error {
	if !by.IsAdmin() {
		return Errorf(ENOTALLOWED, "Only admins can remove members.")
	}
	if err := a.keepAnAdmin(ctx, userID); err != nil {
		return err
	}
	return a.Users.DeleteUser(ctx, userID, by.ID)
}

func (a *Accounts) keepAnAdmin(ctx context.Context, leaving string) error {
	users, err := a.Users.Users(ctx)
	if err != nil {
		return err
	}
	others := 0
	for _, u := range users {
		if u.IsAdmin() && u.ID != leaving {
			others++
		}
	}
	if others == 0 {
		return Errorf(ECONFLICT, "The workspace needs at least one admin.")
	}
	return nil
}

// NewServerKey returns 32 random bytes, for ServerKey.
func NewServerKey() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}
