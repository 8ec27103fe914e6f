package transcode

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// storedMP4 makes a 60 s 320x180 30 fps MP4 the way Process stores an
// uploaded file (x264 veryfast, High profile, B-frames, a keyframe every
// 2 s, AAC), with a white flash and a beep together at each of marks.
// gop 0 leaves a single keyframe at the start. profile "baseline" is
// what Chromium's H.264 recordings are (no B-frames), copied as stored.
func storedMP4(tb testing.TB, dir, profile string, gop int, marks ...float64) string {
	tb.Helper()
	return storedMP4With(tb, dir, profile, profile, gop, nil, marks...)
}

// storedMP4With is storedMP4 written to name.mp4 with extra x264 options.
func storedMP4With(tb testing.TB, dir, name, profile string, gop int, extra []string, marks ...float64) string {
	tb.Helper()
	var flash, beep []string
	for _, m := range marks {
		flash = append(flash, "drawbox=enable='between(t,"+strconv.FormatFloat(m, 'f', 3, 64)+","+strconv.FormatFloat(m+0.2, 'f', 3, 64)+")':color=white:t=fill")
		beep = append(beep, "between(t,"+strconv.FormatFloat(m, 'f', 3, 64)+","+strconv.FormatFloat(m+0.2, 'f', 3, 64)+")")
	}
	vsrc := "testsrc2=size=320x180:rate=30:duration=60"
	if len(flash) > 0 {
		vsrc += "," + strings.Join(flash, ",")
	}
	asrc := "aevalsrc=0.5*sin(2*PI*440*t):s=48000:d=60"
	if len(beep) > 0 {
		asrc = "aevalsrc='0.5*sin(2*PI*440*t)*(" + strings.Join(beep, "+") + ")':s=48000:d=60"
	}
	keys := []string{"-force_key_frames", "expr:gte(t,n_forced*2)"}
	if gop == 0 {
		keys = []string{"-g", "100000", "-sc_threshold", "0"}
	}
	out := filepath.Join(dir, name+".mp4")
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", vsrc, "-f", "lavfi", "-i", asrc,
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", profile, "-pix_fmt", "yuv420p"},
		keys...)
	args = append(append(args, extra...), "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("make mp4: %v\n%s", err, b)
	}
	return out
}

// packetHashes are the MD5s of the video packets of path with parameter
// sets, SEI and delimiters left out: what a copy keeps byte for byte.
func packetHashes(tb testing.TB, path string) []string {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
		"-bsf:v", "filter_units=remove_types=6|7|8|9", "-f", "framemd5", "-").Output()
	if err != nil {
		tb.Fatalf("framemd5 %s: %v", path, err)
	}
	var hs []string
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		hs = append(hs, strings.TrimSpace(f[len(f)-1]))
	}
	return hs
}

// copiedShare is the share of out's video packets found byte for byte in
// src's.
func copiedShare(tb testing.TB, src, out string) float64 {
	tb.Helper()
	have := map[string]bool{}
	for _, h := range packetHashes(tb, src) {
		have[h] = true
	}
	got := packetHashes(tb, out)
	n := 0
	for _, h := range got {
		if have[h] {
			n++
		}
	}
	return float64(n) / float64(len(got))
}

// decodeErrors is what a full decode of path prints at -v error: nothing
// for a valid file.
func decodeErrors(tb testing.TB, path string) string {
	tb.Helper()
	out, _ := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	return string(out)
}

// onsets are the times path's picture turns white and its sound starts,
// before end (silencedetect also ends a silence at the end of the file).
func onsets(tb testing.TB, path string, end float64) (flashes, beeps []float64) {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
		"-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-").Output()
	if err != nil {
		tb.Fatalf("onsets: %v", err)
	}
	var pts float64
	white := false
	for line := range strings.Lines(string(out)) {
		if _, v, ok := strings.Cut(line, "pts_time:"); ok {
			pts, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		} else if _, v, ok := strings.Cut(line, "YAVG="); ok {
			y, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if y > 128 && !white {
				flashes = append(flashes, pts)
			}
			white = y > 128
		}
	}
	b, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0",
		"-af", "silencedetect=n=-30dB:d=0.1", "-f", "null", "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("onsets: %v\n%s", err, b)
	}
	for line := range strings.Lines(string(b)) {
		if _, v, ok := strings.Cut(line, "silence_end: "); ok {
			v, _, _ = strings.Cut(v, " ")
			if t, _ := strconv.ParseFloat(strings.TrimSpace(v), 64); t < end-0.1 {
				beeps = append(beeps, t)
			}
		}
	}
	return flashes, beeps
}

