package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
)

// Accounts over HTTP. A browser signs in with a session cookie; a script
// sends an API token as `Authorization: Bearer <token>`. Both name a user;
// nothing else about a request (no header, no query) makes it anyone.
//
//	baton_session       the session token (HttpOnly, SameSite=Lax, Secure
//	                    under https); the server keeps only its SHA-256
//	baton_pass_<slug>   a viewer's pass for one password-protected or
//	                    view-limited video (HMAC-signed, 12 hours)
//
// Every state-changing request from a browser must come from Baton's own
// pages: the handler is wrapped in http.CrossOriginProtection, which
// refuses cross-site POST, PATCH, PUT and DELETE (by Sec-Fetch-Site, or
// Origin against Host). Scripts send neither header and are not affected;
// they carry their credential explicitly, so a forged request has none.

const (
	sessionCookie    = "baton_session"
	passCookiePrefix = "baton_pass_"
)

// AuthLimits bounds guessing of account and video passwords. Zero rates
// take the defaults.
type AuthLimits struct {
	// Disabled turns the limits off (benchmarks).
	Disabled bool
	// LoginPerClient bounds sign-in and sign-up attempts from one client.
	LoginPerClient media.Rate
	// LoginPerAccount bounds sign-in attempts at one email address, from
	// anywhere, and password changes of one account.
	LoginPerAccount media.Rate
	// PasswordPerClient bounds attempts at one video's password from one
	// client.
	PasswordPerClient media.Rate
}

// Default limits: ten attempts at once, then one every 6 s from a client
// (ten a minute); ten at once, then two a minute at one account; five at
// once, then one every 12 s at one video's password.
var (
	DefaultLoginPerClient    = media.Rate{Burst: 10, Every: 6 * time.Second}
	DefaultLoginPerAccount   = media.Rate{Burst: 10, Every: 30 * time.Second}
	DefaultPasswordPerClient = media.Rate{Burst: 5, Every: 12 * time.Second}
)

// authState is the server's side of accounts: how credentials are checked,
// how cookies are made and how guessing is limited.
type authState struct {
	accounts *media.Accounts
	passes   media.PassSigner
	cop      *http.CrossOriginProtection
	// login, account and unlock limit password guessing.
	login, account, unlock *media.RateLimiter
}

func newAuthState(opt Options) (authState, error) {
	a := authState{accounts: opt.Accounts, cop: http.NewCrossOriginProtection()}
	if a.accounts == nil && opt.Service != nil {
		if us, ok := opt.Service.Videos.(media.UserStore); ok {
			a.accounts = &media.Accounts{Users: us, Hasher: argon2id.Hasher{}, SignupOpen: true}
		}
	}
	if a.accounts != nil {
		key, err := a.accounts.Users.ServerKey(context.Background(), "viewer-pass", media.NewServerKey)
		if err != nil {
			return a, err
		}
		a.passes = media.PassSigner{Key: key}
	}
	a.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusForbidden, ErrorDetail{Code: "cross_origin",
			Message: "This request came from another site and was refused. Use Baton's own pages, or an API token."})
	}))
	a.trustOrigin(opt.PublicURL)
	l := opt.AuthLimits
	if !l.Disabled {
		or := func(r, def media.Rate) *media.RateLimiter {
			if r.Burst <= 0 {
				r = def
			}
			return media.NewRateLimiter(r)
		}
		a.login = or(l.LoginPerClient, DefaultLoginPerClient)
		a.account = or(l.LoginPerAccount, DefaultLoginPerAccount)
		a.unlock = or(l.PasswordPerClient, DefaultPasswordPerClient)
	}
	return a, nil
}

// trustOrigin accepts requests from Baton's public origin even when a
// proxy in front rewrites Host.
func (a *authState) trustOrigin(publicURL string) {
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = a.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
}

// secure reports whether cookies must be Secure: Baton is reached over
// https.
func (s *Server) secure() bool { return strings.HasPrefix(s.opt.PublicURL, "https://") }

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c *gin.Context, name string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
}

/* ---------- Who is asking ---------- */

// principal is a signed-in user and the credential that proved it.
type principal struct {
	user    *media.User
	session *media.Session  // set for browsers
	token   *media.APIToken // set for scripts
}

const (
	ctxPrincipal = "baton.principal"
	ctxAuthErr   = "baton.authErr"
)

