package api

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Uploads through any process. An upload's staging bytes and its live
// session live in the API process that created it; the database records
// that process's internal URL (media.UploadOwners). A HEAD or PATCH that a
// load balancer sends to another process is passed to the holder as a
// streaming reverse proxy, body and answer unbuffered, with the client's
// Host and credentials, so the holder applies the same checks as if it had
// been asked directly. Forwarded requests carry forwardedHeader and are
// never forwarded again.
//
// If the holder is unreachable the client gets 503 with Retry-After and its
// tus client retries; when the holder is back (its staging is on its own
// disk) the upload resumes where it was, and an upload whose holder never
// comes back expires (cmd/baton's expire-uploads task).

const forwardedHeader = "X-Baton-Forwarded-By"

// forwarder is the proxy side of uploads through any process.
type forwarder struct {
	owners media.UploadOwners
	mu     sync.RWMutex
	self   string // this process's internal base URL
	tr     http.RoundTripper
}

func newForwarder(owners media.UploadOwners) *forwarder {
	if owners == nil {
		return nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Bodies are streamed through; a holder that is gone fails fast.
	tr.ResponseHeaderTimeout = 0
	tr.MaxIdleConnsPerHost = 32
	return &forwarder{owners: owners, tr: tr}
}

// SetInternalURL sets the base URL at which other processes reach this one
// (after listening, when the port is known).
func (s *Server) SetInternalURL(u string) {
	if s.fwd == nil {
		return
	}
	s.fwd.mu.Lock()
	defer s.fwd.mu.Unlock()
	s.fwd.self = strings.TrimRight(u, "/")
}

func (f *forwarder) selfURL() string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.self
}

// forwardUpload passes an upload request to the process holding the upload,
// unless this process holds it (or nobody is recorded: the local handler
// then answers as usual).
func (s *Server) forwardUpload(c *gin.Context) {
	f := s.fwd
	if f == nil || c.GetHeader(forwardedHeader) != "" {
		return
	}
	id := c.Param("id")
	if !media.ValidID(id) || s.uploads.holds(id) {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	owner, err := f.owners.UploadOwner(ctx, id)
	cancel()
	self := f.selfURL()
	if err != nil || owner == "" || owner == self {
		return
	}
	target, err := url.Parse(owner)
	if err != nil {
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The holder checks cross-origin requests against the Host the
			// client used.
			r.Out.Host = r.In.Host
			r.Out.Header.Set(forwardedHeader, self)
		},
		Transport: f.tr,
		// Stream: tus PATCH bodies are large, answers small and final.
		FlushInterval: -1,
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) {
			s.log.Warn("forward upload", "video_id", id, "holder", owner, "err", err)
			s.writeError(c, media.WrapError(media.EUNAVAILABLE, err,
				"The server holding this upload is not reachable right now. Try again in a moment."))
		},
	}
	c.Set(ctxForwarded, true)
	rp.ServeHTTP(c.Writer, c.Request)
	c.Abort()
}

// holds reports whether this process has the upload's staging.
func (u *uploads) holds(id string) bool {
	_, err := os.Stat(u.path(id) + ".info")
	return err == nil
}

// recordUploadOwner records this process as the holder of the upload that
// the video being created gets, before the client hears of it, so that its
// first PATCH may go to any process.
func (s *Server) recordUploadOwner(c *gin.Context) {
	if s.fwd == nil {
		return
	}
	c.Writer = &ownerWriter{ResponseWriter: c.Writer, s: s, ctx: c.Request.Context()}
}

// ownerWriter records the holder when the answer to a video creation is
// about to be written (the Location header names the new video).
type ownerWriter struct {
	gin.ResponseWriter
	s    *Server
	ctx  context.Context
	done bool
}

func (w *ownerWriter) record() {
	if w.done {
		return
	}
	w.done = true
	if w.ResponseWriter.Status() != http.StatusCreated {
		return
	}
	id := strings.TrimPrefix(w.Header().Get("Location"), "/api/videos/")
	if !media.ValidID(id) || !w.s.uploads.holds(id) {
		return
	}
	if err := w.s.fwd.owners.SetUploadOwner(w.ctx, id, w.s.fwd.selfURL()); err != nil {
		// The upload still works through this process; only requests that
		// land elsewhere will find no holder.
		w.s.log.Warn("record upload holder", "video_id", id, "err", err)
	}
}

func (w *ownerWriter) Write(b []byte) (int, error) {
	w.record()
	return w.ResponseWriter.Write(b)
}

func (w *ownerWriter) WriteString(s string) (int, error) {
	w.record()
	return w.ResponseWriter.WriteString(s)
}

func (w *ownerWriter) WriteHeaderNow() {
	w.record()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *ownerWriter) Flush() {
	w.record()
	w.ResponseWriter.Flush()
}
