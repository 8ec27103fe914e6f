package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/baton-video/baton/media"
)

var _ media.LiveTranscoder = (*FFmpeg)(nil)

const (
	// liveHeadMin is how much of the recording Live reads before probing
	// it. MediaRecorder's first chunk holds the EBML header and Tracks in
	// well under 1 KB; this much usually holds the first keyframe too.
	liveHeadMin = 16 << 10
	// liveHeadMax bounds the head Live reads while the probe is missing
	// something: the video track, or the pixel format of H.264 (which
	// decides between copying and re-encoding) because the first keyframe
	// is larger than the head. Each miss doubles the head. Past it, Live
	// refuses a recording without video and re-encodes unknown H.264.
	liveHeadMax = 1 << 20
	// liveReadSize is the most Live asks of LiveRequest.Input at once.
	liveReadSize = 64 << 10
	// livePoll is how often the playlist is checked for new segments.
	livePoll = 100 * time.Millisecond
	// maxPlaylist bounds the playlist Live reads back: a 4 h recording in 2 s
	// segments lists 7,200 of them in about 250 KB.
	maxPlaylist = 16 << 20
)

// errLiveExited ends the feeding of a Live run whose ffmpeg has exited.
var errLiveExited = errors.New("ffmpeg exited")

// segmentName is what ffmpeg names segments (hlsSegmentPattern).
var segmentName = regexp.MustCompile(`^seg-[0-9]{5,}\.m4s$`)

// Live transcodes a recording while it is uploaded; see
// media.LiveTranscoder and the package documentation.
//
// It reads the head of req.Input, refuses anything but Matroska/WebM
// (EUNSUPPORTED, EINVALID when empty), probes the head (EUNSUPPORTED without
// video or with an undecodable codec, ETOOLARGE over MaxPixels), and then
// runs one ffmpeg that takes the recording on stdin as it arrives and writes
// the HLS event playlist into req.HLSDir and the fragmented MP4 to req.MP4.
// A recording that runs past MaxDuration is stopped with ETOOLARGE. When
// Input returns io.EOF, ffmpeg finishes the last segment and fragment, the
// MP4 is probed and checked against the recording's timestamps (EINVALID
// if much shorter), and Live returns.
//
// req.OnSegment is called from another goroutine, one call at a time, in
// segment order, never after Live returns. init.mp4 is on disk before the
// first call.
//
// When Live returns early (an error or ctx), it has stopped ffmpeg and
// reads no more of Input, but a Read already in progress cannot be
// interrupted: its goroutine ends when that Read returns, so a caller that
// feeds Input from an io.Pipe should close the pipe. What Live left in
// HLSDir and wrote to MP4 is then incomplete and must be discarded.
func (f *FFmpeg) Live(ctx context.Context, req media.LiveRequest) (*media.LiveResult, error) {
	if req.Input == nil || req.MP4 == nil || req.HLSDir == "" {
		return nil, errors.New("transcode: live: Input, HLSDir and MP4 are required")
	}
	dir, err := filepath.Abs(req.HLSDir)
	if err != nil {
		return nil, fmt.Errorf("transcode: live: %w", err)
	}
	begin := time.Now()
	in := newChunkReader(req.Input)
	defer in.stop()

	head, eof, err := in.fill(ctx, nil, liveHeadMin)
	if err != nil {
		return nil, err
	}
	container, err := sniff(head)
	if err != nil {
		return nil, err
	}
	if container != ContainerMatroska {
		return nil, media.Errorf(media.EUNSUPPORTED, "A live recording must be WebM or Matroska, as browsers record it.")
	}
	var pr *probeResult
	for {
		pr, err = f.probeHead(ctx, head)
		// A head cut inside the Tracks does not probe, one cut inside the
		// first keyframe lacks the pixel format: more of it may tell.
		more := err == nil && headIncomplete(pr) || media.ErrorCode(err) == media.EINVALID
		if !more || eof || len(head) >= liveHeadMax {
			break
		}
		if head, eof, err = in.fill(ctx, head, min(2*len(head), liveHeadMax)); err != nil {
			return nil, err
		}
	}
	if err != nil {
		if eof && media.ErrorCode(err) == media.EINVALID && noFrames(head) {
			return nil, media.WrapError(media.EINVALID, err, "The recording has no frames: it ended as soon as it started.")
		}
		return nil, err
	}
	plan, err := f.livePlan(pr)
	if err != nil {
		return nil, err
	}
	f.log.Debug("transcode: live: started", "video_codec", pr.Video.Codec, "copy_video", plan.CopyVideo,
		"audio", plan.Audio >= 0, "head_bytes", len(head), "elapsed", time.Since(begin).Round(time.Millisecond))
	return f.runLive(ctx, req, dir, in, head, eof, plan)
}

