package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// serveFrom is serve from a given client address.
func serveFrom(s *Server, addr, method, path, body string, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body, err)
	}
	return e.Error.Code
}

// presignerFunc is a media.Presigner made of a function.
type presignerFunc func(key string) (string, error)

func (f presignerFunc) PresignGet(_ context.Context, key string, _ time.Duration, _ string) (string, error) {
	return f(key)
}

// TestNewRequiresDependencies: the server does not guess its dependencies
// from what a store happens to implement; a missing one fails New.
func TestNewRequiresDependencies(t *testing.T) {
	db := MustDB(t)
	svc := &media.Service{Videos: db, Jobs: db, Events: media.NewBroker()}
	full := Options{
		Service:    svc,
		Comments:   media.NewComments(db, db, svc.Events),
		Accounts:   &media.Accounts{Users: db, Hasher: cheapHasher},
		StagingDir: t.TempDir(),
	}
	if _, err := New(full); err != nil {
		t.Fatalf("New with every dependency: %v", err)
	}
	for name, change := range map[string]func(o *Options){
		"no service":        func(o *Options) { o.Service = nil },
		"no video store":    func(o *Options) { o.Service = &media.Service{} },
		"no comments":       func(o *Options) { o.Comments = nil },
		"no accounts":       func(o *Options) { o.Accounts = nil },
		"no password hash":  func(o *Options) { o.Accounts = &media.Accounts{Users: db} },
		"no user store":     func(o *Options) { o.Accounts = &media.Accounts{Hasher: cheapHasher} },
		"presigner, no ttl": func(o *Options) { o.Presigner = presignerFunc(nil) },
	} {
		o := full
		change(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), "api: New needs") {
			t.Errorf("%s: New = %v, want an error naming what is missing", name, err)
		}
	}
}

// TestUnknownFieldsRefused: every body goes through the strict decoder, so
// a misspelt field is a 400 naming it, not silently ignored.
func TestUnknownFieldsRefused(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{Disabled: true}})
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, Title: "before", OwnerID: owner.user.ID}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"PATCH", "/api/videos/" + v.ID, `{"titel":"x"}`},
		{"PATCH", "/api/videos/" + v.ID, `{"title":"x","commentsEnabeld":false}`},
		{"POST", "/api/videos", `{"titel":"x"}`},
		{"PATCH", "/api/videos/" + v.ID + "/sharing", `{"visibilty":"private"}`},
		{"POST", "/api/auth/login", `{"email":"olive@example.com","pasword":"x"}`},
	} {
		rec := serve(s, tc.method, tc.path, tc.body, owner.h())
		if rec.Code != http.StatusBadRequest || errorCode(t, rec) != media.EINVALID {
			t.Fatalf("%s %s %s = %d %s, want 400 invalid", tc.method, tc.path, tc.body, rec.Code, rec.Body)
		}
		field := regexp.MustCompile(`"(\w+)":[^,}]*}$`).FindStringSubmatch(tc.body)[1]
		if !strings.Contains(rec.Body.String(), `Unknown field \"`+field+`\"`) {
			t.Fatalf("%s %s: %s does not name the field %q", tc.method, tc.path, rec.Body, field)
		}
	}
	got, err := db.Video(context.Background(), v.ID)
	if err != nil || got.Title != "before" || !got.CommentsEnabled() {
		t.Fatalf("a refused request changed the video: %+v %v", got, err)
	}
	// Optional bodies may be left out, but not be malformed.
	if rec := serve(s, "POST", "/api/videos", "", owner.h()); rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/videos without a body = %d %s", rec.Code, rec.Body)
	}
	if rec := serve(s, "POST", "/api/videos", `{"title":"a"} {"title":"b"}`, owner.h()); rec.Code != http.StatusBadRequest {
		t.Fatalf("two JSON objects = %d %s", rec.Code, rec.Body)
	}
}

// jsonRoutes lists every routed state-changing API request: each takes a
// JSON body or none. tus PATCH carries application/offset+octet-stream.
func jsonRoutes(s *Server) []gin.RouteInfo {
	var out []gin.RouteInfo
	for _, r := range s.engine.Routes() {
		switch r.Method {
		case "POST", "PUT", "PATCH", "DELETE":
		default:
			continue
		}
		if strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/api/uploads/") {
			out = append(out, r)
		}
	}
	return out
}

