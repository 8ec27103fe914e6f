package transcode

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// liveInput describes a recording made the way a browser's MediaRecorder
// makes it: written front to back into a pipe, so the header states no
// duration and nothing was ever patched.
type liveInput struct {
	codec     string        // "h264" (Chromium asked for video/webm;codecs=h264,opus) or "vp8"
	size      string        // WxH
	seconds   float64       // length of the video
	audio     bool          // Opus sound, as long as the video
	keyframe  float64       // seconds between keyframes (H.264); Chromium can be asked for 1 or 2 s
	offset    float64       // timestamps start here rather than at 0 (-output_ts_offset)
	videoLate float64       // the video starts this long after the sound
	audioLate float64       // the sound starts this long after the video
	sync      bool          // black video and silence except a white flash with a 1 kHz beep at syncAt
	extra     []string      // more output options
	_         time.Duration // keeps the struct uncomparable by accident
}

// syncAt is when the sync fixtures flash and beep, in the recording's time.
const syncAt = 3.0

func (in liveInput) name() string {
	return fmt.Sprintf("live-%s-%s-%g-a%v-k%g-o%g-vl%g-al%g-s%v-%s", in.codec, in.size, in.seconds, in.audio,
		in.keyframe, in.offset, in.videoLate, in.audioLate, in.sync, strings.Join(in.extra, "_"))
}

// args are ffmpeg's arguments to make the recording on stdout.
func (in liveInput) args() []string {
	var args []string
	vsec := in.seconds - in.videoLate
	if in.videoLate > 0 {
		args = append(args, "-itsoffset", fmt.Sprint(in.videoLate))
	}
	if in.sync {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf(
			"color=c=black:s=%s:r=30:d=%g,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,%g,%g)'",
			in.size, vsec, syncAt-in.videoLate, syncAt-in.videoLate+0.2))
	} else {
		args = append(args, mediatest.TestSrc(in.size, 30, vsec)...)
	}
	if in.audio {
		asec := in.seconds - in.audioLate
		if in.audioLate > 0 {
			args = append(args, "-itsoffset", fmt.Sprint(in.audioLate))
		}
		if in.sync {
			args = append(args, "-f", "lavfi", "-i", fmt.Sprintf(
				"aevalsrc='if(between(t,%g,%g),0.5*sin(2*PI*1000*t),0)':s=48000:d=%g",
				syncAt-in.audioLate, syncAt-in.audioLate+0.2, asec))
		} else {
			args = append(args, mediatest.Tone(440, asec)...)
		}
	}
	// The size asked for (lavfi sources round odd sizes up to even), and
	// timestamps from a capture clock rather than a perfect rate.
	w, h, _ := strings.Cut(in.size, "x")
	args = append(args, "-vf", fmt.Sprintf("scale=%s:%s,setpts='PTS+0.004*sin(N)/TB'", w, h))
	switch in.codec {
	case "h264":
		// What Chromium's H.264 encoder makes: constrained baseline, no
		// B-frames, 4:2:0.
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
			"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%g)", in.keyframe))
	case "vp8":
		args = append(args, vp8...)
	}
	if in.audio {
		args = append(args, "-c:a", "libopus", "-b:a", "64k")
	}
	if in.offset > 0 {
		args = append(args, "-output_ts_offset", fmt.Sprint(in.offset))
	}
	args = append(args, in.extra...)
	format := "matroska"
	if in.codec == "vp8" {
		format = "webm"
	}
	return append(args, "-f", format, "pipe:1")
}

// bytes returns the recording, made with real ffmpeg once per test binary.
func (in liveInput) bytes(tb testing.TB) []byte {
	tb.Helper()
	requireFFmpeg(tb)
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	path := filepath.Join(fixtureDir, in.name())
	if b, err := os.ReadFile(path); err == nil {
		return b
	}
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, in.args()...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(in.seconds)*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		tb.Fatalf("making %s: ffmpeg %s: %v\n%s", in.name(), strings.Join(args, " "), err, stderr.String())
	}
	writeFile(tb, path, b)
	return b
}

