package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Route guards. Each loads what its route acts on and decides, once, who
// may: handlers behind them find the video with s.video(c) and never look
// at credentials themselves.
//
//	requireUser          a session or an API token, or 401
//	videoByID(level)     /api/videos/:id (and uploads): signed in, and the
//	                     video is theirs, an admin's to moderate, or shared
//	                     with them; else 401 / 404 (403 when they may watch
//	                     but level asks for the owner)
//	videoBySlug          /api/share/:slug, /media/:slug: the link's rules
//	                     (media.Video.AccessFor); every refusal is the same
//	                     404, except a password to give (403
//	                     password_required, never on media)
//	commentAccess,       a comment or reaction of a video the caller may
//	reactionAccess       watch (through the link on share routes)

const (
	ctxVideo  = "baton.video"
	ctxViewer = "baton.viewer"
	ctxAccess = "baton.access"
)

func errVideoNotFound() error { return media.Errorf(media.ENOTFOUND, "Video not found.") }

func (s *Server) now() time.Time { return time.Now() }

// hasPass reports whether the request carries a valid pass for v.
func (s *Server) hasPass(c *gin.Context, v *media.Video) bool {
	if !v.NeedsPass() {
		// A pass decides nothing for this video (media.Video.AccessFor);
		// most links are like this, and the hot path skips the cookie.
		return false
	}
	ck, err := c.Cookie(passCookiePrefix + v.Slug)
	return err == nil && s.auth.passes.Valid(v, ck, s.now())
}

// givePass sets the cookie that lets this browser watch v without giving
// its password again.
func (s *Server) givePass(c *gin.Context, v *media.Video) {
	exp := s.now().Add(media.PassTTL)
	s.setCookie(c, passCookiePrefix+v.Slug, s.auth.passes.Sign(v, exp), media.PassTTL)
}

func (s *Server) keep(c *gin.Context, v *media.Video, viewer media.Viewer, acc media.Access) {
	c.Set(ctxVideo, v)
	c.Set(ctxViewer, viewer)
	c.Set(ctxAccess, acc)
}

// access is what the guard decided for this request (AccessNone when no
// guard ran).
func access(c *gin.Context) media.Access {
	a, _ := c.Get(ctxAccess)
	acc, _ := a.(media.Access)
	return acc
}

func viewerOf(c *gin.Context) media.Viewer {
	v, _ := c.Get(ctxViewer)
	vw, _ := v.(media.Viewer)
	return vw
}

// videoByID guards the routes that name a video by id: signed-in members
// only, and only for videos they may watch; need AccessManage for changes.
func (s *Server) videoByID(need media.Access) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := s.loadByID(c, need); ok {
			c.Next()
		}
	}
}

