package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// personalLink finds the ask recipient the request's token names, if any,
// and marks the viewer as addressed when the owner named them by address.
// A token that names nobody is ignored (the link then works as the plain
// share link). It returns false only when it answered (a store error).
func (s *Server) personalLink(c *gin.Context, v *media.Video, viewer *media.Viewer) bool {
	if s.opt.Asks == nil {
		return true
	}
	tok, fromCookie := recipientToken(c, v)
	if tok == "" {
		return true
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

// recipientToken is the personal-link token the request carries for v:
// ?r=, the header, or the cookie an earlier page load set for v.
func recipientToken(c *gin.Context, v *media.Video) (tok string, fromCookie bool) {
	if tok = c.Query("r"); tok != "" {
		return tok, false
	}
	if tok = c.GetHeader(recipientHeader); tok != "" {
		return tok, false
	}
	if ck, err := c.Cookie(recipientCookiePrefix + v.Slug); err == nil && ck != "" {
		return ck, true
	}
	return "", false
}

// recipientOf is the ask recipient the request's personal link named.
func recipientOf(c *gin.Context) *media.AskRecipient {
	x, _ := c.Get(ctxRecipient)
	r, _ := x.(*media.AskRecipient)
	return r
}

// sharedAsk tells a viewer of the video about its ask: the question and
// the deadline (the page shows it in the viewer's zone), and, for a
// recipient, where they stand.
func (s *Server) sharedAsk(c *gin.Context) {
	asks, v, a, ok := s.videoAsk(c)
	if !ok {
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
