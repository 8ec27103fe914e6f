// Command baton is the Baton server and its command-line client.
//
//	baton serve                 API, web UI and in-process workers
//	baton worker                processing workers only (scale-out)
//	baton upload FILE [flags]   upload a video, wait for it, print its link
//	baton user add EMAIL        create an account (headless set-up)
//	baton version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	// The zone database in the binary: people's working hours need
	// Asia/Tokyo even in a container without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/frontend"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/chat"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/prommetrics"
	"github.com/baton-video/baton/media/s3store"
	"github.com/baton-video/baton/transcode"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.As(err, new(loggedError)) {
			fmt.Fprintln(os.Stderr, "baton:", err)
		}
		os.Exit(1)
	}
}

// loggedError is an error the logger already wrote (as JSON in json mode,
// where a plain line would break the one-object-a-line stream).
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	switch args[0] {
	case "serve", "worker":
		cfg, err := LoadConfig(os.Getenv)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		m := NewMain(cfg, newLogger(cfg, stderr))
		m.WorkerOnly = args[0] == "worker"
		m.Frontend = frontend.FS()
		if err := m.Open(ctx); err != nil {
			if cfg.LogFormat == "json" {
				m.Log.Error("baton could not start", "err", err)
				return loggedError{err}
			}
			return err
		}
		if !m.WorkerOnly {
			fmt.Fprintf(stdout, "Baton is running at %s\n", m.PublicURL())
		}
		<-ctx.Done()
		stop()
		m.Log.Info("shutting down")
		return m.Close()
	case "upload":
		return runUpload(args[1:], stdout, stderr)
	case "user":
		return runUser(args[1:], os.Stdin, stdout, stderr)
	case "healthcheck":
		return healthcheck(args[1:], os.Getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "baton", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}

// healthcheck asks the local server whether it is ready; for container
// health checks, where there is no curl. "healthcheck worker" asks a
// `baton worker`, which answers on its private listener.
func healthcheck(args []string, getenv func(string) string) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	addr := cfg.Addr
	switch {
	case len(args) == 1 && args[0] == "worker":
		if cfg.MetricsAddr == "" {
			return errors.New("a worker answers health checks on BATON_METRICS_ADDR, which is not set")
		}
		addr = cfg.MetricsAddr
	case len(args) > 0:
		return fmt.Errorf("usage: baton healthcheck [worker]")
	}
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", resp.Status)
	}
	return nil
}

const usage = `Usage:
  baton serve                  run the API, web UI and workers (configured by BATON_* variables)
  baton worker                 run processing workers only
  baton upload FILE [flags]    upload a video and print its share link (baton upload -h)
  baton user add EMAIL         create an account from the command line (baton user -h)
  baton healthcheck [worker]   exit 0 if the local server (or worker) is ready
  baton version
`

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Main is a running Baton: the process's dependencies wired together. Tests
// start it on 127.0.0.1:0 and drive it over HTTP.
type Main struct {
	Config     Config
	Log        *slog.Logger
	Frontend   fs.FS
	WorkerOnly bool

	DB      *gormstore.DB
	Blobs   media.BlobStore
	Service *media.Service
	Server  *api.Server
	Pool    *media.Pool
	// Record holds transcripts, chapters, thumbnails, search and trims.
	Record *media.Record
	// Comments holds the comment rules and their live hub.
	Comments *media.Comments
	// RateLimits bounds comment, reaction and video-creation writes; the
	// zero value is the defaults. Tests tighten them, benchmarks disable
	// them.
	RateLimits api.RateLimits
	// Accounts signs people in; AuthLimits bounds password guessing (zero:
	// the defaults) and Hasher hashes passwords (zero: argon2id's
	// defaults; tests make it cheaper).
	Accounts   *media.Accounts
	AuthLimits api.AuthLimits
	Hasher     media.PasswordHasher
	// Notify plans and sends notifications; NotifyPoll is how often its
	// sender looks for due email and webhooks (zero: 5 s).
	Notify     *media.Notifier
	NotifyPoll time.Duration
	// Asks and Receipts serve asks, reminders and watch receipts
	// (asks.go); AskPoll is how often overdue summaries are looked for
	// (zero: a minute). Clock, when set, is the time asks and
	// notifications go by (tests move it).
	Asks     *media.Asks
	Receipts *media.Receipts
	Checkins *media.Checkins
	AskPoll  time.Duration
	Clock    media.Clock

	// lock is the data dir's, held by `baton serve` (see lockDataDir);
	// scratch is this process's temp space under BATON_DATA_DIR/tmp.
	lock    *media.ProcessLock
	scratch *media.Scratch

	// Metrics are the process's Prometheus metrics (nil: off);
	// MetricsAddr is where the private metrics listener listens.
	Metrics     *prommetrics.Metrics
	MetricsAddr string

	ln          net.Listener
	unlockDB    func()
	metricsHTTP *http.Server
	http        *http.Server
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	started     time.Time
}