// loadByID is videoByID's check; it answers and returns false on refusal.
func (s *Server) loadByID(c *gin.Context, need media.Access) (*media.Video, bool) {
	p, ok := s.signedIn(c)
	if !ok {
		return nil, false
	}
	id := c.Param("id")
	if !media.ValidID(id) {
		s.writeError(c, errVideoNotFound())
		return nil, false
	}
	v, err := s.svc.Video(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	viewer := media.Viewer{User: p.user, Pass: s.hasPass(c, v)}
	acc, err := s.replyAccess(c, v, viewer, v.AccessFor(viewer, s.now()))
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	if acc < media.AccessWatch {
		// Someone else's private video does not exist for them.
		s.writeError(c, errVideoNotFound())
		return nil, false
	}
	if acc < need {
		s.writeError(c, media.Errorf(media.ENOTALLOWED, "Only the video's owner can do that."))
		return nil, false
	}
	s.keep(c, v, viewer, acc)
	return v, true
}

// videoBySlug guards the routes reached through a share link. Malformed,
// unknown, revoked, expired and not-allowed links get one and the same
// answer.
func (s *Server) videoBySlug(c *gin.Context) {
	v, viewer, acc, ok := s.resolveSlug(c)
	if !ok {
		return
	}
	switch {
	case acc == media.AccessNone:
		s.writeError(c, errVideoNotFound())
		return
	case acc == media.AccessPassword && strings.HasPrefix(c.Request.URL.Path, "/media/"):
		// No bytes, and no hint either, before the password.
		s.writeError(c, errVideoNotFound())
		return
	case acc == media.AccessPassword:
		s.writeError(c, errPasswordRequired())
		return
	}
	s.keep(c, v, viewer, acc)
	c.Next()
}

func errPasswordRequired() error {
	return media.Errorf(media.EPASSWORDREQUIRED, "This video is protected by a password.")
}

// resolveSlug finds the video behind the :slug parameter and what the
// request may do with it. A slug that names nothing is AccessNone with a
// nil video; ok is false only when an answer (a bad credential, a store
// error) was written.
func (s *Server) resolveSlug(c *gin.Context) (*media.Video, media.Viewer, media.Access, bool) {
	slug := c.Param("slug")
	var v *media.Video
	if media.ValidSlug(slug) {
		got, err := s.svc.VideoBySlug(c.Request.Context(), slug)
		if err != nil && media.ErrorCode(err) != media.ENOTFOUND {
			s.writeError(c, err)
			return nil, media.Viewer{}, media.AccessNone, false
		}
		v = got
	}
	p, err := s.who(c)
	if err != nil {
		s.writeError(c, err)
		return nil, media.Viewer{}, media.AccessNone, false
	}
	if v == nil {
		return nil, media.Viewer{}, media.AccessNone, true
	}
	viewer := media.Viewer{ViaLink: true, Pass: s.hasPass(c, v)}
	if p != nil {
		viewer.User = p.user
	}
	if !s.personalLink(c, v, &viewer) { // asks_recipient.go
		return nil, media.Viewer{}, media.AccessNone, false
	}
	acc, err := s.replyAccess(c, v, viewer, v.AccessFor(viewer, s.now()))
	if err != nil {
		s.writeError(c, err)
		return nil, media.Viewer{}, media.AccessNone, false
	}
	return v, viewer, acc, true
}

// commentAccess guards the routes that name a comment: on a share route
// the comment must belong to the link's video (videoBySlug ran first);
// otherwise the caller must be signed in and allowed to watch its video.
func (s *Server) commentAccess(c *gin.Context) {
	s.childAccess(c, "commentId", "Comment", func(id string) (string, error) {
		cm, err := s.comments.Store.Comment(c.Request.Context(), id)
		if err != nil {
			return "", err
		}
		return cm.VideoID, nil
	})
}

// reactionAccess is commentAccess for reactions.
func (s *Server) reactionAccess(c *gin.Context) {
	s.childAccess(c, "reactionId", "Reaction", func(id string) (string, error) {
		r, err := s.comments.Store.Reaction(c.Request.Context(), id)
		if err != nil {
			return "", err
		}
		return r.VideoID, nil
	})
}

func (s *Server) childAccess(c *gin.Context, param, what string, videoOf func(id string) (string, error)) {
	notFound := media.Errorf(media.ENOTFOUND, "%s not found.", what)
	shared, viaLink := s.videoInContext(c)
	if !viaLink {
		if _, ok := s.signedIn(c); !ok {
			return
		}
	}
	id := c.Param(param)
	if !media.ValidID(id) {
		s.writeError(c, notFound)
		return
	}
	videoID, err := videoOf(id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if viaLink {
		if videoID != shared.ID {
			s.writeError(c, notFound)
			return
		}
		c.Next()
		return
	}
	v, err := s.svc.Video(c.Request.Context(), videoID)
	if media.ErrorCode(err) == media.ENOTFOUND {
		s.writeError(c, notFound)
		return
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	viewer := media.Viewer{User: s.currentUser(c), Pass: s.hasPass(c, v)}
	acc := v.AccessFor(viewer, s.now())
	if acc < media.AccessWatch {
		s.writeError(c, notFound)
		return
	}
	s.keep(c, v, viewer, acc)
	c.Next()
}

// videoInContext returns the video a guard loaded.
func (s *Server) videoInContext(c *gin.Context) (*media.Video, bool) {
	x, ok := c.Get(ctxVideo)
	if !ok {
		return nil, false
	}
	v, ok := x.(*media.Video)
	return v, ok && v != nil
}

// videoID is the id of the video the guard loaded, for handlers that only
// need that.
func (s *Server) videoID(c *gin.Context) (string, bool) {
	v, ok := s.video(c)
	if !ok {
		return "", false
	}
	return v.ID, true
}

// stillAllowed reports whether a long-lived stream may go on showing nv,
// the video as it is now: a regenerated link, a changed visibility or an
// expiry ends the streams that no longer qualify.
func (s *Server) stillAllowed(c *gin.Context, nv *media.Video) bool {
	viewer := viewerOf(c)
	if viewer.ViaLink && nv.Slug != c.Param("slug") {
		return false
	}
	// A changed password voids the pass.
	viewer.Pass = s.hasPass(c, nv)
	return nv.AccessFor(viewer, s.now()) >= media.AccessWatch
}

// writeJSONError writes an error body outside Gin (the CSRF guard wraps
// the engine).
func writeJSONError(w http.ResponseWriter, status int, d ErrorDetail) {
	b, _ := json.Marshal(ErrorBody{Error: d})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
