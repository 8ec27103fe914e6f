package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
	"github.com/baton-video/baton/media/gormstore"
)

// Cookies are Secure when Baton is reached over https, and never readable
// by scripts; a proxy that rewrites Host does not break same-origin
// requests from the public origin.
func TestCookiesAndPublicOrigin(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		secure    bool
	}{{"https://baton.example.com", true}, {"http://127.0.0.1:8080", false}} {
		db, err := gormstore.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		cheap := argon2id.Hasher{P: argon2id.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
		s, err := New(Options{
			Service:    &media.Service{Videos: db, Jobs: db, Events: media.NewBroker()},
			Accounts:   &media.Accounts{Users: db, Hasher: cheap, SignupOpen: true},
			StagingDir: t.TempDir(), PublicURL: tc.publicURL,
		})
		if err != nil {
			t.Fatal(err)
		}
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
