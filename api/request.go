package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Reading requests: path ids, strict JSON bodies, times in milliseconds,
// paging cursors and who is asking. Every handler reads its input through
// these, so a malformed request gets the same clear 400 everywhere.

// requestActor is who is asking (the signed-in member, if any, and the
// guest secret), without checking the secret's shape.
func (s *Server) requestActor(c *gin.Context) media.Actor {
	a := s.signedInActor(c)
	a.GuestSecret = c.GetHeader("X-Guest-Secret")
	return a
}

// actor is who is asking; a malformed X-Guest-Secret is refused.
func (s *Server) actor(c *gin.Context) (media.Actor, bool) {
	a := s.requestActor(c)
	if a.GuestSecret != "" && !media.ValidSecret(a.GuestSecret) {
		s.badRequest(c, "X-Guest-Secret must be 22 to 128 characters of A-Z, a-z, 0-9, - and _.")
		return a, false
	}
	return a, true
}

// paramID reads an id path parameter; a malformed id is simply not found.
func (s *Server) paramID(c *gin.Context, name, what string) (string, bool) {
	id := c.Param(name)
	if !media.ValidID(id) {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "%s not found.", what))
		return "", false
	}
	return id, true
}

// maxJSONBody caps request bodies: a 5000-character comment is at most 20 KB
// of UTF-8, more with JSON escapes.
const maxJSONBody = 64 << 10

// decodeJSON reads the request body as exactly one JSON object into v,
// refusing unknown fields so that a misspelt one is not silently ignored.
// It is the only way a handler reads a body (jsonOnly has already refused
// any Content-Type but JSON).
func (s *Server) decodeJSON(c *gin.Context, v any) bool { return s.decode(c, v, false) }

// decodeOptionalJSON is decodeJSON for endpoints whose body may be left
// out: no body leaves v as it is.
func (s *Server) decodeOptionalJSON(c *gin.Context, v any) bool { return s.decode(c, v, true) }

func (s *Server) decode(c *gin.Context, v any, optional bool) bool {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if optional && err == io.EOF {
		return true
	}
	if err == nil && d.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return true
	}
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		s.writeError(c, media.Errorf(media.ETOOLARGE, "The request body is over %d KB.", maxJSONBody>>10))
	case errors.As(err, &typeErr) && typeErr.Field != "":
		s.badRequest(c, "%s must be a %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		s.badRequest(c, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		s.badRequest(c, "The request body must be one JSON object.")
	}
	return false
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "ptr", "struct", "map":
		return "JSON object"
	}
	return "number"
}

// parseMillis reads a time in whole milliseconds from a JSON value. Absent
// and null are "not given". Fractions, negatives, strings and anything
// else are refused with a message naming the field.
func parseMillis(raw json.RawMessage, name string) (int64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if raw[0] == '-' {
		return 0, false, media.Errorf(media.EINVALID, "%s must not be negative.", name)
	}
	if raw[0] < '0' || raw[0] > '9' {
		return 0, false, media.Errorf(media.EINVALID, "%s must be a number of milliseconds.", name)
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f > 1<<53 {
		return 0, false, media.Errorf(media.EINVALID, "%s is out of range.", name)
	}
	if f != math.Trunc(f) {
		return 0, false, media.Errorf(media.EINVALID, "%s must be a whole number of milliseconds.", name)
	}
	return int64(f), true, nil
}

// Cursors are opaque to clients: base64url of "<timeMs>_<id>".
func encodeCursor(timeMs int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(timeMs, 10) + "_" + id))
}

func decodeCursor(s string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", false
	}
	t, id, ok := strings.Cut(string(b), "_")
	n, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil || n < 0 || !media.ValidID(id) {
		return 0, "", false
	}
	return n, id, true
}

// page reads limit and cursor query parameters.
func (s *Server) page(c *gin.Context, def, max int) (limit int, afterTime int64, afterID string, ok bool) {
	limit = def
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > max {
			s.badRequest(c, "limit must be a number from 1 to %d.", max)
			return 0, 0, "", false
		}
		limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		if afterTime, afterID, ok = decodeCursor(cur); !ok {
			s.badRequest(c, "cursor is not one this API gave out.")
			return 0, 0, "", false
		}
	}
	return limit, afterTime, afterID, true
}

// codeUnsupportedMediaType is the error code of a body that is not JSON.
// An HTTP matter, like method_not_allowed, so it has no media code.
const codeUnsupportedMediaType = "unsupported_media_type"

// jsonOnly refuses, with 415, a state-changing API request whose body is
// anything but application/json: a form or text/plain body (which a page
// on another site can send without asking) never reaches a handler, and a
// client that sends the wrong type hears so instead of a puzzling 400. A
// request without a body (no Content-Type, nothing to read) passes. The
// tus routes carry application/offset+octet-stream and check it
// themselves.
func (s *Server) jsonOnly(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		c.Next()
		return
	}
	route := c.FullPath()
	if !strings.HasPrefix(route, "/api/") || strings.HasPrefix(route, "/api/uploads/") {
		c.Next()
		return
	}
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		if c.Request.ContentLength == 0 {
			c.Next()
			return
		}
		s.unsupportedMediaType(c, "Send the request body as JSON, with Content-Type: application/json.")
		return
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		s.unsupportedMediaType(c, "This endpoint takes a JSON body: send it with Content-Type: application/json.")
		return
	}
	c.Next()
}

func (s *Server) unsupportedMediaType(c *gin.Context, msg string) {
	c.AbortWithStatusJSON(http.StatusUnsupportedMediaType, ErrorBody{Error: ErrorDetail{Code: codeUnsupportedMediaType, Message: msg}})
}
