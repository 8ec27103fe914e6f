package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/mediatest"
)

// pingSwitch is a blob store whose Ping fails while down is set.
type pingSwitch struct {
	media.BlobStore
	down atomic.Bool
}

func (p *pingSwitch) Ping(ctx context.Context) error {
	if p.down.Load() {
		return errors.New("object store unreachable")
	}
	return p.BlobStore.Ping(ctx)
}

// TestWorkerAnswersHealthChecks: a `baton worker` has no API, so it answers
// /healthz and /readyz on its private listener (BATON_METRICS_ADDR), with
// the API's checks, and `baton healthcheck worker` asks there: ready while
// the database and the store answer, 503 naming the store while it does
// not.
func TestWorkerAnswersHealthChecks(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), func(c *Config) {
		c.DatabaseURL = mediatest.PostgresURL(t) // a worker beside an API needs Postgres
		c.MetricsAddr = "127.0.0.1:0"
	})
	disk, err := diskstore.New(filepath.Join(cfg.DataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := &pingSwitch{BlobStore: disk}
	m := NewMain(cfg, testLogger(t))
	m.WorkerOnly = true
	m.Blobs = blobs
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.MetricsAddr
	getenv := func(k string) string {
		if k == "BATON_METRICS_ADDR" {
			return m.MetricsAddr
		}
		return ""
	}
	ready := func() (int, bool, map[string]string) {
		t.Helper()
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Ready  bool
			Checks map[string]string
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("readyz body: %v", err)
		}
		return resp.StatusCode, body.Ready, body.Checks
	}

	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %v, %v", resp, err)
	}
	if code, ok, checks := ready(); code != http.StatusOK || !ok || checks["database"] != "ok" || checks["objectStore"] != "ok" {
		t.Fatalf("readyz = %d %v %v, want 200 with both checks ok", code, ok, checks)
	}
	if err := healthcheck([]string{"worker"}, getenv); err != nil {
		t.Fatalf("baton healthcheck worker: %v", err)
	}

	blobs.down.Store(true)
	if code, ok, checks := ready(); code != http.StatusServiceUnavailable || ok || checks["objectStore"] == "ok" || checks["database"] != "ok" {
		t.Fatalf("readyz with the store down = %d %v %v, want 503 naming the store", code, ok, checks)
	}
	if err := healthcheck([]string{"worker"}, getenv); err == nil {
		t.Fatal("baton healthcheck worker passed with the store down")
	}
	if err := healthcheck([]string{"worker"}, func(string) string { return "" }); err == nil {
		t.Fatal("baton healthcheck worker passed without BATON_METRICS_ADDR")
	}
}