// liveRun is what happened during one Live call.
type liveRun struct {
	res      *media.LiveResult
	err      error
	hlsDir   string
	mp4      string        // the bytes Live wrote to MP4, as a file
	segments []string      // names passed to OnSegment, in order
	early    int           // segments reported before the recording ended
	tail     time.Duration // from the end of the recording to Live's return
	returned time.Time     // when Live returned
	missing  []string      // segments reported before their file or playlist entry existed
}

// feedOptions say how the test plays the browser.
type feedOptions struct {
	chunk time.Duration // recording time per chunk; 1 s like MediaRecorder's timeslice
	pace  float64       // how much faster than real time the chunks arrive
	// holdLast keeps the last chunk back until a segment is reported (or
	// 20 s pass), so a slow machine cannot make "segments arrive while the
	// recording goes on" fail.
	holdLast bool
	// stopAfter, if not 0, sends only that many chunks and then goes quiet
	// without ending the recording, like a browser that froze.
	stopAfter int
	// onSegment, if set, is called with each OnSegment name too.
	onSegment func(name string)
	// maxDuration is the request's MaxDuration.
	maxDuration time.Duration
}

// live runs Live on data, sending it in chunks of about opt.chunk of
// recording each, opt.pace times faster than real time, as an upload would.
func live(t testing.TB, f *FFmpeg, ctx context.Context, data []byte, seconds float64, opt feedOptions) *liveRun {
	t.Helper()
	r := &liveRun{hlsDir: t.TempDir()}
	r.mp4 = filepath.Join(t.TempDir(), "live.mp4")
	mp4, err := os.Create(r.mp4)
	if err != nil {
		t.Fatal(err)
	}
	defer mp4.Close()

	pr, pw := io.Pipe()
	var mu sync.Mutex
	var ended bool
	var endedAt time.Time
	firstSegment := make(chan struct{})
	var once sync.Once
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		n := max(1, int(seconds/opt.chunk.Seconds()+0.5))
		pause := time.Duration(float64(opt.chunk) / opt.pace)
		for i := range n {
			if i == opt.stopAfter && i > 0 {
				return // quiet until the test closes the pipe
			}
			if i == n-1 && opt.holdLast {
				select {
				case <-firstSegment:
				case <-time.After(20 * time.Second):
				}
			}
			part := data[i*len(data)/n : (i+1)*len(data)/n]
			if _, err := pw.Write(part); err != nil {
				return // Live stopped reading
			}
			if i < n-1 {
				time.Sleep(pause)
			}
		}
		mu.Lock()
		ended, endedAt = true, time.Now()
		mu.Unlock()
		pw.Close()
	}()

	r.res, r.err = f.Live(ctx, media.LiveRequest{
		Input:       pr,
		HLSDir:      r.hlsDir,
		MP4:         mp4,
		MaxDuration: opt.maxDuration,
		OnSegment: func(name string) {
			mu.Lock()
			if !ended {
				r.early++
			}
			mu.Unlock()
			r.segments = append(r.segments, name)
			playlist, _ := os.ReadFile(filepath.Join(r.hlsDir, HLSPlaylistName))
			if _, err := os.Stat(filepath.Join(r.hlsDir, name)); err != nil || !bytes.Contains(playlist, []byte("\n"+name+"\n")) {
				r.missing = append(r.missing, name)
			}
			if _, err := os.Stat(filepath.Join(r.hlsDir, HLSInitName)); err != nil {
				r.missing = append(r.missing, HLSInitName)
			}
			once.Do(func() { close(firstSegment) })
			if opt.onSegment != nil {
				opt.onSegment(name)
			}
		},
	})
	done := time.Now()
	r.returned = done
	pr.CloseWithError(errors.New("test: Live returned")) // releases the feeder if Live stopped early
	<-fed
	mu.Lock()
	if ended {
		r.tail = done.Sub(endedAt)
	}
	mu.Unlock()
	return r
}

