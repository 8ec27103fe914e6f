package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Recurring check-ins (media/checkins.go): the owner sets a schedule and
// participants; each round has a page with everyone's updates as one reel.
// Only the owner, participants, observers and admins see a check-in.

func (s *Server) checkins(c *gin.Context) (*media.Checkins, bool) {
	if s.opt.Checkins == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Check-ins are not set up on this server."))
		return nil, false
	}
	return s.opt.Checkins, true
}

// checkinParam loads the :checkinId check-in for someone who belongs to it.
func (s *Server) checkinParam(c *gin.Context) (*media.Checkins, *media.Checkin, bool) {
	ci, ok := s.checkins(c)
	if !ok {
		return nil, nil, false
	}
	id := c.Param("checkinId")
	notFound := media.Errorf(media.ENOTFOUND, "Check-in not found.")
	if !media.ValidID(id) {
		s.writeError(c, notFound)
		return nil, nil, false
	}
	ch, err := ci.Store.Checkin(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return nil, nil, false
	}
	u := s.currentUser(c)
	if !u.IsAdmin() && ch.OwnerID != u.ID && !hasID(ch.Participants, u.ID) && !hasID(ch.Observers, u.ID) {
		s.writeError(c, notFound)
		return nil, nil, false
	}
	return ci, ch, true
}

func hasID(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) createCheckin(c *gin.Context) {
	ci, ok := s.checkins(c)
	if !ok {
		return
	}
	var req checkinRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	in := media.CheckinInput{Title: req.Title, Prompt: req.Prompt, Days: req.Schedule.Days, Time: req.Schedule.Time,
		Participants: req.Participants, Observers: req.Observers}
	for _, d := range []struct {
		raw  string
		into *time.Duration
		name string
	}{{req.DueAfter, &in.DueAfter, "dueAfter"}, {req.MaxLength, &in.MaxLength, "maxLength"}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil {
			s.badRequest(c, "%s must be a duration like 8h or 3m.", d.name)
			return
		}
		*d.into = v
	}
	ch, err := ci.Create(c.Request.Context(), s.currentUser(c), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/api/checkins/"+ch.ID)
	c.JSON(http.StatusCreated, s.checkinJSON(c, ci, ch))
}

func (s *Server) checkinJSON(c *gin.Context, ci *media.Checkins, ch *media.Checkin) checkinJSON {
	out := checkinJSON{ID: ch.ID, Title: ch.Title, Prompt: ch.Prompt, Schedule: checkinScheduleJSON{Days: []string{}, Time: media.FormatClock(ch.Time)},
		DueAfter: ch.DueAfter.String(), MaxLength: ch.MaxLength.String(), Participants: s.people(c, ci, ch.Participants),
		Observers: s.people(c, ci, ch.Observers), IsOwner: ch.OwnerID == s.currentUser(c).ID, URL: media.RoundLink(s.opt.PublicURL, ch.ID),
		CreatedAt: timeJSON(ch.CreatedAt)}
	h := media.WorkingHours{Days: ch.Days}
	out.Schedule.Days = h.DayList()
	return out
}

func (s *Server) people(c *gin.Context, ci *media.Checkins, ids []string) []personJSON {
	out := make([]personJSON, 0, len(ids))
	for _, id := range ids {
		p := personJSON{ID: id}
		if u, err := ci.Users.User(c.Request.Context(), id); err == nil {
			p.Name = u.Name
		}
		out = append(out, p)
	}
	return out
}

func (s *Server) listCheckins(c *gin.Context) {
	ci, ok := s.checkins(c)
	if !ok {
		return
	}
	cs, err := ci.Store.Checkins(c.Request.Context(), s.currentUser(c).ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]checkinJSON, len(cs))
	for i, ch := range cs {
		out[i] = s.checkinJSON(c, ci, ch)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"checkins": out})
}

func (s *Server) getCheckin(c *gin.Context) {
	ci, ch, ok := s.checkinParam(c)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.checkinJSON(c, ci, ch))
}

func (s *Server) deleteCheckin(c *gin.Context) {
	ci, ch, ok := s.checkinParam(c)
	if !ok {
		return
	}
	if u := s.currentUser(c); ch.OwnerID != u.ID && !u.IsAdmin() {
		s.writeError(c, media.Errorf(media.ENOTALLOWED, "Only the check-in's owner can delete it."))
		return
	}
	if err := ci.Store.DeleteCheckin(c.Request.Context(), ch.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getRound is a round's page: who posted (in order, as a reel), who is
// missing, who is away. :round is a date or "latest".
func (s *Server) getRound(c *gin.Context) {
	ci, ch, ok := s.checkinParam(c)
	if !ok {
		return
	}
	round := c.Param("round")
	if round == "latest" {
		round = ""
	}
	st, err := ci.Round(c.Request.Context(), ch, round)
	if err != nil {
		s.writeError(c, err)
		return
	}
	reel, err := ci.Reel(c.Request.Context(), st)
	if err != nil {
		s.writeError(c, err)
		return
	}
	by := map[string]*media.Video{}
	for _, v := range reel {
		by[v.ID] = v
	}
	u := s.currentUser(c)
	out := roundJSON{Round: st.Round, DueAt: timeJSON(st.DueAt), Prompt: ch.Prompt, Title: ch.Title,
		Posted: []postJSON{}, Missing: s.people(c, ci, st.Missing), Away: s.people(c, ci, st.Away)}
	for _, v := range reel {
		var p *media.CheckinPost
		for _, x := range st.Posted {
			if x.VideoID == v.ID {
				p = x
			}
		}
		if p == nil || v.AccessFor(media.Viewer{User: u}, s.now()) < media.AccessWatch {
			continue
		}
		vj := s.videoJSON(v)
		out.Posted = append(out.Posted, postJSON{User: s.people(c, ci, []string{p.UserID})[0], VideoID: v.ID, Slug: v.Slug,
			Title: v.Title, DurationMs: v.DurationMs, PosterURL: vj.PosterURL, MP4URL: vj.MP4URL, ShareURL: vj.ShareURL,
			Status: string(v.Status), PostedAt: timeJSON(p.CreatedAt)})
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// postUpdate attaches the participant's recording to a round (the
// recorder calls it as soon as the video exists, before the first byte).
func (s *Server) postUpdate(c *gin.Context) {
	ci, ch, ok := s.checkinParam(c)
	if !ok {
		return
	}
	var req checkinPostRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if !media.ValidID(req.VideoID) {
		s.badRequest(c, "videoId must be one of your videos.")
		return
	}
	p, err := ci.Post(c.Request.Context(), ch, c.Param("round"), s.currentUser(c), req.VideoID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"round": p.Round, "videoId": p.VideoID, "postedAt": timeJSON(p.CreatedAt)})
}