// TestJSONBodiesOnly: every JSON endpoint refuses any other Content-Type
// with 415 unsupported_media_type before anything else (guards, limits,
// handlers) runs, so a form a page on another site can post never reaches
// a handler. The routes come from the engine, so a new one is covered
// without editing this test; the spec must document the 415.
func TestJSONBodiesOnly(t *testing.T) {
	s := newTestServer(t)
	routes := jsonRoutes(s)
	if len(routes) < 30 {
		t.Fatalf("only %d JSON routes found", len(routes))
	}
	param := regexp.MustCompile(`:(\w+)`)
	bodies := []struct{ contentType, body string }{
		{"text/plain", `{"title":"x"}`},
		{"text/plain;charset=UTF-8", `{"email":"a@example.com","password":"x"}`},
		{"application/x-www-form-urlencoded", "email=a%40example.com&password=x"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"},
		{"application/xml", "<a/>"},
		{"", `{"title":"x"}`}, // a body must say what it is
	}
	for _, r := range routes {
		path := param.ReplaceAllString(r.Path, media.NewID())
		for _, b := range bodies {
			t.Run(r.Method+" "+r.Path+" "+b.contentType, func(t *testing.T) {
				req := httptest.NewRequest(r.Method, path, strings.NewReader(b.body))
				if b.contentType != "" {
					req.Header.Set("Content-Type", b.contentType)
				}
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusUnsupportedMediaType || errorCode(t, rec) != "unsupported_media_type" {
					t.Fatalf("= %d %s, want 415 unsupported_media_type", rec.Code, rec.Body)
				}
			})
		}
		// JSON itself gets past the gate (to the guard or handler).
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
			req := httptest.NewRequest(r.Method, path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code == http.StatusUnsupportedMediaType {
				t.Fatalf("%s %s with %s = 415 %s", r.Method, r.Path, ct, rec.Body)
			}
		}
	}
	// No body needs no Content-Type.
	req := httptest.NewRequest("POST", "/api/auth/logout", nil)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("POST /api/auth/logout without a body = %d %s", rec.Code, rec.Body)
	}
	// The tus append keeps its own media type.
	req = httptest.NewRequest("PATCH", "/api/uploads/"+media.NewID(), strings.NewReader("bytes"))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code == http.StatusUnsupportedMediaType {
		t.Fatalf("tus PATCH = 415 %s", rec.Body)
	}

	// The spec says so for each of them.
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		p := param.ReplaceAllString(r.Path, "{$1}")
		op, ok := doc.Paths[p][strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		responses, _ := op["responses"].(map[string]any)
		if _, ok := responses["415"]; !ok {
			t.Errorf("openapi.yaml: %s %s does not document 415", r.Method, p)
		}
	}
}

// TestFairRateLimits: members are limited per account and guests per
// address, so a guest flood from the address a member also uses (an
// office NAT) does not throttle the member, and a member moving between
// addresses does not escape their own limit.
func TestFairRateLimits(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{
		CommentsPerClient:  media.Rate{Burst: 5, Every: time.Hour},
		CommentsPerVideo:   media.Rate{Burst: 10, Every: time.Hour},
		ReactionsPerClient: media.Rate{Burst: 5, Every: time.Hour},
		ReactionsPerVideo:  media.Rate{Burst: 10, Every: time.Hour},
	}})
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	const office, home = "198.51.100.7:4000", "203.0.113.9:5000"
	share := "/api/share/" + v.Slug
	guest := http.Header{"X-Guest-Secret": {media.NewGuestSecret()}}
	codes := map[int]int{}
	for i := 0; i < 1000; i++ {
		codes[serveFrom(s, office, "POST", share+"/comments", `{"body":"spam","timeMs":0,"guestName":"G"}`, guest).Code]++
	}
	if codes[http.StatusCreated] != 5 || codes[http.StatusTooManyRequests] != 995 {
		t.Fatalf("guest flood: %v, want 5 created and 995 refused", codes)
	}
	for i := 0; i < 5; i++ {
		if rec := serveFrom(s, office, "POST", share+"/comments", `{"body":"still here","timeMs":1000}`, owner.h()); rec.Code != http.StatusCreated {
			t.Fatalf("member comment %d from the flooded address = %d %s", i, rec.Code, rec.Body)
		}
		if rec := serveFrom(s, office, "POST", share+"/reactions", `{"emoji":"👍","timeMs":1000}`, owner.h()); rec.Code != http.StatusCreated {
			t.Fatalf("member reaction %d from the flooded address = %d %s", i, rec.Code, rec.Body)
		}
	}
	// The member's own budget follows the account, not the address.
	rec := serveFrom(s, home, "POST", share+"/comments", `{"body":"one more","timeMs":1000}`, owner.h())
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("member over their limit from another address = %d %s, want 429 with Retry-After", rec.Code, rec.Body)
	}
	// Another guest behind the same address shares its budget; a guest
	// elsewhere does not.
	other := http.Header{"X-Guest-Secret": {media.NewGuestSecret()}}
	if rec := serveFrom(s, office, "POST", share+"/comments", `{"body":"hi","timeMs":0,"guestName":"H"}`, other); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second guest on the flooded address = %d, want 429", rec.Code)
	}
	if rec := serveFrom(s, home, "POST", share+"/comments", `{"body":"hi","timeMs":0,"guestName":"H"}`, other); rec.Code != http.StatusCreated {
		t.Fatalf("guest elsewhere = %d %s", rec.Code, rec.Body)
	}
}

