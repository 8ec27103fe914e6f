// Command load puts the real binary, on the embedded default (SQLite and
// objects on local disk), under concurrent uploads and comment posters, and
// prints what it took: 20 recordings of about 50 MB each (H.264 + Opus in
// Matroska, as Chromium records them) uploaded at once over tus in 8 MiB
// PATCHes streamed from one file, while 200 guests post comments on a ready
// video through its share link. It checks that no answer was a 5xx, that
// every video ends ready with its original byte-identical to the source and
// an MP4 of the full duration, and that exactly the comments answered 201
// are stored; and it reports the peak memory of the server and of its
// ffmpeg children next to the bytes uploaded, which shows whether uploads
// stream.
//
//	go run ./bench/load -bin bin/baton [-uploads 20] [-mb 50] [-posters 200]
//	go run ./bench/load -quick
//
// The server runs with its default rate limits, as in production: a guest
// may post a burst of 20 comments then one every 3 s, a video takes 60
// then 2 a second from everyone. Posters come from distinct addresses
// (X-Forwarded-For, with 127.0.0.1 configured as a trusted proxy), so the
// per-video limit is the one that answers most of them with 429; they are
// counted, not errors. Comment throughput without limits is bench/comments.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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

	"github.com/baton-video/baton/media"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	uploads := flag.Int("uploads", 20, "concurrent uploads")
	mb := flag.Float64("mb", 50, "size of each upload in MB (10^6 bytes), about")
	seconds := flag.Int("seconds", 60, "length of the recording")
	frame := flag.String("size", "1280x720", "frame size of the recording")
	posters := flag.Int("posters", 200, "concurrent comment posters")
	chunkMiB := flag.Int64("chunk", 8, "MiB per PATCH")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up waiting for ready after this")
	quick := flag.Bool("quick", false, "a smoke run: 4 uploads of 10 MB, 40 posters")
	keep := flag.Bool("keep", false, "keep the work directory (source, data dir, server log)")
	flag.Parse()
	if *quick {
		*uploads, *mb, *seconds, *posters = 4, 10, 12, 40
	}

	work, err := os.MkdirTemp("", "baton-load-")
	check(err)
	if *keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "rec.mkv")
	genStart := time.Now()
	makeRecording(src, *seconds, *frame, int64(*mb*1e6))
	srcSum, srcSize := hashFile(src)
	total := int64(*uploads) * srcSize
	fmt.Printf("Load: %d concurrent uploads of a %s %ds H.264/Opus Matroska recording (%s, made in %v) in %d MiB PATCHes, %d comment posters; embedded default (SQLite + disk)\n",
		*uploads, *frame, *seconds, mbs(srcSize), time.Since(genStart).Round(time.Second), *chunkMiB, *posters)

	srv := startServer(*bin, work)
	defer srv.stop()
	c := newClient(srv.base)
	c.signUp()
	target := c.readyVideo(work)
	idle := statusKB(srv.pid, "VmRSS")

	ids := make([]video, *uploads)
	for i := range ids {
		ids[i] = c.createVideo(fmt.Sprintf("load %d", i))
	}
	smp := startSampler(srv.pid)
	start := time.Now()
	ctx, stopPosters := context.WithCancel(context.Background())
	pw := startPosters(ctx, c, target, *posters)

	upTimes := make([]time.Duration, *uploads)
	upErrs := make([]error, *uploads)
	var wg sync.WaitGroup
	for i, v := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			upErrs[i] = c.upload(v.UploadURL, src, *chunkMiB<<20)
			upTimes[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	uploaded := time.Since(start)
	var failures []string
	for i, err := range upErrs {
		if err != nil {
			failures = append(failures, fmt.Sprintf("upload %d: %v", i, err))
		}
	}
	readyAt := make([]time.Duration, *uploads)
	final := make([]video, *uploads)
	deadline := time.Now().Add(*timeout)
	for i, v := range ids {
		if upErrs[i] != nil {
			continue
		}
		final[i], err = c.waitReady(v.ID, deadline)
		if err != nil {
			failures = append(failures, fmt.Sprintf("upload %d: %v", i, err))
		}
		readyAt[i] = time.Since(start)
	}
	allReady := time.Since(start)
	stopPosters()
	comments := pw.wait()
	peak := smp.stop()

	// Nothing lost: every original byte-identical, every MP4 complete.
	for i, v := range final {
		if v.ID == "" {
			continue
		}
		if v.UploadedBytes != srcSize {
			failures = append(failures, fmt.Sprintf("upload %d: uploadedBytes %d, want %d", i, v.UploadedBytes, srcSize))
		}
		sum, n := hashFile(filepath.Join(srv.data, "objects", "videos", v.ID, "original"))
		if sum != srcSum || n != srcSize {
			failures = append(failures, fmt.Sprintf("upload %d: stored original %d bytes sha256 %s, source %d bytes %s", i, n, sum, srcSize, srcSum))
		}
		if d := c.mp4Seconds(v.MP4URL, work); d < float64(*seconds)-0.5 || d > float64(*seconds)+0.5 {
			failures = append(failures, fmt.Sprintf("upload %d: MP4 lasts %.2fs, want %ds", i, d, *seconds))
		}
	}
	var page struct{ Count int }
	c.getJSON("/api/share/"+target.Slug+"/comments?limit=1", &page)
	if created := comments.statuses[201]; page.Count != created {
		failures = append(failures, fmt.Sprintf("stored %d comments, answered 201 for %d", page.Count, created))
	}
	for what, m := range c.counts.snapshot() {
		for status, n := range m {
			if status == 0 || status >= 500 {
				failures = append(failures, fmt.Sprintf("%d× %s → %d", n, what, status))
			}
		}
	}
	serverErrors := srv.errorLines()
	failures = append(failures, serverErrors...)

	slices.Sort(upTimes)
	fmt.Printf("  uploaded:              %s in %v (%.0f MB/s together); one upload p50 %v, max %v\n",
		mbs(total), uploaded.Round(time.Millisecond), float64(total)/1e6/uploaded.Seconds(),
		upTimes[len(upTimes)/2].Round(time.Millisecond), upTimes[len(upTimes)-1].Round(time.Millisecond))
	fmt.Printf("  all ready:             %v after the first byte (%v after the last upload finished)\n",
		allReady.Round(time.Millisecond), (allReady - uploaded).Round(time.Millisecond))
	fmt.Printf("  comments:              %d posted (201), %d refused by rate limits (429), %d other; stored %d; 201 latency p50 %v p99 %v\n",
		comments.statuses[201], comments.statuses[429], comments.other(), page.Count, pct(comments.lat, 50), pct(comments.lat, 99))
	fmt.Printf("  comment reads:         %d, p50 %v p99 %v\n", len(comments.readLat), pct(comments.readLat, 50), pct(comments.readLat, 99))
	fmt.Printf("  baton memory:          %s idle, peak RSS %s (VmHWM) = %.1f%% of the %s uploaded; %d threads at most\n",
		kib(idle), kib(peak.hwm), 100*float64(peak.hwm*1024)/float64(total), mbs(total), peak.threads)
	fmt.Printf("  ffmpeg children:       at most %d at once, largest %s, together at most %s\n",
		peak.ffCount, kib(peak.ffMax), kib(peak.ffSum))
	fmt.Printf("  baton CPU:             %v (server %v, children %v)\n",
		(peak.cpu + peak.childCPU).Round(time.Millisecond), peak.cpu.Round(time.Millisecond), peak.childCPU.Round(time.Millisecond))
	fmt.Printf("  answers:               %s\n", c.counts)
	if len(failures) > 0 {
		fmt.Println("FAILED:")
		for _, f := range failures {
			fmt.Println("  " + f)
		}
		check(fmt.Errorf("%d checks failed (server log: %s)", len(failures), srv.log))
	}
	fmt.Println("  checks:                no 5xx; every video ready with its original byte-identical and its MP4 complete; stored comments = 201s")
}

