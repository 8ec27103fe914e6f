package api

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// applyAway stores awayUntil from PATCH /api/auth/me: a date such as
// "2026-12-20" means away through that day in the member's own zone (back
// the next morning); an RFC 3339 time is taken as it is; null clears it.
// It answers the request itself on error.
func (s *Server) applyAway(c *gin.Context, u *media.User, raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return true
	}
	asks, ok := s.asks(c)
	if !ok {
		return false
	}
	var until time.Time
	if string(raw) != "null" {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			s.badRequest(c, "awayUntil must be a date like 2026-12-20, or null.")
			return false
		}
		loc := time.UTC
		if n := s.opt.Notify; n != nil {
			if p, _, err := n.PrefsOf(c.Request.Context(), u.ID); err == nil {
				loc = n.ScheduleOf(p).Zone
			}
		}
		if d, err := time.ParseInLocation(time.DateOnly, str, loc); err == nil {
			until = d.AddDate(0, 0, 1)
		} else if until, err = time.Parse(time.RFC3339, str); err != nil {
			s.badRequest(c, "awayUntil must be a date like 2026-12-20, or null.")
			return false
		}
	}
	if err := asks.SetAway(c.Request.Context(), u.ID, until); err != nil {
		s.writeError(c, err)
		return false
	}
	return true
}

// awaySetting is the part of /api/auth/me about being away.
func (s *Server) awaySetting(c *gin.Context, u *media.User) string {
	if s.opt.Asks == nil {
		return ""
	}
	t, err := s.opt.Asks.Away(c.Request.Context(), u.ID)
	if err != nil {
		s.log.Warn("asks: read away", "user_id", u.ID, "err", err)
		return ""
	}
	return timeJSON(t)
}