// probeHead runs ffprobe on the first bytes of a recording.
func (f *FFmpeg) probeHead(ctx context.Context, head []byte) (*probeResult, error) {
	out := &limitBuffer{max: maxProbeOutput}
	stderr, err := f.runner.run(ctx, command{
		Path:    f.cfg.FFprobePath,
		Args:    liveProbeArgs(f.decoderMaxPixels()),
		Timeout: f.timeout(0),
		Stdin:   bytes.NewReader(head),
		Stdout:  out,
	})
	if err != nil {
		return nil, classify("probe", err, stderr, &hint{code: media.EINVALID, message: "The recording could not be read as a video; it may be damaged."})
	}
	if out.overflow {
		return nil, media.Errorf(media.EINVALID, "The file describes too many streams to be a recording.")
	}
	pr, err := parseProbe(out.buf.Bytes())
	if err != nil {
		return nil, media.WrapError(media.EINVALID, fmt.Errorf("transcode: probe: %w", err), "The recording could not be read as a video; it may be damaged.")
	}
	return pr, nil
}

// noFrames reports whether a whole recording is a well-formed header
// without a single frame: what stopping at once gives, which ffprobe
// reports as a damaged file.
func noFrames(recording []byte) bool {
	c := newMKVClock()
	c.Write(recording)
	return c.err == nil && c.tracks && c.blocks == 0
}

// headIncomplete reports whether a probe of the recording's head lacks
// something that more of the recording could tell.
func headIncomplete(pr *probeResult) bool {
	return pr.Video == nil || pr.Video.Codec == "h264" && pr.Video.PixFmt == ""
}

// livePlan decides how to convert the probed recording, and refuses it if
// it cannot or may not be converted.
func (f *FFmpeg) livePlan(pr *probeResult) (livePlan, error) {
	v := pr.Video
	switch {
	case v == nil:
		return livePlan{}, media.Errorf(media.EUNSUPPORTED, "The recording has no video.")
	case v.Codec == "" || v.Codec == "none":
		return livePlan{}, media.Errorf(media.EUNSUPPORTED, "The video uses a codec Baton cannot decode.")
	}
	w, h := v.DisplaySize()
	if w <= 0 || h <= 0 {
		return livePlan{}, media.Errorf(media.EINVALID, "The video has no picture size; the recording may be damaged.")
	}
	if px := int64(w) * int64(h); px > f.cfg.MaxPixels {
		return livePlan{}, media.Errorf(media.ETOOLARGE, "The video's picture is %dx%d (%.1f megapixels); Baton accepts up to %.1f megapixels.",
			w, h, float64(px)/1e6, float64(f.cfg.MaxPixels)/1e6)
	}
	// The same rule as Inspect for a file that states its length.
	if pr.Duration > f.cfg.MaxDuration {
		return livePlan{}, media.Errorf(media.ETOOLARGE, "The video is %s long; Baton accepts up to %s.", humanDuration(pr.Duration), humanDuration(f.cfg.MaxDuration))
	}
	audio := -1
	if pr.Audio != nil {
		audio = pr.Audio.Index
	}
	return livePlan{
		MaxPixels: f.decoderMaxPixels(),
		Video:     v.Index,
		Audio:     audio,
		// The same rule as Process: what every browser decodes is kept.
		CopyVideo: v.Codec == "h264" && v.PixFmt == "yuv420p" && v.Width%2 == 0 && v.Height%2 == 0,
		MaxTime:   f.cfg.MaxDuration + time.Second,
		Threads:   f.cfg.Threads,
		Stated:    pr.Duration,
	}, nil
}

