package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
)

// generous keeps rate limits out of the way of tests about something else.
var generous = api.RateLimits{
	CommentsPerClient: media.Rate{Burst: 100000, Every: time.Millisecond}, CommentsPerVideo: media.Rate{Burst: 100000, Every: time.Millisecond},
	ReactionsPerClient: media.Rate{Burst: 100000, Every: time.Millisecond}, ReactionsPerVideo: media.Rate{Burst: 100000, Every: time.Millisecond},
	VideosPerAccount: media.Rate{Burst: 100000, Every: time.Millisecond},
}

// mustStartComments starts a server without workers (comments need none)
// with the given rate limits.
func mustStartComments(tb testing.TB, limits api.RateLimits, fn func(*Config)) *testServer {
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
	m.RateLimits = limits
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}
}

// apiComment is the API's comment JSON (with a thread's replies).
type apiComment struct {
	ID, VideoID, ParentID, Body, AuthorName string
	TimeMs, EndMs                           int64
	ByOwner, Mine, Edited, Deleted          bool
	Resolved                                bool
	GuestSecret                             string
	Replies                                 []apiComment
}

type commentedVideo struct {
	ID, Slug                                         string
	CommentsEnabled, GuestComments, ReactionsEnabled bool
	IsOwner                                          bool
	DurationMs                                       int64
	// Share is where guests reach it: /api/share/<slug>; Owner are the
	// headers of its owner (a signed-in member with an API token).
	Share string
	Owner http.Header `json:"-"`
}

// hdr builds request headers from name/value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}

