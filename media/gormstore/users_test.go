package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

func mustUser(tb testing.TB, email string, role media.Role) *media.User {
	tb.Helper()
	now := time.Now().UTC()
	return &media.User{ID: media.NewID(), Email: email, Name: email, Role: role, PasswordHash: "h", CreatedAt: now, UpdatedAt: now}
}

// TestFirstUserIsAdminAndAdoptsVideos: the first account becomes the
// admin (whatever role it asked for) and owns the videos made before
// accounts; later ones keep their role and adopt nothing.
func TestFirstUserIsAdminAndAdoptsVideos(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, t.TempDir()+"/u.db")
	old := MustCreateVideo(t, db)
	first := mustUser(t, "first@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, first, ""); err != nil {
		t.Fatal(err)
	}
	if first.Role != media.RoleAdmin {
		t.Fatalf("first user's role = %s", first.Role)
	}
	if v, _ := db.Video(ctx, old.ID); v.OwnerID != first.ID {
		t.Fatalf("old video owner = %q, want the first user", v.OwnerID)
	}
	orphan := MustCreateVideo(t, db)
	second := mustUser(t, "second@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, second, ""); err != nil || second.Role != media.RoleMember {
		t.Fatalf("second user: %v, role %s", err, second.Role)
	}
	if v, _ := db.Video(ctx, orphan.ID); v.OwnerID != "" {
		t.Fatal("a later account adopted videos")
	}
	if err := db.CreateUser(ctx, mustUser(t, "second@example.com", media.RoleMember), ""); media.ErrorCode(err) != media.ECONFLICT {
		t.Fatalf("duplicate email: %v", err)
	}
}

// TestInviteIsUsedOnce: an invite signs up one account, in the same
// transaction; a second use, an expired or unknown invite fail and create
// nobody.
func TestInviteIsUsedOnce(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, t.TempDir()+"/i.db")
	admin := mustUser(t, "admin@example.com", media.RoleAdmin)
	if err := db.CreateUser(ctx, admin, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	inv := &media.Invite{ID: media.NewID(), Hash: media.HashSecret("tok"), Role: media.RoleAdmin, CreatedBy: admin.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	old := &media.Invite{ID: media.NewID(), Hash: media.HashSecret("old"), Role: media.RoleMember, CreatedBy: admin.ID, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	for _, i := range []*media.Invite{inv, old} {
		if err := db.CreateInvite(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if open, _ := db.Invites(ctx, now); len(open) != 1 || open[0].ID != inv.ID {
		t.Fatalf("open invites = %+v", open)
	}
	u := mustUser(t, "invited@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, u, inv.Hash); err != nil || u.Role != media.RoleAdmin {
		t.Fatalf("invited sign-up: %v, role %s (want the invite's)", err, u.Role)
	}
	for name, c := range map[string]struct {
		hash, code string
	}{
		"used again": {inv.Hash, media.EGONE},
		"expired":    {old.Hash, media.EGONE},
		"unknown":    {media.HashSecret("nope"), media.ENOTFOUND},
	} {
		if err := db.CreateUser(ctx, mustUser(t, name+"@example.com", media.RoleMember), c.hash); media.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
		if _, err := db.UserByEmail(ctx, name+"@example.com"); media.ErrorCode(err) != media.ENOTFOUND {
			t.Errorf("%s: the account was made anyway", name)
		}
	}
}

// TestSessionsAndTokensStore: sessions expire and go with their user;
// deleting the others keeps one; tokens are found by hash only.
func TestSessionsAndTokensStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, t.TempDir()+"/s.db")
	u := mustUser(t, "u@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"a", "b", "c"} {
		if err := db.CreateSession(ctx, &media.Session{ID: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, got, err := db.SessionUser(ctx, "a", now); err != nil || got.ID != u.ID {
		t.Fatalf("session a: %v", err)
	}
	if _, _, err := db.SessionUser(ctx, "a", now.Add(time.Hour)); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("expired session: %v", err)
	}
	if err := db.DeleteSessions(ctx, u.ID, "b"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"a": media.ENOTFOUND, "b": "", "c": media.ENOTFOUND} {
		if _, _, err := db.SessionUser(ctx, id, now); media.ErrorCode(err) != want {
			t.Errorf("session %s after deleting the others: %v", id, err)
		}
	}
	tok := &media.APIToken{ID: media.NewID(), UserID: u.ID, Name: "ci", Hash: media.HashSecret("secret"), Prefix: "baton_abcd", CreatedAt: now}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got, who, err := db.TokenUser(ctx, tok.Hash, now.Add(2*time.Minute)); err != nil || got.ID != tok.ID || who.ID != u.ID {
		t.Fatalf("token lookup: %v", err)
	}
	if list, _ := db.Tokens(ctx, u.ID); len(list) != 1 || list[0].LastUsedAt.IsZero() {
		t.Fatalf("tokens = %+v, want one with its last use", list)
	}
	if err := db.DeleteToken(ctx, "someone else", tok.ID); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("deleting another user's token: %v", err)
	}
	other := mustUser(t, "o@example.com", media.RoleMember)
	if err := db.CreateUser(ctx, other, ""); err != nil {
		t.Fatal(err)
	}
	v := MustCreateVideo(t, db)
	if _, err := db.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error { mv.OwnerID = u.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(ctx, u.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, "b", now); media.ErrorCode(err) != media.ENOTFOUND {
		t.Error("a deleted user's session lives on")
	}
	if _, _, err := db.TokenUser(ctx, tok.Hash, now); media.ErrorCode(err) != media.ENOTFOUND {
		t.Error("a deleted user's token lives on")
	}
	if got, _ := db.Video(ctx, v.ID); got.OwnerID != other.ID {
		t.Errorf("video owner after deleting its owner = %q", got.OwnerID)
	}
}

// TestCountViewStopsAtTheBudget: views count up to MaxViews and no
// further, atomically.
func TestCountViewStopsAtTheBudget(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, t.TempDir()+"/v.db")
	v := MustCreateVideo(t, db)
	if _, err := db.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error { mv.Sharing.MaxViews = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := db.CountView(ctx, v.ID)
			errs <- err
		}()
	}
	ok := 0
	for range 10 {
		if err := <-errs; err == nil {
			ok++
		} else if media.ErrorCode(err) != media.EGONE {
			t.Fatal(err)
		}
	}
	got, _ := db.Video(ctx, v.ID)
	if ok != 3 || got.Views != 3 {
		t.Fatalf("%d views counted, views = %d; want 3", ok, got.Views)
	}
	if _, err := db.CountView(ctx, media.NewID()); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("unknown video: %v", err)
	}
	key1, err := db.ServerKey(ctx, "k", func() []byte { return []byte("first") })
	if err != nil {
		t.Fatal(err)
	}
	key2, _ := db.ServerKey(ctx, "k", func() []byte { return []byte("second") })
	if string(key1) != "first" || string(key2) != "first" {
		t.Fatalf("server key = %q then %q, want the first kept", key1, key2)
	}
}
