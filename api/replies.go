package api

import (
	"context"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Recorded replies (media/reply.go): POST /api/videos with replyTo creates
// the recording's video, the recorder uploads into it as into any other,
// and a comment posted with {"attachment":{"videoId"}} carries it. Its own
// link is private; whoever may watch the parent may watch it.

// attachmentJSON is a comment's recording. Status and the media URLs are
// the recording's state when the thread was read; clients follow a
// recording that is not ready yet through eventsUrl.
type attachmentJSON struct {
	VideoID    string `json:"videoId"`
	Kind       string `json:"kind"` // camera, screen, voice
	Status     string `json:"status,omitempty"`
	DurationMs int64  `json:"durationMs"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	Error      string `json:"error,omitempty"`
	MP4URL     string `json:"mp4Url"`
	PosterURL  string `json:"posterUrl,omitempty"`
	EventsURL  string `json:"eventsUrl"`
}

func toAttachmentJSON(a *media.Attachment) *attachmentJSON {
	if a == nil {
		return nil
	}
	// Relative, like the watch page's own requests: the thread is read
	// from the same origin.
	base := "/media/" + a.Slug
	out := &attachmentJSON{
		VideoID: a.VideoID, Kind: string(a.Kind), Status: string(a.Status), DurationMs: a.DurationMs,
		Width: a.Width, Height: a.Height, Error: a.Error,
		MP4URL: base + "/video.mp4", EventsURL: "/api/share/" + a.Slug + "/events",
	}
	if a.HasPoster {
		out.PosterURL = base + "/poster.jpg"
	}
	return out
}

// createReply creates the video of a recording replying in the thread of
// the video req names, which the caller must be able to watch.
func (s *Server) createReply(c *gin.Context, req *replyToRequest) (*media.Video, error) {
	if !media.ValidID(req.VideoID) {
		return nil, media.Errorf(media.EINVALID, "replyTo.videoId must be the id of the video you reply to.")
	}
	ctx := c.Request.Context()
	parent, err := s.svc.Video(ctx, req.VideoID)
	if err != nil {
		if media.ErrorCode(err) == media.ENOTFOUND {
			return nil, media.Errorf(media.ENOTFOUND, "replyTo.videoId: video not found.")
		}
		return nil, err
	}
	u := s.currentUser(c)
	viewer := media.Viewer{User: u, ViaLink: true, Pass: s.hasPass(c, parent)}
	if parent.AccessFor(viewer, s.now()) < media.AccessWatch {
		// Someone else's private video does not exist for them.
		return nil, media.Errorf(media.ENOTFOUND, "replyTo.videoId: video not found.")
	}
	return s.svc.CreateReply(ctx, u.ID, parent, media.ReplyKind(req.Kind))
}

// replyAccess decides acc for a recorded reply by its parent
// (media.ReplyAccess): the recording is shown in the parent's thread, so
// it opens for whoever may watch there, through the parent's link and pass.
func (s *Server) replyAccess(c *gin.Context, v *media.Video, viewer media.Viewer, acc media.Access) (media.Access, error) {
	if !v.IsReply() || acc >= media.AccessManage {
		return acc, nil
	}
	parent, err := s.svc.Video(c.Request.Context(), v.ReplyTo)
	if media.ErrorCode(err) == media.ENOTFOUND {
		return media.AccessNone, nil
	}
	if err != nil {
		return media.AccessNone, err
	}
	pv := viewer
	pv.ViaLink = true
	pv.Pass = s.hasPass(c, parent)
	// A personal link to the parent opens its thread's recordings as it
	// opens the parent: the page's cookie for the parent (or ?r=, or the
	// header) reaches the recording's own URLs. It only says who is
	// watching: the parent's rules decide, and a token of another video's
	// ask names nobody here.
	if s.opt.Asks != nil {
		if tok, _ := recipientToken(c, parent); tok != "" {
			r, err := s.opt.Asks.Recipient(c.Request.Context(), parent.ID, tok)
			switch {
			case err == nil:
				pv.Addressed = pv.Addressed || !r.Member()
			case media.ErrorCode(err) != media.ENOTFOUND:
				return media.AccessNone, err
			}
		}
	}
	return media.ReplyAccess(acc, parent.AccessFor(pv, s.now())), nil
}

// replyThreadURL is where the page of recording v sends its viewer: the
// parent's thread at the moment of the comment that carries it, as a path
// (the page is on this origin). A recording means little without the
// conversation it answers. "" when the viewer may not watch the parent
// (its recorder, after the parent's sharing changed: the recording's own
// page still shows it to them) or the parent is gone.
func (s *Server) replyThreadURL(c *gin.Context, v *media.Video, viewer media.Viewer) string {
	ctx := c.Request.Context()
	parent, err := s.svc.Video(ctx, v.ReplyTo)
	if err != nil {
		return ""
	}
	if acc, err := s.replyAccess(c, v, viewer, media.AccessNone); err != nil || acc < media.AccessWatch {
		return ""
	}
	var at int64
	if v.ReplyCommentID != "" {
		if cm, err := s.comments.Store.Comment(ctx, v.ReplyCommentID); err == nil {
			at = cm.TimeMs
			if cm.ParentID != "" {
				if th, err := s.comments.Store.Comment(ctx, cm.ParentID); err == nil {
					at = th.TimeMs
				}
			}
		}
	}
	u, err := url.Parse(media.MomentURL("", parent.Slug, at))
	if err != nil {
		return ""
	}
	// A personal link's token goes along, as the page that follows reads it.
	if tok := c.Query("r"); tok != "" {
		q := u.Query()
		q.Set("r", tok)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// dropRecording deletes the recording a deleted comment carried; the
// comment is gone either way, so a failure is only logged (the recording
// stays private and out of every library).
func (s *Server) dropRecording(c *gin.Context, videoID, commentID string) {
	ctx := context.WithoutCancel(c.Request.Context())
	rec, err := s.comments.Recording(ctx, videoID, commentID)
	if err == nil && rec != nil {
		s.uploads.remove(ctx, rec.ID)
		err = s.svc.DeleteVideo(ctx, rec.ID)
	}
	if err != nil && media.ErrorCode(err) != media.ENOTFOUND {
		s.log.Error("delete recorded reply", "comment_id", commentID, "err", err)
	}
}

// dropReplies deletes the recordings made as replies to videoID, before
// the video goes.
func (s *Server) dropReplies(c *gin.Context, videoID string) error {
	if s.comments.Replies == nil {
		return nil
	}
	ctx := c.Request.Context()
	ids, err := s.comments.Replies.ReplyRecordingsOf(ctx, videoID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.uploads.remove(ctx, id)
		if err := s.svc.DeleteVideo(ctx, id); err != nil && media.ErrorCode(err) != media.ENOTFOUND {
			return err
		}
	}
	return nil
}

// sweepReplies deletes recordings made as replies that ended up in no
// thread: the page that made one died before posting its comment, or the
// comment or the video went some way other than through this API (a
// deleted account's comments). It returns how many it deleted.
func (s *Server) sweepReplies(ctx context.Context, age time.Duration) int {
	if s.comments.Replies == nil {
		return 0
	}
	ids, err := s.comments.Replies.StrayReplies(ctx, time.Now().Add(-age))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("find stray recorded replies", "err", err)
		}
		return 0
	}
	n := 0
	for _, id := range ids {
		s.uploads.remove(ctx, id)
		if err := s.svc.DeleteVideo(ctx, id); err != nil && media.ErrorCode(err) != media.ENOTFOUND {
			s.log.Warn("delete stray recorded reply", "video_id", id, "err", err)
			continue
		}
		n++
	}
	return n
}