// liveTimeout is the hard deadline of Live's ffmpeg. A recording's wall
// time is bounded by the caller's context (pauses included), not by
// ProcessTimeout, which is meant for files that are already whole.
func (f *FFmpeg) liveTimeout() time.Duration { return 10*time.Minute + 2*f.cfg.MaxDuration }

// runLive runs ffmpeg on the recording and checks what it made.
func (f *FFmpeg) runLive(ctx context.Context, req media.LiveRequest, dir string, in *chunkReader, head []byte, eof bool, plan livePlan) (*media.LiveResult, error) {
	// A private copy of the MP4, to probe once it is complete: req.MP4 may
	// be an upload that cannot be read back.
	tmp, err := os.CreateTemp(f.cfg.TempDir, "baton-live-*.mp4")
	if err != nil {
		return nil, fmt.Errorf("transcode: live: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	mp4 := &mp4Tee{dst: req.MP4, tmp: tmp}

	// The recording reaches ffmpeg through a pipe of our own, whose read end
	// the child gets as its stdin. Closing the write end is ffmpeg's EOF.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("transcode: live: %w", err)
	}
	defer stdinR.Close()
	defer stdinW.Close()

	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)

	clock := newMKVClock()
	feed := &liveFeeder{in: in, w: stdinW, clock: clock, maxDuration: f.cfg.MaxDuration, cutAt: req.MaxDuration}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		if err := feed.run(runCtx, head, eof); err != nil {
			stopRun(err) // the runner stops ffmpeg
		}
		// EOF for ffmpeg: at the end of the recording it finishes the
		// outputs and exits. When the run is stopped this matters too:
		// ffmpeg restarts a read that SIGTERM interrupts (SA_RESTART), so
		// blocked on a quiet recording it would wait out the grace period
		// for SIGKILL; EOF ends that read at once.
		stdinW.Close()
	}()

	watch := &playlistWatcher{path: filepath.Join(dir, HLSPlaylistName), onSegment: req.OnSegment}
	// A playlist left by an earlier attempt would be reported as this one's.
	if err := os.Remove(watch.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("transcode: live: %w", err)
	}
	stopWatch, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(livePoll)
		defer t.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-t.C:
				watch.scan(false)
			}
		}
	}()

	stderr, runErr := f.runner.run(runCtx, command{
		Path:    f.cfg.FFmpegPath,
		Args:    liveArgs(plan),
		Timeout: f.liveTimeout(),
		Stdin:   stdinR,
		Stdout:  mp4,
		Dir:     dir,
		// The child has its own copy now; ours must go, or writes would
		// block instead of failing once ffmpeg has exited.
		OnStart: func() { stdinR.Close() },
		MaxRSS:  req.MaxRSS,
	})
	stopRun(errLiveExited) // the feeder stops waiting for the recording
	stdinW.Close()         // and stops writing, if ffmpeg never read
	<-fed
	close(stopWatch)
	<-watched

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("transcode: live: %w", context.Cause(ctx))
	}
	if err := feed.err; err != nil && !errors.Is(err, errLiveExited) {
		return nil, err // over the duration limit, or the recording could not be read
	}
	if err := mp4.error(); err != nil {
		return nil, fmt.Errorf("transcode: live: writing the MP4: %w", err)
	}
	if errors.Is(runErr, media.ErrLiveOverMemory) {
		// Not a verdict on the recording: the job processes it after Stop.
		return nil, fmt.Errorf("transcode: live: %w", runErr)
	}
	if runErr != nil {
		return nil, classify("live", runErr, stderr, nil)
	}
	watch.scan(true) // segments finished since the last tick, and the end
	if watch.err != nil {
		return nil, fmt.Errorf("transcode: live: %w", watch.err)
	}

	out, err := f.verifyLive(ctx, tmp.Name(), plan, clock, feed.reachedEOF())
	if err != nil {
		return nil, err
	}
	if !watch.ended {
		return nil, fmt.Errorf("transcode: live: the playlist has no #EXT-X-ENDLIST after ffmpeg exited: %s", lastLines(stderr, 3))
	}
	out.info.SizeBytes = mp4.size()
	f.log.Debug("transcode: live: done", "copy_video", plan.CopyVideo, "segments", watch.sent,
		"duration_ms", out.info.DurationMs, "size_bytes", out.info.SizeBytes,
		"tail", time.Since(feed.eofTime()).Round(time.Millisecond))
	return &media.LiveResult{Info: out.info, VideoCopied: plan.CopyVideo}, nil
}

