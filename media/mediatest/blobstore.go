// Package mediatest holds what Baton's tests share: the contract suite
// every media.BlobStore must pass (TestBlobStore) with its extension for
// stores that take an object while it is produced (TestStreamingBlobStore),
// a real MinIO server to run S3 code against (StartMinIO), and test videos
// made with real ffmpeg from its synthetic sources (video.go).
//
// One suite for every store is the point: the disk store and the S3 store
// are interchangeable only if they agree on the corner cases (empty objects,
// unknown sizes, prefix isolation, what a cancelled upload leaves behind),
// and the cheapest way to keep them agreeing is to run the same assertions
// against both. It is imported by tests and the bench programs only;
// nothing in the server links it.
package mediatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestBlobStore runs the media.BlobStore contract against the stores
// newStore returns. Each subtest calls newStore for an empty store of its
// own, so subtests cannot see each other's objects.
func TestBlobStore(t *testing.T, newStore func(t *testing.T) media.BlobStore) {
	t.Run("PutOpenStat", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		data := Pattern(1, 1000)
		MustPut(t, s, "videos/v1/poster.jpg", data, "image/jpeg")

		info, err := s.Stat(ctx, "videos/v1/poster.jpg")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		checkInfo(t, "Stat", info, "videos/v1/poster.jpg", 1000, "image/jpeg")

		b, err := s.Open(ctx, "videos/v1/poster.jpg")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer b.Close()
		checkInfo(t, "Info", b.Info(), "videos/v1/poster.jpg", 1000, "image/jpeg")
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes that differ from the %d put", len(got), len(data))
		}
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})

	t.Run("RangeReadWithSeek", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		data := Pattern(2, 10_000)
		MustPut(t, s, "videos/v1/video.mp4", data, "video/mp4")
		b, err := s.Open(ctx, "videos/v1/video.mp4")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer b.Close()

		// What http.ServeContent does: find the size, then read ranges.
		if n, err := b.Seek(0, io.SeekEnd); err != nil || n != 10_000 {
			t.Fatalf("Seek(0, End) = %d, %v; want 10000", n, err)
		}
		for _, r := range []struct{ off, n int64 }{{100, 50}, {9_990, 10}, {0, 1}, {5_000, 5_000}, {42, 0}} {
			if n, err := b.Seek(r.off, io.SeekStart); err != nil || n != r.off {
				t.Fatalf("Seek(%d) = %d, %v", r.off, n, err)
			}
			got := make([]byte, r.n)
			if _, err := io.ReadFull(b, got); err != nil {
				t.Fatalf("read %d at %d: %v", r.n, r.off, err)
			}
			if want := data[r.off : r.off+r.n]; !bytes.Equal(got, want) {
				t.Fatalf("bytes %d..%d differ", r.off, r.off+r.n)
			}
		}
		// Relative seeks, then reading to the end.
		if _, err := b.Seek(-20, io.SeekEnd); err != nil {
			t.Fatalf("Seek(-20, End): %v", err)
		}
		if n, err := b.Seek(10, io.SeekCurrent); err != nil || n != 9_990 {
			t.Fatalf("Seek(10, Current) = %d, %v; want 9990", n, err)
		}
		rest, err := io.ReadAll(b)
		if err != nil || !bytes.Equal(rest, data[9_990:]) {
			t.Fatalf("tail = %d bytes, %v; want the last 10", len(rest), err)
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		MustPut(t, s, "videos/v1/poster.jpg", Pattern(3, 5000), "image/jpeg")
		second := Pattern(4, 1234)
		MustPut(t, s, "videos/v1/poster.jpg", second, "image/png")
		checkContent(t, s, "videos/v1/poster.jpg", second)
		info := mustStat(t, s, "videos/v1/poster.jpg")
		checkInfo(t, "Stat", info, "videos/v1/poster.jpg", 1234, "image/png")
	})

	t.Run("UnknownSize", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		data := Pattern(5, 70_000)
		// A reader that is neither a file nor a bytes.Reader, like an
		// upload stream, so no store can peek at its length.
		r := struct{ io.Reader }{bytes.NewReader(data)}
		if err := s.Put(ctx, "videos/v1/original", r, -1, "video/webm"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		checkContent(t, s, "videos/v1/original", data)
		checkInfo(t, "Stat", mustStat(t, s, "videos/v1/original"), "videos/v1/original", 70_000, "video/webm")
	})

	t.Run("EmptyObject", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, size := range []int64{0, -1} {
			key := fmt.Sprintf("videos/v1/empty%d", size+1)
			if err := s.Put(ctx, key, strings.NewReader(""), size, "text/plain"); err != nil {
				t.Fatalf("Put(size %d): %v", size, err)
			}
			checkInfo(t, "Stat", mustStat(t, s, key), key, 0, "text/plain")
			checkContent(t, s, key, nil)
		}
	})

	t.Run("DefaultContentType", func(t *testing.T) {
		s := newStore(t)
		MustPut(t, s, "videos/v1/original", Pattern(6, 10), "")
		if got, want := mustStat(t, s, "videos/v1/original").ContentType, "application/octet-stream"; got != want {
			t.Fatalf("ContentType = %q, want %q", got, want)
		}
	})

	t.Run("LargeStreamed", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		// Not a multiple of any plausible part or buffer size, and big
		// enough to span several parts of a 5 MiB multipart upload.
		const size = 11<<20 + 12_345
		for _, declared := range []int64{size, -1} {
			key := fmt.Sprintf("videos/v1/large%d", declared+1)
			if err := s.Put(ctx, key, NewPatternReader(7, size), declared, "video/mp4"); err != nil {
				t.Fatalf("Put(size %d): %v", declared, err)
			}
			checkInfo(t, "Stat", mustStat(t, s, key), key, size, "video/mp4")
			b, err := s.Open(ctx, key)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, want := sha256.New(), sha256.New()
			n, err := io.Copy(got, b)
			b.Close()
			if err != nil || n != size {
				t.Fatalf("read back %d bytes, %v; want %d", n, err, size)
			}
			_, _ = io.Copy(want, NewPatternReader(7, size))
			if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
				t.Fatalf("%s: content differs from what was put", key)
			}
		}
	})

	t.Run("ShortBodyStoresNothing", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		// Declared 100 bytes, delivered 40: a truncated upload must not
		// become an object.
		err := s.Put(ctx, "videos/v1/original", struct{ io.Reader }{bytes.NewReader(Pattern(8, 40))}, 100, "video/webm")
		if err == nil {
			t.Fatal("Put with a short body succeeded")
		}
		checkNotFound(t, s, "videos/v1/original")
		// The body's fault, not the store's: nothing to retry later.
		if code := media.ErrorCode(err); code != media.EINTERNAL {
			t.Fatalf("Put with a short body: code %q, want %q", code, media.EINTERNAL)
		}
	})

	t.Run("ReaderErrorIsReturned", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, size := range []int64{2 << 20, -1} {
			r := io.MultiReader(NewPatternReader(19, 1<<20), failingReader{errBody})
			err := s.Put(ctx, "videos/v1/original", r, size, "video/webm")
			if !errors.Is(err, errBody) {
				t.Fatalf("Put(size %d) with a failing body = %v, want it to wrap %v", size, err, errBody)
			}
			if code := media.ErrorCode(err); code != media.EINTERNAL {
				t.Fatalf("Put(size %d) with a failing body: code %q, want %q", size, code, media.EINTERNAL)
			}
			checkNotFound(t, s, "videos/v1/original")
		}
	})

	t.Run("CancelMidPutLeavesNothing", func(t *testing.T) {
		s := newStore(t)
		for _, declared := range []int64{64 << 20, -1} {
			key := fmt.Sprintf("videos/v%d/original", declared+1)
			ctx, cancel := context.WithCancel(t.Context())
			// Cancels once 1 MiB has been read, then would go on for 64 MiB:
			// the store must stop early and publish nothing.
			r := &cancellingReader{r: NewPatternReader(9, 64<<20), after: 1 << 20, cancel: cancel}
			err := s.Put(ctx, key, r, declared, "video/webm")
			cancel()
			if err == nil {
				t.Fatalf("Put(size %d) succeeded after its context was cancelled", declared)
			}
			if r.n >= 64<<20 {
				t.Fatalf("Put(size %d) read the whole body after the cancel", declared)
			}
			checkNotFound(t, s, key)
			if got := mustList(t, s, fmt.Sprintf("videos/v%d/", declared+1)); len(got) != 0 {
				t.Fatalf("List after cancelled Put = %v, want nothing", keys(got))
			}
		}

		// A cancelled overwrite leaves the previous object whole.
		old := Pattern(10, 3000)
		MustPut(t, s, "videos/v2/poster.jpg", old, "image/jpeg")
		ctx, cancel := context.WithCancel(t.Context())
		r := &cancellingReader{r: NewPatternReader(11, 64<<20), after: 1 << 20, cancel: cancel}
		if err := s.Put(ctx, "videos/v2/poster.jpg", r, -1, "image/png"); err == nil {
			t.Fatal("overwrite succeeded after its context was cancelled")
		}
		cancel()
		checkContent(t, s, "videos/v2/poster.jpg", old)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		checkNotFound(t, s, "videos/none/original")
		MustPut(t, s, "videos/v1/thumbs/sprite.jpg", Pattern(12, 10), "image/jpeg")
		// A "directory" of objects is not itself an object.
		checkNotFound(t, s, "videos/v1")
		checkNotFound(t, s, "videos/v1/thumbs")
	})

	t.Run("DeleteIsIdempotent", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		MustPut(t, s, "videos/v1/poster.jpg", Pattern(13, 10), "image/jpeg")
		MustPut(t, s, "videos/v1/video.mp4", Pattern(14, 10), "video/mp4")
		for i := range 2 {
			if err := s.Delete(ctx, "videos/v1/poster.jpg"); err != nil {
				t.Fatalf("Delete #%d: %v", i+1, err)
			}
		}
		if err := s.Delete(ctx, "videos/never/was"); err != nil {
			t.Fatalf("Delete of a key never stored: %v", err)
		}
		checkNotFound(t, s, "videos/v1/poster.jpg")
		if got, want := keys(mustList(t, s, "")), []string{"videos/v1/video.mp4"}; !slices.Equal(got, want) {
			t.Fatalf("List after Delete = %q, want %q", got, want)
		}
	})

	t.Run("DeletePrefix", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, k := range []string{
			"videos/a/original", "videos/a/hls/0/seg1.m4s", "videos/a/hls/0/seg2.m4s",
			"videos/ab/original", "videos/b/original", "videos/b2/poster.jpg", "other/a/x",
		} {
			MustPut(t, s, k, Pattern(15, 10), "")
		}
		if err := s.DeletePrefix(ctx, "videos/a/"); err != nil {
			t.Fatalf("DeletePrefix(videos/a/): %v", err)
		}
		want := []string{"other/a/x", "videos/ab/original", "videos/b/original", "videos/b2/poster.jpg"}
		if got := keys(mustList(t, s, "")); !slices.Equal(got, want) {
			t.Fatalf("after DeletePrefix(videos/a/): %q, want %q", got, want)
		}
		// A prefix is a string prefix, not a directory: "videos/b" covers b2.
		if err := s.DeletePrefix(ctx, "videos/b"); err != nil {
			t.Fatalf("DeletePrefix(videos/b): %v", err)
		}
		want = []string{"other/a/x", "videos/ab/original"}
		if got := keys(mustList(t, s, "")); !slices.Equal(got, want) {
			t.Fatalf("after DeletePrefix(videos/b): %q, want %q", got, want)
		}
		if err := s.DeletePrefix(ctx, "videos/none/"); err != nil {
			t.Fatalf("DeletePrefix of an unused prefix: %v", err)
		}
		if err := s.DeletePrefix(ctx, ""); media.ErrorCode(err) != media.EINVALID {
			t.Fatalf("DeletePrefix(\"\") = %v, want code %s", err, media.EINVALID)
		}
		if got := keys(mustList(t, s, "")); !slices.Equal(got, want) {
			t.Fatalf("after refused DeletePrefix(\"\"): %q, want %q", got, want)
		}
		// Once the prefix is empty, writing under it again works.
		MustPut(t, s, "videos/a/original", Pattern(16, 10), "")
		checkContent(t, s, "videos/a/original", Pattern(16, 10))
	})

	t.Run("ListOrderAndPrefixIsolation", func(t *testing.T) {
		s := newStore(t)
		// Put out of order, with names whose byte order differs from a
		// directory walk's: "a.txt" < "a/b" < "a0" because '.' < '/' < '0'.
		put := []string{
			"videos/a/a0", "videos/ab/x", "videos/a/a/b", "videos/a/a.txt",
			"videos/a/z", "videos/a/B", "videos/b/x", "videos/a/hls/1.m4s",
		}
		for i, k := range put {
			MustPut(t, s, k, Pattern(uint64(17+i), 100+i), "")
		}
		want := []string{"videos/a/B", "videos/a/a.txt", "videos/a/a/b", "videos/a/a0", "videos/a/hls/1.m4s", "videos/a/z"}
		got := mustList(t, s, "videos/a/")
		if !slices.Equal(keys(got), want) {
			t.Fatalf("List(videos/a/) = %q, want %q", keys(got), want)
		}
		for _, bi := range got {
			i := slices.Index(put, bi.Key)
			if bi.Size != int64(100+i) {
				t.Errorf("List: %s Size = %d, want %d", bi.Key, bi.Size, 100+i)
			}
			if bi.ModTime.IsZero() {
				t.Errorf("List: %s has no ModTime", bi.Key)
			}
		}
		all := keys(mustList(t, s, ""))
		if !slices.IsSorted(all) || len(all) != len(put) {
			t.Fatalf("List(\"\") = %q, want all %d keys sorted", all, len(put))
		}
		if got, want := keys(mustList(t, s, "videos/a")), append(slices.Clone(want), "videos/ab/x"); !slices.Equal(got, want) {
			t.Fatalf("List(videos/a) = %q, want %q", got, want)
		}
		if got := mustList(t, s, "videos/none/"); len(got) != 0 {
			t.Fatalf("List of an unused prefix = %q, want nothing", keys(got))
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, key := range []string{
			"", "/etc/passwd", "../escape", "videos/../../escape", "videos/./x",
			"videos//x", "videos/x/", `videos\x`, "videos/.hidden", "videos/x\x00y",
		} {
			if err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); media.ErrorCode(err) != media.EINVALID {
				t.Errorf("Put(%q) = %v, want code %s", key, err, media.EINVALID)
			}
			if _, err := s.Stat(ctx, key); media.ErrorCode(err) != media.EINVALID {
				t.Errorf("Stat(%q) = %v, want code %s", key, err, media.EINVALID)
			}
		}
		for _, prefix := range []string{"/abs/", "../", "videos/../", `videos\`, "videos//"} {
			if _, err := s.List(ctx, prefix); media.ErrorCode(err) != media.EINVALID {
				t.Errorf("List(%q) = %v, want code %s", prefix, err, media.EINVALID)
			}
			if err := s.DeletePrefix(ctx, prefix); media.ErrorCode(err) != media.EINVALID {
				t.Errorf("DeletePrefix(%q) = %v, want code %s", prefix, err, media.EINVALID)
			}
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				size := int64(-1)
				if i%2 == 0 {
					size = int64(200_000 + i)
				}
				// Half share a directory, half get their own, so both
				// "same parent" and "new parent" paths race.
				key := fmt.Sprintf("videos/c/%d", i)
				if i%2 == 1 {
					key = fmt.Sprintf("videos/c%d/original", i)
				}
				if err := s.Put(ctx, key, NewPatternReader(uint64(100+i), int64(200_000+i)), size, ""); err != nil {
					errs <- fmt.Errorf("Put(%s): %w", key, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got := mustList(t, s, "videos/")
		if len(got) != n {
			t.Fatalf("List after %d concurrent puts = %q", n, keys(got))
		}
		for i := range n {
			key := fmt.Sprintf("videos/c/%d", i)
			if i%2 == 1 {
				key = fmt.Sprintf("videos/c%d/original", i)
			}
			checkContent(t, s, key, Pattern(uint64(100+i), 200_000+i))
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// MustPut stores data under key or fails the test.
func MustPut(tb testing.TB, s media.BlobStore, key string, data []byte, contentType string) {
	tb.Helper()
	if err := s.Put(tb.Context(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		tb.Fatalf("Put(%s): %v", key, err)
	}
}

// Pattern returns n deterministic pseudo-random bytes for seed: content that
// no store could mistake for another object's, or compress away.
func Pattern(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(NewPatternReader(seed, int64(n)), b)
	return b
}

// NewPatternReader streams the bytes Pattern(seed, n) returns without
// holding them, for objects too big to keep in a test's memory. The stream
// is the same however it is read (byte by byte or in large chunks).
func NewPatternReader(seed uint64, n int64) io.Reader {
	return &patternReader{state: seed*0x9E3779B97F4A7C15 + 1, off: 8, left: n}
}

type patternReader struct {
	state uint64
	buf   [8]byte // the current word; buf[off:] not yet returned
	off   int
	left  int64
}

// next advances an xorshift64 generator: fast, and random enough that no
// store can compress or deduplicate the content away.
func (p *patternReader) next() uint64 {
	p.state ^= p.state << 13
	p.state ^= p.state >> 7
	p.state ^= p.state << 17
	return p.state
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	i := copy(b, p.buf[p.off:])
	p.off += i
	// Whole words straight into b: eight bytes per step keeps this cheap
	// even under the race detector.
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], p.next())
	}
	if i < len(b) {
		binary.LittleEndian.PutUint64(p.buf[:], p.next())
		p.off = copy(b[i:], p.buf[:])
		i += p.off
	}
	p.left -= int64(i)
	return i, nil
}

var errBody = errors.New("mediatest: upload body broke")

// failingReader is a reader that always fails with err.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// cancellingReader cancels a context once after bytes have been read, then
// keeps reading, as an upload whose client went away mid-stream would.
type cancellingReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func mustStat(tb testing.TB, s media.BlobStore, key string) media.BlobInfo {
	tb.Helper()
	info, err := s.Stat(tb.Context(), key)
	if err != nil {
		tb.Fatalf("Stat(%s): %v", key, err)
	}
	return info
}

func mustList(tb testing.TB, s media.BlobStore, prefix string) []media.BlobInfo {
	tb.Helper()
	got, err := s.List(tb.Context(), prefix)
	if err != nil {
		tb.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

func keys(infos []media.BlobInfo) []string {
	out := make([]string, len(infos))
	for i, bi := range infos {
		out[i] = bi.Key
	}
	return out
}

func checkInfo(tb testing.TB, what string, got media.BlobInfo, key string, size int64, contentType string) {
	tb.Helper()
	if got.Key != key || got.Size != size || got.ContentType != contentType {
		tb.Fatalf("%s = {Key %q Size %d ContentType %q}, want {%q %d %q}",
			what, got.Key, got.Size, got.ContentType, key, size, contentType)
	}
	// Stores on this machine: the clocks agree, up to S3's whole seconds.
	if d := time.Since(got.ModTime); d < -time.Minute || d > time.Minute {
		tb.Fatalf("%s: ModTime %v is not about now", what, got.ModTime)
	}
}

func checkContent(tb testing.TB, s media.BlobStore, key string, want []byte) {
	tb.Helper()
	b, err := s.Open(tb.Context(), key)
	if err != nil {
		tb.Fatalf("Open(%s): %v", key, err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		tb.Fatalf("%s holds %d bytes that differ from the %d expected", key, len(got), len(want))
	}
	if got := b.Info().Size; got != int64(len(want)) {
		tb.Fatalf("%s: Info().Size = %d, want %d", key, got, len(want))
	}
}

func checkNotFound(tb testing.TB, s media.BlobStore, key string) {
	tb.Helper()
	ctx := tb.Context()
	if _, err := s.Stat(ctx, key); media.ErrorCode(err) != media.ENOTFOUND {
		tb.Fatalf("Stat(%s) = %v, want code %s", key, err, media.ENOTFOUND)
	}
	b, err := s.Open(ctx, key)
	if err == nil {
		b.Close()
	}
	if media.ErrorCode(err) != media.ENOTFOUND {
		tb.Fatalf("Open(%s) = %v, want code %s", key, err, media.ENOTFOUND)
	}
	var me *media.Error
	if !errors.As(err, &me) || me.Message == "" {
		tb.Fatalf("Open(%s): %v has no user-safe message", key, err)
	}
}
