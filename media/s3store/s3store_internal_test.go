package s3store

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// Against AWS, PathStyle decides where the bucket goes. Presigning is
// offline once the region is known, so this needs no network.
func TestPathStyle(t *testing.T) {
	for _, tc := range []struct {
		pathStyle  bool
		hostPrefix string
		path       string
	}{
		{false, "my-bucket.s3.", "/videos/v1/video.mp4"},
		{true, "s3.", "/my-bucket/videos/v1/video.mp4"},
	} {
		cfg := Config{Bucket: "my-bucket", AccessKey: "k", SecretKey: "s", Region: "eu-west-1", PathStyle: tc.pathStyle, OpTimeout: time.Second}
		c, err := newClient("s3.eu-west-1.amazonaws.com", true, cfg, cfg.Region)
		if err != nil {
			t.Fatal(err)
		}
		s := &Store{client: c, bucket: cfg.Bucket, opTimeout: time.Second}
		raw, err := s.PresignGet(t.Context(), "videos/v1/video.mp4", time.Minute, "")
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		u, _ := url.Parse(raw)
		// minio-go may pick the dual-stack host name; the bucket's place
		// is what matters.
		if u.Scheme != "https" || !strings.HasPrefix(u.Host, tc.hostPrefix) || u.Path != tc.path {
			t.Errorf("PathStyle %v: URL %s, want https://%s...%s", tc.pathStyle, raw, tc.hostPrefix, tc.path)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"demo.mp4":           `attachment; filename=demo.mp4`,
		"Weekly demo.mp4":    `attachment; filename="Weekly demo.mp4"`,
		`a"b.mp4`:            `attachment; filename="a\"b.mp4"`,
		"../../etc/passwd":   `attachment; filename=.._.._etc_passwd`,
		"x\r\nSet-Cookie: y": `attachment; filename="x__Set-Cookie: y"`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("contentDisposition(%q) = %s, want %s", name, got, want)
		}
	}
	if got := contentDisposition("Démo.mp4"); !strings.HasPrefix(got, "attachment; filename*=utf-8''D%C3%A9mo.mp4") {
		t.Errorf("non-ASCII name: %s", got)
	}
}
