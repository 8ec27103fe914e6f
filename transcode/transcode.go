package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/baton-video/baton/media"
)

// Output file names inside ProcessRequest.OutDir.
const (
	MP4Name    = "video.mp4"
	PosterName = "poster.jpg"
)

// Config configures FFmpeg. The zero value works when ffmpeg and ffprobe are
// on PATH.
type Config struct {
	FFmpegPath  string // "ffmpeg" (from PATH) if empty
	FFprobePath string // "ffprobe" (from PATH) if empty
	// MaxPixels is the largest width*height accepted; 3840*2160 if 0.
	MaxPixels int64
	// MaxDuration is the longest video accepted; 4 h if 0.
	MaxDuration time.Duration
	// ProcessTimeout is the hard deadline for any one ffmpeg or ffprobe run.
	// If 0 it is 10 min plus twice the duration of the video being processed.
	ProcessTimeout time.Duration
	// Threads caps the encoder's threads; 0 lets ffmpeg decide.
	Threads int
	// TempDir holds Live's private copy of the MP4 it streams, kept to probe
	// it at the end and removed before Live returns; os.TempDir() if empty.
	// It needs room for the largest MP4 being made at once.
	TempDir string
	Logger  *slog.Logger // discards if nil
}

// Defaults for Config's zero values.
const (
	DefaultMaxPixels   = 3840 * 2160
	DefaultMaxDuration = 4 * time.Hour
)

// FFmpeg is a media.Transcoder that runs ffprobe and ffmpeg. It holds no
// mutable state and is safe for concurrent use.
type FFmpeg struct {
	cfg    Config
	log    *slog.Logger
	runner *runner
	// inspects bounds the Inspect runs at once (two per core): when forty
	// recordings stop together, their hand-off probes and duration scans
	// queue here instead of starting forty ffprobe and ffmpeg processes
	// beside the live sessions (see media.Admission).
	inspects chan struct{}
}

var _ media.Transcoder = (*FFmpeg)(nil)

// New checks cfg, finds the binaries and fills in defaults. It fails when
// ffmpeg or ffprobe cannot be found.
func New(cfg Config) (*FFmpeg, error) {
	if cfg.MaxPixels < 0 || cfg.MaxDuration < 0 || cfg.ProcessTimeout < 0 || cfg.Threads < 0 {
		return nil, errors.New("transcode: MaxPixels, MaxDuration, ProcessTimeout and Threads must not be negative")
	}
	var err error
	if cfg.FFmpegPath, err = lookPath(cfg.FFmpegPath, "ffmpeg"); err != nil {
		return nil, err
	}
	if cfg.FFprobePath, err = lookPath(cfg.FFprobePath, "ffprobe"); err != nil {
		return nil, err
	}
	if cfg.MaxPixels == 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FFmpeg{cfg: cfg, log: log, runner: &runner{log: log}, inspects: make(chan struct{}, 2*runtime.NumCPU())}, nil
}

func lookPath(path, tool string) (string, error) {
	if path == "" {
		path = tool
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("transcode: %s not found (%q); install ffmpeg, which includes ffprobe (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), or set its path: %w", tool, path, err)
	}
	return p, nil
}

// Version returns the version of the ffmpeg at ffmpegPath ("ffmpeg" from
// PATH if empty), e.g. "5.1.6-0+deb12u1", for startup checks and logs.
// Baton needs 5.1 or newer.
func Version(ctx context.Context, ffmpegPath string) (string, error) {
	path, err := lookPath(ffmpegPath, "ffmpeg")
	if err != nil {
		return "", err
	}
	out := &limitBuffer{max: 64 << 10}
	r := &runner{}
	stderr, err := r.run(ctx, command{Path: path, Args: versionArgs(), Timeout: 30 * time.Second, Stdout: out})
	if err != nil {
		return "", fmt.Errorf("transcode: ffmpeg -version: %w (%s)", err, lastLines(stderr, 2))
	}
	return parseVersion(out.buf.String())
}

