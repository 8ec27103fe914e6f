package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/mediatest"
)

// TestScaleOutBehindCaddy puts the load balancer of the compose profile
// (Caddy with configs/Caddyfile, only the upstream addresses and the port
// changed) in front of two API processes and a worker: uploads and their
// chunks spread over both APIs by round robin end ready, a comment posted
// through Caddy reaches a live stream held open through Caddy (so streams
// are not buffered), and with one API killed, requests keep succeeding on
// the other (retries, then health checks on /readyz).
func TestScaleOutBehindCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postgres, MinIO, Caddy and three Baton processes")
	}
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("caddy is not installed (Debian package caddy; `make test` installs it): %v", err)
		}
		t.Skipf("caddy is not installed: %v", err)
	}
	requireFFmpeg(t)
	bin := buildBaton(t)
	dbURL := mediatest.PostgresURL(t)
	minio := mediatest.StartMinIO(t)
	db, err := gormstore.OpenURL(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	provisionAuth(t, db)
	db.Close()

	lbAddr := freeAddr(t)
	lbURL := "http://" + lbAddr
	common := []string{
		"BATON_DATABASE_URL=" + dbURL,
		"BATON_S3_ENDPOINT=" + minio.Endpoint, "BATON_S3_ACCESS_KEY=" + minio.AccessKey,
		"BATON_S3_SECRET_KEY=" + minio.SecretKey, "BATON_S3_BUCKET=baton-caddy",
		"BATON_JOB_LEASE=2s", "BATON_LOG_LEVEL=warn", "BATON_PUBLIC_URL=" + lbURL,
		"BATON_TRUSTED_PROXIES=127.0.0.1",
	}
	var apis []*process
	for i := range 2 {
		addr := freeAddr(t)
		apis = append(apis, startBaton(t, bin, "serve", "http://"+addr, append(common,
			"BATON_ADDR="+addr, "BATON_DATA_DIR="+filepath.Join(t.TempDir(), fmt.Sprintf("api%d", i)), "BATON_WORKERS=0")))
	}
	startBaton(t, bin, "worker", "", append(common, "BATON_DATA_DIR="+t.TempDir(), "BATON_WORKERS=2"))

	conf, err := os.ReadFile("../../configs/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(conf), "api1:8080 api2:8080", strings.TrimPrefix(apis[0].url, "http://")+" "+strings.TrimPrefix(apis[1].url, "http://"), 1)
	c = strings.Replace(c, "\n:8080 {", "\nhttp://"+lbAddr+" {", 1)
	if c == string(conf) || !strings.Contains(c, lbAddr+" {") {
		t.Fatal("configs/Caddyfile no longer has the upstreams or the site address this test rewrites")
	}
	cfile := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(cfile, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	lb := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", cfile)
	lb.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	lb.Stdout, lb.Stderr = tbWriter{t}, tbWriter{t}
	lb.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := lb.Start(); err != nil {
		t.Fatal(err)
	}
	lbDone := make(chan struct{})
	go func() { lb.Wait(); close(lbDone) }()
	t.Cleanup(func() {
		_ = lb.Process.Signal(syscall.SIGKILL)
		<-lbDone
	})
	eventually(t, 15*time.Second, "caddy did not start", func() bool {
		conn, err := net.Dial("tcp", lbAddr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	s := &testServer{URL: lbURL}

	// Uploads: creation and every chunk spread over both APIs.
	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 2, "160x120")
	data := mustRead(t, src)
	var ids []string
	for i := range 4 {
		v := s.MustCreateVideo(t, fmt.Sprintf("through caddy %d", i))
		if resp, body := uploadChunks(t, v.UploadURL, data, 4); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("upload %d through caddy: %s %s", i, resp.Status, body)
		}
		ids = append(ids, v.ID)
	}
	for _, id := range ids {
		if v := s.waitStatus(t, id, 2*time.Minute, "ready", "failed"); v.Status != "ready" {
			t.Fatalf("through caddy: %s (%s)", v.Status, v.Error)
		}
	}

	// A live stream through Caddy gets a comment posted through Caddy.
	var v commentedVideo
	s.mustCall(t, "GET", "/api/videos/"+ids[0], nil, hdr("Authorization", "Bearer "+testToken), 200, &v)
	share := "/api/share/" + v.Slug
	ch, stop := s.openEvents(t, share, "", nil)
	if ev := next(t, ch, 5*time.Second); ev.Event != "sync" {
		t.Fatalf("first event through caddy: %+v", ev)
	}
	for i := range 4 {
		t0 := time.Now()
		c := s.mustComment(t, share, map[string]any{"body": fmt.Sprintf("via caddy %d", i), "timeMs": 0, "guestName": "G"},
			hdr("X-Guest-Secret", media.NewGuestSecret(), "X-Forwarded-For", fmt.Sprintf("10.2.0.%d", i+1)))
		ev := decodeEvent(t, next(t, ch, 2*time.Second))
		if ev.Comment.ID != c.ID {
			t.Fatalf("event %d through caddy: %+v, want comment %s", i, ev, c.ID)
		}
		t.Logf("comment %d through caddy delivered in %v", i, time.Since(t0).Round(time.Microsecond))
	}
	stop()

	// One API dies: requests through Caddy keep being answered.
	if err := apis[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-apis[1].done
	for i := range 10 {
		var got apiVideo
		if resp := s.do(t, "GET", "/api/videos/"+ids[i%len(ids)], nil, &got); resp.StatusCode != http.StatusOK || got.Status != "ready" {
			t.Fatalf("request %d with one API dead: %s", i, resp.Status)
		}
	}
}
