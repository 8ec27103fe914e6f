package api

import (
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

var viewerID = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// recordView is the player reporting playback (POST
// /api/share/{slug}/views): the view counts under media.DefaultViewRule
// (3 s played, once per viewer and video per 30 minutes). The video's
// managers never count, and neither does a viewer whose pass was bought
// with a view of a view-limited link (countView spent it at load).
func (s *Server) recordView(c *gin.Context) {
	v, ok := s.sharedVideo(c)
	if !ok {
		return
	}
	var req viewRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.PlayedMs < 0 {
		s.badRequest(c, "playedMs must not be negative.")
		return
	}
	viewer := viewerOf(c)
	if access(c) >= media.AccessManage || (v.Sharing.MaxViews > 0 && viewer.Pass) {
		c.JSON(http.StatusOK, viewJSON{Views: v.Views})
		return
	}
	who := "ip:" + clientKey(c)
	if viewer.User != nil {
		who = "user:" + viewer.User.ID
	} else if viewerID.MatchString(req.Viewer) {
		who = "browser:" + req.Viewer
	}
	if req.ViewID != "" || req.Ranges != nil {
		s.recordReceipt(c, v, who, req) // insights.go
		return
	}
	nv, counted, err := s.svc.RecordView(c.Request.Context(), v.ID, who, time.Duration(req.PlayedMs)*time.Millisecond)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewJSON{Counted: counted, Views: nv.Views})
}
