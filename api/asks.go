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

// personalLink finds the ask recipient the request's token names, if any,
// and marks the viewer as addressed when the owner named them by address.
// A token that names nobody is ignored (the link then works as the plain
// share link). It returns false only when it answered (a store error).
func (s *Server) personalLink(c *gin.Context, v *media.Video, viewer *media.Viewer) bool {
	if s.opt.Asks == nil {
		return true
	}
	tok, fromCookie := c.Query("r"), false
	if tok == "" {
		tok = c.GetHeader(recipientHeader)
	}
	if tok == "" {
		ck, err := c.Cookie(recipientCookiePrefix + v.Slug)
		if err != nil {
			return true
		}
		tok, fromCookie = ck, true
	}
	r, err := s.opt.Asks.Recipient(c.Request.Context(), v.ID, tok)
	if media.ErrorCode(err) == media.ENOTFOUND {
		if fromCookie {
			s.clearCookie(c, recipientCookiePrefix+v.Slug)
		}
		return true
	}
	if err != nil {
		s.writeError(c, err)
		return false
	}
	c.Set(ctxRecipient, r)
	viewer.Addressed = !r.Member()
	if !fromCookie && c.Request.Method == http.MethodGet {
		s.setCookie(c, recipientCookiePrefix+v.Slug, tok, recipientCookieTTL)
	}
	return true
}

// recipientOf is the ask recipient the request's personal link named.
func recipientOf(c *gin.Context) *media.AskRecipient {
	x, _ := c.Get(ctxRecipient)
	r, _ := x.(*media.AskRecipient)
	return r
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
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, err := asks.Store.Ask(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
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
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, err := asks.Store.Ask(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
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

// sharedAsk tells a viewer of the video about its ask: the question and
// the deadline (the page shows it in the viewer's zone), and, for a
// recipient, where they stand.
func (s *Server) sharedAsk(c *gin.Context) {
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, err := asks.Store.Ask(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := sharedAskJSON{Question: a.Question, ReplyBy: timeJSON(a.ReplyBy), Overdue: !time.Now().Before(a.ReplyBy)}
	if o, err := asks.Users.User(c.Request.Context(), a.OwnerID); err == nil {
		out.From = o.Name
	}
	tok := ""
	if r := recipientOf(c); r != nil {
		tok = r.Token
	}
	if r := asks.RecipientFor(a, tok, viewerOf(c).User); r != nil {
		rs, err := asks.Responses(c.Request.Context(), v, a)
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, resp := range rs {
			if resp.Recipient.ID == r.ID {
				j := toResponseJSON(resp)
				out.You = &j
			}
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// ackAsk is "Got it": the recipient acknowledges without an account (the
// token from their personal link), or as the member addressed.
func (s *Server) ackAsk(c *gin.Context) {
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	var req ackRequest
	if c.Request.ContentLength != 0 && !s.decodeJSON(c, &req) {
		return
	}
	a, err := asks.Store.Ask(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	tok := req.Token
	if tok == "" {
		if r := recipientOf(c); r != nil {
			tok = r.Token
		}
	}
	r := asks.RecipientFor(a, tok, viewerOf(c).User)
	if r == nil || tok != "" && r.Token != tok {
		s.writeError(c, media.Errorf(media.ENOTALLOWED, "Only the people this video asks can acknowledge it; open it from your personal link."))
		return
	}
	if _, err := asks.Acknowledge(c.Request.Context(), r); err != nil {
		s.writeError(c, err)
		return
	}
	a, err = asks.Store.Ask(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	rs, err := asks.Responses(c.Request.Context(), v, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	for _, resp := range rs {
		if resp.Recipient.ID == r.ID {
			c.JSON(http.StatusOK, toResponseJSON(resp))
			return
		}
	}
	s.writeError(c, media.Errorf(media.ENOTFOUND, "This personal link is not valid any more."))
}

// askReplied is the comment hook: a comment written through a personal
// link, or by a member the ask names, answers it.
func (s *Server) askReplied(c *gin.Context, cm *media.Comment) {
	if s.opt.Asks == nil || cm == nil {
		return
	}
	if err := s.opt.Asks.Replied(c.Request.Context(), cm, recipientOf(c)); err != nil {
		s.log.Warn("asks: record reply", "video_id", cm.VideoID, "err", err)
	}
}

// waitingOnMe lists what the member still owes, oldest deadline first.
func (s *Server) waitingOnMe(c *gin.Context) {
	asks, ok := s.asks(c)
	if !ok {
		return
	}
	ws, err := asks.WaitingOn(c.Request.Context(), s.currentUser(c))
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]waitingJSON, len(ws))
	for i, w := range ws {
		from := ""
		if o, err := asks.Users.User(c.Request.Context(), w.Ask.OwnerID); err == nil {
			from = o.Name
		}
		out[i] = waitingJSON{
			VideoID: w.Video.ID, Title: w.Video.Title, From: from, Question: w.Ask.Question, ReplyBy: timeJSON(w.Ask.ReplyBy),
			Link: media.PersonalLink(s.opt.PublicURL, w.Video.Slug, w.Recipient.Token), State: string(w.Response.State),
			Overdue: w.Response.Overdue, PosterURL: s.videoJSON(w.Video).PosterURL,
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"asks": out})
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