// verifyNoLeaks fails the test if it leaves goroutines behind.
func verifyNoLeaks(t testing.TB) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// liveFFmpeg is an FFmpeg whose temp files go to a directory the test
// checks is empty at the end.
func liveFFmpeg(t testing.TB, cfg Config) *FFmpeg {
	t.Helper()
	cfg.TempDir = t.TempDir()
	if os.Getenv("BATON_TEST_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f := MustNew(t, cfg)
	t.Cleanup(func() {
		if entries, _ := os.ReadDir(cfg.TempDir); len(entries) != 0 {
			t.Errorf("temp files left behind: %v", entries)
		}
	})
	return f
}

func TestLive(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name      string
		in        liveInput
		wantCopy  bool
		wantSize  string
		wantAudio string
	}{
		{
			name:     "h264 opus matroska is copied",
			in:       liveInput{codec: "h264", size: "640x360", seconds: 6, audio: true, keyframe: 1},
			wantCopy: true, wantSize: "640x360", wantAudio: "aac",
		},
		{
			name:     "vp8 opus webm with odd size, starting late, is re-encoded",
			in:       liveInput{codec: "vp8", size: "321x241", seconds: 6, audio: true, offset: 1.5},
			wantSize: "320x240", wantAudio: "aac",
		},
		{
			name:     "vp8 without sound",
			in:       liveInput{codec: "vp8", size: "320x240", seconds: 4},
			wantSize: "320x240",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			data := tt.in.bytes(t)
			r := live(t, f, context.Background(), data, tt.in.seconds, feedOptions{chunk: time.Second, pace: 8, holdLast: true})
			if r.err != nil {
				t.Fatal(r.err)
			}
			t.Logf("tail %v, %d segments, %d before the recording ended", r.tail.Round(time.Millisecond), len(r.segments), r.early)
			if got, want := r.res.VideoCopied, tt.wantCopy; got != want {
				t.Errorf("VideoCopied = %v, want %v", got, want)
			}
			assertLiveHLS(t, r)
			assertLiveMP4(t, r, tt.in.seconds, tt.wantSize, tt.wantAudio)
		})
	}
}

// Recordings made by Chromium's MediaRecorder itself (Chromium 156 headless,
// fake camera and microphone, 320 px wide, 5 s, timeslice 1 s,
// videoKeyFrameIntervalDuration 2000, videoBitsPerSecond 150000): unknown
// sizes for the Segment and every Cluster, the Opus track first, and H.264
// as an Annex B stream without CodecPrivate, unlike what ffmpeg writes.
var chromeRecordings = []struct {
	file     string
	wantCopy bool
}{
	{"testdata/chrome-h264-opus.mkv", true},
	{"testdata/chrome-vp8-opus.webm", false},
}

func TestLiveChromeRecordings(t *testing.T) {
	requireFFmpeg(t)
	for _, rec := range chromeRecordings {
		t.Run(filepath.Base(rec.file), func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			data := mustRead(t, rec.file)
			seconds := ffprobeSpan(t, data).Seconds()
			r := live(t, f, context.Background(), data, seconds, feedOptions{chunk: time.Second, pace: 4, holdLast: true})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got, want := r.res.VideoCopied, rec.wantCopy; got != want {
				t.Errorf("VideoCopied = %v, want %v", got, want)
			}
			assertLiveHLS(t, r)
			assertLiveMP4(t, r, seconds, "320x240", "aac")
		})
	}
}

// assertLiveHLS checks the playlist and segments Live left in HLSDir.
func assertLiveHLS(t *testing.T, r *liveRun) {
	t.Helper()
	if r.early == 0 {
		t.Errorf("no segment reported while the recording was still going (%d after)", len(r.segments))
	}
	if len(r.missing) > 0 {
		t.Errorf("reported before on disk and in the playlist: %v", r.missing)
	}
	playlist, err := os.ReadFile(filepath.Join(r.hlsDir, HLSPlaylistName))
	if err != nil {
		t.Fatal(err)
	}
	p := string(playlist)
	for _, tag := range []string{"#EXT-X-PLAYLIST-TYPE:EVENT", `#EXT-X-MAP:URI="init.mp4"`, "#EXT-X-ENDLIST"} {
		if !strings.Contains(p, tag) {
			t.Errorf("playlist lacks %s:\n%s", tag, p)
		}
	}
	var listed []string
	for line := range strings.Lines(p) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			listed = append(listed, line)
		}
	}
	if !slices.Equal(listed, r.segments) {
		t.Errorf("OnSegment got %v, playlist lists %v", r.segments, listed)
	}
	for i, name := range listed {
		if want := fmt.Sprintf("seg-%05d.m4s", i); name != want {
			t.Errorf("segment %d is %q, want %q", i, name, want)
		}
	}
	entries, _ := os.ReadDir(r.hlsDir)
	if got, want := len(entries), len(listed)+2; got != want {
		t.Errorf("HLSDir holds %d files, want %d segments + playlist + init: %v", got, len(listed), entries)
	}
}

