package gormstore

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OpenPostgres connects to the Postgres database at dbURL (postgres://...),
// runs the schema migrations (one process at a time) and starts the change
// feed. Several processes may open the same database.
func OpenPostgres(ctx context.Context, dbURL string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("gormstore: database URL: %w", err)
	}
	q := u.Query()
	if q.Get("application_name") == "" {
		// Operators see which connections are Baton's in pg_stat_activity.
		q.Set("application_name", "baton")
		u.RawQuery = q.Encode()
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	g, err := gorm.Open(postgres.New(postgres.Config{DSN: u.String()}), cfg)
	if err != nil {
		return nil, fmt.Errorf("gormstore: open %s: %w", redact(u), err)
	}
	sdb, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("gormstore: %w", err)
	}
	// Postgres takes many writers; the pool bounds what one process asks of
	// the server (max_connections is shared by every process).
	sdb.SetMaxOpenConns(16)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = sdb.PingContext(pingCtx)
	cancel()
	if err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("gormstore: connect to %s: %w", redact(u), err)
	}
	if err := migrate(ctx, g); err != nil {
		_ = sdb.Close()
		return nil, err
	}
	db := &DB{w: g, r: g, log: log, pg: true}
	if err := db.prepareHot(ctx); err != nil {
		_ = sdb.Close()
		return nil, err
	}
	db.feed, err = startFeed(ctx, db, u.String())
	if err != nil {
		_ = sdb.Close()
		return nil, err
	}
	return db, nil
}

// redact hides the password of a database URL in messages.
func redact(u *url.URL) string { return u.Redacted() }
