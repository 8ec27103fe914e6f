package transcode

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGoldenArgs pins every command line the package builds. After a
// deliberate change: go test ./transcode -run Golden -update, then review
// the diff of testdata/*.golden like code.
func TestGoldenArgs(t *testing.T) {
	webm := inputSpec{Path: "/data/videos/0192/original", Container: ContainerMatroska, MaxPixels: 10433536}
	mov := inputSpec{Path: "/data/videos/0192/original", Container: ContainerMP4, MaxPixels: 10433536}
	out := inputSpec{Path: "/tmp/out/video.mp4", Container: ContainerMP4, MaxPixels: 10433536}
	tests := []struct {
		name string
		args []string
	}{
		{"probe_matroska", probeArgs(webm)},
		{"probe_mp4", probeArgs(mov)},
		{"scan_duration", scanArgs(webm, 0, 1, 4*time.Hour+time.Second)},
		{"scan_duration_video_only", scanArgs(webm, 0, -1, time.Hour)},
		{"transcode_reencode", transcodeArgs(transcodePlan{
			In: webm, Video: 0, Audio: 1, Out: "/tmp/out/video.mp4",
			MaxTime: 61 * time.Second, MaxBytes: 400_000_000,
		})},
		{"transcode_remux", transcodeArgs(transcodePlan{
			In: webm, Video: 1, Audio: 0, CopyVideo: true, Out: "/tmp/out/video.mp4",
			MaxTime: 61 * time.Second, MaxBytes: 400_000_000,
		})},
		{"transcode_mov_video_only_threads", transcodeArgs(transcodePlan{
			In: mov, Video: 0, Audio: -1, Out: "/tmp/out/video.mp4",
			MaxTime: 10*time.Second + 500*time.Millisecond, MaxBytes: 100_000_000, Threads: 2,
		})},
		{"poster", posterArgs(out, 0, time.Second, "/tmp/out/poster.jpg")},
		{"live_probe", liveProbeArgs(10433536)},
		{"live_copy", liveArgs(livePlan{MaxPixels: 10433536, Video: 0, Audio: 1, CopyVideo: true, MaxTime: 4*time.Hour + time.Second})},
		{"live_reencode", liveArgs(livePlan{MaxPixels: 10433536, Video: 0, Audio: 1, MaxTime: 4*time.Hour + time.Second})},
		{"live_reencode_video_only_threads", liveArgs(livePlan{MaxPixels: 10433536, Video: 0, Audio: -1, MaxTime: time.Hour, Threads: 2})},
		{"faststart", faststartArgs(out, "/tmp/out/faststart.mp4")},
		{"version", versionArgs()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.args, "\n") + "\n"
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run with -update if intended):\ngot:\n%s\nwant:\n%s", tt.name, path, got, want)
			}
		})
	}
}

// Building the same command twice gives the same arguments: ffmpeg-go walks
// maps, and the golden files are only worth something if it is stable.
func TestArgsDeterministic(t *testing.T) {
	plan := transcodePlan{
		In:  inputSpec{Path: "/in", Container: ContainerMatroska, MaxPixels: 1000},
		Out: "/out.mp4", Video: 0, Audio: 1, MaxTime: time.Second, MaxBytes: 1000,
	}
	first := transcodeArgs(plan)
	for range 20 {
		if got := transcodeArgs(plan); !slices.Equal(got, first) {
			t.Fatalf("args changed between builds:\n%q\n%q", first, got)
		}
	}
}

// Every input option that guards against hostile files is present, in
// front of the input, on every command that reads an upload.
func TestArgsGuardInputs(t *testing.T) {
	in := inputSpec{Path: "/in/-evil name.webm", Container: ContainerMatroska, MaxPixels: 1000}
	for name, args := range map[string][]string{
		"probe":     probeArgs(in),
		"scan":      scanArgs(in, 0, 1, time.Hour),
		"transcode": transcodeArgs(transcodePlan{In: in, Out: "/out.mp4", Audio: 1, MaxTime: time.Second, MaxBytes: 1}),
	} {
		input := slices.Index(args, "file:/in/-evil name.webm")
		if input < 0 {
			t.Errorf("%s: input not named as file:<absolute path>: %q", name, args)
			continue
		}
		for _, pair := range [][2]string{
			{"-f", "matroska"},
			{"-format_whitelist", "matroska"},
			{"-protocol_whitelist", "file"},
			{"-max_pixels", "1000"},
		} {
			i := slices.Index(args, pair[0])
			if i < 0 || i+1 >= len(args) || args[i+1] != pair[1] || i > input {
				t.Errorf("%s: want %s %s before the input: %q", name, pair[0], pair[1], args)
			}
		}
	}
}
