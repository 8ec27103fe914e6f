package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// summaryJSON is a video's summary. Chapter suggestions are listed only
// for those who manage the video, who may apply them with PUT chapters.
type summaryJSON struct {
	Status string `json:"status"`
	Text   string `json:"text"`
	Model  string `json:"model,omitempty"`
	// Message says why there is no summary, in words for a person.
	Message           string        `json:"message,omitempty"`
	SuggestedChapters []chapterJSON `json:"suggestedChapters,omitempty"`
}

func (s *Server) getSummary(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	out := summaryJSON{Status: string(media.SummaryOff), Message: "Summaries are not set up on this server."}
	if r := s.svc.Record; r != nil {
		owner := c.Param("slug") == "" && v.Manages(s.currentUser(c))
		sum, err := r.SummaryFor(c.Request.Context(), v, owner)
		if err != nil {
			s.writeError(c, err)
			return
		}
		out = summaryJSON{Status: string(sum.Status), Text: sum.Text, Model: sum.Model, Message: sum.Error}
		if sum.Status == media.SummaryOff && sum.Error == "" {
			out.Message = "Summaries are not set up on this server (BATON_LLM_URL)."
		}
		for _, ch := range sum.Chapters {
			out.SuggestedChapters = append(out.SuggestedChapters, chapterJSON{StartMs: ch.StartMs, Title: ch.Title})
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}
