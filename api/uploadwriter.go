package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/baton-video/baton/media"
)

// tusErrorWriter buffers error responses so they can be rewritten.
type tusErrorWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	// bodyRead is set once the request body has been read to its end.
	bodyRead atomic.Bool
}

// SetReadDeadline passes tusd's read deadlines to the connection only
// while the request body is being read. Foot-gun: once the body is read,
// net/http is watching the idle connection for the client going away, and
// a deadline that expires there (tusd sets one NetworkTimeout after the
// last read, and one of now when another request interrupts the upload) is
// taken for a dead client: it cancels the connection's context, and with
// it every later request on that keep-alive connection ("context
// canceled", 500). A final PATCH whose hand-off outlasted the deadline lost
// its hand-off the same way.
func (w *tusErrorWriter) SetReadDeadline(t time.Time) error {
	if w.bodyRead.Load() {
		return nil // nothing left to read; see above
	}
	return http.NewResponseController(w.ResponseWriter).SetReadDeadline(t)
}

// SetWriteDeadline passes tusd's write deadlines (2 x NetworkTimeout after
// each read) to the connection while the body is being read, and lifts the
// deadline once it has been: then the final PATCH hands the upload off,
// which may take longer (a large original going to the store, a live
// session's tail on a busy machine), and a deadline that expired meanwhile
// made the server hang up without an answer although the hand-off had
// succeeded. Nothing is left to write then but a few headers.
func (w *tusErrorWriter) SetWriteDeadline(t time.Time) error {
	if w.bodyRead.Load() {
		t = time.Time{}
	}
	return http.NewResponseController(w.ResponseWriter).SetWriteDeadline(t)
}

// eofBody notes when a request body has been read to its end.
type eofBody struct {
	io.ReadCloser
	done *atomic.Bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done.Store(true)
	}
	return n, err
}

func (w *tusErrorWriter) WriteHeader(status int) {
	w.status = status
	if status < 400 || w.Header().Get("Content-Type") == "application/json" {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *tusErrorWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.status >= 400 && w.Header().Get("Content-Type") != "application/json" {
		return w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection: tusd sets read
// deadlines through it to detect stalled clients.
func (w *tusErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *tusErrorWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.status < 400 {
		f.Flush()
	}
}

// tusCodes gives tusd's error codes stable names and readable messages.
var tusCodes = map[string]ErrorDetail{
	"ERR_MISMATCHED_OFFSET":     {"upload_offset_mismatch", "The upload offset does not match what the server has; ask for the current offset (HEAD) and resume from there."},
	"ERR_UPLOAD_NOT_FOUND":      {media.ENOTFOUND, "Upload not found."},
	"ERR_MAX_SIZE_EXCEEDED":     {media.ETOOLARGE, "The upload is larger than this server allows."},
	"ERR_UPLOAD_SIZE_EXCEEDED":  {media.ETOOLARGE, "More bytes were sent than the declared upload length."},
	"ERR_INVALID_UPLOAD_LENGTH": {"invalid_upload_length", "The declared upload length is invalid or larger than this server allows."},
	"ERR_INVALID_OFFSET":        {"invalid_upload_offset", "The Upload-Offset header is missing or invalid."},
	"ERR_INVALID_CONTENT_TYPE":  {"invalid_content_type", "Upload chunks must be sent as application/offset+octet-stream."},
	"ERR_UNSUPPORTED_VERSION":   {"unsupported_tus_version", "Unsupported tus protocol version; send Tus-Resumable: 1.0.0."},
	"ERR_UPLOAD_LOCKED":         {"upload_locked", "Another request is writing to this upload right now; retry shortly."},
	"ERR_LOCK_TIMEOUT":          {"upload_locked", "Another request is writing to this upload right now; retry shortly."},
	"ERR_UPLOAD_INTERRUPTED":    {"upload_interrupted", "The upload was interrupted; resume it."},
	"ERR_READ_TIMEOUT":          {"upload_interrupted", "The upload stalled and was interrupted; resume it."},
	"ERR_CONNECTION_RESET":      {"upload_interrupted", "The connection was reset during the upload; resume it."},
}

func (w *tusErrorWriter) flush() {
	if w.status < 400 || w.Header().Get("Content-Type") == "application/json" {
		return
	}
	body := strings.TrimSpace(w.buf.String())
	code, msg, _ := strings.Cut(body, ": ")
	d, ok := tusCodes[code]
	status := w.status
	switch {
	case ok:
	case media.IsNoSpace(errors.New(body)):
		status, d = http.StatusInsufficientStorage, ErrorDetail{media.ENOSPACE, "The server is out of disk space for uploads. Try again later; the upload can resume."}
	case status >= 500:
		d = ErrorDetail{media.EINTERNAL, "Internal error."}
	default:
		d = ErrorDetail{"upload_error", strings.TrimSpace(msg)}
	}
	b, _ := json.Marshal(ErrorBody{Error: d})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.ResponseWriter.WriteHeader(status)
	_, _ = w.ResponseWriter.Write(b)
}
