package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

// TestCrossSiteRequestsRefused: a browser request that changes something,
// sent by another site with the victim's cookie, is refused before any
// handler runs; the same from Baton's own page (and scripts with a token)
// goes through, tus uploads included.
func TestCrossSiteRequestsRefused(t *testing.T) {
	e := mustStartAuthz(t, nil)
	cross := func(h http.Header) http.Header {
		h = h.Clone()
		h.Set("Origin", "https://evil.example")
		h.Set("Sec-Fetch-Site", "cross-site")
		return h
	}
	same := func(h http.Header) http.Header {
		h = h.Clone()
		h.Set("Origin", e.s.URL)
		h.Set("Sec-Fetch-Site", "same-origin")
		return h
	}
	fx := e.newFixture(t, media.VisibilityLink, "")
	before := e.state(t)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/videos", `{"title":"forged"}`},
		{"PATCH", "/api/videos/" + fx.ID, `{"title":"forged"}`},
		{"DELETE", "/api/videos/" + fx.ID, ""},
		{"PATCH", "/api/videos/" + fx.ID + "/sharing", `{"visibility":"link","password":""}`},
		{"POST", "/api/videos/" + fx.ID + "/sharing/regenerate", ""},
		{"POST", "/api/share/" + fx.Slug + "/comments", `{"body":"forged","timeMs":0,"guestName":"Eve"}`},
		{"DELETE", "/api/comments/" + fx.CommentID, ""},
		{"POST", "/api/auth/tokens", `{"name":"stolen"}`},
		{"POST", "/api/invites", ""},
		{"POST", "/api/auth/logout", ""},
		{"POST", "/api/auth/login", `{"email":"owner@example.com","password":"` + testPassword + `"}`},
	} {
		resp, b := e.send(t, c.method, c.path, c.body, cross(e.owner))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `"cross_origin"`) {
			t.Errorf("cross-site %s %s = %s %s, want 403 cross_origin", c.method, c.path, resp.Status, b)
		}
	}
	// An old browser without Sec-Fetch-Site is caught by its Origin.
	h := e.owner.Clone()
	h.Set("Origin", "https://evil.example")
	if resp, _ := e.send(t, "POST", "/api/videos", `{"title":"forged"}`, h); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST without Sec-Fetch-Site = %s, want 403", resp.Status)
	}
	if after := e.state(t); after != before {
		t.Fatalf("refused cross-site requests changed something:\n%s", diffLines(before, after))
	}
	// Reads from anywhere are fine (they change nothing).
	e.mustSend(t, "GET", "/api/videos/"+fx.ID, "", cross(e.owner), 200)

	// From the page itself: works, the tus append included.
	var v struct{ ID, UploadURL string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/videos", `{"title":"From the page"}`, same(e.owner), 201), &v)
	tus := same(e.owner)
	tus.Set("Tus-Resumable", "1.0.0")
	tus.Set("Content-Type", "application/offset+octet-stream")
	tus.Set("Upload-Offset", "0")
	resp, b := e.send(t, "PATCH", strings.TrimPrefix(v.UploadURL, e.s.URL), "first bytes", tus)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != "11" {
		t.Fatalf("same-origin tus PATCH = %s %s (offset %q)", resp.Status, b, resp.Header.Get("Upload-Offset"))
	}
	e.mustSend(t, "POST", "/api/share/"+fx.Slug+"/comments", `{"body":"ok","timeMs":0,"guestName":"Ann"}`, same(http.Header{}), 201)
	// A script with a token sends neither header.
	e.mustSend(t, "POST", "/api/videos", `{"title":"From a script"}`, e.admin, 201)
}

