package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sharing: who may watch a video, and on what terms. The owner (and any
// admin) always may; everyone else needs the video's current share link
// (its slug) or, for workspace videos, an account. A link that is unknown,
// revoked (the slug was regenerated), expired or not meant for the viewer
// is simply not found: callers answer all of these the same way, so a link
// cannot be probed for what is behind it.

// Visibility says who may watch through the link.
type Visibility string

const (
	// VisibilityLink: anyone with the link, signed in or not.
	VisibilityLink Visibility = "link"
	// VisibilityWorkspace: signed-in members of the workspace.
	VisibilityWorkspace Visibility = "workspace"
	// VisibilityPrivate: only the owner (and admins).
	VisibilityPrivate Visibility = "private"
)

// ValidVisibility reports whether v is a visibility.
func ValidVisibility(v Visibility) bool {
	return v == VisibilityLink || v == VisibilityWorkspace || v == VisibilityPrivate
}

// Sharing is a video's sharing settings. The zero value (older rows)
// behaves as "anyone with the link, no password, no expiry, downloads
// allowed".
type Sharing struct {
	Visibility Visibility
	// PasswordHash, when set, is the argon2id hash of the password a viewer
	// must give before seeing anything of the video.
	PasswordHash string
	// ExpiresAt, when set, is when the link stops working.
	ExpiresAt time.Time
	// MaxViews, when above zero, is how many views the link allows.
	MaxViews int64
	// DownloadOff forbids downloading the MP4 as a file.
	DownloadOff bool
}

// EffectiveVisibility treats the zero value as VisibilityLink.
func (s Sharing) EffectiveVisibility() Visibility {
	if s.Visibility == "" {
		return VisibilityLink
	}
	return s.Visibility
}

// HasPassword reports whether viewers must give a password.
func (s Sharing) HasPassword() bool { return s.PasswordHash != "" }

// AllowDownload reports whether viewers may download the MP4.
func (s Sharing) AllowDownload() bool { return !s.DownloadOff }

// Public reports whether the video may be shown to anyone at all who has
// the link, without a password or a view budget to spend: only such videos
// unfurl with their title and poster, or answer oEmbed.
func (v *Video) Public(now time.Time) bool {
	s := v.Sharing
	return s.EffectiveVisibility() == VisibilityLink && !s.HasPassword() && s.MaxViews == 0 && !v.LinkExpired(now)
}

// LinkExpired reports whether the link's date has passed.
func (v *Video) LinkExpired(now time.Time) bool {
	return !v.Sharing.ExpiresAt.IsZero() && !now.Before(v.Sharing.ExpiresAt)
}

// ViewsUsed reports whether the link's view budget is spent.
func (v *Video) ViewsUsed() bool { return v.Sharing.MaxViews > 0 && v.Views >= v.Sharing.MaxViews }

// Owns reports whether u created v.
func (v *Video) Owns(u *User) bool { return u != nil && v.OwnerID != "" && v.OwnerID == u.ID }

// Manages reports whether u may change or delete v: its owner or an admin.
func (v *Video) Manages(u *User) bool { return v.Owns(u) || u.IsAdmin() }

// Viewer is who asks to watch a video.
type Viewer struct {
	User *User // nil when signed out
	// ViaLink is set when the viewer came through the video's current
	// share link (a request by slug), not through their library.
	ViaLink bool
	// Pass is set when the viewer holds a valid pass for the video (they
	// gave its password, or spent one of its views).
	Pass bool
	// Addressed is set when the viewer holds the personal link of an ask
	// (asks.go) that the owner addressed to an outside address: the owner
	// named them, so a workspace video opens for them without an account.
	Addressed bool
}

// Access is what a viewer may do with a video.
type Access int

const (
	// AccessNone: the video does not exist for this viewer.
	AccessNone Access = iota
	// AccessPassword: the viewer must give the password first; nothing of
	// the video (not even its title) may be shown.
	AccessPassword
	// AccessWatch: the viewer may watch, read and write comments (as the
	// video's settings allow).
	AccessWatch
	// AccessManage: the owner or an admin.
	AccessManage
)

// AccessFor decides what viewer may do with v at now.
func (v *Video) AccessFor(viewer Viewer, now time.Time) Access {
	if v.Manages(viewer.User) {
		return AccessManage
	}
	switch v.Sharing.EffectiveVisibility() {
	case VisibilityPrivate:
		return AccessNone
	case VisibilityWorkspace:
		if viewer.User == nil && !(viewer.Addressed && viewer.ViaLink) {
			return AccessNone
		}
	case VisibilityLink:
		// Signed-out people only ever come through the link; members may
		// also find it in the workspace library.
		if viewer.User == nil && !viewer.ViaLink {
			return AccessNone
		}
	}
	if v.LinkExpired(now) {
		return AccessNone
	}
	if v.ViewsUsed() && !viewer.Pass {
		return AccessNone
	}
	if v.Sharing.HasPassword() && !viewer.Pass {
		return AccessPassword
	}
	return AccessWatch
}

// NeedsPass reports whether a viewer other than the owner needs a pass to
// watch: the video has a password or a view budget.
func (v *Video) NeedsPass() bool { return v.Sharing.HasPassword() || v.Sharing.MaxViews > 0 }

// SharingInput changes a video's sharing; nil fields stay as they are.
type SharingInput struct {
	Visibility *Visibility
	// Password: a new password, or "" to remove it.
	Password *string
	// ExpiresAt: when the link ends; the zero time removes the expiry.
	ExpiresAt *time.Time
	// MaxViews: the view budget; 0 removes it.
	MaxViews      *int64
	AllowDownload *bool
	GuestComments *bool
}

// IsZero reports whether in changes nothing.
func (in SharingInput) IsZero() bool {
	return in.Visibility == nil && in.Password == nil && in.ExpiresAt == nil && in.MaxViews == nil &&
		in.AllowDownload == nil && in.GuestComments == nil
}

// MaxViewBudget bounds MaxViews.
const MaxViewBudget = 1_000_000

// PassSigner makes and checks the pass a viewer gets after giving a
// video's password or spending one of its views: a value for a cookie,
// signed with a server key. A pass names the video, its current slug and
// its current password, so regenerating the link or changing the password
// voids every pass handed out before.
type PassSigner struct {
	Key []byte
}

// PassTTL is how long a pass lasts.
const PassTTL = 12 * time.Hour

// Sign returns a pass for v that expires at exp.
func (p PassSigner) Sign(v *Video, exp time.Time) string {
	ts := strconv.FormatInt(exp.Unix(), 10)
	return ts + "." + p.mac(v, ts)
}

// Valid reports whether pass is a current pass for v at now.
func (p PassSigner) Valid(v *Video, pass string, now time.Time) bool {
	if len(p.Key) == 0 || pass == "" {
		return false
	}
	ts, sig, ok := strings.Cut(pass, ".")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(p.mac(v, ts)))
}

