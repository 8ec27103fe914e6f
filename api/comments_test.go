package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

// newCommentServer builds a Server over a real SQLite database.
func newCommentServer(tb testing.TB, opt Options) (*Server, *gormstore.DB) {
	tb.Helper()
	db := MustDB(tb)
	return MustServer(tb, db, opt), db
}

func serve(s *Server, method, path, body string, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body)) // RemoteAddr 192.0.2.1
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestWriteVTT(t *testing.T) {
	at := func(ms int64) time.Time { return time.UnixMilli(ms) }
	threads := []*media.Comment{
		{ID: "t1", TimeMs: 61_000, Body: "first line\n\n\nsecond --> line", AuthorName: "Ann & <Co>", CreatedAt: at(1),
			Replies: []*media.Comment{{ID: "r1", ParentID: "t1", TimeMs: 500, Body: "<i>reply</i>", AuthorName: "Bob"}}},
		{ID: "t2", TimeMs: 3_600_000 * 2, EndMs: 3_600_000*2 + 1_500, Body: "range", AuthorName: "Cy"},
		{ID: "t3", TimeMs: 0, Deleted: true, Replies: []*media.Comment{{ID: "r2", ParentID: "t3", TimeMs: 0, Body: "orphan", AuthorName: "Di"}}},
	}
	var b bytes.Buffer
	writeVTT(&b, threads)
	want := `WEBVTT

r1
00:00:00.500 --> 00:00:04.500
↳ Bob: &lt;i&gt;reply&lt;/i&gt;

r2
00:00:00.000 --> 00:00:04.000
↳ Di: orphan

t1
00:01:01.000 --> 00:01:05.000
Ann &amp; &lt;Co&gt;: first line
second --&gt; line

t2
02:00:00.000 --> 02:00:01.500
Cy: range

`
	// Cues are sorted by start, stably: r2 (0 ms) sorts before r1 (500 ms).
	want = strings.Replace(want, "r1\n00:00:00.500 --> 00:00:04.500\n↳ Bob: &lt;i&gt;reply&lt;/i&gt;\n\nr2\n00:00:00.000 --> 00:00:04.000\n↳ Di: orphan\n\n",
		"r2\n00:00:00.000 --> 00:00:04.000\n↳ Di: orphan\n\nr1\n00:00:00.500 --> 00:00:04.500\n↳ Bob: &lt;i&gt;reply&lt;/i&gt;\n\n", 1)
	if got := b.String(); got != want {
		t.Fatalf("vtt =\n%s\nwant\n%s", got, want)
	}
}

func TestParseMillis(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    int64
		has, ok bool
	}{
		{"", 0, false, true},
		{"null", 0, false, true},
		{"0", 0, true, true},
		{"2140", 2140, true, true},
		{"2140.0", 2140, true, true},
		{"2e3", 2000, true, true},
		{"2140.5", 0, false, false},
		{"-1", 0, false, false},
		{`"12"`, 0, false, false},
		{"true", 0, false, false},
		{"{}", 0, false, false},
		{"1e300", 0, false, false},
	} {
		got, has, err := parseMillis(json.RawMessage(tc.raw), "timeMs")
		if got != tc.want || has != tc.has || (err == nil) != tc.ok {
			t.Errorf("parseMillis(%s) = %d, %v, %v; want %d, %v, ok=%v", tc.raw, got, has, err, tc.want, tc.has, tc.ok)
		}
		if err != nil && (media.ErrorCode(err) != media.EINVALID || !strings.Contains(media.ErrorMessage(err), "timeMs")) {
			t.Errorf("parseMillis(%s) error %v does not name the field", tc.raw, err)
		}
	}
}

func TestCursor(t *testing.T) {
	id := media.NewID()
	tm, got, ok := decodeCursor(encodeCursor(1234, id))
	if !ok || tm != 1234 || got != id {
		t.Fatalf("round trip = %d %s %v", tm, got, ok)
	}
	for _, bad := range []string{"", "!!", encodeCursor(-1, id), encodeCursor(1, "x"), "MTIzNA"} {
		if _, _, ok := decodeCursor(bad); ok {
			t.Fatalf("cursor %q accepted", bad)
		}
	}
}