// parseVersion reads the first line of ffmpeg -version:
// "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers".
func parseVersion(out string) (string, error) {
	line, _, _ := strings.Cut(out, "\n")
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "ffmpeg" || f[1] != "version" {
		return "", fmt.Errorf("transcode: unexpected ffmpeg -version output %q", line)
	}
	return f[2], nil
}

// Sniff names the container from a file's first bytes; see media.Transcoder.
func (f *FFmpeg) Sniff(header []byte) (string, error) { return sniff(header) }

// Inspect sniffs and probes the file at path; see media.Transcoder.
func (f *FFmpeg) Inspect(ctx context.Context, path string) (*media.MediaInfo, error) {
	if f.inspects != nil {
		select {
		case f.inspects <- struct{}{}:
			defer func() { <-f.inspects }()
		case <-ctx.Done():
			return nil, fmt.Errorf("transcode: inspect: %w", context.Cause(ctx))
		}
	}
	src, err := f.inspect(ctx, path, 0)
	if err != nil {
		return nil, err
	}
	info := src.info
	return &info, nil
}

// source is an inspected input.
type source struct {
	spec     inputSpec
	probe    *probeResult
	duration time.Duration // from the header, the caller, or a scan
	info     media.MediaInfo
}

// timeout is the hard deadline of one child run on a video of duration d.
func (f *FFmpeg) timeout(d time.Duration) time.Duration {
	if f.cfg.ProcessTimeout > 0 {
		return f.cfg.ProcessTimeout
	}
	return 10*time.Minute + 2*d
}

// decoderMaxPixels is the -max_pixels backstop. Decoders count coded
// frames, which codecs pad (160x120 H.264 is decoded as 192x120), so it
// leaves headroom over the declared-size limit Inspect enforces.
func (f *FFmpeg) decoderMaxPixels() int64 {
	return f.cfg.MaxPixels + f.cfg.MaxPixels/4 + 1<<16
}

// inspect is Inspect, keeping what Process needs. known, when not 0, is the
// duration an earlier Inspect found by scanning; it spares a second scan.
func (f *FFmpeg) inspect(ctx context.Context, path string, known time.Duration) (*source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("transcode: inspect: %w", err)
	}
	header, size, err := readHeader(abs)
	if err != nil {
		return nil, fmt.Errorf("transcode: inspect: %w", err)
	}
	container, err := sniff(header)
	if err != nil {
		return nil, err
	}
	spec := inputSpec{Path: abs, Container: container, MaxPixels: f.decoderMaxPixels()}
	pr, err := f.probe(ctx, spec, &hint{code: media.EINVALID, message: "The file could not be read as a video; it may be damaged."})
	if err != nil {
		return nil, err
	}
	v := pr.Video
	if v == nil {
		return nil, media.Errorf(media.EUNSUPPORTED, "The file has no video.")
	}
	if v.Codec == "" || v.Codec == "none" {
		// ffprobe found a stream it has no decoder for; ffmpeg could not convert it.
		return nil, media.Errorf(media.EUNSUPPORTED, "The video uses a codec Baton cannot decode.")
	}
	w, h := v.DisplaySize()
	if w <= 0 || h <= 0 {
		return nil, media.Errorf(media.EINVALID, "The video has no picture size; the file may be damaged.")
	}
	if px := int64(w) * int64(h); px > f.cfg.MaxPixels {
		return nil, media.Errorf(media.ETOOLARGE, "The video's picture is %dx%d (%.1f megapixels); Baton accepts up to %.1f megapixels.",
			w, h, float64(px)/1e6, float64(f.cfg.MaxPixels)/1e6)
	}
	d := pr.Duration
	if d == 0 {
		d = known
	}
	if d > f.cfg.MaxDuration {
		return nil, media.Errorf(media.ETOOLARGE, "The video is %s long; Baton accepts up to %s.", humanDuration(d), humanDuration(f.cfg.MaxDuration))
	}
	if d == 0 {
		audio := -1
		if pr.Audio != nil {
			audio = pr.Audio.Index
		}
		if d, err = f.scanDuration(ctx, spec, v.Index, audio); err != nil {
			return nil, err
		}
		if d > f.cfg.MaxDuration {
			return nil, media.Errorf(media.ETOOLARGE, "The video is longer than %s, the most Baton accepts.", humanDuration(f.cfg.MaxDuration))
		}
		if d <= 0 {
			return nil, media.Errorf(media.EINVALID, "The video has no length; it may be empty or cut short.")
		}
	}
	src := &source{spec: spec, probe: pr, duration: d}
	src.info = mediaInfo(container, pr, d, size)
	return src, nil
}

