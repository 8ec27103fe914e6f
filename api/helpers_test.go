package api

import (
	"testing"

	"github.com/baton-video/baton/media"
)

// newTestServer builds a Server with no backing stores, for tests that only
// look at routing.
func newTestServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := New(Options{Service: &media.Service{}, StagingDir: tb.TempDir(), PublicURL: "http://127.0.0.1:1"})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
