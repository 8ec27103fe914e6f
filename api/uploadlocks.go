package api

import (
	"context"
	"sync"

	tus "github.com/tus/tusd/v2/pkg/handler"
)

// uploadLocks serialises requests per upload in memory, as tusd's
// memorylocker does (a request that wants a held upload asks the holder to
// let go, then waits), plus TryLock for upkeep.
//
// Foot-gun: asking the holder to let go interrupts it. For a PATCH that is
// the point when the client itself retries (or the video is deleted), but
// background upkeep must never do it: it would cut a running upload off
// ("upload interrupted") once a minute.
type uploadLocks struct {
	mu    sync.Mutex
	locks map[string]*heldUpload
}

type heldUpload struct {
	released       chan struct{}
	requestRelease func()
}

var _ tus.Locker = (*uploadLocks)(nil)

func newUploadLocks() *uploadLocks { return &uploadLocks{locks: map[string]*heldUpload{}} }

// UseIn makes tusd take its locks here.
func (l *uploadLocks) UseIn(c *tus.StoreComposer) { c.UseLocker(l) }

// NewLock returns the (unlocked) lock of upload id.
func (l *uploadLocks) NewLock(id string) (tus.Lock, error) { return &uploadLock{l: l, id: id}, nil }

type uploadLock struct {
	l  *uploadLocks
	id string
}

// Lock takes the upload, asking its holder to let go and waiting until it
// does or ctx ends (tus.ErrLockTimeout).
func (k *uploadLock) Lock(ctx context.Context, requestRelease func()) error {
	for {
		k.l.mu.Lock()
		h := k.l.locks[k.id]
		if h == nil {
			k.l.locks[k.id] = &heldUpload{released: make(chan struct{}), requestRelease: requestRelease}
			k.l.mu.Unlock()
			return nil
		}
		k.l.mu.Unlock()
		h.requestRelease()
		select {
		case <-ctx.Done():
			return tus.ErrLockTimeout
		case <-h.released:
		}
	}
}

// TryLock takes the upload only if nobody holds it, and reports whether it
// did. The holder is left alone.
func (k *uploadLock) TryLock() bool {
	k.l.mu.Lock()
	defer k.l.mu.Unlock()
	if k.l.locks[k.id] != nil {
		return false
	}
	k.l.locks[k.id] = &heldUpload{released: make(chan struct{}), requestRelease: func() {}}
	return true
}

// Unlock lets the upload go.
func (k *uploadLock) Unlock() error {
	k.l.mu.Lock()
	h := k.l.locks[k.id]
	delete(k.l.locks, k.id)
	k.l.mu.Unlock()
	if h != nil {
		close(h.released)
	}
	return nil
}

// keyedMutex is a mutex per key whose entry lives only while someone holds
// or waits for it, so memory does not grow with every key ever used (a
// sync.Map of mutexes kept one per upload for the life of the process).
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu sync.Mutex
	n  int // holders and waiters
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.n++ // counted before waiting, so the entry outlives every waiter
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.n--; e.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// len counts the keys held or waited for.
func (k *keyedMutex) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