// assertLiveMP4 checks the MP4 Live streamed, with ffprobe and ffmpeg
// directly rather than the code under test.
func assertLiveMP4(t *testing.T, r *liveRun, seconds float64, size, audio string) {
	t.Helper()
	info := r.res.Info
	if got := ffprobeEntry(t, r.mp4, "stream=codec_name"); got != strings.TrimSpace("h264\n"+audio) {
		t.Errorf("MP4 codecs = %q, want h264 %s", got, audio)
	}
	if got := strings.ReplaceAll(ffprobeEntry(t, r.mp4, "stream=width,height"), "\n", "x"); got != size {
		t.Errorf("MP4 size = %s, want %s", got, size)
	}
	d, err := strconv.ParseFloat(ffprobeEntry(t, r.mp4, "format=duration"), 64)
	if err != nil || d < seconds*0.95 || d > seconds*1.05 {
		t.Errorf("MP4 duration = %v (%v), want %g s within 5%%", d, err, seconds)
	}
	want := media.MediaInfo{Container: "mp4", Width: info.Width, Height: info.Height, VideoCodec: "h264", AudioCodec: audio,
		DurationMs: int64(d * 1000), FrameRate: info.FrameRate}
	if st, err := os.Stat(r.mp4); err != nil || st.Size() != info.SizeBytes {
		t.Errorf("SizeBytes = %d, file: %v %v", info.SizeBytes, st, err)
	}
	want.SizeBytes = info.SizeBytes
	if got := fmt.Sprint(info.Width, "x", info.Height); got != size {
		t.Errorf("Info size = %s, want %s", got, size)
	}
	if info != want {
		t.Errorf("Info = %+v, want %+v", info, want)
	}
	boxes := mp4Boxes(t, r.mp4)
	if len(boxes) < 4 || boxes[0] != "ftyp" || boxes[1] != "moov" || boxes[2] != "moof" || boxes[len(boxes)-1] != "mfra" {
		t.Errorf("MP4 boxes = %v, want ftyp moov moof ... mfra", boxes)
	}
	// Seeking: a frame decodes from the middle.
	jpg := filepath.Join(t.TempDir(), "mid.jpg")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-ss", fmt.Sprint(seconds/2), "-i", r.mp4, "-frames:v", "1", "-y", jpg)
	if out, err := cmd.CombinedOutput(); err != nil || !isJPEG(jpg) {
		t.Errorf("no frame from the middle of the MP4: %v %s", err, out)
	}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(time.Now().Format("15:04:05.000"), strings.TrimSpace(string(p)))
	return len(p), nil
}

// mp4Boxes lists the top-level boxes of the MP4 at path.
func mp4Boxes(tb testing.TB, path string) []string {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	var boxes []string
	var pos int64
	for {
		var hdr [16]byte
		if _, err := io.ReadFull(br, hdr[:8]); err != nil {
			return boxes
		}
		size, typ := int64(beUint(hdr[:4])), string(hdr[4:8])
		skip := size - 8
		if size == 1 {
			if _, err := io.ReadFull(br, hdr[8:16]); err != nil {
				return append(boxes, typ+"(truncated)")
			}
			size = int64(beUint(hdr[8:16]))
			skip = size - 16
		}
		if size < 8 || skip < 0 {
			return append(boxes, typ+"(bad size)")
		}
		boxes = append(boxes, typ)
		if _, err := br.Discard(int(skip)); err != nil {
			return append(boxes, "(truncated)")
		}
		pos += size
	}
}

