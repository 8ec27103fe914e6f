package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// One's own account over HTTP: signing up, in and out, the profile, the
// password and API tokens (auth.go says how a request is signed in).

// authOptions tells the sign-in page what to offer.
func (s *Server) authOptions(c *gin.Context) {
	acc := s.auth.accounts
	n, err := acc.Users.CountUsers(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"signupOpen": acc.SignupOpen || n == 0, "setupRequired": n == 0})
}

func (s *Server) signup(c *gin.Context) {
	acc := s.auth.accounts
	var req signupRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if !s.allowAddr(c, s.auth.login, "attempts") {
		return
	}
	ctx := c.Request.Context()
	u, err := acc.SignUp(ctx, media.SignUpInput{Email: req.Email, Name: req.Name, Password: req.Password, Invite: req.Invite})
	if err == nil {
		err = s.startSession(c, u)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"user": toUserJSON(u)})
}

func (s *Server) startSession(c *gin.Context, u *media.User) error {
	token, _, err := s.auth.accounts.StartSession(c.Request.Context(), u, c.Request.UserAgent())
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, token, s.sessionTTL())
	return nil
}

func (s *Server) sessionTTL() time.Duration {
	if s.auth.accounts.SessionTTL > 0 {
		return s.auth.accounts.SessionTTL
	}
	return media.DefaultSessionTTL
}

func (s *Server) login(c *gin.Context) {
	acc := s.auth.accounts
	var req loginRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if !s.allowLogin(c, req.Email) {
		return
	}
	u, err := acc.Login(c.Request.Context(), req.Email, req.Password)
	if err == nil {
		// A right password does not use up the client's attempts.
		s.auth.login.Refund(clientKey(c))
		s.auth.account.Refund(accountKey(req.Email))
		err = s.startSession(c, u)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": toUserJSON(u)})
}

func (s *Server) logout(c *gin.Context) {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck != "" {
		if err := s.auth.accounts.EndSession(c.Request.Context(), ck); err != nil {
			s.writeError(c, err)
			return
		}
	}
	s.clearCookie(c, sessionCookie)
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	p, _ := s.who(c)
	via := "session"
	if p.token != nil {
		via = "token"
	}
	c.Header("Cache-Control", "no-store")
	out := gin.H{"user": toUserJSON(p.user), "via": via}
	for k, v := range s.notifySettings(c, p.user) { // notifications.go
		out[k] = v
	}
	out["awayUntil"] = s.awaySetting(c, p.user) // asks_away.go
	c.JSON(http.StatusOK, out)
}

func (s *Server) updateMe(c *gin.Context) {
	var req updateMeRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Name == nil && req.notifyPatch.empty() && len(req.AwayUntil) == 0 {
		s.badRequest(c, "Nothing to change: send a name, timeZone, workingHours, emailMode or awayUntil.")
		return
	}
	u := s.currentUser(c)
	if !s.applyNotifyPatch(c, u, req.notifyPatch) { // notifications.go
		return
	}
	if !s.applyAway(c, u, req.AwayUntil) { // asks_away.go
		return
	}
	if req.Name != nil {
		var err error
		if u, err = s.auth.accounts.UpdateProfile(c.Request.Context(), u, *req.Name); err != nil {
			s.writeError(c, err)
			return
		}
	}
	out := gin.H{"user": toUserJSON(u)}
	for k, v := range s.notifySettings(c, u) {
		out[k] = v
	}
	out["awayUntil"] = s.awaySetting(c, u)
	c.JSON(http.StatusOK, out)
}

// changePassword replaces the password and signs out every other session;
// the one asking stays signed in.
func (s *Server) changePassword(c *gin.Context) {
	var req passwordRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	p, _ := s.who(c)
	if ok, wait := s.auth.account.Allow(accountKey(p.user.Email)); !ok {
		s.tooMany(c, wait, "Too many attempts for this account; try again in %d s.")
		return
	}
	keep := ""
	if p.session != nil {
		keep = p.session.ID
	}
	if err := s.auth.accounts.ChangePassword(c.Request.Context(), p.user, req.CurrentPassword, req.NewPassword, keep); err != nil {
		if media.ErrorCode(err) == media.EUNAUTHORIZED {
			// A wrong current password is a refusal of this request,
			// not a signing-out: 403, so pages do not send people to
			// the sign-in form.
			err = media.Errorf(media.ENOTALLOWED, "%s", media.ErrorMessage(err))
		}
		s.writeError(c, err)
		return
	}
	s.auth.account.Refund(accountKey(p.user.Email))
	c.Status(http.StatusNoContent)
}

func (s *Server) listTokens(c *gin.Context) {
	ts, err := s.auth.accounts.Tokens(c.Request.Context(), s.currentUser(c))
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = toTokenJSON(t)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"tokens": out})
}

func (s *Server) createToken(c *gin.Context) {
	var req createTokenRequest
	if !s.decodeOptionalJSON(c, &req) {
		return
	}
	secret, t, err := s.auth.accounts.CreateToken(c.Request.Context(), s.currentUser(c), req.Name)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := toTokenJSON(t)
	out.Token = secret
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
}

func (s *Server) revokeToken(c *gin.Context) {
	id, ok := s.paramID(c, "tokenId", "Token")
	if !ok {
		return
	}
	if err := s.auth.accounts.RevokeToken(c.Request.Context(), s.currentUser(c), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
