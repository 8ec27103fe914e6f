// Command stoptoready measures how long a viewer waits after a recording
// stops: recordings of several lengths arrive at real-time pace in 1 s
// chunks, as Baton's browser recorder sends them, and the time from the last
// chunk to status "ready" is compared, in the same run, with the naive
// pipeline (the whole file arrives after Stop, then one ffmpeg run with the
// same output settings).
//
//	go run ./bench/stoptoready -bin bin/baton -minutes 1,5,15
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media/mediatest"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	minutes := flag.String("minutes", "1,5,15", "recording lengths in minutes")
	size := flag.String("size", "1920x1080", "frame size")
	speed := flag.Float64("speed", 1, "arrival pace: 1 = real time; 2 = twice as fast (for quick runs)")
	codec := flag.String("codec", "h264", "recorded video codec: h264 (Chromium's H.264 MediaRecorder) or vp8")
	flag.Parse()

	work, err := os.MkdirTemp("", "baton-bench-")
	h.Check(err)
	defer os.RemoveAll(work)

	fmt.Printf("Stop-to-ready, %s %s+opus screen-like recordings arriving in 1 s chunks at %.3gx real time\n", *size, *codec, *speed)
	fmt.Printf("%-8s %-14s %-14s %-8s %-18s %-14s %-14s\n", "length", "baton", "naive", "ratio", "baton cpu/min", "baton peak", "ffmpeg peak")
	for _, m := range strings.Split(*minutes, ",") {
		mins, err := strconv.ParseFloat(strings.TrimSpace(m), 64)
		h.Check(err)
		src := filepath.Join(work, fmt.Sprintf("rec-%gm.mkv", mins))
		makeRecording(src, mins*60, *size, *codec)
		r := runBaton(*bin, work, src, mins*60, *speed)
		naive := runNaive(work, src)
		fmt.Printf("%-8s %-14s %-14s %-8s %-18s %-14s %-14s\n",
			fmt.Sprintf("%gm", mins), r.stopToReady.Round(time.Millisecond), naive.Round(time.Millisecond),
			fmt.Sprintf("%.2f", naive.Seconds()/r.stopToReady.Seconds()),
			fmt.Sprintf("%.1fs", r.cpu.Seconds()/mins), mib(r.peakRSS), mib(r.peakFFmpeg))
		os.Remove(src)
	}
}

func mib(kb int64) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }

// makeRecording encodes screen-like content (mostly still, small moving
// parts, sharp edges) the way Chromium's MediaRecorder does: Matroska with no
// duration in the header, keyframes every 2 s, Opus audio.
func makeRecording(path string, seconds float64, size, codec string) {
	extra := []string{"-b:v", "3M"}
	if codec != "vp8" {
		extra = append(extra, "-tune", "zerolatency")
	}
	h.Check(mediatest.FFmpegTo(context.Background(), path, mediatest.RecordingArgs(seconds, size, codec, extra...)...))
}

type result struct {
	stopToReady time.Duration
	cpu         time.Duration
	peakRSS     int64 // KiB, baton process
	peakFFmpeg  int64 // KiB, largest ffmpeg child seen
}

func runBaton(bin, work, src string, seconds, speed float64) result {
	h.Check(os.RemoveAll(filepath.Join(work, "data")))
	srv := h.Start(bin, work, "BATON_WORKERS=1")
	defer srv.Stop()
	c := h.SignUp(srv.Base)
	// Polled often: the figure is a fraction of a second.
	c.Poll = 20 * time.Millisecond
	v := c.CreateVideo("bench")

	raw, err := os.ReadFile(src)
	h.Check(err)
	chunks := int(seconds)
	step := (len(raw) + chunks - 1) / chunks
	sampler := startSampler(srv.PID)
	cpu0 := cpuTime(srv.PID)
	start := time.Now()
	off := 0
	for i := 0; off < len(raw); i++ {
		// Real-time pace: chunk i is produced at i seconds.
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / speed))
		time.Sleep(time.Until(due))
		end := min(off+step, len(raw))
		length := -1
		if end == len(raw) {
			length = len(raw)
			due := start.Add(time.Duration(float64(i+1) * float64(time.Second) / speed))
			time.Sleep(time.Until(due))
		}
		if length >= 0 {
			stop := time.Now()
			patch(c, v.UploadURL, off, raw[off:end], length)
			_, err := c.WaitReady(v.ID, time.Now().Add(30*time.Minute))
			h.Check(err)
			res := result{stopToReady: time.Since(stop)}
			res.cpu = cpuTime(srv.PID) - cpu0
			res.peakRSS, res.peakFFmpeg = sampler.stop()
			return res
		}
		patch(c, v.UploadURL, off, raw[off:end], length)
		off = end
	}
	panic("unreachable")
}

func patch(c *h.Client, url string, off int, chunk []byte, length int) {
	hdr := http.Header{}
	hdr.Set("Tus-Resumable", "1.0.0")
	hdr.Set("Content-Type", "application/offset+octet-stream")
	hdr.Set("Upload-Offset", strconv.Itoa(off))
	if length >= 0 {
		hdr.Set("Upload-Length", strconv.Itoa(length))
	}
	if status, body := c.Do("upload PATCH", "PATCH", url, bytes.NewReader(chunk), hdr); status != http.StatusNoContent {
		h.Check(fmt.Errorf("PATCH: %d %s", status, body))
	}
}

// runNaive is the pipeline without progressive processing: after Stop the
// whole file is copied (the upload, at disk speed here, which flatters it)
// and transcoded with the same output settings Baton uses for H.264 input.
func runNaive(work, src string) time.Duration {
	dst := filepath.Join(work, "naive-upload.mkv")
	out := filepath.Join(work, "naive.mp4")
	start := time.Now()
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
		"-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", out)
	cmd.Stderr = os.Stderr
	h.Check(cmd.Run())
	d := time.Since(start)
	os.Remove(dst)
	os.Remove(out)
	return d
}
