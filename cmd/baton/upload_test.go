package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media/mediatest"
)

// TestUploadCommand runs `baton upload` against a real server: it uploads
// resumably, waits for processing with a progress bar on stderr, and prints
// the share URL (or the video as JSON).
func TestUploadCommand(t *testing.T) {
	src := filepath.Join(t.TempDir(), "weekly update.webm")
	mediatest.MustWebM(t, src, 2, "160x120")
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	t.Setenv("BATON_TOKEN", testToken) // the account page's API token

	var out, errOut bytes.Buffer
	if err := run([]string{"upload", src, "--server", s.URL}, &out, &errOut); err != nil {
		t.Fatalf("upload: %v\n%s", err, errOut.String())
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, s.URL+"/v/") {
		t.Fatalf("printed %q, want a share URL", link)
	}
	if !strings.Contains(errOut.String(), "Uploading") || !strings.Contains(errOut.String(), "100.0%") {
		t.Fatalf("no progress bar on stderr: %q", errOut.String())
	}
	slug := strings.TrimPrefix(link, s.URL+"/v/")
	var v apiVideo
	s.do(t, "GET", "/api/share/"+slug, nil, &v)
	if v.Status != "ready" || v.Title != "weekly update" {
		t.Fatalf("video = %s %q", v.Status, v.Title)
	}

	out.Reset()
	if err := run([]string{"upload", "--json", "--title", "Second", "--server", s.URL, src}, &out, &errOut); err != nil {
		t.Fatalf("upload --json: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got["status"] != "ready" || got["title"] != "Second" {
		t.Fatalf("--json printed %q (%v)", out.String(), err)
	}

	// Without --server it finds the server the same settings start: the
	// one shell where `make run` was started with BATON_ADDR can upload.
	t.Setenv("BATON_SERVER", "")
	t.Setenv("BATON_PUBLIC_URL", "")
	t.Setenv("BATON_ADDR", strings.TrimPrefix(s.URL, "http://"))
	out.Reset()
	if err := run([]string{"upload", "--no-wait", src}, &out, &errOut); err != nil {
		t.Fatalf("upload with BATON_ADDR: %v\n%s", err, errOut.String())
	}
	if link := strings.TrimSpace(out.String()); !strings.HasPrefix(link, s.URL+"/v/") {
		t.Fatalf("upload with BATON_ADDR printed %q, want a share URL of %s", link, s.URL)
	}

	// A refused file fails with the server's reason.
	bad := filepath.Join(t.TempDir(), "notes.webm")
	os.WriteFile(bad, []byte("just text"), 0o644)
	err := run([]string{"upload", bad, "--server", s.URL}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unsupported_media") {
		t.Fatalf("refused upload: err = %v", err)
	}
}

// TestUploadServerDefault: `baton upload` without --server talks to the
// server that the same environment would start.
func TestUploadServerDefault(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", nil, "http://127.0.0.1:8080"},
		{"BATON_ADDR", map[string]string{"BATON_ADDR": "127.0.0.1:9090"}, "http://127.0.0.1:9090"},
		{"all interfaces", map[string]string{"BATON_ADDR": "0.0.0.0:9090"}, "http://127.0.0.1:9090"},
		{"port only", map[string]string{"BATON_ADDR": ":9090"}, "http://127.0.0.1:9090"},
		{"IPv6 wildcard", map[string]string{"BATON_ADDR": "[::]:9090"}, "http://[::1]:9090"},
		{"IPv6 host", map[string]string{"BATON_ADDR": "[::1]:9090"}, "http://[::1]:9090"},
		{"named host", map[string]string{"BATON_ADDR": "baton.lan:80"}, "http://baton.lan:80"},
		{"not host:port", map[string]string{"BATON_ADDR": "9090"}, "http://127.0.0.1:8080"},
		{"public URL wins over the address", map[string]string{"BATON_ADDR": "127.0.0.1:9090", "BATON_PUBLIC_URL": "https://baton.example.com/"}, "https://baton.example.com"},
		{"BATON_SERVER wins over both", map[string]string{"BATON_SERVER": "http://10.0.0.5:8080", "BATON_ADDR": "127.0.0.1:9090", "BATON_PUBLIC_URL": "https://baton.example.com"}, "http://10.0.0.5:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uploadServer(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Fatalf("uploadServer = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPresignedMedia: with a public S3 URL configured, media requests are
// redirected to short-lived presigned URLs that answer Range requests.
func TestPresignedMedia(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.webm")
	mediatest.MustWebM(t, src, 2, "160x120")
	data, _ := os.ReadFile(src)
	cfg := testConfig(t, t.TempDir(), func(c *Config) {
		m := withMinIO(t, c)
		c.S3PublicURL = m.URL
	})
	s := MustStart(t, cfg)
	v := s.MustCreateVideo(t, "presigned")
	if resp, body := uploadChunks(t, v.UploadURL, data, 1); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	v = s.waitStatus(t, v.ID, time.Minute, "ready", "failed")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(v.MP4URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "X-Amz-Expires=") {
		t.Fatalf("media = %s Location %q, want a presigned redirect", resp.Status, loc)
	}
	req, _ := http.NewRequest("GET", loc, nil)
	req.Header.Set("Range", "bytes=0-99")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusPartialContent {
		t.Fatalf("presigned range: %s", r.Status)
	}
}
