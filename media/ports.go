package media

import (
	"context"
	"io"
	"time"
)

// VideoStore keeps video metadata.
type VideoStore interface {
	// CreateVideo inserts v. ECONFLICT if its id or slug exists.
	CreateVideo(ctx context.Context, v *Video) error
	// Video returns the video with id. ENOTFOUND.
	Video(ctx context.Context, id string) (*Video, error)
	// VideoBySlug returns the video shared under slug. ENOTFOUND.
	VideoBySlug(ctx context.Context, slug string) (*Video, error)
	// ListVideos returns videos newest first. ListOptions.Before is the id of
	// the last video of the previous page.
	ListVideos(ctx context.Context, opt ListOptions) ([]*Video, error)
	// UpdateVideo loads the video, applies fn and saves it, in one
	// transaction. If enqueue is not empty a job of that kind is enqueued in
	// the same transaction (unless one is already active). ENOTFOUND, or fn's
	// error.
	UpdateVideo(ctx context.Context, id string, enqueue JobKind, fn func(*Video) error) (*Video, error)
	// DeleteVideo removes the video and its jobs. ENOTFOUND.
	DeleteVideo(ctx context.Context, id string) error
	// CountView adds one to the video's views and returns the video, unless
	// its view budget is spent: then EGONE and nothing changes. ENOTFOUND.
	CountView(ctx context.Context, id string) (*Video, error)
	// Ping checks the database answers.
	Ping(ctx context.Context) error
}

// ListOptions pages through videos.
type ListOptions struct {
	Limit  int
	Before string
	// Viewer, when set, limits the list to a library: the viewer's own
	// videos (Scope "mine"), the ones other members share with the
	// workspace (Scope "workspace"), or both (Scope ""). The listed videos
	// carry CommentCount and OwnerName.
	Viewer string
	Scope  string
	// Query keeps videos whose title contains it (case-insensitive).
	Query string
	// Now decides which links have expired (workspace scope).
	Now time.Time
}

// Library scopes of ListOptions.
const (
	ScopeMine      = "mine"
	ScopeWorkspace = "workspace"
)

// JobKind names what a job does.
type JobKind string

const (
	// JobProcess turns an uploaded original into playable outputs.
	JobProcess JobKind = "process"
	// JobFaststart rewrites a ready video's streamed (fragmented) MP4 so its
	// index comes first, which browsers open with one request instead of
	// one per fragment.
	JobFaststart JobKind = "faststart"
)

// Remuxer rewrites an MP4 without re-encoding it.
type Remuxer interface {
	// Faststart writes in's streams to out as an MP4 with its index in
	// front, and checks the duration survived.
	Faststart(ctx context.Context, in, out string) error
}

// Job is one unit of durable background work on a video.
type Job struct {
	ID          int64
	Kind        JobKind
	VideoID     string
	Attempts    int // including the current one
	MaxAttempts int
	LeaseOwner  string
	LeaseUntil  time.Time
	LastError   string
}

// JobQueue is the durable queue behind the workers. Every method that
// changes a claimed job checks the caller still holds its lease and returns
// ECONFLICT if not, so a worker that lost its lease (it stalled and the
// reaper gave the job to another) cannot overwrite the new owner's result.
type JobQueue interface {
	// ClaimJob leases the oldest runnable job to owner; nil if none.
	ClaimJob(ctx context.Context, owner string, lease time.Duration) (*Job, error)
	// ExtendLease keeps a running job's lease alive. ECONFLICT.
	ExtendLease(ctx context.Context, job *Job, lease time.Duration) error
	// CompleteJob removes the job and applies fn to its video, atomically. ECONFLICT.
	CompleteJob(ctx context.Context, job *Job, fn func(*Video) error) error
	// RetryJob releases the job to run again at runAt, recording
	// job.Attempts as the attempts made so far: a caller lowers it first
	// when the attempt should not count (shutdown, a dependency outage).
	// ECONFLICT.
	RetryJob(ctx context.Context, job *Job, runAt time.Time, reason string) error
	// FailJob removes the job and applies fn (which marks the video failed)
	// atomically. ECONFLICT.
	FailJob(ctx context.Context, job *Job, fn func(*Video) error) error
	// ReapJobs returns jobs whose lease expired to the queue, and fails the
	// videos of those that have used all their attempts with reason. It
	// returns the ids of the videos it changed.
	ReapJobs(ctx context.Context, now time.Time, reason string) ([]string, error)
	// StrandedVideos returns the ids of videos that are processing with no
	// job queued or running: a state nothing would ever end.
	StrandedVideos(ctx context.Context) ([]string, error)
}

// BlobInfo describes a stored object.
type BlobInfo struct {
	Key         string
	Size        int64
	ModTime     time.Time
	ContentType string
}

// Blob is an open stored object. It seeks, so it can answer Range requests.
type Blob interface {
	io.ReadSeekCloser
	Info() BlobInfo
}

