package transcode

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

func TestNewMissingBinary(t *testing.T) {
	_, err := New(Config{FFmpegPath: "/nonexistent/ffmpeg"})
	if err == nil || !strings.Contains(err.Error(), "apt-get install ffmpeg") {
		t.Fatalf("err = %v, want one naming apt-get install ffmpeg", err)
	}
	if _, err := New(Config{MaxPixels: -1}); err == nil {
		t.Fatal("negative MaxPixels accepted")
	}
}

func TestVersion(t *testing.T) {
	requireFFmpeg(t)
	v, err := Version(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if v == "" || strings.ContainsAny(v, " \n") {
		t.Fatalf("Version = %q", v)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers\nbuilt with gcc 12": "5.1.6-0+deb12u1",
		"ffmpeg version n7.1 Copyright (c) 2000-2024 the FFmpeg developers":                               "n7.1",
	} {
		if got, err := parseVersion(in); err != nil || got != want {
			t.Errorf("parseVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := parseVersion("ffprobe version 5.1"); err == nil {
		t.Error("parseVersion accepted ffprobe's output")
	}
}

// The fixture really is what MediaRecorder makes: no duration in the header.
func TestLiveFixtureHasNoDuration(t *testing.T) {
	path := fixture(t, "live.webm")
	if got := ffprobeEntry(t, path, "format=duration"); got != "N/A" {
		t.Fatalf("ffprobe duration of live.webm = %q, want N/A", got)
	}
}

func TestInspect(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     func(tb testing.TB) string
		cfg      Config
		wantCode string
		wantMsg  string // a substring of the user-facing message
		check    func(t *testing.T, info *media.MediaInfo)
	}{
		{
			name: "webm without duration header",
			path: func(tb testing.TB) string { return fixture(tb, "live.webm") },
			check: func(t *testing.T, info *media.MediaInfo) {
				want := media.MediaInfo{Container: "matroska", Width: 160, Height: 120, VideoCodec: "vp8", AudioCodec: "opus", FrameRate: 15}
				assertInfo(t, info, want, 2*time.Second)
			},
		},
		{
			name: "h264 opus matroska",
			path: func(tb testing.TB) string { return fixture(tb, "h264-opus.mkv") },
			check: func(t *testing.T, info *media.MediaInfo) {
				want := media.MediaInfo{Container: "matroska", Width: 160, Height: 120, VideoCodec: "h264", AudioCodec: "opus", FrameRate: 15}
				assertInfo(t, info, want, 2*time.Second)
			},
		},
		{
			name: "mp4",
			path: func(tb testing.TB) string { return fixture(tb, "h264-aac.mp4") },
			check: func(t *testing.T, info *media.MediaInfo) {
				want := media.MediaInfo{Container: "mp4", Width: 160, Height: 120, VideoCodec: "h264", AudioCodec: "aac", FrameRate: 15}
				assertInfo(t, info, want, 2*time.Second)
			},
		},
		{
			name: "no audio",
			path: func(tb testing.TB) string { return fixture(tb, "noaudio.webm") },
			check: func(t *testing.T, info *media.MediaInfo) {
				want := media.MediaInfo{Container: "matroska", Width: 160, Height: 120, VideoCodec: "vp8", FrameRate: 15}
				assertInfo(t, info, want, time.Second)
			},
		},
		{
			name:     "audio only",
			path:     func(tb testing.TB) string { return fixture(tb, "audioonly.webm") },
			wantCode: media.EUNSUPPORTED, wantMsg: "no video",
		},
		{
			name:     "zero length",
			path:     func(tb testing.TB) string { return writeFile(tb, filepath.Join(dir, "empty.webm"), nil) },
			wantCode: media.EINVALID, wantMsg: "empty",
		},
		{
			name: "text named .webm",
			path: func(tb testing.TB) string {
				return writeFile(tb, filepath.Join(dir, "notes.webm"), []byte("Meeting notes\nnothing to see\n"))
			},
			wantCode: media.EUNSUPPORTED, wantMsg: "text file",
		},
		{
			name: "png bytes",
			path: func(tb testing.TB) string {
				return writeFile(tb, filepath.Join(dir, "image.webm"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
			},
			wantCode: media.EUNSUPPORTED, wantMsg: "PNG",
		},
		{
			name: "hls playlist",
			path: func(tb testing.TB) string {
				return writeFile(tb, filepath.Join(dir, "playlist.webm"), []byte("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nhttp://169.254.169.254/latest/meta-data/\n#EXT-X-ENDLIST\n"))
			},
			wantCode: media.EUNSUPPORTED, wantMsg: "HLS playlist",
		},
		{
			name: "ffconcat script",
			path: func(tb testing.TB) string {
				return writeFile(tb, filepath.Join(dir, "concat.mp4"), []byte("ffconcat version 1.0\nfile /etc/passwd\n"))
			},
			wantCode: media.EUNSUPPORTED, wantMsg: "concat script",
		},
		{
			name: "EBML magic then garbage",
			path: func(tb testing.TB) string {
				return writeFile(tb, filepath.Join(dir, "junk.webm"), []byte("\x1a\x45\xdf\xa3 this is not matroska at all"))
			},
			wantCode: media.EINVALID, wantMsg: "not valid WebM",
		},
		{
			name:     "truncated mp4 (index missing)",
			path:     func(tb testing.TB) string { return fixture(tb, "half:h264-aac.mp4") },
			wantCode: media.EINVALID, wantMsg: "index is missing",
		},
		{
			name:     "over MaxPixels",
			path:     func(tb testing.TB) string { return fixture(tb, "h264-opus.mkv") },
			cfg:      Config{MaxPixels: 100 * 100},
			wantCode: media.ETOOLARGE, wantMsg: "160x120",
		},
		{
			name:     "over MaxDuration (header)",
			path:     func(tb testing.TB) string { return fixture(tb, "h264-opus.mkv") },
			cfg:      Config{MaxDuration: time.Second},
			wantCode: media.ETOOLARGE, wantMsg: "long",
		},
		{
			name:     "over MaxDuration (scanned, no header)",
			path:     func(tb testing.TB) string { return fixture(tb, "live.webm") },
			cfg:      Config{MaxDuration: time.Second},
			wantCode: media.ETOOLARGE, wantMsg: "longer than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustNew(t, tt.cfg)
			info, err := f.Inspect(context.Background(), tt.path(t))
			assertCode(t, err, tt.wantCode)
			if tt.wantCode != "" {
				if msg := media.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
					t.Fatalf("message = %q, want it to contain %q", msg, tt.wantMsg)
				}
				return
			}
			tt.check(t, info)
		})
	}
}

// assertInfo compares info with want: the duration within 100 ms of d, the
// frame rate within 0.1 (remuxing from Matroska's millisecond clock makes
// 15.0075), the size non-zero.
func assertInfo(tb testing.TB, info *media.MediaInfo, want media.MediaInfo, d time.Duration) {
	tb.Helper()
	if got := time.Duration(info.DurationMs) * time.Millisecond; got < d-100*time.Millisecond || got > d+100*time.Millisecond {
		tb.Errorf("DurationMs = %d, want about %d", info.DurationMs, d.Milliseconds())
	}
	if info.SizeBytes <= 0 {
		tb.Errorf("SizeBytes = %d", info.SizeBytes)
	}
	if d := info.FrameRate - want.FrameRate; d < -0.1 || d > 0.1 {
		tb.Errorf("FrameRate = %v, want about %v", info.FrameRate, want.FrameRate)
	}
	got := *info
	got.DurationMs, got.SizeBytes, got.FrameRate, want.FrameRate = 0, 0, 0, 0
	if got != want {
		tb.Errorf("MediaInfo = %+v, want %+v", got, want)
	}
}

// progressLog records Progress calls.
type progressLog struct {
	mu    sync.Mutex
	calls []float64
}

func (p *progressLog) record(pct float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, pct)
}

func TestProcess(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name        string
		fixture     string
		wantRemux   bool
		wantW       int
		wantH       int
		wantAudio   string
		wantSeconds float64
	}{
		{name: "vp8 opus webm without duration is re-encoded", fixture: "live.webm", wantW: 160, wantH: 120, wantAudio: "aac", wantSeconds: 2},
		{name: "h264 opus matroska is remuxed", fixture: "h264-opus.mkv", wantRemux: true, wantW: 160, wantH: 120, wantAudio: "aac", wantSeconds: 2},
		{name: "h264 4:4:4 is re-encoded", fixture: "h264-444.mkv", wantW: 160, wantH: 120, wantSeconds: 1},
		{name: "mp4 h264 aac is remuxed", fixture: "h264-aac.mp4", wantRemux: true, wantW: 160, wantH: 120, wantAudio: "aac", wantSeconds: 2},
		{name: "odd dimensions become even", fixture: "odd.webm", wantW: 160, wantH: 120, wantAudio: "aac", wantSeconds: 1},
		{name: "no audio gives video only", fixture: "noaudio.webm", wantW: 160, wantH: 120, wantSeconds: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustNew(t, Config{})
			ctx := context.Background()
			in := fixture(t, tt.fixture)
			info, err := f.Inspect(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			var progress progressLog
			out := t.TempDir()
			res, err := f.Process(ctx, media.ProcessRequest{Input: in, Info: info, OutDir: out, Progress: progress.record})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.Remuxed, tt.wantRemux; got != want {
				t.Errorf("Remuxed = %v, want %v", got, want)
			}
			if got, want := res.MP4Path, filepath.Join(out, "video.mp4"); got != want {
				t.Errorf("MP4Path = %q, want %q", got, want)
			}
			// Checked with ffprobe directly, not with the code under test.
			if got := ffprobeEntry(t, res.MP4Path, "stream=codec_name"); got != strings.TrimSpace("h264\n"+tt.wantAudio) {
				t.Errorf("output codecs = %q, want h264 %s", got, tt.wantAudio)
			}
			if got, want := ffprobeEntry(t, res.MP4Path, "stream=pix_fmt"), "yuv420p"; !strings.HasPrefix(got, want) {
				t.Errorf("pix_fmt = %q, want %q", got, want)
			}
			want := media.MediaInfo{Container: "mp4", Width: tt.wantW, Height: tt.wantH, VideoCodec: "h264", AudioCodec: tt.wantAudio, FrameRate: 15}
			assertInfo(t, &res.Info, want, time.Duration(tt.wantSeconds*float64(time.Second)))
			if st, err := os.Stat(res.MP4Path); err != nil || st.Size() != res.Info.SizeBytes {
				t.Errorf("SizeBytes = %d, file: %v %v", res.Info.SizeBytes, st, err)
			}
			assertFaststart(t, res.MP4Path)
			assertPoster(t, res.PosterPath)

			progress.mu.Lock()
			defer progress.mu.Unlock()
			if len(progress.calls) == 0 {
				t.Fatal("Progress never called")
			}
			for i := 1; i < len(progress.calls); i++ {
				if progress.calls[i] < progress.calls[i-1] {
					t.Errorf("progress went backwards: %v", progress.calls)
				}
			}
			if last := progress.calls[len(progress.calls)-1]; last != 100 {
				t.Errorf("last progress = %v, want 100 (%v)", last, progress.calls)
			}
		})
	}
}