// A forged X-Forwarded-For (or X-Real-IP) must not make a client someone
// else: without trusted proxies the limit keys on the TCP peer.
func TestCommentRateLimitIgnoresForgedForwardedFor(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{
		CommentsPerClient: media.Rate{Burst: 2, Every: time.Hour},
		CommentsPerVideo:  media.Rate{Burst: 100, Every: time.Hour},
	}})
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusCreated}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	body := `{"body":"x","timeMs":0,"guestName":"A"}`
	path := "/api/share/" + v.Slug + "/comments"
	for i, forged := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "10.0.0.1", "::1"} {
		h := http.Header{"X-Forwarded-For": {forged}, "X-Real-Ip": {forged}}
		rec := serve(s, "POST", path, body, h)
		want := http.StatusCreated
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if rec.Code != want {
			t.Fatalf("request %d (X-Forwarded-For %s) = %d %s, want %d", i, forged, rec.Code, rec.Body, want)
		}
		if want == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}

	// Trusting the peer as a proxy makes X-Forwarded-For the client.
	s, db = newCommentServer(t, Options{TrustedProxies: []string{"192.0.2.0/24"}, RateLimits: RateLimits{
		CommentsPerClient: media.Rate{Burst: 1, Every: time.Hour},
	}})
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	for _, client := range []string{"203.0.113.1", "203.0.113.2", "2001:db8::1"} {
		if rec := serve(s, "POST", path, body, http.Header{"X-Forwarded-For": {client}}); rec.Code != http.StatusCreated {
			t.Fatalf("client %s = %d %s", client, rec.Code, rec.Body)
		}
	}
	// An IPv6 client is its /64: hopping addresses inside it does not help.
	if rec := serve(s, "POST", path, body, http.Header{"X-Forwarded-For": {"2001:db8::2"}}); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("same /64 = %d, want 429", rec.Code)
	}
}

// member is a signed-in member who sends an API token.
type member struct {
	user  *media.User
	token string
}

func (m member) h() http.Header { return http.Header{"Authorization": {"Bearer " + m.token}} }

func mustMember(tb testing.TB, s *Server, email, name string, role media.Role) member {
	tb.Helper()
	ctx := context.Background()
	u, err := s.auth.accounts.AddUser(ctx, email, name, "correct horse battery staple", role)
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := s.auth.accounts.CreateToken(ctx, u, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return member{u, tok}
}

type scenario struct {
	name, method, path, body string
	h                        http.Header
	status                   int
	code                     string
	check                    func(t *testing.T, body []byte)
}

func runScenarios(t *testing.T, s *Server, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(s, tc.method, tc.path, tc.body, tc.h)
			if rec.Code != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, rec.Code, rec.Body, tc.status)
			}
			if tc.code != "" {
				var e ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tc.code {
					t.Fatalf("error %s, want code %q", rec.Body, tc.code)
				}
			}
			if tc.check != nil {
				tc.check(t, rec.Body.Bytes())
			}
		})
	}
}

type testComment struct {
	ID, AuthorName, Body    string
	ByOwner, Mine, Resolved bool
	GuestSecret             string
	Replies                 []testComment
}

