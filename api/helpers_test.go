package api

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
)

// cheapHasher makes account tests fast; production uses argon2id's
// defaults.
var cheapHasher = argon2id.Hasher{P: argon2id.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}

// MustDB opens a real SQLite database in a temporary directory.
func MustDB(tb testing.TB) *gormstore.DB {
	tb.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(tb.TempDir(), "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustServerWithBlobs is MustServer with a real object store on disk (for
// media a test serves or deletes) and rate limits off.
func mustServerWithBlobs(tb testing.TB, db *gormstore.DB) *Server {
	tb.Helper()
	blobs, err := diskstore.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	svc := &media.Service{Videos: db, Jobs: db, Blobs: blobs, Events: media.NewBroker(), Log: slog.New(slog.DiscardHandler)}
	return MustServer(tb, db, Options{Service: svc, RateLimits: RateLimits{Disabled: true}})
}

// MustServer builds a Server over db, wiring what opt leaves out the way
// cmd/baton does (with cheaper password hashing and open sign-up).
func MustServer(tb testing.TB, db *gormstore.DB, opt Options) *Server {
	tb.Helper()
	if opt.Service == nil {
		opt.Service = &media.Service{Videos: db, Jobs: db, Events: media.NewBroker()}
	}
	if opt.Comments == nil {
		opt.Comments = media.NewComments(db, db, opt.Service.Events)
	}
	if opt.Accounts == nil {
		opt.Accounts = &media.Accounts{Users: db, Hasher: cheapHasher, SignupOpen: true}
	}
	if opt.StagingDir == "" {
		opt.StagingDir = tb.TempDir()
	}
	if opt.PublicURL == "" {
		opt.PublicURL = "http://baton.test"
	}
	s, err := New(opt)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// newTestServer builds a Server over a fresh database, for tests that
// look at routing.
func newTestServer(tb testing.TB) *Server {
	tb.Helper()
	return MustServer(tb, MustDB(tb), Options{})
}