// who returns the signed-in user behind the request, or nil. A bad API
// token is an error (EUNAUTHORIZED): the script should hear so. A bad
// session cookie (revoked, expired) is simply signed out, and cleared.
// The answer is worked out once per request.
func (s *Server) who(c *gin.Context) (*principal, error) {
	if v, ok := c.Get(ctxPrincipal); ok {
		p, _ := v.(*principal)
		err, _ := c.Get(ctxAuthErr)
		e, _ := err.(error)
		return p, e
	}
	p, err := s.authenticate(c)
	c.Set(ctxPrincipal, p)
	c.Set(ctxAuthErr, err)
	return p, err
}

func (s *Server) authenticate(c *gin.Context) (*principal, error) {
	acc := s.auth.accounts
	if acc == nil {
		return nil, nil
	}
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, media.Errorf(media.EUNAUTHORIZED, "Send the API token as Authorization: Bearer <token>.")
		}
		u, t, err := acc.TokenUser(ctx, strings.TrimSpace(tok))
		if err != nil {
			return nil, err
		}
		return &principal{user: u, token: t}, nil
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck == "" {
		return nil, nil
	}
	u, sess, err := acc.SessionUser(ctx, ck)
	if media.ErrorCode(err) == media.EUNAUTHORIZED {
		s.clearCookie(c, sessionCookie)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: u, session: sess}, nil
}

// currentUser is the signed-in user, or nil (also when the credential was
// bad; routes that need one use requireUser).
func (s *Server) currentUser(c *gin.Context) *media.User {
	p, _ := s.who(c)
	if p == nil {
		return nil
	}
	return p.user
}

// requireUser lets only signed-in requests through: 401 otherwise.
func (s *Server) requireUser(c *gin.Context) {
	p, err := s.who(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if p == nil {
		s.writeError(c, media.Errorf(media.EUNAUTHORIZED, "Sign in, or send an API token, to use this."))
		return
	}
	c.Next()
}

// signedInActor is the request's user as the comment rules see them.
func (s *Server) signedInActor(c *gin.Context) media.Actor {
	u := s.currentUser(c)
	if u == nil {
		return media.Actor{}
	}
	return media.Actor{UserID: u.ID, Name: u.Name, Admin: u.IsAdmin()}
}

/* ---------- Request bodies ---------- */

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

/* ---------- Handlers ---------- */

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
}

func toUserJSON(u *media.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: timeJSON(u.CreatedAt)}
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

type signupRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Invite   string `json:"invite"`
	Next     string `json:"next"`
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

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Next     string `json:"next"`
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

func accountKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// allowLogin takes a token from the client's and the account's buckets, or
// answers 429.
func (s *Server) allowLogin(c *gin.Context, email string) bool {
	if !s.allow(c, s.auth.login, "sign-in attempts") {
		return false
	}
	if ok, wait := s.auth.account.Allow(accountKey(email)); !ok {
		s.auth.login.Refund(clientKey(c))
		s.tooMany(c, wait, "Too many sign-in attempts for this account; try again in %d s.")
		return false
	}
	return true
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
	c.JSON(http.StatusOK, out)
}

type updateMeRequest struct {
	Name *string `json:"name"`
	notifyPatch
}

func (s *Server) updateMe(c *gin.Context) {
	var req updateMeRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Name == nil && req.notifyPatch.empty() {
		s.badRequest(c, "Nothing to change: send a name, timeZone, workingHours or emailMode.")
		return
	}
	u := s.currentUser(c)
	if !s.applyNotifyPatch(c, u, req.notifyPatch) {
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
	c.JSON(http.StatusOK, out)
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
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

type tokenJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt,omitempty"`
	// Token is the secret, only in the answer to its creation.
	Token string `json:"token,omitempty"`
}

func toTokenJSON(t *media.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: timeJSON(t.CreatedAt), LastUsedAt: timeJSON(t.LastUsedAt)}
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

type createTokenRequest struct {
	Name string `json:"name"`
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

type updateMemberRequest struct {
	Role string `json:"role"`
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

type inviteJSON struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
	// URL is the link to send, only in the answer to its creation.
	URL string `json:"url,omitempty"`
}

func toInviteJSON(inv *media.Invite) inviteJSON {
	return inviteJSON{ID: inv.ID, Role: string(inv.Role), CreatedAt: timeJSON(inv.CreatedAt), ExpiresAt: timeJSON(inv.ExpiresAt)}
}

type createInviteRequest struct {
	Role string `json:"role"`
}

func (s *Server) createInvite(c *gin.Context) {
	var req createInviteRequest
	if c.Request.ContentLength != 0 && !s.decodeJSON(c, &req) {
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
	acc, ok := s.accountsOr503(c)
	if !ok {
		return
	}
	if !s.allow(c, s.auth.login, "attempts") {
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
