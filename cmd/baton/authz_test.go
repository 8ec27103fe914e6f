package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
)

// The authorization matrix: every video, comment and media route (read,
// write, delete) against every kind of person (the owner, another member,
// an admin, someone signed out with the link, without it, with a revoked
// link, with an expired one), for a video shared with anyone who has the
// link and for a private one. Every cell's status is asserted, and after
// every refused attempt (and every read) the database rows and the stored
// objects are exactly what they were.

// authzEnv is a server with three accounts: the owner and another member
// (signed in with session cookies, as browsers are) and the admin (with an
// API token, as scripts are).
type authzEnv struct {
	s              *testServer
	owner, member  http.Header
	admin          http.Header
	ownerID        string
	snapshotDB     *sql.DB
	client         *http.Client
	fixtureCounter int
}

// mustStartAuthz starts a server without workers or comment rate limits,
// with its admin (the harness's token) and two members.
func mustStartAuthz(tb testing.TB, fn func(*Config)) *authzEnv {
	tb.Helper()
	requireFFmpeg(tb)
	cfg := testConfig(tb, tb.TempDir(), func(c *Config) {
		c.Workers = 0
		if fn != nil {
			fn(c)
		}
	})
	m := NewMain(cfg, testLogger(tb))
	m.Frontend = testFrontend
	m.Hasher = testHasher
	m.RateLimits = api.RateLimits{Disabled: true}
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	provisionAuth(tb, m.DB) // the first account: the admin
	s := &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}
	e := &authzEnv{s: s, admin: http.Header{"Authorization": {"Bearer " + testToken}},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var ownerUser struct{ User struct{ ID string } }
	e.owner = e.signUp(tb, "owner@example.com", "Olive Owner", &ownerUser)
	e.ownerID = ownerUser.User.ID
	e.member = e.signUp(tb, "member@example.com", "Max Member", nil)
	// Plain database/sql, read-only: the snapshot must not go through the
	// store it checks, and only gormstore imports GORM.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(cfg.DataDir, "baton.db")+"?mode=ro&_busy_timeout=5000")
	if cfg.Postgres() {
		db, err = sql.Open("pgx", cfg.DatabaseURL)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e.snapshotDB = db
	return e
}

// signUp makes a member's account (as `baton user add` does, so it works
// with sign-up closed), signs in and returns the headers of the session.
func (e *authzEnv) signUp(tb testing.TB, email, name string, out any) http.Header {
	tb.Helper()
	if _, err := e.s.Accounts.AddUser(context.Background(), email, name, testPassword, media.RoleMember); err != nil {
		tb.Fatalf("add %s: %v", email, err)
	}
	resp, b := e.send(tb, "POST", "/api/auth/login", `{"email":"`+email+`","password":"`+testPassword+`"}`, nil)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("sign in %s: %s %s", email, resp.Status, b)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
	return sessionHeader(tb, resp)
}

// sessionHeader is the Cookie header a browser would send after resp.
func sessionHeader(tb testing.TB, resp *http.Response) http.Header {
	tb.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "baton_session" && c.Value != "" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				tb.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", c)
			}
			return http.Header{"Cookie": {c.Name + "=" + c.Value}}
		}
	}
	tb.Fatalf("no session cookie in %v", resp.Header["Set-Cookie"])
	return nil
}

// send makes a request with the given headers; a string body is JSON
// unless a Content-Type header says otherwise. Event streams are cut off
// after their headers.
func (e *authzEnv) send(tb testing.TB, method, path, body string, h http.Header) (*http.Response, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, e.s.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := e.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *authzEnv) mustSend(tb testing.TB, method, path, body string, h http.Header, status int) []byte {
	tb.Helper()
	resp, b := e.send(tb, method, path, body, h)
	if resp.StatusCode != status {
		tb.Fatalf("%s %s = %s %s, want %d", method, path, resp.Status, b, status)
	}
	return b
}

// fixture is one video of the owner's, made ready with stored media (a
// stand-in MP4, poster and live playlist: the bytes do not matter here), a
// guest's comment and reaction on it.
type fixture struct {
	ID, Slug, OldSlug      string
	CommentID, ReactionID  string
	GuestSecret            string
	visibility, linkStatus string
}

