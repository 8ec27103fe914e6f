package openaicompat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/openaicompat"
)

// TestPost: a real HTTP server on loopback answers each way an endpoint
// can; the call reports each as the sentence a user reads.
func TestPost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch string(body) {
		case "ok":
			if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "text/plain" {
				http.Error(w, "headers", http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, `{"fine":true}`)
		case "refuse":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"bad   key\nfor this"}}`)
		case "large":
			fmt.Fprint(w, strings.Repeat("x", 65))
		case "slow":
			time.Sleep(time.Second)
		}
	}))
	defer srv.Close()
	var gotCode int
	var gotDetail string
	call := openaicompat.Call{
		Key: "k", Timeout: 300 * time.Millisecond, Service: "The test service", Tag: "test", MaxAnswer: 64,
		StatusError: func(code int, detail string) error {
			gotCode, gotDetail = code, detail
			return media.Errorf(media.EINVALID, "refused%s", detail)
		},
	}
	post := func(body string) ([]byte, error) {
		return call.Post(context.Background(), srv.URL, "text/plain", strings.NewReader(body))
	}

	if raw, err := post("ok"); err != nil || string(raw) != `{"fine":true}` {
		t.Fatalf("ok: %q, %v", raw, err)
	}
	if _, err := post("refuse"); media.ErrorCode(err) != media.EINVALID || gotCode != 401 || gotDetail != " (bad key for this)" {
		t.Fatalf("refuse: %v, code %d, detail %q", err, gotCode, gotDetail)
	}
	if _, err := post("large"); media.ErrorCode(err) != media.EINVALID || !strings.Contains(media.ErrorMessage(err), "The test service's answer is too large") {
		t.Fatalf("large: %v", err)
	}
	if _, err := post("slow"); media.ErrorCode(err) != media.EINTERNAL || !strings.Contains(media.ErrorMessage(err), "did not answer") {
		t.Fatalf("slow: %v", err)
	}
	// A caller that gives up is not told the service failed.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := call.Post(ctx, srv.URL, "text/plain", strings.NewReader("ok")); !errors.Is(err, context.Canceled) || strings.Contains(media.ErrorMessage(err), "did not answer") {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestDetail(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"message":"model m is overloaded"}}`: " (model m is overloaded)",
		`{"error":{"message":""}}`:                      "",
		`not json`:                                      "",
		`{"error":{"message":"` + strings.Repeat("é", 150) + `"}}`: " (" + strings.Repeat("é", 100) + "…)",
	} {
		if got := openaicompat.Detail([]byte(body)); got != want {
			t.Errorf("Detail(%.40q) = %q, want %q", body, got, want)
		}
	}
}
