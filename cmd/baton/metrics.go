package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/prommetrics"
)

// setupMetrics creates the process's metrics when an operator asked for
// them (a token for the public listener, or a private listener).
func (m *Main) setupMetrics() {
	cfg := m.Config
	if cfg.MetricsToken == "" && cfg.MetricsAddr == "" {
		return
	}
	role := "serve"
	if m.WorkerOnly {
		role = "worker"
	}
	m.Metrics = prommetrics.New(role, prommetrics.Sources{
		Jobs: func(ctx context.Context) (prommetrics.JobStats, error) {
			st, err := m.DB.JobStats(ctx)
			return prommetrics.JobStats{
				Queued: st.Queued, Running: st.Running, OldestQueued: st.OldestQueued,
				OldestRunning: st.OldestRunning, VideosByStatus: st.VideosByStatus,
			}, err
		},
		LiveSessions: func() int { return m.Service.Live.Count() },
		SSEClients: func() int {
			if c := m.Comments; c != nil {
				return c.Hub.Total()
			}
			return 0
		},
	})
	m.DB.OnFeedLag(m.Metrics.ObserveFeedLag)
}

// apiMetrics is m.Metrics as the API takes it (a nil interface when off).
func (m *Main) apiMetrics() api.Metrics {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

// serveMetrics starts the private listener (/metrics, /healthz, /readyz),
// if configured.
func (m *Main) serveMetrics(ctx context.Context) error {
	if m.Config.MetricsAddr == "" || m.Metrics == nil {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("BATON_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Metrics.Handler())
	// A `baton worker` has no other listener: this is where an orchestrator
	// asks whether it is alive and whether it can work (the API's checks).
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		checks, ok := m.Service.Readiness(ctx)
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": ok, "checks": checks})
	})
	m.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	m.MetricsAddr = ln.Addr().String()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.metricsHTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("metrics server", "err", err)
		}
	}()
	return nil
}

// timedTranscoder reports every ffmpeg and ffprobe run to the metrics, by
// kind, around the real transcoder.
type timedTranscoder struct {
	media.Transcoder
	m *prommetrics.Metrics
}

var (
	_ media.LiveTranscoder = timedTranscoder{}
	_ media.Remuxer        = timedTranscoder{}
)

// timed wraps tc when metrics are on.
func (m *Main) timed(tc media.Transcoder) media.Transcoder {
	if m.Metrics == nil {
		return tc
	}
	return timedTranscoder{Transcoder: tc, m: m.Metrics}
}

func (t timedTranscoder) Inspect(ctx context.Context, path string) (*media.MediaInfo, error) {
	start := time.Now()
	info, err := t.Transcoder.Inspect(ctx, path)
	t.m.ObserveFFmpeg("probe", time.Since(start), err)
	return info, err
}

func (t timedTranscoder) Process(ctx context.Context, req media.ProcessRequest) (*media.ProcessResult, error) {
	start := time.Now()
	res, err := t.Transcoder.Process(ctx, req)
	t.m.ObserveFFmpeg("process", time.Since(start), err)
	return res, err
}

func (t timedTranscoder) Faststart(ctx context.Context, in, out string) error {
	rm, ok := t.Transcoder.(media.Remuxer)
	if !ok {
		return media.Errorf(media.EUNSUPPORTED, "This transcoder cannot remux.")
	}
	start := time.Now()
	err := rm.Faststart(ctx, in, out)
	t.m.ObserveFFmpeg("faststart", time.Since(start), err)
	return err
}

func (t timedTranscoder) Live(ctx context.Context, req media.LiveRequest) (*media.LiveResult, error) {
	lt, ok := t.Transcoder.(media.LiveTranscoder)
	if !ok {
		return nil, media.Errorf(media.EUNSUPPORTED, "This transcoder cannot transcode live.")
	}
	start := time.Now()
	res, err := lt.Live(ctx, req)
	t.m.ObserveFFmpeg("live", time.Since(start), err)
	return res, err
}

func (t timedTranscoder) Poster(ctx context.Context, video, out string, atMs int64) error {
	lt, ok := t.Transcoder.(media.LiveTranscoder)
	if !ok {
		return media.Errorf(media.EUNSUPPORTED, "This transcoder cannot make posters.")
	}
	start := time.Now()
	err := lt.Poster(ctx, video, out, atMs)
	t.m.ObserveFFmpeg("poster", time.Since(start), err)
	return err
}

// countMail counts each email delivery attempt in the metrics (sent or
// error); the notifier decides what an error means (retry or give up).
func (m *Main) countMail(mailer media.Mailer) media.Mailer {
	if m.Metrics == nil {
		return mailer
	}
	return countedMailer{mailer, m.Metrics}
}

type countedMailer struct {
	media.Mailer
	m *prommetrics.Metrics
}

func (c countedMailer) Send(ctx context.Context, msg *media.EmailMessage) error {
	err := c.Mailer.Send(ctx, msg)
	c.m.CountDelivery("email", outcome(err == nil))
	return err
}

// countHooks counts each webhook delivery attempt (sent: a 2xx answer).
func (m *Main) countHooks(p media.WebhookPoster) media.WebhookPoster {
	if m.Metrics == nil {
		return p
	}
	return countedPoster{p, m.Metrics}
}

type countedPoster struct {
	media.WebhookPoster
	m *prommetrics.Metrics
}

func (c countedPoster) Post(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	status, err := c.WebhookPoster.Post(ctx, url, headers, body)
	c.m.CountDelivery("webhook", outcome(err == nil && status >= 200 && status < 300))
	return status, err
}

func outcome(ok bool) string {
	if ok {
		return "sent"
	}
	return "error"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
