package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/baton-video/baton/media/mediatest"
)

// testFrontend stands in for the built UI, so server tests do not need npm.
var testFrontend = fstest.MapFS{
	"index.html": {Data: []byte("<!doctype html><title>Baton</title>")},
	"watch.html": {Data: []byte("<!doctype html><head><!--baton:head--></head><body>watch</body>")},
	"embed.html": {Data: []byte("<!doctype html><head><!--baton:head--></head><body>embed</body>")},
	"login.html": {Data: []byte("<!doctype html><title>Sign in · Baton</title><body>login</body>")},
}

type testServer struct {
	*Main
	URL     string
	DataDir string
	MinIO   *mediatest.MinIO
}

// testConfig returns a config for a server on a random local port with its
// own data dir; fn may change it.
func testConfig(tb testing.TB, dataDir string, fn func(*Config)) Config {
	tb.Helper()
	c, err := LoadConfig(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	c.Addr = "127.0.0.1:0"
	c.PublicURL = "http://127.0.0.1:0"
	c.DataDir = dataDir
	c.Workers = 1
	c.JobLease = 3 * time.Second
	c.DatabaseURL = testDatabaseURL(tb)
	// The written record's follow-up jobs (transcripts, thumbnails) would
	// add objects and jobs every other test would have to expect; the
	// record's own tests turn them on.
	c.Transcribe, c.Thumbnails = "off", false
	if fn != nil {
		fn(&c)
	}
	return c
}

// MustStart opens a Main with cfg and closes it when the test ends.
func MustStart(tb testing.TB, cfg Config) *testServer {
	tb.Helper()
	return MustStartWith(tb, cfg, nil)
}

// MustStartWith is MustStart with a chance to set Main's dependencies
// (such as Blobs) before it opens, while nothing runs yet.
func MustStartWith(tb testing.TB, cfg Config, before func(*Main)) *testServer {
	tb.Helper()
	requireFFmpeg(tb)
	m := NewMain(cfg, testLogger(tb))
	m.Frontend = testFrontend
	m.Hasher = testHasher
	if before != nil {
		before(m)
	}
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	provisionAuth(tb, m.DB) // s.do and patch sign in as its admin
	return &testServer{Main: m, URL: m.PublicURL(), DataDir: cfg.DataDir}
}

func withMinIO(tb testing.TB, c *Config) mediatest.MinIO {
	m := mediatest.StartMinIO(tb)
	c.S3Endpoint, c.S3AccessKey, c.S3SecretKey = m.Endpoint, m.AccessKey, m.SecretKey
	c.S3Bucket = "baton-test"
	return m
}

func testLogger(tb testing.TB) *slogLogger { return newTestLogger(tb) }

func requireFFmpeg(tb testing.TB) {
	tb.Helper()
	mediatest.RequireFFmpeg(tb)
}

type probeResult struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		PixFmt    string `json:"pix_fmt"`
	} `json:"streams"`
	Format struct {
		Duration   string `json:"duration"`
		FormatName string `json:"format_name"`
	} `json:"format"`
}

func (p probeResult) codec(kind string) string {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName
		}
	}
	return ""
}

func (p probeResult) seconds() float64 {
	f, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return f
}

func MustProbe(tb testing.TB, path string) probeResult {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probeResult
	if err := json.Unmarshal(out, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// apiVideo is the API's video JSON.
type apiVideo struct {
	ID, Slug, Title, Status, Error, ErrorCode string
	Progress                                  float64
	DurationMs, SizeBytes, UploadedBytes      int64
	Width, Height                             int
	ShareURL, PosterURL, MP4URL, UploadURL    string
	LiveURL                                   string
	Recording                                 bool
}

type apiErr struct {
	Error struct{ Code, Message string }
}

func (s *testServer) do(tb testing.TB, method, path string, body any, out any) *http.Response {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp
}

func (s *testServer) MustCreateVideo(tb testing.TB, title string) apiVideo {
	tb.Helper()
	var v apiVideo
	resp := s.do(tb, "POST", "/api/videos", map[string]string{"title": title}, &v)
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("create video: %s", resp.Status)
	}
	return v
}

// patch sends one tus PATCH; length >= 0 declares the upload length.
func patch(tb testing.TB, url string, offset int64, chunk []byte, length int64) (*http.Response, []byte) {
	tb.Helper()
	req, _ := http.NewRequest("PATCH", url, bytes.NewReader(chunk))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	}
	authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("PATCH: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// uploadChunks sends data in n chunks the way a recorder does: length
// deferred until the last chunk. It returns the last response.
func uploadChunks(tb testing.TB, url string, data []byte, n int) (*http.Response, []byte) {
	tb.Helper()
	size := int64(len(data))
	step := (len(data) + n - 1) / n
	if step == 0 {
		step = 1
	}
	var off int64
	for {
		end := min(int(off)+step, len(data))
		length := int64(-1)
		if end == len(data) {
			length = size
		}
		resp, body := patch(tb, url, off, data[off:end], length)
		if end == len(data) || resp.StatusCode != http.StatusNoContent {
			return resp, body
		}
		got, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if got != int64(end) {
			tb.Fatalf("Upload-Offset = %d, want %d", got, end)
		}
		off = int64(end)
	}
}

// waitStatus polls until the video reaches one of the statuses.
func (s *testServer) waitStatus(tb testing.TB, id string, timeout time.Duration, want ...string) apiVideo {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var v apiVideo
	for time.Now().Before(deadline) {
		s.do(tb, "GET", "/api/videos/"+id, nil, &v)
		for _, w := range want {
			if v.Status == w {
				return v
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("video %s: status %q (error %q) after %v, want %v", id, v.Status, v.Error, timeout, want)
	return v
}

// listFiles returns the regular files under dir, relative, for leak checks.
func listFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// objectKeys lists what the blob store holds for a video.
func (s *testServer) objectKeys(tb testing.TB, prefix string) []string {
	tb.Helper()
	infos, err := s.Blobs.List(context.Background(), prefix)
	if err != nil {
		tb.Fatalf("list objects: %v", err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

// ffmpegChildren lists running ffmpeg/ffprobe processes whose command line
// mentions dir, i.e. ours.
func ffmpegChildren(dir string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if (strings.HasPrefix(cmd, "ffmpeg") || strings.Contains(cmd, "/ffmpeg ") || strings.Contains(cmd, "ffprobe")) && strings.Contains(cmd, dir) {
			out = append(out, fmt.Sprintf("%s: %s", p, cmd))
		}
	}
	return out
}

// waitJobsDone waits until no job is queued or running.
func (s *testServer) waitJobsDone(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if n, err := s.DB.ActiveJobs(context.Background()); err == nil && n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("jobs still active after %v", timeout)
}
