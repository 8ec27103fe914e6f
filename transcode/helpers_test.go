package transcode

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fixtureDir holds inputs generated once per test binary and shared by the
// tests; TestMain removes it.
var fixtureDir string

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helperProcess(mode)
		return
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "transcode-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireFFmpeg skips the test when ffmpeg or ffprobe is missing, except in
// CI (CI=true), where a missing ffmpeg is a broken build.
func requireFFmpeg(tb testing.TB) {
	tb.Helper()
	mediatest.RequireFFmpeg(tb)
}

// MustNew returns an FFmpeg for cfg, skipping the test without ffmpeg.
func MustNew(tb testing.TB, cfg Config) *FFmpeg {
	tb.Helper()
	requireFFmpeg(tb)
	f, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// lavfi are the synthetic sources fixtures are made from: tiny and short,
// so the whole package runs in seconds.
func lavfiVideo(size string, d time.Duration) []string {
	return mediatest.TestSrc(size, 15, d.Seconds())
}

func lavfiAudio(d time.Duration) []string { return mediatest.Tone(440, d.Seconds()) }

var vp8 = mediatest.Join(mediatest.VP8(), []string{"-b:v", "200k"})

// fixtures are made with real ffmpeg on first use. Each maker returns the
// ffmpeg arguments after the inputs, ending with the output path.
var fixtures = map[string]func(out string) []string{
	// What Chrome's MediaRecorder writes: VP8 + Opus, no duration in the
	// header (-live 1 leaves it out, as a recorder that never seeks must).
	"live.webm": func(out string) []string {
		return join(lavfiVideo("160x120", 2*time.Second), lavfiAudio(2*time.Second), vp8,
			[]string{"-c:a", "libopus", "-f", "webm", "-live", "1", out})
	},
	// A WebM with its duration in the header, 4 s so half of it is 2 s.
	"full.webm": func(out string) []string {
		return join(lavfiVideo("160x120", 4*time.Second), lavfiAudio(4*time.Second), vp8,
			[]string{"-c:a", "libopus", "-f", "webm", out})
	},
	// What Chromium writes when it records H.264: H.264 + Opus in Matroska.
	"h264-opus.mkv": func(out string) []string {
		return join(lavfiVideo("160x120", 2*time.Second), lavfiAudio(2*time.Second),
			[]string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-f", "matroska", out})
	},
	// H.264 that browsers cannot play as is: 4:4:4.
	"h264-444.mkv": func(out string) []string {
		return join(lavfiVideo("160x120", time.Second),
			[]string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-f", "matroska", out})
	},
	"h264-aac.mp4": func(out string) []string {
		return join(lavfiVideo("160x120", 2*time.Second), lavfiAudio(2*time.Second),
			[]string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4", out})
	},
	// Wider than a poster may be, and shorter than the poster's usual 1 s.
	"wide.mp4": func(out string) []string {
		return join(lavfiVideo("1920x1080", 600*time.Millisecond),
			[]string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4", out})
	},
	"odd.webm": func(out string) []string {
		return join(lavfiVideo("161x121", time.Second), lavfiAudio(time.Second), vp8,
			[]string{"-c:a", "libopus", "-f", "webm", out})
	},
	"noaudio.webm": func(out string) []string {
		return join(lavfiVideo("160x120", time.Second), vp8, []string{"-f", "webm", out})
	},
	"audioonly.webm": func(out string) []string {
		return join(lavfiAudio(time.Second), []string{"-c:a", "libopus", "-f", "webm", out})
	},
}

func join(parts ...[]string) []string { return mediatest.Join(parts...) }

var fixtureMu sync.Mutex

// fixture returns the path of a generated input (see fixtures), or of a
// derived one: "half:<name>" is the first half of the bytes of <name>.
func fixture(tb testing.TB, name string) string {
	tb.Helper()
	requireFFmpeg(tb)
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	return makeFixture(tb, name)
}

func makeFixture(tb testing.TB, name string) string {
	tb.Helper()
	out := filepath.Join(fixtureDir, strings.ReplaceAll(name, ":", "-"))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if base, ok := strings.CutPrefix(name, "half:"); ok {
		data, err := os.ReadFile(makeFixture(tb, base))
		if err != nil {
			tb.Fatal(err)
		}
		writeFile(tb, out, data[:len(data)/2])
		return out
	}
	maker, ok := fixtures[name]
	if !ok {
		tb.Fatalf("no fixture %q", name)
	}
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, maker(out+".tmp")...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("making fixture %s: ffmpeg %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// writeFile writes data to path.
func writeFile(tb testing.TB, path string, data []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ffprobeEntry asks ffprobe for one entry (e.g. "format=duration") of path,
// independently of the code under test.
func ffprobeEntry(tb testing.TB, path, entry string) string {
	tb.Helper()
	b, err := exec.Command("ffprobe", "-v", "error", "-show_entries", entry, "-of", "default=noprint_wrappers=1:nokey=1", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.TrimSpace(string(b))
}

// assertCode fails unless err carries the domain error code want (or is nil
// when want is "").
func assertCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := media.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

// helperEnv makes the test binary act as a child process for runner tests
// instead of running tests.
const helperEnv = "BATON_TRANSCODE_HELPER"

// helperProcess is a stubborn child: it ignores SIGTERM, and in "parent"
// mode starts a grandchild that does the same (and holds stdout open),
// printing the grandchild's pid. Only SIGKILL to the whole group ends both.
func helperProcess(mode string) {
	signal.Ignore(syscall.SIGTERM)
	if mode == "parent" {
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), helperEnv+"=child")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("child=%d\n", child.Process.Pid)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	os.Exit(3)
}

func mustDuration(tb testing.TB, s string) time.Duration {
	tb.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