// TestSessionsAndTokens: signing out ends that session on the server;
// changing the password signs out every other session; API tokens work
// until revoked and are stored only as hashes.
func TestSessionsAndTokens(t *testing.T) {
	e := mustStartAuthz(t, nil)
	login := func() http.Header {
		t.Helper()
		resp, b := e.send(t, "POST", "/api/auth/login", `{"email":"Owner@Example.com ","password":"`+testPassword+`"}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("login = %s %s", resp.Status, b)
		}
		return sessionHeader(t, resp)
	}
	me := func(h http.Header) int {
		resp, _ := e.send(t, "GET", "/api/auth/me", "", h)
		return resp.StatusCode
	}
	a, b, c := login(), login(), login()
	for i, h := range []http.Header{a, b, c} {
		if got := me(h); got != 200 {
			t.Fatalf("session %d: /api/auth/me = %d", i, got)
		}
	}
	// Sign out a: its cookie is dead even if replayed; b and c live on.
	resp, _ := e.send(t, "POST", "/api/auth/logout", "", a)
	if resp.StatusCode != http.StatusNoContent || !slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == "baton_session" && c.MaxAge < 0 }) {
		t.Fatalf("logout = %s, cookies %v", resp.Status, resp.Header["Set-Cookie"])
	}
	if got := me(a); got != 401 {
		t.Fatalf("signed-out session: /api/auth/me = %d, want 401", got)
	}
	if resp, _ := e.send(t, "GET", "/api/videos", "", a); resp.StatusCode != 401 {
		t.Fatalf("signed-out session: /api/videos = %s, want 401", resp.Status)
	}
	if me(b) != 200 || me(c) != 200 {
		t.Fatal("signing out one session ended others")
	}

	// Change the password from b: c is signed out, b stays.
	if resp, body := e.send(t, "POST", "/api/auth/password", `{"currentPassword":"wrong password!","newPassword":"a brand new password"}`, b); resp.StatusCode != 403 {
		t.Fatalf("wrong current password = %s %s, want 403", resp.Status, body)
	}
	if resp, body := e.send(t, "POST", "/api/auth/password", `{"currentPassword":"`+testPassword+`","newPassword":"short"}`, b); resp.StatusCode != 400 {
		t.Fatalf("short new password = %s %s, want 400", resp.Status, body)
	}
	e.mustSend(t, "POST", "/api/auth/password", `{"currentPassword":"`+testPassword+`","newPassword":"a brand new password"}`, b, 204)
	if me(b) != 200 {
		t.Fatal("the session that changed the password was signed out")
	}
	if me(c) != 401 {
		t.Fatal("another session survived the password change")
	}
	if resp, _ := e.send(t, "POST", "/api/auth/login", `{"email":"owner@example.com","password":"`+testPassword+`"}`, nil); resp.StatusCode != 401 {
		t.Fatalf("old password still signs in: %s", resp.Status)
	}
	e.mustSend(t, "POST", "/api/auth/login", `{"email":"owner@example.com","password":"a brand new password"}`, nil, 200)

	// API tokens.
	var tok struct{ ID, Token, Prefix string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/auth/tokens", `{"name":"CI uploads"}`, b, 201), &tok)
	if !strings.HasPrefix(tok.Token, "baton_") || !strings.HasPrefix(tok.Token, tok.Prefix) {
		t.Fatalf("token = %+v", tok)
	}
	bearer := http.Header{"Authorization": {"Bearer " + tok.Token}}
	var who struct {
		User struct{ Email string }
		Via  string
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/me", "", bearer, 200), &who)
	if who.User.Email != "owner@example.com" || who.Via != "token" {
		t.Fatalf("token signs in as %+v", who)
	}
	e.mustSend(t, "POST", "/api/videos", `{"title":"scripted"}`, bearer, 201)
	list := e.mustSend(t, "GET", "/api/auth/tokens", "", b, 200)
	if strings.Contains(string(list), tok.Token) || !strings.Contains(string(list), "CI uploads") {
		t.Fatalf("token list = %s (must not hold the secret)", list)
	}
	if e.state(t); strings.Contains(dumpTable(t, e, "api_tokens"), tok.Token) {
		t.Fatal("the token is stored in clear")
	}
	// Another member cannot revoke it; its owner can, and it stops at once.
	if resp, _ := e.send(t, "DELETE", "/api/auth/tokens/"+tok.ID, "", e.member); resp.StatusCode != 404 {
		t.Fatalf("another member revoking = %s, want 404", resp.Status)
	}
	e.mustSend(t, "DELETE", "/api/auth/tokens/"+tok.ID, "", b, 204)
	for _, p := range []string{"/api/auth/me", "/api/videos"} {
		if resp, body := e.send(t, "GET", p, "", bearer); resp.StatusCode != 401 || !strings.Contains(string(body), `"unauthorized"`) {
			t.Fatalf("revoked token: %s = %s %s, want 401 unauthorized", p, resp.Status, body)
		}
	}
	// Sessions are stored as hashes too.
	if sessions := dumpTable(t, e, "sessions"); strings.Contains(sessions, strings.TrimPrefix(b.Get("Cookie"), "baton_session=")) {
		t.Fatal("the session token is stored in clear")
	}
	// Every /api/videos route wants a session or a token.
	for _, p := range []string{"/api/videos", "/api/videos/" + media.NewID(), "/api/videos/" + media.NewID() + "/comments"} {
		resp, body := e.send(t, "GET", p, "", nil)
		if resp.StatusCode != 401 || !strings.Contains(string(body), `"code":"unauthorized"`) {
			t.Fatalf("%s signed out = %s %s, want 401 unauthorized", p, resp.Status, body)
		}
	}
	if resp, _ := e.send(t, "GET", "/api/videos", "", http.Header{"Authorization": {"Basic eDp5"}}); resp.StatusCode != 401 {
		t.Fatalf("a non-bearer Authorization = %s, want 401", resp.Status)
	}
}

func dumpTable(t *testing.T, e *authzEnv, table string) string {
	t.Helper()
	rows, err := snapshotRows(e.snapshotDB, "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

// TestSignInRules: wrong passwords get one answer whichever half is wrong
// and are rate limited; sign-up can be closed, then only invites (one-time)
// let people in; the first account is the admin.
func TestSignInRules(t *testing.T) {
	e := mustStartAuthz(t, func(c *Config) { c.Signup = false })
	// Sign-up closed (the admin and the two members were made before, by
	// the harness and the test, not by sign-up).
	resp, b := e.send(t, "POST", "/api/auth/signup", `{"email":"walkin@example.com","password":"`+testPassword+`"}`, nil)
	if resp.StatusCode != 403 || !strings.Contains(string(b), "invite") {
		t.Fatalf("closed sign-up = %s %s, want 403", resp.Status, b)
	}
	var opts struct{ SignupOpen, SetupRequired bool }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/options", "", nil, 200), &opts)
	if opts.SignupOpen || opts.SetupRequired {
		t.Fatalf("options = %+v", opts)
	}
	for _, body := range []string{
		`{"email":"owner@example.com","password":"not the password"}`,
		`{"email":"nobody@example.com","password":"not the password"}`,
	} {
		resp, b := e.send(t, "POST", "/api/auth/login", body, nil)
		if resp.StatusCode != 401 || !strings.Contains(string(b), "don’t match an account") {
			t.Fatalf("bad login %s = %s %s", body, resp.Status, b)
		}
	}
	// Ten attempts from a client at once (three made above), then 429.
	for i := range 7 {
		if resp, _ := e.send(t, "POST", "/api/auth/login", `{"email":"owner@example.com","password":"guess guess"}`, nil); resp.StatusCode != 401 {
			t.Fatalf("attempt %d = %s, want 401", i+4, resp.Status)
		}
	}
	resp, _ = e.send(t, "POST", "/api/auth/login", `{"email":"owner@example.com","password":"`+testPassword+`"}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the 11th attempt = %s, want 429 with Retry-After (even with the right password)", resp.Status)
	}
}

// TestInvites: an admin makes a one-time link; it signs someone up while
// sign-up is closed, once; members cannot make links.
func TestInvites(t *testing.T) {
	e := mustStartAuthz(t, func(c *Config) { c.Signup = false })
	if resp, _ := e.send(t, "POST", "/api/invites", "", e.member); resp.StatusCode != 403 {
		t.Fatalf("member inviting = %s, want 403", resp.Status)
	}
	var inv struct{ ID, URL, Role string }
	json.Unmarshal(e.mustSend(t, "POST", "/api/invites", `{"role":"member"}`, e.admin, 201), &inv)
	token, ok := strings.CutPrefix(inv.URL, e.s.URL+"/invite/")
	if !ok || inv.Role != "member" {
		t.Fatalf("invite = %+v", inv)
	}
	e.mustSend(t, "GET", "/invite/"+token, "", nil, 200) // the page
	e.mustSend(t, "GET", "/api/auth/invite/"+token, "", nil, 200)
	if dumpTable(t, e, "invites"); strings.Contains(dumpTable(t, e, "invites"), token) {
		t.Fatal("the invite token is stored in clear")
	}
	resp, b := e.send(t, "POST", "/api/auth/signup", `{"email":"newbie@example.com","name":"Nia","password":"`+testPassword+`","invite":"`+token+`"}`, nil)
	if resp.StatusCode != 201 || !strings.Contains(string(b), `"role":"member"`) {
		t.Fatalf("sign up with the invite = %s %s", resp.Status, b)
	}
	newbie := sessionHeader(t, resp)
	e.mustSend(t, "GET", "/api/videos", "", newbie, 200)
	// Used up.
	if resp, _ := e.send(t, "POST", "/api/auth/signup", `{"email":"second@example.com","password":"`+testPassword+`","invite":"`+token+`"}`, nil); resp.StatusCode != 410 {
		t.Fatalf("second use of the invite = %s, want 410", resp.Status)
	}
	if resp, _ := e.send(t, "GET", "/api/auth/invite/"+token, "", nil); resp.StatusCode != 410 {
		t.Fatalf("used invite check = %s, want 410", resp.Status)
	}
	var members struct {
		Members []struct{ Email, Role string }
	}
	json.Unmarshal(e.mustSend(t, "GET", "/api/members", "", newbie, 200), &members)
	var got []string
	for _, m := range members.Members {
		got = append(got, m.Email+":"+m.Role)
	}
	want := []string{"admin@example.com:admin", "owner@example.com:member", "member@example.com:member", "newbie@example.com:member"}
	if !slices.Equal(got, want) {
		t.Fatalf("members = %v, want %v", got, want)
	}
}

// TestFirstAccountIsAdminAndAdoptsVideos: on a fresh install the first
// person to sign up is the admin and owns the videos made before accounts.
func TestFirstAccountIsAdminAndAdoptsVideos(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), func(c *Config) { c.Workers = 0; c.Signup = false })
	m := NewMain(cfg, testLogger(t))
	m.Frontend = testFrontend
	m.Hasher = testHasher
	requireFFmpeg(t)
	if err := m.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	old, err := m.Service.CreateVideo(t.Context(), "Before accounts")
	if err != nil {
		t.Fatal(err)
	}
	e := &authzEnv{s: &testServer{Main: m, URL: m.PublicURL()},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var opts struct{ SignupOpen, SetupRequired bool }
	json.Unmarshal(e.mustSend(t, "GET", "/api/auth/options", "", nil, 200), &opts)
	if !opts.SignupOpen || !opts.SetupRequired {
		t.Fatalf("fresh install options = %+v, want the first sign-up offered", opts)
	}
	page := e.mustSend(t, "GET", "/", "", nil, 200)
	if !bytes.Contains(page, []byte("login")) {
		t.Fatalf("signed-out home = %s, want the sign-in page", page)
	}
	resp, b := e.send(t, "POST", "/api/auth/signup", `{"email":"first@example.com","password":"`+testPassword+`"}`, nil)
	if resp.StatusCode != 201 || !strings.Contains(string(b), `"role":"admin"`) {
		t.Fatalf("first sign-up = %s %s, want an admin", resp.Status, b)
	}
	first := sessionHeader(t, resp)
	var list struct{ Videos []struct{ ID string } }
	json.Unmarshal(e.mustSend(t, "GET", "/api/videos?scope=mine", "", first, 200), &list)
	if len(list.Videos) != 1 || list.Videos[0].ID != old.ID {
		t.Fatalf("the first account's videos = %+v, want the one made before accounts", list.Videos)
	}
	if resp, _ := e.send(t, "POST", "/api/auth/signup", `{"email":"second@example.com","password":"`+testPassword+`"}`, nil); resp.StatusCode != 403 {
		t.Fatalf("second sign-up with sign-up closed = %s, want 403", resp.Status)
	}
	if page := e.mustSend(t, "GET", "/", "", first, 200); !bytes.Contains(page, []byte("<title>Baton</title>")) {
		t.Fatalf("signed-in home = %s, want the library", page)
	}
	// /record wants a member.
	if resp, _ := e.send(t, "GET", "/record", "", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Frecord" {
		t.Fatalf("signed-out /record = %s %s", resp.Status, resp.Header.Get("Location"))
	}
}

