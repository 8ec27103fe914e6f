package s3store_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/s3store"
)

var bucketSeq atomic.Int64

// config returns a config for a fresh bucket on m. The 5 MiB part size (the
// S3 minimum) makes the contract's large objects go multipart.
func config(m mediatest.MinIO) s3store.Config {
	return s3store.Config{
		Endpoint:  m.Endpoint,
		Bucket:    fmt.Sprintf("baton-test-%d", bucketSeq.Add(1)),
		AccessKey: m.AccessKey,
		SecretKey: m.SecretKey,
		PathStyle: true,
		OpTimeout: 10 * time.Second,
		PartSize:  5 << 20,
	}
}

func mustNew(tb testing.TB, cfg s3store.Config) *s3store.Store {
	tb.Helper()
	s, err := s3store.New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

func TestBlobStoreContract(t *testing.T) {
	t.Parallel()
	m := mediatest.StartMinIO(t)
	mediatest.TestBlobStore(t, func(t *testing.T) media.BlobStore {
		return mustNew(t, config(m))
	})
}

func TestNewCreatesBucket(t *testing.T) {
	t.Parallel()
	m := mediatest.StartMinIO(t)
	raw, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(m)
	if ok, err := raw.BucketExists(t.Context(), cfg.Bucket); err != nil || ok {
		t.Fatalf("before New: BucketExists = %v, %v; want false", ok, err)
	}
	mustNew(t, cfg)
	if ok, err := raw.BucketExists(t.Context(), cfg.Bucket); err != nil || !ok {
		t.Fatalf("after New: BucketExists = %v, %v; want true", ok, err)
	}
	// A second process starting against the same bucket finds it there.
	s := mustNew(t, cfg)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// The endpoint may be given as a URL too.
	cfg.Endpoint = m.URL
	mustNew(t, cfg)
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]s3store.Config{
		"no endpoint":      {Bucket: "b"},
		"no bucket":        {Endpoint: "127.0.0.1:9"},
		"endpoint path":    {Endpoint: "127.0.0.1:9/x", Bucket: "b"},
		"public URL path":  {Endpoint: "127.0.0.1:9", Bucket: "b", PublicURL: "https://cdn.example.com/media"},
		"tiny part size":   {Endpoint: "127.0.0.1:9", Bucket: "b", PartSize: 1 << 20},
		"endpoint scheme?": {Endpoint: "ftp://127.0.0.1:9", Bucket: "b"},
	} {
		if _, err := s3store.New(t.Context(), cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestPresignGet(t *testing.T) {
	t.Parallel()
	m := mediatest.StartMinIO(t)
	cfg := config(m)
	s := mustNew(t, cfg)
	data := mediatest.Pattern(1, 4096)
	mediatest.MustPut(t, s, "videos/v1/video.mp4", data, "video/mp4")

	get := func(t *testing.T, u string, header http.Header) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read body: %v", err)
		}
		return resp, body
	}

	t.Run("WholeAndRange", func(t *testing.T) {
		u, err := s.PresignGet(t.Context(), "videos/v1/video.mp4", time.Minute, "")
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		// Path style was asked for: the bucket is in the path.
		if pu, _ := url.Parse(u); pu.Host != m.Endpoint || !strings.HasPrefix(pu.Path, "/"+cfg.Bucket+"/videos/v1/video.mp4") {
			t.Fatalf("URL %s: want host %s and path /%s/videos/v1/video.mp4", u, m.Endpoint, cfg.Bucket)
		}
		resp, body := get(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET = %s, %d bytes; want 200 and the object", resp.Status, len(body))
		}
		if got := resp.Header.Get("Content-Type"); got != "video/mp4" {
			t.Fatalf("Content-Type = %q, want video/mp4", got)
		}
		resp, body = get(t, u, http.Header{"Range": {"bytes=100-199"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
			t.Fatalf("ranged GET = %s, %d bytes; want 206 and bytes 100-199", resp.Status, len(body))
		}
	})

	t.Run("DownloadName", func(t *testing.T) {
		u, err := s.PresignGet(t.Context(), "videos/v1/video.mp4", time.Minute, "Démo\r\nSet-Cookie: x/y.mp4")
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		resp, _ := get(t, u, nil)
		cd := resp.Header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "D%C3%A9mo") || strings.ContainsAny(cd, "\r\n/") {
			t.Fatalf("Content-Disposition = %q", cd)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Fatal("download name injected a header")
		}
	})

	t.Run("PublicURL", func(t *testing.T) {
		// Clients reach the same server under another name. The URL must
		// be signed for that name, or the store rejects the signature.
		_, port, _ := net.SplitHostPort(m.Endpoint)
		pcfg := cfg
		pcfg.PublicURL = "http://localhost:" + port
		ps := mustNew(t, pcfg)
		u, err := ps.PresignGet(t.Context(), "videos/v1/video.mp4", time.Minute, "")
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		if pu, _ := url.Parse(u); pu.Host != "localhost:"+port {
			t.Fatalf("URL %s: want host localhost:%s", u, port)
		}
		resp, body := get(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET = %s, %d bytes; want 200 and the object", resp.Status, len(body))
		}
	})

	t.Run("TTL", func(t *testing.T) {
		u, err := s.PresignGet(t.Context(), "videos/v1/video.mp4", 90*time.Second, "")
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		pu, _ := url.Parse(u)
		if got := pu.Query().Get("X-Amz-Expires"); got != "90" {
			t.Fatalf("X-Amz-Expires = %q, want 90", got)
		}
	})

	t.Run("BadTTL", func(t *testing.T) {
		for _, ttl := range []time.Duration{0, -time.Minute, 8 * 24 * time.Hour} {
			if _, err := s.PresignGet(t.Context(), "videos/v1/video.mp4", ttl, ""); err == nil {
				t.Errorf("PresignGet(ttl %v) succeeded", ttl)
			}
		}
	})
}

// When the server goes away every call reports EUNAVAILABLE within its
// deadline, not after a hang; when it comes back, so does the store.
func TestServerStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	t.Parallel()
	m := mediatest.StartMinIO(t)
	cfg := config(m)
	cfg.OpTimeout = 5 * time.Second
	s := mustNew(t, cfg)
	data := mediatest.Pattern(2, 1<<20)
	mediatest.MustPut(t, s, "videos/v1/video.mp4", data, "video/mp4")
	open, err := s.Open(t.Context(), "videos/v1/video.mp4")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer open.Close()

	m.Stop()
	ctx := t.Context()
	var wg sync.WaitGroup
	for name, call := range map[string]func() error{
		"Ping": func() error { return s.Ping(ctx) },
		"Stat": func() error { _, err := s.Stat(ctx, "videos/v1/video.mp4"); return err },
		"Open": func() error {
			b, err := s.Open(ctx, "videos/v1/video.mp4")
			if err == nil {
				b.Close()
			}
			return err
		},
		"Put":          func() error { return s.Put(ctx, "videos/v2/x", strings.NewReader("x"), 1, "") },
		"PutStream":    func() error { return s.Put(ctx, "videos/v2/x", strings.NewReader("x"), -1, "") },
		"Delete":       func() error { return s.Delete(ctx, "videos/v1/video.mp4") },
		"DeletePrefix": func() error { return s.DeletePrefix(ctx, "videos/") },
		"List":         func() error { _, err := s.List(ctx, "videos/"); return err },
		"ReadOpenBlob": func() error { _, err := io.ReadAll(open); return err },
		// Create sends nothing: the failure surfaces at Commit, for an
		// object below one part (a single PUT), or once a part has filled.
		"CreateCommit":          func() error { return createCommit(ctx, s, 1000) },
		"CreateCommitMultipart": func() error { return createCommit(ctx, s, 6<<20) },
		"New": func() error {
			_, err := s3store.New(ctx, cfg)
			return err
		},
	} {
		// Concurrently, so the test takes the longest call, not their sum.
		wg.Go(func() {
			start := time.Now()
			err := call()
			elapsed := time.Since(start)
			if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
				t.Errorf("%s = %v, want code %s", name, err, media.EUNAVAILABLE)
			} else if msg := media.ErrorMessage(err); msg != "Object storage is unavailable; try again shortly." {
				t.Errorf("%s: message %q", name, msg)
			}
			if elapsed > cfg.OpTimeout {
				t.Errorf("%s took %v, more than OpTimeout %v", name, elapsed, cfg.OpTimeout)
			}
			t.Logf("%s failed in %v", name, elapsed.Round(time.Millisecond))
		})
	}
	wg.Wait()

	m.Start()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	b, err := s.Open(ctx, "videos/v1/video.mp4")
	if err != nil {
		t.Fatalf("Open after restart: %v", err)
	}
	defer b.Close()
	if got, err := io.ReadAll(b); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after restart: %d bytes, %v", len(got), err)
	}
}

