package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Cookies are Secure when Baton is reached over https, and never readable
// by scripts; a proxy that rewrites Host does not break same-origin
// requests from the public origin.
func TestCookiesAndPublicOrigin(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		secure    bool
	}{{"https://baton.example.com", true}, {"http://127.0.0.1:8080", false}} {
		s := MustServer(t, MustDB(t), Options{PublicURL: tc.publicURL})
		req := httptest.NewRequest("POST", "/api/auth/signup", strings.NewReader(`{"email":"a@example.com","password":"a long password"}`))
		req.Host = "10.0.0.5:8080" // what the proxy forwards
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", tc.publicURL)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("%s: sign-up from the public origin = %d %s", tc.publicURL, rec.Code, rec.Body)
		}
		var session *http.Cookie
		for _, c := range rec.Result().Cookies() {
			if c.Name == sessionCookie {
				session = c
			}
		}
		if session == nil || session.Secure != tc.secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("%s: session cookie %+v, want Secure=%v, HttpOnly, SameSite=Lax", tc.publicURL, session, tc.secure)
		}
	}
}
