package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

type searchResultJSON struct {
	VideoID string `json:"videoId"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	TimeMs  int64  `json:"timeMs"`
	// Marks are the matched words: [start, end) offsets into Text in
	// UTF-16 code units, so a client wraps them in <mark> as text nodes,
	// never by building HTML from Text.
	Marks [][2]int `json:"marks"`
	URL   string   `json:"url"`
}

// search answers GET /api/search?q=... over the caller's library.
func (s *Server) search(c *gin.Context) {
	u := s.currentUser(c)
	r, ok := s.record(c)
	if !ok {
		return
	}
	q := c.Query("q")
	if len(q) > 500 {
		s.badRequest(c, "The search is too long.")
		return
	}
	limit := 50
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			s.badRequest(c, "limit must be a number from 1 to 100.")
			return
		}
		limit = n
	}
	hits, err := r.Search(c.Request.Context(), u.ID, q, limit, s.now())
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]searchResultJSON, len(hits))
	for i, h := range hits {
		marks := h.Marks
		if marks == nil {
			marks = [][2]int{}
		}
		link := s.opt.PublicURL + "/v/" + h.Slug
		if h.TimeMs > 0 {
			link += "?t=" + strconv.FormatInt(h.TimeMs/1000, 10)
		}
		out[i] = searchResultJSON{VideoID: h.VideoID, Slug: h.Slug, Title: h.Title, Kind: h.Kind, Text: h.Text, TimeMs: h.TimeMs, Marks: marks, URL: link}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"results": out})
}