// TestLibrary: the library lists the member's videos and what others share
// with the workspace, newest first, searchable by title, with view and
// comment counts; private and password-protected videos of others stay out.
func TestLibrary(t *testing.T) {
	e := mustStartAuthz(t, nil)
	mk := func(h http.Header, title string) string {
		var v struct{ ID, Slug string }
		json.Unmarshal(e.mustSend(t, "POST", "/api/videos", `{"title":"`+title+`"}`, h, 201), &v)
		return v.ID + " " + v.Slug
	}
	ownA := mk(e.owner, "Weekly standup")
	ownB := mk(e.owner, "Design review")
	shared := mk(e.member, "Roadmap walkthrough")
	private := mk(e.member, "Private notes")
	locked := mk(e.member, "Roadmap secrets")
	id := func(s string) string { return strings.Fields(s)[0] }
	slug := func(s string) string { return strings.Fields(s)[1] }
	e.mustSend(t, "PATCH", "/api/videos/"+id(private)+"/sharing", `{"visibility":"private"}`, e.member, 200)
	e.mustSend(t, "PATCH", "/api/videos/"+id(locked)+"/sharing", `{"password":"hunter22"}`, e.member, 200)
	e.mustSend(t, "POST", "/api/share/"+slug(shared)+"/comments", `{"body":"Great","timeMs":0,"guestName":"Gus"}`, nil, 201)
	// A view counts from playback: 3 s played, once per viewer; the
	// second report of the same viewer does not count again.
	e.mustSend(t, "POST", "/api/share/"+slug(shared)+"/views", `{"playedMs":1000,"viewer":"viewer-one-abcdefgh"}`, nil, 200)
	e.mustSend(t, "POST", "/api/share/"+slug(shared)+"/views", `{"playedMs":3200,"viewer":"viewer-one-abcdefgh"}`, nil, 200)
	e.mustSend(t, "POST", "/api/share/"+slug(shared)+"/views", `{"playedMs":9000,"viewer":"viewer-one-abcdefgh"}`, nil, 200)

	type item struct {
		ID, Title    string
		Views        int64
		CommentCount int
		IsOwner      bool
		Owner        struct{ Name string }
		Sharing      *struct{ Visibility string }
	}
	list := func(q string) []item {
		var out struct{ Videos []item }
		json.Unmarshal(e.mustSend(t, "GET", "/api/videos"+q, "", e.owner, 200), &out)
		return out.Videos
	}
	ids := func(items []item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	if got, want := ids(list("")), []string{id(shared), id(ownB), id(ownA)}; !slices.Equal(got, want) {
		t.Fatalf("library = %v, want %v (newest first; no private or locked videos of others)", got, want)
	}
	if got, want := ids(list("?scope=mine")), []string{id(ownB), id(ownA)}; !slices.Equal(got, want) {
		t.Fatalf("mine = %v, want %v", got, want)
	}
	ws := list("?scope=workspace")
	if got, want := ids(ws), []string{id(shared)}; !slices.Equal(got, want) {
		t.Fatalf("workspace = %v, want %v", got, want)
	}
	if it := ws[0]; it.Views != 1 || it.CommentCount != 1 || it.IsOwner || it.Owner.Name != "Max Member" || it.Sharing != nil {
		t.Fatalf("shared item = %+v, want 1 view, 1 comment, by Max Member, no sharing settings", it)
	}
	if got, want := ids(list("?q=ROAD")), []string{id(shared)}; !slices.Equal(got, want) {
		t.Fatalf("search ROAD = %v, want %v", got, want)
	}
	if got := ids(list("?q=%25")); len(got) != 0 {
		t.Fatalf("search %% = %v, want nothing (LIKE wildcards are literal)", got)
	}
	if mine := list("?scope=mine"); !mine[0].IsOwner || mine[0].Sharing == nil || mine[0].Sharing.Visibility != "link" {
		t.Fatalf("own item = %+v, want isOwner and sharing", mine[0])
	}
	if resp, _ := e.send(t, "GET", "/api/videos?scope=everything", "", e.owner); resp.StatusCode != 400 {
		t.Fatalf("bad scope = %s, want 400", resp.Status)
	}
	// The admin moderates: sees others' private videos by id, though not
	// in the library.
	e.mustSend(t, "GET", "/api/videos/"+id(private), "", e.admin, 200)
}

// TestUnknownLinksAllLookTheSame: a thousand random slugs, a malformed
// one, a revoked link, an expired one and another member's private video
// all get byte-identical answers (apart from Date) on the page, the API and
// the media routes.
func TestUnknownLinksAllLookTheSame(t *testing.T) {
	e := mustStartAuthz(t, nil)
	revoked := e.newFixture(t, media.VisibilityLink, "revoked")
	expired := e.newFixture(t, media.VisibilityLink, "expired")
	private := e.newFixture(t, media.VisibilityPrivate, "")
	workspace := e.newFixture(t, media.VisibilityWorkspace, "")
	used := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+used.ID+"/sharing", `{"maxViews":1}`, e.owner, 200)
	e.mustSend(t, "GET", "/api/share/"+used.Slug+"?view=1", "", nil, 200)

	answer := func(path string) string {
		resp, b := e.send(t, "GET", path, "", nil)
		h := resp.Header.Clone()
		h.Del("Date")
		var keys []string
		for k, v := range h {
			keys = append(keys, k+": "+strings.Join(v, ", "))
		}
		slices.Sort(keys)
		return fmt.Sprintf("%d\n%s\n\n%s", resp.StatusCode, strings.Join(keys, "\n"), b)
	}
	for _, route := range []string{"/v/%s", "/embed/%s", "/api/share/%s", "/api/share/%s/comments", "/media/%s/video.mp4", "/media/%s/poster.jpg", "/media/%s/live/index.m3u8"} {
		want := answer(fmt.Sprintf(route, media.NewSlug()))
		if !strings.HasPrefix(want, "404\n") {
			t.Fatalf("%s for an unknown slug:\n%s", route, want)
		}
		n := 1000
		if route != "/v/%s" {
			n = 50
		}
		slugs := []string{"short", revoked.OldSlug, expired.Slug, private.Slug, workspace.Slug, used.Slug}
		for range n {
			slugs = append(slugs, media.NewSlug())
		}
		for _, s := range slugs {
			if got := answer(fmt.Sprintf(route, s)); got != want {
				t.Fatalf("%s for %s differs from an unknown slug's:\n%s\n---- want ----\n%s", route, s, got, want)
			}
		}
	}
	// The page has no trace of any video.
	page := answer("/v/" + private.Slug)
	if strings.Contains(page, "Fixture") || strings.Contains(page, "og:") || strings.Contains(page, private.ID) {
		t.Fatalf("404 page mentions the video:\n%s", page)
	}
}

