package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tus/tusd/v2/pkg/filestore"
	tus "github.com/tus/tusd/v2/pkg/handler"

	"github.com/baton-video/baton/media"
)

// uploads is the resumable upload endpoint: a tusd handler over a staging
// directory. Each video has exactly one upload whose id is the video's id,
// created with deferred length when the video is created, so a recorder can
// append chunks as they are produced and declare the length at the end.
//
// When the last byte arrives the upload is handed to media.Service (sniff,
// probe, store the original, enqueue processing) before the final PATCH is
// answered, so its response says whether the file was accepted. If that
// hand-off fails halfway (the store is down, the process dies), the upload
// stays complete in staging and is handed off again by the next PATCH or
// HEAD, or by upkeep.
type uploads struct {
	s      *Server
	dir    string
	store  filestore.FileStore
	locker *uploadLocks
	tus    *tus.UnroutedHandler
	// finishing serialises hand-offs per upload without holding tus locks
	// across calls into the service.
	finishing keyedMutex
	// writing admits one PATCH or HEAD per upload into tusd at a time.
	// tusd's own answer to a second request is to interrupt the first, and
	// that path has a data race inside tusd v2.8 (the request context's
	// watcher reads the body field writeChunk sets, unsynchronised). Here the
	// second waits a moment and otherwise gets 423 upload_locked, which tus
	// clients retry.
	writing writeSlots
}

func newUploads(s *Server) (*uploads, error) {
	dir := s.opt.StagingDir
	if dir == "" {
		return nil, errors.New("api: no staging dir")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("api: staging dir: %w", err)
	}
	u := &uploads{s: s, dir: dir, store: filestore.New(dir), locker: newUploadLocks()}
	composer := tus.NewStoreComposer()
	u.store.UseIn(composer)
	u.locker.UseIn(composer)
	h, err := tus.NewUnroutedHandler(tus.Config{
		StoreComposer:             composer,
		BasePath:                  "/api/uploads/",
		MaxSize:                   s.opt.MaxUploadBytes,
		DisableDownload:           true,
		DisableTermination:        true, // cancelling is DELETE /api/videos/{id}
		Cors:                      &tus.CorsConfig{Disable: true},
		PreFinishResponseCallback: u.preFinish,
		// Through Baton's logger, so its lines follow BATON_LOG_FORMAT
		// (tuslog.go).
		Logger: tusLogger(s.log),
		// A stalled client must not hold the upload's lock forever.
		// Also bounds how long a half-open PATCH keeps others out (see
		// uploads.writing).
		NetworkTimeout: 20 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("api: tus handler: %w", err)
	}
	u.tus = h
	return u, nil
}

// create makes the (empty, deferred-length) upload of a new video.
func (u *uploads) create(ctx context.Context, id string) error {
	_, err := u.store.NewUpload(ctx, tus.FileInfo{
		ID:             id,
		SizeIsDeferred: true,
		MetaData:       tus.MetaData{"videoId": id},
	})
	if err != nil {
		// A full disk can leave the upload half made (its data file but no
		// readable info file), which upkeep would never recognise.
		_ = os.Remove(u.path(id))
		_ = os.Remove(u.path(id) + ".info")
		return stagingError(err, "create upload")
	}
	return nil
}

func stagingError(err error, what string) error {
	if isNoSpace(err) {
		return media.WrapError(media.ENOSPACE, err, "The server is out of disk space for uploads. Try again later.")
	}
	return fmt.Errorf("api: %s: %w", what, err)
}

func isNoSpace(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no space left on device")
}

func (u *uploads) path(id string) string { return filepath.Join(u.dir, id) }

func (u *uploads) info(ctx context.Context, id string) (tus.FileInfo, bool) {
	up, err := u.store.GetUpload(ctx, id)
	if err != nil {
		return tus.FileInfo{}, false
	}
	info, err := up.GetInfo(ctx)
	return info, err == nil
}

// remove drops a video's staging files, waiting for a running PATCH to let go.
func (u *uploads) remove(ctx context.Context, id string) {
	lock, _ := u.locker.NewLock(id)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := lock.Lock(lctx, func() {}); err == nil {
		defer lock.Unlock()
	}
	u.terminate(ctx, id)
}

func (u *uploads) terminate(ctx context.Context, id string) {
	up, err := u.store.GetUpload(ctx, id)
	if err != nil {
		return
	}
	if err := u.store.AsTerminatableUpload(up).Terminate(ctx); err != nil {
		u.s.log.Warn("remove staged upload", "video_id", id, "err", err)
	}
}

func (u *uploads) uploadID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if !media.ValidID(id) {
		u.s.writeError(c, media.Errorf(media.ENOTFOUND, "Upload not found."))
		return "", false
	}
	return id, true
}

