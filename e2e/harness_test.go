package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var (
	// batonBin is the binary under test, built once by TestMain (or
	// $BATON_E2E_BIN, a binary built elsewhere).
	batonBin string
	// setupProblem says why the tests cannot run here ("" when they can).
	setupProblem string
	// buildProblem says why the binary could not be built: always a failure.
	buildProblem string
	// chromiumPath is the browser found on this machine.
	chromiumPath string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// The browser tests are the slow end of the suite; make test-quick
		// leaves them out, and so does any -short run.
		fmt.Println("e2e: browser tests skipped with -short")
		return 0
	}
	dir, err := os.MkdirTemp("", "baton-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	setupProblem = prepare()
	if setupProblem == "" {
		batonBin, buildProblem = build(dir)
	}
	return m.Run()
}

// prepare finds what the tests need besides the binary; it returns what is missing.
func prepare() string {
	if os.Getenv("BATON_E2E_BIN") == "" {
		if _, err := os.Stat(filepath.Join("..", "frontend", "dist", "record.html")); err != nil {
			return "the frontend is not built (run `make frontend`)"
		}
	}
	for _, tool := range []string{"ffprobe", "ffmpeg"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed"
		}
	}
	chromiumPath = findChromium()
	if chromiumPath == "" {
		return "Chromium is not installed (apt-get install chromium)"
	}
	return ""
}

// build compiles the binary under test, with the built frontend embedded.
func build(dir string) (bin, problem string) {
	if bin := os.Getenv("BATON_E2E_BIN"); bin != "" {
		return bin, ""
	}
	bin = filepath.Join(dir, "baton")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/baton")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("building baton: %v\n%s", err, out)
	}
	return bin, ""
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireSetup skips the test when something it needs is missing, or fails
// it under CI, where everything must be there.
func requireSetup(tb testing.TB) {
	tb.Helper()
	if buildProblem != "" {
		tb.Fatal(buildProblem)
	}
	if setupProblem == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("browser end-to-end tests cannot run: %s", setupProblem)
	}
	tb.Skipf("skipping browser end-to-end test: %s", setupProblem)
}

/* ---------- The server ---------- */