// Sound and picture stay together, whichever of them the recorder started
// first: a white flash and a beep recorded at the same moment come out at
// the same moment, in the MP4 and in the HLS segments.
func TestLiveSync(t *testing.T) {
	requireFFmpeg(t)
	for _, in := range []liveInput{
		{codec: "h264", size: "320x240", seconds: 6, audio: true, keyframe: 1, sync: true, videoLate: 0.5},
		{codec: "vp8", size: "320x240", seconds: 6, audio: true, sync: true, audioLate: 0.5},
	} {
		t.Run(fmt.Sprintf("%s video late %g audio late %g", in.codec, in.videoLate, in.audioLate), func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			r := live(t, f, context.Background(), in.bytes(t), in.seconds, feedOptions{chunk: time.Second, pace: 8})
			if r.err != nil {
				t.Fatal(r.err)
			}
			hls := filepath.Join(t.TempDir(), "hls.mp4")
			var joined []byte
			for _, name := range append([]string{HLSInitName}, r.segments...) {
				b, err := os.ReadFile(filepath.Join(r.hlsDir, name))
				if err != nil {
					t.Fatal(err)
				}
				joined = append(joined, b...)
			}
			writeFile(t, hls, joined)
			for what, path := range map[string]string{"MP4": r.mp4, "HLS": hls} {
				flash, beep := flashTime(t, path), beepTime(t, path)
				t.Logf("%s: flash at %.3f s, beep at %.3f s", what, flash, beep)
				if d := flash - beep; d < -0.05 || d > 0.05 {
					t.Errorf("%s: flash at %.3f s, beep at %.3f s: out of sync by %.0f ms", what, flash, beep, d*1000)
				}
				if d := flash - syncAt; d < -0.1 || d > 0.1 {
					t.Errorf("%s: flash at %.3f s, want %.1f s", what, flash, syncAt)
				}
			}
		})
	}
}

// flashTime is when the video at path first turns white, in its own
// timestamps.
func flashTime(tb testing.TB, path string) float64 {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-copyts", "-i", path, "-map", "0:v:0",
		"-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-").Output()
	if err != nil {
		tb.Fatalf("flashTime: %v", err)
	}
	var pts string
	for line := range strings.Lines(string(out)) {
		if _, v, ok := strings.Cut(line, "pts_time:"); ok {
			pts = strings.TrimSpace(v)
		} else if _, v, ok := strings.Cut(line, "YAVG="); ok {
			if y, _ := strconv.ParseFloat(strings.TrimSpace(v), 64); y > 128 {
				t, err := strconv.ParseFloat(pts, 64)
				if err != nil {
					tb.Fatalf("flashTime: pts %q", pts)
				}
				return t
			}
		}
	}
	tb.Fatalf("flashTime: no white frame in %s", path)
	return 0
}

// beepTime is when the sound at path first rises above silence, in its own
// timestamps.
func beepTime(tb testing.TB, path string) float64 {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-copyts", "-i", path, "-map", "0:a:0",
		"-af", "silencedetect=n=-30dB:d=0.1", "-f", "null", "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("beepTime: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if _, v, ok := strings.Cut(line, "silence_end: "); ok {
			v, _, _ = strings.Cut(v, " ")
			t, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				tb.Fatalf("beepTime: %q", line)
			}
			return t
		}
	}
	tb.Fatalf("beepTime: no sound in %s", path)
	return 0
}

// What is left to do after the recording ends does not grow with its
// length: the time from the last byte to Live's return is about the same
// for 4 s and 16 s. Loose bounds: this is a sanity check, not a benchmark
// (see BenchmarkLiveTail).
func TestLiveTailTime(t *testing.T) {
	requireFFmpeg(t)
	var tails []time.Duration
	for _, seconds := range []float64{4, 16} {
		in := liveInput{codec: "h264", size: "320x240", seconds: seconds, audio: true, keyframe: 1}
		t.Run(fmt.Sprint(seconds, "s"), func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			r := live(t, f, context.Background(), in.bytes(t), seconds, feedOptions{chunk: time.Second, pace: 8})
			if r.err != nil {
				t.Fatal(r.err)
			}
			t.Logf("%g s recording: %v from its end to Live's return", seconds, r.tail.Round(time.Millisecond))
			if r.tail > 2*time.Second {
				t.Errorf("tail %v, want well under 2 s", r.tail)
			}
			if d := float64(r.res.Info.DurationMs) / 1000; d < seconds*0.95 || d > seconds*1.05 {
				t.Errorf("DurationMs = %d, want about %g s", r.res.Info.DurationMs, seconds)
			}
			tails = append(tails, r.tail)
		})
	}
	t.Logf("tails: %v", tails)
}

