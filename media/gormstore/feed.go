package gormstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// The change feed (Postgres): every process LISTENs on one channel, and a
// transaction that changes something a live page shows sends a NOTIFY in
// the same transaction, so the notice goes out exactly when the change
// commits, and not at all if it rolls back. A notice carries a topic, the
// sending process and an id, never content: each process reads the rows
// itself and serves its own streams.
//
//	c:<origin>:<seq>   comment events up to seq were committed
//	v:<origin>:<id>    video id changed
//	<topic>:<origin>:<id>  anything registered with OnNotice
//
// Comment events reach this process's hub only through the feed, in id
// order: a writer waits until its own events came back before it returns,
// so a page reloaded by the writer sees its change (and the thread cache
// dropped it), and every stream gets events in Seq order across processes.
// lockEvents (dialect.go) makes ids commit in increasing order, so after a
// lost connection "every event after the last one delivered" is exact.

const feedChannel = "baton_events"

type feed struct {
	db     *DB
	dsn    string
	origin string
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	delivered int64         // highest comment event id handed to publish
	advanced  chan struct{} // closed and replaced when delivered grows
	handlers  map[string][]func(id string)
	onVideo   func(*media.Video)
	lag       func(topic string, d time.Duration)
	connected bool
}

func startFeed(ctx context.Context, db *DB, dsn string) (*feed, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	f := &feed{
		db: db, dsn: dsn, origin: hex.EncodeToString(b),
		done: make(chan struct{}), advanced: make(chan struct{}),
		handlers: map[string][]func(string){},
	}
	if err := db.w.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) FROM comment_events`).Scan(&f.delivered).Error; err != nil {
		return nil, fmt.Errorf("gormstore: feed start: %w", err)
	}
	conn, err := f.listen(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	go f.run(runCtx, conn)
	return f, nil
}

func (f *feed) close() {
	f.cancel()
	<-f.done
}

func (f *feed) listen(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, f.dsn)
	if err != nil {
		return nil, fmt.Errorf("gormstore: feed connect: %w", err)
	}
	if _, err := conn.Exec(cctx, "LISTEN "+feedChannel); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("gormstore: listen: %w", err)
	}
	f.mu.Lock()
	f.connected = true
	f.mu.Unlock()
	return conn, nil
}

// run receives notices until ctx ends, reconnecting after a lost
// connection and then catching up on what it may have missed.
func (f *feed) run(ctx context.Context, conn *pgx.Conn) {
	defer close(f.done)
	backoff := 100 * time.Millisecond
	for {
		if conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			var err error
			if conn, err = f.listen(ctx); err != nil {
				backoff = min(backoff*2, 5*time.Second)
				f.db.log.Warn("change feed: reconnect", "err", err)
				continue
			}
			backoff = 100 * time.Millisecond
			f.db.log.Info("change feed: reconnected")
			// Notices sent while disconnected are lost: nothing cached
			// before may be trusted.
			f.db.VideoChanged("")
			f.deliverComments(ctx)
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			_ = conn.Close(context.Background())
			conn = nil
			f.mu.Lock()
			f.connected = false
			f.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			f.db.log.Warn("change feed: connection lost", "err", err)
			continue
		}
		f.handle(ctx, n.Payload)
	}
}

func (f *feed) handle(ctx context.Context, payload string) {
	topic, rest, _ := strings.Cut(payload, ":")
	origin, id, ok := strings.Cut(rest, ":")
	if !ok {
		return
	}
	switch topic {
	case "c":
		seq, _ := strconv.ParseInt(id, 10, 64)
		f.mu.Lock()
		seen := seq <= f.delivered
		f.mu.Unlock()
		if !seen {
			f.deliverComments(ctx)
		}
	case "v":
		if origin == f.origin {
			return // this process published it when it made the change
		}
		// First: the row read below, and every share link after this,
		// must not come from this process's slug cache (videocache.go).
		// "" is a change to many videos (ownership hand-overs).
		f.db.VideoChanged(id)
		if id == "" {
			return
		}
		f.mu.Lock()
		fn := f.onVideo
		f.mu.Unlock()
		if fn == nil {
			return
		}
		v, err := f.db.Video(ctx, id)
		if err != nil {
			return // deleted meanwhile
		}
		f.observeLag("v", v.UpdatedAt)
		fn(v)
	default:
		f.mu.Lock()
		hs := f.handlers[topic]
		f.mu.Unlock()
		for _, h := range hs {
			h(id)
		}
	}
}

// deliverComments publishes every comment event after the last delivered
// one, in id order.
func (f *feed) deliverComments(ctx context.Context) {
	for {
		f.mu.Lock()
		after := f.delivered
		f.mu.Unlock()
		var rows []eventRow
		err := f.db.r.WithContext(ctx).Where("id > ?", after).Order("id").Limit(500).Find(&rows).Error
		if err != nil {
			if ctx.Err() == nil {
				f.db.log.Warn("change feed: read comment events", "err", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		f.db.comments.mu.Lock()
		publish := f.db.comments.publish
		f.db.comments.mu.Unlock()
		for i := range rows {
			ev, err := f.db.decodeEvent(&rows[i])
			if err != nil {
				f.db.log.Warn("change feed", "err", err)
				continue
			}
			f.observeLag("c", ev.CreatedAt)
			if publish != nil {
				publish(ev)
			}
		}
		f.mu.Lock()
		f.delivered = rows[len(rows)-1].ID
		close(f.advanced)
		f.advanced = make(chan struct{})
		f.mu.Unlock()
		if len(rows) < 500 {
			return
		}
	}
}

func (f *feed) observeLag(topic string, at time.Time) {
	f.mu.Lock()
	fn := f.lag
	f.mu.Unlock()
	if fn != nil && !at.IsZero() {
		fn(topic, max(time.Since(at), 0))
	}
}

// feedWait bounds how long a comment write waits for its events to come
// back through the feed; past it (the listener is reconnecting) the write
// returns and its events follow when the feed catches up.
const feedWait = 5 * time.Second

// waitDelivered returns once the events up to seq were published.
func (f *feed) waitDelivered(seq int64) {
	t := time.NewTimer(feedWait)
	defer t.Stop()
	for {
		f.mu.Lock()
		done, ch := f.delivered >= seq, f.advanced
		f.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-t.C:
			f.db.log.Warn("change feed: comment events not back in time", "seq", seq)
			return
		case <-f.done:
			return
		}
	}
}

// notifyTx sends a notice when tx commits (Postgres; nothing on SQLite).
func notifyTx(tx *gorm.DB, db *DB, topic, id string) error {
	if db.feed == nil {
		return nil
	}
	if _, err := execRaw(tx, `SELECT pg_notify(?, ?)`, feedChannel, topic+":"+db.feed.origin+":"+id); err != nil {
		return fmt.Errorf("gormstore: notify: %w", err)
	}
	return nil
}

// OnVideoChange sets the function that receives videos changed by other
// processes (the live broker's Publish); this process's own changes are
// published by whoever made them. Nothing is relayed on SQLite, where there
// is one process.
func (db *DB) OnVideoChange(fn func(*media.Video)) {
	if db.feed == nil {
		return
	}
	db.feed.mu.Lock()
	defer db.feed.mu.Unlock()
	db.feed.onVideo = fn
}

// OnNotice registers fn for notices of topic sent with Notify by any
// process, this one included. fn runs on the feed's goroutine: keep it
// short.
func (db *DB) OnNotice(topic string, fn func(id string)) {
	if db.feed == nil {
		db.localMu.Lock()
		defer db.localMu.Unlock()
		if db.local == nil {
			db.local = map[string][]func(string){}
		}
		db.local[topic] = append(db.local[topic], fn)
		return
	}
	db.feed.mu.Lock()
	defer db.feed.mu.Unlock()
	db.feed.handlers[topic] = append(db.feed.handlers[topic], fn)
}

// Notify tells every process (this one included) that id changed under
// topic, e.g. a cache key. On SQLite it calls this process's handlers.
func (db *DB) Notify(ctx context.Context, topic, id string) error {
	if topic == "c" || topic == "v" || strings.Contains(topic, ":") {
		return media.Errorf(media.EINVALID, "Reserved or invalid notice topic.")
	}
	if db.feed == nil {
		db.localMu.Lock()
		hs := db.local[topic]
		db.localMu.Unlock()
		for _, h := range hs {
			h(id)
		}
		return nil
	}
	return notifyTx(db.w.WithContext(ctx), db, topic, id)
}

// OnFeedLag sets a function told, for each relayed change, how long after
// its commit this process heard of it (for metrics).
func (db *DB) OnFeedLag(fn func(topic string, d time.Duration)) {
	if db.feed == nil {
		return
	}
	db.feed.mu.Lock()
	defer db.feed.mu.Unlock()
	db.feed.lag = fn
}

// FeedConnected reports whether the change feed is listening (always true
// on SQLite, which needs none); /readyz shows it.
func (db *DB) FeedConnected() bool {
	if db.feed == nil {
		return true
	}
	db.feed.mu.Lock()
	defer db.feed.mu.Unlock()
	return db.feed.connected
}
