package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

// newCommentServer builds a Server over a real SQLite database.
func newCommentServer(tb testing.TB, opt Options) (*Server, *gormstore.DB) {
	tb.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(tb.TempDir(), "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	opt.Service = &media.Service{Videos: db, Jobs: db, Events: media.NewBroker()}
	opt.StagingDir = tb.TempDir()
	opt.PublicURL = "http://baton.test"
	s, err := New(opt)
	if err != nil {
		tb.Fatal(err)
	}
	return s, db
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
	path := "/api/videos/" + v.ID + "/comments"
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

// Settings and a stream of comment events work at the handler level too,
// and the OpenAPI default Comments wiring finds the store.
func TestCommentsWiredFromService(t *testing.T) {
	s, db := newCommentServer(t, Options{})
	if s.comments.Store == nil {
		t.Fatal("Comments not built from the service's store")
	}
	rec := serve(s, "POST", "/api/videos", `{"title":"x"}`, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create video = %d %s", rec.Code, rec.Body)
	}
	var v struct{ ID, OwnerToken string }
	json.Unmarshal(rec.Body.Bytes(), &v)
	stored, err := db.Video(context.Background(), v.ID)
	if err != nil || stored.OwnerTokenHash != media.HashSecret(v.OwnerToken) || stored.OwnerTokenHash == v.OwnerToken {
		t.Fatalf("owner token not stored hashed: %+v %v", stored, err)
	}
	if strings.Contains(rec.Body.String(), stored.OwnerTokenHash) {
		t.Fatal("the owner token's hash leaked")
	}
}
