package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// Pages that depend on who is signed in. The library is the home page for
// members; a signed-out visitor gets the sign-in page in its place (which
// offers to create the first account when there is none yet).

func (s *Server) homePage(c *gin.Context) {
	if s.currentUser(c) == nil {
		s.pages.html(c, http.StatusOK, "login.html", "")
		return
	}
	s.pages.home(c)
}

// loginPage serves /login, /signup and /invite/{token}; its script tells
// them apart by the path.
func (s *Server) loginPage(c *gin.Context) {
	s.pages.html(c, http.StatusOK, "login.html", "")
}

// membersOnly serves a page to signed-in members and sends everyone else
// to sign in first, then back.
func (s *Server) membersOnly(page string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.currentUser(c) == nil {
			c.Header("Cache-Control", "no-store")
			c.Redirect(http.StatusSeeOther, "/login?"+url.Values{"next": {c.Request.URL.RequestURI()}}.Encode())
			return
		}
		s.pages.html(c, http.StatusOK, page, "")
	}
}