// logBuffer collects a logger's lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func loggedFFmpeg(t *testing.T) (*FFmpeg, *logBuffer) {
	logs := &logBuffer{}
	return MustNew(t, Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}), logs
}

// TestSmartCut cuts stored videos and checks each result decodes without a
// single error, lasts what was kept within a frame, keeps flashes and
// beeps together where the new timeline puts them, and was made by
// copying: most of its video packets are the stored ones byte for byte,
// which a re-encode (the old way, and the fallback) never gives.
func TestSmartCut(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	// Marks in a piece copied after an encoded tail, in an encoded head,
	// in a copied middle, and in the last copied piece.
	marks := []float64{5.0, 21.0, 31.0, 58.5}
	high, baseline := storedMP4(t, dir, "high", 2, marks...), storedMP4(t, dir, "baseline", 2, marks...)
	frame := time.Second / 30
	for _, tt := range []struct {
		name string
		src  string
		cuts []media.Cut
	}{
		{"one cut", high, []media.Cut{{StartMs: 10500, EndMs: 20300}}},
		{"start, middle and end", high, []media.Cut{{StartMs: 0, EndMs: 3200}, {StartMs: 15100, EndMs: 20700}, {StartMs: 40000, EndMs: 41050}, {StartMs: 59500, EndMs: 60000}}},
		{"at keyframes", high, []media.Cut{{StartMs: 10000, EndMs: 20000}, {StartMs: 44000, EndMs: 46000}}},
		{"baseline", baseline, []media.Cut{{StartMs: 10500, EndMs: 20300}, {StartMs: 33300, EndMs: 40100}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, logs := loggedFFmpeg(t)
			keep := media.KeptSpans(tt.cuts, 60000)
			out := filepath.Join(t.TempDir(), "cut.mp4")
			src := tt.src
			info, err := f.Cut(context.Background(), src, out, keep)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "path=copy") {
				t.Fatalf("not cut by copying:\n%s", logs)
			}
			if e := decodeErrors(t, out); e != "" {
				t.Fatalf("decoding the cut prints errors:\n%s", e)
			}
			// The sample entry names the stored stream's parameter sets
			// and, when something was encoded, the encoder's.
			c, err := readAVCConfig(out)
			wantIDs := []int{0, 1}
			if tt.name == "at keyframes" {
				wantIDs = []int{0}
			}
			if err != nil || !slices.Equal(c.SPSIDs, wantIDs) || !slices.Equal(c.PPSIDs, wantIDs) {
				t.Fatalf("avcC = %+v, %v; want SPS and PPS %v", c, err, wantIDs)
			}
			var want time.Duration
			for _, s := range keep {
				want += time.Duration(s.EndMs-s.StartMs) * time.Millisecond
			}
			got := mustDuration(t, ffprobeEntry(t, out, "format=duration")+"s")
			if d := got - want; d > frame || d < -frame {
				t.Fatalf("cut lasts %v, want %v within a frame", got, want)
			}
			if d := time.Duration(info.DurationMs)*time.Millisecond - want; d > frame || d < -frame {
				t.Fatalf("info.DurationMs = %d, want %v", info.DurationMs, want)
			}
			if share := copiedShare(t, src, out); share < 0.75 {
				t.Fatalf("%.0f%% of the video packets are the stored ones, want most", share*100)
			}
			var wantMarks []float64
			for _, m := range marks {
				if at, removed := media.MapForward(tt.cuts, int64(m*1000)); !removed {
					wantMarks = append(wantMarks, float64(at)/1000)
				}
			}
			flashes, beeps := onsets(t, out, got.Seconds())
			if len(flashes) != len(wantMarks) || len(beeps) != len(wantMarks) {
				t.Fatalf("flashes at %v and beeps at %v, want both at %v", flashes, beeps, wantMarks)
			}
			for i, w := range wantMarks {
				if d := flashes[i] - w; d < -0.034 || d > 0.034 {
					t.Errorf("flash at %.3f s, want %.3f s", flashes[i], w)
				}
				if d := flashes[i] - beeps[i]; d < -0.05 || d > 0.05 {
					t.Errorf("flash at %.3f s, beep at %.3f s: out of sync", flashes[i], beeps[i])
				}
			}
		})
	}
}

