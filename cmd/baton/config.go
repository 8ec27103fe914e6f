package main

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/smtpmail"
)

// Config is everything Baton can be told, parsed once at start and passed
// down as values.
type Config struct {
	Addr        string
	PublicURL   string
	DataDir     string
	DatabaseURL string
	InternalURL string

	S3Endpoint  string
	S3Bucket    string
	S3AccessKey string
	S3SecretKey string
	S3Region    string
	S3UseTLS    bool
	S3PathStyle bool
	S3PublicURL string
	PresignTTL  time.Duration

	Workers        int
	MaxLive        int
	LiveMaxMemory  int64 // bytes
	JobLease       time.Duration
	JobBackoff     time.Duration
	MaxUploadBytes int64
	MaxRecording   time.Duration
	MaxDuration    time.Duration
	MaxPixels      int64
	UploadExpiry   time.Duration
	OrphanAge      time.Duration
	TrustedProxies []string

	Signup     bool
	SessionTTL time.Duration

	// Notifications (media.Notifier).
	SMTPURL             string
	MailFrom            string
	NotifyBundle        time.Duration
	DefaultTimeZone     string
	DefaultWorkingHours media.WorkingHours
	WebhookAllowPrivate bool

	// Asks (media.Asks): reminders this long before a reply-by time.
	AskRemind []time.Duration

	FFmpeg        string
	FFprobe       string
	FFmpegTimeout time.Duration
	MetricsToken  string
	MetricsAddr   string

	// The written record (record.go): which transcription engine, and
	// each engine's settings.
	Transcribe         string
	TranscribeLanguage string
	WhisperBin         string
	WhisperModel       string
	WhisperThreads     int
	TranscribeURL      string
	TranscribeKey      string
	TranscribeModel    string
	PocketsphinxBin    string
	// Summaries from a chat model (off unless LLMURL is set).
	LLMURL     string
	LLMKey     string
	LLMModel   string
	Thumbnails bool
	LogFormat  string
	LogLevel   string
}

// setting is one configuration value: its environment variable, its key in
// the YAML file (the variable without BATON_, lower-case), its default and
// what it means. The table drives parsing, the example file and the README.
type setting struct {
	Env     string
	Default string
	Help    string
	set     func(c *Config, v string) error
}

func (s setting) yamlKey() string { return strings.ToLower(strings.TrimPrefix(s.Env, "BATON_")) }

// defaultMaxLive is two live sessions per core: a live session copies a
// browser recording's video and converts its audio, a few percent of a
// core, so the bound is set by the burst at Stop and by memory (see
// media.Admission).
func defaultMaxLive() string { return strconv.Itoa(2 * runtime.NumCPU()) }

func defaultWorkers() string {
	n := runtime.NumCPU() / 2
	if n < 1 {
		n = 1
	}
	return strconv.Itoa(n)
}

