package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// The written record of a video: its transcript, chapters, scrub
// thumbnails, and trims that keep every comment at its moment.
//
// None of it stands between a recording and its share link. A video turns
// ready first; then a sweep (EnqueueFollowUps) gives every ready video that
// has no transcript (and no thumbnails) a durable follow-up job. The sweep
// is one idempotent statement, so the hand-off survives any crash between
// "ready" and the job's insert, covers both the upload and the recording
// paths without touching them, and backfills videos made before an engine
// was configured. A follow-up that fails leaves the video as it is and
// records a reason a person can read.

// JobTranscribe turns a ready video's speech into a timed transcript.
const JobTranscribe JobKind = "transcribe"

// JobThumbs makes a ready video's scrub-thumbnail sprite sheet.
const JobThumbs JobKind = "thumbs"

// JobEdit applies (or undoes) an owner's trim of a ready video.
const JobEdit JobKind = "edit"

// TranscriptStatus is where a video's transcript is.
type TranscriptStatus string

const (
	TranscriptPending TranscriptStatus = "pending"
	TranscriptDone    TranscriptStatus = "done"
	TranscriptFailed  TranscriptStatus = "failed"
	// TranscriptOff: no engine is configured; nothing will happen until
	// an operator sets BATON_TRANSCRIBE.
	TranscriptOff TranscriptStatus = "off"
)

// Segment is one timed line of a transcript.
type Segment struct {
	ID      int64 // stable within the video; 0 before it is stored
	StartMs int64
	EndMs   int64
	Text    string
	// Edited is set once the owner corrected the line by hand.
	Edited bool
}

// Transcript is what an engine heard in a video.
type Transcript struct {
	VideoID  string
	Status   TranscriptStatus
	Engine   string // "pocketsphinx", "whisper", "openai"
	Language string // what the engine reports; may be empty
	// Error says why a failed transcript failed, safe to show a person.
	Error     string
	Segments  []Segment
	UpdatedAt time.Time
}

// TranscribeRequest is one piece of audio to transcribe.
type TranscribeRequest struct {
	// Audio is a 16 kHz mono 16-bit PCM WAV file.
	Audio string
	// DurationMs is the audio's length; engines use it for deadlines.
	DurationMs int64
	// Language is an ISO 639-1 code, or empty to let the engine decide.
	Language string
}

// Transcription is an engine's answer.
type Transcription struct {
	Language string
	Segments []Segment
}

// Transcriber turns speech into timed text. Implementations live in
// media/speech. EUNAVAILABLE when the engine cannot be reached or is not
// installed (the job waits and retries); EINVALID when the engine refuses
// the audio; anything else is internal and retried a few times.
type Transcriber interface {
	// Name is the engine's name as the API shows it.
	Name() string
	Transcribe(ctx context.Context, req TranscribeRequest) (*Transcription, error)
}

// AudioExtractor pulls a video's sound out for transcription.
type AudioExtractor interface {
	// ExtractAudio writes the audio of the video file at in as a 16 kHz
	// mono 16-bit WAV at out. ENOAUDIO (as EUNSUPPORTED with
	// ErrNoAudio in its chain) when the video has no sound.
	ExtractAudio(ctx context.Context, in, out string) error
}

// ErrNoAudio is in the chain of ExtractAudio's error for a silent video.
var ErrNoAudio = errors.New("no audio stream")

// RecordStore keeps transcripts, chapters, thumbnails and edits. Methods
// that finish a job check the caller still holds its lease (ECONFLICT) and
// remove the job in the same transaction as the result they store.
type RecordStore interface {
	// EnqueueFollowUps gives ready videos without a transcript (when
	// transcribe is set) or thumbnails (when thumbs is set) a pending row
	// and a job, newest first, keeping at most limit follow-up jobs queued
	// or running and none while an upload waits to be processed. It marks
	// pending rows whose job is gone (it ran out of attempts) as failed,
	// and returns how many jobs it enqueued.
	EnqueueFollowUps(ctx context.Context, transcribe, thumbs bool, limit int) (int, error)
	// Transcript returns the video's transcript with its segments in time
	// order. ENOTFOUND when there is none.
	Transcript(ctx context.Context, videoID string) (*Transcript, error)
	// FinishTranscript replaces the video's transcript with t and removes
	// job. ECONFLICT.
	FinishTranscript(ctx context.Context, job *Job, t *Transcript) error
	// UpdateSegment sets a segment's text (marking it edited). ENOTFOUND.
	UpdateSegment(ctx context.Context, videoID string, segmentID int64, text string) (*Segment, error)
	// Retranscribe resets the video's transcript to pending and enqueues a
	// transcribe job. ENOTFOUND.
	Retranscribe(ctx context.Context, videoID, engine string) error

	ChapterStore
	ThumbStore
	EditStore
	SearchIndex
}