func mediaInfo(container string, pr *probeResult, d time.Duration, size int64) media.MediaInfo {
	w, h := pr.Video.DisplaySize()
	info := media.MediaInfo{
		Container:  container,
		DurationMs: d.Milliseconds(),
		Width:      w,
		Height:     h,
		FrameRate:  pr.Video.FrameRate,
		VideoCodec: pr.Video.Codec,
		SizeBytes:  size,
	}
	if pr.Audio != nil {
		info.AudioCodec = pr.Audio.Codec
	}
	return info
}

// readHeader returns the first SniffLen bytes of the regular file at path
// and its size.
func readHeader(path string) ([]byte, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	buf := make([]byte, SniffLen)
	n, err := io.ReadFull(fh, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	return buf[:n], st.Size(), nil
}

// maxProbeOutput bounds ffprobe's JSON. A real recording gives a few KB; a
// file with thousands of streams is refused rather than buffered.
const maxProbeOutput = 4 << 20

// probe runs ffprobe on spec and parses what it says. fallback explains a
// failed probe that stderr does not.
func (f *FFmpeg) probe(ctx context.Context, spec inputSpec, fallback *hint) (*probeResult, error) {
	out := &limitBuffer{max: maxProbeOutput}
	stderr, err := f.runner.run(ctx, command{
		Path:    f.cfg.FFprobePath,
		Args:    probeArgs(spec),
		Timeout: f.timeout(0),
		Stdout:  out,
	})
	if err != nil {
		return nil, classify("probe", err, stderr, fallback)
	}
	if out.overflow {
		return nil, media.Errorf(media.EINVALID, "The file describes too many streams to be a recording.")
	}
	pr, err := parseProbe(out.buf.Bytes())
	if err != nil {
		return nil, media.WrapError(media.EINVALID, fmt.Errorf("transcode: probe: %w", err), "The file could not be read as a video; it may be damaged.")
	}
	return pr, nil
}

// scanDuration reads the packets of the chosen streams to find the last
// timestamp, for files whose header has no duration.
func (f *FFmpeg) scanDuration(ctx context.Context, spec inputSpec, video, audio int) (time.Duration, error) {
	var p progressParser
	var last time.Duration
	p.onBlock = func(t time.Duration, _ bool) { last = max(last, t) }
	stderr, err := f.runner.run(ctx, command{
		Path:    f.cfg.FFmpegPath,
		Args:    scanArgs(spec, video, audio, f.cfg.MaxDuration+time.Second),
		Timeout: f.timeout(0),
		Stdout:  &lineWriter{fn: p.line},
	})
	if err != nil {
		return 0, classify("scan duration", err, stderr, &hint{code: media.EINVALID, message: "The video data is corrupt or truncated."})
	}
	if !p.ended {
		return 0, fmt.Errorf("transcode: scan duration: ffmpeg reported no end of progress: %s", lastLines(stderr, 3))
	}
	return last, nil
}

// Process writes a faststart H.264/AAC MP4 and a poster JPEG into
// req.OutDir and verifies them; see media.Transcoder. It probes the input
// again, because the copy-or-encode decision needs details MediaInfo does
// not carry (pixel format, stream indices); req.Info supplies the duration
// when the file's header has none, sparing a second scan.
func (f *FFmpeg) Process(ctx context.Context, req media.ProcessRequest) (*media.ProcessResult, error) {
	if req.Input == "" || req.OutDir == "" {
		return nil, errors.New("transcode: process: Input and OutDir are required")
	}
	outDir, err := filepath.Abs(req.OutDir)
	if err != nil {
		return nil, fmt.Errorf("transcode: process: %w", err)
	}
	var known time.Duration
	if req.Info != nil && req.Info.DurationMs > 0 {
		known = time.Duration(req.Info.DurationMs) * time.Millisecond
	}
	start := time.Now()
	src, err := f.inspect(ctx, req.Input, known)
	if err != nil {
		return nil, err
	}
	mp4 := filepath.Join(outDir, MP4Name)
	poster := filepath.Join(outDir, PosterName)
	res, err := f.process(ctx, src, mp4, poster, req.Progress, req.MaxDuration)
	if err != nil {
		// Nothing half-made is left for a caller to publish by mistake.
		_ = os.Remove(mp4)
		_ = os.Remove(poster)
		return nil, err
	}
	f.log.Debug("transcode: processed", "input", src.spec.Path, "remuxed", res.Remuxed,
		"duration_ms", res.Info.DurationMs, "size_bytes", res.Info.SizeBytes, "elapsed", time.Since(start).Round(time.Millisecond))
	return res, nil
}

func (f *FFmpeg) process(ctx context.Context, src *source, mp4, poster string, progress func(float64), cutAt time.Duration) (*media.ProcessResult, error) {
	v := src.probe.Video
	audio := -1
	if src.probe.Audio != nil {
		audio = src.probe.Audio.Index
	}
	d := src.duration
	maxTime := d + max(time.Second, d/100)
	if cutAt > 0 && d > cutAt {
		// The output is checked against the length it is cut to.
		cut := *src
		src, d, maxTime = &cut, cutAt, cutAt
		src.duration = d
	}
	plan := transcodePlan{
		In:        src.spec,
		Video:     v.Index,
		Audio:     audio,
		CopyVideo: v.Codec == "h264" && v.PixFmt == "yuv420p" && v.Width%2 == 0 && v.Height%2 == 0,
		Out:       mp4,
		MaxTime:   maxTime,
		// Room for a copy of the input plus generous re-encoding (32 Mb/s).
		MaxBytes: 64<<20 + 2*src.info.SizeBytes + int64(d.Seconds()*4e6),
		Threads:  f.cfg.Threads,
	}
	rep := newReporter(progress, d)
	var p progressParser
	p.onBlock = func(t time.Duration, end bool) { rep.update(t, end) }
	// The poster is taken from the source while the encoder runs, so its
	// decode overlaps the encode instead of following it; the output's own
	// frame is the fallback (below).
	posterCtx, stopPoster := context.WithCancel(ctx)
	defer stopPoster()
	posterDone := make(chan error, 1)
	go func() { posterDone <- f.posterAt(posterCtx, src, min(time.Second, d/2), poster, media.JobNice) }()
	stderr, err := f.runner.run(ctx, command{
		Path:    f.cfg.FFmpegPath,
		Args:    transcodeArgs(plan),
		Timeout: f.timeout(d),
		Stdout:  &lineWriter{fn: p.line},
		// A job: live sessions come first (media.Admission).
		Nice: media.JobNice,
	})
	if err != nil {
		stopPoster()
		<-posterDone
		return nil, classify("transcode", err, stderr, nil)
	}

	out, err := f.verify(ctx, src, plan)
	perr := <-posterDone
	if err != nil {
		return nil, err
	}
	if perr != nil {
		f.log.Debug("transcode: poster from the source failed; taking it from the output", "err", perr)
		if err := f.makePoster(ctx, out, poster); err != nil {
			return nil, err
		}
	}
	rep.done()
	return &media.ProcessResult{
		MP4Path:    mp4,
		PosterPath: poster,
		Info:       out.info,
		Remuxed:    plan.CopyVideo,
	}, nil
}

// verify probes the MP4 and checks it is what a player needs and as long as
// the source.
func (f *FFmpeg) verify(ctx context.Context, src *source, plan transcodePlan) (*source, error) {
	st, err := os.Stat(plan.Out)
	if err != nil {
		return nil, media.WrapError(media.EINVALID, fmt.Errorf("transcode: verify: %w", err), "The video could not be converted: nothing could be decoded.")
	}
	spec := inputSpec{Path: plan.Out, Container: ContainerMP4, MaxPixels: f.decoderMaxPixels()}
	pr, err := f.probe(ctx, spec, nil)
	if media.IsPermanent(err) {
		// ffmpeg said it succeeded, yet its own output cannot be read; the
		// hints would blame the upload ("the upload was probably cut short").
		return nil, media.WrapError(media.EINVALID, err, "The video could not be converted: the converted file was unreadable.")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case pr.Video == nil:
		return nil, media.Errorf(media.EINVALID, "The video could not be converted: no picture could be decoded.")
	case pr.Video.Codec != "h264":
		return nil, fmt.Errorf("transcode: verify: output video codec is %q, want h264", pr.Video.Codec)
	case pr.Video.Width%2 != 0 || pr.Video.Height%2 != 0 || pr.Video.Width == 0:
		return nil, fmt.Errorf("transcode: verify: output is %dx%d, want even dimensions", pr.Video.Width, pr.Video.Height)
	case plan.Audio >= 0 && pr.Audio == nil:
		return nil, media.Errorf(media.EINVALID, "The video could not be converted: its sound could not be decoded.")
	case pr.Audio != nil && pr.Audio.Codec != "aac":
		return nil, fmt.Errorf("transcode: verify: output audio codec is %q, want aac", pr.Audio.Codec)
	}
	want, got := src.duration, pr.Duration
	tol := max(time.Second, want/20)
	if got < want-tol {
		if st.Size() >= plan.MaxBytes*9/10 {
			return nil, media.Errorf(media.ETOOLARGE, "The converted video would be larger than %d MB, the most Baton stores for a video of this length.", plan.MaxBytes/1e6)
		}
		return nil, media.Errorf(media.EINVALID, "Only %s of the video's %s could be converted; the file is probably cut short or damaged.",
			humanDuration(got), humanDuration(want))
	}
	if got > want+tol {
		return nil, fmt.Errorf("transcode: verify: output is %v long, source %v", got, want)
	}
	return &source{spec: spec, probe: pr, duration: got, info: mediaInfo(ContainerMP4, pr, got, st.Size())}, nil
}

// makePoster writes the poster JPEG from the MP4: a second in, or half way
// through a shorter video.
func (f *FFmpeg) makePoster(ctx context.Context, out *source, poster string) error {
	return f.posterAt(ctx, out, min(time.Second, out.duration/2), poster, media.JobNice)
}

// posterAt writes the poster JPEG from src at time at; at the start if that
// gives no frame.
func (f *FFmpeg) posterAt(ctx context.Context, src *source, at time.Duration, poster string, nice int) error {
	for {
		stderr, err := f.runner.run(ctx, command{
			Path:    f.cfg.FFmpegPath,
			Args:    posterArgs(src.spec, src.probe.Video.Index, at, poster),
			Timeout: f.timeout(0),
			Nice:    nice,
		})
		if err != nil {
			return classify("poster", err, stderr, nil)
		}
		if isJPEG(poster) {
			return nil
		}
		if at == 0 {
			return fmt.Errorf("transcode: poster: ffmpeg wrote no JPEG from %s: %s", src.spec.Path, lastLines(stderr, 3))
		}
		at = 0
	}
}

func isJPEG(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	var b [3]byte
	_, err = io.ReadFull(fh, b[:])
	return err == nil && bytes.Equal(b[:], []byte{0xff, 0xd8, 0xff})
}

// humanDuration writes d for people: "4 hours", "1 hour 30 minutes",
// "2 minutes 5 seconds", "1.5 seconds".
func humanDuration(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f seconds", d.Seconds())
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	add := func(n int, unit string) {
		if n == 1 {
			parts = append(parts, "1 "+unit)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, unit))
		}
	}
	add(h, "hour")
	add(m, "minute")
	if h == 0 {
		add(s, "second")
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}