// assertFaststart checks the MP4's index (moov) comes before its media (mdat).
func assertFaststart(tb testing.TB, path string) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	moov, mdat := strings.Index(string(b), "moov"), strings.Index(string(b), "mdat")
	if moov < 0 || mdat < 0 || moov > mdat {
		tb.Errorf("moov at %d, mdat at %d: not faststart", moov, mdat)
	}
}

func assertPoster(tb testing.TB, path string) {
	tb.Helper()
	assertPosterSize(tb, path, "160x120")
}

func assertPosterSize(tb testing.TB, path, size string) {
	tb.Helper()
	if got, want := filepath.Base(path), "poster.jpg"; got != want {
		tb.Errorf("poster is %q, want %q", got, want)
	}
	if !isJPEG(path) {
		tb.Fatalf("%s is not a JPEG", path)
	}
	if got := strings.ReplaceAll(ffprobeEntry(tb, path, "stream=width,height"), "\n", "x"); got != size {
		tb.Errorf("poster size = %s, want %s", got, size)
	}
}

// The poster of a short 1080p video is taken before its end and scaled to
// 1280 wide.
func TestProcessPosterOfShortWideVideo(t *testing.T) {
	f := MustNew(t, Config{})
	res, err := f.Process(context.Background(), media.ProcessRequest{Input: fixture(t, "wide.mp4"), OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Remuxed || res.Info.Width != 1920 || res.Info.Height != 1080 {
		t.Errorf("result = %+v", res)
	}
	assertPosterSize(t, res.PosterPath, "1280x720")
}

// A WebM whose header promises 4 s but whose second half is missing must not
// pass as a 4 s video: Process fails with a readable reason and leaves
// nothing to publish.
func TestProcessTruncatedWithDurationHeader(t *testing.T) {
	f := MustNew(t, Config{})
	ctx := context.Background()
	in := fixture(t, "half:full.webm")
	info, err := f.Inspect(ctx, in)
	if err != nil {
		// Refusing it up front is fine too, as long as it is refused cleanly.
		assertCode(t, err, media.EINVALID)
		return
	}
	out := t.TempDir()
	res, err := f.Process(ctx, media.ProcessRequest{Input: in, Info: info, OutDir: out})
	if err == nil {
		t.Fatalf("truncated file accepted: header %d ms, output %d ms", info.DurationMs, res.Info.DurationMs)
	}
	assertCode(t, err, media.EINVALID)
	if msg := media.ErrorMessage(err); !strings.Contains(msg, "cut short") {
		t.Errorf("message = %q", msg)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("outputs left behind after failure: %v", entries)
	}
}

// A MediaRecorder WebM cut in half has no header to contradict: Inspect
// measures what is there, and the output is that long, not the full length.
func TestProcessTruncatedLiveWebM(t *testing.T) {
	f := MustNew(t, Config{})
	ctx := context.Background()
	in := fixture(t, "half:live.webm")
	info, err := f.Inspect(ctx, in)
	if err != nil {
		assertCode(t, err, media.EINVALID)
		return
	}
	if info.DurationMs >= 1900 {
		t.Fatalf("half a 2 s file inspected as %d ms", info.DurationMs)
	}
	res, err := f.Process(ctx, media.ProcessRequest{Input: in, Info: info, OutDir: t.TempDir()})
	if err != nil {
		assertCode(t, err, media.EINVALID)
		return
	}
	if d := res.Info.DurationMs; d >= 1900 || d < info.DurationMs-1000 {
		t.Errorf("output %d ms, inspected %d ms", d, info.DurationMs)
	}
}

// Process does not trust that the file is still what Inspect saw.
func TestProcessRefusesImpostor(t *testing.T) {
	f := MustNew(t, Config{})
	in := writeFile(t, filepath.Join(t.TempDir(), "original"), []byte("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n"))
	_, err := f.Process(context.Background(), media.ProcessRequest{Input: in, Info: &media.MediaInfo{DurationMs: 1000}, OutDir: t.TempDir()})
	assertCode(t, err, media.EUNSUPPORTED)
}

func TestProcessTimeoutIsRetryable(t *testing.T) {
	f := MustNew(t, Config{ProcessTimeout: time.Millisecond})
	_, err := f.Inspect(context.Background(), fixture(t, "h264-opus.mkv"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if media.IsPermanent(err) {
		t.Error("a timeout must be retryable")
	}
}

func TestProcessCancel(t *testing.T) {
	f := MustNew(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	_, err := f.Process(ctx, media.ProcessRequest{Input: fixture(t, "live.webm"), OutDir: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