// Record runs the follow-up jobs and holds the rules of transcripts,
// chapters, thumbnails, search and trims.
type Record struct {
	Store  RecordStore
	Videos VideoStore
	Jobs   JobQueue
	Blobs  BlobStore
	// Transcriber is nil when transcription is off.
	Transcriber Transcriber
	Audio       AudioExtractor
	// Thumbnailer makes scrub sprites; nil disables them.
	Thumbnailer Thumbnailer
	// Cutter renders trims; nil disables editing.
	Cutter Cutter
	// Summarizer writes summaries once a transcript is done; nil turns
	// them off. Summaries keeps them (summary.go).
	Summarizer Summarizer
	Summaries  SummaryStore
	// MaxFollowUps bounds the transcribe and thumbs jobs queued or running
	// at once (0 means 1), so they never crowd out processing.
	MaxFollowUps int
	// Language is passed to the engine; empty lets it decide.
	Language string
	// OffHint tells a person how to turn transcription on.
	OffHint string
	Log     *slog.Logger

	// Notices, if set, carries "this video's record changed" to every
	// process sharing the database, so each drops what it cached (an edit
	// made by a worker elsewhere moves comments this process serves).
	Notices Notices

	mu         sync.Mutex
	observers  []func(videoID string)
	subscribed bool
}

// noticeRecord is the Notices topic of record changes.
const noticeRecord = "record"

// OnChange adds fn to the functions told about every video whose record
// (transcript, chapters, thumbnails, edit) changed: at once for changes
// made by this process, and through Notices (when set) for changes made
// by any process, so fn may hear of its own process's changes twice.
func (r *Record) OnChange(fn func(videoID string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observers = append(r.observers, fn)
	if r.Notices != nil && !r.subscribed {
		r.subscribed = true
		r.Notices.OnNotice(noticeRecord, r.tell)
	}
}

func (r *Record) tell(id string) {
	r.mu.Lock()
	obs := r.observers
	r.mu.Unlock()
	for _, fn := range obs {
		fn(id)
	}
}

// Handles reports whether kind is one of Record's jobs.
func (r *Record) Handles(kind JobKind) bool {
	return r != nil && (kind == JobTranscribe || kind == JobThumbs || kind == JobEdit || kind == JobSummarize)
}

func (r *Record) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Run does one of Record's jobs. A follow-up never fails its video: when
// retrying cannot help or the attempts are spent, the job records a
// readable reason on its own row and completes. Only transient errors are
// returned, for the worker to retry.
func (r *Record) Run(ctx context.Context, job *Job, tempDir string) error {
	var err error
	switch job.Kind {
	case JobTranscribe:
		err = r.transcribe(ctx, job, tempDir)
	case JobThumbs:
		err = r.thumbs(ctx, job, tempDir)
	case JobEdit:
		err = r.edit(ctx, job, tempDir)
	case JobSummarize:
		err = r.summarize(ctx, job)
	default:
		return fmt.Errorf("media: record cannot run %q jobs", job.Kind)
	}
	if errors.Is(err, errLeaseGone) {
		// The video was deleted while we worked; its job went with it.
		return nil
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	final := IsPermanent(err) || job.Attempts >= job.MaxAttempts
	if ErrorCode(err) == EUNAVAILABLE || ErrorCode(err) == ENOSPACE {
		// The worker waits these out without spending attempts.
		final = false
	}
	if !final {
		return err
	}
	msg := ErrorMessage(err)
	if !IsPermanent(err) && job.Attempts > 1 {
		msg = fmt.Sprintf("Failed after %d attempts: %s", job.Attempts, msg)
	}
	r.log().Warn("follow-up given up; the video is unaffected", "kind", job.Kind, "video_id", job.VideoID, "err", err)
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var ferr error
	switch job.Kind {
	case JobTranscribe:
		engine := ""
		if r.Transcriber != nil {
			engine = r.Transcriber.Name()
		}
		ferr = r.Store.FinishTranscript(bctx, job, &Transcript{VideoID: job.VideoID, Status: TranscriptFailed, Engine: engine, Error: msg})
	case JobThumbs:
		ferr = r.Store.FinishThumbs(bctx, job, &ThumbSheet{Status: ThumbsFailed, Error: msg})
	case JobEdit:
		ferr = r.Store.FailEdit(bctx, job, msg)
	case JobSummarize:
		ferr = r.Summaries.FinishSummary(bctx, job, &Summary{VideoID: job.VideoID, Status: SummaryFailed, Error: msg})
	}
	if ferr != nil && ErrorCode(ferr) != ENOTFOUND && ErrorCode(ferr) != ECONFLICT {
		return ferr
	}
	r.publish(job.VideoID)
	return nil
}

// errLeaseGone marks a job whose row vanished under us (the video was
// deleted); there is nothing to record.
var errLeaseGone = errors.New("media: job gone")

func (r *Record) publish(id string) {
	// This process at once (a page reloaded right after an edit must see
	// it), then every other process.
	r.tell(id)
	if r.Notices != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Notices.Notify(ctx, noticeRecord, id); err != nil {
			r.log().Warn("notify record change", "video_id", id, "err", err)
		}
	}
}

// Sweep enqueues follow-up jobs for ready videos that lack them.
func (r *Record) Sweep(ctx context.Context) (int, error) {
	n, err := r.Store.EnqueueFollowUps(ctx, r.Transcriber != nil, r.Thumbnailer != nil, max(r.MaxFollowUps, 1))
	if err != nil || r.Summarizer == nil || r.Summaries == nil {
		return n, err
	}
	m, err := r.Summaries.EnqueueSummaries(ctx, max(r.MaxFollowUps, 1))
	return n + m, err
}

// RunSweeper sweeps every interval until ctx ends, calling wake when it
// enqueued something.
func (r *Record) RunSweeper(ctx context.Context, interval time.Duration, wake func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := r.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			r.log().Warn("enqueue follow-ups", "err", err)
		}
		if n > 0 && wake != nil {
			wake()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scratch makes the job's private temp dir.
func scratch(tempDir string, job *Job) (string, error) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	dir, err := os.MkdirTemp(tempDir, fmt.Sprintf("job-%d-", job.ID))
	if err != nil {
		return "", WrapError(ENOSPACE, err, "No space for temporary files.")
	}
	return dir, nil
}

// fetch copies a stored object to a local file.
func fetch(ctx context.Context, blobs BlobStore, key, path string) error {
	b, err := blobs.Open(ctx, key)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "The video's file is missing.")
		}
		return err
	}
	defer b.Close()
	f, err := os.Create(path)
	if err != nil {
		return WrapError(ENOSPACE, err, "No space for temporary files.")
	}
	if _, err := io.Copy(f, b); err != nil {
		f.Close()
		if errors.Is(err, syscall.ENOSPC) {
			return WrapError(ENOSPACE, err, "No space for temporary files.")
		}
		return fmt.Errorf("media: fetch %s: %w", key, err)
	}
	return f.Close()
}

