package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
)

// pacedRun is the all-hands case: n people record at once, each browser
// sending its recording in 1 s chunks at real-time pace, and all stop
// together. The server runs with BATON_MAX_LIVE at its default (two per
// core), so most recordings are refused live processing: they still
// upload while recording and are processed by a job after Stop, on the
// slot budget jobs share with live sessions (the live slots are idle then). Measured
// per recording: which case applied (the API says), and Stop-to-ready
// (the last chunk sent to status ready). Checked, or the run fails: every
// video ready, every stored original byte-identical, 0 5xx, every MP4 of
// the full length. Baseline in the same run: the naive pipeline for the
// same n recordings (after Stop each whole file is copied, then converted
// by its own ffmpeg, all at once: no admission).
func pacedRun(bin string, n, seconds int, frame string, mb float64, timeout time.Duration, logLevel string, keep bool) {
	work, err := os.MkdirTemp("", "baton-load-paced-")
	h.Check(err)
	if keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "rec.mkv")
	genStart := time.Now()
	makeRecording(src, seconds, frame, int64(mb*1e6))
	srcSum, srcSize := h.HashFile(src)
	data, err := os.ReadFile(src)
	h.Check(err)
	load := loadAverage()
	fmt.Printf("Paced recordings: %d at once, %ds each of %s H.264/Opus Matroska (%s, made in %v), sent in 1 s chunks at real-time pace; default BATON_MAX_LIVE (%d cores); load average at the start %s\n",
		n, seconds, frame, h.MB(srcSize), time.Since(genStart).Round(time.Second), runtime.NumCPU(), load)

	srv := h.Start(bin, work, "BATON_LOG_LEVEL="+logLevel)
	defer srv.Stop()
	c := h.SignUp(srv.Base)
	// Polled from Stop on only; 100 ms is the resolution of Stop-to-ready.
	c.Poll = 100 * time.Millisecond
	idle := h.Status(srv.PID, "VmRSS")
	vids := make([]h.Video, n)
	for i := range vids {
		vids[i] = createPaced(c, fmt.Sprintf("all-hands %d", i))
	}

	type result struct {
		mode        string
		stop, ready time.Time
		video       h.Video
		err         error
	}
	res := make([]result, n)
	smp := startSampler(srv.PID)
	start := time.Now()
	// What one live session costs, read just before Stop, when the only
	// ffmpeg children are the live sessions: the figures that bound
	// BATON_MAX_LIVE (see the README).
	perSession := make(chan sessionCost, 1)
	time.AfterFunc(time.Duration(seconds-2)*time.Second, func() { perSession <- liveCost(srv.PID, time.Since(start)) })
	chunk := (len(data) + seconds - 1) / seconds
	var wg sync.WaitGroup
	for i, v := range vids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[i]
			for k, off := 0, 0; off < len(data); k, off = k+1, off+chunk {
				// A MediaRecorder chunk every second, from the start.
				time.Sleep(time.Until(start.Add(time.Duration(k+1) * time.Second)))
				end := min(off+chunk, len(data))
				hdr := http.Header{
					"Tus-Resumable": {"1.0.0"}, "Content-Type": {"application/offset+octet-stream"},
					"Upload-Offset": {strconv.Itoa(off)},
				}
				if end == len(data) {
					hdr.Set("Upload-Length", strconv.Itoa(len(data)))
					r.stop = time.Now()
				}
				if status, body := c.Do("upload PATCH", "PATCH", v.UploadURL, bytes.NewReader(data[off:end]), hdr); status != http.StatusNoContent {
					r.err = fmt.Errorf("PATCH at %d: %d %s", off, status, body)
					return
				}
				if k == 1 {
					// What the recorder shows: live or after Stop.
					var p struct{ Processing string }
					if status, b := c.Do("video GET", "GET", "/api/videos/"+v.ID, nil, nil); status == 200 {
						_ = json.Unmarshal(b, &p)
					}
					r.mode = p.Processing
				}
			}
			r.video, r.err = c.WaitReady(v.ID, time.Now().Add(timeout))
			r.ready = time.Now()
		}()
	}
	wg.Wait()
	allReady := time.Since(start)
	peak := smp.stop()
	srv.Stop()

	var failures []string
	byMode := map[string][]time.Duration{}
	for i, r := range res {
		if r.err != nil {
			failures = append(failures, fmt.Sprintf("recording %d: %v", i, r.err))
			continue
		}
		byMode[r.mode] = append(byMode[r.mode], r.ready.Sub(r.stop))
		if r.video.UploadedBytes != srcSize {
			failures = append(failures, fmt.Sprintf("recording %d: uploadedBytes %d, want %d", i, r.video.UploadedBytes, srcSize))
		}
		objects := filepath.Join(srv.Data, "objects")
		if sum, size := h.HashFile(filepath.Join(objects, filepath.FromSlash(media.OriginalKey(r.video.ID)))); sum != srcSum || size != srcSize {
			failures = append(failures, fmt.Sprintf("recording %d: stored original differs from what was sent (%d bytes)", i, size))
		}
		if d := probeSeconds(filepath.Join(objects, filepath.FromSlash(media.MP4Key(r.video.ID)))); d < float64(seconds)-0.5 || d > float64(seconds)+0.5 {
			failures = append(failures, fmt.Sprintf("recording %d: MP4 lasts %.2fs, want %ds", i, d, seconds))
		}
	}
	failures = append(failures, c.ServerErrors()...)
	failures = append(failures, srv.ErrorLines()...)

	naive := naiveAll(work, src, n)

	fmt.Printf("  Stop-to-ready (last chunk sent -> status ready), p50 / max:\n")
	for _, mode := range []string{"live", "after-upload", ""} {
		d := byMode[mode]
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		name := map[string]string{"live": "admitted (live)", "after-upload": "not admitted (job after Stop)", "": "not told"}[mode]
		fmt.Printf("    %-32s %3d recordings: %v / %v\n", name, len(d), d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	}
	slices.Sort(naive)
	fmt.Printf("    %-32s %3d recordings: %v / %v (copy after Stop, one ffmpeg each, all at once, nice %d)\n", "naive pipeline, same run", n, naive[len(naive)/2].Round(time.Millisecond), naive[len(naive)-1].Round(time.Millisecond), media.JobNice)
	fmt.Printf("  all ready:         %v after the first chunk\n", allReady.Round(time.Millisecond))
	if cost := <-perSession; cost.n > 0 {
		fmt.Printf("  one live session:  %.1f%% of a core (%v CPU in %v, mean of %d before Stop), %s RSS\n",
			100*cost.cpu.Seconds()/cost.over.Seconds(), cost.cpu.Round(10*time.Millisecond), cost.over.Round(time.Second), cost.n, h.MiB(cost.rss))
	}
	fmt.Printf("  baton memory:      %s idle; peak RSS (VmHWM) %s\n", h.MiB(idle), h.MiB(peak.hwm))
	fmt.Printf("  ffmpeg children:   at most %d at once; largest %s; all together at most %s; baton + children at most %s\n",
		peak.ffCount, h.MiB(peak.ffMax), h.MiB(peak.ffSum), h.MiB(peak.hwm+peak.ffSum))
	fmt.Printf("  CPU:               baton %v, its ffmpeg children %v, over %v; load average at the end %s\n",
		peak.cpu.Round(time.Millisecond), peak.childCPU.Round(time.Millisecond), allReady.Round(time.Millisecond), loadAverage())
	fmt.Printf("  answers:           %s\n", c.Counts)
	if len(failures) > 0 {
		fmt.Println("FAILED:")
		for _, f := range failures {
			fmt.Println("  " + f)
		}
		h.Check(fmt.Errorf("%d checks failed", len(failures)))
	}
	fmt.Println("  checks:            passed: no 5xx; every video ready, original byte-identical (0 bytes lost), MP4 of full length")
}