/* ---------- the source ---------- */

// makeRecording encodes a recording like Chromium's H.264 MediaRecorder
// output (Matroska, no duration in the header: piped), at the bit rate that
// makes it about bytes long, straight into path.
func makeRecording(path string, seconds int, frame string, bytes int64) {
	d := strconv.Itoa(seconds)
	rate := strconv.FormatInt((bytes*8)/int64(seconds)*97/100, 10) // the container and audio take the rest
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size="+frame+":rate=30:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000:duration="+d,
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p",
		"-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate,
		"-c:a", "libopus", "-f", "matroska", "pipe:1")
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	check(cmd.Run())
}

func hashFile(path string) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		return "missing", 0
	}
	defer f.Close()
	h := sha256.New()
	n, _ := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n
}

/* ---------- the server ---------- */

type server struct {
	cmd  *exec.Cmd
	pid  int
	base string
	data string
	log  string
}

// startServer runs `baton serve` on a free port with its defaults, except
// that 127.0.0.1 is a trusted proxy (posters name themselves with
// X-Forwarded-For) and only warnings are logged.
func startServer(bin, work string) *server {
	addr := freeAddr()
	s := &server{base: "http://" + addr, data: filepath.Join(work, "data"), log: filepath.Join(work, "baton.log")}
	logf, err := os.Create(s.log)
	check(err)
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+s.data,
		"BATON_LOG_LEVEL=warn", "BATON_TRUSTED_PROXIES=127.0.0.1")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	check(s.cmd.Start())
	s.pid = s.cmd.Process.Pid
	atExit = append(atExit, s.stop)
	for i := 0; i < 200; i++ {
		if r, err := http.Get(s.base + "/healthz"); err == nil {
			r.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	check(fmt.Errorf("baton did not start (log: %s)", s.log))
	return nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// errorLines returns the server's ERROR log lines.
func (s *server) errorLines() []string {
	b, _ := os.ReadFile(s.log)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, "server log: "+l)
		}
	}
	return out
}

