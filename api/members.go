package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// The workspace's people: members and their roles, and invite links
// (admins only; media.Accounts enforces who may what).

func (s *Server) listMembers(c *gin.Context) {
	us, err := s.auth.accounts.Members(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]userJSON, len(us))
	for i, u := range us {
		out[i] = toUserJSON(u)
	}
	c.JSON(http.StatusOK, gin.H{"members": out})
}

func (s *Server) updateMember(c *gin.Context) {
	id, ok := s.paramID(c, "userId", "Member")
	if !ok {
		return
	}
	var req updateMemberRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	u, err := s.auth.accounts.SetRole(c.Request.Context(), s.currentUser(c), id, media.Role(req.Role))
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}

func (s *Server) removeMember(c *gin.Context) {
	id, ok := s.paramID(c, "userId", "Member")
	if !ok {
		return
	}
	if err := s.auth.accounts.RemoveMember(c.Request.Context(), s.currentUser(c), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) createInvite(c *gin.Context) {
	var req createInviteRequest
	if !s.decodeOptionalJSON(c, &req) {
		return
	}
	token, inv, err := s.auth.accounts.CreateInvite(c.Request.Context(), s.currentUser(c), media.Role(req.Role))
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := toInviteJSON(inv)
	out.URL = s.opt.PublicURL + "/invite/" + token
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listInvites(c *gin.Context) {
	invs, err := s.auth.accounts.Invites(c.Request.Context(), s.currentUser(c))
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]inviteJSON, len(invs))
	for i, inv := range invs {
		out[i] = toInviteJSON(inv)
	}
	c.JSON(http.StatusOK, gin.H{"invites": out})
}

func (s *Server) revokeInvite(c *gin.Context) {
	id, ok := s.paramID(c, "inviteId", "Invite")
	if !ok {
		return
	}
	if err := s.auth.accounts.RevokeInvite(c.Request.Context(), s.currentUser(c), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// checkInvite tells the invite page whether its link still works.
func (s *Server) checkInvite(c *gin.Context) {
	acc := s.auth.accounts
	if !s.allowAddr(c, s.auth.login, "attempts") {
		return
	}
	inv, err := acc.CheckInvite(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.auth.login.Refund(clientKey(c))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"role": string(inv.Role), "expiresAt": timeJSON(inv.ExpiresAt)})
}
