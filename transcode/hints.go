package transcode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/baton-video/baton/media"
)

// hint turns a line ffmpeg prints into a message a person can act on.
type hint struct {
	match   string // a substring of ffmpeg's stderr
	code    string
	message string
}

// hints are tried in order; the first whose text is in stderr wins, so the
// specific ones come before the general ones.
var hints = []hint{
	{"exceeds specified max pixel count", media.ETOOLARGE, "The video's frames are larger than Baton accepts."},
	{"moov atom not found", media.EINVALID, "The MP4 file is incomplete: its index is missing, so the upload was probably cut short."},
	{"EBML header parsing failed", media.EINVALID, "The file is not valid WebM or Matroska."},
	{"not on whitelist", media.EUNSUPPORTED, "The file refers to other files or network addresses, which Baton does not follow."},
	{"Decoder (codec", media.EUNSUPPORTED, "The video uses a codec Baton cannot decode."},
	{"Decoding requested, but no decoder found", media.EUNSUPPORTED, "The video uses a codec Baton cannot decode."},
	{"Picture size", media.EINVALID, "The video's picture size is invalid."},
	// No frame of the stream decoded, e.g. an MP4 whose track data is in
	// another file, which Baton does not open.
	{"Cannot determine format of input stream", media.EINVALID, "No picture could be decoded: the file is damaged, or its video is stored in another file."},
	{"Invalid data found when processing input", media.EINVALID, "The video data is corrupt or truncated."},
	{"File ended prematurely", media.EINVALID, "The file ends early; the upload was probably cut short."},
	{"No space left on device", media.ENOSPACE, "The server ran out of disk space."},
}

// hintFor returns the first hint that matches stderr, or nil.
func hintFor(stderr string) *hint {
	for i := range hints {
		if strings.Contains(stderr, hints[i].match) {
			return &hints[i]
		}
	}
	return nil
}

// classify turns a runner error into the error Transcoder promises: a coded
// domain error when a non-zero exit is explained by stderr (or fallback, if
// given), else an internal error, which the worker retries. Timeouts,
// cancellations and deaths by signal are always internal.
func classify(what string, err error, stderr string, fallback *hint) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("transcode: %s: %w", what, err)
	// Internal, so retried; but if the retries run out this is what the
	// person sees, so say what happened rather than "Internal error."
	var se *signalError
	switch {
	case errors.As(err, &se):
		return media.WrapError(media.EINTERNAL, wrapped, "The video converter crashed (%v) while working on this video.", se.sig)
	case errors.Is(err, ErrTimeout):
		return media.WrapError(media.EINTERNAL, wrapped, "The video converter took too long on this video and was stopped.")
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if h := hintFor(stderr); h != nil {
			return media.WrapError(h.code, fmt.Errorf("transcode: %s: %w", what, err), "%s", h.message)
		}
		if fallback != nil {
			return media.WrapError(fallback.code, fmt.Errorf("transcode: %s: %w", what, err), "%s", fallback.message)
		}
	}
	return wrapped
}