// NewMain returns an unopened Main.
func NewMain(cfg Config, log *slog.Logger) *Main {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Log: log}
}

// Open connects the dependencies, starts the workers and, unless WorkerOnly,
// listens for HTTP.
func (m *Main) Open(ctx context.Context) (err error) {
	cfg := m.Config
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("BATON_DATA_DIR: %w", err)
	}
	if !m.WorkerOnly {
		if m.lock, err = lockDataDir(filepath.Join(cfg.DataDir, "locks")); err != nil {
			return err
		}
	}
	// Every process gets its own scratch and removes only scratch whose
	// process is gone, so a `baton worker` beside `baton serve` (or a
	// second one started by mistake) never pulls files from a running job.
	if m.scratch, err = media.OpenScratch(filepath.Join(cfg.DataDir, "tmp"), filepath.Join(cfg.DataDir, "locks")); err != nil {
		return fmt.Errorf("BATON_DATA_DIR: %w", err)
	}
	if n := m.scratch.Sweep(cfg.OrphanAge); n > 0 {
		m.Log.Info("removed scratch of stopped processes", "scratch_dirs", n)
	}
	tc, err := transcode.New(transcode.Config{
		FFmpegPath: cfg.FFmpeg, FFprobePath: cfg.FFprobe,
		MaxPixels: cfg.MaxPixels, MaxDuration: cfg.MaxDuration, ProcessTimeout: cfg.FFmpegTimeout,
		Logger: m.Log,
	})
	if err != nil {
		return err
	}
	if err := m.openDatabase(ctx); err != nil {
		return err
	}
	m.setupMetrics()
	// presigner serves media by redirect, when the store is S3 with a
	// public URL viewers can reach.
	var presigner media.Presigner
	switch {
	case m.Blobs != nil:
		// Set by the caller before Open (tests that watch the store's calls).
	case cfg.S3Endpoint != "":
		var st *s3store.Store
		st, err = s3store.New(ctx, s3store.Config{
			Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, UseTLS: cfg.S3UseTLS,
			PathStyle: cfg.S3PathStyle, PublicURL: cfg.S3PublicURL,
		})
		if err != nil {
			return fmt.Errorf("object storage (BATON_S3_*): %w", err)
		}
		m.Blobs = st
		if cfg.S3PublicURL != "" {
			presigner = st
		}
	default:
		m.Blobs, err = diskstore.New(filepath.Join(cfg.DataDir, "objects"))
		if err != nil {
			return err
		}
	}
	m.Service = &media.Service{
		Videos: m.DB, Jobs: m.DB, Blobs: m.Blobs, Transcoder: m.timed(tc),
		Events: media.NewBroker(), Log: m.Log, Scratch: m.scratch,
	}
	// Other processes' changes reach this process's live pages (Postgres).
	m.DB.OnVideoChange(m.Service.Events.Publish)
	if lt, ok := m.Service.Transcoder.(media.LiveTranscoder); ok && !m.WorkerOnly {
		m.Service.Live = &media.LiveSessions{Svc: m.Service, Transcoder: lt, TempDir: m.scratch.Dir(), Log: m.Log,
			Admission: &media.Admission{MaxLive: cfg.MaxLive, MaxRSS: cfg.LiveMaxMemory, PromoteBytes: media.DefaultPromoteBytes}}
	}
	transcriber, err := newTranscriber(cfg, m.Log)
	if err != nil {
		return err
	}
	m.Record = &media.Record{
		Store: m.DB, Videos: m.DB, Jobs: m.DB, Blobs: m.Blobs,
		Transcriber: transcriber, Audio: tc, Cutter: tc,
		Language: cfg.TranscribeLanguage, OffHint: offHint, Log: m.Log,
		MaxFollowUps: cfg.Workers, Notices: m.DB,
	}
	if cfg.Thumbnails {
		m.Record.Thumbnailer = tc
	}
	m.Record.Summaries = m.DB
	if cfg.LLMURL != "" {
		m.Record.Summarizer = &chat.Client{URL: cfg.LLMURL, Key: cfg.LLMKey, Model: cfg.LLMModel}
	}
	m.Service.Record = m.Record
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.started = time.Now()
	if err := m.openNotify(ctx); err != nil { // notify.go
		return err
	}
	m.openAsks() // asks.go

	if cfg.Workers > 0 {
		wc := media.WorkerConfig{
			Workers: cfg.Workers, Lease: cfg.JobLease, BackoffBase: cfg.JobBackoff, TempDir: m.scratch.Dir(),
		}
		if m.Service.Live != nil {
			// One budget: jobs also run on the live slots no recording
			// holds, and give them back when a recording needs one.
			wc.Budget = m.Service.Live.Admission
		}
		m.Pool = media.NewPool(m.Service, wc)
		m.Service.Wake = m.Pool.Wake
		m.DB.OnNotice("j", func(string) { m.Pool.Wake() })
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.Pool.Run(runCtx)
		}()
		// Ready videos get their transcript and thumbnails from here on;
		// every process with workers sweeps (the sweep is idempotent).
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.Record.RunSweeper(runCtx, 2*time.Second, m.Pool.Wake)
		}()
	}
	if err := m.serveMetrics(runCtx); err != nil {
		return err
	}
	m.startSingletons(runCtx)
	if m.WorkerOnly {
		m.runNotify(runCtx)
		m.runAsks(runCtx)
		m.Log.Info("baton worker started", "workers", cfg.Workers, "storage", storageName(cfg), "version", version)
		return nil
	}

	m.Comments = media.NewComments(m.DB, m.DB, m.Service.Events)
	m.Comments.Notify = m.Notify
	m.Accounts = m.newAccounts()
	m.Server, err = api.New(api.Options{
		Accounts: m.Accounts, AuthLimits: m.AuthLimits, Notify: m.Notify, Asks: m.Asks, Receipts: m.Receipts, Checkins: m.Checkins,
		Service: m.Service, Comments: m.Comments, RateLimits: m.RateLimits, PublicURL: cfg.PublicURL,
		StagingDir: filepath.Join(cfg.DataDir, "uploads"), MaxUploadBytes: cfg.MaxUploadBytes,
		Frontend: m.Frontend, TrustedProxies: cfg.TrustedProxies, Presigner: presigner, PresignTTL: cfg.PresignTTL,
		UploadExpiry: cfg.UploadExpiry, OrphanAge: cfg.OrphanAge, MaxRecording: cfg.MaxRecording, Log: m.Log,
		UploadOwners: m.uploadOwners(),
		Metrics:      m.apiMetrics(), MetricsToken: cfg.MetricsToken,
	})
	if err != nil {
		return err
	}
	m.Server.Start(runCtx)
	m.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("BATON_ADDR: %w", err)
	}
	if strings.HasSuffix(cfg.Addr, ":0") && cfg.PublicURL == "http://"+cfg.Addr {
		// Tests listen on a random port; links must name the real one.
		m.Config.PublicURL = "http://" + m.ln.Addr().String()
		m.Server.SetPublicURL(m.Config.PublicURL)
		m.Notify.SetPublicURL(m.Config.PublicURL)
	}
	m.runNotify(runCtx)
	m.runAsks(runCtx)
	if cfg.Postgres() {
		m.Server.SetInternalURL(cfg.internalURL(m.ln.Addr().String()))
	}
	m.http = &http.Server{
		Handler: m.Server.Handler(),
		// Slowloris protection; bodies (uploads) have tusd's own timeouts.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return runCtx },
	}
	m.http.RegisterOnShutdown(m.Server.CloseStreams)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server", "err", err)
		}
	}()
	m.Log.Info("baton started", "addr", m.ln.Addr().String(), "public_url", m.Config.PublicURL,
		"workers", cfg.Workers, "storage", storageName(cfg), "version", version)
	return nil
}

