package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Asks (media/asks.go): the owner sets a question with a reply-by time and
// recipients; each recipient has a personal link, /v/{slug}?r=<token>. The
// token arrives as ?r= on the page, as X-Baton-Recipient from scripts, or
// as the cookie the page load sets (so the player's media requests carry
// it). It says who is watching; it opens a workspace video only for an
// outside address the owner named, and never a private one.

const (
	ctxRecipient          = "baton.recipient"
	recipientCookiePrefix = "baton_r_"
	recipientCookieTTL    = 60 * 24 * time.Hour
	recipientHeader       = "X-Baton-Recipient"
)

func (s *Server) asks(c *gin.Context) (*media.Asks, bool) {
	if s.opt.Asks == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Asks are not set up on this server."))
		return nil, false
	}
	return s.opt.Asks, true
}

// putAsk sets or replaces the video's ask (owner).
func (s *Server) putAsk(c *gin.Context) {
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	var req askRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	in := media.AskInput{Question: req.Question, Recipients: req.Recipients}
	if raw := bytes.TrimSpace(req.ReplyBy); len(raw) > 0 && string(raw) != "null" {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			s.badRequest(c, "replyBy must be a date and time like 2026-12-11T17:00:00Z.")
			return
		}
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			s.badRequest(c, "replyBy must be a date and time like 2026-12-11T17:00:00Z.")
			return
		}
		in.ReplyBy = t
	}
	owner := s.currentUser(c)
	if v.OwnerID != owner.ID {
		// An admin acting on someone's video asks in the owner's name.
		if o, err := asks.Users.User(c.Request.Context(), v.OwnerID); err == nil {
			owner = o
		}
	}
	a, warnings, err := asks.Set(c.Request.Context(), owner, v, in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out, err := s.askJSONFor(c, asks, v, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out.Warnings = warnings
	c.JSON(http.StatusOK, out)
}

// getAsk shows the owner the ask with every personal link.
func (s *Server) getAsk(c *gin.Context) {
	asks, v, a, ok := s.videoAsk(c)
	if !ok {
		return
	}
	out, err := s.askJSONFor(c, asks, v, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func (s *Server) askJSONFor(c *gin.Context, asks *media.Asks, v *media.Video, a *media.Ask) (*askJSON, error) {
	rs, err := asks.Responses(c.Request.Context(), v, a)
	if err != nil {
		return nil, err
	}
	out := &askJSON{Question: a.Question, ReplyBy: timeJSON(a.ReplyBy), Recipients: []askRecipientJSON{}, Warnings: []string{}}
	for _, r := range rs {
		out.Recipients = append(out.Recipients, askRecipientJSON{
			ID: r.Recipient.ID, UserID: r.Recipient.UserID, Email: r.Recipient.Email, Name: r.Recipient.Name,
			Link: media.PersonalLink(s.opt.PublicURL, v.Slug, r.Recipient.Token), Needs: needsFor(v, r.Recipient),
			TimeZone: r.TimeZone,
		})
	}
	return out, nil
}

// needsFor says what the recipient will need to open the video, for the
// owner's form.
func needsFor(v *media.Video, r *media.AskRecipient) string {
	switch {
	case v.Sharing.EffectiveVisibility() == media.VisibilityPrivate:
		return "unavailable"
	case v.Sharing.EffectiveVisibility() == media.VisibilityWorkspace && r.Member():
		return "sign-in"
	case v.Sharing.HasPassword():
		return "password"
	}
	return "link"
}

// deleteAsk removes the ask; the personal links stop working at once.
func (s *Server) deleteAsk(c *gin.Context) {
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	if err := asks.Delete(c.Request.Context(), v.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// listResponses is the owner's per-person table.
func (s *Server) listResponses(c *gin.Context) {
	asks, v, a, ok := s.videoAsk(c)
	if !ok {
		return
	}
	rs, err := asks.Responses(c.Request.Context(), v, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := responsesJSON{Question: a.Question, ReplyBy: timeJSON(a.ReplyBy), Recipients: make([]responseJSON, len(rs))}
	for i, r := range rs {
		out.Recipients[i] = toResponseJSON(r)
	}
	out.Summary = toAskSummaryJSON(media.Summarize(a, rs))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func toResponseJSON(r *media.Response) responseJSON {
	name := r.Recipient.Name
	if name == "" {
		name, _, _ = strings.Cut(r.Recipient.Email, "@")
	}
	return responseJSON{
		ID: r.Recipient.ID, Email: r.Recipient.Email, Name: name, Member: r.Recipient.Member(), State: string(r.State),
		OpenedAt: timeJSON(r.OpenedAt), WatchedPercent: r.WatchedPercent, RepliedAt: timeJSON(r.RepliedAt),
		AcknowledgedAt: timeJSON(r.AcknowledgedAt), Overdue: r.Overdue, Away: !r.AwayUntil.IsZero(),
		AwayUntil: timeJSON(r.AwayUntil), TimeZone: r.TimeZone,
	}
}

func toAskSummaryJSON(sum media.AskSummary) *askSummaryJSON {
	return &askSummaryJSON{Total: sum.Total, Replied: sum.Answered, Overdue: sum.Overdue, Away: sum.Away,
		ReplyBy: timeJSON(sum.ReplyBy), Text: sum.Text()}
}

// addAskSummaries puts "2 of 5 replied, 1 overdue" on the library's
// videos that carry an ask.
func (s *Server) addAskSummaries(c *gin.Context, vs []*media.Video, out []videoJSON) {
	if s.opt.Asks == nil || len(vs) == 0 {
		return
	}
	// Who answered is the owner's business.
	u := s.currentUser(c)
	var mine []*media.Video
	for _, v := range vs {
		if v.Manages(u) {
			mine = append(mine, v)
		}
	}
	sums, err := s.opt.Asks.Summaries(c.Request.Context(), mine)
	if err != nil {
		// The library still lists the videos; the lines come back on
		// the next load.
		s.log.Warn("asks: library summaries", "err", err)
		return
	}
	for i, v := range vs {
		if sum, ok := sums[v.ID]; ok {
			out[i].Ask = toAskSummaryJSON(sum)
		}
	}
}

// videoAsk reads the ask of the request's video for the GET handlers. Most
// videos carry none: that is an empty answer (204), not an error (pages ask
// on every load, and a 404 would be logged as one). ok is false when the
// answer has been written.
func (s *Server) videoAsk(c *gin.Context) (*media.Asks, *media.Video, *media.Ask, bool) {
	asks, ok := s.asks(c)
	if !ok {
		return nil, nil, nil, false
	}
	v, ok := s.video(c)
	if !ok {
		return nil, nil, nil, false
	}
	a, err := asks.Store.Ask(c.Request.Context(), v.ID)
	if media.ErrorCode(err) == media.ENOTFOUND {
		c.Status(http.StatusNoContent)
		return nil, nil, nil, false
	}
	if err != nil {
		s.writeError(c, err)
		return nil, nil, nil, false
	}
	return asks, v, a, true
}