func decodeAs[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestCommentOwnerScenarios: the video's owner (the member who created it)
// and admins moderate; other members do not; settings are the owner's.
func TestCommentOwnerScenarios(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{Disabled: true}})
	ctx := context.Background()
	admin := mustMember(t, s, "ada@example.com", "Ada", media.RoleAdmin)
	owner := mustMember(t, s, "olive@example.com", "Olive", media.RoleMember)
	other := mustMember(t, s, "otto@example.com", "Otto", media.RoleMember)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000, OwnerID: owner.user.ID}
	if err := db.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	vp, sp := "/api/videos/"+v.ID, "/api/share/"+v.Slug
	guest := http.Header{"X-Guest-Secret": {media.NewGuestSecret()}}
	post := func(path string, h http.Header, body string) testComment {
		t.Helper()
		rec := serve(s, "POST", path+"/comments", body, h)
		if rec.Code != http.StatusCreated {
			t.Fatalf("create = %d %s", rec.Code, rec.Body)
		}
		return decodeAs[testComment](t, rec.Body.Bytes())
	}
	// Guests come through the link; members may use the video's id.
	g := post(sp, guest, `{"body":"guest question","timeMs":1000,"guestName":"Gil"}`)
	o := post(vp, owner.h(), `{"body":"from the owner","timeMs":2000}`)
	if !o.ByOwner || o.AuthorName != "Olive" || !o.Mine || o.GuestSecret != "" {
		t.Fatalf("owner's comment = %+v", o)
	}
	m := post(sp, other.h(), `{"body":"from a member","timeMs":3000}`)
	if m.ByOwner || m.AuthorName != "Otto" {
		t.Fatalf("member's comment = %+v", m)
	}
	if a := post(vp, admin.h(), `{"body":"moderating","timeMs":4000}`); a.ByOwner {
		t.Fatal("an admin's comment is the owner's")
	}
	isOwner := func(want bool) func(*testing.T, []byte) {
		return func(t *testing.T, b []byte) {
			if got := decodeAs[struct{ IsOwner bool }](t, b).IsOwner; got != want {
				t.Fatalf("isOwner = %v, want %v", got, want)
			}
		}
	}
	runScenarios(t, s, []scenario{
		{name: "get/isOwner for the owner", method: "GET", path: vp, h: owner.h(), status: 200, check: isOwner(true)},
		{name: "get/isOwner for an admin", method: "GET", path: vp, h: admin.h(), status: 200, check: isOwner(true)},
		{name: "get/not for another member", method: "GET", path: vp, h: other.h(), status: 200, check: isOwner(false)},
		{name: "create/guests need the link", method: "POST", path: vp + "/comments", body: `{"body":"x","timeMs":0,"guestName":"Gil"}`, h: guest, status: 401, code: media.EUNAUTHORIZED},
		{name: "edit/the owner may not edit a guest's words", method: "PATCH", path: "/api/comments/" + g.ID, body: `{"body":"hacked"}`, h: owner.h(), status: 403, code: media.ENOTALLOWED},
		{name: "edit/a guest through the link", method: "PATCH", path: sp + "/comments/" + g.ID, body: `{"body":"guest question, edited"}`, h: guest, status: 200},
		{name: "edit/a guest without the link", method: "PATCH", path: "/api/comments/" + g.ID, body: `{"body":"x"}`, h: guest, status: 401, code: media.EUNAUTHORIZED},
		{name: "edit/a member edits their own", method: "PATCH", path: "/api/comments/" + m.ID, body: `{"body":"edited"}`, h: other.h(), status: 200},
		{name: "edit/not someone else's", method: "PATCH", path: "/api/comments/" + o.ID, body: `{"body":"hacked"}`, h: other.h(), status: 403, code: media.ENOTALLOWED},
		{name: "resolve/another member may not", method: "POST", path: "/api/comments/" + g.ID + "/resolve", h: other.h(), status: 403, code: media.ENOTALLOWED},
		{name: "resolve/the owner may", method: "POST", path: "/api/comments/" + g.ID + "/resolve", h: owner.h(), status: 200, check: func(t *testing.T, b []byte) {
			if c := decodeAs[testComment](t, b); !c.Resolved || c.Mine {
				t.Fatalf("resolved = %+v", c)
			}
		}},
		{name: "reopen/an admin may", method: "POST", path: "/api/comments/" + g.ID + "/reopen", h: admin.h(), status: 200},
		{name: "delete/another member may not", method: "DELETE", path: "/api/comments/" + g.ID, h: other.h(), status: 403, code: media.ENOTALLOWED},
		{name: "delete/the owner may", method: "DELETE", path: "/api/comments/" + m.ID, h: owner.h(), status: 200},
		{name: "delete/an admin may", method: "DELETE", path: sp + "/comments/" + g.ID, h: admin.h(), status: 200},
		{name: "settings/a guest may not", method: "PATCH", path: vp, body: `{"commentsEnabled":false}`, h: guest, status: 401, code: media.EUNAUTHORIZED},
		{name: "settings/another member may not", method: "PATCH", path: vp, body: `{"commentsEnabled":false}`, h: other.h(), status: 403, code: media.ENOTALLOWED},
		{name: "settings/a bad title changes nothing", method: "PATCH", path: vp, body: `{"guestComments":false,"title":"` + strings.Repeat("t", 201) + `"}`, h: owner.h(), status: 400, code: media.EINVALID},
		{name: "create/guests still welcome", method: "POST", path: sp + "/comments", body: `{"body":"x","timeMs":0,"guestName":"Gil"}`, h: guest, status: 201},
		{name: "settings/no guests", method: "PATCH", path: vp, body: `{"guestComments":false}`, h: owner.h(), status: 200, check: func(t *testing.T, b []byte) {
			got := decodeAs[struct{ CommentsEnabled, GuestComments, ReactionsEnabled, IsOwner bool }](t, b)
			if got.GuestComments || !got.CommentsEnabled || !got.ReactionsEnabled || !got.IsOwner {
				t.Fatalf("settings = %+v", got)
			}
		}},
		{name: "create/guests not allowed", method: "POST", path: sp + "/comments", body: `{"body":"x","timeMs":0,"guestName":"Gil"}`, h: guest, status: 403, code: media.EGUESTSOFF},
		{name: "create/members still may", method: "POST", path: sp + "/comments", body: `{"body":"x","timeMs":0}`, h: other.h(), status: 201},
		{name: "settings/comments and reactions off (admin)", method: "PATCH", path: vp, body: `{"commentsEnabled":false,"reactionsEnabled":false}`, h: admin.h(), status: 200},
		{name: "create/comments disabled, even for the owner", method: "POST", path: vp + "/comments", body: `{"body":"x","timeMs":0}`, h: owner.h(), status: 403, code: media.ECOMMENTSOFF},
		{name: "edit/comments disabled", method: "PATCH", path: "/api/comments/" + o.ID, body: `{"body":"later"}`, h: owner.h(), status: 403, code: media.ECOMMENTSOFF},
		{name: "react/reactions disabled", method: "POST", path: sp + "/reactions", body: `{"emoji":"👍","timeMs":0}`, h: guest, status: 403, code: media.EREACTIONSOFF},
		{name: "list/still readable, mine marked", method: "GET", path: vp + "/comments", h: owner.h(), status: 200, check: func(t *testing.T, b []byte) {
			l := decodeAs[struct{ Threads []testComment }](t, b)
			var mine int
			for _, th := range l.Threads {
				if th.Mine {
					mine++
				}
			}
			if mine != 1 {
				t.Fatalf("%d of the owner's threads are mine, want 1: %s", mine, b)
			}
		}},
		{name: "delete/own still possible", method: "DELETE", path: "/api/comments/" + o.ID, h: owner.h(), status: 200},
		{name: "settings/nothing to change", method: "PATCH", path: vp, body: `{}`, h: owner.h(), status: 400, code: media.EINVALID},
	})
}

