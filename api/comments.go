package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Comments, threads and reactions of a video (see media.Comments for the
// rules). Who is asking: the signed-in member (auth.go), and the
// X-Guest-Secret header, the
// per-browser secret a guest got from their first comment or reaction (or
// made up: 22+ base64url characters), which proves authorship of their
// comments and reactions. The video's owner is the member who created it
// (or an admin). Writes are rate limited (ratelimit.go).

func (s *Server) listComments(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	limit, afterTime, afterID, ok := s.page(c, 50, 200)
	if !ok {
		return
	}
	k := threadKey{videoID: v.ID, limit: limit, afterTime: afterTime, afterID: afterID}
	e := s.threads.get(k)
	if e == nil {
		stamp := s.threads.stamp(v.ID)
		p, err := s.comments.Threads(c.Request.Context(), v.ID, media.ThreadOptions{Limit: limit, AfterTimeMs: afterTime, AfterID: afterID})
		if err != nil {
			s.writeError(c, err)
			return
		}
		out := threadPageOut(p, media.Actor{}, v)
		if err := s.markMoved(c.Request.Context(), v.ID, &out); err != nil {
			s.writeError(c, err)
			return
		}
		body, err := json.Marshal(out)
		if err != nil {
			s.writeError(c, err)
			return
		}
		e = newThreadEntry(p, body)
		s.threads.put(k, stamp, e)
	}
	if wroteAny(e.page, a, v) {
		// The caller's own comments are marked mine: not the shared answer.
		out := threadPageOut(e.page, a, v)
		if err := s.markMoved(c.Request.Context(), v.ID, &out); err != nil {
			s.writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
		return
	}
	// The shared answer, written without a copy or a per-request header
	// value (this is the watch page's hottest read).
	h := c.Writer.Header()
	h["Content-Type"] = hvJSON
	h["Content-Length"] = e.length
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(e.body)
}

// wroteAny reports whether a wrote any comment of the page.
func wroteAny(p *media.ThreadPage, a media.Actor, v *media.Video) bool {
	if a.UserID == "" && a.GuestSecret == "" {
		return false
	}
	for _, th := range p.Threads {
		if th.AuthoredBy(a, v) {
			return true
		}
		for _, r := range th.Replies {
			if r.AuthoredBy(a, v) {
				return true
			}
		}
	}
	return false
}

func (s *Server) createComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	videoID := v.ID
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req createCommentRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Body == nil && req.Attachment == nil {
		s.badRequest(c, "body is required.")
		return
	}
	in := media.CommentInput{ParentID: req.ParentID, GuestName: req.GuestName, Urgent: req.Urgent, NotifyEmail: req.NotifyEmail}
	if req.Body != nil {
		in.Body = *req.Body
	}
	if req.Attachment != nil {
		if req.Attachment.VideoID == "" {
			s.badRequest(c, "attachment.videoId is required.")
			return
		}
		in.AttachmentID = req.Attachment.VideoID
	}
	var err error
	if in.TimeMs, in.HasTime, err = parseMillis(req.TimeMs, "timeMs"); err != nil {
		s.writeError(c, err)
		return
	}
	var hasEnd bool
	if in.EndMs, hasEnd, err = parseMillis(req.EndMs, "endMs"); err != nil {
		s.writeError(c, err)
		return
	}
	if hasEnd && in.EndMs == 0 {
		s.badRequest(c, "endMs must be after timeMs.")
		return
	}
	if hasEnd && !in.HasTime {
		s.badRequest(c, "endMs needs a timeMs.")
		return
	}
	if in.ParentID != "" && !media.ValidID(in.ParentID) {
		s.badRequest(c, "parentId does not name a comment of this video.")
		return
	}
	// The video's bucket is taken only for well-formed requests, so a
	// client cannot drain it for others with garbage.
	if !s.allowVideo(c, s.limits.commentClient, s.limits.commentVideo, videoID, "comments") {
		return
	}
	cm, minted, err := s.comments.Create(c.Request.Context(), videoID, a, in)
	if err != nil {
		s.refundRefused(c, err, s.limits.commentClient, s.limits.commentVideo, videoID)
		s.writeError(c, err)
		return
	}
	s.askReplied(c, cm) // asks_recipient.go
	c.JSON(http.StatusCreated, createdCommentJSON{commentJSON: toCommentJSON(cm, true), GuestSecret: minted})
}

func (s *Server) updateComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req updateCommentRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Body == nil {
		s.badRequest(c, "body is required.")
		return
	}
	cm, err := s.comments.Edit(c.Request.Context(), id, a, *req.Body)
	if err != nil {
		s.refundRefused(c, err, s.limits.commentClient, nil, "")
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toCommentJSON(cm, true))
}

func (s *Server) deleteComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	ev, err := s.comments.Delete(c.Request.Context(), id, a)
	if err != nil {
		s.refundRefused(c, err, s.limits.commentClient, nil, "")
		s.writeError(c, err)
		return
	}
	s.dropRecording(c, ev.Comment.VideoID, id)
	c.JSON(http.StatusOK, deletedCommentJSON{Comment: toCommentJSON(ev.Comment, false), Removed: ev.Removed})
}

func (s *Server) resolveComment(c *gin.Context) { s.setResolved(c, true) }
func (s *Server) reopenComment(c *gin.Context)  { s.setResolved(c, false) }

func (s *Server) setResolved(c *gin.Context, resolved bool) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	cm, err := s.comments.Resolve(c.Request.Context(), id, a, resolved)
	if err != nil {
		s.refundRefused(c, err, s.limits.commentClient, nil, "")
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toCommentJSON(cm, cm.AuthoredBy(a, nil)))
}

func (s *Server) listReactions(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	limit, afterTime, afterID, ok := s.page(c, 500, 1000)
	if !ok {
		return
	}
	p, err := s.comments.Reactions(c.Request.Context(), v.ID, media.ReactionOptions{Limit: limit, AfterTimeMs: afterTime, AfterID: afterID})
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := reactionPageJSON{Reactions: make([]reactionJSON, 0, len(p.Reactions)), Counts: counts(p.Counts), Emoji: media.ReactionEmoji}
	for _, r := range p.Reactions {
		out.Reactions = append(out.Reactions, toReactionJSON(r, r.ReactedBy(a)))
	}
	if p.More {
		last := p.Reactions[len(p.Reactions)-1]
		out.NextCursor = encodeCursor(last.TimeMs, last.ID)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) createReaction(c *gin.Context) {
	if !s.allow(c, s.limits.reactionClient, "reactions") {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	videoID := v.ID
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req createReactionRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	t, has, err := parseMillis(req.TimeMs, "timeMs")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if !has {
		s.badRequest(c, "timeMs is required.")
		return
	}
	if !s.allowVideo(c, s.limits.reactionClient, s.limits.reactionVideo, videoID, "reactions") {
		return
	}
	ev, minted, err := s.comments.React(c.Request.Context(), videoID, a, req.Emoji, t)
	if err != nil {
		s.refundRefused(c, err, s.limits.reactionClient, s.limits.reactionVideo, videoID)
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdReactionJSON{Reaction: toReactionJSON(ev.Reaction, true), Counts: counts(ev.Counts), GuestSecret: minted})
}

func (s *Server) deleteReaction(c *gin.Context) {
	if !s.allow(c, s.limits.reactionClient, "reactions") {
		return
	}
	id, ok := s.paramID(c, "reactionId", "Reaction")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	ev, err := s.comments.Unreact(c.Request.Context(), id, a)
	if err != nil {
		s.refundRefused(c, err, s.limits.reactionClient, nil, "")
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"counts": counts(ev.Counts)})
}
