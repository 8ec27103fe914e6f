package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// A member's videos by id (create with its upload, list, read, rename and
// discussion settings, delete), and a video reached through its share link.
// Sharing settings and passes are in sharing.go.

func (s *Server) createVideo(c *gin.Context) {
	if !s.allow(c, s.limits.videoCreate, "new videos") {
		return
	}
	var req createVideoRequest
	if !s.decodeOptionalJSON(c, &req) {
		return
	}
	var v *media.Video
	var err error
	if req.ReplyTo != nil {
		v, err = s.createReply(c, req.ReplyTo)
	} else {
		v, err = s.svc.CreateVideoFor(c.Request.Context(), s.currentUser(c).ID, req.Title)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.uploads.create(c.Request.Context(), v.ID); err != nil {
		_ = s.svc.DeleteVideo(c.Request.Context(), v.ID)
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/api/videos/"+v.ID)
	c.JSON(http.StatusCreated, s.videoJSONFor(c, v))
}

const maxPageSize = 100

func (s *Server) listVideos(c *gin.Context) {
	limit := 24
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPageSize {
			s.badRequest(c, "limit must be a number from 1 to %d.", maxPageSize)
			return
		}
		limit = n
	}
	before := c.Query("before")
	if before != "" && !media.ValidID(before) {
		s.badRequest(c, "before must be a video id.")
		return
	}
	scope := c.Query("scope")
	if scope != "" && scope != media.ScopeMine && scope != media.ScopeWorkspace {
		s.badRequest(c, "scope must be mine or workspace.")
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		s.badRequest(c, "q must be at most 200 characters.")
		return
	}
	// One extra row tells whether there is a next page.
	vs, err := s.svc.ListVideos(c.Request.Context(), media.ListOptions{
		Limit: limit + 1, Before: before, Viewer: s.currentUser(c).ID, Scope: scope, Query: q, Now: s.now()})
	if err != nil {
		s.writeError(c, err)
		return
	}
	next := ""
	if len(vs) > limit {
		vs = vs[:limit]
		next = vs[limit-1].ID
	}
	out := make([]videoJSON, len(vs))
	for i, v := range vs {
		out[i] = s.videoJSONFor(c, v)
	}
	s.addAskSummaries(c, vs, out) // asks.go
	c.JSON(http.StatusOK, gin.H{"videos": out, "nextBefore": next})
}

// video is the video a route guard (middleware.go) loaded; a route
// without a guard gets the guard's check (signed in, may watch).
func (s *Server) video(c *gin.Context) (*media.Video, bool) {
	if v, ok := s.videoInContext(c); ok {
		return v, true
	}
	return s.loadByID(c, media.AccessWatch)
}

func (s *Server) getVideo(c *gin.Context) {
	if v, ok := s.video(c); ok {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, s.watchJSON(c, v))
	}
}

func (s *Server) updateVideo(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	var req updateVideoRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	set := media.Settings{CommentsEnabled: req.CommentsEnabled, GuestComments: req.GuestComments, ReactionsEnabled: req.ReactionsEnabled}
	details := media.Details{Title: req.Title, Description: req.Description, DefaultSpeed: req.DefaultSpeed}
	if details.IsZero() && set.IsZero() {
		s.badRequest(c, "Nothing to change: send a title, a description, a default speed or a setting.")
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	// Check title and description before changing settings, so that a bad
	// request changes nothing.
	if err := details.Check(); err != nil {
		s.writeError(c, err)
		return
	}
	var err error
	if !set.IsZero() {
		if v, err = s.comments.UpdateSettings(c.Request.Context(), v.ID, a, set); err != nil {
			s.writeError(c, err)
			return
		}
	}
	if !details.IsZero() {
		if v, err = s.svc.UpdateDetails(c.Request.Context(), v.ID, details); err != nil {
			s.writeError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, s.videoJSONFor(c, v))
}

func (s *Server) deleteVideo(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	// Stop and drop an upload in progress first, so no late bytes recreate it.
	s.uploads.remove(c.Request.Context(), v.ID)
	if err := s.dropReplies(c, v.ID); err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.svc.DeleteVideo(c.Request.Context(), v.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// sharedVideo is the video behind the :slug parameter that the link guard
// (videoBySlug) let through; a route without the guard gets its check.
// Malformed, unknown and not-allowed links get the same answer, so nothing
// can be learnt by probing.
func (s *Server) sharedVideo(c *gin.Context) (*media.Video, bool) {
	if v, ok := s.videoInContext(c); ok {
		return v, true
	}
	v, viewer, acc, ok := s.resolveSlug(c)
	if !ok {
		return nil, false
	}
	if acc < media.AccessWatch {
		s.writeError(c, errVideoNotFound())
		return nil, false
	}
	s.keep(c, v, viewer, acc)
	return v, true
}

func (s *Server) getShared(c *gin.Context) {
	if v, ok := s.sharedVideo(c); ok {
		// ?view=1: the watch or embed page counting a view.
		if c.Query("view") == "1" {
			if v, ok = s.countView(c, v); !ok {
				return
			}
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, s.watchJSON(c, v))
	}
}
