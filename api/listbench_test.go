package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

// BenchmarkListSharedThreads is the watch page's hot read: a thread list
// through the share link, answered from the caches. It reports what one
// request allocates on the server side (go test -bench ListShared -benchmem).
func BenchmarkListSharedThreads(b *testing.B) {
	s, db := newCommentServer(b, Options{RateLimits: RateLimits{Disabled: true}})
	ctx := context.Background()
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 120_000}
	if err := db.CreateVideo(ctx, v); err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		top := MustCreateComment(b, s, v, "", int64(i*1000))
		for range 2 {
			MustCreateComment(b, s, v, top, int64(i*1000))
		}
	}
	h := s.Handler()
	req := httptest.NewRequest("GET", "/api/share/"+v.Slug+"/comments?limit=50", nil)
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.code != http.StatusOK {
		b.Fatalf("list = %d", w.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// MustCreateComment adds a guest comment (a reply when parent is set) and
// returns its id.
func MustCreateComment(tb testing.TB, s *Server, v *media.Video, parent string, timeMs int64) string {
	tb.Helper()
	c, _, err := s.comments.Create(context.Background(), v.ID, media.Actor{GuestSecret: media.NewGuestSecret()}, media.CommentInput{
		ParentID: parent, TimeMs: timeMs, HasTime: true, GuestName: "Guest",
		Body: "A comment of a realistic length, saying something about the video.",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCreateSharedComment is a guest's comment through the share link,
// from many goroutines at once (the writes are committed in batches).
func BenchmarkCreateSharedComment(b *testing.B) {
	s, db := newCommentServer(b, Options{RateLimits: RateLimits{Disabled: true}})
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Status: media.StatusReady, DurationMs: 120_000}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	path := "/api/share/" + v.Slug + "/comments"
	secret := media.NewGuestSecret()
	b.ReportAllocs()
	b.SetParallelism(25)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			req := httptest.NewRequest("POST", path, strings.NewReader(`{"body":"load","timeMs":1000,"guestName":"Bench"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Guest-Secret", secret)
			clear(w.h)
			h.ServeHTTP(w, req)
			if w.code != http.StatusCreated {
				b.Errorf("create = %d", w.code)
				return
			}
		}
	})
}
