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
//	go run ./bench/load -bin bin/baton -recordings 40 -seconds 120 -mb 38
//
// The last form is the all-hands case instead (paced.go): browser-paced
// recordings at once, with live processing bounded by BATON_MAX_LIVE.
//
// The server runs with its default rate limits, as in production: a guest
// may post a burst of 20 comments then one every 3 s, a video takes 60
// then 2 a second from everyone. Posters come from distinct addresses
// (X-Forwarded-For, with 127.0.0.1 configured as a trusted proxy), so the
// per-video limit is the one that answers most of them with 429; they are
// counted, not errors. Comment throughput without limits is bench/comments.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
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
	logLevel := flag.String("log", "warn", "the server's log level (its log is in the work directory)")
	recordings := flag.Int("recordings", 0, "instead: this many browser-paced recordings at once (real-time 1 s chunks), BATON_MAX_LIVE at its default")
	flag.Parse()
	if *recordings > 0 {
		if *quick {
			*recordings, *seconds, *mb = 8, 20, 3
		}
		pacedRun(*bin, *recordings, *seconds, *frame, *mb, *timeout, *logLevel, *keep)
		return
	}
	if *quick {
		*uploads, *mb, *seconds, *posters = 4, 10, 12, 40
	}

	work, err := os.MkdirTemp("", "baton-load-")
	h.Check(err)
	if *keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "rec.mkv")
	genStart := time.Now()
	makeRecording(src, *seconds, *frame, int64(*mb*1e6))
	srcSum, srcSize := h.HashFile(src)
	total := int64(*uploads) * srcSize
	fmt.Printf("Load: %d concurrent uploads of a %s %ds H.264/Opus Matroska recording (%s, made in %v) in %d MiB PATCHes, %d comment posters; embedded default (SQLite + disk), default workers and rate limits\n",
		*uploads, *frame, *seconds, h.MB(srcSize), time.Since(genStart).Round(time.Second), *chunkMiB, *posters)

	// The baseline: the same PATCH streams into a bare handler that
	// appends each to a file, in this process, before Baton runs.
	bare := bareUploads(work, src, *uploads, *chunkMiB<<20)

	// 127.0.0.1 is a trusted proxy so that posters can name themselves
	// with X-Forwarded-For: 200 guests, not one.
	srv := h.Start(*bin, work, "BATON_TRUSTED_PROXIES=127.0.0.1", "BATON_LOG_LEVEL="+*logLevel)
	defer srv.Stop()
	c := h.SignUp(srv.Base)
	target := readyVideo(c, work)
	idle := h.Status(srv.PID, "VmRSS")

	vids := make([]h.Video, *uploads)
	for i := range vids {
		vids[i] = c.CreateVideo(fmt.Sprintf("load %d", i))
	}
	smp := startSampler(srv.PID)
	start := time.Now()
	ctx, stopPosters := context.WithCancel(context.Background())
	pr := startPosters(ctx, c, target, *posters)

	upTimes := make([]time.Duration, *uploads)
	sentAt := make([]time.Time, *uploads)
	upErrs := make([]error, *uploads)
	var wg sync.WaitGroup
	for i, v := range vids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			sentAt[i], upErrs[i] = c.UploadTimed(v.UploadURL, src, *chunkMiB<<20, 0)
			upTimes[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	uploaded := time.Since(start)
	sent := slices.MaxFunc(sentAt, time.Time.Compare).Sub(start)
	var failures []string
	deadline := time.Now().Add(*timeout)
	final := make([]h.Video, *uploads)
	for i, v := range vids {
		if upErrs[i] != nil {
			failures = append(failures, fmt.Sprintf("upload %d: %v", i, upErrs[i]))
			continue
		}
		if final[i], err = c.WaitReady(v.ID, deadline); err != nil {
			failures = append(failures, fmt.Sprintf("upload %d: %v", i, err))
		}
	}
	allReady := time.Since(start)
	stopPosters()
	pr.wg.Wait()
	peak := smp.stop()

	// Nothing lost: every original byte-identical, every MP4 complete.
	for i, v := range final {
		if v.Status != "ready" {
			continue
		}
		if v.UploadedBytes != srcSize {
			failures = append(failures, fmt.Sprintf("upload %d: uploadedBytes %d, want %d", i, v.UploadedBytes, srcSize))
		}
		// The disk store keeps each object as a file named by its key.
		sum, n := h.HashFile(filepath.Join(srv.Data, "objects", filepath.FromSlash(media.OriginalKey(v.ID))))
		if sum != srcSum || n != srcSize {
			failures = append(failures, fmt.Sprintf("upload %d: stored original %d bytes sha256 %s, source %d bytes %s", i, n, sum, srcSize, srcSum))
		}
		if d := mp4Seconds(c, v.MP4URL, work); d < float64(*seconds)-0.5 || d > float64(*seconds)+0.5 {
			failures = append(failures, fmt.Sprintf("upload %d: MP4 lasts %.2fs, want %ds", i, d, *seconds))
		}
	}
	var page struct{ Count int }
	if status, b := c.Do("comments GET", "GET", "/api/share/"+target.Slug+"/comments?limit=1", nil, nil); status != 200 || json.Unmarshal(b, &page) != nil {
		failures = append(failures, fmt.Sprintf("count comments: %d %s", status, b))
	}
	if created := pr.statuses[201]; page.Count != created {
		failures = append(failures, fmt.Sprintf("stored %d comments, answered 201 for %d", page.Count, created))
	}
	if n := pr.other(); n > 0 {
		failures = append(failures, fmt.Sprintf("%d comment answers neither 201 nor 429: %v", n, pr.statuses))
	}
	failures = append(failures, c.ServerErrors()...)
	failures = append(failures, srv.ErrorLines()...)

	slices.Sort(upTimes)
	fmt.Printf("  bytes sent:        %s in %v (%.0f MB/s together)\n", h.MB(total), sent.Round(time.Millisecond), float64(total)/1e6/sent.Seconds())
	fmt.Printf("  baseline:          the same PATCH streams into a bare net/http handler appending to files: %v (%.0f MB/s); baton/bare %.1f\n",
		bare.Round(time.Millisecond), float64(total)/1e6/bare.Seconds(), sent.Seconds()/bare.Seconds())
	fmt.Printf("  last PATCH answered: %v after the first byte (one upload p50 %v, max %v); the last answer of a recording waits for its conversion\n",
		uploaded.Round(time.Millisecond), upTimes[len(upTimes)/2].Round(time.Millisecond), upTimes[len(upTimes)-1].Round(time.Millisecond))
	fmt.Printf("  all ready:         %v after the first byte, %v after the last byte was sent\n",
		allReady.Round(time.Millisecond), (allReady - sent).Round(time.Millisecond))
	fmt.Printf("  comments:          %d created (201), %d refused by rate limits (429), %d other; %d stored; 201 in p50 %v, p99 %v\n",
		pr.statuses[201], pr.statuses[429], pr.other(), page.Count, h.Percentile(pr.lat, 50), h.Percentile(pr.lat, 99))
	fmt.Printf("  comment lists:     %d, p50 %v, p99 %v\n", len(pr.readLat), h.Percentile(pr.readLat, 50), h.Percentile(pr.readLat, 99))
	fmt.Printf("  baton memory:      %s idle; peak RSS (VmHWM) %s = %.1f%% of the %s uploaded; at most %d threads\n",
		h.MiB(idle), h.MiB(peak.hwm), 100*float64(peak.hwm*1024)/float64(total), h.MB(total), peak.threads)
	fmt.Printf("  ffmpeg children:   at most %d at once; largest %s; all together at most %s\n",
		peak.ffCount, h.MiB(peak.ffMax), h.MiB(peak.ffSum))
	fmt.Printf("  CPU:               baton %v, its ffmpeg children %v, over %v\n",
		peak.cpu.Round(time.Millisecond), peak.childCPU.Round(time.Millisecond), allReady.Round(time.Millisecond))
	fmt.Printf("  answers:           %s\n", c.Counts)
	if len(failures) > 0 {
		fmt.Println("FAILED:")
		for _, f := range failures {
			fmt.Println("  " + f)
		}
		h.Check(fmt.Errorf("%d checks failed (work directory kept: %s)", len(failures), work))
	}
	fmt.Println("  checks:            passed: no 5xx; every video ready, original byte-identical, MP4 of full length; stored comments = 201s")
}

