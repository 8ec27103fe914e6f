package api

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKeyedMutex: one holder per key at a time, and no memory kept for a
// key once nobody holds or waits for it (the per-upload mutexes used to
// stay for the life of the process, one per upload).
func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := k.lock("a")
			if n := inside.Add(1); n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d holders at once, want 1", most.Load())
	}
	for i := 0; i < 1000; i++ {
		k.lock(string(rune('a'+i%26)) + string(rune(i)))()
	}
	if n := k.len(); n != 0 {
		t.Fatalf("%d keys kept after every lock was released", n)
	}
}

// TestUploadLocksTryLock: TryLock takes a free upload and leaves a held one
// alone, without asking its holder to let go; Lock still asks.
func TestUploadLocksTryLock(t *testing.T) {
	l := newUploadLocks()
	a, _ := l.NewLock("a")
	asked := make(chan struct{}, 1)
	if err := a.Lock(context.Background(), func() { asked <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	try := &uploadLock{l: l, id: "a"}
	if try.TryLock() {
		t.Fatal("TryLock took a held upload")
	}
	select {
	case <-asked:
		t.Fatal("TryLock asked the holder to let go")
	default:
	}
	other := &uploadLock{l: l, id: "b"}
	if !other.TryLock() {
		t.Fatal("TryLock refused a free upload")
	}
	other.Unlock()

	b, _ := l.NewLock("a")
	got := make(chan error, 1)
	go func() { got <- b.Lock(context.Background(), func() {}) }()
	<-asked // Lock asks the holder
	a.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if c, _ := l.NewLock("a"); c.Lock(ctx, func() {}) == nil {
		t.Fatal("Lock of a held upload succeeded")
	}
	b.Unlock()
	if !try.TryLock() {
		t.Fatal("TryLock after release failed")
	}
	try.Unlock()
	if len(l.locks) != 0 {
		t.Fatalf("%d locks kept", len(l.locks))
	}
}
