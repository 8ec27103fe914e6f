package api

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Metrics receives what the HTTP layer observes and serves the metrics
// page (media/prommetrics implements it). Nil observes nothing.
type Metrics interface {
	// ObserveHTTP records an answered request by its route template.
	ObserveHTTP(route, method string, status int, d time.Duration)
	// AddUploadBytes counts upload bytes, stored here or forwarded.
	AddUploadBytes(n int64, forwarded bool)
	// Handler serves the metrics in the Prometheus text format.
	Handler() http.Handler
}

// ctxForwarded marks a request forwardUpload passed to another process.
const ctxForwarded = "baton.forwarded"

// observe records every request's route template, status and latency, and
// the upload bytes of tus PATCHes.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := s.opt.Metrics
		if m == nil {
			c.Next()
			return
		}
		start := time.Now()
		var body *countingBody
		if c.Request.Method == http.MethodPatch && strings.HasPrefix(c.Request.URL.Path, "/api/uploads/") && c.Request.Body != nil {
			body = &countingBody{ReadCloser: c.Request.Body}
			c.Request.Body = body
		}
		c.Next()
		m.ObserveHTTP(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
		if body != nil {
			m.AddUploadBytes(body.n.Load(), c.GetBool(ctxForwarded))
		}
	}
}

type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// metrics serves /metrics to a caller with the metrics token. Without a
// token configured the page does not exist on the public listener (an
// operator may serve it on a separate one instead).
func (s *Server) metrics(c *gin.Context) {
	if s.opt.Metrics == nil || s.opt.MetricsToken == "" {
		s.noRoute(c)
		return
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.MetricsToken)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
		s.writeError(c, media.Errorf(media.EUNAUTHORIZED, "The metrics need Authorization: Bearer and the metrics token."))
		return
	}
	s.opt.Metrics.Handler().ServeHTTP(c.Writer, c.Request)
}
