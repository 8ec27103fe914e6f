package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// session says who is signed in, and answers 200 with "user": null when
// nobody is (GET /api/auth/session). Pages that work signed in and out
// (watch, embed, sign-in) ask this rather than /api/auth/me, whose 401 the
// browser logs as a failed request on every signed-out visit.
func (s *Server) session(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	u := s.currentUser(c)
	if u == nil {
		c.JSON(http.StatusOK, gin.H{"user": nil})
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": toUserJSON(u)})
}