// A server that accepts connections and never answers is caught by the
// deadline.
func TestSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	start := time.Now()
	_, err = s3store.New(t.Context(), s3store.Config{
		Endpoint: ln.Addr().String(), Bucket: "baton", AccessKey: "k", SecretKey: "s", Region: "us-east-1",
		OpTimeout: 500 * time.Millisecond,
	})
	if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
		t.Fatalf("New = %v, want code %s", err, media.EUNAVAILABLE)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("New took %v with a 500ms OpTimeout", elapsed)
	}
}

// A store that stops moving bytes in the middle of a body fails the call
// after OpTimeout of silence, however long the transfer had been going.
//
// Not parallel, here and in TestSlowCallerIsNotAStall: these assert timings
// against a short OpTimeout, and a CPU shared with a handful of other MinIO
// servers under the race detector is exactly what makes such tests flaky.
func TestStalledTransfer(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	m := mediatest.StartMinIO(t)
	p := startProxy(t, m.Endpoint)
	cfg := config(m)
	direct := mustNew(t, cfg)
	cfg.Endpoint = p.addr
	cfg.OpTimeout = 1500 * time.Millisecond
	s := mustNew(t, cfg)
	// Bigger than loopback socket buffers, so a frozen link really blocks.
	const size = 24 << 20
	if err := direct.Put(t.Context(), "videos/v1/video.mp4", mediatest.NewPatternReader(3, size), size, "video/mp4"); err != nil {
		t.Fatalf("Put: %v", err)
	}

	t.Run("Read", func(t *testing.T) {
		b, err := s.Open(t.Context(), "videos/v1/video.mp4")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer b.Close()
		if _, err := io.CopyN(io.Discard, b, 1<<20); err != nil {
			t.Fatalf("first MiB: %v", err)
		}
		p.freeze()
		defer p.thaw()
		start := time.Now()
		_, err = io.Copy(io.Discard, b)
		if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
			t.Fatalf("read of a stalled body = %v, want code %s", err, media.EUNAVAILABLE)
		}
		if elapsed := time.Since(start); elapsed > 3*cfg.OpTimeout {
			t.Fatalf("stall noticed after %v with OpTimeout %v", elapsed, cfg.OpTimeout)
		}
	})

	t.Run("Writer", func(t *testing.T) { testWriterStall(t, m, p, cfg, s) })

	t.Run("PutUnknownSize", func(t *testing.T) {
		// Freeze once the first part has gone and the second is under way.
		r := &hookReader{r: mediatest.NewPatternReader(4, size), at: 6 << 20, hook: p.freeze}
		defer p.thaw()
		start := time.Now()
		err := s.Put(t.Context(), "videos/v2/original", r, -1, "video/webm")
		if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
			t.Fatalf("Put to a stalled store = %v, want code %s", err, media.EUNAVAILABLE)
		}
		// Reading the first part and sending it (unfrozen) is in there too.
		if elapsed := time.Since(start); elapsed > 4*cfg.OpTimeout {
			t.Fatalf("Put gave up after %v with OpTimeout %v", elapsed, cfg.OpTimeout)
		}
		p.thaw()
		if _, err := direct.Stat(t.Context(), "videos/v2/original"); media.ErrorCode(err) != media.ENOTFOUND {
			t.Fatalf("Stat after failed Put = %v, want code %s", err, media.ENOTFOUND)
		}
	})
}