// The list answer is cached per page, dropped by every event of the video,
// and never shared with a caller whose own comments it shows.
func TestThreadCache(t *testing.T) {
	s, db := newCommentServer(t, Options{RateLimits: RateLimits{Disabled: true}})
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 60_000}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	sp := "/api/share/" + v.Slug
	list := sp + "/comments"
	type page struct {
		Threads     []testComment
		Count       int
		LastEventID int64
	}
	get := func(h http.Header) page {
		t.Helper()
		rec := serve(s, "GET", list, "", h)
		if rec.Code != 200 {
			t.Fatalf("list = %d %s", rec.Code, rec.Body)
		}
		return decodeAs[page](t, rec.Body.Bytes())
	}
	if p := get(nil); p.Count != 0 || p.LastEventID != 0 {
		t.Fatalf("empty page = %+v", p)
	}
	secret := media.NewGuestSecret()
	me := http.Header{"X-Guest-Secret": {secret}}
	rec := serve(s, "POST", list, `{"body":"one","timeMs":0,"guestName":"A"}`, me)
	if rec.Code != 201 {
		t.Fatal(rec.Body)
	}
	p := get(nil)
	if p.Count != 1 || p.LastEventID == 0 || p.Threads[0].Mine {
		t.Fatalf("after a comment, anonymous = %+v", p)
	}
	if p := get(me); !p.Threads[0].Mine {
		t.Fatal("the author's own comment not mine: the shared answer leaked")
	}
	if p := get(nil); p.Threads[0].Mine {
		t.Fatal("the author's answer was shared")
	}
	id := p.Threads[0].ID
	for _, w := range []struct{ method, path, body string }{
		{"PATCH", sp + "/comments/" + id, `{"body":"two"}`},
		{"POST", sp + "/comments/" + id + "/resolve", ""},
		{"POST", sp + "/reactions", `{"emoji":"🔥","timeMs":0}`},
	} {
		before := get(nil).LastEventID
		if rec := serve(s, w.method, w.path, w.body, me); rec.Code >= 300 {
			t.Fatalf("%s %s = %d %s", w.method, w.path, rec.Code, rec.Body)
		}
		if after := get(nil); after.LastEventID <= before {
			t.Fatalf("after %s %s the list is stale (lastEventId %d)", w.method, w.path, after.LastEventID)
		}
	}
	if p := get(nil); p.Threads[0].Body != "two" || !p.Threads[0].Resolved {
		t.Fatalf("cached page is stale: %+v", p.Threads[0])
	}
	// A page read while an event arrives is not kept.
	tc := newThreadCache()
	k := threadKey{videoID: "v", limit: 1}
	st := tc.stamp("v")
	tc.invalidate(&media.CommentEvent{VideoID: "v"})
	tc.put(k, st, &threadEntry{})
	if tc.get(k) != nil {
		t.Fatal("a page read before an event was kept")
	}
	tc.put(k, tc.stamp("v"), &threadEntry{})
	if tc.get(k) == nil {
		t.Fatal("a fresh page was not kept")
	}
}
