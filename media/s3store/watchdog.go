package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// watchdog cancels its context, with cause errStalled, once it has been
// active (waiting on the store) for its limit without a kick. Kicks and
// activity changes are atomics, so the hot path of a transfer is cheap; the
// timer callback re-arms itself until the limit is really exceeded.
type watchdog struct {
	limit  time.Duration
	start  time.Time    // monotonic base for last
	last   atomic.Int64 // nanoseconds since start at the last kick
	active atomic.Bool  // waiting on the store right now
	timer  *time.Timer  // fires check
	ctx    context.Context
	cancel context.CancelCauseFunc
	// stopped keeps check from re-arming the timer after stop.
	stopped atomic.Bool
}

func newWatchdog(parent context.Context, limit time.Duration, active bool) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{limit: limit, start: time.Now(), ctx: ctx, cancel: cancel}
	w.active.Store(active)
	w.timer = time.AfterFunc(limit, w.check)
	return ctx, w
}

func (w *watchdog) kick() { w.last.Store(int64(time.Since(w.start))) }

func (w *watchdog) setActive(active bool) {
	// Idle time before becoming active is not the store's fault.
	w.kick()
	w.active.Store(active)
}

func (w *watchdog) check() {
	if w.stopped.Load() || w.ctx.Err() != nil {
		return
	}
	idle := time.Since(w.start) - time.Duration(w.last.Load())
	if w.active.Load() && idle >= w.limit {
		w.cancel(errStalled)
		return
	}
	next := w.limit - idle
	if !w.active.Load() || next <= 0 {
		next = w.limit
	}
	w.timer.Reset(next)
}

func (w *watchdog) stop() {
	w.stopped.Store(true)
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// sourceReader reads Put's body. While it waits on the caller's reader the
// store is not at fault, so the watchdog is paused; it also stops the upload
// between reads once ctx is done, even if the source would go on forever.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	wd  *watchdog

	mu       sync.Mutex // held during r.Read
	detached bool
	n        int64 // bytes read from r
	eof      bool
	err      error // r's own failure, not EOF
}

func (sr *sourceReader) Read(p []byte) (int, error) {
	if err := sr.ctx.Err(); err != nil {
		return 0, err
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.detached {
		return 0, errors.New("s3store: put abandoned")
	}
	sr.wd.setActive(false)
	n, err := sr.r.Read(p)
	sr.wd.setActive(true)
	sr.n += int64(n)
	switch {
	case err == io.EOF:
		sr.eof = true
	case err != nil:
		sr.err = err
	}
	return n, err
}

// detach waits for a Read in progress, then refuses further reads.
func (sr *sourceReader) detach() {
	sr.mu.Lock()
	sr.detached = true
	sr.mu.Unlock()
}

// failure returns why the body, rather than the store, failed a Put of
// size bytes, or nil.
func (sr *sourceReader) failure(size int64) error {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	switch {
	case sr.err != nil:
		return fmt.Errorf("reading body: %w", sr.err)
	case size >= 0 && sr.eof && sr.n < size:
		return fmt.Errorf("body ended after %d of %d bytes: %w", sr.n, size, io.ErrUnexpectedEOF)
	}
	return nil
}

// progressKicker receives minio-go's progress callbacks (a Read of the
// bytes just sent) and kicks the watchdog.
type progressKicker struct{ wd *watchdog }

func (k progressKicker) Read(p []byte) (int, error) {
	k.wd.kick()
	return len(p), nil
}