// Time spent waiting on the caller is not the store stalling: a slow upload
// source or a viewer who pauses must not trip the inactivity deadline.
func TestSlowCallerIsNotAStall(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	m := mediatest.StartMinIO(t)
	cfg := config(m)
	cfg.OpTimeout = 1500 * time.Millisecond
	s := mustNew(t, cfg)
	const pause = 2 * time.Second
	mediatest.MustPut(t, s, "videos/v1/video.mp4", mediatest.Pattern(5, 1<<20), "video/mp4")

	// The three cases pause at the same time, so the test waits once.
	var wg sync.WaitGroup
	for _, size := range []int64{1 << 20, -1} {
		wg.Go(func() {
			r := &hookReader{r: mediatest.NewPatternReader(5, 1<<20), at: 512 << 10, hook: func() { time.Sleep(pause) }}
			if err := s.Put(t.Context(), fmt.Sprintf("videos/slow%d/original", size+1), r, size, "video/webm"); err != nil {
				t.Errorf("Put(size %d) with a source that pauses %v: %v", size, pause, err)
			}
		})
	}
	wg.Go(func() {
		b, err := s.Open(t.Context(), "videos/v1/video.mp4")
		if err != nil {
			t.Errorf("Open: %v", err)
			return
		}
		defer b.Close()
		if _, err := io.CopyN(io.Discard, b, 1000); err != nil {
			t.Errorf("first read: %v", err)
			return
		}
		time.Sleep(pause)
		if n, err := io.Copy(io.Discard, b); err != nil || n != 1<<20-1000 {
			t.Errorf("read after a %v pause: %d bytes, %v", pause, n, err)
		}
	})
	wg.Wait()
}