var settings = []setting{
	{"BATON_ADDR", "127.0.0.1:8080", "Address the HTTP server listens on (host:port).", func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("must be host:port, e.g. 127.0.0.1:8080")
		}
		c.Addr = v
		return nil
	}},
	{"BATON_PUBLIC_URL", "", "Base URL of share links as people reach Baton, e.g. https://baton.example.com. Default: http://BATON_ADDR.", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL, e.g. https://baton.example.com")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"BATON_DATA_DIR", "./data", "Directory for the SQLite database, local objects, upload staging and temp files.", func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{"BATON_DATABASE_URL", "", "Metadata database. Empty: SQLite file BATON_DATA_DIR/baton.db (one process). sqlite:///path/to/file.db for another file. postgres://user:pass@host:5432/db?sslmode=... for Postgres, which several `baton serve` and `baton worker` processes can share.", func(c *Config, v string) error {
		switch {
		case v == "", strings.HasPrefix(v, "sqlite://"):
		case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
			u, err := url.Parse(v)
			if err != nil || u.Host == "" {
				return fmt.Errorf("must be a URL like postgres://user:password@host:5432/baton")
			}
		default:
			return fmt.Errorf("must start with sqlite:// or postgres:// (got scheme %q)", strings.SplitN(v, ":", 2)[0])
		}
		c.DatabaseURL = v
		return nil
	}},
	{"BATON_INTERNAL_URL", "", "Base URL at which the other Baton processes reach this one (Postgres only): an upload's requests that land elsewhere are forwarded to the process holding it. Default: http://BATON_ADDR, with this machine's hostname for an unspecified host.", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL, e.g. http://baton-api-1:8080")
		}
		c.InternalURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"BATON_S3_ENDPOINT", "", "S3-compatible endpoint host:port (e.g. 127.0.0.1:9000 for MinIO, s3.amazonaws.com). Empty: objects on local disk in BATON_DATA_DIR/objects.", strSetting(func(c *Config) *string { return &c.S3Endpoint })},
	{"BATON_S3_BUCKET", "baton", "Bucket for originals and outputs; created if missing.", strSetting(func(c *Config) *string { return &c.S3Bucket })},
	{"BATON_S3_ACCESS_KEY", "", "S3 access key.", strSetting(func(c *Config) *string { return &c.S3AccessKey })},
	{"BATON_S3_SECRET_KEY", "", "S3 secret key.", strSetting(func(c *Config) *string { return &c.S3SecretKey })},
	{"BATON_S3_REGION", "", "S3 region (empty for MinIO).", strSetting(func(c *Config) *string { return &c.S3Region })},
	{"BATON_S3_USE_TLS", "false", "Use HTTPS to reach the S3 endpoint.", boolSetting(func(c *Config) *bool { return &c.S3UseTLS })},
	{"BATON_S3_PATH_STYLE", "true", "Path-style bucket addressing (MinIO, most self-hosted stores); false for virtual-host style.", boolSetting(func(c *Config) *bool { return &c.S3PathStyle })},
	{"BATON_S3_PUBLIC_URL", "", "If set, viewers fetch media from the store directly through short-lived presigned URLs on this base URL; otherwise Baton proxies the bytes.", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL")
		}
		c.S3PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"BATON_PRESIGN_TTL", "5m", "Lifetime of presigned media URLs.", durSetting(func(c *Config) *time.Duration { return &c.PresignTTL }, time.Second, 7*24*time.Hour)},
	{"BATON_WORKERS", defaultWorkers(), "Processing jobs this process always has room for (0 = no in-process workers; run `baton worker` elsewhere). Jobs also run on the live slots (BATON_MAX_LIVE) that no recording holds, and give one back when a recording needs it.", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 64 {
			return fmt.Errorf("must be a whole number from 0 to 64")
		}
		c.Workers = n
		return nil
	}},
	{"BATON_MAX_LIVE", defaultMaxLive(), "Recordings converted live (while they upload, ready about a second after Stop) at once by this process; default two per core. Recordings beyond it still upload while recording and are processed by a job after Stop (ready a little later). Jobs use the slots no recording holds. 0 turns live processing off.", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1024 {
			return fmt.Errorf("must be a whole number from 0 to 1024")
		}
		c.MaxLive = n
		return nil
	}},
	{"BATON_LIVE_MAX_MEMORY_MB", "256", "Memory one live conversion's ffmpeg may use, in MiB; past it the conversion stops and the recording is processed by a job after Stop. 0 for no limit.", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<20 {
			return fmt.Errorf("must be a whole number of MiB from 0 to 1048576")
		}
		c.LiveMaxMemory = n << 20
		return nil
	}},
	{"BATON_JOB_LEASE", "30s", "How long a worker holds a job without renewing it; after that another worker takes it over.", durSetting(func(c *Config) *time.Duration { return &c.JobLease }, time.Second, time.Hour)},
	{"BATON_JOB_BACKOFF", "2s", "Delay before a failed job is retried; it doubles with each failure, up to 5 minutes.", durSetting(func(c *Config) *time.Duration { return &c.JobBackoff }, 100*time.Millisecond, time.Hour)},
	{"BATON_MAX_UPLOAD_BYTES", "10737418240", "Largest upload accepted, in bytes (default 10 GiB).", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("must be a positive number of bytes")
		}
		c.MaxUploadBytes = n
		return nil
	}},
	{"BATON_MAX_RECORDING", "2h", "Longest browser recording; the recorder stops by itself there. 0 for no limit (BATON_MAX_VIDEO_DURATION still applies).", func(c *Config, v string) error {
		if v == "0" {
			c.MaxRecording = 0
			return nil
		}
		return durSetting(func(c *Config) *time.Duration { return &c.MaxRecording }, time.Second, 100*time.Hour)(c, v)
	}},
	{"BATON_MAX_VIDEO_DURATION", "4h", "Longest video accepted.", durSetting(func(c *Config) *time.Duration { return &c.MaxDuration }, time.Second, 100*time.Hour)},
	{"BATON_MAX_VIDEO_PIXELS", "8294400", "Largest frame accepted, width x height in pixels (default 3840x2160).", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 64*64 {
			return fmt.Errorf("must be a number of pixels of at least 4096")
		}
		c.MaxPixels = n
		return nil
	}},
	{"BATON_UPLOAD_EXPIRY", "24h", "Unfinished uploads idle this long are removed.", durSetting(func(c *Config) *time.Duration { return &c.UploadExpiry }, time.Minute, 30*24*time.Hour)},
	{"BATON_ORPHAN_AGE", "1h", "Unfinished object writes and stray staging files untouched this long, left by a process that died mid-write, are removed by upkeep. Must exceed the longest object upload a worker makes.", durSetting(func(c *Config) *time.Duration { return &c.OrphanAge }, time.Second, 30*24*time.Hour)},
	{"BATON_TRUSTED_PROXIES", "", "Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed. Empty: none.", func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					return fmt.Errorf("%q is not an IP address or CIDR", p)
				}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
		return nil
	}},
	{"BATON_SIGNUP", "true", "Let anyone who reaches Baton create an account. false: only the first account (the admin), people an admin invites, and `baton user add`.", boolSetting(func(c *Config) *bool { return &c.Signup })},
	{"BATON_SESSION_TTL", "720h", "How long a sign-in lasts without use; each use extends it.", durSetting(func(c *Config) *time.Duration { return &c.SessionTTL }, time.Minute, 365*24*time.Hour)},
	{"BATON_SMTP_URL", "", "Outgoing mail server: smtp://user:pass@host:587 (STARTTLS when offered), smtps://user:pass@host:465 (implicit TLS), smtp://host:25?tls=none (local relay). Empty: email is off; the inbox and webhooks still work.", func(c *Config, v string) error {
		if v != "" {
			if _, err := smtpmail.New(v, "check@example.com"); err != nil {
				return errors.New(strings.TrimPrefix(err.Error(), "smtpmail: "))
			}
		}
		c.SMTPURL = v
		return nil
	}},
	{"BATON_MAIL_FROM", "", "From address of notification email, e.g. Baton <baton@example.com>. Required with BATON_SMTP_URL.", func(c *Config, v string) error {
		if v != "" {
			if _, err := mail.ParseAddress(v); err != nil {
				return fmt.Errorf("must be an address like Baton <baton@example.com>")
			}
		}
		c.MailFrom = v
		return nil
	}},
	{"BATON_NOTIFY_BUNDLE", "2m", "Inside a person's working hours, email waits this long for more to join it, so a burst becomes one email.", durSetting(func(c *Config) *time.Duration { return &c.NotifyBundle }, 0, 24*time.Hour)},
	{"BATON_DEFAULT_TIMEZONE", "UTC", "IANA time zone of guests and of members who set none, e.g. Europe/Berlin.", func(c *Config, v string) error {
		if _, err := media.LoadZone(v); err != nil {
			return errors.New(media.ErrorMessage(err))
		}
		c.DefaultTimeZone = v
		return nil
	}},
	{"BATON_DEFAULT_WORKING_HOURS", "mon-fri 09:00-17:00", "Working hours of guests and of members who set none, e.g. mon-fri 09:00-17:00 or mon-sun 00:00-24:00.", func(c *Config, v string) error {
		h, err := media.ParseWorkingHours(v)
		if err != nil {
			return errors.New(media.ErrorMessage(err))
		}
		c.DefaultWorkingHours = h
		return nil
	}},
	{"BATON_WEBHOOK_ALLOW_PRIVATE", "false", "Let webhooks reach loopback, private and link-local addresses (a chat server on your LAN). Off, such URLs are refused when created and at every delivery.", boolSetting(func(c *Config) *bool { return &c.WebhookAllowPrivate })},
	{"BATON_ASK_REMIND", "24h,2h", "Reminders of an ask go to recipients who have not answered this long before its reply-by time (comma-separated), each inside the recipient's working hours; one more goes when it is overdue. Empty: only the overdue one.", func(c *Config, v string) error {
		c.AskRemind = []time.Duration{}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			d, err := time.ParseDuration(part)
			if err != nil || d < time.Minute || d > 30*24*time.Hour {
				return fmt.Errorf("must be durations from 1m to 720h separated by commas, like 24h,2h (got %q)", part)
			}
			c.AskRemind = append(c.AskRemind, d)
		}
		if len(c.AskRemind) > 5 {
			return errors.New("at most 5 reminders")
		}
		return nil
	}},
	{"BATON_FFMPEG", "ffmpeg", "ffmpeg binary (name on PATH or absolute path).", strSetting(func(c *Config) *string { return &c.FFmpeg })},
	{"BATON_FFPROBE", "ffprobe", "ffprobe binary (name on PATH or absolute path).", strSetting(func(c *Config) *string { return &c.FFprobe })},
	{"BATON_FFMPEG_TIMEOUT", "0", "Hard deadline for one ffmpeg or ffprobe run; a run past it is killed and the job retried. 0: 10 minutes plus twice the video's duration.", func(c *Config, v string) error {
		if v == "0" {
			c.FFmpegTimeout = 0
			return nil
		}
		return durSetting(func(c *Config) *time.Duration { return &c.FFmpegTimeout }, time.Second, 100*time.Hour)(c, v)
	}},
	{"BATON_METRICS_TOKEN", "", "If set, /metrics (Prometheus text format) answers on the public listener to requests with Authorization: Bearer and this token. Empty: no /metrics there.", strSetting(func(c *Config) *string { return &c.MetricsToken })},
	{"BATON_METRICS_ADDR", "", "If set, a second listener on this host:port serves /metrics without a token, for a scraper on a private network, and /healthz and /readyz (database and object store): how `baton worker` is scraped and health-checked. Empty: none.", func(c *Config, v string) error {
		if v == "" {
			c.MetricsAddr = ""
			return nil
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("must be host:port, e.g. 127.0.0.1:9090")
		}
		c.MetricsAddr = v
		return nil
	}},
	{"BATON_TRANSCRIBE", "auto", "Transcription engine: whisper (whisper.cpp, local), openai (any OpenAI-compatible /v1/audio/transcriptions endpoint), pocketsphinx (local, English only, least accurate), off, or auto: openai if BATON_TRANSCRIBE_URL is set, else whisper if BATON_WHISPER_MODEL is set, else pocketsphinx if installed, else off.", enumSetting(func(c *Config) *string { return &c.Transcribe }, "auto", "off", "whisper", "openai", "pocketsphinx")},
	{"BATON_TRANSCRIBE_LANGUAGE", "", "Spoken language as an ISO 639-1 code (en, de, ja...). Empty: the engine detects it (whisper, openai); pocketsphinx knows only en.", func(c *Config, v string) error {
		if v != "" && (len(v) < 2 || len(v) > 3 || strings.ToLower(v) != v || strings.ContainsFunc(v, func(r rune) bool { return r < 'a' || r > 'z' })) {
			return fmt.Errorf("must be a two- or three-letter lower-case language code, e.g. en")
		}
		c.TranscribeLanguage = v
		return nil
	}},
	{"BATON_WHISPER_BIN", "whisper-cli", "whisper.cpp command-line binary (name on PATH or absolute path).", strSetting(func(c *Config) *string { return &c.WhisperBin })},
	{"BATON_WHISPER_MODEL", "", "whisper.cpp ggml model file (e.g. /models/ggml-base.en.bin); required for BATON_TRANSCRIBE=whisper.", strSetting(func(c *Config) *string { return &c.WhisperModel })},
	{"BATON_WHISPER_THREADS", "0", "CPU threads whisper.cpp uses per transcription; 0 is its default (4).", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 256 {
			return fmt.Errorf("must be a whole number from 0 to 256")
		}
		c.WhisperThreads = n
		return nil
	}},
	{"BATON_TRANSCRIBE_URL", "", "Base URL of an OpenAI-compatible transcription service (e.g. http://127.0.0.1:8000 for a local whisper server); audio is sent there. Required for BATON_TRANSCRIBE=openai.", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL")
		}
		c.TranscribeURL = v
		return nil
	}},
	{"BATON_TRANSCRIBE_KEY", "", "API key for BATON_TRANSCRIBE_URL, sent as a bearer token (empty: none).", strSetting(func(c *Config) *string { return &c.TranscribeKey })},
	{"BATON_TRANSCRIBE_MODEL", "whisper-1", "Model name sent to BATON_TRANSCRIBE_URL.", strSetting(func(c *Config) *string { return &c.TranscribeModel })},
	{"BATON_LLM_URL", "", "Base URL of an OpenAI-compatible chat-completions service (e.g. http://127.0.0.1:8080 for a local llama.cpp server) that writes a summary and chapter suggestions from each finished transcript; transcripts are sent there. Empty: no summaries.", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL")
		}
		c.LLMURL = v
		return nil
	}},
	{"BATON_LLM_KEY", "", "API key for BATON_LLM_URL, sent as a bearer token (empty: none).", strSetting(func(c *Config) *string { return &c.LLMKey })},
	{"BATON_LLM_MODEL", "", "Model name sent to BATON_LLM_URL; required when it is set.", strSetting(func(c *Config) *string { return &c.LLMModel })},
	{"BATON_THUMBNAILS", "true", "Make a scrub-thumbnail sprite for every ready video (a background job after it is ready).", boolSetting(func(c *Config) *bool { return &c.Thumbnails })},
	{"BATON_POCKETSPHINX_BIN", "pocketsphinx_continuous", "PocketSphinx binary (Debian: apt-get install pocketsphinx pocketsphinx-en-us).", strSetting(func(c *Config) *string { return &c.PocketsphinxBin })},
	{"BATON_LOG_FORMAT", "text", "Log format: text or json.", enumSetting(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{"BATON_LOG_LEVEL", "info", "Log level: debug, info, warn or error.", enumSetting(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
}

func strSetting(f func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = v; return nil }
}

func boolSetting(f func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		*f(c) = b
		return nil
	}
}

func enumSetting(f func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*f(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func durSetting(f func(*Config) *time.Duration, min, max time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < min || d > max {
			return fmt.Errorf("must be a duration like 30s, 5m or 2h, from %v to %v", min, max)
		}
		*f(c) = d
		return nil
	}
}

// LoadConfig reads settings from defaults, then the YAML file named by
// BATON_CONFIG (if any), then the environment, and validates them. Every
// error names the variable to fix.
func LoadConfig(getenv func(string) string) (Config, error) {
	values := map[string]string{}
	for _, s := range settings {
		values[s.Env] = s.Default
	}
	if path := getenv("BATON_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("BATON_CONFIG: %w", err)
		}
		var file map[string]any
		if err := yaml.Unmarshal(b, &file); err != nil {
			return Config{}, fmt.Errorf("BATON_CONFIG: %s is not valid YAML: %w", path, err)
		}
		known := map[string]string{}
		for _, s := range settings {
			known[s.yamlKey()] = s.Env
		}
		for k, v := range file {
			env, ok := known[k]
			if !ok {
				return Config{}, fmt.Errorf("BATON_CONFIG: unknown setting %q in %s", k, path)
			}
			if v == nil {
				values[env] = ""
			} else {
				values[env] = fmt.Sprint(v)
			}
		}
	}
	for _, s := range settings {
		if v, ok := lookup(getenv, s.Env); ok {
			values[s.Env] = v
		}
	}
	var c Config
	var errs []string
	for _, s := range settings {
		if err := s.set(&c, strings.TrimSpace(values[s.Env])); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", s.Env, values[s.Env], err))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return c, errors.New("invalid configuration:\n  " + strings.Join(errs, "\n  "))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.S3Endpoint != "" {
		if c.S3AccessKey == "" || c.S3SecretKey == "" {
			return c, errors.New("invalid configuration: BATON_S3_ACCESS_KEY and BATON_S3_SECRET_KEY are required when BATON_S3_ENDPOINT is set")
		}
		if c.S3Bucket == "" {
			return c, errors.New("invalid configuration: BATON_S3_BUCKET must not be empty")
		}
	}
	if c.SMTPURL != "" && c.MailFrom == "" {
		return c, errors.New("invalid configuration: BATON_MAIL_FROM is required when BATON_SMTP_URL is set")
	}
	switch {
	case c.Transcribe == "whisper" && c.WhisperModel == "":
		return c, errors.New("invalid configuration: BATON_TRANSCRIBE=whisper needs BATON_WHISPER_MODEL, the path of a ggml model file (see the README)")
	case c.LLMURL != "" && c.LLMModel == "":
		return c, errors.New("invalid configuration: BATON_LLM_URL needs BATON_LLM_MODEL, the model the service should use")
	case c.Transcribe == "openai" && c.TranscribeURL == "":
		return c, errors.New("invalid configuration: BATON_TRANSCRIBE=openai needs BATON_TRANSCRIBE_URL")
	}
	return c, nil
}

// lookup treats an empty variable as unset, so a blank line in an env file
// keeps the default instead of failing validation.
func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// Postgres reports whether the metadata database is Postgres.
func (c Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// DatabaseTarget is what gormstore.OpenURL opens: the Postgres URL, or the
// SQLite file.
func (c Config) DatabaseTarget() string {
	if c.Postgres() {
		return c.DatabaseURL
	}
	return c.DatabasePath()
}

// internalURL is the base URL other processes use to reach this one.
func (c Config) internalURL(listenAddr string) string {
	if c.InternalURL != "" {
		return c.InternalURL
	}
	host, port, _ := net.SplitHostPort(listenAddr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host, _ = os.Hostname()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// DatabasePath is the SQLite file to open.
func (c Config) DatabasePath() string {
	if c.DatabaseURL != "" {
		return strings.TrimPrefix(c.DatabaseURL, "sqlite://")
	}
	return filepath.Join(c.DataDir, "baton.db")
}
