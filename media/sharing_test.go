package media

import (
	"strings"
	"testing"
	"time"
)

func TestAccessFor(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	owner := &User{ID: "owner", Role: RoleMember}
	member := &User{ID: "member", Role: RoleMember}
	admin := &User{ID: "admin", Role: RoleAdmin}
	video := func(fn func(*Video)) *Video {
		v := &Video{ID: "v", Slug: "s", OwnerID: "owner"}
		if fn != nil {
			fn(v)
		}
		return v
	}
	private := video(func(v *Video) { v.Sharing.Visibility = VisibilityPrivate })
	workspace := video(func(v *Video) { v.Sharing.Visibility = VisibilityWorkspace })
	locked := video(func(v *Video) { v.Sharing.PasswordHash = "h" })
	expired := video(func(v *Video) { v.Sharing.ExpiresAt = now })
	later := video(func(v *Video) { v.Sharing.ExpiresAt = now.Add(time.Second) })
	spent := video(func(v *Video) { v.Sharing.MaxViews, v.Views = 2, 2 })
	left := video(func(v *Video) { v.Sharing.MaxViews, v.Views = 2, 1 })
	orphan := &Video{ID: "o", Slug: "o"} // made before accounts

	for _, tc := range []struct {
		name   string
		v      *Video
		viewer Viewer
		want   Access
	}{
		{"owner", private, Viewer{User: owner}, AccessManage},
		{"owner of an expired, locked video", video(func(v *Video) { v.Sharing.PasswordHash, v.Sharing.ExpiresAt = "h", now }), Viewer{User: owner}, AccessManage},
		{"admin moderates", private, Viewer{User: admin}, AccessManage},
		{"member, private", private, Viewer{User: member, ViaLink: true}, AccessNone},
		{"member, workspace", workspace, Viewer{User: member}, AccessWatch},
		{"member, link, from the library", video(nil), Viewer{User: member}, AccessWatch},
		{"signed out, link", video(nil), Viewer{ViaLink: true}, AccessWatch},
		{"signed out, no link", video(nil), Viewer{}, AccessNone},
		{"signed out, workspace", workspace, Viewer{ViaLink: true}, AccessNone},
		{"signed out, private", private, Viewer{ViaLink: true}, AccessNone},
		{"password", locked, Viewer{ViaLink: true}, AccessPassword},
		{"password, member", locked, Viewer{User: member, ViaLink: true}, AccessPassword},
		{"password given", locked, Viewer{ViaLink: true, Pass: true}, AccessWatch},
		{"expired at the second", expired, Viewer{ViaLink: true}, AccessNone},
		{"expired, even with a pass", expired, Viewer{ViaLink: true, Pass: true}, AccessNone},
		{"not yet expired", later, Viewer{ViaLink: true}, AccessWatch},
		{"views spent", spent, Viewer{ViaLink: true}, AccessNone},
		{"views spent, pass from a counted view", spent, Viewer{ViaLink: true, Pass: true}, AccessWatch},
		{"views left", left, Viewer{ViaLink: true}, AccessWatch},
		{"ownerless video is nobody's", orphan, Viewer{User: &User{ID: ""}}, AccessWatch},
		{"ownerless video, admin", orphan, Viewer{User: admin}, AccessManage},
	} {
		if got := tc.v.AccessFor(tc.viewer, now); got != tc.want {
			t.Errorf("%s: AccessFor = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !video(nil).Public(now) || locked.Public(now) || private.Public(now) || workspace.Public(now) || expired.Public(now) || left.Public(now) {
		t.Error("Public wrong")
	}
}

func TestPassSigner(t *testing.T) {
	now := time.Now()
	p := PassSigner{Key: []byte("0123456789abcdef0123456789abcdef")}
	v := &Video{ID: "v1", Slug: "slug1", Sharing: Sharing{PasswordHash: "hash1"}}
	pass := p.Sign(v, now.Add(time.Hour))
	if !p.Valid(v, pass, now) {
		t.Fatal("a fresh pass is not valid")
	}
	other := *v
	other.ID = "v2"
	newSlug := *v
	newSlug.Slug = "slug2"
	newPassword := *v
	newPassword.Sharing.PasswordHash = "hash2"
	for name, bad := range map[string]struct {
		v    *Video
		pass string
		at   time.Time
	}{
		"another video":    {&other, pass, now},
		"regenerated link": {&newSlug, pass, now},
		"changed password": {&newPassword, pass, now},
		"expired":          {v, pass, now.Add(time.Hour)},
		"another key":      {v, PassSigner{Key: []byte("another key, as long as the other")}.Sign(v, now.Add(time.Hour)), now},
		"tampered expiry":  {v, "9999999999" + pass[strings.IndexByte(pass, '.'):], now},
		"garbage":          {v, "x", now},
		"empty":            {v, "", now},
	} {
		if p.Valid(bad.v, bad.pass, bad.at) {
			t.Errorf("%s: pass accepted", name)
		}
	}
	if (PassSigner{}).Valid(v, pass, now) {
		t.Error("a signer without a key accepts passes")
	}
}

func TestNormalizeEmailAndPassword(t *testing.T) {
	for in, want := range map[string]string{" Ann@Example.COM ": "ann@example.com", "a@localhost": "a@localhost"} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ann", "ann@", "@example.com", "Ann <ann@example.com>", "ann@example", strings.Repeat("a", 250) + "@example.com"} {
		if _, err := NormalizeEmail(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeEmail(%q) = %v, want invalid", bad, err)
		}
	}
	if err := CheckPassword("123456789"); ErrorCode(err) != EINVALID {
		t.Error("a 9-character password was accepted")
	}
	if err := CheckPassword("ünïcödé pw"); err != nil {
		t.Errorf("10 characters (more bytes) refused: %v", err)
	}
	if name, _ := NormalizeUserName("  ", "ann.lee@example.com"); name != "ann.lee" {
		t.Errorf("default name = %q", name)
	}
	if _, err := NormalizeUserName("Ann\u202E", "a@example.com"); ErrorCode(err) != EINVALID {
		t.Error("a name with a bidi override was accepted")
	}
}