func TestPingMissingBucket(t *testing.T) {
	t.Parallel()
	m := mediatest.StartMinIO(t)
	cfg := config(m)
	s := mustNew(t, cfg)
	raw, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.RemoveBucket(t.Context(), cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); media.ErrorCode(err) != media.EUNAVAILABLE {
		t.Fatalf("Ping without the bucket = %v, want code %s", err, media.EUNAVAILABLE)
	}
	if _, err := s.Stat(t.Context(), "videos/v1/x"); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("Stat without the bucket = %v, want code %s", err, media.ENOTFOUND)
	}
}

// hookReader calls hook once, after at bytes have been read.
type hookReader struct {
	r    io.Reader
	at   int64
	n    int64
	hook func()
	done bool
}

func (h *hookReader) Read(p []byte) (int, error) {
	if !h.done && h.n+int64(len(p)) > h.at {
		p = p[:h.at-h.n] // stop exactly at the hook point
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	if !h.done && h.n >= h.at {
		h.done = true
		h.hook()
	}
	return n, err
}

// proxy forwards TCP to a target and can freeze: while frozen, no byte
// moves in either direction, like a store that hangs mid-transfer.
type proxy struct {
	addr   string
	frozen atomic.Bool
}

func startProxy(tb testing.TB, target string) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			wg.Go(func() { p.pipe(u, c) })
			wg.Go(func() { p.pipe(c, u) })
		}
	})
	tb.Cleanup(func() {
		p.thaw()
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		// Holding bytes back (rather than a lock) keeps freeze from
		// waiting on a write that a frozen peer will never drain.
		for p.frozen.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	// Pass the close on so the other side sees EOF.
	dst.Close()
	src.Close()
}

func (p *proxy) freeze() { p.frozen.Store(true) }
func (p *proxy) thaw()   { p.frozen.Store(false) }