/* ---------- the client ---------- */

type video struct {
	ID, Slug, Status, Error, UploadURL, MP4URL string
	UploadedBytes                              int64
}

type client struct {
	base   string
	hc     *http.Client
	token  string
	counts *statusCount
}

func newClient(base string) *client {
	return &client{base: base, counts: &statusCount{n: map[string]map[int]int{}}, hc: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 512},
		Timeout:   5 * time.Minute,
	}}
}

// signUp creates the first account (an admin) and an API token for it.
func (c *client) signUp() {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	b := []byte(`{"email":"bench@example.com","name":"Bench","password":"bench-password-123"}`)
	resp, err := hc.Post(c.base+"/api/auth/signup", "application/json", bytes.NewReader(b))
	check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		check(fmt.Errorf("sign up: %s %s", resp.Status, body))
	}
	resp, err = hc.Post(c.base+"/api/auth/tokens", "application/json", strings.NewReader(`{"name":"bench"}`))
	check(err)
	var tok struct{ Token string }
	check(json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	c.token = tok.Token
}

// do sends a request, counts its answer under what and returns the status
// and body (status 0: a transport error).
func (c *client) do(what, method, path string, body io.Reader, h http.Header) (int, []byte) {
	url := path
	if !strings.HasPrefix(url, "http") {
		url = c.base + path
	}
	req, _ := http.NewRequest(method, url, body)
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("X-Guest-Secret") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.counts.add(what, 0)
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.counts.add(what, resp.StatusCode)
	return resp.StatusCode, b
}

func (c *client) getJSON(path string, out any) {
	status, b := c.do("GET", "GET", path, nil, nil)
	if status != http.StatusOK {
		check(fmt.Errorf("GET %s: %d %s", path, status, b))
	}
	check(json.Unmarshal(b, out))
}

func (c *client) createVideo(title string) video {
	status, b := c.do("video POST", "POST", "/api/videos", strings.NewReader(`{"title":"`+title+`"}`),
		http.Header{"Content-Type": {"application/json"}})
	if status != http.StatusCreated {
		check(fmt.Errorf("create video: %d %s", status, b))
	}
	var v video
	check(json.Unmarshal(b, &v))
	return v
}

