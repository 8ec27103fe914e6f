// Package harness drives the real Baton binary for the benchmarks that
// need a whole server process (bench/load, bench/soak, bench/process,
// bench/stoptoready): it starts `baton serve` on a free local port with a
// fresh data directory, signs up its first account and sends requests
// with an API token, streams uploads over tus from a file, counts every
// answer by status, and reads the process's memory, threads, open files
// and CPU time from /proc (Linux). Test videos come from media/mediatest.
package harness

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a running `baton serve`.
type Server struct {
	Cmd  *exec.Cmd
	PID  int
	Base string // http://127.0.0.1:port
	Data string // BATON_DATA_DIR
	Log  string // its stdout and stderr

	done chan struct{}
}

// Start runs `baton serve` from bin on a free port with a data dir under
// work, logging warnings and errors only; env adds BATON_* settings.
func Start(bin, work string, env ...string) *Server {
	addr := freeAddr()
	s := &Server{Base: "http://" + addr, Data: filepath.Join(work, "data"), Log: filepath.Join(work, "baton.log"), done: make(chan struct{})}
	logf, err := os.Create(s.Log)
	Check(err)
	s.Cmd = exec.Command(bin, "serve")
	s.Cmd.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+s.Data, "BATON_LOG_LEVEL=warn")
	s.Cmd.Env = append(s.Cmd.Env, env...)
	s.Cmd.Stdout, s.Cmd.Stderr = logf, logf
	Check(s.Cmd.Start())
	s.PID = s.Cmd.Process.Pid
	go func() { s.Cmd.Wait(); logf.Close(); close(s.done) }()
	AtExit(s.Stop)
	for i := 0; i < 200; i++ {
		if r, err := http.Get(s.Base + "/healthz"); err == nil {
			r.Body.Close()
			return s
		}
		select {
		case <-s.done:
			Check(fmt.Errorf("baton exited during start (log: %s)", s.Log))
		case <-time.After(50 * time.Millisecond):
		}
	}
	Check(fmt.Errorf("baton did not start (log: %s)", s.Log))
	return nil
}

// Stop asks the server to shut down (SIGINT) and kills it after 30 s.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.Cmd.Process.Kill()
		<-s.done
	}
}

// ErrorLines returns the server's ERROR log lines.
func (s *Server) ErrorLines() []string {
	b, _ := os.ReadFile(s.Log)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, "server log: "+l)
		}
	}
	return out
}

// Video is the API's video JSON, the fields the benchmarks read.
type Video struct {
	ID, Slug, Status, Error, UploadURL, MP4URL string
	UploadedBytes, DurationMs                  int64
}

// Client sends requests as the server's first account, with an API token.
type Client struct {
	Base   string
	HC     *http.Client
	Token  string
	Counts *StatusCount
	// Poll is how often WaitReady asks; 200 ms when zero. A bench that
	// times the last moments before ready polls more often.
	Poll time.Duration
}

// SignUp creates the server's first account (an admin) and an API token
// for it, and returns a client that uses the token.
func SignUp(base string) *Client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	b := []byte(`{"email":"bench@example.com","name":"Bench","password":"bench-password-123"}`)
	resp, err := hc.Post(base+"/api/auth/signup", "application/json", bytes.NewReader(b))
	Check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		Check(fmt.Errorf("sign up: %s %s", resp.Status, body))
	}
	resp, err = hc.Post(base+"/api/auth/tokens", "application/json", strings.NewReader(`{"name":"bench"}`))
	Check(err)
	var tok struct{ Token string }
	Check(json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	return &Client{Base: base, Token: tok.Token, Counts: &StatusCount{}, HC: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 512},
		Timeout:   5 * time.Minute,
	}}
}

// Do sends a request and counts its answer under what; it returns the
// status (0: a transport error) and the body. Requests that carry
// X-Guest-Secret go as a guest, the rest with the API token. A body that
// is not an io.Reader is sent as JSON.
func (c *Client) Do(what, method, path string, body any, h http.Header) (int, []byte) {
	url := path
	if !strings.HasPrefix(url, "http") {
		url = c.Base + path
	}
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		c.Counts.Add(what, 0)
		return 0, []byte(err.Error())
	}
	if _, ok := body.(io.Reader); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("X-Guest-Secret") == "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		c.Counts.Add(what, 0)
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.Counts.Add(what, resp.StatusCode)
	return resp.StatusCode, b
}

// CreateVideo creates a video; its UploadURL takes the upload.
func (c *Client) CreateVideo(title string) Video {
	status, b := c.Do("video POST", "POST", "/api/videos", map[string]string{"title": title}, nil)
	if status != http.StatusCreated {
		Check(fmt.Errorf("create video: %d %s", status, b))
	}
	var v Video
	Check(json.Unmarshal(b, &v))
	return v
}

// Upload sends the file at path in chunk-sized PATCHes read straight from
// the file (never whole in memory), declaring the length with the last one
// as a recorder does. limit > 0 stops after that many bytes, leaving the
// upload unfinished.
func (c *Client) Upload(url, path string, chunk, limit int64) error {
	_, err := c.UploadTimed(url, path, chunk, limit)
	return err
}