// TestRefusedWritesDoNotCount: a write refused for who is asking (not
// signed in, not theirs, guests not allowed) spends nobody's budget.
func TestRefusedWritesDoNotCount(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{
		CommentsPerClient: media.Rate{Burst: 2, Every: time.Hour},
		CommentsPerVideo:  media.Rate{Burst: 2, Every: time.Hour},
	}})
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	other := mustMember(t, s, "otto@example.com", "Otto", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	vp, share := "/api/videos/"+v.ID, "/api/share/"+v.Slug
	mine := decodeAs[testComment](t, serve(s, "POST", vp+"/comments", `{"body":"owner's","timeMs":0}`, owner.h()).Body.Bytes())
	if mine.ID == "" {
		t.Fatal("owner could not comment")
	}
	// Not signed in, on the id routes: 401 from the guard, 20 times.
	for i := 0; i < 20; i++ {
		if rec := serve(s, "POST", vp+"/comments", `{"body":"x","timeMs":0}`, nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("anonymous POST by id = %d", rec.Code)
		}
		if rec := serve(s, "PATCH", "/api/comments/"+mine.ID, `{"body":"x"}`, nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("anonymous PATCH = %d", rec.Code)
		}
	}
	// Someone else's comment: 403, 20 times.
	for i := 0; i < 20; i++ {
		if rec := serve(s, "PATCH", "/api/comments/"+mine.ID, `{"body":"mine now"}`, other.h()); rec.Code != http.StatusForbidden {
			t.Fatalf("editing another's comment = %d %s", rec.Code, rec.Body)
		}
	}
	// Guests not allowed: 403, 20 times, from a guest of this address.
	if rec := serve(s, "PATCH", vp, `{"guestComments":false}`, owner.h()); rec.Code != http.StatusOK {
		t.Fatalf("turning guests off = %d %s", rec.Code, rec.Body)
	}
	guest := http.Header{"X-Guest-Secret": {media.NewGuestSecret()}}
	for i := 0; i < 20; i++ {
		if rec := serve(s, "POST", share+"/comments", `{"body":"x","timeMs":0,"guestName":"G"}`, guest); rec.Code != http.StatusForbidden {
			t.Fatalf("guest comment with guests off = %d %s", rec.Code, rec.Body)
		}
	}
	if rec := serve(s, "PATCH", vp, `{"guestComments":true}`, owner.h()); rec.Code != http.StatusOK {
		t.Fatalf("turning guests on = %d %s", rec.Code, rec.Body)
	}
	// Every budget is whole: the other member, the guest and the video.
	for i := 0; i < 2; i++ {
		if rec := serve(s, "POST", share+"/comments", `{"body":"ok","timeMs":0}`, other.h()); rec.Code != http.StatusCreated {
			t.Fatalf("member %d after refusals = %d %s", i, rec.Code, rec.Body)
		}
		if rec := serve(s, "POST", share+"/comments", `{"body":"ok","timeMs":0,"guestName":"G"}`, guest); rec.Code != http.StatusCreated {
			t.Fatalf("guest %d after refusals = %d %s", i, rec.Code, rec.Body)
		}
	}
}

// TestVideoCreationLimit: creating videos is limited per account (each
// reserves an upload), with a Retry-After, and one account's burst does
// not limit another's.
func TestVideoCreationLimit(t *testing.T) {
	s, _ := newCommentServer(t, Options{RateLimits: RateLimits{VideosPerAccount: media.Rate{Burst: 3, Every: time.Hour}}})
	a := mustMember(t, s, "ada@example.com", "Ada", media.RoleMember)
	b := mustMember(t, s, "bo@example.com", "Bo", media.RoleMember)
	for i := 0; i < 3; i++ {
		if rec := serve(s, "POST", "/api/videos", fmt.Sprintf(`{"title":"v%d"}`, i), a.h()); rec.Code != http.StatusCreated {
			t.Fatalf("video %d = %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := serve(s, "POST", "/api/videos", `{"title":"one too many"}`, a.h())
	if rec.Code != http.StatusTooManyRequests || errorCode(t, rec) != media.ERATELIMIT || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("4th video = %d %s %v, want 429 rate_limited with Retry-After", rec.Code, rec.Body, rec.Header())
	}
	if rec := serve(s, "POST", "/api/videos", `{"title":"b"}`, b.h()); rec.Code != http.StatusCreated {
		t.Fatalf("another account = %d %s", rec.Code, rec.Body)
	}

	// The defaults refuse most of a burst of 60 (which all passed before
	// there was a limit).
	s, _ = newCommentServer(t, Options{})
	a = mustMember(t, s, "ada@example.com", "Ada", media.RoleMember)
	created := 0
	for i := 0; i < 60; i++ {
		if serve(s, "POST", "/api/videos", `{}`, a.h()).Code == http.StatusCreated {
			created++
		}
	}
	if want := DefaultVideosPerAccount.Burst; created < want || created > want+5 {
		t.Fatalf("a burst of 60 created %d videos, want about %d", created, want)
	}
}