// bareUploads sends n concurrent uploads of src in chunk-sized PATCHes to
// a bare handler that appends each request body to a file at its
// Upload-Offset, and returns how long they took: the machine's capacity
// for the same streams (loopback and disk), without Baton.
func bareUploads(work, src string, n int, chunk int64) time.Duration {
	dir := filepath.Join(work, "bare")
	h.Check(os.MkdirAll(dir, 0o755))
	defer os.RemoveAll(dir)
	mux := http.NewServeMux()
	mux.HandleFunc("PATCH /u/{n}", func(w http.ResponseWriter, r *http.Request) {
		off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f, err := os.OpenFile(filepath.Join(dir, r.PathValue("n")), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		m, err := io.Copy(f, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Upload-Offset", strconv.FormatInt(off+m, 10))
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	h.Check(err)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	c := &h.Client{Base: "http://" + ln.Addr().String(), Token: "bare", Counts: &h.StatusCount{},
		HC: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Check(c.Upload(c.Base+"/u/"+strconv.Itoa(i), src, chunk, 0))
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// makeRecording encodes a recording like Chromium's H.264 MediaRecorder
// output (Matroska, no duration in the header: piped), at the bit rate that
// makes it about bytes long, straight into path.
func makeRecording(path string, seconds int, frame string, bytes int64) {
	rate := strconv.FormatInt(bytes*8/int64(seconds)*97/100, 10) // audio and container take the rest
	h.Check(mediatest.FFmpegTo(context.Background(), path, mediatest.RecordingArgs(float64(seconds), frame, "h264",
		"-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate)...))
}

// readyVideo uploads a short MP4 and waits for it: the video guests
// comment on.
func readyVideo(c *h.Client, work string) h.Video {
	p := filepath.Join(work, "talk.mp4")
	h.Check(mediatest.FFmpeg(context.Background(), mediatest.Join(mediatest.TestSrc("320x240", 30, 5), mediatest.Tone(440, 5),
		mediatest.H264(), []string{"-c:a", "aac", p})...))
	v := c.CreateVideo("talk")
	h.Check(c.Upload(v.UploadURL, p, 8<<20, 0))
	v, err := c.WaitReady(v.ID, time.Now().Add(2*time.Minute))
	h.Check(err)
	return v
}

// mp4Seconds downloads an MP4 to a file and returns its duration by
// ffprobe.
func mp4Seconds(c *h.Client, url, work string) float64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HC.Do(req)
	if err != nil {
		c.Counts.Add("mp4 GET", 0)
		return 0
	}
	defer resp.Body.Close()
	c.Counts.Add("mp4 GET", resp.StatusCode)
	p := filepath.Join(work, "check.mp4")
	defer os.Remove(p)
	f, err := os.Create(p)
	h.Check(err)
	_, err = io.Copy(f, resp.Body)
	f.Close()
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

// startPosters runs n guests, each from its own address, posting a comment
// every 0.5 to 1.5 s (and reading the thread list every fifth time) until
// ctx ends.
func startPosters(ctx context.Context, c *h.Client, v h.Video, n int) *posterResults {
	r := &posterResults{statuses: map[int]int{}}
	share := "/api/share/" + v.Slug
	for p := 0; p < n; p++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			hd := http.Header{
				"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", p>>16&255, p>>8&255, p&255)},
				"X-Guest-Secret":  {media.NewGuestSecret()},
			}
			for i := 0; ctx.Err() == nil; i++ {
				body := map[string]any{"body": fmt.Sprintf("guest %d, comment %d", p, i), "timeMs": (p*97 + i*13) % 5000, "guestName": fmt.Sprintf("Guest %d", p)}
				t0 := time.Now()
				status, _ := c.Do("comment POST", "POST", share+"/comments", body, hd)
				d := time.Since(t0)
				r.mu.Lock()
				r.statuses[status]++
				if status == 201 {
					r.lat = append(r.lat, d)
				}
				r.mu.Unlock()
				if i%5 == 4 {
					t0 := time.Now()
					if s, _ := c.Do("comments GET", "GET", share+"/comments?limit=50", nil, hd); s == 200 {
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

type peaks struct {
	hwm, threads          int64 // KiB, count
	ffMax, ffSum, ffCount int64 // KiB, KiB, count
	cpu, childCPU         time.Duration
}

type sampler struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
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
			for _, child := range h.Children(pid) {
				if rss := h.Status(child, "VmRSS"); rss > 0 {
					sum += rss
					count++
					largest = max(largest, rss)
				}
			}
			s.p.ffSum, s.p.ffCount, s.p.ffMax = max(s.p.ffSum, sum), max(s.p.ffCount, count), max(s.p.ffMax, largest)
			s.p.threads = max(s.p.threads, h.Status(pid, "Threads"))
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
	s.p.hwm = h.Status(s.pid, "VmHWM")
	s.p.cpu, s.p.childCPU = h.CPUTimes(s.pid)
	return s.p
}
