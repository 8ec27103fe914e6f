package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// serveChapters answers /media/{slug}/chapters.vtt: the chapters as a
// WebVTT chapters track for the player's seek bar (404 without any).
func (s *Server) serveChapters(c *gin.Context, v *media.Video) {
	r, ok := s.record(c)
	if !ok {
		return
	}
	ch, err := r.ChaptersFor(c.Request.Context(), v)
	if err == nil && len(ch) == 0 {
		err = media.Errorf(media.ENOTFOUND, "Not found.")
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "text/vtt; charset=utf-8", []byte(media.ChaptersVTT(ch, v.DurationMs)))
}

type chapterJSON struct {
	StartMs int64  `json:"startMs"`
	Title   string `json:"title"`
}

func (s *Server) getChapters(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	out := []chapterJSON{}
	if r := s.svc.Record; r != nil {
		ch, err := r.ChaptersFor(c.Request.Context(), v)
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, x := range ch {
			out = append(out, chapterJSON{StartMs: x.StartMs, Title: x.Title})
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"chapters": out})
}

// putChapters replaces the owner's chapters: [{"startMs", "title"}].
func (s *Server) putChapters(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	r, ok := s.record(c)
	if !ok {
		return
	}
	var in []chapterJSON
	if !s.decodeJSON(c, &in) {
		return
	}
	ch := make([]media.Chapter, len(in))
	for i, x := range in {
		ch[i] = media.Chapter{StartMs: x.StartMs, Title: x.Title}
	}
	set, err := r.SetChapters(c.Request.Context(), v, ch)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]chapterJSON, len(set))
	for i, x := range set {
		out[i] = chapterJSON{StartMs: x.StartMs, Title: x.Title}
	}
	c.JSON(http.StatusOK, gin.H{"chapters": out})
}
