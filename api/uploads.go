package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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
// When the last byte arrives the upload is handed to media.Service
// (CompleteUpload) before the final PATCH is answered, so its response says
// whether the file was accepted. The staged files are removed only once the
// service says the video no longer needs them (media.UploadDone: its
// original is durably stored, or the upload was refused). If the hand-off
// fails halfway (the store is down, the process dies), the upload stays
// complete in staging and is handed off again by the next PATCH or HEAD, or
// by upkeep, which also runs once at start-up.
//
// Everything here is tus plumbing; what happens to the video is decided in
// media.
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
	// Declared lengths are written atomically (filestore truncates the
	// .info file and rewrites it in place: a crash in between leaves an
	// upload nobody can read, resume or finish).
	composer.UseLengthDeferrer(atomicLengths{dir: dir})
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
	if media.IsNoSpace(err) {
		return media.WrapError(media.ENOSPACE, err, "The server is out of disk space for uploads. Try again later.")
	}
	return fmt.Errorf("api: %s: %w", what, err)
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
	v, err := u.s.svc.Video(c.Request.Context(), id)
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

// checkLength refuses, before tusd sees the request, a declared length that
// tusd would store and only then find wrong: it writes Upload-Length to the
// upload before reading the body, so a body longer than the length it
// declares (413) used to leave that length behind, and every later chunk
// was refused: the upload could never finish. A refused request changes
// nothing.
func (u *uploads) checkLength(c *gin.Context, info tus.FileInfo) bool {
	h := c.GetHeader("Upload-Length")
	if h == "" || !info.SizeIsDeferred {
		return true
	}
	length, err := strconv.ParseInt(h, 10, 64)
	offset, oerr := strconv.ParseInt(c.GetHeader("Upload-Offset"), 10, 64)
	code := ""
	switch {
	case err != nil || length < info.Offset:
		code = "ERR_INVALID_UPLOAD_LENGTH"
	case u.s.opt.MaxUploadBytes > 0 && length > u.s.opt.MaxUploadBytes:
		code = "ERR_MAX_SIZE_EXCEEDED"
	case oerr != nil || offset != info.Offset:
		return true // tusd refuses this before it stores anything
	case c.Request.ContentLength > 0 && offset+c.Request.ContentLength > length:
		code = "ERR_UPLOAD_SIZE_EXCEEDED"
	default:
		return true
	}
	status := http.StatusBadRequest
	if code != "ERR_INVALID_UPLOAD_LENGTH" {
		status = http.StatusRequestEntityTooLarge
	}
	c.Header("Tus-Resumable", "1.0.0")
	c.AbortWithStatusJSON(status, ErrorBody{Error: tusCodes[code]})
	return false
}

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
	v, err := u.s.svc.Video(ctx, id)
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
		if !u.checkLength(c, info) {
			return
		}
	}
	u.serveTus(c, id, http.HandlerFunc(u.tus.PatchFile))

	bctx := context.WithoutCancel(ctx)
	info, ok := u.info(bctx, id)
	if !ok {
		return
	}
	if complete(info) {
		// Staging goes once the service no longer needs it, or the video
		// is gone (the service deletes the video of a file that is not a
		// video).
		if nv, err := u.s.svc.Video(bctx, id); media.ErrorCode(err) == media.ENOTFOUND || (err == nil && media.UploadDone(nv)) {
			u.terminate(bctx, id)
		}
		return
	}
	u.s.svc.UploadReceived(bctx, id, u.path(id), info.Offset)
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

// finish hands a complete upload to the service, one call per upload at a
// time.
func (u *uploads) finish(ctx context.Context, id string, size int64) (*media.Video, error) {
	defer u.finishing.lock(id)()
	return u.s.svc.CompleteUpload(ctx, id, u.path(id), size)
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