// call sends a request; body is JSON-encoded unless it is a string, which
// is sent as is. It returns the response and its body.
func (s *testServer) call(tb testing.TB, method, path string, body any, h http.Header) (*http.Response, []byte) {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// mustCall is call that expects status and decodes the answer into out.
func (s *testServer) mustCall(tb testing.TB, method, path string, body any, h http.Header, status int, out any) {
	tb.Helper()
	resp, b := s.call(tb, method, path, body, h)
	if resp.StatusCode != status {
		tb.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// owners holds each test server's signed-in owner.
var owners sync.Map // *testServer -> http.Header

// mustOwner signs up the server's first account (its admin) through the
// API and returns headers carrying an API token for it.
func (s *testServer) mustOwner(tb testing.TB) http.Header {
	tb.Helper()
	if h, ok := owners.Load(s); ok {
		return h.(http.Header)
	}
	resp, b := s.call(tb, "POST", "/api/auth/signup", map[string]string{
		"email": "olive@example.com", "name": "Olive", "password": "correct horse battery staple"}, nil)
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("sign up: %s %s", resp.Status, b)
	}
	ck := http.Header{}
	for _, c := range resp.Cookies() {
		ck.Add("Cookie", c.Name+"="+c.Value)
	}
	var tok struct{ Token string }
	s.mustCall(tb, "POST", "/api/auth/tokens", map[string]string{"name": "tests"}, ck, http.StatusCreated, &tok)
	h := hdr("Authorization", "Bearer "+tok.Token)
	owners.Store(s, h)
	tb.Cleanup(func() { owners.Delete(s) })
	return h
}

// mustVideo creates a video as the server's owner and gives it a duration,
// as processing would.
func (s *testServer) mustVideo(tb testing.TB, durationMs int64) commentedVideo {
	tb.Helper()
	var v commentedVideo
	owner := s.mustOwner(tb)
	s.mustCall(tb, "POST", "/api/videos", map[string]string{"title": "t"}, owner, http.StatusCreated, &v)
	if !v.CommentsEnabled || !v.GuestComments || !v.ReactionsEnabled || !v.IsOwner {
		tb.Fatalf("created video = %+v", v)
	}
	v.Share, v.Owner = "/api/share/"+v.Slug, owner
	if durationMs > 0 {
		_, err := s.DB.UpdateVideo(context.Background(), v.ID, "", func(mv *media.Video) error {
			mv.DurationMs = durationMs
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		v.DurationMs = durationMs
	}
	return v
}

// mustComment posts a comment through a share path (a guest's way in).
func (s *testServer) mustComment(tb testing.TB, share string, body any, h http.Header) apiComment {
	tb.Helper()
	var c apiComment
	s.mustCall(tb, "POST", share+"/comments", body, h, http.StatusCreated, &c)
	return c
}

type scenario struct {
	name   string
	method string
	path   string
	body   any
	h      http.Header
	status int
	code   string                          // the error code, for errors
	check  func(t *testing.T, body []byte) // optional
}

func runScenarios(t *testing.T, s *testServer, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := s.call(t, tc.method, tc.path, tc.body, tc.h)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.status)
			}
			if tc.code != "" {
				var e apiErr
				if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
					t.Fatalf("error body %s, want code %q with a message", b, tc.code)
				}
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestCommentsAPI drives every comment endpoint through its successes and
// refusals on a real server.
func TestCommentsAPI(t *testing.T) {
	s := mustStartComments(t, generous, nil)
	v := s.mustVideo(t, 60_000)
	other := s.mustVideo(t, 60_000)
	unknownLen := s.mustVideo(t, 0)

	a := s.mustComment(t, v.Share, map[string]any{"body": "Why this slide?", "timeMs": 2140, "guestName": "Ann"}, nil)
	if a.GuestSecret == "" || !a.Mine || a.AuthorName != "Ann" || a.TimeMs != 2140 {
		t.Fatalf("first comment = %+v", a)
	}
	asA := hdr("X-Guest-Secret", a.GuestSecret)
	bSecret := media.NewGuestSecret()
	asB := hdr("X-Guest-Secret", bSecret)
	reply := s.mustComment(t, v.Share, map[string]any{"body": "Agreed", "parentId": a.ID, "guestName": "Bob"}, asB)
	if reply.GuestSecret != "" || reply.TimeMs != 2140 || reply.ParentID != a.ID {
		t.Fatalf("reply = %+v (a reply without timeMs takes its thread's; a sent secret is not echoed)", reply)
	}
	otherThread := s.mustComment(t, other.Share, map[string]any{"body": "x", "timeMs": 0, "guestName": "Cy"}, nil)

	comments := v.Share + "/comments"
	long := strings.Repeat("é", media.MaxCommentLen)
	post := func(name string, body any, h http.Header, status int, code string, check ...func(*testing.T, []byte)) scenario {
		sc := scenario{name: "create/" + name, method: "POST", path: comments, body: body, h: h, status: status, code: code}
		if len(check) > 0 {
			sc.check = check[0]
		}
		return sc
	}
	runScenarios(t, s, []scenario{
		post("range", map[string]any{"body": "this part", "timeMs": 1000, "endMs": 5000, "guestName": "Ann"}, asA, 201, "", func(t *testing.T, b []byte) {
			if c := decode[apiComment](t, b); c.EndMs != 5000 || c.GuestSecret != "" {
				t.Fatalf("range comment = %+v", c)
			}
		}),
		post("body of 5000 two-byte runes", map[string]any{"body": long, "timeMs": 0, "guestName": "Ann"}, asA, 201, ""),
		post("just past the end is the end", map[string]any{"body": "end", "timeMs": 60_500, "guestName": "Ann"}, asA, 201, "", func(t *testing.T, b []byte) {
			if c := decode[apiComment](t, b); c.TimeMs != 60_000 {
				t.Fatalf("timeMs = %d, want 60000", c.TimeMs)
			}
		}),
		post("integral float time", `{"body":"x","timeMs":1500.0,"guestName":"Ann"}`, asA, 201, ""),
		post("reply to a reply", map[string]any{"body": "x", "parentId": reply.ID, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("reply to another video's thread", map[string]any{"body": "x", "parentId": otherThread.ID, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("reply to nothing", map[string]any{"body": "x", "parentId": media.NewID(), "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("malformed parent", map[string]any{"body": "x", "parentId": "../x", "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("no body", map[string]any{"timeMs": 0, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("blank body", map[string]any{"body": " \n\t ", "timeMs": 0, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("body too long", map[string]any{"body": long + "x", "timeMs": 0, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("body not a string", `{"body":5,"timeMs":0,"guestName":"Ann"}`, asA, 400, media.EINVALID),
		post("control character", map[string]any{"body": "a\x00b", "timeMs": 0, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("no time", map[string]any{"body": "x", "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("null time", `{"body":"x","timeMs":null,"guestName":"Ann"}`, asA, 400, media.EINVALID),
		post("negative time", map[string]any{"body": "x", "timeMs": -1, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("fractional time", map[string]any{"body": "x", "timeMs": 1.5, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("time as a string", map[string]any{"body": "x", "timeMs": "12", "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("NaN time", `{"body":"x","timeMs":NaN,"guestName":"Ann"}`, asA, 400, media.EINVALID),
		post("huge time", `{"body":"x","timeMs":1e300,"guestName":"Ann"}`, asA, 400, media.EINVALID),
		post("past the end", map[string]any{"body": "x", "timeMs": 61_001, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("end before start", map[string]any{"body": "x", "timeMs": 5000, "endMs": 5000, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("end zero", map[string]any{"body": "x", "timeMs": 0, "endMs": 0, "guestName": "Ann"}, asA, 400, media.EINVALID),
		post("no name", map[string]any{"body": "x", "timeMs": 0}, asA, 400, media.EINVALID),
		post("name too long", map[string]any{"body": "x", "timeMs": 0, "guestName": strings.Repeat("n", 51)}, asA, 400, media.EINVALID),
		post("name with a newline", map[string]any{"body": "x", "timeMs": 0, "guestName": "Ann\nAdmin"}, asA, 400, media.EINVALID),
		post("name with a right-to-left override", map[string]any{"body": "x", "timeMs": 0, "guestName": "Ann\u202Egpj.exe"}, asA, 400, media.EINVALID),
		post("unknown field", map[string]any{"body": "x", "timeMs": 0, "guestName": "Ann", "html": true}, asA, 400, media.EINVALID),
		post("not JSON", "body=x", asA, 400, media.EINVALID),
		post("malformed guest secret", map[string]any{"body": "x", "timeMs": 0, "guestName": "Ann"}, hdr("X-Guest-Secret", "short"), 400, media.EINVALID),
		post("body over 64 KB", `{"body":"`+strings.Repeat("x", 70<<10)+`"}`, asA, 413, media.ETOOLARGE),
		{name: "create/unknown video", method: "POST", path: "/api/share/" + media.NewSlug() + "/comments", body: map[string]any{"body": "x", "timeMs": 0, "guestName": "A"}, status: 404, code: media.ENOTFOUND},
		{name: "create/malformed video id", method: "POST", path: "/api/share/nope/comments", body: map[string]any{"body": "x", "timeMs": 0, "guestName": "A"}, status: 404, code: media.ENOTFOUND},
		{name: "create/duration unknown at 0", method: "POST", path: unknownLen.Share + "/comments", body: map[string]any{"body": "x", "timeMs": 0, "guestName": "A"}, status: 201},
		{name: "create/duration unknown later", method: "POST", path: unknownLen.Share + "/comments", body: map[string]any{"body": "x", "timeMs": 5, "guestName": "A"}, status: 400, code: media.EINVALID},
	})

	// Edit, resolve, reopen, delete.
	aPath := v.Share + "/comments/" + a.ID
	runScenarios(t, s, []scenario{
		{name: "edit/own", method: "PATCH", path: aPath, body: map[string]string{"body": "Why this slide, exactly?"}, h: asA, status: 200, check: func(t *testing.T, b []byte) {
			if c := decode[apiComment](t, b); !c.Edited || c.Body != "Why this slide, exactly?" || !c.Mine {
				t.Fatalf("edited = %+v", c)
			}
		}},
		{name: "edit/another guest's", method: "PATCH", path: aPath, body: map[string]string{"body": "hacked"}, h: asB, status: 403, code: media.ENOTALLOWED},
		{name: "edit/without a secret", method: "PATCH", path: aPath, body: map[string]string{"body": "hacked"}, status: 403, code: media.ENOTALLOWED},
		{name: "edit/blank", method: "PATCH", path: aPath, body: map[string]string{"body": "  "}, h: asA, status: 400, code: media.EINVALID},
		{name: "edit/no body", method: "PATCH", path: aPath, body: map[string]string{}, h: asA, status: 400, code: media.EINVALID},
		{name: "edit/unknown", method: "PATCH", path: v.Share + "/comments/" + media.NewID(), body: map[string]string{"body": "x"}, h: asA, status: 404, code: media.ENOTFOUND},
		{name: "edit/malformed id", method: "PATCH", path: v.Share + "/comments/1", body: map[string]string{"body": "x"}, h: asA, status: 404, code: media.ENOTFOUND},
		{name: "resolve/a reply", method: "POST", path: v.Share + "/comments/" + reply.ID + "/resolve", h: asB, status: 400, code: media.EINVALID},
		{name: "resolve/someone else", method: "POST", path: aPath + "/resolve", h: asB, status: 403, code: media.ENOTALLOWED},
		{name: "resolve/the thread's author", method: "POST", path: aPath + "/resolve", h: asA, status: 200, check: func(t *testing.T, b []byte) {
			if c := decode[apiComment](t, b); !c.Resolved || !c.Mine {
				t.Fatalf("resolved = %+v", c)
			}
		}},
		{name: "resolve/again is a no-op", method: "POST", path: aPath + "/resolve", h: asA, status: 200},
		{name: "reopen/someone else", method: "POST", path: aPath + "/reopen", h: asB, status: 403, code: media.ENOTALLOWED},
		{name: "reopen/the thread's author", method: "POST", path: aPath + "/reopen", h: asA, status: 200, check: func(t *testing.T, b []byte) {
			if c := decode[apiComment](t, b); c.Resolved || !c.Mine {
				t.Fatalf("reopened = %+v", c)
			}
		}},
		{name: "resolve/unknown", method: "POST", path: v.Share + "/comments/" + media.NewID() + "/resolve", h: asA, status: 404, code: media.ENOTFOUND},
		{name: "delete/another guest's", method: "DELETE", path: aPath, h: asB, status: 403, code: media.ENOTALLOWED},
		{name: "delete/own thread with a reply leaves a placeholder", method: "DELETE", path: aPath, h: asA, status: 200, check: func(t *testing.T, b []byte) {
			d := decode[struct {
				Comment apiComment
				Removed bool
			}](t, b)
			if d.Removed || !d.Comment.Deleted || d.Comment.Body != "" || d.Comment.AuthorName != "" {
				t.Fatalf("delete = %+v", d)
			}
		}},
		{name: "delete/a placeholder again", method: "DELETE", path: aPath, h: asA, status: 404, code: media.ENOTFOUND},
		{name: "edit/a placeholder", method: "PATCH", path: aPath, body: map[string]string{"body": "back"}, h: asA, status: 404, code: media.ENOTFOUND},
		{name: "create/reply to a deleted thread", method: "POST", path: comments, body: map[string]any{"body": "x", "parentId": a.ID, "guestName": "Bob"}, h: asB, status: 409, code: media.ECONFLICT},
		{name: "delete/its author deletes the last reply", method: "DELETE", path: v.Share + "/comments/" + reply.ID, h: asB, status: 200, check: func(t *testing.T, b []byte) {
			if d := decode[struct{ Removed bool }](t, b); !d.Removed {
				t.Fatal("reply not removed")
			}
		}},
		{name: "delete/the placeholder went with its last reply", method: "DELETE", path: aPath, h: asA, status: 404, code: media.ENOTFOUND},
		{name: "delete/unknown", method: "DELETE", path: v.Share + "/comments/" + media.NewID(), h: asA, status: 404, code: media.ENOTFOUND},
	})

	// Listing: order, pages, mine, counts.
	var page struct {
		Threads        []apiComment
		NextCursor     string
		Count          int
		ReactionCounts map[string]int
		LastEventID    int64
	}
	var times []int64
	cursor := ""
	for pages := 0; ; pages++ {
		q := comments + "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		s.mustCall(t, "GET", q, nil, asA, 200, &page)
		for _, th := range page.Threads {
			times = append(times, th.TimeMs)
			if th.AuthorName == "Ann" && !th.Mine {
				t.Fatalf("Ann's thread not mine: %+v", th)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 10 {
			t.Fatal("pages never end")
		}
	}
	// range@1000, long@0, end@60000, float@1500
	if got, want := fmt.Sprint(times), "[0 1000 1500 60000]"; got != want {
		t.Fatalf("thread times = %s, want %s", got, want)
	}
	if page.Count != 4 || page.LastEventID == 0 {
		t.Fatalf("count = %d, lastEventId = %d", page.Count, page.LastEventID)
	}
	runScenarios(t, s, []scenario{
		{name: "list/bad limit", method: "GET", path: comments + "?limit=0", status: 400, code: media.EINVALID},
		{name: "list/limit too big", method: "GET", path: comments + "?limit=201", status: 400, code: media.EINVALID},
		{name: "list/forged cursor", method: "GET", path: comments + "?cursor=abc", status: 400, code: media.EINVALID},
		{name: "list/unknown video", method: "GET", path: "/api/share/" + media.NewSlug() + "/comments", status: 404, code: media.ENOTFOUND},
		{name: "list/empty", method: "GET", path: other.Share + "/comments", status: 200},
	})
}

// TestReactionsAPI covers reacting, listing, counting and unreacting.
func TestReactionsAPI(t *testing.T) {
	s := mustStartComments(t, generous, nil)
	v := s.mustVideo(t, 30_000)
	path := v.Share + "/reactions"
	type created struct {
		Reaction struct {
			ID     string
			Emoji  string
			TimeMs int64
			Mine   bool
		}
		Counts      map[string]int
		GuestSecret string
	}
	var first created
	s.mustCall(t, "POST", path, map[string]any{"emoji": "🔥", "timeMs": 1200}, nil, 201, &first)
	if first.GuestSecret == "" || first.Counts["🔥"] != 1 || !first.Reaction.Mine {
		t.Fatalf("first reaction = %+v", first)
	}
	me := hdr("X-Guest-Secret", first.GuestSecret)
	var heart created
	s.mustCall(t, "POST", path, map[string]any{"emoji": "❤", "timeMs": 100}, me, 201, &heart)
	if heart.Reaction.Emoji != "❤️" || heart.GuestSecret != "" {
		t.Fatalf("heart = %+v", heart)
	}
	var theirs created
	s.mustCall(t, "POST", path, map[string]any{"emoji": "🔥", "timeMs": 1300}, nil, 201, &theirs)
	if theirs.Counts["🔥"] != 2 {
		t.Fatalf("counts = %v", theirs.Counts)
	}

	runScenarios(t, s, []scenario{
		{name: "react/not in the set", method: "POST", path: path, body: map[string]any{"emoji": "💩", "timeMs": 0}, status: 400, code: media.EINVALID},
		{name: "react/no time", method: "POST", path: path, body: map[string]any{"emoji": "👍"}, status: 400, code: media.EINVALID},
		{name: "react/past the end", method: "POST", path: path, body: map[string]any{"emoji": "👍", "timeMs": 99_999}, status: 400, code: media.EINVALID},
		{name: "react/unknown video", method: "POST", path: "/api/share/" + media.NewSlug() + "/reactions", body: map[string]any{"emoji": "👍", "timeMs": 0}, status: 404, code: media.ENOTFOUND},
		{name: "list/mine and counts", method: "GET", path: path, h: me, status: 200, check: func(t *testing.T, b []byte) {
			l := decode[struct {
				Reactions []struct {
					ID     string
					TimeMs int64
					Mine   bool
				}
				Counts map[string]int
				Emoji  []string
			}](t, b)
			if len(l.Reactions) != 3 || l.Reactions[0].TimeMs != 100 || !l.Reactions[0].Mine || l.Reactions[2].Mine {
				t.Fatalf("reactions = %+v", l.Reactions)
			}
			if l.Counts["🔥"] != 2 || l.Counts["❤️"] != 1 || len(l.Emoji) != len(media.ReactionEmoji) {
				t.Fatalf("counts = %v, emoji = %v", l.Counts, l.Emoji)
			}
		}},
		{name: "list/paged", method: "GET", path: path + "?limit=2", status: 200, check: func(t *testing.T, b []byte) {
			if l := decode[struct{ NextCursor string }](t, b); l.NextCursor == "" {
				t.Fatal("no next cursor")
			}
		}},
		{name: "list/unknown video", method: "GET", path: "/api/share/" + media.NewSlug() + "/reactions", status: 404, code: media.ENOTFOUND},
		{name: "unreact/someone else's", method: "DELETE", path: v.Share + "/reactions/" + theirs.Reaction.ID, h: me, status: 403, code: media.ENOTALLOWED},
		{name: "unreact/without a secret", method: "DELETE", path: v.Share + "/reactions/" + first.Reaction.ID, status: 403, code: media.ENOTALLOWED},
		{name: "unreact/own", method: "DELETE", path: v.Share + "/reactions/" + first.Reaction.ID, h: me, status: 200, check: func(t *testing.T, b []byte) {
			if c := decode[struct{ Counts map[string]int }](t, b); c.Counts["🔥"] != 1 {
				t.Fatalf("counts = %v", c.Counts)
			}
		}},
		{name: "unreact/again", method: "DELETE", path: v.Share + "/reactions/" + first.Reaction.ID, h: me, status: 404, code: media.ENOTFOUND},
		{name: "unreact/malformed id", method: "DELETE", path: v.Share + "/reactions/x", h: me, status: 404, code: media.ENOTFOUND},
	})
}

// TestCommentExports checks the JSON and WebVTT exports, with hostile text.
func TestCommentExports(t *testing.T) {
	s := mustStartComments(t, generous, nil)
	v := s.mustVideo(t, 3_600_000+5_000)
	guest := hdr("X-Guest-Secret", media.NewGuestSecret())
	th := s.mustComment(t, v.Share, map[string]any{"body": "a --> b <script>alert(1)</script> & c\n\nsecond line", "timeMs": 3_600_000 + 1_234, "guestName": "<b>Eve</b>"}, guest)
	s.mustComment(t, v.Share, map[string]any{"body": "range", "timeMs": 1_000, "endMs": 2_500, "guestName": "Ann"}, guest)
	s.mustComment(t, v.Share, map[string]any{"body": "a reply", "parentId": th.ID, "timeMs": 0, "guestName": "Bob"}, guest)
	s.mustCall(t, "POST", v.Share+"/reactions", map[string]any{"emoji": "🎉", "timeMs": 5}, guest, 201, nil)

	resp, b := s.call(t, "GET", "/api/videos/"+v.ID+"/comments.vtt", nil, v.Owner)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/vtt") {
		t.Fatalf("vtt: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	vtt := string(b)
	want := "WEBVTT\n\n" +
		"%s\n00:00:00.000 --> 00:00:04.000\n↳ Bob: a reply\n\n" +
		"%s\n00:00:01.000 --> 00:00:02.500\nAnn: range\n\n" +
		"%s\n01:00:01.234 --> 01:00:05.234\n&lt;b&gt;Eve&lt;/b&gt;: a --&gt; b &lt;script&gt;alert(1)&lt;/script&gt; &amp; c\nsecond line\n\n"
	ids := cueIDs(vtt)
	if len(ids) != 3 {
		t.Fatalf("vtt has %d cues:\n%s", len(ids), vtt)
	}
	if got, want := vtt, fmt.Sprintf(want, ids[0], ids[1], ids[2]); got != want {
		t.Fatalf("vtt =\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(vtt, "\n") {
		if strings.Contains(line, "-->") && !strings.Contains(line, ".") {
			t.Fatalf("arrow in cue text: %q", line)
		}
	}

	var export struct {
		Video struct {
			ID string
		}
		Threads        []apiComment
		Reactions      []struct{ Emoji string }
		ReactionCounts map[string]int
	}
	resp, b = s.call(t, "GET", "/api/videos/"+v.ID+"/comments.json", nil, v.Owner)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("json export: %s %v", resp.Status, resp.Header)
	}
	if err := json.Unmarshal(b, &export); err != nil {
		t.Fatal(err)
	}
	if export.Video.ID != v.ID || len(export.Threads) != 2 || len(export.Threads[1].Replies) != 1 ||
		export.Threads[1].AuthorName != "<b>Eve</b>" || len(export.Reactions) != 1 || export.ReactionCounts["🎉"] != 1 {
		t.Fatalf("export = %s", b)
	}
	// Guests get the same through the link.
	if resp, b2 := s.call(t, "GET", v.Share+"/comments.vtt", nil, nil); resp.StatusCode != 200 || string(b2) != vtt {
		t.Fatalf("vtt through the link: %s\n%s", resp.Status, b2)
	}
	if resp, _ := s.call(t, "GET", v.Share+"/comments.json", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("json through the link: %s", resp.Status)
	}
	for _, p := range []string{"/comments.json", "/comments.vtt"} {
		if resp, _ := s.call(t, "GET", "/api/videos/"+media.NewID()+p, nil, v.Owner); resp.StatusCode != 404 {
			t.Fatalf("export of an unknown video: %s", resp.Status)
		}
	}
}

// cueIDs returns the identifier lines of a WebVTT file's cues.
func cueIDs(vtt string) []string {
	var ids []string
	lines := strings.Split(vtt, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.Contains(lines[i], " --> ") {
			ids = append(ids, lines[i-1])
		}
	}
	return ids
}

// TestCommentRateLimits: a client is limited per address, a forged
// X-Forwarded-For does not make it someone else, a video is limited across
// clients, and 429s say when to retry.
func TestCommentRateLimits(t *testing.T) {
	s := mustStartComments(t, api.RateLimits{
		CommentsPerClient:  media.Rate{Burst: 3, Every: time.Hour},
		CommentsPerVideo:   media.Rate{Burst: 1000, Every: time.Hour},
		ReactionsPerClient: media.Rate{Burst: 2, Every: time.Hour},
		ReactionsPerVideo:  media.Rate{Burst: 1000, Every: time.Hour},
	}, nil)
	v := s.mustVideo(t, 10_000)
	comments := v.Share + "/comments"
	comment := map[string]any{"body": "x", "timeMs": 0, "guestName": "Spammer"}
	var firstID string
	for i := 0; i < 3; i++ {
		var c apiComment
		s.mustCall(t, "POST", comments, comment, hdr("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)), 201, &c)
		firstID = cmp.Or(firstID, c.ID)
	}
	for i, h := range []http.Header{
		nil,
		hdr("X-Forwarded-For", "198.51.100.7"),
		hdr("X-Real-IP", "198.51.100.8"),
		hdr("X-Forwarded-For", "198.51.100.9, 127.0.0.1"),
	} {
		resp, b := s.call(t, "POST", comments, comment, h)
		if resp.StatusCode != 429 {
			t.Fatalf("request %d with %v = %s %s, want 429", i, h, resp.Status, b)
		}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
			t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
		if e := decode[apiErr](t, b); e.Error.Code != media.ERATELIMIT {
			t.Fatalf("code = %q", e.Error.Code)
		}
	}
	// Edits count against the same bucket.
	if resp, _ := s.call(t, "PATCH", v.Share+"/comments/"+firstID, map[string]string{"body": "x"}, nil); resp.StatusCode != 429 {
		t.Fatalf("edit after the limit: %s", resp.Status)
	}
	// Reactions have their own bucket.
	for i, want := range []int{201, 201, 429} {
		if resp, b := s.call(t, "POST", v.Share+"/reactions", map[string]any{"emoji": "👍", "timeMs": 0}, nil); resp.StatusCode != want {
			t.Fatalf("reaction %d = %s %s, want %d", i, resp.Status, b, want)
		}
	}

	// Behind a configured proxy, X-Forwarded-For names the client; a
	// video's own limit still holds across all of them.
	p := mustStartComments(t, api.RateLimits{
		CommentsPerClient: media.Rate{Burst: 1, Every: time.Hour},
		CommentsPerVideo:  media.Rate{Burst: 3, Every: time.Hour},
	}, func(c *Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	pv := p.mustVideo(t, 10_000)
	for i := 0; i < 5; i++ {
		want := 201
		if i >= 3 {
			want = 429
		}
		resp, b := p.call(t, "POST", pv.Share+"/comments", comment, hdr("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)))
		if resp.StatusCode != want {
			t.Fatalf("client %d = %s %s, want %d", i, resp.Status, b, want)
		}
		if want == 429 && !strings.Contains(string(b), "This video") {
			t.Fatalf("429 for the video says %s", b)
		}
	}
	// A client refused by the video's limit kept its own token.
	if resp, _ := p.call(t, "POST", p.mustVideo(t, 10_000).Share+"/comments", comment, hdr("X-Forwarded-For", "203.0.113.4")); resp.StatusCode != 201 {
		t.Fatalf("client refused by a video's limit lost its token: %s", resp.Status)
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event, Data string
}

// openEvents connects to a video's event stream and delivers its events on
// a channel until the test ends or close is called.
func (s *testServer) openEvents(tb testing.TB, share, query string, h http.Header) (<-chan sseEvent, func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+share+"/events"+query, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		tb.Fatalf("events: %s", resp.Status)
	}
	ch := make(chan sseEvent, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.Event != "" || ev.Data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	stop := func() { cancel(); <-done }
	tb.Cleanup(stop)
	return ch, stop
}

// next waits for the next event other than video states.
func next(tb testing.TB, ch <-chan sseEvent, within time.Duration) sseEvent {
	tb.Helper()
	timeout := time.After(within)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				tb.Fatal("event stream ended")
			}
			if ev.Event == "video" {
				if ev.ID != "" {
					tb.Fatalf("video event with an id: %+v", ev)
				}
				continue
			}
			return ev
		case <-timeout:
			tb.Fatalf("no event within %v", within)
		}
	}
}

type commentEvent struct {
	Seq     int64
	Type    string
	Comment *apiComment
	Removed bool
	Counts  map[string]int
}

func decodeEvent(tb testing.TB, ev sseEvent) commentEvent {
	tb.Helper()
	if ev.Event != "comment" {
		tb.Fatalf("event = %+v, want a comment event", ev)
	}
	var ce commentEvent
	if err := json.Unmarshal([]byte(ev.Data), &ce); err != nil {
		tb.Fatalf("decode %q: %v", ev.Data, err)
	}
	if strconv.FormatInt(ce.Seq, 10) != ev.ID {
		tb.Fatalf("seq %d but id %q", ce.Seq, ev.ID)
	}
	return ce
}

// TestCommentEventsLiveAndReplay: changes arrive live within a second; a
// client that reconnects with Last-Event-ID gets exactly what it missed.
func TestCommentEventsLiveAndReplay(t *testing.T) {
	s := mustStartComments(t, generous, nil)
	v := s.mustVideo(t, 60_000)
	guest := hdr("X-Guest-Secret", media.NewGuestSecret())
	post := func(body string) apiComment {
		return s.mustComment(t, v.Share, map[string]any{"body": body, "timeMs": 0, "guestName": "G"}, guest)
	}

	ch, stop := s.openEvents(t, v.Share, "", nil)
	sync := next(t, ch, 2*time.Second)
	if sync.Event != "sync" || sync.ID != "0" {
		t.Fatalf("first event = %+v, want sync with id 0", sync)
	}
	start := time.Now()
	first := post("one")
	ev := decodeEvent(t, next(t, ch, time.Second))
	if ev.Type != "created" || ev.Comment.ID != first.ID || ev.Comment.Body != "one" || ev.Comment.Mine {
		t.Fatalf("live event = %+v", ev)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("delivered after %v", d)
	}
	lastID := strconv.FormatInt(ev.Seq, 10)

	// Every kind of change arrives, in order.
	s.mustCall(t, "PATCH", v.Share+"/comments/"+first.ID, map[string]string{"body": "one!"}, guest, 200, nil)
	s.mustCall(t, "POST", v.Share+"/comments/"+first.ID+"/resolve", nil, guest, 200, nil)
	s.mustCall(t, "POST", v.Share+"/comments/"+first.ID+"/reopen", nil, guest, 200, nil)
	var r struct{ Reaction struct{ ID string } }
	s.mustCall(t, "POST", v.Share+"/reactions", map[string]any{"emoji": "👀", "timeMs": 3}, guest, 201, &r)
	s.mustCall(t, "DELETE", v.Share+"/reactions/"+r.Reaction.ID, nil, guest, 200, nil)
	s.mustCall(t, "DELETE", v.Share+"/comments/"+first.ID, nil, guest, 200, nil)
	var types []string
	prev := ev.Seq
	for range 6 {
		ev := decodeEvent(t, next(t, ch, time.Second))
		if ev.Seq <= prev {
			t.Fatalf("seq %d after %d", ev.Seq, prev)
		}
		prev = ev.Seq
		types = append(types, ev.Type)
		switch ev.Type {
		case "reaction":
			if ev.Counts["👀"] != 1 {
				t.Fatalf("reaction counts = %v", ev.Counts)
			}
		case "unreaction":
			if ev.Counts == nil || len(ev.Counts) != 0 {
				t.Fatalf("unreaction counts = %v, want {}", ev.Counts)
			}
		case "deleted":
			if !ev.Removed || ev.Comment.Body != "" {
				t.Fatalf("deleted = %+v", ev)
			}
		}
	}
	if got, want := strings.Join(types, " "), "updated resolved reopened reaction unreaction deleted"; got != want {
		t.Fatalf("event types = %s, want %s", got, want)
	}
	lastAll := strconv.FormatInt(prev, 10)

	// Disconnect, miss three comments, reconnect with Last-Event-ID.
	stop()
	missed := []apiComment{post("two"), post("three"), post("four")}
	ch, _ = s.openEvents(t, v.Share, "", hdr("Last-Event-ID", lastAll))
	for i, m := range missed {
		ev := decodeEvent(t, next(t, ch, time.Second))
		if ev.Type != "created" || ev.Comment.ID != m.ID || ev.Comment.Body != m.Body {
			t.Fatalf("replayed %d = %+v, want %s", i, ev, m.Body)
		}
	}
	sync = next(t, ch, time.Second)
	if sync.Event != "sync" {
		t.Fatalf("after the replay: %+v, want sync", sync)
	}
	post("five")
	if ev := decodeEvent(t, next(t, ch, time.Second)); ev.Comment.Body != "five" {
		t.Fatalf("live after replay = %+v", ev)
	}

	// The query parameter works for a first connection; the header wins.
	ch, _ = s.openEvents(t, v.Share, "?lastEventId="+lastID, nil)
	var replayed []string
	for {
		ev := next(t, ch, time.Second)
		if ev.Event == "sync" {
			sync = ev
			break
		}
		replayed = append(replayed, decodeEvent(t, ev).Type)
	}
	// The edit rewrote history: the first comment's later events still
	// come, the deleted one's text does not.
	if got, want := strings.Join(replayed, " "), "updated resolved reopened reaction unreaction deleted created created created created"; got != want {
		t.Fatalf("replay from the query = %s, want %s", got, want)
	}
	ch, _ = s.openEvents(t, v.Share, "?lastEventId="+lastID, hdr("Last-Event-ID", sync.ID))
	if ev := next(t, ch, time.Second); ev.Event != "sync" || ev.ID != sync.ID {
		t.Fatalf("header did not win: %+v", ev)
	}

	// An id from another database: reset.
	ch, _ = s.openEvents(t, v.Share, "", hdr("Last-Event-ID", "999999"))
	if ev := next(t, ch, time.Second); ev.Event != "reset" {
		t.Fatalf("unknown id: %+v, want reset", ev)
	}
	if resp, _ := s.call(t, "GET", v.Share+"/events?lastEventId=x", nil, nil); resp.StatusCode != 400 {
		t.Fatalf("malformed lastEventId: %s", resp.Status)
	}
}

// TestCommentsConcurrent: 200 clients posting 10 comments each at once on
// SQLite: every answer is 201 or 429, none 5xx, and exactly the 201s are
// stored, each with its event.
func TestCommentsConcurrent(t *testing.T) {
	const clients, each, videoBurst = 200, 10, 1500
	s := mustStartComments(t, api.RateLimits{
		CommentsPerClient: media.Rate{Burst: clients * each, Every: time.Hour},
		CommentsPerVideo:  media.Rate{Burst: videoBurst, Every: 0},
	}, nil)
	v := s.mustVideo(t, 60_000)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				b, _ := json.Marshal(map[string]any{"body": fmt.Sprintf("c %d/%d", i, j), "timeMs": (i*each + j) % 60_000, "guestName": "G"})
				resp, err := hc.Post(s.URL+v.Share+"/comments", "application/json", bytes.NewReader(b))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	for code, n := range statuses {
		if code != 201 && code != 429 {
			t.Errorf("%d answers with status %d", n, code)
		}
	}
	if statuses[201] != videoBurst || statuses[201]+statuses[429] != clients*each {
		t.Fatalf("statuses = %v, want %d created", statuses, videoBurst)
	}
	var page struct{ Count int }
	s.mustCall(t, "GET", v.Share+"/comments?limit=1", nil, nil, 200, &page)
	if page.Count != statuses[201] {
		t.Fatalf("stored %d comments, answered 201 for %d", page.Count, statuses[201])
	}
	evs, err := s.DB.CommentEvents(context.Background(), v.ID, 0, 10*videoBurst)
	if err != nil || len(evs) != statuses[201] {
		t.Fatalf("%d events for %d comments (%v)", len(evs), statuses[201], err)
	}
}
