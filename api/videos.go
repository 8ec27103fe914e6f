package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// videoJSON is a video as the API shows it.
type videoJSON struct {
	ID            string  `json:"id"`
	Slug          string  `json:"slug"`
	Title         string  `json:"title"`
	Status        string  `json:"status"`
	Progress      float64 `json:"progress"`
	Error         string  `json:"error"`
	ErrorCode     string  `json:"errorCode"`
	DurationMs    int64   `json:"durationMs"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	SizeBytes     int64   `json:"sizeBytes"`
	UploadedBytes int64   `json:"uploadedBytes"`
	ShareURL      string  `json:"shareUrl"`
	PosterURL     string  `json:"posterUrl"`
	MP4URL        string  `json:"mp4Url"`
	UploadURL     string  `json:"uploadUrl,omitempty"`
	LiveURL       string  `json:"liveUrl"`
	Recording     bool    `json:"recording"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`

	// Discussion settings; the owner changes them with PATCH.
	CommentsEnabled  bool `json:"commentsEnabled"`
	GuestComments    bool `json:"guestComments"`
	ReactionsEnabled bool `json:"reactionsEnabled"`
	// OwnerToken is shown once, in the answer to POST /api/videos; sent
	// back as X-Owner-Token it proves ownership.
	OwnerToken string `json:"ownerToken,omitempty"`
	// IsOwner is set when the request's X-Owner-Token is this video's.
	IsOwner bool `json:"isOwner,omitempty"`
}

func (s *Server) videoJSON(v *media.Video) videoJSON {
	out := videoJSON{
		ID: v.ID, Slug: v.Slug, Title: v.Title, Status: string(v.Status),
		Progress: v.Progress, Error: v.Error, ErrorCode: v.ErrorCode,
		DurationMs: v.DurationMs, Width: v.Width, Height: v.Height,
		SizeBytes: v.SizeBytes, UploadedBytes: v.UploadedBytes,
		ShareURL:  s.opt.PublicURL + "/v/" + v.Slug,
		CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339Nano),
		UpdatedAt: v.UpdatedAt.UTC().Format(time.RFC3339Nano),

		CommentsEnabled: v.CommentsEnabled(), GuestComments: v.GuestComments(), ReactionsEnabled: v.ReactionsEnabled(),
	}
	if v.HasMP4 {
		out.MP4URL = s.opt.PublicURL + "/media/" + v.Slug + "/video.mp4"
	}
	if v.HasPoster {
		out.PosterURL = s.opt.PublicURL + "/media/" + v.Slug + "/poster.jpg"
	}
	if v.Live && v.Status != media.StatusReady && v.Status != media.StatusFailed {
		out.LiveURL = s.opt.PublicURL + "/media/" + v.Slug + "/live/index.m3u8"
		out.Recording = v.Status == media.StatusCreated || v.Status == media.StatusUploading
	}
	if v.Status == media.StatusCreated || v.Status == media.StatusUploading {
		out.UploadURL = s.opt.PublicURL + "/api/uploads/" + v.ID
	}
	return out
}

type createVideoRequest struct {
	Title string `json:"title"`
}

func (s *Server) createVideo(c *gin.Context) {
	var req createVideoRequest
	if c.Request.ContentLength != 0 {
		if err := c.ShouldBindJSON(&req); err != nil {
			s.badRequest(c, "The request body must be JSON like {\"title\": \"...\"}.")
			return
		}
	}
	v, err := s.svc.CreateVideo(c.Request.Context(), req.Title)
	if err != nil {
		s.writeError(c, err)
		return
	}
	token, withToken, err := s.comments.IssueOwnerToken(c.Request.Context(), v.ID)
	if err != nil {
		_ = s.svc.Videos.DeleteVideo(c.Request.Context(), v.ID)
		s.writeError(c, err)
		return
	}
	v = withToken
	if err := s.uploads.create(c.Request.Context(), v.ID); err != nil {
		_ = s.svc.Videos.DeleteVideo(c.Request.Context(), v.ID)
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/api/videos/"+v.ID)
	out := s.videoJSON(v)
	out.OwnerToken, out.IsOwner = token, true
	c.JSON(http.StatusCreated, out)
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
	// One extra row tells whether there is a next page.
	vs, err := s.svc.Videos.ListVideos(c.Request.Context(), media.ListOptions{Limit: limit + 1, Before: before})
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
		out[i] = s.videoJSON(v)
	}
	c.JSON(http.StatusOK, gin.H{"videos": out, "nextBefore": next})
}

// video loads the video named by the :id parameter or answers 404.
func (s *Server) video(c *gin.Context) (*media.Video, bool) {
	id := c.Param("id")
	if !media.ValidID(id) {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "Video not found."))
		return nil, false
	}
	v, err := s.svc.Videos.Video(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	return v, true
}

func (s *Server) getVideo(c *gin.Context) {
	if v, ok := s.video(c); ok {
		out := s.videoJSON(v)
		out.IsOwner = media.Actor{OwnerToken: c.GetHeader("X-Owner-Token")}.OwnerOf(v)
		c.JSON(http.StatusOK, out)
	}
}

type updateVideoRequest struct {
	Title *string `json:"title"`
	// Discussion settings: only the owner (X-Owner-Token) may change them.
	CommentsEnabled  *bool `json:"commentsEnabled"`
	GuestComments    *bool `json:"guestComments"`
	ReactionsEnabled *bool `json:"reactionsEnabled"`
}

func (s *Server) updateVideo(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	var req updateVideoRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		s.badRequest(c, "The request body must be JSON like {\"title\": \"...\"}.")
		return
	}
	set := media.Settings{CommentsEnabled: req.CommentsEnabled, GuestComments: req.GuestComments, ReactionsEnabled: req.ReactionsEnabled}
	if req.Title == nil && set.IsZero() {
		s.badRequest(c, "Nothing to change: send a title or a setting.")
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	if req.Title != nil {
		// Check the title before changing settings, so that a bad request
		// changes nothing.
		if _, err := media.NormalizeTitle(*req.Title); err != nil {
			s.writeError(c, err)
			return
		}
	}
	var err error
	if !set.IsZero() {
		if v, err = s.comments.UpdateSettings(c.Request.Context(), v.ID, a, set); err != nil {
			s.writeError(c, err)
			return
		}
	}
	if req.Title != nil {
		if v, err = s.svc.Rename(c.Request.Context(), v.ID, *req.Title); err != nil {
			s.writeError(c, err)
			return
		}
	}
	out := s.videoJSON(v)
	out.IsOwner = a.OwnerOf(v)
	c.JSON(http.StatusOK, out)
}

func (s *Server) deleteVideo(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	// Stop and drop an upload in progress first, so no late bytes recreate it.
	s.uploads.remove(c.Request.Context(), v.ID)
	if err := s.svc.DeleteVideo(c.Request.Context(), v.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// sharedVideo loads the video behind the :slug parameter. Malformed and
// unknown slugs get the same answer, so nothing can be learnt by probing.
func (s *Server) sharedVideo(c *gin.Context) (*media.Video, bool) {
	slug := c.Param("slug")
	if media.ValidSlug(slug) {
		v, err := s.svc.Videos.VideoBySlug(c.Request.Context(), slug)
		if err == nil {
			return v, true
		}
		if media.ErrorCode(err) != media.ENOTFOUND {
			s.writeError(c, err)
			return nil, false
		}
	}
	s.writeError(c, media.Errorf(media.ENOTFOUND, "Video not found."))
	return nil, false
}

func (s *Server) getShared(c *gin.Context) {
	if v, ok := s.sharedVideo(c); ok {
		out := s.videoJSON(v)
		out.UploadURL = "" // viewers never upload
		out.IsOwner = media.Actor{OwnerToken: c.GetHeader("X-Owner-Token")}.OwnerOf(v)
		c.JSON(http.StatusOK, out)
	}
}
