// Package prommetrics exposes what an operator of Baton watches in the
// Prometheus text format, through prometheus/client_golang: HTTP requests
// and latency by route template and status, the job queue (queued and
// running jobs and the age of the oldest, videos per status), live
// recording sessions, ffmpeg seconds by kind, SSE clients, upload bytes,
// notification deliveries by channel and outcome, and how late changes
// made by other processes arrive here (the Postgres change feed).
//
// Each process serves its own figures, labelled with its role (serve or
// worker); Prometheus adds the instance. State that lives in the database
// (the queue) is read when scraped, so every process reports the same
// queue: aggregate it with max(), not sum().
package prommetrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// JobStats is the queue as the database holds it.
type JobStats struct {
	Queued, Running             int64
	OldestQueued, OldestRunning time.Duration // 0 when none
	VideosByStatus              map[string]int64
}

// Sources are read at every scrape; any may be nil.
type Sources struct {
	Jobs         func(ctx context.Context) (JobStats, error)
	LiveSessions func() int
	SSEClients   func() int
}

// Metrics holds one process's collectors.
type Metrics struct {
	reg         *prometheus.Registry
	httpReqs    *prometheus.CounterVec
	httpDur     *prometheus.HistogramVec
	ffmpegSecs  *prometheus.CounterVec
	ffmpegRuns  *prometheus.CounterVec
	uploadBytes *prometheus.CounterVec
	feedLag     *prometheus.HistogramVec
	deliveries  *prometheus.CounterVec
}

// New registers Baton's metrics; role names the kind of process ("serve",
// "worker") on every series.
func New(role string, src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	labels := prometheus.Labels{"role": role}
	m := &Metrics{
		reg: reg,
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_http_requests_total", Help: "HTTP requests by route template, method and status.", ConstLabels: labels,
		}, []string{"route", "method", "status"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_http_request_duration_seconds", Help: "HTTP request latency by route template and method (event streams last as long as the viewer stays).", ConstLabels: labels,
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		ffmpegSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_ffmpeg_seconds_total", Help: "Wall-clock seconds spent in ffmpeg/ffprobe runs, by kind (probe, process, faststart, live, poster).", ConstLabels: labels,
		}, []string{"kind"}),
		ffmpegRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_ffmpeg_runs_total", Help: "ffmpeg/ffprobe runs by kind and outcome (ok, error).", ConstLabels: labels,
		}, []string{"kind", "outcome"}),
		uploadBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_upload_bytes_total", Help: "Upload bytes received by this process: stored here (local) or passed to the process holding the upload (forwarded).", ConstLabels: labels,
		}, []string{"path"}),
		feedLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_event_lag_seconds", Help: "Time from a change's commit to this process hearing of it through the change feed, by kind (c: comment events, v: videos).", ConstLabels: labels,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_notification_deliveries_total", Help: "Notification delivery attempts by channel (email, webhook) and outcome (sent; error: refused or unreachable, retried or given up by the notifier).", ConstLabels: labels,
		}, []string{"channel", "outcome"}),
	}
	f(m.httpReqs)
	f(m.httpDur)
	f(m.ffmpegSecs)
	f(m.ffmpegRuns)
	f(m.uploadBytes)
	f(m.feedLag)
	f(m.deliveries)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f(&stateCollector{src: src, labels: labels})
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveHTTP records one answered request; route is the template
// ("/api/videos/:id"), never the raw path, so ids do not explode the series.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpReqs.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDur.WithLabelValues(route, method).Observe(d.Seconds())
}

// AddUploadBytes counts upload bytes; forwarded is set for bytes passed on
// to another process.
func (m *Metrics) AddUploadBytes(n int64, forwarded bool) {
	path := "local"
	if forwarded {
		path = "forwarded"
	}
	m.uploadBytes.WithLabelValues(path).Add(float64(n))
}

// ObserveFFmpeg records one ffmpeg or ffprobe run.
func (m *Metrics) ObserveFFmpeg(kind string, d time.Duration, err error) {
	m.ffmpegSecs.WithLabelValues(kind).Add(d.Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.ffmpegRuns.WithLabelValues(kind, outcome).Inc()
}

// ObserveFeedLag records how late a relayed change arrived.
func (m *Metrics) ObserveFeedLag(kind string, d time.Duration) {
	m.feedLag.WithLabelValues(kind).Observe(d.Seconds())
}

// CountDelivery records one notification delivery attempt.
func (m *Metrics) CountDelivery(channel, outcome string) {
	m.deliveries.WithLabelValues(channel, outcome).Inc()
}

// stateCollector reads the sources at scrape time.
type stateCollector struct {
	src    Sources
	labels prometheus.Labels
}

func (c *stateCollector) desc(name, help string, vars ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, vars, c.labels)
}

func (c *stateCollector) descs() (jobs, age, videos, live, sse, up *prometheus.Desc) {
	return c.desc("baton_jobs", "Jobs in the queue by state (queued, running); the same in every process.", "state"),
		c.desc("baton_job_oldest_age_seconds", "Age of the oldest job by state: how long it has waited (queued) or run (running).", "state"),
		c.desc("baton_videos", "Videos by status (failed included); the same in every process.", "status"),
		c.desc("baton_live_sessions", "Recordings this process is transcoding while they upload."),
		c.desc("baton_sse_clients", "Event streams (watch pages) open on this process."),
		c.desc("baton_database_up", "1 if the last scrape could read the queue from the database.")
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	jobs, age, videos, live, sse, up := c.descs()
	for _, d := range []*prometheus.Desc{jobs, age, videos, live, sse, up} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	jobs, age, videos, live, sse, up := c.descs()
	if c.src.Jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		st, err := c.src.Jobs(ctx)
		cancel()
		if err != nil {
			ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0)
		} else {
			ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1)
			ch <- prometheus.MustNewConstMetric(jobs, prometheus.GaugeValue, float64(st.Queued), "queued")
			ch <- prometheus.MustNewConstMetric(jobs, prometheus.GaugeValue, float64(st.Running), "running")
			ch <- prometheus.MustNewConstMetric(age, prometheus.GaugeValue, st.OldestQueued.Seconds(), "queued")
			ch <- prometheus.MustNewConstMetric(age, prometheus.GaugeValue, st.OldestRunning.Seconds(), "running")
			for status, n := range st.VideosByStatus {
				ch <- prometheus.MustNewConstMetric(videos, prometheus.GaugeValue, float64(n), status)
			}
		}
	}
	if c.src.LiveSessions != nil {
		ch <- prometheus.MustNewConstMetric(live, prometheus.GaugeValue, float64(c.src.LiveSessions()))
	}
	if c.src.SSEClients != nil {
		ch <- prometheus.MustNewConstMetric(sse, prometheus.GaugeValue, float64(c.src.SSEClients()))
	}
}