// TestCutFallsBackToReencode: with a single keyframe at the start nothing
// after it can be copied, so the whole kept part is encoded, frame-exact,
// and the log says why.
func TestCutFallsBackToReencode(t *testing.T) {
	f, logs := loggedFFmpeg(t)
	dir := t.TempDir()
	src := storedMP4(t, dir, "high", 0)
	out := filepath.Join(dir, "cut.mp4")
	keep := media.KeptSpans([]media.Cut{{StartMs: 0, EndMs: 5000}}, 60000)
	if _, err := f.Cut(context.Background(), src, out, keep); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "path=reencode") || !strings.Contains(l, errNoCopy.Error()) {
		t.Fatalf("log does not say the cut was re-encoded and why:\n%s", l)
	}
	if e := decodeErrors(t, out); e != "" {
		t.Fatalf("decoding the cut prints errors:\n%s", e)
	}
	got := mustDuration(t, ffprobeEntry(t, out, "format=duration")+"s")
	if d := got - 55*time.Second; d > time.Second/30 || d < -time.Second/30 {
		t.Fatalf("cut lasts %v, want 55s", got)
	}
	if share := copiedShare(t, src, out); share > 0.01 {
		t.Fatalf("%.0f%% of a re-encoded cut's packets are the stored ones", share*100)
	}
}

// TestCutOpenGOP: a stream whose keyframes after the first are I-frames
// but not IDR (an open GOP: the B-frames after each refer to the GOP
// before it, which a copied piece does not carry) cannot be copied from
// those keyframes, so the cut is re-encoded, decodes clean, and the log
// says why.
func TestCutOpenGOP(t *testing.T) {
	requireFFmpeg(t)
	f, logs := loggedFFmpeg(t)
	dir := t.TempDir()
	src := storedMP4With(t, dir, "open", "high", 2, []string{"-x264-params", "open-gop=1"})
	// The source is what the test means: keyframes every 2 s, of which
	// only the first is an IDR.
	if kf := strings.Count(ffprobeKeyframes(t, src), "K"); kf < 20 {
		t.Fatalf("%d keyframes, want one every 2 s", kf)
	}
	if idr := idrCount(t, src); idr != 1 {
		t.Fatalf("%d IDR frames, want 1 (an open GOP)", idr)
	}
	out := filepath.Join(dir, "cut.mp4")
	keep := media.KeptSpans([]media.Cut{{StartMs: 10000, EndMs: 20000}}, 60000)
	if _, err := f.Cut(context.Background(), src, out, keep); err != nil {
		t.Fatal(err)
	}
	if e := decodeErrors(t, out); e != "" {
		t.Fatalf("decoding the cut prints errors:\n%s", e)
	}
	if l := logs.String(); !strings.Contains(l, "path=reencode") || !strings.Contains(l, `reason="`+errOpenGOP.Error()) {
		t.Fatalf("log does not say the cut was re-encoded for the open GOP:\n%s", l)
	}
	got := mustDuration(t, ffprobeEntry(t, out, "format=duration")+"s")
	if d := got - 50*time.Second; d > time.Second/30 || d < -time.Second/30 {
		t.Fatalf("cut lasts %v, want 50s", got)
	}
}

// ffprobeKeyframes lists the flags of path's video packets, one a line.
func ffprobeKeyframes(tb testing.TB, path string) string {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe packets: %v", err)
	}
	return string(out)
}

// idrCount counts the IDR slices' access units in path's video, as
// ffmpeg's own H.264 parser reads them.
func idrCount(tb testing.TB, path string) int {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
		"-bsf:v", "filter_units=pass_types=5", "-f", "framecrc", "-").Output()
	if err != nil {
		tb.Fatalf("count IDR frames: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		// filter_units leaves other access units empty (size 0).
		if f := strings.Split(line, ","); len(f) >= 5 && !strings.HasPrefix(line, "#") && strings.TrimSpace(f[4]) != "0" {
			n++
		}
	}
	return n
}

// TestAVCStartsOnIDR reads the first slice's type of length-prefixed
// samples: after an SEI, an IDR slice (5) or a non-IDR one (1), with
// 4- and 2-byte lengths, and refuses samples whose lengths do not add up.
func TestAVCStartsOnIDR(t *testing.T) {
	sei, idr, nonIDR := []byte{0x06, 0x05, 0x01, 0x80}, []byte{0x65, 0x88, 0x84}, []byte{0x41, 0x9a, 0x02}
	sample := func(size int, nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			l := len(n)
			for i := size - 1; i >= 0; i-- {
				b = append(b, byte(l>>(8*i)))
			}
			b = append(b, n...)
		}
		return b
	}
	for _, tt := range []struct {
		name string
		b    []byte
		size int
		want bool
		bad  bool
	}{
		{"IDR after SEI", sample(4, sei, idr), 4, true, false},
		{"non-IDR I-frame after SEI", sample(4, sei, nonIDR), 4, false, false},
		{"2-byte lengths", sample(2, idr), 2, true, false},
		{"first slice decides", sample(4, nonIDR, idr), 4, false, false},
		{"no slice", sample(4, sei), 4, false, true},
		{"length past the end", append(sample(4, sei), 0, 0, 0, 9, 0x65), 4, false, true},
		{"zero length", append(sample(4, sei), 0, 0, 0, 0), 4, false, true},
		{"truncated length", append(sample(4, sei), 0, 0), 4, false, true},
	} {
		got, err := startsOnIDR(tt.b, tt.size)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("%s: startsOnIDR = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.bad)
		}
	}
}

