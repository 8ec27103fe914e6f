package media

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// People. One Baton install is one workspace: every account is a member of
// it, as an admin or a plain member. The first account is the admin; later
// ones come through open sign-up (when the operator allows it) or through a
// one-time invite link an admin made.
//
// Credentials are never stored as given: passwords as argon2id hashes
// (PasswordHasher), session and API tokens and invite links as their
// SHA-256 (HashSecret), so a copy of the database signs nobody in.

// Role is what a member may do in the workspace.
type Role string

const (
	// RoleAdmin manages members and invites, and counts as the owner of
	// every video for moderation.
	RoleAdmin Role = "admin"
	// RoleMember records, shares and watches what the workspace shares.
	RoleMember Role = "member"
)

// ValidRole reports whether r is a role.
func ValidRole(r Role) bool { return r == RoleAdmin || r == RoleMember }

// User is one account.
type User struct {
	ID    string // UUIDv7
	Email string // lower-case, unique
	Name  string // display name
	Role  Role
	// PasswordHash is the PHC-format argon2id hash; it never leaves the
	// process.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IsAdmin reports whether u administers the workspace.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// Session is one signed-in browser. Its token lives only in the browser's
// cookie; the store keeps its hash (ID).
type Session struct {
	ID         string // SHA-256 (hex) of the token
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
}

// APIToken is a credential for scripts (Authorization: Bearer). The secret
// is shown once, when it is made.
type APIToken struct {
	ID         string // UUIDv7
	UserID     string
	Name       string
	Hash       string // SHA-256 (hex) of the secret
	Prefix     string // the secret's first characters, to recognise it
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until used
}

// Invite is a one-time link to join the workspace.
type Invite struct {
	ID        string // UUIDv7
	Hash      string // SHA-256 (hex) of the link's token
	Role      Role
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
	UsedBy    string
}

// UserStore keeps accounts, their sessions and tokens, and invites.
type UserStore interface {
	// CreateUser inserts u. When u is the first account it is made an
	// admin and takes over the videos that have no owner. When invite is
	// set, the invite with that hash is used up in the same transaction
	// (and u gets its role): EGONE if it is used or expired, ENOTFOUND if
	// unknown. ECONFLICT if the email is taken.
	CreateUser(ctx context.Context, u *User, inviteHash string) error
	// User returns the user with id. ENOTFOUND.
	User(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the user with the (normalised) email. ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// Users lists every account, oldest first.
	Users(ctx context.Context) ([]*User, error)
	// CountUsers counts accounts.
	CountUsers(ctx context.Context) (int, error)
	// UpdateUser loads the user, applies fn and saves it in one
	// transaction. ENOTFOUND, or fn's error.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (*User, error)
	// DeleteUser removes the user with their sessions and tokens; their
	// videos stay, owned by keepVideosFor. ENOTFOUND.
	DeleteUser(ctx context.Context, id, keepVideosFor string) error

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// SessionUser returns the unexpired session with id and its user.
	// ENOTFOUND.
	SessionUser(ctx context.Context, id string, now time.Time) (*Session, *User, error)
	// TouchSession moves the session's expiry and last use.
	TouchSession(ctx context.Context, id string, seen, expires time.Time) error
	// DeleteSession removes one session; a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteSessions removes every session of the user except keep.
	DeleteSessions(ctx context.Context, userID, keep string) error

	// CreateToken inserts t.
	CreateToken(ctx context.Context, t *APIToken) error
	// TokenUser returns the token with hash and its user, and records the
	// use. ENOTFOUND.
	TokenUser(ctx context.Context, hash string, now time.Time) (*APIToken, *User, error)
	// Tokens lists the user's tokens, newest first.
	Tokens(ctx context.Context, userID string) ([]*APIToken, error)
	// DeleteToken removes the user's token with id. ENOTFOUND.
	DeleteToken(ctx context.Context, userID, id string) error

	// CreateInvite inserts inv.
	CreateInvite(ctx context.Context, inv *Invite) error
	// InviteByHash returns the invite with hash. ENOTFOUND.
	InviteByHash(ctx context.Context, hash string) (*Invite, error)
	// Invites lists invites that are neither used nor expired, newest first.
	Invites(ctx context.Context, now time.Time) ([]*Invite, error)
	// DeleteInvite removes the invite with id. ENOTFOUND.
	DeleteInvite(ctx context.Context, id string) error

	// ServerKey returns the secret named name, creating it from make (a
	// fresh random value) the first time; every process sharing the
	// database gets the same one.
	ServerKey(ctx context.Context, name string, make func() []byte) ([]byte, error)
}

// Limits of what a person can give.
const (
	MinPasswordLen  = 10
	MaxPasswordLen  = 1024 // bytes; argon2 takes any length, the request body does not
	MaxEmailLen     = 254
	MaxUserNameLen  = 80
	MaxTokenNameLen = 80
)

// NormalizeEmail trims and lower-cases an address and checks its shape.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", Errorf(EINVALID, "Enter your email address.")
	}
	if len(email) > MaxEmailLen {
		return "", Errorf(EINVALID, "The email address is too long.")
	}
	bad := Errorf(EINVALID, "“%s” doesn’t look like an email address.", email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return "", bad
	}
	// A domain without a dot cannot receive mail, except on a test box.
	if domain := email[strings.LastIndexByte(email, '@')+1:]; !strings.Contains(domain, ".") && domain != "localhost" {
		return "", bad
	}
	return email, nil
}

// NormalizeUserName trims a display name; an empty one becomes the part of
// the email before the @.
func NormalizeUserName(name, email string) (string, error) {
	if !utf8.ValidString(name) {
		return "", Errorf(EINVALID, "The name must be valid UTF-8 text.")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if n := utf8.RuneCountInString(name); n > MaxUserNameLen {
		return "", Errorf(EINVALID, "The name must be at most %d characters (got %d).", MaxUserNameLen, n)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || isBidiControl(r) }) {
		return "", Errorf(EINVALID, "The name must not contain control characters.")
	}
	return name, nil
}

// CheckPassword refuses passwords too short to resist guessing, or too long
// to be a password.
func CheckPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return Errorf(EINVALID, "Use a password of at least %d characters.", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return Errorf(EINVALID, "The password is too long.")
	}
	return nil
}

// PasswordHasher hashes and checks passwords. The hash carries its own
// parameters, so they can be raised later without breaking old hashes.
type PasswordHasher interface {
	// Hash returns an encoded hash of password.
	Hash(password string) (string, error)
	// Verify reports whether password matches hash. A malformed hash is an
	// error, not a mismatch.
	Verify(hash, password string) (bool, error)
}