// Input Live must refuse is refused before any output, with the code the
// port promises, and leaves no process, goroutine or temp file behind.
func TestLiveRefuses(t *testing.T) {
	requireFFmpeg(t)
	h264 := liveInput{codec: "h264", size: "320x240", seconds: 8, audio: true, keyframe: 1}
	tests := []struct {
		name     string
		data     func(tb testing.TB) []byte
		cfg      Config
		wantCode string
		wantMsg  string
	}{
		{name: "text", data: func(testing.TB) []byte { return []byte(strings.Repeat("Meeting notes, nothing to see.\n", 100)) },
			wantCode: media.EUNSUPPORTED, wantMsg: "text file"},
		{name: "mp4", data: func(tb testing.TB) []byte { return mustRead(tb, fixture(tb, "h264-aac.mp4")) },
			wantCode: media.EUNSUPPORTED, wantMsg: "WebM or Matroska"},
		{name: "hls playlist", data: func(testing.TB) []byte { return []byte("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n") },
			wantCode: media.EUNSUPPORTED, wantMsg: "HLS playlist"},
		{name: "empty", data: func(testing.TB) []byte { return nil },
			wantCode: media.EINVALID, wantMsg: "empty"},
		{name: "EBML magic then garbage", data: func(testing.TB) []byte { return []byte("\x1a\x45\xdf\xa3 this is not matroska at all") },
			wantCode: media.EINVALID, wantMsg: "not valid WebM"},
		{name: "audio only", data: func(tb testing.TB) []byte { return mustRead(tb, fixture(tb, "audioonly.webm")) },
			wantCode: media.EUNSUPPORTED, wantMsg: "no video"},
		{name: "stopped before the first frame", data: func(tb testing.TB) []byte {
			b := h264.bytes(tb)
			return b[:bytes.Index(b, []byte{0x1f, 0x43, 0xb6, 0x75})] // up to the first Cluster
		}, wantCode: media.EINVALID, wantMsg: "no frames"},
		{name: "cut short, with a duration header", data: func(tb testing.TB) []byte { return mustRead(tb, fixture(tb, "half:full.webm")) },
			wantCode: media.EINVALID, wantMsg: "cut short"},
		{name: "over MaxPixels", data: h264.bytes, cfg: Config{MaxPixels: 100 * 100},
			wantCode: media.ETOOLARGE, wantMsg: "320x240"},
		{name: "over MaxDuration", data: h264.bytes, cfg: Config{MaxDuration: 3 * time.Second},
			wantCode: media.ETOOLARGE, wantMsg: "longer than 3.0 seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, tt.cfg)
			r := live(t, f, context.Background(), tt.data(t), 8, feedOptions{chunk: time.Second, pace: 100})
			assertCode(t, r.err, tt.wantCode)
			if msg := media.ErrorMessage(r.err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if r.res != nil {
				t.Errorf("result %+v with an error", r.res)
			}
		})
	}
}

// A recording whose upload breaks off fails with the upload's error.
func TestLiveInputError(t *testing.T) {
	verifyNoLeaks(t)
	f := liveFFmpeg(t, Config{})
	data := liveInput{codec: "h264", size: "320x240", seconds: 8, audio: true, keyframe: 1}.bytes(t)
	broken := errors.New("connection reset")
	pr, pw := io.Pipe()
	go func() {
		pw.Write(data[:len(data)/2])
		pw.CloseWithError(broken)
	}()
	res, err := f.Live(context.Background(), media.LiveRequest{Input: pr, HLSDir: t.TempDir(), MP4: io.Discard})
	if !errors.Is(err, broken) || res != nil {
		t.Fatalf("Live = %v, %v; want the upload's error", res, err)
	}
}

