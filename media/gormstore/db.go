// Package gormstore keeps Baton's metadata (videos, jobs, comments,
// accounts) in a SQL database through GORM. The embedded default is one
// SQLite file in WAL mode with a single writer connection and immediate
// transactions, so writers queue on Go's connection pool instead of failing
// with SQLITE_BUSY, while a separate pool of read connections serves lookups
// concurrently.
//
// Scaled out, the same schema lives in Postgres (pgx), shared by several
// processes: jobs are claimed with FOR UPDATE SKIP LOCKED, periodic work
// claims its tick in a row, and committed changes are announced to every
// process with NOTIFY (ids only; see feed.go), so each can serve its own
// live streams and drop its caches.
package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/baton-video/baton/media"
)

// sqliteDriver is mattn's driver with the settings its DSN cannot carry,
// applied to every connection it opens (a replaced connection too).
const sqliteDriver = "sqlite3_baton"

var registerDriver sync.Once

func registerSQLite() {
	registerDriver.Do(func() {
		sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// Statement journals in memory: a statement that fires
			// triggers (a comment's search index) or runs inside a
			// savepoint (every write of a comment batch) journals the
			// pages it changes so it can be undone alone. By default
			// SQLite spills that journal to a file in /var/tmp once it
			// passes 64 KiB, and a batch of comments passes it early:
			// from then on every statement paid a pwrite per page, about
			// half of a comment's write cost. The statement journal
			// only ever undoes a statement inside a live transaction;
			// durability is the WAL's, so nothing durable moves to
			// memory.
			_, err := c.Exec(`PRAGMA temp_store = MEMORY`, nil)
			return err
		}})
	})
}

// DB is an open metadata database.
type DB struct {
	w   *gorm.DB // the only connection that writes (SQLite); the pool (Postgres)
	r   *gorm.DB // read-only connections (SQLite); the same pool as w (Postgres)
	log *slog.Logger
	pg  bool
	// feed relays committed changes between processes (Postgres only).
	feed *feed
	// local holds OnNotice handlers on SQLite, where Notify stays in the
	// process.
	localMu sync.Mutex
	local   map[string][]func(string)
	// comments commits comment writes in batches (comments.go).
	comments commentQueue
	// videos caches videos by slug for share links (videocache.go).
	videos videoCache
	// hot holds the comment writes' prepared statements (comment_queue.go).
	hot map[string]*sql.Stmt
}

// OpenURL opens the database a BATON_DATABASE_URL names: postgres:// or
// postgresql:// for Postgres, sqlite:///path or a plain path for SQLite.
func OpenURL(ctx context.Context, dbURL string, log *slog.Logger) (*DB, error) {
	if IsPostgresURL(dbURL) {
		return OpenPostgres(ctx, dbURL, log)
	}
	return Open(ctx, strings.TrimPrefix(dbURL, "sqlite://"), log)
}

// IsPostgresURL reports whether u names a Postgres database.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.w.Dialector.Name() }

// Open opens (creating if needed) the SQLite database at path and runs the
// schema migrations.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("gormstore: create data dir: %w", err)
	}
	q := url.Values{}
	// WAL lets readers run while the writer commits.
	q.Set("_journal_mode", "WAL")
	// Take the write lock at BEGIN, so a transaction never fails half-way
	// when it upgrades from read to write.
	q.Set("_txlock", "immediate")
	// Wait instead of failing when another process holds the lock.
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	// NORMAL is durable across application crashes in WAL mode; only an OS
	// crash can lose the last transactions.
	q.Set("_synchronous", "NORMAL")
	dsn := "file:" + path + "?" + q.Encode()

	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	registerSQLite()
	w, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: dsn}), cfg)
	if err != nil {
		return nil, fmt.Errorf("gormstore: open %s: %w", path, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return nil, fmt.Errorf("gormstore: %w", err)
	}
	// One writer: SQLite allows one anyway; queueing in Go is cheaper than
	// spinning on SQLITE_BUSY.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)

	if err := migrate(ctx, w); err != nil {
		_ = wdb.Close()
		return nil, err
	}

	rq := url.Values{}
	rq.Set("_busy_timeout", "10000")
	rq.Set("mode", "ro")
	rq.Set("_query_only", "1")
	r, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: "file:" + path + "?" + rq.Encode()}), cfg)
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("gormstore: open readers: %w", err)
	}
	rdb, _ := r.DB()
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)
	db := &DB{w: w, r: r, log: log}
	if err := db.prepareHot(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Close stops the change feed and closes every connection.
func (db *DB) Close() error {
	var errs []error
	if db.feed != nil {
		db.feed.close()
	}
	pools := []*gorm.DB{db.r, db.w}
	if db.r == db.w {
		pools = pools[1:]
	}
	for _, g := range pools {
		if s, err := g.DB(); err == nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.r.WithContext(ctx).Raw("SELECT 1").Scan(&n).Error; err != nil {
		return media.WrapError(media.EUNAVAILABLE, err, "The database is unavailable.")
	}
	return nil
}
