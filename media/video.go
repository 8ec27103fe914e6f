// Package media is Baton's domain: videos, their lifecycle, processing jobs,
// and the interfaces the domain needs from the outside world (metadata store,
// blob store, transcoder). It imports only the standard library; adapters in
// media/<name> implement the interfaces, and api/ and cmd/ wire them up.
//
// The video lifecycle:
//
//	created ──(first bytes)──> uploading ──(upload complete)──> processing ──> ready
//	   │ share link exists from here                                    └──> failed (reason)
//
// A video row, its share slug and its resumable upload exist before the first
// byte, so a recorder can show the link the moment recording starts. When the
// upload completes the original is moved into the blob store and a processing
// job is enqueued in the same transaction that sets the status to processing.
// Workers claim jobs with leases; a reaper returns expired leases to the queue,
// so a crash mid-processing is retried, and a job that keeps failing ends the
// video as failed with a reason a person can read. A video becomes ready only
// after every output has been written, probed and stored.
package media

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Status is where a video is in its lifecycle.
type Status string

const (
	StatusCreated    Status = "created"
	StatusUploading  Status = "uploading"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
)

// Video is one recording and everything derived from it.
type Video struct {
	ID    string // UUIDv7
	Slug  string // 128-bit random, base62; the share link
	Title string
	// Description is a few lines the owner writes under the title.
	Description string
	Status      Status
	// Progress is processing progress in percent (0..100).
	Progress float64
	// ErrorCode and Error hold why processing failed, safe to show a person.
	ErrorCode string
	Error     string

	DurationMs int64
	Width      int
	Height     int
	SizeBytes  int64 // size of the playable MP4

	// UploadedBytes is how much of the original has arrived so far.
	UploadedBytes int64
	// OriginalSize and OriginalFormat describe the stored original.
	OriginalSize   int64
	OriginalFormat string // container sniffed from the bytes: "matroska" or "mp4"

	HasPoster bool
	HasMP4    bool
	// Live is set while a growing HLS rendition of a recording in progress
	// exists (see LiveSessions); viewers can watch it before the video is
	// ready.
	Live bool
	// Processing and ProcessingNote are how a recording in progress is
	// processed (LiveMode) and why live processing stopped, as the process
	// holding its upload decided (admission.go); stored so that every
	// process can tell the person.
	Processing     LiveMode
	ProcessingNote string

	// Discussion settings. They are stored as what the owner turned off, so
	// that the zero Video, and every row older than the settings, has
	// comments, guest comments and reactions on (see CommentsEnabled).
	CommentsOff  bool
	GuestsOff    bool
	ReactionsOff bool
	// DefaultSpeed is the playback speed the owner picked for viewers who
	// have not chosen one themselves (one of PlaybackSpeeds); 0 for none.
	DefaultSpeed float64
	// OwnerID is the user who created the video (see user.go); empty only
	// for videos made before accounts existed, which the first account
	// takes over.
	OwnerID string
	// Sharing is who may watch through the link, and on what terms (see
	// sharing.go).
	Sharing Sharing
	// Views counts watch-page loads by people other than the owner.
	Views int64
	// ReplyTo is set on a recording made as a reply in another video's
	// thread: that video's id (reply.go). ReplyKind says what it shows, and
	// ReplyCommentID is the comment that carries it, once posted.
	ReplyTo        string
	ReplyKind      ReplyKind
	ReplyCommentID string
	// CommentCount and OwnerName are filled by listings only; they are
	// never stored.
	CommentCount int
	OwnerName    string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Object keys are built only from server-generated ids, never from anything
// a client sent, so no request can name a path.

// OriginalKey is where the untouched upload is kept.
func OriginalKey(videoID string) string { return "videos/" + videoID + "/original" }

// MP4Key is where the playable MP4 is kept.
func MP4Key(videoID string) string { return "videos/" + videoID + "/video.mp4" }

// PosterKey is where the poster JPEG is kept.
func PosterKey(videoID string) string { return "videos/" + videoID + "/poster.jpg" }

// LiveKey is where a file of the live HLS rendition is kept. name must be
// one that ValidLiveName accepts.
func LiveKey(videoID, name string) string { return "videos/" + videoID + "/live/" + name }

// LivePrefix is the prefix of the live HLS rendition.
func LivePrefix(videoID string) string { return "videos/" + videoID + "/live/" }

// ValidLiveName reports whether name is a file the live rendition can have:
// the playlist, the init segment or a numbered media segment.
func ValidLiveName(name string) bool {
	switch name {
	case "index.m3u8", "init.mp4":
		return true
	}
	digits, ok := strings.CutPrefix(name, "seg-")
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, ".m4s")
	if !ok || len(digits) < 5 || len(digits) > 9 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// CheckKey refuses object keys that could escape a store's root or collide
// with a store's own files: empty, absolute, backslashes or NULs, and any
// segment that is empty or starts with "." (which covers "." and ".." and
// the hidden temp and sidecar names stores keep beside objects). Every
// BlobStore refuses the same keys, so a bug shows up the same way on any of
// them. Keys are built by this package; this is a guard, not input
// validation. EINVALID.
func CheckKey(key string) error {
	bad := key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00")
	if !bad {
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || strings.HasPrefix(seg, ".") {
				bad = true
				break
			}
		}
	}
	if bad {
		return Errorf(EINVALID, "Invalid object key.")
	}
	return nil
}

// VideoPrefix is the prefix of every object that belongs to a video.
func VideoPrefix(videoID string) string { return "videos/" + videoID + "/" }

// MaxTitleLen is the longest title, in runes.
const MaxTitleLen = 200

// NormalizeTitle trims a title and checks its length.
func NormalizeTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if strings.ContainsFunc(title, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", Errorf(EINVALID, "Title must not contain control characters.")
	}
	if n := len([]rune(title)); n > MaxTitleLen {
		return "", Errorf(EINVALID, "Title must be at most %d characters (got %d).", MaxTitleLen, n)
	}
	return title, nil
}

// NewID returns a UUIDv7: time-ordered, so ids sort by creation and index
// well, with 62 random bits; ids made by one process sort in the order made.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	ms, seq := idClock.next(uint64(time.Now().UnixMilli()))
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[0:6], ts[2:8])
	// rand_a holds a counter within the millisecond (RFC 9562, 6.2 method
	// 1), so ids made by one process sort in the order they were made:
	// inboxes and logs ordered by id rely on it.
	b[6] = 0x70 | byte(seq>>8) // version 7
	b[7] = byte(seq)
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// SlugLen is the length of a share slug: 22 base62 digits hold 128 bits.
const SlugLen = 22

// NewSlug returns an unguessable share slug carrying 128 random bits.
func NewSlug() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, SlugLen)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := SlugLen - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out)
}

// ValidSlug reports whether s has the shape of a slug, so lookups of garbage
// never reach the database.
func ValidSlug(s string) bool {
	if len(s) != SlugLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	return true
}

// ValidID reports whether s has the shape of a video id (lower-case UUID).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// idClock hands out (millisecond, counter) pairs that only grow.
var idClock monotonicMs

type monotonicMs struct {
	mu     sync.Mutex
	lastMs uint64
	seq    uint16
}

// next returns now, or the last millisecond with the next counter when
// the clock has not moved on (or went back); a full counter borrows the
// next millisecond.
func (c *monotonicMs) next(now uint64) (uint64, uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now > c.lastMs {
		c.lastMs, c.seq = now, 0
		return c.lastMs, 0
	}
	if c.seq == 0x0fff {
		c.lastMs++
		c.seq = 0
		return c.lastMs, 0
	}
	c.seq++
	return c.lastMs, c.seq
}