// verifyLive probes the finished MP4 (its private copy at path) and checks
// it is what a player needs and as long as the recording.
func (f *FFmpeg) verifyLive(ctx context.Context, path string, plan livePlan, clock *mkvClock, reachedEOF bool) (*source, error) {
	spec := inputSpec{Path: path, Container: ContainerMP4, MaxPixels: f.decoderMaxPixels()}
	pr, err := f.probe(ctx, spec, &hint{code: media.EINVALID, message: "The recording could not be converted: nothing could be decoded."})
	if err != nil {
		return nil, err
	}
	switch {
	case pr.Video == nil:
		return nil, media.Errorf(media.EINVALID, "The recording could not be converted: no picture could be decoded.")
	case pr.Video.Codec != "h264":
		return nil, fmt.Errorf("transcode: live: output video codec is %q, want h264", pr.Video.Codec)
	case pr.Video.Width%2 != 0 || pr.Video.Height%2 != 0 || pr.Video.Width == 0:
		return nil, fmt.Errorf("transcode: live: output is %dx%d, want even dimensions", pr.Video.Width, pr.Video.Height)
	case plan.Audio >= 0 && pr.Audio == nil:
		return nil, media.Errorf(media.EINVALID, "The recording could not be converted: its sound could not be decoded.")
	case pr.Audio != nil && pr.Audio.Codec != "aac":
		return nil, fmt.Errorf("transcode: live: output audio codec is %q, want aac", pr.Audio.Codec)
	}
	got := pr.Duration
	if !reachedEOF {
		// ffmpeg ended by itself before the recording did: the -t backstop
		// (the clock could not follow the stream) or input it gave up on.
		if got >= f.cfg.MaxDuration {
			return nil, media.Errorf(media.ETOOLARGE, "The recording is longer than %s, the most Baton accepts.", humanDuration(f.cfg.MaxDuration))
		}
		return nil, media.Errorf(media.EINVALID, "Only %s of the recording could be converted; the rest could not be read.", humanDuration(got))
	}
	if clock.err != nil || clock.blocks == 0 {
		// ffmpeg read what the clock could not; its output is all there is
		// to go by.
		f.log.Warn("transcode: live: cannot check the output's length against the recording", "err", clock.err, "blocks", clock.blocks)
	} else if want, tol := clock.span(), max(time.Second, clock.span()/20); got < want-tol {
		return nil, media.Errorf(media.EINVALID, "Only %s of the recording's %s could be converted; it is probably damaged.",
			humanDuration(got), humanDuration(want))
	} else if got > want+tol {
		f.log.Warn("transcode: live: output longer than the recording's timestamps", "output", got, "recording", want)
	}
	// As verify does for files processed whole: a file that says how long
	// it is and converts to much less is cut short, not a shorter video.
	if want, tol := plan.Stated, max(time.Second, plan.Stated/20); want > 0 && got < want-tol {
		return nil, media.Errorf(media.EINVALID, "Only %s of the video's %s could be converted; the file is probably cut short or damaged.",
			humanDuration(got), humanDuration(want))
	}
	return &source{spec: spec, probe: pr, duration: got, info: mediaInfo(ContainerMP4, pr, got, 0)}, nil
}