func TestLiveRequiresFields(t *testing.T) {
	f := liveFFmpeg(t, Config{})
	for _, req := range []media.LiveRequest{
		{HLSDir: t.TempDir(), MP4: io.Discard},
		{Input: strings.NewReader(""), MP4: io.Discard},
		{Input: strings.NewReader(""), HLSDir: t.TempDir()},
	} {
		if _, err := f.Live(context.Background(), req); err == nil {
			t.Errorf("Live(%+v) accepted", req)
		}
	}
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Poster takes its frame from about the time asked, clamped into the video,
// from the fragmented MP4 Live made.
func TestLivePoster(t *testing.T) {
	verifyNoLeaks(t)
	f := liveFFmpeg(t, Config{})
	in := liveInput{codec: "h264", size: "320x240", seconds: 6, audio: true, keyframe: 1, sync: true, videoLate: 0.5} // as in TestLiveSync
	r := live(t, f, context.Background(), in.bytes(t), in.seconds, feedOptions{chunk: time.Second, pace: 8})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, tt := range []struct {
		atMs  int64
		white bool
	}{
		{1000, false},
		{syncAt*1000 + 100, true}, // during the flash
		{-5, false},
		{1 << 62, false}, // past the end: the last frames
	} {
		out := filepath.Join(t.TempDir(), "poster.jpg")
		if err := f.Poster(context.Background(), r.mp4, out, tt.atMs); err != nil {
			t.Fatalf("Poster(%d): %v", tt.atMs, err)
		}
		assertPosterSize(t, out, "320x240")
		if white := flashTimeOrNone(t, out); white != tt.white {
			t.Errorf("Poster(%d) white = %v, want %v", tt.atMs, white, tt.white)
		}
	}
}

// flashTimeOrNone reports whether the image at path is mostly white.
func flashTimeOrNone(tb testing.TB, path string) bool {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path,
		"-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-").Output()
	if err != nil {
		tb.Fatal(err)
	}
	_, v, _ := strings.Cut(string(out), "YAVG=")
	y, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return y > 128
}

// Poster scales to at most 1280 wide and even dimensions, from any input
// Baton accepts.
func TestPosterSizes(t *testing.T) {
	f := MustNew(t, Config{})
	dir := t.TempDir()
	for _, tt := range []struct{ fixture, size string }{
		{"wide.mp4", "1280x720"},
		{"odd.webm", "160x120"},
	} {
		out := filepath.Join(t.TempDir(), "poster.jpg")
		if err := f.Poster(context.Background(), fixture(t, tt.fixture), out, 500); err != nil {
			t.Fatal(err)
		}
		assertPosterSize(t, out, tt.size)
	}
	err := f.Poster(context.Background(), writeFile(t, filepath.Join(dir, "notes.mp4"), []byte("hello\n")), filepath.Join(dir, "x.jpg"), 0)
	assertCode(t, err, media.EUNSUPPORTED)
}

// Every command that reads a live recording forces the demuxer and allows
// only the pipe, before its input; the run encodes once for both outputs.
func TestLiveArgsGuardInput(t *testing.T) {
	for name, args := range map[string][]string{
		"probe":    liveProbeArgs(1000),
		"copy":     liveArgs(livePlan{MaxPixels: 1000, Audio: 1, CopyVideo: true, MaxTime: time.Hour}),
		"reencode": liveArgs(livePlan{MaxPixels: 1000, Audio: 1, MaxTime: time.Hour}),
	} {
		input := slices.Index(args, "pipe:0")
		if input < 0 || slices.Contains(args, "-nostdin") {
			t.Errorf("%s: want pipe:0 as the input and stdin enabled: %q", name, args)
			continue
		}
		for _, pair := range [][2]string{
			{"-f", "matroska"},
			{"-format_whitelist", "matroska"},
			{"-protocol_whitelist", "pipe"},
			{"-max_pixels", "1000"},
		} {
			i := slices.Index(args, pair[0])
			if i < 0 || i+1 >= len(args) || args[i+1] != pair[1] || i > input {
				t.Errorf("%s: want %s %s before the input: %q", name, pair[0], pair[1], args)
			}
		}
		if name == "probe" {
			continue
		}
		var outputs, encoders int
		for i, a := range args {
			if a == "-f" && i > input {
				outputs++
			}
			if a == "-c:v" {
				encoders++
			}
		}
		if outputs != 1 || encoders != 1 {
			t.Errorf("%s: %d outputs and %d video codecs, want one of each (the tee muxer): %q", name, outputs, encoders, args)
		}
	}
}

