package api

import (
	"context"
	"sync"
	"time"
)

// writeSlots admits one holder per key, with a bounded wait. Entries live
// only while held or waited for, so memory does not grow with every upload.
type writeSlots struct {
	mu sync.Mutex
	m  map[string]*writeSlot
}

type writeSlot struct {
	ch chan struct{} // capacity 1: full while held
	n  int           // holders and waiters
}

// acquire waits up to wait (or until ctx ends) for key's slot. It returns
// the release func and true, or false if the slot stayed taken.
func (w *writeSlots) acquire(ctx context.Context, key string, wait time.Duration) (func(), bool) {
	w.mu.Lock()
	if w.m == nil {
		w.m = map[string]*writeSlot{}
	}
	s := w.m[key]
	if s == nil {
		s = &writeSlot{ch: make(chan struct{}, 1)}
		w.m[key] = s
	}
	s.n++
	w.mu.Unlock()
	done := func() {
		w.mu.Lock()
		if s.n--; s.n == 0 {
			delete(w.m, key)
		}
		w.mu.Unlock()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; done() }, true
	case <-t.C:
	case <-ctx.Done():
	}
	done()
	return nil, false
}
