package mediatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Test videos are made with real ffmpeg from its synthetic lavfi sources:
// a moving test pattern (testsrc2) and a sine tone. The input builders
// (TestSrc, Tone) and encoder settings (H264, VP8) are plain argument
// lists, so a test that needs an odd file (a 4:4:4 frame, twenty audio
// streams, a fragmented MP4) still says so in one line; the makers
// (MustWebM, MustMP4, MustRecording) are the files uploads usually are.
// The bench programs use the same builders with FFmpeg and FFmpegTo.

// TestSrc returns ffmpeg input options for a moving test pattern of size
// ("WxH") at rate frames a second for seconds; seconds <= 0 never ends.
func TestSrc(size string, rate int, seconds float64) []string {
	src := "testsrc2=size=" + size + ":rate=" + strconv.Itoa(rate)
	if seconds > 0 {
		src += ":duration=" + secs(seconds)
	}
	return []string{"-f", "lavfi", "-i", src}
}

// Tone returns ffmpeg input options for a sine tone of freq Hz at 48 kHz
// (what browsers record Opus at) for seconds.
func Tone(freq int, seconds float64) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:sample_rate=48000:duration=%s", freq, secs(seconds))}
}

// H264 returns output options for fast H.264 in 4:2:0, the one pixel
// format every browser plays.
func H264() []string {
	return []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
}

// VP8 returns output options for VP8 encoded as Chrome's MediaRecorder
// does: real-time, fastest.
func VP8() []string {
	return []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"}
}

func secs(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }

// Join concatenates argument lists.
func Join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// quiet precedes every ffmpeg run: no prompt for stdin, errors only, and
// overwrite (outputs are in the test's own temp dir).
var quiet = []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}

// FFmpeg runs ffmpeg with args; the error carries its stderr.
func FFmpeg(ctx context.Context, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", Join(quiet, args)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return nil
}

// FFmpegTo runs ffmpeg with args, which end with the output format
// ("-f", "webm"), writing its output through a pipe into path. A muxer
// writing to a pipe cannot seek back, so the header carries no duration:
// what a browser's MediaRecorder makes. The bytes go straight to the
// file, so a large source is never held in memory.
func FFmpegTo(ctx context.Context, path string, args ...string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", Join(quiet, args, []string{"pipe:1"})...)
	cmd.Stdout, cmd.Stderr = f, &stderr
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ffmpeg %s pipe:1: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return nil
}

// RequireFFmpeg skips tb when ffmpeg or ffprobe is not installed, and
// fails it under CI=true, where a missing tool is a broken machine.
func RequireFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s is not installed (make test installs it)", tool)
			}
			tb.Skipf("%s is not installed; run make test", tool)
		}
	}
}

// makeTimeout bounds one test input: the largest take seconds, a stuck
// ffmpeg must not hold the test until the package timeout.
const makeTimeout = 5 * time.Minute

// MustFFmpeg runs ffmpeg with args to make a test input.
func MustFFmpeg(tb testing.TB, args ...string) {
	tb.Helper()
	RequireFFmpeg(tb)
	ctx, cancel := context.WithTimeout(context.Background(), makeTimeout)
	defer cancel()
	if err := FFmpeg(ctx, args...); err != nil {
		tb.Fatal(err)
	}
}

// MustFFmpegTo is FFmpegTo for tests.
func MustFFmpegTo(tb testing.TB, path string, args ...string) {
	tb.Helper()
	RequireFFmpeg(tb)
	ctx, cancel := context.WithTimeout(context.Background(), makeTimeout)
	defer cancel()
	if err := FFmpegTo(ctx, path, args...); err != nil {
		tb.Fatal(err)
	}
}

// MustWebM writes a VP8/Opus WebM like Chrome's MediaRecorder makes:
// piped, so its header carries no duration.
func MustWebM(tb testing.TB, path string, seconds float64, size string) {
	tb.Helper()
	MustFFmpegTo(tb, path, Join(TestSrc(size, 30, seconds), Tone(440, seconds), VP8(),
		[]string{"-b:v", "600k", "-c:a", "libopus", "-f", "webm"})...)
}

// MustMP4 writes an H.264/AAC MP4: what a phone or a screen recorder
// uploads. Its header states the duration, so accepting it needs only
// ffprobe, and its video is copied, not re-encoded, so processing it takes
// a fraction of a second. extra go before the output path.
func MustMP4(tb testing.TB, path string, seconds float64, size string, extra ...string) {
	tb.Helper()
	MustFFmpeg(tb, Join(TestSrc(size, 30, seconds), Tone(440, seconds), H264(),
		[]string{"-g", "30", "-c:a", "aac", "-b:a", "64k"}, extra, []string{path})...)
}

// MustRecording writes a recording like Chromium's MediaRecorder makes:
// piped (no duration in the header), keyframes every 2 s, Opus audio;
// codec "h264" is H.264 in Matroska (what Chromium records when it may),
// "vp8" is VP8 in WebM. extra are more output options, such as a bitrate.
func MustRecording(tb testing.TB, path string, seconds float64, size, codec string, extra ...string) {
	tb.Helper()
	MustFFmpegTo(tb, path, RecordingArgs(seconds, size, codec, extra...)...)
}

// RecordingArgs are the ffmpeg arguments of MustRecording, for FFmpegTo.
func RecordingArgs(seconds float64, size, codec string, extra ...string) []string {
	vc, format := H264(), "matroska"
	if codec == "vp8" {
		vc, format = VP8(), "webm"
	}
	return Join(TestSrc(size, 30, seconds), Tone(440, seconds), vc,
		[]string{"-g", "60"}, extra, []string{"-c:a", "libopus", "-f", format})
}