// BlobStore keeps originals and outputs. Keys are slash-separated and built
// only by this package (see OriginalKey and friends). Every call honours its
// context's deadline; a store that cannot be reached returns EUNAVAILABLE.
type BlobStore interface {
	// Put stores r under key, replacing any object there. size is -1 when
	// unknown. The object appears whole or not at all.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open opens the object for reading. ENOTFOUND.
	Open(ctx context.Context, key string) (Blob, error)
	// Stat describes the object. ENOTFOUND.
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Delete removes the object; removing a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
	// List returns the objects whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]BlobInfo, error)
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
}

// BlobWriter receives an object's bytes over time, for outputs that are
// produced while a recording is still going. Nothing is visible under the key
// until Commit returns; Abort (or a cancelled context) discards everything,
// including parts already sent to the store.
type BlobWriter interface {
	io.Writer
	// Commit makes the object visible. Its cost depends only on the bytes
	// not yet sent, not on the object's size.
	Commit(ctx context.Context) error
	// Abort discards the object. Safe to call after Commit (then a no-op)
	// and more than once.
	Abort(ctx context.Context) error
}

// StreamingBlobStore is implemented by blob stores that can take an object
// while it is being produced: the disk store through a temp file renamed at
// the end, the S3 store through a multipart upload whose parts go up as
// they fill.
type StreamingBlobStore interface {
	BlobStore
	// Create starts an object at key. The writer must be committed or
	// aborted.
	Create(ctx context.Context, key string, contentType string) (BlobWriter, error)
}

// Presigner is implemented by blob stores that can hand out short-lived URLs
// so clients fetch bytes without passing through Baton.
type Presigner interface {
	// PresignGet returns a URL valid for ttl. downloadName, when set, makes
	// the URL answer with Content-Disposition: attachment.
	PresignGet(ctx context.Context, key string, ttl time.Duration, downloadName string) (string, error)
}

// MediaInfo is what probing a media file found.
type MediaInfo struct {
	Container  string // "matroska" or "mp4"
	DurationMs int64
	Width      int
	Height     int
	FrameRate  float64
	VideoCodec string // ffprobe codec_name, e.g. "h264", "vp8"
	AudioCodec string // empty when there is no audio
	SizeBytes  int64
}

// ProcessRequest asks the transcoder to make playable outputs.
type ProcessRequest struct {
	Input  string     // local path of the original
	Info   *MediaInfo // from Inspect
	OutDir string     // private, empty directory for the outputs
	// Progress, if set, is called with the percent done (0..100), at most a
	// few times a second.
	Progress func(percent float64)
	// MaxDuration, if above zero, is where the video ends: what the input
	// has past it is left out (a recorded reply's limit), not refused.
	MaxDuration time.Duration
}

// ProcessResult lists the outputs and what probing them found.
type ProcessResult struct {
	MP4Path    string
	PosterPath string
	Info       MediaInfo // of the MP4
	Remuxed    bool      // the video stream was copied, not re-encoded
}

// Transcoder inspects and converts media. Implementations must treat every
// input as hostile.
type Transcoder interface {
	// Sniff names the container from a file's first bytes (at least 64
	// bytes when the file has them). EUNSUPPORTED when it is not one we accept,
	// EINVALID when the file is empty.
	Sniff(header []byte) (container string, err error)
	// Inspect sniffs and probes the file at path. EUNSUPPORTED (not a
	// supported container, no video stream), ETOOLARGE (over the pixel or
	// duration limits), EINVALID (corrupt).
	Inspect(ctx context.Context, path string) (*MediaInfo, error)
	// Process writes a faststart H.264/AAC MP4 and a poster JPEG into
	// req.OutDir and probes them. Input errors are EINVALID; a crash or
	// timeout is an internal (retryable) error.
	Process(ctx context.Context, req ProcessRequest) (*ProcessResult, error)
}

// LiveRequest asks for a recording to be transcoded while it is uploaded.
type LiveRequest struct {
	// Input is the recording's bytes as they arrive (WebM/Matroska from a
	// browser's MediaRecorder). Read blocks until more bytes arrive and
	// returns io.EOF when the recording has ended.
	Input io.Reader
	// HLSDir receives a growing HLS playlist (index.m3u8, an "event" playlist
	// that gains #EXT-X-ENDLIST at the end) with fMP4 segments (init.mp4,
	// seg-00000.m4s, ...), so viewers can watch while the recording goes on.
	HLSDir string
	// MP4 receives the final video as it is produced: a fragmented MP4 with
	// its moov first, H.264/AAC, playable and seekable in browsers once
	// complete. Written strictly sequentially.
	MP4 io.Writer
	// OnSegment, if set, is called after each new segment and the playlist
	// naming it are complete on disk (name is the segment's file name).
	OnSegment func(name string)
	// MaxRSS, if above zero, bounds ffmpeg's resident memory in bytes: past
	// it the run is stopped with an error wrapping ErrLiveOverMemory.
	MaxRSS int64
	// MaxDuration, if above zero, is where the video ends: the recording
	// past it is still read to its end, so the upload completes, but not
	// converted (a recorded reply's limit).
	MaxDuration time.Duration
}

// LiveResult describes the finished live output.
type LiveResult struct {
	Info        MediaInfo // of the MP4 (DurationMs, Width, Height, codecs, SizeBytes)
	VideoCopied bool      // the video stream was kept, not re-encoded
}

