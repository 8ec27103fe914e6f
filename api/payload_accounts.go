package api

import (
	"encoding/json"

	"github.com/baton-video/baton/media"
)

/* ---------- Accounts (account.go, members.go) ---------- */

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
}

func toUserJSON(u *media.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: timeJSON(u.CreatedAt)}
}

type signupRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Invite   string `json:"invite"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type updateMeRequest struct {
	Name        *string `json:"name"`
	notifyPatch         // timeZone, workingHours, emailMode (notifications.go)
	// AwayUntil is a date (or null): asks_away.go.
	AwayUntil json.RawMessage `json:"awayUntil"`
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

type tokenJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt,omitempty"`
	// Token is the secret, only in the answer to its creation.
	Token string `json:"token,omitempty"`
}

func toTokenJSON(t *media.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: timeJSON(t.CreatedAt), LastUsedAt: timeJSON(t.LastUsedAt)}
}

type createTokenRequest struct {
	Name string `json:"name"`
}

type updateMemberRequest struct {
	Role string `json:"role"`
}

type inviteJSON struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
	// URL is the link to send, only in the answer to its creation.
	URL string `json:"url,omitempty"`
}

func toInviteJSON(inv *media.Invite) inviteJSON {
	return inviteJSON{ID: inv.ID, Role: string(inv.Role), CreatedAt: timeJSON(inv.CreatedAt), ExpiresAt: timeJSON(inv.ExpiresAt)}
}

type createInviteRequest struct {
	Role string `json:"role"`
}