// TestUnfurls: a public video unfurls with its title, poster and player
// (Open Graph, Twitter, oEmbed); a private or password-protected one, like
// an unknown link, unfurls as the generic "Baton" card.
func TestUnfurls(t *testing.T) {
	e := mustStartAuthz(t, nil)
	pub := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+pub.ID, `{"title":"Launch <plan> & \"demo\""}`, e.owner, 200)
	page := string(e.mustSend(t, "GET", "/v/"+pub.Slug, "", nil, 200))
	metas := map[string]string{}
	for _, m := range regexp.MustCompile(`<meta (?:property|name)="([^"]+)" content="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		metas[m[1]] = m[2]
	}
	base := e.s.URL + "/media/" + pub.Slug
	for k, want := range map[string]string{
		"og:title": "Launch &lt;plan&gt; &amp; &#34;demo&#34;", "og:type": "video.other", "og:url": e.s.URL + "/v/" + pub.Slug,
		"og:image": base + "/poster.jpg", "og:image:width": "320", "og:image:height": "240",
		"og:video": base + "/video.mp4", "og:video:type": "video/mp4", "og:video:width": "320", "og:video:height": "240",
		"twitter:card": "player", "twitter:player": e.s.URL + "/embed/" + pub.Slug,
		"twitter:player:width": "320", "twitter:player:height": "240", "twitter:image": base + "/poster.jpg",
		"twitter:title": "Launch &lt;plan&gt; &amp; &#34;demo&#34;",
	} {
		if metas[k] != want {
			t.Errorf("%s = %q, want %q", k, metas[k], want)
		}
	}
	disc := regexp.MustCompile(`<link rel="alternate" type="application/json\+oembed" href="([^"]+)"`).FindStringSubmatch(page)
	if disc == nil {
		t.Fatalf("no oEmbed discovery link in %s", page)
	}
	oe := strings.TrimPrefix(strings.ReplaceAll(disc[1], "&amp;", "&"), e.s.URL)
	raw := e.mustSend(t, "GET", oe, "", nil, 200)
	var m map[string]any
	json.Unmarshal(raw, &m)
	if m["version"] != "1.0" || m["type"] != "video" || m["title"] != `Launch <plan> & "demo"` || m["provider_name"] != "Baton" ||
		m["width"] != 640.0 || m["height"] != 480.0 || m["thumbnail_url"] != base+"/poster.jpg" {
		t.Fatalf("oEmbed = %s", raw)
	}
	html, _ := m["html"].(string)
	if !strings.HasPrefix(html, `<iframe src="`+e.s.URL+`/embed/`+pub.Slug+`" width="640" height="480" title="Launch &lt;plan&gt; &amp; &#34;demo&#34;"`) {
		t.Fatalf("oEmbed html = %s", html)
	}
	json.Unmarshal(e.mustSend(t, "GET", "/oembed?format=json&maxwidth=320&url="+e.s.URL+"/embed/"+pub.Slug, "", nil, 200), &m)
	if m["width"] != 320.0 || m["height"] != 240.0 {
		t.Fatalf("oEmbed with maxwidth 320 = %v x %v", m["width"], m["height"])
	}
	if resp, _ := e.send(t, "GET", "/oembed?format=xml&url="+e.s.URL+"/v/"+pub.Slug, "", nil); resp.StatusCode != 501 {
		t.Fatalf("format=xml = %s, want 501", resp.Status)
	}
	if resp, _ := e.send(t, "GET", "/oembed?url=https://elsewhere.example/v/"+pub.Slug, "", nil); resp.StatusCode != 404 {
		t.Fatalf("a link to another site = %s, want 404", resp.Status)
	}
	// The embed page may be framed; the watch page may not.
	resp, _ := e.send(t, "GET", "/embed/"+pub.Slug, "", nil)
	if resp.Header.Get("X-Frame-Options") != "" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("embed framing headers: XFO %q CSP %q", resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy"))
	}
	resp, _ = e.send(t, "GET", "/v/"+pub.Slug, "", nil)
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatal("the watch page may be framed")
	}

	// Private, password-protected and unknown: the generic card.
	generic := string(e.mustSend(t, "GET", "/oembed?format=json&url="+e.s.URL+"/v/"+media.NewSlug(), "", nil, 200))
	priv := e.newFixture(t, media.VisibilityPrivate, "")
	locked := e.newFixture(t, media.VisibilityLink, "")
	e.mustSend(t, "PATCH", "/api/videos/"+locked.ID+"/sharing", `{"password":"hunter22"}`, e.owner, 200)
	for _, fx := range []*fixture{priv, locked} {
		got := string(e.mustSend(t, "GET", "/oembed?format=json&url="+e.s.URL+"/v/"+fx.Slug, "", nil, 200))
		if got != generic || strings.Contains(got, "Fixture") || strings.Contains(got, "poster") {
			t.Fatalf("oEmbed of a %s video = %s, want the generic %s", fx.visibility, got, generic)
		}
		resp, b := e.send(t, "GET", "/v/"+fx.Slug, "", nil)
		if strings.Contains(string(b), "og:") || strings.Contains(string(b), "Fixture") || strings.Contains(string(b), "oembed") {
			t.Fatalf("page of a protected video (%s) unfurls: %s", resp.Status, b)
		}
		if !strings.Contains(string(b), "<title>Baton</title>") {
			t.Fatalf("page of a protected video has no generic title: %s", b)
		}
	}
	var g map[string]any
	json.Unmarshal([]byte(generic), &g)
	if g["type"] != "link" || g["title"] != "Baton" || g["thumbnail_url"] != nil || g["html"] != nil {
		t.Fatalf("generic oEmbed = %s", generic)
	}
}