// store uploads a local file.
func store(ctx context.Context, blobs BlobStore, path, key, contentType string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("media: open output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return blobs.Put(ctx, key, f, st.Size(), contentType)
}

// stagedMP4 is a ready video's MP4 in a job's scratch directory, with the
// cuts that MP4 shows (edit.go).
type stagedMP4 struct {
	Dir, Path string
	Cuts      []Cut
}

// stageMP4 is how the follow-up jobs (transcripts, thumbnails) start: they
// read the rendition viewers see, refuse a video that is not ready, and
// place what they make through its cuts. The caller removes st.Dir.
func (r *Record) stageMP4(ctx context.Context, v *Video, job *Job, tempDir string) (*stagedMP4, error) {
	if v.Status != StatusReady || !v.HasMP4 {
		return nil, Errorf(ECONFLICT, "The video is not ready.")
	}
	dir, err := scratch(tempDir, job)
	if err != nil {
		return nil, err
	}
	st := &stagedMP4{Dir: dir, Path: filepath.Join(dir, "video.mp4")}
	if st.Cuts, err = r.currentCuts(ctx, v.ID); err == nil {
		err = fetch(ctx, r.Blobs, MP4Key(v.ID), st.Path)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return st, nil
}

func (r *Record) transcribe(ctx context.Context, job *Job, tempDir string) error {
	v, err := r.Videos.Video(ctx, job.VideoID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	if r.Transcriber == nil {
		return r.Store.FinishTranscript(ctx, job, &Transcript{VideoID: v.ID, Status: TranscriptOff})
	}
	st, err := r.stageMP4(ctx, v, job, tempDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(st.Dir)
	// Lines are mapped back through the cuts the MP4 we read shows.
	in, wav, cuts := st.Path, filepath.Join(st.Dir, "audio.wav"), st.Cuts
	t := &Transcript{VideoID: v.ID, Status: TranscriptDone, Engine: r.Transcriber.Name()}
	if err := r.Audio.ExtractAudio(ctx, in, wav); err != nil {
		if !errors.Is(err, ErrNoAudio) {
			return err
		}
		// A silent video has an empty transcript, not a broken one.
		t.Error = "The video has no sound."
	} else {
		res, err := r.Transcriber.Transcribe(ctx, TranscribeRequest{Audio: wav, DurationMs: v.DurationMs, Language: r.Language})
		if err != nil {
			return err
		}
		t.Language = res.Language
		t.Segments = CleanSegments(res.Segments, v.DurationMs)
		// Lines are stored on the original timeline (edit.go). An edit
		// applied while we listened makes them unplaceable: start over.
		if err := r.sameCuts(ctx, v.ID, cuts); err != nil {
			return err
		}
		for i := range t.Segments {
			t.Segments[i].StartMs = MapBack(cuts, t.Segments[i].StartMs)
			t.Segments[i].EndMs = max(MapBack(cuts, t.Segments[i].EndMs), t.Segments[i].StartMs)
		}
	}
	if err := r.Store.FinishTranscript(ctx, job, t); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	r.log().Info("transcribed", "video_id", v.ID, "engine", t.Engine, "segments", len(t.Segments))
	r.publish(v.ID)
	return nil
}

// MaxSegmentText bounds one transcript line, in bytes.
const MaxSegmentText = 2000

// CleanSegments makes an engine's output safe to store and show: text
// trimmed, valid UTF-8 without control characters, empty lines dropped,
// times clamped into [0, durationMs] (when known) with end >= start, in
// time order.
func CleanSegments(in []Segment, durationMs int64) []Segment {
	out := make([]Segment, 0, len(in))
	for _, s := range in {
		text := cleanText(s.Text)
		if text == "" {
			continue
		}
		s.Text = text
		s.StartMs = max(s.StartMs, 0)
		s.EndMs = max(s.EndMs, s.StartMs)
		if durationMs > 0 {
			s.StartMs = min(s.StartMs, durationMs)
			s.EndMs = min(s.EndMs, durationMs)
		}
		s.ID = 0
		out = append(out, s)
	}
	// Engines emit in order; a stable insertion sort keeps it cheap and
	// keeps equal starts in the engine's order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].StartMs < out[j-1].StartMs; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MaxSegmentText {
		s = s[:MaxSegmentText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// TranscriptFor returns the video's transcript as the API shows it: a
// video without a row is pending when an engine is set (the sweep will
// get to it) and off otherwise.
func (r *Record) TranscriptFor(ctx context.Context, v *Video) (*Transcript, error) {
	t, err := r.Store.Transcript(ctx, v.ID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		t = &Transcript{VideoID: v.ID, Status: TranscriptPending}
		if r.Transcriber == nil {
			t.Status = TranscriptOff
		} else {
			t.Engine = r.Transcriber.Name()
		}
	case err != nil:
		return nil, err
	}
	if t.Status == TranscriptPending && t.Engine == "" && r.Transcriber != nil {
		// The sweep's pending row names no engine; the page tells how
		// long the one that will run usually takes.
		t.Engine = r.Transcriber.Name()
	}
	if t.Status == TranscriptOff || (r.Transcriber == nil && t.Status == TranscriptPending) {
		t.Status = TranscriptOff
		t.Error = r.OffHint
	}
	cuts, err := r.currentCuts(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	t.Segments = MapSegments(cuts, t.Segments)
	return t, nil
}

// CorrectSegment lets the owner fix one line of the transcript.
func (r *Record) CorrectSegment(ctx context.Context, videoID string, segmentID int64, text string) (*Segment, error) {
	clean := cleanText(text)
	if clean == "" {
		return nil, Errorf(EINVALID, "A transcript line must not be empty.")
	}
	if len(text) > MaxSegmentText {
		return nil, Errorf(EINVALID, "A transcript line must be at most %d bytes.", MaxSegmentText)
	}
	seg, err := r.Store.UpdateSegment(ctx, videoID, segmentID, clean)
	if err == nil {
		r.publish(videoID)
	}
	return seg, err
}

// Retranscribe runs the engine again over the video (after the owner
// changed the engine, or to recover from a failure).
func (r *Record) Retranscribe(ctx context.Context, v *Video) error {
	if r.Transcriber == nil {
		return Errorf(ECONFLICT, "Transcription is off. %s", r.OffHint)
	}
	if v.Status != StatusReady {
		return Errorf(ECONFLICT, "The video is not ready yet.")
	}
	return r.Store.Retranscribe(ctx, v.ID, r.Transcriber.Name())
}
