// Command trim measures a trim (one cut) of a stored video: Baton's cut,
// which copies between keyframes and encodes only around the cut, against
// the full frame-exact re-encode it falls back to (and did always before),
// run as plain ffmpeg with the same settings, alternating in the same run.
// The input is a 60-second 1080p30 screen-like H.264/AAC MP4 as Baton
// stores an uploaded recording (x264 veryfast CRF 23, a keyframe every 2 s).
//
//	go run ./bench/trim [-seconds 60] [-size 1920x1080] [-runs 3] [-quick]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/transcode"
)

func main() {
	secs := flag.Float64("seconds", 60, "length of the stored video")
	size := flag.String("size", "1920x1080", "frame size")
	runs := flag.Int("runs", 3, "runs of each")
	quick := flag.Bool("quick", false, "a smoke run: 10 s at 640x360, once")
	flag.Parse()
	if *quick {
		*secs, *size, *runs = 10, "640x360", 1
	}
	work, err := os.MkdirTemp("", "baton-bench-trim-")
	h.Check(err)
	defer os.RemoveAll(work)

	src := filepath.Join(work, "stored.mp4")
	h.Check(stored(src, *secs, *size))
	// One cut, not on keyframes: from 1/6 to 1/3 of the video plus a bit
	// (10.5 s to 20.3 s of 60 s).
	total := int64(*secs * 1000)
	cut := media.Cut{StartMs: total * 7 / 40, EndMs: total * 203 / 600}
	keep := media.KeptSpans([]media.Cut{cut}, total)

	var log strings.Builder
	f, err := transcode.New(transcode.Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	h.Check(err)

	var smart, full []sample
	for i := 0; i < *runs; i++ {
		smart = append(smart, measure(func() error {
			_, err := f.Cut(context.Background(), src, filepath.Join(work, "smart.mp4"), keep)
			return err
		}))
		full = append(full, measure(func() error { return reencode(src, filepath.Join(work, "full.mp4"), keep) }))
	}
	if !strings.Contains(log.String(), "path=copy") {
		h.Check(fmt.Errorf("Baton did not copy between keyframes:\n%s", log.String()))
	}
	line := log.String()
	if i := strings.LastIndex(strings.TrimSpace(line), "\n"); i >= 0 {
		line = line[i+1:]
	}
	sw, fw := medianOf(smart, wall), medianOf(full, wall)
	sc, fc := medianOf(smart, cpu), medianOf(full, cpu)
	fmt.Printf("trimming %v-%v out of a %gs %s stored H.264/AAC MP4, %d runs each (median, min..max)\n",
		time.Duration(cut.StartMs)*time.Millisecond, time.Duration(cut.EndMs)*time.Millisecond, *secs, *size, *runs)
	fmt.Printf("  baton smart cut:                wall %v (%v..%v), CPU %v\n", sw, minOf(smart, wall), maxOf(smart, wall), sc)
	fmt.Printf("  full re-encode, plain ffmpeg: wall %v (%v..%v), CPU %v\n", fw, minOf(full, wall), maxOf(full, wall), fc)
	fmt.Printf("  ratio smart/full:               wall %.3f, CPU %.3f\n", sw.Seconds()/fw.Seconds(), sc.Seconds()/fc.Seconds())
	fmt.Printf("  baton's log: %s", line)
}

// stored writes the video as Baton's transcode stores an upload it
// re-encodes (transcode/testdata/transcode_reencode.golden).
func stored(out string, secs float64, size string) error {
	args := mediatest.Join([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"},
		mediatest.TestSrc(size, 30, secs), mediatest.Tone(440, secs),
		[]string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high", "-pix_fmt", "yuv420p",
			"-force_key_frames", "expr:gte(t,n_forced*2)", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
			"-movflags", "+faststart", "-f", "mp4", out})
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// reencode runs the full re-encode's command line
// (transcode/testdata/cut.golden) without the safeguards that do not
// change the work, at the jobs' priority as Baton runs it.
func reencode(src, out string, keep []media.Span) error {
	var graph, labels []string
	for i, s := range keep {
		a, b := strconv.FormatFloat(float64(s.StartMs)/1000, 'f', 3, 64), strconv.FormatFloat(float64(s.EndMs)/1000, 'f', 3, 64)
		graph = append(graph,
			fmt.Sprintf("[0:0]trim=end=%s:start=%s,setpts=PTS-STARTPTS[v%d]", b, a, i),
			fmt.Sprintf("[0:1]atrim=end=%s:start=%s,asetpts=PTS-STARTPTS[a%d]", b, a, i))
		labels = append(labels, fmt.Sprintf("[v%d][a%d]", i, i))
	}
	graph = append(graph, strings.Join(labels, "")+fmt.Sprintf("concat=a=1:n=%d:v=1[v][a]", len(keep)))
	cmd := exec.Command("nice", "-n", strconv.Itoa(media.JobNice), "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "mov", "-i", src, "-filter_complex", strings.Join(graph, ";"), "-map", "[v]", "-map", "[a]",
		"-b:a", "128k", "-c:a", "aac", "-c:v", "libx264", "-crf", "20", "-pix_fmt", "yuv420p", "-preset", "veryfast",
		"-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", out)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

type sample struct{ wall, cpu time.Duration }

func wall(s sample) time.Duration { return s.wall }
func cpu(s sample) time.Duration  { return s.cpu }

// measure times fn, wall clock and the CPU of the children it ran
// (ffmpeg and ffprobe do all the work in both paths).
func measure(fn func() error) sample {
	before := childrenCPU()
	start := time.Now()
	h.Check(fn())
	return sample{wall: time.Since(start).Round(time.Millisecond), cpu: (childrenCPU() - before).Round(time.Millisecond)}
}

func childrenCPU() time.Duration {
	var ru syscall.Rusage
	h.Check(syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func values(s []sample, by func(sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = by(x)
	}
	slices.Sort(out)
	return out
}

func medianOf(s []sample, by func(sample) time.Duration) time.Duration {
	v := values(s, by)
	return v[len(v)/2]
}
func minOf(s []sample, by func(sample) time.Duration) time.Duration { return values(s, by)[0] }
func maxOf(s []sample, by func(sample) time.Duration) time.Duration {
	v := values(s, by)
	return v[len(v)-1]
}
