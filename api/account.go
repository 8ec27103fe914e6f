package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// One's own account over HTTP: signing up, in and out, the profile, the
// password and API tokens (auth.go says how a request is signed in).

// isForm reports whether the request carries an HTML form rather than
// JSON; such requests are answered with redirects, for pages without
// scripts.
func isForm(c *gin.Context) bool {
	ct := c.ContentType()
	return ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
}

// bindAuth reads a JSON object or a form into dst, whose fields are
// strings named by their json tags.
func (s *Server) bindAuth(c *gin.Context, dst any, fields map[string]*string) bool {
	if isForm(c) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
		if err := c.Request.ParseForm(); err != nil {
			s.badRequest(c, "The form could not be read.")
			return false
		}
		for name, p := range fields {
			*p = c.Request.PostForm.Get(name)
		}
		return true
	}
	return s.decodeJSON(c, dst)
}

// safeNext returns next if it is a path on this site, or "/".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// formDone answers a form post: to next on success, back to the form with
// the error's code otherwise.
func (s *Server) formDone(c *gin.Context, back, next string, err error) {
	if err != nil {
		q := url.Values{"error": {media.ErrorCode(err)}}
		if next != "/" {
			q.Set("next", next)
		}
		c.Redirect(http.StatusSeeOther, back+"?"+q.Encode())
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) accountsOr503(c *gin.Context) (*media.Accounts, bool) {
	if s.auth.accounts == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Accounts are not set up on this server."))
		return nil, false
	}
	return s.auth.accounts, true
}

// authOptions tells the sign-in page what to offer.
func (s *Server) authOptions(c *gin.Context) {
	acc, ok := s.accountsOr503(c)
	if !ok {
		return
	}
	n, err := acc.Users.CountUsers(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"signupOpen": acc.SignupOpen || n == 0, "setupRequired": n == 0})
}

func (s *Server) signup(c *gin.Context) {
	acc, ok := s.accountsOr503(c)
	if !ok {
		return
	}
	var req signupRequest
	if !s.bindAuth(c, &req, map[string]*string{"email": &req.Email, "name": &req.Name, "password": &req.Password, "invite": &req.Invite, "next": &req.Next}) {
		return
	}
	back := "/signup"
	if req.Invite != "" {
		back = "/invite/" + url.PathEscape(req.Invite)
	}
	if !s.allow(c, s.auth.login, "attempts") {
		return
	}
	ctx := c.Request.Context()
	u, err := acc.SignUp(ctx, media.SignUpInput{Email: req.Email, Name: req.Name, Password: req.Password, Invite: req.Invite})
	if err == nil {
		err = s.startSession(c, u)
	}
	if isForm(c) {
		s.formDone(c, back, safeNext(req.Next), err)
		return
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
	acc, ok := s.accountsOr503(c)
	if !ok {
		return
	}
	var req loginRequest
	if !s.bindAuth(c, &req, map[string]*string{"email": &req.Email, "password": &req.Password, "next": &req.Next}) {
		return
	}
	next := safeNext(req.Next)
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
	if isForm(c) {
		s.formDone(c, "/login", next, err)
		return
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": toUserJSON(u)})
}

func (s *Server) logout(c *gin.Context) {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck != "" && s.auth.accounts != nil {
		if err := s.auth.accounts.EndSession(c.Request.Context(), ck); err != nil {
			s.writeError(c, err)
			return
		}
	}
	s.clearCookie(c, sessionCookie)
	if isForm(c) {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
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
	out["awayUntil"] = s.awaySetting(c, p.user) // asks.go
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
	if !s.applyAway(c, u, req.AwayUntil) { // asks.go
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
	if c.Request.ContentLength != 0 && !s.decodeJSON(c, &req) {
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