// TestFormSignInRefused: the sign-in and sign-up endpoints take JSON only.
// A form or text/plain body (which a page on another site can post without
// asking the browser) is 415 and signs nobody in or up; the sign-in page
// posts JSON from its script.
func TestFormSignInRefused(t *testing.T) {
	e := mustStartAuthz(t, nil)
	login := "email=owner%40example.com&password=" + strings.ReplaceAll(testPassword, " ", "+")
	for _, tc := range []struct{ path, contentType, body string }{
		{"/api/auth/login", "application/x-www-form-urlencoded", login},
		{"/api/auth/login", "text/plain", `{"email":"owner@example.com","password":"` + testPassword + `"}`},
		{"/api/auth/signup", "application/x-www-form-urlencoded", "email=new%40example.com&password=a+long+enough+password"},
		{"/api/auth/signup", "text/plain;charset=UTF-8", `{"email":"new@example.com","password":"a long enough password"}`},
	} {
		resp, b := e.send(t, "POST", tc.path, tc.body, http.Header{"Content-Type": {tc.contentType}})
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), `"code":"unsupported_media_type"`) {
			t.Fatalf("%s as %s = %s %s, want 415 unsupported_media_type", tc.path, tc.contentType, resp.Status, b)
		}
		if len(resp.Cookies()) != 0 {
			t.Fatalf("%s as %s set cookies: %v", tc.path, tc.contentType, resp.Cookies())
		}
	}
	// Nobody was signed up by the form.
	resp, b := e.send(t, "POST", "/api/auth/login", `{"email":"new@example.com","password":"a long enough password"}`, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in as the form's account = %s %s, want 401", resp.Status, b)
	}
	// The page itself has no form that posts without its script.
	page, err := os.ReadFile(filepath.Join("..", "..", "frontend", "login.html"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "action=") {
		t.Fatalf("frontend/login.html has a form that posts without scripts:\n%s", page)
	}
}