// LiveTranscoder turns a growing recording into playable output as it
// arrives, so that when the recording stops only its tail remains to do.
type LiveTranscoder interface {
	// Live runs until Input returns io.EOF and the outputs are complete, or
	// ctx ends. EUNSUPPORTED/EINVALID for input it refuses.
	Live(ctx context.Context, req LiveRequest) (*LiveResult, error)
	// Poster writes a JPEG frame of the video at path video, from about
	// atMs in, to out.
	Poster(ctx context.Context, video, out string, atMs int64) error
}

// CommentStore keeps comments, reactions and the events of their changes.
// Every change is stored together with its event in one transaction, so the
// events are a complete history a live stream can replay. The check and fn
// callbacks run inside that transaction, on the current rows, and may
// complete the comment or reaction being stored. Events of committed
// changes go to the function set with OnCommentEvent, in Seq order, before
// the write returns.
type CommentStore interface {
	// OnCommentEvent sets the function that receives every committed event.
	// It must not block.
	OnCommentEvent(publish func(*CommentEvent))
	// CreateComment runs check on the comment's video and, for a reply, its
	// thread (nil for a new thread), then inserts c and a "created" event
	// carrying note (may be nil). ENOTFOUND (no such video), EINVALID
	// (ParentID is not a comment of the video), or check's error.
	CreateComment(ctx context.Context, c *Comment, note *NotifyRequest, check func(v *Video, parent *Comment) error) (*CommentEvent, error)
	// Comment returns the comment with id, placeholders included. ENOTFOUND.
	Comment(ctx context.Context, id string) (*Comment, error)
	// UpdateComment loads the comment and its video and applies fn. Unless
	// fn returns an empty type (nothing changed), the comment is saved with
	// an event of that type, and earlier events of the comment are rewritten
	// to its new state, so no event keeps text its author changed. The
	// event carries note (may be nil). ENOTFOUND, or fn's error.
	UpdateComment(ctx context.Context, id string, note *NotifyRequest, fn func(v *Video, c *Comment) (CommentEventType, error)) (*Comment, *CommentEvent, error)
	// DeleteComment runs check, then deletes the comment: a thread with
	// replies becomes a placeholder (Deleted, no body, no author); anything
	// else is removed, and a placeholder whose last reply goes is removed
	// too. Earlier events of a deleted comment lose its text. It returns the
	// "deleted" events, the comment's first. ENOTFOUND, or check's error.
	DeleteComment(ctx context.Context, id string, check func(v *Video, c *Comment) error) ([]*CommentEvent, error)
	// Threads returns a page of the video's threads ordered by (TimeMs, ID),
	// each with its replies oldest first, read in one snapshot with the
	// video's counts and newest event.
	Threads(ctx context.Context, videoID string, opt ThreadOptions) (*ThreadPage, error)
	// AddReaction runs check on the video, then inserts r and a "reaction"
	// event carrying the counts after it. ENOTFOUND, or check's error.
	AddReaction(ctx context.Context, r *Reaction, check func(v *Video) error) (*CommentEvent, error)
	// Reaction returns the reaction with id. ENOTFOUND.
	Reaction(ctx context.Context, id string) (*Reaction, error)
	// RemoveReaction runs check, then deletes the reaction with an
	// "unreaction" event carrying the counts after it. ENOTFOUND, or check's
	// error.
	RemoveReaction(ctx context.Context, id string, check func(v *Video, r *Reaction) error) (*CommentEvent, error)
	// Reactions returns a page of the video's reactions ordered by
	// (TimeMs, ID), and the video's counts per emoji.
	Reactions(ctx context.Context, videoID string, opt ReactionOptions) (*ReactionPage, error)
	// CommentEvents returns up to limit of the video's events with a Seq
	// above after, oldest first.
	CommentEvents(ctx context.Context, videoID string, after int64, limit int) ([]*CommentEvent, error)
	// LastCommentEvent returns the Seq of the video's newest event and of
	// the newest event of any video; 0 when there are none.
	LastCommentEvent(ctx context.Context, videoID string) (video, all int64, err error)
}

// Unfinished is a write a blob store started and never committed or
// aborted: the temp file of a Put or BlobWriter on disk, or a multipart
// upload on S3, left behind by a process that died mid-write. Nothing reads
// it; it only takes space.
type Unfinished struct {
	Key     string    // the object it was meant to become
	ID      string    // the store's own name for it (temp file, upload id)
	ModTime time.Time // when it was last written (disk) or started (S3)
}

// UnfinishedSweeper is implemented by blob stores whose writes can outlive
// a crashed writer, so upkeep can find and discard them.
type UnfinishedSweeper interface {
	// Unfinished lists the unfinished writes under prefix (every one for
	// "").
	Unfinished(ctx context.Context, prefix string) ([]Unfinished, error)
	// RemoveUnfinished discards one. One that is already gone (committed,
	// aborted, removed) is not an error.
	RemoveUnfinished(ctx context.Context, u Unfinished) error
}
