package mediatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestStreamingBlobStore runs the media.StreamingBlobStore contract (Create
// and its BlobWriter) against the stores newStore returns, one empty store
// per subtest.
//
// The suite sees only the interface, so it cannot tell whether a store left
// debris where nothing shows (temp files, incomplete multipart uploads).
// Each adapter checks that itself in a t.Cleanup registered by newStore: the
// suite ends every subtest with every writer committed or aborted, so
// nothing may be left by then.
//
// Sizes are chosen for an S3 store with 5 MiB parts (the S3 minimum): the
// large objects span several parts, some end exactly on a part boundary,
// and some stay below one part.
func TestStreamingBlobStore(t *testing.T, newStore func(t *testing.T) media.StreamingBlobStore) {
	t.Run("ManySmallWrites", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const key = "videos/v1/video.mp4"
		// What a live transcode produces: mostly 4 KiB writes, with odd
		// sizes (and an empty write) mixed in, ~14 MiB in all: three parts.
		sizes := make([]int, 3000)
		for i := range sizes {
			switch {
			case i == 17:
				sizes[i] = 0
			case i%10 == 3:
				sizes[i] = 1 + i*7919%20_000
			default:
				sizes[i] = 4096
			}
		}
		w, err := s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		r := NewPatternReader(20, 1<<40)
		total := writeSizes(t, w, r, sizes[:1500])
		checkNothingAt(t, s, key)
		total += writeSizes(t, w, r, sizes[1500:])
		checkNothingAt(t, s, key)
		if err := w.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		checkInfo(t, "Stat", mustStat(t, s, key), key, total, "video/mp4")
		checkStreamed(t, s, key, 20, total)
	})

	t.Run("SmallAndEmpty", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, tc := range []struct {
			key         string
			writes      []int
			contentType string
			wantType    string
		}{
			{"videos/v1/empty", nil, "text/plain", "text/plain"},
			{"videos/v2/empty", []int{0}, "text/plain", "text/plain"},
			{"videos/v3/small", []int{1, 999, 3000}, "", "application/octet-stream"},
		} {
			w, err := s.Create(ctx, tc.key, tc.contentType)
			if err != nil {
				t.Fatalf("Create(%s): %v", tc.key, err)
			}
			total := writeSizes(t, w, NewPatternReader(21, 1<<40), tc.writes)
			checkNothingAt(t, s, tc.key)
			if err := w.Commit(ctx); err != nil {
				t.Fatalf("Commit(%s): %v", tc.key, err)
			}
			checkInfo(t, "Stat", mustStat(t, s, tc.key), tc.key, total, tc.wantType)
			checkContent(t, s, tc.key, Pattern(21, int(total)))
		}
	})

	t.Run("PartBoundaries", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, tc := range []struct {
			key    string
			writes []int
		}{
			// Exactly one part, in 64 KiB writes: nothing is left to send
			// at Commit.
			{"videos/v1/one-part", repeat(64<<10, 80)},
			// A single Write bigger than two parts.
			{"videos/v1/one-write", []int{10<<20 + 3}},
		} {
			w, err := s.Create(ctx, tc.key, "video/mp4")
			if err != nil {
				t.Fatalf("Create(%s): %v", tc.key, err)
			}
			total := writeSizes(t, w, NewPatternReader(22, 1<<40), tc.writes)
			if err := w.Commit(ctx); err != nil {
				t.Fatalf("Commit(%s): %v", tc.key, err)
			}
			checkInfo(t, "Stat", mustStat(t, s, tc.key), tc.key, total, "video/mp4")
			checkStreamed(t, s, tc.key, 22, total)
		}
	})

	t.Run("Abort", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const key = "videos/v1/video.mp4"
		w, err := s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		// More than a part, so an S3 store has sent one.
		writeSizes(t, w, NewPatternReader(23, 1<<40), repeat(256<<10, 21))
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		checkNothingAt(t, s, key)
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("second Abort: %v", err)
		}
		if n, err := w.Write([]byte("x")); err == nil || n != 0 {
			t.Fatalf("Write after Abort = %d, %v; want an error", n, err)
		}
		if err := w.Commit(ctx); err == nil {
			t.Fatal("Commit after Abort succeeded")
		}
		checkNothingAt(t, s, key)

		// Aborting before anything was written works too.
		w, err = s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("Abort of an untouched writer: %v", err)
		}
		checkNothingAt(t, s, key)
	})

	t.Run("AbortWhileWriting", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const key = "videos/v1/video.mp4"
		w, err := s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		// Another goroutine (a session being dropped) aborts while the
		// transcoder is still writing: the writes start failing.
		var written atomic.Int64
		stopped := make(chan error, 1)
		go func() {
			chunk := Pattern(30, 64<<10)
			for written.Load() < 256<<20 {
				if _, err := w.Write(chunk); err != nil {
					stopped <- err
					return
				}
				written.Add(int64(len(chunk)))
			}
			stopped <- nil
		}()
		// Past the first part, so an S3 store has started its upload.
		for written.Load() < 5<<20+1 {
			select {
			case err := <-stopped:
				t.Fatalf("writes stopped before Abort: %v", err)
			case <-time.After(time.Millisecond):
			}
		}
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if err := <-stopped; err == nil {
			t.Fatal("writes went on after Abort")
		}
		checkNothingAt(t, s, key)
	})

	t.Run("AfterCommit", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const key = "videos/v1/poster.jpg"
		w, err := s.Create(ctx, key, "image/jpeg")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		writeSizes(t, w, NewPatternReader(24, 1<<40), []int{5000})
		if err := w.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		// Abort after Commit is what a deferred cleanup does: a no-op.
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("Abort after Commit: %v", err)
		}
		if n, err := w.Write([]byte("x")); err == nil || n != 0 {
			t.Fatalf("Write after Commit = %d, %v; want an error", n, err)
		}
		if err := w.Commit(ctx); err == nil {
			t.Fatal("second Commit succeeded")
		}
		checkContent(t, s, key, Pattern(24, 5000))
	})

	t.Run("OverwriteOnlyAtCommit", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const key = "videos/v1/original"
		old := Pattern(25, 3000)
		MustPut(t, s, key, old, "video/webm")
		const chunks = 82 // just over a part
		for _, commit := range []bool{false, true} {
			w, err := s.Create(ctx, key, "video/x-matroska")
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			writeSizes(t, w, NewPatternReader(26, 1<<40), repeat(64<<10, chunks))
			// Until Commit, readers see the previous object, whole.
			checkContent(t, s, key, old)
			checkInfo(t, "Stat", mustStat(t, s, key), key, 3000, "video/webm")
			if !commit {
				if err := w.Abort(ctx); err != nil {
					t.Fatalf("Abort: %v", err)
				}
				checkContent(t, s, key, old)
				continue
			}
			if err := w.Commit(ctx); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			checkInfo(t, "Stat", mustStat(t, s, key), key, chunks*64<<10, "video/x-matroska")
			checkStreamed(t, s, key, 26, chunks*64<<10)
		}
	})

	t.Run("CancelMidStream", func(t *testing.T) {
		s := newStore(t)
		// Cancelled after more than a part, and while still inside the
		// first one.
		for i, chunks := range []int{21, 2} {
			key := fmt.Sprintf("videos/v%d/video.mp4", i+1)
			ctx, cancel := context.WithCancel(t.Context())
			w, err := s.Create(ctx, key, "video/mp4")
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			writeSizes(t, w, NewPatternReader(27, 1<<40), repeat(256<<10, chunks))
			cancel()
			if _, err := w.Write(make([]byte, 4096)); err == nil {
				t.Fatalf("%s: Write after the cancel succeeded", key)
			}
			if err := w.Commit(t.Context()); err == nil {
				t.Fatalf("%s: Commit after the cancel succeeded", key)
			}
			checkNothingAt(t, s, key)
			// The caller's cleanup: it finds nothing left to do, or waits
			// for the store's own clean-up to finish.
			if err := w.Abort(t.Context()); err != nil {
				t.Fatalf("%s: Abort after the cancel: %v", key, err)
			}
			checkNothingAt(t, s, key)
		}
	})

	t.Run("CancelledCommit", func(t *testing.T) {
		s := newStore(t)
		const key = "videos/v1/video.mp4"
		w, err := s.Create(t.Context(), key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		writeSizes(t, w, NewPatternReader(28, 1<<40), repeat(256<<10, 21))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := w.Commit(ctx); err == nil {
			t.Fatal("Commit with a cancelled context succeeded")
		}
		checkNothingAt(t, s, key)
		if err := w.Commit(t.Context()); err == nil {
			t.Fatal("Commit after a failed Commit succeeded")
		}
		if err := w.Abort(t.Context()); err != nil {
			t.Fatalf("Abort after a failed Commit: %v", err)
		}
		checkNothingAt(t, s, key)
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		// Below a part and over one, committed and aborted.
		sizes := []int{777, 1<<20 + 1, 5<<20 + 777, 6<<20 + 3, 300_000}
		abort := func(i int) bool { return i%2 == 0 && i > 0 }
		var wg sync.WaitGroup
		for i, size := range sizes {
			wg.Go(func() {
				key := fmt.Sprintf("videos/c%d/video.mp4", i)
				w, err := s.Create(ctx, key, "video/mp4")
				if err != nil {
					t.Errorf("Create(%s): %v", key, err)
					return
				}
				r := NewPatternReader(uint64(200+i), int64(size))
				buf := make([]byte, 8192+i*1000)
				for {
					m, _ := r.Read(buf)
					if m == 0 {
						break
					}
					if _, err := w.Write(buf[:m]); err != nil {
						t.Errorf("Write(%s): %v", key, err)
						_ = w.Abort(ctx)
						return
					}
				}
				if abort(i) {
					err = w.Abort(ctx)
				} else {
					err = w.Commit(ctx)
				}
				if err != nil {
					t.Errorf("%s: %v", key, err)
				}
			})
		}
		wg.Wait()
		var want []string
		for i, size := range sizes {
			key := fmt.Sprintf("videos/c%d/video.mp4", i)
			if abort(i) {
				checkNotFound(t, s, key)
				continue
			}
			want = append(want, key)
			checkStreamed(t, s, key, uint64(200+i), int64(size))
		}
		if got := keys(mustList(t, s, "videos/")); !slices.Equal(got, want) {
			t.Fatalf("List = %q, want %q", got, want)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, key := range []string{"", "/abs", "../escape", "videos//x", "videos/x/", "videos/.hidden"} {
			w, err := s.Create(ctx, key, "")
			if media.ErrorCode(err) != media.EINVALID {
				t.Errorf("Create(%q) = %v, want code %s", key, err, media.EINVALID)
			}
			if w != nil {
				_ = w.Abort(ctx)
			}
		}
	})

	t.Run("CommitCostIndependentOfSize", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		// The point of a streaming writer: when a recording stops, Commit
		// sends only what had not gone yet, so it takes about as long for
		// a long recording as for a short one. Sent as fast as possible
		// here, so up to two parts may still be on their way: a bound that
		// does not grow with the object.
		const budget = time.Second
		var took []time.Duration
		for _, size := range []int{6<<20 + 4321, 25<<20 + 4321} {
			key := fmt.Sprintf("videos/v%d/video.mp4", size)
			w, err := s.Create(ctx, key, "video/mp4")
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			writeSizes(t, w, NewPatternReader(29, 1<<40), append(repeat(256<<10, size/(256<<10)), size%(256<<10)))
			start := time.Now()
			if err := w.Commit(ctx); err != nil {
				t.Fatalf("Commit(%d bytes): %v", size, err)
			}
			took = append(took, time.Since(start))
			checkInfo(t, "Stat", mustStat(t, s, key), key, int64(size), "video/mp4")
		}
		t.Logf("Commit after 6 MiB: %v, after 25 MiB: %v", took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
		for _, d := range took {
			if d > budget {
				t.Errorf("Commit took %v, over %v", d, budget)
			}
		}
	})
}

// writeSizes writes the bytes it reads from r to w, in writes of the given
// sizes, and returns how many it wrote.
func writeSizes(tb testing.TB, w io.Writer, r io.Reader, sizes []int) int64 {
	tb.Helper()
	var total int64
	buf := make([]byte, 64<<10)
	for i, n := range sizes {
		if len(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if _, err := io.ReadFull(r, b); err != nil {
			tb.Fatal(err)
		}
		if got, err := w.Write(b); err != nil || got != n {
			tb.Fatalf("Write #%d of %d bytes = %d, %v", i+1, n, got, err)
		}
		total += int64(n)
	}
	return total
}

func repeat(size, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = size
	}
	return out
}

// checkStreamed compares the object at key with NewPatternReader(seed,
// size), by hash, reading both as streams.
func checkStreamed(tb testing.TB, s media.BlobStore, key string, seed uint64, size int64) {
	tb.Helper()
	b, err := s.Open(tb.Context(), key)
	if err != nil {
		tb.Fatalf("Open(%s): %v", key, err)
	}
	defer b.Close()
	got, want := sha256.New(), sha256.New()
	n, err := io.Copy(got, b)
	if err != nil || n != size {
		tb.Fatalf("%s: read back %d bytes, %v; want %d", key, n, err, size)
	}
	_, _ = io.Copy(want, NewPatternReader(seed, size))
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		tb.Fatalf("%s: content differs from what was written", key)
	}
}

// checkNothingAt asserts that key is not an object and that nothing is
// listed beside it.
func checkNothingAt(tb testing.TB, s media.BlobStore, key string) {
	tb.Helper()
	checkNotFound(tb, s, key)
	dir := key[:strings.LastIndex(key, "/")+1]
	if got := mustList(tb, s, dir); len(got) != 0 {
		tb.Fatalf("List(%s) = %q, want nothing", dir, keys(got))
	}
}