// Poster writes a JPEG frame of the video at path video, from about atMs
// in, to out; see media.LiveTranscoder. The time is clamped into the video
// (its video stream, which may end before its sound); the frame is at most
// 1280 pixels wide with even dimensions. The video is inspected like any
// input first: EUNSUPPORTED, EINVALID, ETOOLARGE.
func (f *FFmpeg) Poster(ctx context.Context, video, out string, atMs int64) error {
	src, err := f.inspect(ctx, video, 0)
	if err != nil {
		return err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("transcode: poster: %w", err)
	}
	return f.posterAt(ctx, src, posterTime(src, atMs), out, 0)
}

// posterTime clamps atMs into src's video: no earlier than its start, and
// two frames before its end, where a seek still finds a frame to decode.
func posterTime(src *source, atMs int64) time.Duration {
	d := src.duration
	if vd := src.probe.Video.Duration; vd > 0 && vd < d {
		d = vd
	}
	frame := 100 * time.Millisecond
	if fr := src.probe.Video.FrameRate; fr > 0 {
		frame = time.Duration(float64(time.Second) / fr)
	}
	at := time.Duration(max(atMs, 0)) * time.Millisecond
	if atMs > int64(d/time.Millisecond) {
		at = d
	}
	return max(0, min(at, d-2*frame))
}

// liveFeeder copies the recording into ffmpeg's stdin, following its
// timestamps on the way.
type liveFeeder struct {
	in          *chunkReader
	w           io.Writer
	clock       *mkvClock
	maxDuration time.Duration
	// cutAt, if above zero, is where the recording's conversion ends: the
	// block that crosses it and everything after are read (the upload goes
	// on to its end) and dropped. ffmpeg waits for the recording's EOF as
	// usual, so the cut changes nothing in how a run ends.
	cutAt time.Duration
	cut   bool

	mu  sync.Mutex
	eof time.Time // when Input returned io.EOF; zero before
	err error     // why feeding stopped early; set before run returns
}

// run feeds head and then the rest of the recording until io.EOF.
func (fd *liveFeeder) run(ctx context.Context, head []byte, eof bool) error {
	fd.err = fd.feed(ctx, head, eof)
	return fd.err
}

func (fd *liveFeeder) feed(ctx context.Context, head []byte, eof bool) error {
	if err := fd.write(head); err != nil {
		return err
	}
	for !eof {
		c, err := fd.in.next(ctx)
		if err != nil {
			return err
		}
		if err := fd.write(c.b); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
		eof = c.eof
	}
	fd.mu.Lock()
	fd.eof = time.Now()
	fd.mu.Unlock()
	return nil
}

func (fd *liveFeeder) write(b []byte) error {
	if fd.cut {
		return nil
	}
	if fd.cutAt > 0 {
		b = fd.beforeCut(b)
	} else {
		fd.clock.Write(b)
	}
	if d := fd.clock.span(); d > fd.maxDuration {
		return media.Errorf(media.ETOOLARGE, "The recording is longer than %s, the most Baton accepts.", humanDuration(fd.maxDuration))
	}
	if _, err := fd.w.Write(b); err != nil {
		// ffmpeg exited or was stopped; runLive says why.
		return fmt.Errorf("transcode: live: %w: %w", errLiveExited, err)
	}
	return nil
}

// beforeCut passes b to the clock in small steps and returns the part of
// it before the step whose block crosses cutAt, so that a chunk holding
// many seconds of a low-rate recording is cut near the limit, not at its
// end.
func (fd *liveFeeder) beforeCut(b []byte) []byte {
	const step = 512
	for i := 0; i < len(b); i += step {
		fd.clock.Write(b[i:min(i+step, len(b))])
		if fd.clock.span() > fd.cutAt {
			fd.cut = true
			return b[:i]
		}
	}
	return b
}

// reachedEOF reports whether all of the recording went to ffmpeg.
func (fd *liveFeeder) reachedEOF() bool { return !fd.eofTime().IsZero() }

// eofTime is when the recording ended, or now if it has not.
func (fd *liveFeeder) eofTime() time.Time {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.eof
}

// chunkReader reads LiveRequest.Input in a goroutine of its own, so that
// Live can stop waiting for a recording that has gone quiet when its
// context ends.
type chunkReader struct {
	ch   chan chunk
	quit chan struct{}
	once sync.Once
}