func storageName(cfg Config) string {
	if cfg.S3Endpoint != "" {
		return "s3://" + cfg.S3Endpoint + "/" + cfg.S3Bucket
	}
	return "disk"
}

// PublicURL is the base of links to this server.
func (m *Main) PublicURL() string { return m.Config.PublicURL }

// Close stops accepting requests, lets in-flight ones finish (up to a
// deadline), stops the workers (releasing their jobs) and closes the stores.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	}
	if m.metricsHTTP != nil {
		errs = append(errs, m.metricsHTTP.Close())
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.Service != nil {
		m.Service.Live.Close()
	}
	m.wg.Wait()
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
		m.DB = nil
	}
	if m.unlockDB != nil {
		m.unlockDB()
		m.unlockDB = nil
	}
	errs = append(errs, m.scratch.Close())
	m.scratch = nil
	// Last: the data dir is free once nothing of ours uses it.
	errs = append(errs, m.lock.Release())
	m.lock = nil
	return errors.Join(errs...)
}

// lockDataDir takes the data dir's lock for `baton serve`: one server per
// data dir, because an upload's staged bytes, its live session and the
// SQLite writer belong to one process. A second one is refused with a
// message naming the holder. (`baton worker` takes no lock: it shares only
// the database and the object store, and keeps to its own scratch.)
func lockDataDir(locks string) (*media.ProcessLock, error) {
	if err := os.MkdirAll(locks, 0o750); err != nil {
		return nil, fmt.Errorf("BATON_DATA_DIR: %w", err)
	}
	l, err := media.LockFile(filepath.Join(locks, "serve.lock"))
	if media.ErrorCode(err) == media.ECONFLICT {
		return nil, fmt.Errorf("BATON_DATA_DIR %s is in use by another baton serve: %s. Stop that one first, or give this one its own BATON_DATA_DIR", filepath.Dir(locks), media.ErrorMessage(err))
	}
	if err != nil {
		return nil, fmt.Errorf("BATON_DATA_DIR: %w", err)
	}
	return l, nil
}