// UploadTimed is Upload that also returns when the last byte went out,
// before the answer to the last PATCH (which, for a recording, waits for
// its conversion to catch up).
func (c *Client) UploadTimed(url, path string, chunk, limit int64) (sent time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return sent, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sent, err
	}
	size := st.Size()
	end := size
	if limit > 0 {
		end = min(limit, size)
	}
	for off := int64(0); off < end; {
		n := min(chunk, end-off)
		body := &timedReader{r: io.NewSectionReader(f, off, n), left: n, done: &sent}
		req, _ := http.NewRequest("PATCH", url, body)
		req.ContentLength = n
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
		if off+n == size {
			req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
		}
		resp, err := c.HC.Do(req)
		if err != nil {
			c.Counts.Add("upload PATCH", 0)
			return sent, fmt.Errorf("PATCH at %d: %w", off, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Counts.Add("upload PATCH", resp.StatusCode)
		if resp.StatusCode != http.StatusNoContent {
			return sent, fmt.Errorf("PATCH at %d: %s %s", off, resp.Status, b)
		}
		off += n
	}
	return sent, nil
}

// timedReader notes when its last byte has been read.
type timedReader struct {
	r    io.Reader
	left int64
	done *time.Time
}

func (t *timedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.left -= int64(n); t.left == 0 {
		*t.done = time.Now()
	}
	return n, err
}

// WaitReady polls a video until it is ready, failed or deadline passes.
func (c *Client) WaitReady(id string, deadline time.Time) (Video, error) {
	var v Video
	for time.Now().Before(deadline) {
		status, b := c.Do("video GET", "GET", "/api/videos/"+id, nil, nil)
		if status == http.StatusOK && json.Unmarshal(b, &v) == nil {
			switch v.Status {
			case "ready":
				return v, nil
			case "failed":
				return v, fmt.Errorf("video %s failed: %s", id, v.Error)
			}
		}
		time.Sleep(cmp.Or(c.Poll, 200*time.Millisecond))
	}
	return v, fmt.Errorf("video %s: status %q at the deadline", id, v.Status)
}

// ServerErrors lists the answers that were 5xx or transport errors.
func (c *Client) ServerErrors() []string {
	var out []string
	for what, m := range c.Counts.Snapshot() {
		for status, n := range m {
			if status == 0 || status >= 500 {
				out = append(out, fmt.Sprintf("%d× %s → %d", n, what, status))
			}
		}
	}
	sort.Strings(out)
	return out
}

// StatusCount tallies answers by what was asked and status.
type StatusCount struct {
	mu sync.Mutex
	n  map[string]map[int]int
}

// Add counts one answer.
func (s *StatusCount) Add(what string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]map[int]int{}
	}
	if s.n[what] == nil {
		s.n[what] = map[int]int{}
	}
	s.n[what][status]++
}

// Snapshot copies the counts.
func (s *StatusCount) Snapshot() map[string]map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[int]int{}
	for k, m := range s.n {
		out[k] = map[int]int{}
		for st, n := range m {
			out[k][st] = n
		}
	}
	return out
}

// Total counts every answer.
func (s *StatusCount) Total() int {
	t := 0
	for _, m := range s.Snapshot() {
		for _, n := range m {
			t += n
		}
	}
	return t
}

func (s *StatusCount) String() string {
	var parts []string
	for what, m := range s.Snapshot() {
		var codes []int
		for st := range m {
			codes = append(codes, st)
		}
		sort.Ints(codes)
		var cs []string
		for _, st := range codes {
			cs = append(cs, fmt.Sprintf("%d×%d", m[st], st))
		}
		parts = append(parts, what+" "+strings.Join(cs, " "))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// Percentile returns the p-th percentile of d.
func Percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

// MB formats bytes in MB (10^6); MiB formats KiB in MiB.
func MB(b int64) string    { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
func MiB(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

// Children lists the ffmpeg and ffprobe processes whose parent is pid.
func Children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || end+2 > len(s) {
			continue
		}
		if name := s[open+1 : end]; name != "ffmpeg" && name != "ffprobe" {
			continue
		}
		fields := strings.Fields(s[end+2:])
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			id, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, id)
		}
	}
	return out
}

// Status reads a field of /proc/pid/status: kB for memory, a count for
// Threads.
func Status(pid int, key string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// OpenFiles counts the process's file descriptors.
func OpenFiles(pid int) int {
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(fds)
}

// CPUTimes is the process's own CPU time and that of its waited-for
// children (ffmpeg), from /proc/pid/stat.
func CPUTimes(pid int) (self, children time.Duration) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * time.Second / 100
	}
	return tick(11) + tick(12), tick(13) + tick(14)
}

// HashFile returns the SHA-256 of a file, read in small pieces, and its
// size; "missing" if it cannot be read.
func HashFile(path string) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		return "missing", 0
	}
	defer f.Close()
	h := sha256.New()
	n, _ := io.Copy(h, f)
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Check(err)
	defer l.Close()
	return l.Addr().String()
}

var (
	exitMu sync.Mutex
	atExit []func()
)

// AtExit registers f to run when Check exits: no server outlives a bench.
func AtExit(f func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	atExit = append(atExit, f)
}

// Check exits with err, after the AtExit functions, if err is not nil.
func Check(err error) {
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "bench:", err)
	exitMu.Lock()
	fs := slices.Clone(atExit)
	exitMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	os.Exit(1)
}
