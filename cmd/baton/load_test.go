package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// The load tests are the CI-sized form of bench/load: concurrent uploads
// and comment posters against one in-process server on the embedded
// default (SQLite + disk). The full size (20 uploads of 50 MB, 200
// posters) runs as a program that prints figures: go run ./bench/load.

// mustStartLoad is MustStart with rate limits of the caller's choosing.
func mustStartLoad(tb testing.TB, cfg Config, limits api.RateLimits) *testServer {
	tb.Helper()
	requireFFmpeg(tb)
	m := NewMain(cfg, testLogger(tb))
	m.Frontend = testFrontend
	m.Hasher = testHasher
	m.RateLimits = limits
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	provisionAuth(tb, m.DB)
	return &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}
}

// hashReader returns the SHA-256 of r's bytes, read in small pieces.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func mustHashFile(tb testing.TB, path string) (string, int64) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sum, n, err := hashReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	return sum, n
}

// mustHashObject hashes a stored object without reading it whole.
func (s *testServer) mustHashObject(tb testing.TB, key string) (string, int64) {
	tb.Helper()
	r, err := s.Blobs.Open(context.Background(), key)
	if err != nil {
		tb.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	sum, n, err := hashReader(r)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	return sum, n
}

// statusCount tallies answers by status code, safe for concurrent use.
type statusCount struct {
	mu sync.Mutex
	n  map[string]map[int]int // what -> status -> count
}

func (sc *statusCount) add(what string, status int) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.n == nil {
		sc.n = map[string]map[int]int{}
	}
	if sc.n[what] == nil {
		sc.n[what] = map[int]int{}
	}
	sc.n[what][status]++
}

func (sc *statusCount) get(what string, status int) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.n[what][status]
}

func (sc *statusCount) total(what string) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t := 0
	for _, n := range sc.n[what] {
		t += n
	}
	return t
}

// serverErrors lists every 5xx answer (and every transport error,
// recorded as status 0): a server under load may refuse, never fail.
func (sc *statusCount) serverErrors() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []string
	for what, m := range sc.n {
		for status, n := range m {
			if status == 0 || status >= 500 {
				out = append(out, fmt.Sprintf("%d× %s → %d", n, what, status))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (sc *statusCount) String() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var parts []string
	for what, m := range sc.n {
		parts = append(parts, fmt.Sprintf("%s %v", what, m))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// loadClient sends requests without the harness's t.Fatal, so goroutines
// can use it, and counts every answer.
type loadClient struct {
	base   string
	hc     *http.Client
	counts *statusCount
}

func newLoadClient(base string, conns int) *loadClient {
	return &loadClient{
		base: base,
		hc: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: 0},
			Timeout:   2 * time.Minute,
		},
		counts: &statusCount{},
	}
}

// send sends a request (body JSON-encoded unless it is an io.Reader) and
// counts its answer under what. It returns the status and body; status 0
// is a transport error.
func (lc *loadClient) send(ctx context.Context, what, method, path string, body any, h http.Header) (int, []byte, http.Header) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = lc.base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		lc.counts.add(what, 0)
		return 0, []byte(err.Error()), nil
	}
	if _, ok := body.(io.Reader); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := lc.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			lc.counts.add(what, 0)
		}
		return 0, []byte(err.Error()), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	lc.counts.add(what, resp.StatusCode)
	return resp.StatusCode, b, resp.Header
}

// streamUpload sends the file at path to a tus upload in chunk-sized
// PATCHes read straight from the file, the length declared with the last
// one as a recorder does. It returns an error describing the first
// unexpected answer.
func (lc *loadClient) streamUpload(ctx context.Context, uploadURL, path string, chunk int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	for off := int64(0); off < size; {
		n := min(chunk, size-off)
		req, _ := http.NewRequestWithContext(ctx, "PATCH", uploadURL, io.NewSectionReader(f, off, n))
		req.ContentLength = n
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
		if off+n == size {
			req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
		}
		authorize(req)
		resp, err := lc.hc.Do(req)
		if err != nil {
			lc.counts.add("upload PATCH", 0)
			return fmt.Errorf("PATCH at %d: %w", off, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lc.counts.add("upload PATCH", resp.StatusCode)
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("PATCH at %d: %s %s", off, resp.Status, b)
		}
		got, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if got != off+n {
			return fmt.Errorf("PATCH at %d: Upload-Offset = %d, want %d", off, got, off+n)
		}
		off += n
	}
	return nil
}

// heapSampler records the largest HeapInuse seen while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	hs := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(hs.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > hs.peak.Load() {
				hs.peak.Store(ms.HeapInuse)
			}
			select {
			case <-hs.stop:
				return
			case <-t.C:
			}
		}
	}()
	return hs
}