// upload sends the file at path in chunk-sized PATCHes read straight from
// the file, declaring the length with the last one as a recorder does.
func (c *client) upload(url, path string, chunk int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	size := st.Size()
	for off := int64(0); off < size; {
		n := min(chunk, size-off)
		req, _ := http.NewRequest("PATCH", url, io.NewSectionReader(f, off, n))
		req.ContentLength = n
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
		if off+n == size {
			req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			c.counts.add("upload PATCH", 0)
			return fmt.Errorf("PATCH at %d: %w", off, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.counts.add("upload PATCH", resp.StatusCode)
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("PATCH at %d: %s %s", off, resp.Status, b)
		}
		off += n
	}
	return nil
}

func (c *client) waitReady(id string, deadline time.Time) (video, error) {
	var v video
	for time.Now().Before(deadline) {
		status, b := c.do("video GET", "GET", "/api/videos/"+id, nil, nil)
		if status == http.StatusOK && json.Unmarshal(b, &v) == nil {
			switch v.Status {
			case "ready":
				return v, nil
			case "failed":
				return v, fmt.Errorf("failed: %s", v.Error)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return v, fmt.Errorf("status %q at the deadline", v.Status)
}

// readyVideo uploads a short MP4 and waits for it: the video guests
// comment on.
func (c *client) readyVideo(work string) video {
	p := filepath.Join(work, "talk.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=5",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", p)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
	v := c.createVideo("talk")
	check(c.upload(v.UploadURL, p, 8<<20))
	v, err := c.waitReady(v.ID, time.Now().Add(2*time.Minute))
	check(err)
	return v
}

// mp4Seconds downloads an MP4 and returns its duration by ffprobe.
func (c *client) mp4Seconds(url, work string) float64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	c.counts.add("mp4 GET", resp.StatusCode)
	p := filepath.Join(work, "check.mp4")
	f, err := os.Create(p)
	check(err)
	_, err = io.Copy(f, resp.Body)
	f.Close()
	defer os.Remove(p)
	if err != nil {
		return 0
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", p).Output()
	if err != nil {
		return 0
	}
	d, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return d
}

/* ---------- comment posters ---------- */

type posterResults struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	statuses map[int]int
	lat      []time.Duration // of 201s
	readLat  []time.Duration
}

func (r *posterResults) other() int {
	n := 0
	for s, k := range r.statuses {
		if s != 201 && s != 429 {
			n += k
		}
	}
	return n
}

func (r *posterResults) wait() *posterResults {
	r.wg.Wait()
	return r
}

// startPosters runs n guests, each from its own address, posting a comment
// about every second (and reading the thread list every fifth time) until
// ctx ends.
func startPosters(ctx context.Context, c *client, v video, n int) *posterResults {
	r := &posterResults{statuses: map[int]int{}}
	share := "/api/share/" + v.Slug
	for p := 0; p < n; p++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			h := http.Header{
				"Content-Type":    {"application/json"},
				"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", p>>16&255, p>>8&255, p&255)},
				"X-Guest-Secret":  {media.NewGuestSecret()},
			}
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf(`{"body":"guest %d, comment %d","timeMs":%d,"guestName":"Guest %d"}`, p, i, (p*97+i*13)%5000, p)
				t0 := time.Now()
				status, _ := c.do("comment POST", "POST", share+"/comments", strings.NewReader(body), h)
				d := time.Since(t0)
				r.mu.Lock()
				r.statuses[status]++
				if status == 201 {
					r.lat = append(r.lat, d)
				}
				r.mu.Unlock()
				if i%5 == 4 {
					t0 := time.Now()
					if s, _ := c.do("comments GET", "GET", share+"/comments?limit=50", nil, h); s == 200 {
						d := time.Since(t0)
						r.mu.Lock()
						r.readLat = append(r.readLat, d)
						r.mu.Unlock()
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(500*time.Millisecond + rand.N(time.Second)):
				}
			}
		}()
	}
	return r
}

/* ---------- figures ---------- */

type statusCount struct {
	mu sync.Mutex
	n  map[string]map[int]int
}

func (s *statusCount) add(what string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[what] == nil {
		s.n[what] = map[int]int{}
	}
	s.n[what][status]++
}

func (s *statusCount) snapshot() map[string]map[int]int {
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

func (s *statusCount) String() string {
	var parts []string
	for what, m := range s.snapshot() {
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

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

func mbs(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
func kib(k int64) string { return fmt.Sprintf("%.0f MiB", float64(k)/1024) }

/* ---------- /proc ---------- */

type peaks struct {
	hwm, threads          int64
	ffMax, ffSum, ffCount int64
	cpu, childCPU         time.Duration
}

type sampler struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	p    peaks
}

// startSampler watches the server (pid) and the ffmpeg and ffprobe
// processes it runs, every 100 ms.
func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var sum, count, largest int64
			for _, child := range children(pid) {
				if rss := statusKB(child, "VmRSS"); rss > 0 {
					sum += rss
					count++
					largest = max(largest, rss)
				}
			}
			th := statusKB(pid, "Threads")
			s.mu.Lock()
			s.p.ffSum, s.p.ffCount, s.p.ffMax = max(s.p.ffSum, sum), max(s.p.ffCount, count), max(s.p.ffMax, largest)
			s.p.threads = max(s.p.threads, th)
			s.mu.Unlock()
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() peaks {
	close(s.done)
	s.wg.Wait()
	s.p.hwm = statusKB(s.pid, "VmHWM")
	s.p.cpu, s.p.childCPU = cpuTimes(s.pid)
	return s.p
}

// children lists the ffmpeg and ffprobe processes whose parent is pid.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		name := s[open+1 : end]
		if name != "ffmpeg" && name != "ffprobe" {
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

// statusKB reads a field of /proc/pid/status (kB, or a count).
func statusKB(pid int, key string) int64 {
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

// cpuTimes is the process's own CPU time and that of its waited-for
// children (ffmpeg), from /proc/pid/stat.
func cpuTimes(pid int) (self, children time.Duration) {
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

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

// atExit runs before check exits: the server must not outlive the bench.
var atExit []func()

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		for i := len(atExit) - 1; i >= 0; i-- {
			atExit[i]()
		}
		os.Exit(1)
	}
}