// The tee muxer's specification is built from constants; none of them may
// hold a character its syntax gives a meaning to, or the specification
// would need escaping (twice: once for the slave list, once for options).
func TestLiveTeeNeedsNoEscaping(t *testing.T) {
	for _, o := range slices.Concat(liveHLSOptions, liveMP4Options) {
		if strings.ContainsAny(o.key+o.value, `:|[]\'"`) {
			t.Errorf("tee option %s=%s needs escaping", o.key, o.value)
		}
	}
	for _, name := range []string{HLSPlaylistName, HLSInitName, hlsSegmentPattern} {
		if strings.ContainsAny(name, `:|[]\'"/`) {
			t.Errorf("file name %q needs escaping", name)
		}
	}
	if got := strings.Count(liveTee(), "|"); got != 1 {
		t.Errorf("tee %q has %d separators, want 1", liveTee(), got)
	}
}

// BenchmarkLiveTail measures what is left after a recording ends: the time
// from its last byte to Live's return, for recordings of several lengths
// sent in 1 s chunks faster than real time (H.264 is copied, so ffmpeg
// keeps up at any pace). Made for scripts, run it alone and once:
//
//	go test ./transcode -run '^$' -bench LiveTail -benchtime 1x -timeout 1h
//
// BATON_LIVE_BENCH_MINUTES (default "1,5,15"), BATON_LIVE_BENCH_SIZE
// (default 1280x720), BATON_LIVE_BENCH_CODEC (h264 or vp8; vp8 is
// re-encoded, so it is sent in real time: the encoder cannot run ahead of
// the recording) and BATON_LIVE_BENCH_PACE (default 30, or 1 for vp8)
// change it. Inputs are made with ffmpeg first, which takes a while.
func BenchmarkLiveTail(b *testing.B) {
	requireFFmpeg(b)
	minutes := cmp.Or(os.Getenv("BATON_LIVE_BENCH_MINUTES"), "1,5,15")
	size := cmp.Or(os.Getenv("BATON_LIVE_BENCH_SIZE"), "1280x720")
	codec := cmp.Or(os.Getenv("BATON_LIVE_BENCH_CODEC"), "h264")
	pace := 30.0
	if codec == "vp8" {
		pace = 1
	}
	if p, err := strconv.ParseFloat(os.Getenv("BATON_LIVE_BENCH_PACE"), 64); err == nil && p > 0 {
		pace = p
	}
	for m := range strings.SplitSeq(minutes, ",") {
		mins, err := strconv.ParseFloat(strings.TrimSpace(m), 64)
		if err != nil {
			b.Fatalf("BATON_LIVE_BENCH_MINUTES: %v", err)
		}
		in := liveInput{codec: codec, size: size, seconds: mins * 60, audio: true, keyframe: 2,
			// About what Chromium's encoder makes of a 720p screen.
			extra: []string{"-b:v", "2500k"}}
		b.Run(fmt.Sprintf("%s-%gmin", codec, mins), func(b *testing.B) {
			data := in.bytes(b)
			f := liveFFmpeg(b, Config{})
			b.ResetTimer()
			for range b.N {
				r := live(b, f, context.Background(), data, in.seconds, feedOptions{chunk: time.Second, pace: pace})
				if r.err != nil {
					b.Fatal(r.err)
				}
				b.ReportMetric(float64(r.tail.Milliseconds()), "tail-ms")
				b.ReportMetric(float64(len(r.segments)), "segments")
				b.ReportMetric(float64(r.res.Info.SizeBytes)/1e6, "MB")
				b.Logf("%s: %d MB in, %v tail, %d segments, %d ms long", in.name(), len(data)>>20, r.tail.Round(time.Millisecond), len(r.segments), r.res.Info.DurationMs)
			}
		})
	}
}