func (p PassSigner) mac(v *Video, ts string) string {
	m := hmac.New(sha256.New, p.Key)
	// The password hash itself is secret-ish; only a digest of it goes in.
	pw := sha256.Sum256([]byte(v.Sharing.PasswordHash))
	for _, part := range []string{"pass", v.ID, v.Slug, base64.RawURLEncoding.EncodeToString(pw[:8]), ts} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// UpdateSharing changes a video's sharing settings; the caller has checked
// that the person asking manages the video. A new password is hashed with
// h. EINVALID, ENOTFOUND.
func (s *Service) UpdateSharing(ctx context.Context, id string, in SharingInput, h PasswordHasher, now time.Time) (*Video, error) {
	if in.Visibility != nil && !ValidVisibility(*in.Visibility) {
		return nil, Errorf(EINVALID, "visibility must be link, workspace or private.")
	}
	if in.MaxViews != nil && (*in.MaxViews < 0 || *in.MaxViews > MaxViewBudget) {
		return nil, Errorf(EINVALID, "maxViews must be from 0 (no limit) to %d.", MaxViewBudget)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return nil, Errorf(EINVALID, "The expiry must be in the future.")
	}
	hash := ""
	if in.Password != nil && *in.Password != "" {
		pw := *in.Password
		if utf8.RuneCountInString(pw) < MinVideoPasswordLen {
			return nil, Errorf(EINVALID, "Use a password of at least %d characters.", MinVideoPasswordLen)
		}
		if len(pw) > MaxPasswordLen {
			return nil, Errorf(EINVALID, "The password is too long.")
		}
		var err error
		if hash, err = h.Hash(pw); err != nil {
			return nil, err
		}
	}
	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		sh := &v.Sharing
		if in.Visibility != nil {
			sh.Visibility = *in.Visibility
		}
		if in.Password != nil {
			sh.PasswordHash = hash
		}
		if in.ExpiresAt != nil {
			sh.ExpiresAt = in.ExpiresAt.UTC()
		}
		if in.MaxViews != nil {
			if *in.MaxViews != sh.MaxViews {
				// A new budget starts counting afresh.
				v.Views = 0
			}
			sh.MaxViews = *in.MaxViews
		}
		if in.AllowDownload != nil {
			sh.DownloadOff = !*in.AllowDownload
		}
		if in.GuestComments != nil {
			v.GuestsOff = !*in.GuestComments
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Events.Publish(v)
	return v, nil
}

// MinVideoPasswordLen is the shortest password a video may have: it is
// shared with viewers, so shorter than an account's, and attempts are rate
// limited.
const MinVideoPasswordLen = 4

// RegenerateLink gives the video a new slug: the old link stops working at
// once, for pages, media and live streams alike, and every pass handed out
// for it is void. ENOTFOUND.
func (s *Service) RegenerateLink(ctx context.Context, id string) (*Video, error) {
	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		v.Slug = NewSlug()
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Events.Publish(v)
	return v, nil
}