func (u *uploads) options(c *gin.Context) {
	u.serveTus(c, "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
}

// head answers the tus resume question "how much do you have?".
func (u *uploads) head(c *gin.Context) {
	id, ok := u.uploadID(c)
	if !ok {
		return
	}
	// tusd locks the upload for HEAD too, interrupting a running PATCH the
	// racy way; wait for the write slot instead (see uploads.writing).
	unlock, ok := u.writing.acquire(c.Request.Context(), id, 3*time.Second)
	if !ok {
		c.Header("Retry-After", "1")
		c.AbortWithStatus(http.StatusLocked)
		return
	}
	defer unlock()
	v, err := u.s.svc.Videos.Video(c.Request.Context(), id)
	if err != nil {
		u.s.writeError(c, err)
		return
	}
	if u.answerFinished(c, v) {
		return
	}
	if info, ok := u.info(c.Request.Context(), id); ok && complete(info) {
		// Complete but not handed off (an earlier hand-off failed): do it
		// now, so the client's resume ends the upload for real.
		nv, err := u.finish(c.Request.Context(), id, info.Size)
		if err != nil {
			u.s.writeError(c, err)
			return
		}
		if nv != nil && u.answerFinished(c, nv) {
			return
		}
	}
	u.serveTus(c, id, http.HandlerFunc(u.tus.HeadFile))
}

// answerFinished replies for a video whose upload was already handed off:
// the staging file is gone but the client may still ask (its last response
// was lost). It reports whether it answered.
func (u *uploads) answerFinished(c *gin.Context, v *media.Video) bool {
	switch v.Status {
	case media.StatusProcessing, media.StatusReady:
	case media.StatusFailed:
		if _, ok := u.info(c.Request.Context(), v.ID); ok {
			return false
		}
		if v.ErrorCode == media.EGONE {
			u.s.writeError(c, media.Errorf(media.EGONE, "%s", v.Error))
		} else {
			u.s.writeError(c, media.Errorf(media.EGONE, "This upload was refused: %s", v.Error))
		}
		return true
	default:
		return false
	}
	if _, ok := u.info(c.Request.Context(), v.ID); ok {
		u.terminate(c.Request.Context(), v.ID)
	}
	h := c.Writer.Header()
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Cache-Control", "no-store")
	h.Set("Upload-Offset", strconv.FormatInt(v.OriginalSize, 10))
	h.Set("Upload-Length", strconv.FormatInt(v.OriginalSize, 10))
	if c.Request.Method == http.MethodPatch {
		if off := c.GetHeader("Upload-Offset"); off != strconv.FormatInt(v.OriginalSize, 10) {
			u.s.writeError(c, media.Errorf(media.ECONFLICT, "This upload is already complete."))
			return true
		}
		c.Status(http.StatusNoContent)
		return true
	}
	c.Status(http.StatusOK)
	return true
}

func complete(info tus.FileInfo) bool { return !info.SizeIsDeferred && info.Offset == info.Size }

// patch appends bytes. Before tusd sees the request the video must still be
// accepting its upload; afterwards progress is recorded, and staging files of
// an upload that was handed off are removed.
func (u *uploads) patch(c *gin.Context) {
	id, ok := u.uploadID(c)
	if !ok {
		return
	}
	unlock, ok := u.writing.acquire(c.Request.Context(), id, 3*time.Second)
	if !ok {
		c.Header("Retry-After", "1")
		c.AbortWithStatusJSON(http.StatusLocked, ErrorBody{Error: tusCodes["ERR_UPLOAD_LOCKED"]})
		return
	}
	defer unlock()
	ctx := c.Request.Context()
	v, err := u.s.svc.Videos.Video(ctx, id)
	if err != nil {
		u.s.writeError(c, err)
		return
	}
	if u.answerFinished(c, v) {
		return
	}
	if _, err := u.s.svc.CheckUploadable(ctx, id); err != nil {
		u.s.writeError(c, err)
		return
	}
	if info, ok := u.info(ctx, id); ok {
		if complete(info) {
			// tusd answers "complete" without calling us again; make sure
			// the hand-off happened.
			if _, err := u.finish(ctx, id, info.Size); err != nil {
				u.s.writeError(c, err)
				return
			}
		}
		// A client resuming a final PATCH that was cut off after the length
		// was declared sends the length again. tus forbids changing it, not
		// repeating it, yet tusd refuses the repeat (400), which would
		// strand the recording one chunk short.
		if !info.SizeIsDeferred && c.GetHeader("Upload-Length") == strconv.FormatInt(info.Size, 10) {
			c.Request.Header.Del("Upload-Length")
		}
	}
	u.serveTus(c, id, http.HandlerFunc(u.tus.PatchFile))

	bctx := context.WithoutCancel(ctx)
	info, ok := u.info(bctx, id)
	if !ok {
		return
	}
	if complete(info) {
		// Gone: the service deletes the video of a file that is not a video.
		if nv, err := u.s.svc.Videos.Video(bctx, id); media.ErrorCode(err) == media.ENOTFOUND || (err == nil && nv.Status != media.StatusCreated && nv.Status != media.StatusUploading) {
			u.terminate(bctx, id)
		}
		return
	}
	u.s.svc.UploadProgress(bctx, id, info.Offset)
	u.s.svc.Live.Notify(id, u.path(id), info.Offset)
}

// preFinish runs inside tusd when the last byte has arrived.
func (u *uploads) preFinish(ev tus.HookEvent) (tus.HTTPResponse, error) {
	_, err := u.finish(ev.Context, ev.Upload.ID, ev.Upload.Size)
	if err != nil {
		status, d := errorStatus(err)
		if status >= 500 {
			u.s.log.Warn("hand off upload", "video_id", ev.Upload.ID, "err", err)
		}
		return tus.HTTPResponse{}, jsonTusError(status, d)
	}
	return tus.HTTPResponse{}, nil
}

// finish hands a complete upload to the service once.
func (u *uploads) finish(ctx context.Context, id string, size int64) (*media.Video, error) {
	defer u.finishing.lock(id)()
	v, err := u.s.svc.Videos.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Status == media.StatusProcessing || v.Status == media.StatusReady {
		return v, nil
	}
	if v, handled, err := u.s.svc.Live.Finish(ctx, id, size); handled || err != nil {
		return v, err
	}
	return u.s.svc.FinishUpload(ctx, id, u.path(id), size)
}

func jsonTusError(status int, d ErrorDetail) tus.Error {
	b, _ := json.Marshal(ErrorBody{Error: d})
	h := tus.HTTPHeader{"Content-Type": "application/json"}
	if status == http.StatusServiceUnavailable {
		h["Retry-After"] = "5" // as writeError says it
	}
	return tus.Error{
		ErrorCode: d.Code,
		Message:   d.Message,
		HTTPResponse: tus.HTTPResponse{
			StatusCode: status,
			Body:       string(b),
			Header:     h,
		},
	}
}

// serveTus runs a tusd handler with the base path stripped (tusd takes the
// id from the remaining path) and its plain-text errors rewritten to our
// JSON error shape.
func (u *uploads) serveTus(c *gin.Context, id string, h http.Handler) {
	r := c.Request.Clone(c.Request.Context())
	r.URL.Path = "/" + id
	r.URL.RawPath = ""
	w := &tusErrorWriter{ResponseWriter: c.Writer}
	if r.Body == nil || r.Body == http.NoBody {
		w.bodyRead.Store(true)
	} else {
		r.Body = &eofBody{ReadCloser: r.Body, done: &w.bodyRead}
	}
	u.tus.Middleware(h).ServeHTTP(w, r)
	w.flush()
}

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
	case isNoSpace(errors.New(body)):
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

// upkeep hands off uploads that completed while a hand-off could not run
// (crash, store outage), removes staging files nobody needs, and expires
// uploads that have been idle too long.
func (u *uploads) upkeep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		u.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (u *uploads) sweep(ctx context.Context) {
	infos, _ := filepath.Glob(filepath.Join(u.dir, "*.info"))
	for _, p := range infos {
		if ctx.Err() != nil {
			return
		}
		id := strings.TrimSuffix(filepath.Base(p), ".info")
		if !media.ValidID(id) {
			continue
		}
		u.sweepOne(ctx, id)
	}
}

func (u *uploads) sweepOne(ctx context.Context, id string) {
	lock := &uploadLock{l: u.locker, id: id}
	if !lock.TryLock() {
		return // a request is using it right now; taking it would interrupt it
	}
	defer lock.Unlock()
	v, err := u.s.svc.Videos.Video(ctx, id)
	if media.ErrorCode(err) == media.ENOTFOUND {
		u.terminate(ctx, id)
		return
	}
	if err != nil {
		return
	}
	info, ok := u.info(ctx, id)
	if !ok {
		return
	}
	switch {
	case v.Status != media.StatusCreated && v.Status != media.StatusUploading:
		u.terminate(ctx, id)
	case complete(info):
		if _, err := u.finish(ctx, id, info.Size); err != nil && !media.IsPermanent(err) {
			u.s.log.Warn("hand off staged upload", "video_id", id, "err", err)
		} else {
			u.terminate(ctx, id)
		}
	case u.s.opt.UploadExpiry > 0:
		st, err := os.Stat(u.path(id))
		if err == nil && time.Since(st.ModTime()) > u.s.opt.UploadExpiry {
			// A live session would otherwise wait for bytes forever,
			// holding its scratch files and the store's multipart uploads.
			u.s.svc.Live.Drop(id)
			u.terminate(ctx, id)
			if nv, err := u.s.svc.Videos.UpdateVideo(ctx, id, "", func(v *media.Video) error {
				v.Status, v.ErrorCode = media.StatusFailed, media.EGONE
				v.Error = "The upload expired before it was finished."
				return nil
			}); err == nil {
				u.s.svc.Events.Publish(nv)
			}
		}
	}
}
