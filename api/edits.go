package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

type movedJSON struct {
	Kind       string `json:"kind"`
	ID         string `json:"id"`
	OriginalMs int64  `json:"originalMs"`
	// FromRemovedPart: the item's moment was cut out; it sits at the cut.
	FromRemovedPart bool `json:"fromRemovedPart"`
}

type editJSON struct {
	State      string      `json:"state"`
	Error      string      `json:"error,omitempty"`
	Cuts       [][2]int64  `json:"cuts"`
	Applied    [][2]int64  `json:"applied"`
	OriginalMs int64       `json:"originalDurationMs"`
	DurationMs int64       `json:"durationMs"`
	Moved      []movedJSON `json:"moved"`
}

func cutPairs(cs []media.Cut) [][2]int64 {
	out := make([][2]int64, len(cs))
	for i, x := range cs {
		out[i] = [2]int64{x.StartMs, x.EndMs}
	}
	return out
}

func (s *Server) editJSON(c *gin.Context, v *media.Video) (*editJSON, bool) {
	r, ok := s.record(c)
	if !ok {
		return nil, false
	}
	if nv, err := s.svc.Videos.Video(c.Request.Context(), v.ID); err == nil {
		v = nv
	}
	e, moved, err := r.EditFor(c.Request.Context(), v)
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	out := &editJSON{State: string(e.State), Error: e.Error, Cuts: cutPairs(e.Cuts), Applied: cutPairs(e.Applied),
		OriginalMs: e.OriginalMs, DurationMs: v.DurationMs, Moved: []movedJSON{}}
	for _, m := range moved {
		out.Moved = append(out.Moved, movedJSON{Kind: m.Kind, ID: m.ID, OriginalMs: m.OriginalMs, FromRemovedPart: true})
	}
	return out, true
}

func (s *Server) getEdit(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	if out, ok := s.editJSON(c, v); ok {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, out)
	}
}

// postEdit asks for a trim: {"cuts": [[startMs, endMs], ...]} on the
// original timeline; [] restores the original. The work is a job: 202.
func (s *Server) postEdit(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	var in struct {
		Cuts *[][]int64 `json:"cuts"`
	}
	if !s.decodeJSON(c, &in) {
		return
	}
	if in.Cuts == nil {
		s.badRequest(c, "Send the parts to remove as {\"cuts\": [[startMs, endMs], ...]}.")
		return
	}
	cuts := make([]media.Cut, 0, len(*in.Cuts))
	for i, p := range *in.Cuts {
		if len(p) != 2 {
			s.badRequest(c, "Cut %d must be [startMs, endMs].", i+1)
			return
		}
		cuts = append(cuts, media.Cut{StartMs: p[0], EndMs: p[1]})
	}
	s.startEdit(c, v, cuts)
}

// undoEdit restores the original video (DELETE /api/videos/{id}/edit).
func (s *Server) undoEdit(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	s.startEdit(c, v, nil)
}

func (s *Server) startEdit(c *gin.Context, v *media.Video, cuts []media.Cut) {
	r, ok := s.record(c)
	if !ok {
		return
	}
	if _, err := r.StartEdit(c.Request.Context(), v, cuts); err != nil {
		s.writeError(c, err)
		return
	}
	if s.svc.Wake != nil {
		s.svc.Wake()
	}
	if out, ok := s.editJSON(c, v); ok {
		c.JSON(http.StatusAccepted, out)
	}
}