// Stop ends sampling and returns the peak in bytes.
func (hs *heapSampler) Stop() uint64 {
	close(hs.stop)
	<-hs.done
	return hs.peak.Load()
}

// heapInuse is HeapInuse after a collection: what is live, not what is
// waiting to be collected.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// mustReadyVideo uploads a short MP4 and waits for it to be ready: a video
// for guests to comment on.
func (s *testServer) mustReadyVideo(tb testing.TB, title string) commentedVideo {
	tb.Helper()
	src := filepath.Join(tb.TempDir(), "ready.mp4")
	mediatest.MustMP4(tb, src, 2, "320x240")
	v := s.MustCreateVideo(tb, title)
	if resp, body := uploadChunks(tb, v.UploadURL, mustRead(tb, src), 1); resp.StatusCode != http.StatusNoContent {
		tb.Fatalf("upload: %s %s", resp.Status, body)
	}
	got := s.waitStatus(tb, v.ID, 60*time.Second, "ready", "failed")
	if got.Status != "ready" {
		tb.Fatalf("video for comments: %s %q", got.Status, got.Error)
	}
	return commentedVideo{ID: v.ID, Slug: v.Slug, Share: "/api/share/" + v.Slug, DurationMs: got.DurationMs}
}

// TestLoadUploadsAndComments: concurrent recordings upload over tus while
// guests post comments on a ready video through its share link, on the
// embedded default (SQLite + disk). No answer is a 5xx; every upload ends
// ready with its original byte-identical in the store and its full
// duration; exactly the comments answered 201 are stored; and the Go heap
// stays far below the bytes uploaded, which it could not if any layer held
// an upload (or a chunk of every upload at once) in memory.
func TestLoadUploadsAndComments(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	const (
		uploads    = 6
		seconds    = 12
		chunk      = 1 << 20 // MiB per PATCH: several per upload, so live sessions run
		posters    = 50
		videoBurst = 400 // comments the video takes before it answers 429
	)
	src := filepath.Join(t.TempDir(), "load.mkv")
	mediatest.MustRecording(t, src, float64(seconds), "1280x720", "h264", "-b:v", "8M", "-minrate", "8M", "-maxrate", "8M", "-bufsize", "8M")
	srcSum, srcSize := mustHashFile(t, src)
	total := uint64(uploads * srcSize)
	t.Logf("source: %d bytes; %d uploads = %s", srcSize, uploads, mib(total))

	cfg := testConfig(t, t.TempDir(), func(c *Config) { c.Workers = 2 })
	s := mustStartLoad(t, cfg, api.RateLimits{
		CommentsPerClient: media.Rate{Burst: 1 << 20, Every: time.Millisecond},
		// No refill: the number stored is exactly the burst however fast
		// the machine is, and everything past it must be a clean 429.
		CommentsPerVideo:   media.Rate{Burst: videoBurst, Every: 0},
		ReactionsPerClient: media.Rate{Burst: 1 << 20, Every: time.Millisecond},
		ReactionsPerVideo:  media.Rate{Burst: 1 << 20, Every: time.Millisecond},
	})
	target := s.mustReadyVideo(t, "talk about this")
	vids := make([]apiVideo, uploads)
	for i := range vids {
		vids[i] = s.MustCreateVideo(t, fmt.Sprintf("load %d", i))
	}

	lc := newLoadClient(s.URL, uploads+posters)
	base := heapInuse()
	hs := startHeapSampler(20 * time.Millisecond)
	start := time.Now()
	ctx, stopPosters := context.WithCancel(context.Background())
	var posting sync.WaitGroup
	for p := 0; p < posters; p++ {
		posting.Add(1)
		go func(p int) {
			defer posting.Done()
			guest := hdr("X-Guest-Secret", media.NewGuestSecret())
			for i := 0; ctx.Err() == nil; i++ {
				lc.send(ctx, "comment POST", "POST", target.Share+"/comments", map[string]any{
					"body": fmt.Sprintf("poster %d, comment %d", p, i), "timeMs": (p*100 + i) % 2000, "guestName": "Guest"}, guest)
				if i%5 == 4 {
					lc.send(ctx, "comments GET", "GET", target.Share+"/comments?limit=20", nil, nil)
				}
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}(p)
	}
	var uploading sync.WaitGroup
	errs := make([]error, uploads)
	for i, v := range vids {
		uploading.Add(1)
		go func() {
			defer uploading.Done()
			errs[i] = lc.streamUpload(context.Background(), v.UploadURL, src, chunk)
		}()
	}
	uploading.Wait()
	uploaded := time.Since(start)
	for i, v := range vids {
		if errs[i] != nil {
			t.Fatalf("upload %d: %v", i, errs[i])
		}
		got := s.waitStatus(t, v.ID, 90*time.Second, "ready", "failed")
		if got.Status != "ready" {
			t.Fatalf("upload %d: %s %q", i, got.Status, got.Error)
		}
		vids[i] = got
	}
	allReady := time.Since(start)
	stopPosters()
	posting.Wait()
	peak := hs.Stop()
	t.Logf("uploaded in %v, all ready after %v; heap in use: %s before, peak %s; answers: %v",
		uploaded.Round(time.Millisecond), allReady.Round(time.Millisecond), mib(base), mib(peak), lc.counts)

	if bad := lc.counts.serverErrors(); len(bad) != 0 {
		t.Errorf("server errors under load: %v", bad)
	}
	for i, v := range vids {
		if v.UploadedBytes != srcSize {
			t.Errorf("upload %d: uploadedBytes = %d, want %d", i, v.UploadedBytes, srcSize)
		}
		if d := v.DurationMs - seconds*1000; d < -200 || d > 200 {
			t.Errorf("upload %d: durationMs = %d, want about %d", i, v.DurationMs, seconds*1000)
		}
		if sum, n := s.mustHashObject(t, media.OriginalKey(v.ID)); sum != srcSum || n != srcSize {
			t.Errorf("upload %d: stored original is %d bytes, sha256 %s; source %d bytes, %s", i, n, sum, srcSize, srcSum)
		}
		assertReadyOutputs(t, s, v.ID)
	}
	// Comments: every answer a 201 or a 429, and exactly the 201s stored.
	created, refused := lc.counts.get("comment POST", 201), lc.counts.get("comment POST", 429)
	if created+refused != lc.counts.total("comment POST") {
		t.Errorf("comment answers other than 201 and 429: %v", lc.counts)
	}
	if created != videoBurst || refused == 0 {
		t.Errorf("%d comments created and %d refused, want %d created and the rest refused", created, refused, videoBurst)
	}
	var page struct{ Count int }
	s.mustCall(t, "GET", target.Share+"/comments?limit=1", nil, nil, 200, &page)
	if page.Count != created {
		t.Errorf("stored %d comments, answered 201 for %d", page.Count, created)
	}
	evs, err := s.DB.CommentEvents(context.Background(), target.ID, 0, 10*videoBurst)
	if err != nil || len(evs) != created {
		t.Errorf("%d comment events for %d comments (%v)", len(evs), created, err)
	}
	// Streaming: the heap in use, server and clients together, stayed
	// under half the bytes that went through it. Holding every upload
	// whole would take all of them, holding each until it is stored
	// (the uploads overlap) most of them.
	if peak > total/2 {
		t.Errorf("heap in use peaked at %s (%s before the load) while %s were uploaded, bound %s: uploads are not streamed",
			mib(peak), mib(base), mib(total), mib(total/2))
	}
	if left := listFiles(t, filepath.Join(cfg.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("staging files left: %v", left)
	}
}