// server is one `baton serve` process with its own data directory.
type server struct {
	URL     string
	DataDir string
	log     *lockedBuffer
	// client holds the test account's session once signIn has run.
	client *http.Client
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs the binary on a free port until the test ends. Its log is
// printed when the test fails.
func startServer(tb testing.TB, env ...string) *server {
	tb.Helper()
	requireSetup(tb)
	port := freePort(tb)
	jar, _ := cookiejar.New(nil)
	s := &server{
		URL:     fmt.Sprintf("http://127.0.0.1:%d", port),
		DataDir: tb.TempDir(),
		log:     &lockedBuffer{},
		client:  &http.Client{Jar: jar, Timeout: 60 * time.Second},
	}
	cmd := exec.Command(batonBin, "serve")
	// Only our settings: a developer's BATON_* must not leak in.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BATON_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"BATON_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"BATON_DATA_DIR="+s.DataDir,
		"BATON_WORKERS=1",
		// Transcripts and thumbnails are background work the browser
		// tests do not look at; tests that do turn them on in env.
		"BATON_TRANSCRIBE=off",
		"BATON_THUMBNAILS=false",
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start baton: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if tb.Failed() {
			tb.Logf("baton log:\n%s", tail(s.log.String(), 6000))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			tb.Fatalf("baton exited at start:\n%s", s.log.String())
		default:
		}
		r, err := http.Get(s.URL + "/healthz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				s.signUp(tb)
				return s
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("baton did not answer /healthz within 20s:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testAccount is the person who records in these tests.
var testAccount = map[string]string{
	"email":    "recorder@example.com",
	"name":     "Rita Recorder",
	"password": "a long enough test passphrase 42",
}

// signUp creates the test account on a server that has accounts (the
// first one is its admin) and keeps its session in s.client. A server
// without accounts needs nothing.
func (s *server) signUp(tb testing.TB) {
	tb.Helper()
	body, _ := json.Marshal(testAccount)
	r, err := s.client.Post(s.URL+"/api/auth/signup", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("sign up: %v", err)
	}
	defer r.Body.Close()
	msg, _ := io.ReadAll(r.Body)
	switch r.StatusCode {
	case http.StatusCreated, http.StatusOK:
	case http.StatusNotFound:
		// No accounts on this server.
	default:
		tb.Fatalf("sign up: %s %s", r.Status, msg)
	}
}

// member signs up another person (the test account, signed up at start,
// is the admin, so they join as a member) and returns the server as they
// see it: the same process, with a client holding their session, so api
// calls, uploadClip and signIn act as them. id is their user id.
func (s *server) member(tb testing.TB, name, email string) (them *server, id string) {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	them = &server{URL: s.URL, DataDir: s.DataDir, log: s.log, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var me struct{ User struct{ ID string } }
	api(tb, them.client, "POST", s.URL+"/api/auth/signup", map[string]string{"email": email, "name": name, "password": "another long passphrase 7"}, 201, &me)
	return them, me.User.ID
}

// signIn gives the browser the test account's session (its tabs share
// cookies, except isolated ones, which stay anonymous viewers).
func (s *server) signIn(tb testing.TB, ctx context.Context) {
	tb.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range s.client.Jar.Cookies(u) {
		httpOnly := true
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		// Cookies ignore ports: the proxy's port gets it too.
		_, err := chromedp.Call(c, network.SetCookie, network.SetCookieParams{
			Name: ck.Name, Value: ck.Value, URL: s.URL + "/", HTTPOnly: &httpOnly,
			SameSite: network.CookieSameSiteLax,
		})
		cancel()
		if err != nil {
			tb.Fatalf("set cookie %s: %v", ck.Name, err)
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// apiVideo is the part of the API's video JSON the tests read.
type apiVideo struct {
	ID            string  `json:"id"`
	Slug          string  `json:"slug"`
	Status        string  `json:"status"`
	Progress      float64 `json:"progress"`
	Error         string  `json:"error"`
	DurationMs    int64   `json:"durationMs"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	SizeBytes     int64   `json:"sizeBytes"`
	UploadedBytes int64   `json:"uploadedBytes"`
	ShareURL      string  `json:"shareUrl"`
	MP4URL        string  `json:"mp4Url"`
	LiveURL       string  `json:"liveUrl"`
	Recording     bool    `json:"recording"`
}

func (s *server) video(tb testing.TB, id string) apiVideo {
	tb.Helper()
	r, err := s.client.Get(s.URL + "/api/videos/" + id)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 {
		tb.Fatalf("GET /api/videos/%s: %s %s", id, r.Status, body)
	}
	var v apiVideo
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("video JSON: %v: %s", err, body)
	}
	return v
}

// status is the HTTP status of GET /api/videos/{id}.
func (s *server) status(tb testing.TB, id string) int {
	tb.Helper()
	r, err := s.client.Get(s.URL + "/api/videos/" + id)
	if err != nil {
		tb.Fatal(err)
	}
	r.Body.Close()
	return r.StatusCode
}

// waitReady polls the API until the video is ready (or failed, which fails the test).
func (s *server) waitReady(tb testing.TB, id string, timeout time.Duration) apiVideo {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := s.video(tb, id)
		switch v.Status {
		case "ready":
			return v
		case "failed":
			tb.Fatalf("video %s failed: %s", id, v.Error)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("video %s not ready after %s: %+v", id, timeout, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uploadLength asks the upload endpoint how many bytes the finished upload had.
func (s *server) uploadLength(tb testing.TB, id string) int64 {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodHead, s.URL+"/api/uploads/"+id, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	r, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	r.Body.Close()
	n, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil {
		tb.Fatalf("HEAD upload: %s, Upload-Length %q", r.Status, r.Header.Get("Upload-Length"))
	}
	return n
}

/* ---------- Probing the result ---------- */

type probe struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func (p probe) seconds() float64 {
	f, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return f
}

func (p probe) codec(kind string) string {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName
		}
	}
	return ""
}

// probeURL downloads a file and runs ffprobe on it.
func probeURL(tb testing.TB, url string) probe {
	tb.Helper()
	r, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 {
		tb.Fatalf("GET %s: %s", url, r.Status)
	}
	path := filepath.Join(tb.TempDir(), "video.mp4")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(f, r.Body); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-of", "json",
		"-show_entries", "format=duration:stream=codec_type,codec_name,width,height", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe: %v", err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		tb.Fatalf("ffprobe JSON: %v", err)
	}
	return p
}

/* ---------- The browser ---------- */

// browser is one Chromium with a fresh profile, fake camera, microphone and
// screen, and capture permissions granted without asking.
type browser struct {
	ctx context.Context
}

func startBrowser(tb testing.TB, extra ...chromedp.ExecAllocatorOption) *browser {
	tb.Helper()
	requireSetup(tb)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		// Viewers' players may start without a click, as after one.
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	// The first Run starts the browser; it must have no deadline, or the
	// deadline would end the browser.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("start Chromium: %v", err)
		}
		tb.Skipf("Chromium does not start here: %v", err)
	}
	tb.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	return &browser{ctx: ctx}
}

// tab opens a new tab in the browser's default profile (so IndexedDB is
// shared with the other tabs), or in a separate profile when isolated.
func (b *browser) tab(tb testing.TB, isolated bool) (context.Context, context.CancelFunc) {
	tb.Helper()
	var opts []chromedp.ContextOption
	if isolated {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		tb.Fatalf("open tab: %v", err)
	}
	// The page's console, shown when the test fails.
	console := &lockedBuffer{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			fmt.Fprintf(console, "%s %s:%d %s\n", m.Type, m.URL, m.Line+1, m)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		if tb.Failed() && console.String() != "" {
			tb.Logf("browser console:\n%s", tail(console.String(), 6000))
		}
	})
	return ctx, cancel
}

// do runs actions with a deadline; a hung browser step fails the test
// instead of hanging it.
func do(tb testing.TB, ctx context.Context, timeout time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func userGesture(p *runtime.EvaluateParams) {
	t := true
	p.UserGesture = &t
}

// eval evaluates a JavaScript expression (awaiting a promise) within timeout.
func eval[T any](tb testing.TB, ctx context.Context, timeout time.Duration, js string) T {
	tb.Helper()
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition from Go (no timers in the page, which
// are throttled in background tabs) until it is true. On timeout it fails
// the test and shows `debug`, evaluated then.
func waitJS(tb testing.TB, ctx context.Context, timeout time.Duration, cond, debug string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			state := ""
			if debug != "" {
				c, cancel := context.WithTimeout(ctx, 3*time.Second)
				raw, derr := chromedp.Run(c, chromedp.Evaluate[[]byte](debug))
				cancel()
				state = string(raw)
				if derr != nil {
					state = derr.Error()
				}
			}
			tb.Fatalf("waiting %s for %s: %v; state: %s", timeout, cond, errors.Join(err, ctx.Err()), state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sleep waits, or fails the test when the context ends first.
func sleep(tb testing.TB, ctx context.Context, d time.Duration) {
	tb.Helper()
	select {
	case <-time.After(d):
	case <-ctx.Done():
		tb.Fatalf("context ended while waiting: %v", ctx.Err())
	}
}

/* ---------- A network that fails on demand ---------- */

// flakyProxy stands between the browser and Baton. While it is down, every
// request to the upload endpoint loses its connection, as when Wi-Fi drops;
// everything else passes.
type flakyProxy struct {
	URL     string
	down    atomic.Bool
	dropped atomic.Int64
}

// listen reserves the proxy's address, so the server can be told its public URL first.
func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

func startFlakyProxy(tb testing.TB, ln net.Listener, target string) *flakyProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &flakyProxy{URL: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1 // Server-Sent Events pass at once
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p.down.Load() && strings.HasPrefix(r.URL.Path, "/api/uploads/") {
				p.dropped.Add(1)
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}