// createPaced creates a video, waiting out the per-person limit on new
// videos: here one account makes what n people would each make once.
func createPaced(c *h.Client, title string) h.Video {
	for {
		status, b := c.Do("video POST", "POST", "/api/videos", map[string]string{"title": title}, nil)
		switch status {
		case http.StatusCreated:
			var v h.Video
			h.Check(json.Unmarshal(b, &v))
			return v
		case http.StatusTooManyRequests:
			time.Sleep(time.Second)
		default:
			h.Check(fmt.Errorf("create video: %d %s", status, b))
		}
	}
}

// naiveAll is the pipeline without progressive processing or admission for
// n recordings that stop together: each whole file is copied (the upload,
// at disk speed here, which flatters it) and converted with the output
// settings Baton uses for H.264 input, all at once, at the jobs' nice. It returns each one's
// time from Stop to its finished MP4.
func naiveAll(work, src string, n int) []time.Duration {
	dir := filepath.Join(work, "naive")
	h.Check(os.MkdirAll(dir, 0o755))
	defer os.RemoveAll(dir)
	out := make([]time.Duration, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := filepath.Join(dir, fmt.Sprintf("%d.mkv", i))
			in, err := os.Open(src)
			h.Check(err)
			f, err := os.Create(dst)
			h.Check(err)
			_, err = io.Copy(f, in)
			h.Check(err)
			f.Close()
			in.Close()
			cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
				"-f", "matroska", "-i", dst, "-map", "0:v:0", "-map", "0:a:0?",
				"-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", filepath.Join(dir, fmt.Sprintf("%d.mp4", i)))
			cmd.Stderr = os.Stderr
			h.Check(cmd.Start())
			// At the CPU priority of Baton's jobs: on a machine shared
			// with other work, the comparison is of the pipelines, not of
			// their priorities.
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, media.JobNice)
			h.Check(cmd.Wait())
			out[i] = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

func probeSeconds(path string) float64 {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0
	}
	d, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return d
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// sessionCost is the mean CPU and memory of the server's ffmpeg children.
type sessionCost struct {
	n         int
	cpu, over time.Duration
	rss       int64 // KiB
}

// liveCost reads what the server's ffmpeg children have used in over, per
// child.
func liveCost(pid int, over time.Duration) sessionCost {
	c := sessionCost{over: over}
	var cpu time.Duration
	for _, child := range h.Children(pid) {
		self, _ := h.CPUTimes(child)
		cpu += self
		c.rss += h.Status(child, "VmRSS")
		c.n++
	}
	if c.n > 0 {
		c.cpu, c.rss = cpu/time.Duration(c.n), c.rss/int64(c.n)
	}
	return c
}