// chunk is what one Read returned. err is nil at io.EOF, which sets eof.
type chunk struct {
	b   []byte
	eof bool
	err error
}

func newChunkReader(r io.Reader) *chunkReader {
	c := &chunkReader{ch: make(chan chunk), quit: make(chan struct{})}
	go c.read(r)
	return c
}

func (c *chunkReader) read(r io.Reader) {
	buf := make([]byte, liveReadSize)
	for {
		n, err := r.Read(buf)
		ch := chunk{b: bytes.Clone(buf[:n])}
		switch {
		case errors.Is(err, io.EOF):
			ch.eof = true
		case err != nil:
			ch.err = fmt.Errorf("transcode: live: reading the recording: %w", err)
		case n == 0:
			continue
		}
		select {
		case c.ch <- ch:
		case <-c.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// next returns the next chunk of the recording.
func (c *chunkReader) next(ctx context.Context) (chunk, error) {
	select {
	case ch := <-c.ch:
		return ch, nil
	case <-ctx.Done():
		return chunk{}, fmt.Errorf("transcode: live: %w", context.Cause(ctx))
	}
}

// fill appends chunks to buf until it holds at least n bytes or the
// recording ends.
func (c *chunkReader) fill(ctx context.Context, buf []byte, n int) ([]byte, bool, error) {
	for len(buf) < n {
		ch, err := c.next(ctx)
		if err != nil {
			return nil, false, err
		}
		buf = append(buf, ch.b...)
		if ch.err != nil {
			return nil, false, ch.err
		}
		if ch.eof {
			return buf, true, nil
		}
	}
	return buf, false, nil
}

// stop ends the reading goroutine once its current Read returns.
func (c *chunkReader) stop() { c.once.Do(func() { close(c.quit) }) }

// mp4Tee passes ffmpeg's MP4 to the caller's writer and to Live's private
// copy, counting the bytes. Its first error stops the copying, which makes
// ffmpeg fail on a broken pipe; runLive reports this error instead.
type mp4Tee struct {
	dst io.Writer
	tmp io.Writer

	mu  sync.Mutex
	n   int64
	err error
}

func (t *mp4Tee) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.dst.Write(p)
	t.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err == nil {
		_, err = t.tmp.Write(p)
	}
	if err != nil {
		t.err = err
	}
	return n, err
}

func (t *mp4Tee) size() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func (t *mp4Tee) error() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// playlistWatcher reads the HLS playlist as ffmpeg rewrites it and reports
// each segment once. ffmpeg renames a complete new playlist into place only
// after the segments it names are complete, so a name read from it is a
// finished file.
type playlistWatcher struct {
	path      string
	onSegment func(name string)

	sent  int         // segments reported
	ended bool        // #EXT-X-ENDLIST seen
	err   error       // the playlist is not what ffmpeg writes
	seen  os.FileInfo // the playlist last read
}

// scan reads the playlist, if it changed or force is set, and reports the
// segments not reported yet. It is called by one goroutine at a time.
func (w *playlistWatcher) scan(force bool) {
	if w.err != nil {
		return
	}
	fh, err := os.Open(w.path)
	if err != nil {
		return // not written yet
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || !force && w.seen != nil && os.SameFile(st, w.seen) && st.Size() == w.seen.Size() && st.ModTime().Equal(w.seen.ModTime()) {
		return // ffmpeg replaces the file (a new inode) for every change
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxPlaylist))
	if err != nil {
		return // try again on the next tick
	}
	w.seen = st
	var names []string
	ended := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "#EXT-X-ENDLIST":
			ended = true
		case line == "" || strings.HasPrefix(line, "#"):
		case !segmentName.MatchString(line):
			w.err = fmt.Errorf("unexpected entry %q in the playlist", line)
			return
		default:
			names = append(names, line)
		}
	}
	if len(names) < w.sent {
		w.err = fmt.Errorf("the playlist lost segments: %d listed, %d reported before", len(names), w.sent)
		return
	}
	for _, name := range names[w.sent:] {
		if w.onSegment != nil {
			w.onSegment(name)
		}
		w.sent++
	}
	w.ended = ended
}
