package api

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// statusOf is the one place that maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	media.EINVALID:     http.StatusBadRequest,
	media.EUNSUPPORTED: http.StatusUnsupportedMediaType,
	media.ETOOLARGE:    http.StatusRequestEntityTooLarge,
	media.ENOTFOUND:    http.StatusNotFound,
	media.ECONFLICT:    http.StatusConflict,
	media.EGONE:        http.StatusGone,
	media.ERATELIMIT:   http.StatusTooManyRequests,
	media.ENOSPACE:     http.StatusInsufficientStorage,
	media.EUNAVAILABLE: http.StatusServiceUnavailable,
	media.EINTERNAL:    http.StatusInternalServerError,

	// Who asked may not do this; 403, as the video itself is visible.
	media.ENOTALLOWED:   http.StatusForbidden,
	media.ECOMMENTSOFF:  http.StatusForbidden,
	media.EGUESTSOFF:    http.StatusForbidden,
	media.EREACTIONSOFF: http.StatusForbidden,

	// Not signed in (or a bad token): 401. A video's password still to
	// give: 403, as the link itself is fine.
	media.EUNAUTHORIZED:     http.StatusUnauthorized,
	media.EPASSWORDREQUIRED: http.StatusForbidden,
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable code for programs and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorStatus(err error) (int, ErrorDetail) {
	code := media.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status, code = http.StatusInternalServerError, media.EINTERNAL
	}
	return status, ErrorDetail{Code: code, Message: media.ErrorMessage(err)}
}

// writeError answers with err's status and JSON body, logging only what is
// internal (the caller could not have caused it).
func (s *Server) writeError(c *gin.Context, err error) {
	status, d := errorStatus(err)
	if status >= 500 {
		s.log.Log(c.Request.Context(), levelFor(status), "request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: d})
}

func levelFor(status int) slog.Level {
	if status == http.StatusServiceUnavailable || status == http.StatusInsufficientStorage {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (s *Server) badRequest(c *gin.Context, format string, args ...any) {
	s.writeError(c, media.Errorf(media.EINVALID, format, args...))
}