// TestPlanCut lays cuts over keyframes every 2 s of a 60 s video.
func TestPlanCut(t *testing.T) {
	var kf []time.Duration
	for s := 0; s < 60; s += 2 {
		kf = append(kf, time.Duration(s)*time.Second)
	}
	end := 60 * time.Second
	type piece struct {
		copy     bool
		from, to float64
		seek     float64
		segment  int
	}
	for _, tt := range []struct {
		name   string
		cuts   []media.Cut
		pieces []piece
		bounds []float64
	}{
		{"one cut", []media.Cut{{StartMs: 10500, EndMs: 20300}}, []piece{
			{copy: true, from: 0, to: 10, segment: 0},
			{from: 10, to: 10.5, seek: 10},
			{from: 20.3, to: 22, seek: 20},
			{copy: true, from: 22, to: 60, segment: 2},
		}, []float64{10, 22}},
		{"trim start and end", []media.Cut{{StartMs: 0, EndMs: 3200}, {StartMs: 59500, EndMs: 60000}}, []piece{
			{from: 3.2, to: 4, seek: 2},
			{copy: true, from: 4, to: 58, segment: 1},
			{from: 58, to: 59.5, seek: 58},
		}, []float64{4, 58}},
		{"inside one GOP", []media.Cut{{StartMs: 0, EndMs: 10300}, {StartMs: 11700, EndMs: 60000}}, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := planCut(media.KeptSpans(tt.cuts, 60000), kf, end)
			if tt.pieces == nil {
				if p != nil {
					t.Fatalf("plan %+v, want none (nothing to copy)", p)
				}
				return
			}
			var got []piece
			for _, x := range p.Pieces {
				got = append(got, piece{copy: x.Copy, from: x.From.Seconds(), to: x.To.Seconds(), seek: x.Seek.Seconds(), segment: x.Segment})
			}
			if !slices.Equal(got, tt.pieces) {
				t.Fatalf("pieces\n%+v\nwant\n%+v", got, tt.pieces)
			}
			var bounds []float64
			for _, b := range p.Bounds {
				bounds = append(bounds, b.Seconds())
			}
			if !slices.Equal(bounds, tt.bounds) {
				t.Fatalf("bounds %v, want %v", bounds, tt.bounds)
			}
		})
	}
}

// TestReadAVCConfig reads the profile, level and parameter set ids of an
// x264 MP4, and refuses a file that is not one.
func TestReadAVCConfig(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	c, err := readAVCConfig(recordMP4(t, dir, time.Second, true))
	if err != nil {
		t.Fatal(err)
	}
	// ultrafast leaves out CABAC and B-frames: Constrained Baseline.
	if c.Profile != 66 || c.Compat&0x40 == 0 || c.Level == 0 || c.LengthSize != 4 || !slices.Equal(c.SPSIDs, []int{0}) || !slices.Equal(c.PPSIDs, []int{0}) {
		t.Fatalf("avcC = %+v, want Constrained Baseline with SPS 0 and PPS 0", c)
	}
	if _, err := readAVCConfig(writeFile(t, filepath.Join(dir, "x.mp4"), []byte("\x00\x00\x00\x08free"))); err == nil {
		t.Fatal("a file without moov gave a configuration")
	}
	// An SPS with id 5: ue(5) is 00110.
	sps := []byte{0x67, 100, 0, 31, 0b00110_000}
	pps := []byte{0x68, 0b1_0000000}
	avcc := append([]byte{1, 100, 0, 31, 0xff, 0xe1, 0, byte(len(sps))}, sps...)
	avcc = append(append(avcc, 1, 0, byte(len(pps))), pps...)
	if c, err := parseAVCC(avcc); err != nil || !slices.Equal(c.SPSIDs, []int{5}) || !slices.Equal(c.PPSIDs, []int{0}) {
		t.Fatalf("parseAVCC = %+v, %v", c, err)
	}
	if _, err := parseAVCC(avcc[:9]); err == nil {
		t.Fatal("a truncated avcC parsed")
	}
}
