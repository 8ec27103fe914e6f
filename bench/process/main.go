// Command process measures Baton's processing of an uploaded file against
// plain ffmpeg with the same output settings, in the same run: a 60-second
// 1080p30 screen-like VP8/Opus WebM as Chrome records it (no duration in the
// header), so Baton must re-encode to H.264.
//
//	go run ./bench/process -bin bin/baton [-seconds 60] [-runs 3]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	secs := flag.Float64("seconds", 60, "length of the test video")
	size := flag.String("size", "1920x1080", "frame size")
	runs := flag.Int("runs", 3, "runs of each")
	flag.Parse()

	work, err := os.MkdirTemp("", "baton-bench-")
	h.Check(err)
	defer os.RemoveAll(work)
	src := filepath.Join(work, "rec.webm")
	h.Check(mediatest.FFmpegTo(context.Background(), src, mediatest.RecordingArgs(*secs, *size, "vp8", "-b:v", "3M")...))

	srv := h.Start(*bin, work, "BATON_WORKERS=1")
	defer srv.Stop()
	c := h.SignUp(srv.Base)
	// Polled often: processing this input takes seconds.
	c.Poll = 20 * time.Millisecond
	raw, err := os.ReadFile(src)
	h.Check(err)

	var baton, plain []time.Duration
	for i := 0; i < *runs; i++ {
		baton = append(baton, processOnce(c, raw))
		plain = append(plain, plainFFmpeg(work, src, *secs))
	}
	bm, pm := median(baton), median(plain)
	fmt.Printf("processing a %gs %s VP8/Opus WebM to H.264/AAC MP4, %d runs each (median, min..max)\n", *secs, *size, *runs)
	fmt.Printf("  baton (upload complete -> ready): %v (%v..%v)\n", bm.Round(time.Millisecond), slices.Min(baton).Round(time.Millisecond), slices.Max(baton).Round(time.Millisecond))
	fmt.Printf("  plain ffmpeg, same settings:      %v (%v..%v)\n", pm.Round(time.Millisecond), slices.Min(plain).Round(time.Millisecond), slices.Max(plain).Round(time.Millisecond))
	fmt.Printf("  ratio baton/ffmpeg:               %.2f\n", bm.Seconds()/pm.Seconds())
	fmt.Printf("  realtime factor (baton):          %.2fx\n", *secs/bm.Seconds())
}

func processOnce(c *h.Client, raw []byte) time.Duration {
	v := c.CreateVideo("bench")
	hdr := http.Header{}
	hdr.Set("Tus-Resumable", "1.0.0")
	hdr.Set("Content-Type", "application/offset+octet-stream")
	hdr.Set("Upload-Offset", "0")
	hdr.Set("Upload-Length", strconv.Itoa(len(raw)))
	start := time.Now()
	if status, body := c.Do("upload PATCH", "PATCH", v.UploadURL, bytes.NewReader(raw), hdr); status != http.StatusNoContent {
		h.Check(fmt.Errorf("upload: %d %s", status, body))
	}
	_, err := c.WaitReady(v.ID, time.Now().Add(30*time.Minute))
	h.Check(err)
	return time.Since(start)
}

// plainFFmpeg runs the command line Baton's transcoder uses for this input
// (see transcode/testdata/transcode_reencode.golden), without the
// safeguards that do not change the work, at the jobs' priority.
func plainFFmpeg(work, src string, secs float64) time.Duration {
	out := filepath.Join(work, "plain.mp4")
	start := time.Now()
	// At the CPU priority Baton gives its jobs (media.JobNice): on a shared
	// machine a lower priority alone would make Baton look slower.
	cmd := exec.Command("nice", "-n", strconv.Itoa(media.JobNice), "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "matroska", "-i", src,
		"-filter_complex", "[0:0]crop=trunc(iw/2)*2:trunc(ih/2)*2[s0];[s0]format=yuv420p[s1]",
		"-map", "[s1]", "-map", "0:1", "-ac", "2", "-ar", "48000", "-b:a", "128k", "-c:a", "aac",
		"-c:v", "libx264", "-crf", "23", "-preset:v", "veryfast", "-profile:v", "high",
		"-force_key_frames", "expr:gte(t,n_forced*2)", "-fps_mode:v", "vfr",
		"-map_chapters", "-1", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", out)
	cmd.Stderr = os.Stderr
	h.Check(cmd.Run())
	d := time.Since(start)
	os.Remove(out)
	return d
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
