package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
	"github.com/baton-video/baton/media/gormstore"
)

// Every test server has an admin account with a known API token, so the
// harness's requests (s.do, patch) are signed in the way a script is:
// `Authorization: Bearer testToken`. Tests about who may do what make
// their own accounts (authz_test.go).
const (
	testAdminEmail = "admin@example.com"
	testPassword   = "correct horse battery staple"
)

// testToken has the shape of a real API token.
var testToken = media.APITokenPrefix + strings.Repeat("T3stT0k3n", 5)

// testHasher is argon2id at a cost that keeps tests quick; the real
// parameters are tested in media/argon2id.
var testHasher = argon2id.Hasher{P: argon2id.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}

// authorize signs a raw request in as the test admin.
func authorize(req *http.Request) { req.Header.Set("Authorization", "Bearer "+testToken) }

// provisionAuth gives a database the test admin and its API token. It can
// run again on the same database (a restarted server).
func provisionAuth(tb testing.TB, db *gormstore.DB) {
	tb.Helper()
	ctx := context.Background()
	acc := &media.Accounts{Users: db, Hasher: testHasher}
	u, err := db.UserByEmail(ctx, testAdminEmail)
	if media.ErrorCode(err) == media.ENOTFOUND {
		u, err = acc.AddUser(ctx, testAdminEmail, "Admin", testPassword, media.RoleAdmin)
	}
	if err != nil {
		tb.Fatalf("test admin: %v", err)
	}
	hash := media.HashSecret(testToken)
	if _, _, err := db.TokenUser(ctx, hash, time.Now()); media.ErrorCode(err) == media.ENOTFOUND {
		err = db.CreateToken(ctx, &media.APIToken{ID: media.NewID(), UserID: u.ID, Name: "tests", Hash: hash,
			Prefix: testToken[:len(media.APITokenPrefix)+4], CreatedAt: time.Now()})
		if err != nil {
			tb.Fatalf("test token: %v", err)
		}
	}
}

// provisionDataDir does provisionAuth on the database of a data dir, for
// servers the tests run as separate processes.
func provisionDataDir(tb testing.TB, dataDir string) {
	tb.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(dataDir, "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	provisionAuth(tb, db)
}
