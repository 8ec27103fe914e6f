package transcode

import (
	"context"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestGoldenRecordArgs pins the written record's command lines (see
// TestGoldenArgs for how to update them).
func TestGoldenRecordArgs(t *testing.T) {
	mp4 := inputSpec{Path: "/tmp/job-1/video.mp4", Container: ContainerMP4, MaxPixels: 10433536}
	keep := []media.Span{{StartMs: 0, EndMs: 10000}, {StartMs: 20000, EndMs: 60000}}
	tests := []struct {
		name string
		args []string
	}{
		{"audio_wav", audioArgs(mp4, 1, "/tmp/job-1/audio.wav")},
		{"sprite", spriteArgs(mp4, 0, 2*time.Second, 160, 90, 10, 3, true, "/tmp/job-1/sprite.jpg")},
		{"cut", cutArgs(mp4, 0, 1, keep, 0, "/tmp/job-1/cut.mp4")},
		{"cut_video_only_threads", cutArgs(mp4, 0, -1, keep[1:], 2, "/tmp/job-1/cut.mp4")},
		{"cut_keyframes", keyframeArgs(mp4, 0)},
		{"cut_copy", cutSegmentArgs(mp4, 0, []time.Duration{10 * time.Second, 22 * time.Second}, "/tmp/job-1/cut-1")},
		{"cut_encode", cutPieceArgs(mp4, 0, cutPiece{From: 20300 * time.Millisecond, To: 22 * time.Second, Seek: 20 * time.Second},
			x264Match{Profile: "high", Level: 40, BFrames: 3, SPSID: 1}, 2, "/tmp/job-1/cut-1/encode00002.ts")},
		{"cut_audio", cutAudioArgs(mp4, 1, keep, "/tmp/job-1/cut-1/audio.m4a")},
		{"cut_headers", cutHeadersArgs("/tmp/job-1/cut-1/encode00002.ts", "/tmp/job-1/cut-1/headers00002.h264")},
		{"cut_join", cutJoinArgs("/tmp/job-1/cut-1/pieces.ffconcat", "/tmp/job-1/cut-1/audio.m4a", "/tmp/job-1/cut.mp4")},
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
				t.Fatalf("args changed:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// recordMP4 makes an H.264/AAC MP4 of d (with sound unless silent).
func recordMP4(tb testing.TB, dir string, d time.Duration, silent bool) string {
	tb.Helper()
	out := filepath.Join(dir, "video.mp4")
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=" + seconds(d)}
	if !silent {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:duration="+seconds(d))
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p")
	if !silent {
		args = append(args, "-c:a", "aac", "-shortest")
	}
	args = append(args, "-movflags", "+faststart", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("make mp4: %v\n%s", err, b)
	}
	return out
}

func TestExtractAudio(t *testing.T) {
	f := MustNew(t, Config{})
	dir := t.TempDir()
	in := recordMP4(t, dir, 3*time.Second, false)
	out := filepath.Join(dir, "audio.wav")
	if err := f.ExtractAudio(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file (%v)", err)
	}
	channels, rate, bits := binary.LittleEndian.Uint16(b[22:]), binary.LittleEndian.Uint32(b[24:]), binary.LittleEndian.Uint16(b[34:])
	if channels != 1 || rate != 16000 || bits != 16 {
		t.Fatalf("WAV is %d ch, %d Hz, %d bit; want mono 16 kHz 16-bit", channels, rate, bits)
	}
	if secs := float64(len(b)-44) / 32000; secs < 2.9 || secs > 3.1 {
		t.Fatalf("WAV holds %.2fs, want 3s", secs)
	}
	silent := recordMP4(t, t.TempDir(), 2*time.Second, true)
	err = f.ExtractAudio(context.Background(), silent, filepath.Join(dir, "none.wav"))
	if !errors.Is(err, media.ErrNoAudio) {
		t.Fatalf("silent video: %v, want ErrNoAudio", err)
	}
}

func TestSprite(t *testing.T) {
	f := MustNew(t, Config{})
	dir := t.TempDir()
	in := recordMP4(t, dir, 25*time.Second, true)
	out := filepath.Join(dir, "sprite.jpg")
	sheet, err := f.Sprite(context.Background(), in, out, 25000)
	if err != nil {
		t.Fatal(err)
	}
	if sheet.IntervalMs != 2000 || sheet.Count != 13 || sheet.Columns != 10 || sheet.TileWidth != 160 || sheet.TileHeight != 90 {
		t.Fatalf("sheet = %+v", sheet)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cfg, err := jpeg.DecodeConfig(fh)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1600 || cfg.Height != 180 {
		t.Fatalf("sprite is %dx%d, want 1600x180 (10 x 2 tiles of 160x90)", cfg.Width, cfg.Height)
	}
	vtt := media.ThumbsVTT(sheet, "/media/x/thumbs.jpg")
	if n, err := media.ValidateVTT(vtt); err != nil || n != 13 {
		t.Fatalf("thumbs track: %d cues, %v\n%s", n, err, vtt)
	}
}

// A short H.264 clip with one keyframe (libx264's default GOP is 250
// frames) still gets its sprite: the keyframes-only pass yields nothing,
// the pass over every frame does.
func TestSpriteOneKeyframe(t *testing.T) {
	f := MustNew(t, Config{})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.mp4")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("480x270", 15, 10.6), mediatest.Tone(330, 10.6),
		mediatest.H264(), []string{"-c:a", "aac", in})...)
	out := filepath.Join(dir, "sprite.jpg")
	sheet, err := f.Sprite(context.Background(), in, out, 10600)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cfg, err := jpeg.DecodeConfig(fh)
	if err != nil {
		t.Fatal(err)
	}
	if sheet.Count != 6 || cfg.Width != 6*sheet.TileWidth || cfg.Height != sheet.TileHeight {
		t.Fatalf("sheet %+v, sprite %dx%d", sheet, cfg.Width, cfg.Height)
	}
}

// TestCut removes 10-20 s of a 60 s video: the result is 50 s within one
// frame, and what was at 25 s is now at 15 s.
func TestCut(t *testing.T) {
	f := MustNew(t, Config{})
	dir := t.TempDir()
	in := recordMP4(t, dir, 60*time.Second, false)
	out := filepath.Join(dir, "cut.mp4")
	keep := media.KeptSpans([]media.Cut{{StartMs: 10000, EndMs: 20000}}, 60000)
	info, err := f.Cut(context.Background(), in, out, keep)
	if err != nil {
		t.Fatal(err)
	}
	frame := time.Second / 30
	got := mustDuration(t, ffprobeEntry(t, out, "format=duration")+"s")
	if d := got - 50*time.Second; d > frame || d < -frame {
		t.Fatalf("cut video lasts %v, want 50s within one frame (%v)", got, frame)
	}
	if info.DurationMs < 49966 || info.DurationMs > 50034 {
		t.Fatalf("info.DurationMs = %d", info.DurationMs)
	}
	if info.AudioCodec != "aac" || info.VideoCodec != "h264" {
		t.Fatalf("codecs %s/%s", info.VideoCodec, info.AudioCodec)
	}
	if _, err := f.Cut(context.Background(), filepath.Join(dir, "missing.mp4"), out, keep); err == nil {
		t.Fatal("cut of a missing file succeeded")
	}
}
