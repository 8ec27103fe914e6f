package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/prommetrics"
)

// /metrics answers only with the token on the public listener, and without
// one on the private listener; after an upload it shows requests by route
// template, upload bytes, ffmpeg time and the queue.
func TestMetrics(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) {
		c.MetricsToken = "metrics-secret"
		c.MetricsAddr = "127.0.0.1:0"
		c.WebhookAllowPrivate = true // the receiver below is on loopback
	}))
	// A real receiver for one webhook delivery, counted by channel and
	// outcome.
	hooked := make(chan struct{}, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hooked <- struct{}{}
	}))
	defer receiver.Close()
	var hook struct{ ID string }
	if resp := s.do(t, "POST", "/api/webhooks", map[string]any{"url": receiver.URL + "/hook", "events": []string{"video.ready"}}, &hook); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create webhook: %s", resp.Status)
	}
	if resp := s.do(t, "POST", "/api/webhooks/"+hook.ID+"/test", nil, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("test webhook: %s", resp.Status)
	}
	select {
	case <-hooked:
	case <-time.After(30 * time.Second):
		t.Fatal("the test webhook never arrived")
	}
	src := filepath.Join(t.TempDir(), "phone.mp4")
	mediatest.MustMP4(t, src, 1, "160x120")
	v := s.MustCreateVideo(t, "metered")
	if resp, body := uploadChunks(t, v.UploadURL, mustRead(t, src), 3); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	s.waitStatus(t, v.ID, time.Minute, "ready")
	s.waitJobsDone(t, time.Minute)

	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(s.URL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", code)
	}
	if code, _ := get(s.URL+"/metrics", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d, want 401", code)
	}
	code, body := get(s.URL+"/metrics", "metrics-secret")
	if code != http.StatusOK {
		t.Fatalf("with token: %d", code)
	}
	for _, want := range []string{
		`baton_http_requests_total{method="POST",role="serve",route="/api/videos",status="201"} 1`,
		`baton_http_requests_total{method="PATCH",role="serve",route="/api/uploads/:id",status="204"} 3`,
		`baton_upload_bytes_total{path="local",role="serve"}`,
		`baton_ffmpeg_seconds_total{kind="process",role="serve"}`,
		`baton_ffmpeg_runs_total{kind="process",outcome="ok",role="serve"} 1`,
		`baton_jobs{role="serve",state="queued"} 0`,
		`baton_videos{role="serve",status="ready"} 1`,
		`baton_sse_clients{role="serve"} 0`,
		`baton_live_sessions{role="serve"} 0`,
		`baton_database_up{role="serve"} 1`,
		`baton_notification_deliveries_total{channel="webhook",outcome="sent",role="serve"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
	code, priv := get("http://"+s.MetricsAddr+"/metrics", "")
	if code != http.StatusOK || !strings.Contains(priv, "baton_http_requests_total") {
		t.Fatalf("private listener: %d", code)
	}

	// Without a token the public listener has no /metrics at all.
	plain := MustStart(t, testConfig(t, t.TempDir(), nil))
	if code, _ := get(plain.URL+"/metrics", "anything"); code != http.StatusNotFound {
		t.Fatalf("metrics off: %d, want 404", code)
	}
}

type stubPoster struct{ status int }

func (p stubPoster) Post(context.Context, string, map[string]string, []byte) (int, error) {
	return p.status, nil
}

// Webhook attempts are counted by outcome: 2xx is sent, anything else an
// error (the notifier retries it or gives up).
func TestMetricsCountDeliveries(t *testing.T) {
	m := &Main{Metrics: prommetrics.New("serve", prommetrics.Sources{})}
	for _, st := range []int{204, 500, 200} {
		if _, err := m.countHooks(stubPoster{st}).Post(context.Background(), "http://x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`baton_notification_deliveries_total{channel="webhook",outcome="sent",role="serve"} 2`,
		`baton_notification_deliveries_total{channel="webhook",outcome="error",role="serve"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