// newFixture makes a fixture shared with visibility; linkStatus "revoked"
// regenerates its link (OldSlug is the dead one) and "expired" moves its
// expiry into the past.
func (e *authzEnv) newFixture(tb testing.TB, visibility media.Visibility, linkStatus string) *fixture {
	tb.Helper()
	e.fixtureCounter++
	ctx := context.Background()
	var v struct{ ID, Slug string }
	json.Unmarshal(e.mustSend(tb, "POST", "/api/videos", fmt.Sprintf(`{"title":"Fixture %d"}`, e.fixtureCounter), e.owner, 201), &v)
	for key, data := range map[string]string{
		media.MP4Key(v.ID): "not really an mp4", media.PosterKey(v.ID): "not really a jpeg",
		media.LiveKey(v.ID, "index.m3u8"): "#EXTM3U\n",
	} {
		if err := e.s.Blobs.Put(ctx, key, strings.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := e.s.DB.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error {
		mv.Status, mv.HasMP4, mv.HasPoster = media.StatusReady, true, true
		mv.DurationMs, mv.Width, mv.Height, mv.SizeBytes = 10_000, 320, 240, 17
		mv.UploadedBytes, mv.OriginalSize = 17, 17 // the upload is complete
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	fx := &fixture{ID: v.ID, Slug: v.Slug, GuestSecret: media.NewGuestSecret(), visibility: string(visibility), linkStatus: linkStatus}
	guest := http.Header{"X-Guest-Secret": {fx.GuestSecret}}
	var cm struct{ ID string }
	json.Unmarshal(e.mustSend(tb, "POST", "/api/share/"+v.Slug+"/comments", `{"body":"Nice","timeMs":1000,"guestName":"Gus"}`, guest, 201), &cm)
	var r struct{ Reaction struct{ ID string } }
	json.Unmarshal(e.mustSend(tb, "POST", "/api/share/"+v.Slug+"/reactions", `{"emoji":"👍","timeMs":1000}`, guest, 201), &r)
	fx.CommentID, fx.ReactionID = cm.ID, r.Reaction.ID
	if visibility != media.VisibilityLink {
		e.mustSend(tb, "PATCH", "/api/videos/"+v.ID+"/sharing", `{"visibility":"`+string(visibility)+`"}`, e.owner, 200)
	}
	switch linkStatus {
	case "revoked":
		var nv struct{ Slug string }
		json.Unmarshal(e.mustSend(tb, "POST", "/api/videos/"+v.ID+"/sharing/regenerate", "", e.owner, 200), &nv)
		if nv.Slug == v.Slug || !media.ValidSlug(nv.Slug) {
			tb.Fatalf("regenerated slug %q (was %q)", nv.Slug, v.Slug)
		}
		fx.OldSlug, fx.Slug = v.Slug, nv.Slug
	case "expired":
		if _, err := e.s.DB.UpdateVideo(ctx, v.ID, "", func(mv *media.Video) error {
			mv.Sharing.ExpiresAt = time.Now().Add(-time.Minute)
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return fx
}

// state is everything a request could change: the rows of every table
// about videos, their discussion and the workspace, and every stored
// object.
func (e *authzEnv) state(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	for _, table := range []string{"videos", "comments", "reactions", "comment_events", "jobs", "users", "invites"} {
		rows, err := snapshotRows(e.snapshotDB, "SELECT * FROM "+table+" ORDER BY 1")
		if err != nil {
			tb.Fatalf("snapshot %s: %v", table, err)
		}
		j, _ := json.Marshal(rows)
		fmt.Fprintf(&b, "%s: %s\n", table, j)
	}
	ctx := context.Background()
	infos, err := e.s.Blobs.List(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	// Objects are replaced whole (a new file, a new S3 object), so the key,
	// size and modification time show any write.
	for _, info := range infos {
		fmt.Fprintf(&b, "object %s %d %s\n", info.Key, info.Size, info.ModTime.Format(time.RFC3339Nano))
	}
	return b.String()
}

// snapshotRows reads every row of query as column -> value.
func snapshotRows(db *sql.DB, query string) ([]map[string]any, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b) // searchable text, not base64
			}
			row[c] = vals[i]
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// The people of the matrix, in the order of its columns.
var personas = []string{"owner", "member", "admin", "link", "nolink", "revoked", "expired"}

// authzRoute is one request of the matrix. {id}, {slug}, {cid} and {rid}
// stand for the fixture's video id, the slug the person has, the guest's
// comment and reaction.
type authzRoute struct {
	name, method, path, body string
	tus                      bool
	// want is the status for each persona: for a video shared with
	// anyone who has the link, and for a private one.
	link, private string
}

var authzRoutes = []authzRoute{
	// A member's videos, by id: signed-in only (401); other members see
	// what is shared with the workspace and may not change it (403);
	// someone else's private video does not exist for them (404).
	//                                                             owner member admin link nolink revoked expired
	{name: "video/get", method: "GET", path: "/api/videos/{id}",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/rename", method: "PATCH", path: "/api/videos/{id}", body: `{"title":"Renamed"}`,
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/comment-settings", method: "PATCH", path: "/api/videos/{id}", body: `{"reactionsEnabled":false}`,
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/delete", method: "DELETE", path: "/api/videos/{id}",
		link: "204 403 204 401 401 401 401", private: "204 404 204 401 401 401 401"},
	{name: "video/events", method: "GET", path: "/api/videos/{id}/events",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/sharing", method: "PATCH", path: "/api/videos/{id}/sharing", body: `{"allowDownload":false}`,
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/regenerate-link", method: "POST", path: "/api/videos/{id}/sharing/regenerate",
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "follow/get", method: "GET", path: "/api/videos/{id}/follow",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "follow/on", method: "POST", path: "/api/videos/{id}/follow",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "follow/off", method: "DELETE", path: "/api/videos/{id}/follow",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/seen", method: "POST", path: "/api/videos/{id}/seen",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	// Who watched and who owes a reply are the owner's (asks.go, insights.go);
	// the fixture has no ask, so its owner gets an empty answer (204).
	{name: "video/insights", method: "GET", path: "/api/videos/{id}/insights",
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "video/responses", method: "GET", path: "/api/videos/{id}/responses",
		link: "204 403 204 401 401 401 401", private: "204 404 204 401 401 401 401"},
	{name: "upload/head", method: "HEAD", path: "/api/uploads/{id}", tus: true,
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "upload/patch", method: "PATCH", path: "/api/uploads/{id}", body: "bytes", tus: true,
		link: "409 403 409 401 401 401 401", private: "409 404 409 401 401 401 401"},

	// Comments by video id and by comment id: as the video. The owner and
	// admins moderate (resolve, delete); nobody edits another's words.
	{name: "comments/list", method: "GET", path: "/api/videos/{id}/comments",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "comments/create", method: "POST", path: "/api/videos/{id}/comments", body: `{"body":"Hello","timeMs":0}`,
		link: "201 201 201 401 401 401 401", private: "201 404 201 401 401 401 401"},
	{name: "comments/export-json", method: "GET", path: "/api/videos/{id}/comments.json",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "comments/export-vtt", method: "GET", path: "/api/videos/{id}/comments.vtt",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "comment/edit", method: "PATCH", path: "/api/comments/{cid}", body: `{"body":"Edited"}`,
		link: "403 403 403 401 401 401 401", private: "403 404 403 401 401 401 401"},
	{name: "comment/resolve", method: "POST", path: "/api/comments/{cid}/resolve",
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "comment/delete", method: "DELETE", path: "/api/comments/{cid}",
		link: "200 403 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "reactions/list", method: "GET", path: "/api/videos/{id}/reactions",
		link: "200 200 200 401 401 401 401", private: "200 404 200 401 401 401 401"},
	{name: "reactions/create", method: "POST", path: "/api/videos/{id}/reactions", body: `{"emoji":"🎉","timeMs":0}`,
		link: "201 201 201 401 401 401 401", private: "201 404 201 401 401 401 401"},
	{name: "reaction/delete", method: "DELETE", path: "/api/reactions/{rid}",
		link: "403 403 403 401 401 401 401", private: "403 404 403 401 401 401 401"},

	// Through the link: anyone who has the current link of a link-shared
	// video, signed in or not (the guest who wrote the comment may edit
	// it); nobody through a wrong, revoked or expired one, whoever wrote
	// what. A private video's link works only for its owner and admins.
	{name: "share/get", method: "GET", path: "/api/share/{slug}",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/events", method: "GET", path: "/api/share/{slug}/events",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/comments/list", method: "GET", path: "/api/share/{slug}/comments",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/comments/create", method: "POST", path: "/api/share/{slug}/comments", body: `{"body":"Hi","timeMs":0,"guestName":"Gus"}`,
		link: "201 201 201 201 404 404 404", private: "201 404 201 404 404 404 404"},
	{name: "share/comment/edit", method: "PATCH", path: "/api/share/{slug}/comments/{cid}", body: `{"body":"Edited"}`,
		link: "403 403 403 200 404 404 404", private: "403 404 403 404 404 404 404"},
	{name: "share/comment/resolve", method: "POST", path: "/api/share/{slug}/comments/{cid}/resolve",
		link: "200 403 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/comment/reopen", method: "POST", path: "/api/share/{slug}/comments/{cid}/reopen",
		link: "200 403 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/comment/delete", method: "DELETE", path: "/api/share/{slug}/comments/{cid}",
		link: "200 403 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/reactions/list", method: "GET", path: "/api/share/{slug}/reactions",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "share/reactions/create", method: "POST", path: "/api/share/{slug}/reactions", body: `{"emoji":"🎉","timeMs":0}`,
		link: "201 201 201 201 404 404 404", private: "201 404 201 404 404 404 404"},
	{name: "share/reaction/delete", method: "DELETE", path: "/api/share/{slug}/reactions/{rid}",
		link: "403 403 403 200 404 404 404", private: "403 404 403 404 404 404 404"},

	// Media and pages: the same rules as the link; no bytes otherwise.
	{name: "media/mp4", method: "GET", path: "/media/{slug}/video.mp4",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "media/mp4-head", method: "HEAD", path: "/media/{slug}/video.mp4",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "media/download", method: "GET", path: "/media/{slug}/video.mp4?download=1",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "media/poster", method: "GET", path: "/media/{slug}/poster.jpg",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "media/live", method: "GET", path: "/media/{slug}/live/index.m3u8",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "page/watch", method: "GET", path: "/v/{slug}",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
	{name: "page/embed", method: "GET", path: "/embed/{slug}",
		link: "200 200 200 200 404 404 404", private: "200 404 200 404 404 404 404"},
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, vis := range []media.Visibility{media.VisibilityLink, media.VisibilityPrivate} {
		t.Run(string(vis), func(t *testing.T) {
			t.Parallel()
			e := mustStartAuthz(t, nil)
			for pi, who := range personas {
				t.Run(who, func(t *testing.T) {
					linkStatus := map[string]string{"revoked": "revoked", "expired": "expired"}[who]
					var fx *fixture
					for _, rt := range authzRoutes {
						want := strings.Fields(rt.link)
						if vis == media.VisibilityPrivate {
							want = strings.Fields(rt.private)
						}
						if len(want) != len(personas) {
							t.Fatalf("%s: %d expectations for %d personas", rt.name, len(want), len(personas))
						}
						if fx == nil {
							fx = e.newFixture(t, vis, linkStatus)
						}
						changed := e.cell(t, rt, who, fx, want[pi])
						if changed {
							fx = nil // the next cell gets a fresh video
						}
					}
				})
			}
		})
	}
}

// cell sends one request of the matrix and checks its status; a refusal or
// a read must change nothing. It reports whether the request changed
// something (a successful write).
func (e *authzEnv) cell(t *testing.T, rt authzRoute, who string, fx *fixture, want string) bool {
	t.Helper()
	slug := fx.Slug
	var h http.Header
	switch who {
	case "owner":
		h = e.owner.Clone()
	case "member":
		h = e.member.Clone()
	case "admin":
		h = e.admin.Clone()
	case "nolink":
		slug = media.NewSlug()
	case "revoked":
		slug = fx.OldSlug
	}
	if h == nil {
		// Signed out: the guest who wrote the comment and the reaction.
		h = http.Header{"X-Guest-Secret": {fx.GuestSecret}}
	}
	if rt.tus {
		h.Set("Tus-Resumable", "1.0.0")
		if rt.method == "PATCH" {
			h.Set("Content-Type", "application/offset+octet-stream")
			h.Set("Upload-Offset", "0")
		}
	}
	path := strings.NewReplacer("{id}", fx.ID, "{slug}", slug, "{cid}", fx.CommentID, "{rid}", fx.ReactionID).Replace(rt.path)
	before := e.state(t)
	resp, body := e.send(t, rt.method, path, rt.body, h)
	got := fmt.Sprint(resp.StatusCode)
	if got != want {
		t.Errorf("%s as %s: %s %s = %s %s, want %s", rt.name, who, rt.method, path, got, body, want)
	}
	read := rt.method == "GET" || rt.method == "HEAD"
	refused := resp.StatusCode >= 400
	if read || refused {
		if after := e.state(t); after != before {
			t.Errorf("%s as %s (%s): the database or the store changed:\n%s", rt.name, who, got, diffLines(before, after))
		}
	}
	if refused && strings.HasPrefix(rt.path, "/media/") && len(body) > 0 && !strings.Contains(string(body), `"error"`) {
		t.Errorf("%s as %s: refused media answered bytes %q", rt.name, who, body)
	}
	return !read && !refused
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWorkspaceAndPasswordAccess: a video shared with the workspace is
// there for members and for nobody signed out; a password-protected one
// shows nothing (not its title, not a byte) before the password, rate
// limits guessing, and lets the viewer in with a pass once it is given.
func TestWorkspaceAndPasswordAccess(t *testing.T) {
	e := mustStartAuthz(t, nil)

	ws := e.newFixture(t, media.VisibilityWorkspace, "")
	anon := http.Header{}
	for _, c := range []struct {
		who    string
		h      http.Header
		path   string
		status int
	}{
		{"member by id", e.member, "/api/videos/" + ws.ID, 200},
		{"member by link", e.member, "/api/share/" + ws.Slug, 200},
		{"member's media", e.member, "/media/" + ws.Slug + "/video.mp4", 200},
		{"signed out by link", anon, "/api/share/" + ws.Slug, 404},
		{"signed out media", anon, "/media/" + ws.Slug + "/video.mp4", 404},
		{"signed out page", anon, "/v/" + ws.Slug, 404},
	} {
		if resp, b := e.send(t, "GET", c.path, "", c.h); resp.StatusCode != c.status {
			t.Errorf("workspace video, %s: %s = %s %s, want %d", c.who, c.path, resp.Status, b, c.status)
		}
	}

	pw := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+pw.ID+"/sharing", `{"password":"open sesame"}`, e.owner, 200)
	page := e.mustSend(t, "GET", "/v/"+pw.Slug, "", anon, 200)
	if bytes.Contains(page, []byte("Fixture")) || bytes.Contains(page, []byte("og:")) || bytes.Contains(page, []byte("poster")) {
		t.Fatalf("the password page shows something of the video: %s", page)
	}
	resp, b := e.send(t, "GET", "/api/share/"+pw.Slug, "", anon)
	if resp.StatusCode != 403 || !strings.Contains(string(b), "password_required") || strings.Contains(string(b), "Fixture") {
		t.Fatalf("share before the password = %s %s, want 403 password_required without the title", resp.Status, b)
	}
	for _, p := range []string{"/media/" + pw.Slug + "/video.mp4", "/media/" + pw.Slug + "/poster.jpg", "/media/" + pw.Slug + "/live/index.m3u8"} {
		if resp, _ := e.send(t, "GET", p, "", anon); resp.StatusCode != 404 {
			t.Fatalf("%s before the password = %s, want 404", p, resp.Status)
		}
	}
	// A member gives the password too; the owner does not.
	if resp, _ := e.send(t, "GET", "/api/share/"+pw.Slug, "", e.member); resp.StatusCode != 403 {
		t.Fatalf("member before the password = %s, want 403", resp.Status)
	}
	e.mustSend(t, "GET", "/api/share/"+pw.Slug, "", e.owner, 200)

	// Wrong passwords: five tries, then 429 with Retry-After.
	for i := range 5 {
		if resp, b := e.send(t, "POST", "/api/share/"+pw.Slug+"/unlock", `{"password":"wrong"}`, anon); resp.StatusCode != 403 {
			t.Fatalf("wrong password %d = %s %s", i, resp.Status, b)
		}
	}
	resp, _ = e.send(t, "POST", "/api/share/"+pw.Slug+"/unlock", `{"password":"open sesame"}`, anon)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt = %s, want 429 with Retry-After", resp.Status)
	}

	// The right password, for another video (the limit is per client and
	// video): a pass cookie, then everything works with it.
	pw2 := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+pw2.ID+"/sharing", `{"password":"open sesame"}`, e.owner, 200)
	resp, b = e.send(t, "POST", "/api/share/"+pw2.Slug+"/unlock", `{"password":"open sesame"}`, anon)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Fixture") {
		t.Fatalf("right password = %s %s", resp.Status, b)
	}
	var pass *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "baton_pass_"+pw2.Slug {
			pass = c
		}
	}
	if pass == nil || !pass.HttpOnly || pass.SameSite != http.SameSiteLaxMode {
		t.Fatalf("no HttpOnly SameSite=Lax pass cookie: %v", resp.Header["Set-Cookie"])
	}
	withPass := http.Header{"Cookie": {pass.Name + "=" + pass.Value}}
	e.mustSend(t, "GET", "/api/share/"+pw2.Slug, "", withPass, 200)
	if got := e.mustSend(t, "GET", "/media/"+pw2.Slug+"/video.mp4", "", withPass, 200); string(got) != "not really an mp4" {
		t.Fatalf("media with the pass = %q", got)
	}
	// A pass is for one video; and changing the password voids it.
	if resp, _ := e.send(t, "GET", "/api/share/"+pw.Slug, "", http.Header{"Cookie": {"baton_pass_" + pw.Slug + "=" + pass.Value}}); resp.StatusCode != 403 {
		t.Fatalf("another video's pass = %s, want 403", resp.Status)
	}
	e.mustSend(t, "PATCH", "/api/videos/"+pw2.ID+"/sharing", `{"password":"new secret"}`, e.owner, 200)
	if resp, _ := e.send(t, "GET", "/media/"+pw2.Slug+"/video.mp4", "", withPass); resp.StatusCode != 404 {
		t.Fatalf("media with a pass for the old password = %s, want 404", resp.Status)
	}
}

// TestViewLimitAndDownload: a link that allows two views lets two viewers
// in (and on: their pass carries them through the viewing), then answers
// 404; downloads come with a safe file name, and not at all when the owner
// turns them off.
func TestViewLimitAndDownload(t *testing.T) {
	e := mustStartAuthz(t, nil)
	fx := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+fx.ID+"/sharing", `{"maxViews":2}`, e.owner, 200)
	// The owner's views do not count.
	e.mustSend(t, "GET", "/api/share/"+fx.Slug+"?view=1", "", e.owner, 200)
	var passes []http.Header
	for i := range 2 {
		resp, b := e.send(t, "GET", "/api/share/"+fx.Slug+"?view=1", "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("view %d = %s %s", i+1, resp.Status, b)
		}
		var v struct{ Views int64 }
		json.Unmarshal(b, &v)
		if v.Views != int64(i+1) {
			t.Fatalf("views after view %d = %d", i+1, v.Views)
		}
		for _, c := range resp.Cookies() {
			if strings.HasPrefix(c.Name, "baton_pass_") {
				passes = append(passes, http.Header{"Cookie": {c.Name + "=" + c.Value}})
			}
		}
	}
	if len(passes) != 2 {
		t.Fatalf("viewers got %d passes, want 2", len(passes))
	}
	for _, p := range []string{"/api/share/" + fx.Slug + "?view=1", "/v/" + fx.Slug, "/media/" + fx.Slug + "/video.mp4"} {
		if resp, _ := e.send(t, "GET", p, "", nil); resp.StatusCode != 404 {
			t.Fatalf("third viewer: %s = %s, want 404", p, resp.Status)
		}
	}
	e.mustSend(t, "GET", "/media/"+fx.Slug+"/video.mp4", "", passes[0], 200)
	e.mustSend(t, "GET", "/api/share/"+fx.Slug+"?view=1", "", passes[1], 200)

	// Downloads.
	dl := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+dl.ID, `{"title":"Q3 \"plan\"/draft: naïve ✓"}`, e.owner, 200)
	resp, _ := e.send(t, "GET", "/media/"+dl.Slug+"/video.mp4?download=1", "", nil)
	cd := resp.Header.Get("Content-Disposition")
	if resp.StatusCode != 200 || cd != `attachment; filename="Q3 plan draft na_ve _.mp4"; filename*=UTF-8''Q3%20plan%20draft%20na%C3%AFve%20%E2%9C%93.mp4` {
		t.Fatalf("download = %s, Content-Disposition %q", resp.Status, cd)
	}
	if resp, _ := e.send(t, "GET", "/media/"+dl.Slug+"/video.mp4", "", nil); resp.Header.Get("Content-Disposition") != "" {
		t.Fatal("plain playback is served as an attachment")
	}
	e.mustSend(t, "PATCH", "/api/videos/"+dl.ID+"/sharing", `{"allowDownload":false}`, e.owner, 200)
	var v struct {
		AllowDownload bool
		DownloadURL   string
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/share/"+dl.Slug, "", nil, 200), &v)
	if v.AllowDownload || v.DownloadURL != "" {
		t.Fatalf("viewer sees a download with downloads off: %+v", v)
	}
	if resp, _ := e.send(t, "GET", "/media/"+dl.Slug+"/video.mp4?download=1", "", nil); resp.StatusCode != 403 {
		t.Fatalf("download when off = %s, want 403", resp.Status)
	}
	e.mustSend(t, "GET", "/media/"+dl.Slug+"/video.mp4?download=1", "", e.owner, 200)
}
