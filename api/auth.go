package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
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
	key, err := a.accounts.Users.ServerKey(context.Background(), "viewer-pass", media.NewServerKey)
	if err != nil {
		return a, err
	}
	a.passes = media.PassSigner{Key: key}
	a.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusForbidden, ErrorDetail{Code: "cross_origin",
			Message: "This request came from another site and was refused. Use Baton's own pages, or an API token."})
	}))
	a.trustOrigin(opt.PublicURL)
	l := opt.AuthLimits
	if !l.Disabled {
		a.login = limiterOr(l.LoginPerClient, DefaultLoginPerClient)
		a.account = limiterOr(l.LoginPerAccount, DefaultLoginPerAccount)
		a.unlock = limiterOr(l.PasswordPerClient, DefaultPasswordPerClient)
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
	if _, ok := s.signedIn(c); ok {
		c.Next()
	}
}

// signedIn is the one sign-in check of the route guards: the request's
// principal, or false after answering 401 (or the bad credential's error).
func (s *Server) signedIn(c *gin.Context) (*principal, bool) {
	p, err := s.who(c)
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	if p == nil {
		s.writeError(c, media.Errorf(media.EUNAUTHORIZED, "Sign in, or send an API token, to use this."))
		return nil, false
	}
	return p, true
}

// signedInActor is the request's user as the comment rules see them.
func (s *Server) signedInActor(c *gin.Context) media.Actor {
	u := s.currentUser(c)
	if u == nil {
		return media.Actor{}
	}
	return media.Actor{UserID: u.ID, Name: u.Name, Admin: u.IsAdmin()}
}
