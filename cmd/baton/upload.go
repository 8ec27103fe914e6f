package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// uploadChunk is the size of one tus PATCH. Big enough that per-request
// overhead is negligible, small enough that a dropped connection loses little.
const uploadChunk = 8 << 20

type uploadOptions struct {
	server  string
	title   string
	json    bool
	noWait  bool
	timeout time.Duration
	token   string // API token (auth.go in api), sent as a bearer token
}

func runUpload(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o uploadOptions
	fs.StringVar(&o.server, "server", uploadServer(os.Getenv), "Baton server URL (default: BATON_SERVER, else BATON_PUBLIC_URL, else http://BATON_ADDR)")
	fs.StringVar(&o.title, "title", "", "video title (default: the file name)")
	fs.BoolVar(&o.json, "json", false, "print the video as JSON instead of its share URL")
	fs.BoolVar(&o.noWait, "no-wait", false, "return once uploaded, without waiting for processing")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Hour, "give up after this long")
	fs.StringVar(&o.token, "token", os.Getenv("BATON_TOKEN"), "API token, made on the account page (or BATON_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: baton upload FILE [--server URL] [--token T] [--title T] [--json] [--no-wait]")
		fs.PrintDefaults()
	}
	// Accept flags before or after the file name.
	var files []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return errors.New("upload needs exactly one FILE")
	}
	if o.title == "" {
		base := filepath.Base(files[0])
		o.title = strings.TrimSuffix(base, filepath.Ext(base))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	c := &client{base: strings.TrimRight(o.server, "/"), http: &http.Client{Timeout: 0, Transport: withToken(o.server, o.token)}, progress: stderr}
	v, err := c.upload(ctx, files[0], o)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintln(stdout, v["shareUrl"])
	return nil
}

// uploadServer is the server `baton upload` talks to unless told: the
// one the same settings would start. BATON_SERVER names it outright; else
// BATON_PUBLIC_URL, the address people reach it at; else BATON_ADDR, with
// a wildcard host (":8080", "0.0.0.0:8080") reached on loopback.
func uploadServer(getenv func(string) string) string {
	if s := strings.TrimSpace(getenv("BATON_SERVER")); s != "" {
		return s
	}
	if s := strings.TrimSpace(getenv("BATON_PUBLIC_URL")); s != "" {
		return strings.TrimRight(s, "/")
	}
	addr := strings.TrimSpace(getenv("BATON_ADDR"))
	host, port, err := net.SplitHostPort(addr)
	if addr == "" || err != nil {
		// Unset, or not host:port (serve would refuse it): the default.
		return "http://127.0.0.1:8080"
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

type client struct {
	base     string
	http     *http.Client
	progress io.Writer
}

// apiError is the server's JSON error.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Message != "" {
		return e.Message + " (" + e.Code + ")"
	}
	return fmt.Sprintf("server answered %d", e.Status)
}

func readAPIError(resp *http.Response) error {
	var body struct {
		Error struct{ Code, Message string }
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &body)
	return &apiError{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
}

func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusConflict || ae.Status == http.StatusLocked || ae.Status == 423
	}
	return true // network errors
}

func (c *client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return readAPIError(resp)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (c *client) upload(ctx context.Context, path string, o uploadOptions) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	var v map[string]any
	if err := c.doJSON(ctx, http.MethodPost, "/api/videos", map[string]string{"title": o.title}, &v); err != nil {
		return nil, fmt.Errorf("create video: %w", err)
	}
	id, _ := v["id"].(string)
	uploadURL, _ := v["uploadUrl"].(string)
	bar := newBar(c.progress, "Uploading ", size)
	if err := c.sendFile(ctx, uploadURL, f, size, bar); err != nil {
		bar.done()
		return nil, err
	}
	bar.done()
	if o.noWait {
		return c.video(ctx, id)
	}
	return c.wait(ctx, id)
}

// sendFile appends the file to the tus upload, resuming from the server's
// offset after any failure, with backoff.
func (c *client) sendFile(ctx context.Context, url string, f *os.File, size int64, bar *bar) error {
	offset := int64(0)
	declared := false
	failures := 0
	buf := make([]byte, uploadChunk)
	for {
		if declared && offset == size {
			return nil
		}
		n, rerr := f.ReadAt(buf[:min(int64(len(buf)), size-offset)], offset)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return rerr
		}
		newOffset, err := c.patch(ctx, url, offset, buf[:n], size, !declared)
		if err == nil {
			declared = true
			offset = newOffset
			failures = 0
			bar.set(offset)
			if offset == size {
				return nil
			}
			continue
		}
		if !retryable(err) || ctx.Err() != nil {
			return fmt.Errorf("upload: %w", err)
		}
		failures++
		if failures > 8 {
			return fmt.Errorf("upload: giving up after %d failures: %w", failures, err)
		}
		time.Sleep(time.Duration(1<<min(failures, 5)) * 250 * time.Millisecond)
		// Ask how much the server really has, then resume from there.
		if off, length, herr := c.head(ctx, url); herr == nil {
			offset = off
			declared = length >= 0
		}
	}
}

func (c *client) patch(ctx context.Context, url string, offset int64, chunk []byte, size int64, declare bool) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, url, bytes.NewReader(chunk))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if declare {
		req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return 0, readAPIError(resp)
	}
	return strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
}

func (c *client) head(ctx context.Context, url string) (offset, length int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, &apiError{Status: resp.StatusCode}
	}
	offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	length = -1
	if l := resp.Header.Get("Upload-Length"); l != "" {
		length, _ = strconv.ParseInt(l, 10, 64)
	}
	return offset, length, err
}

func (c *client) video(ctx context.Context, id string) (map[string]any, error) {
	var v map[string]any
	err := c.doJSON(ctx, http.MethodGet, "/api/videos/"+id, nil, &v)
	return v, err
}

// wait follows the video's event stream until it is ready or failed,
// falling back to polling if the stream breaks.
func (c *client) wait(ctx context.Context, id string) (map[string]any, error) {
	bar := newBar(c.progress, "Processing", 100)
	defer bar.done()
	for {
		v, err := c.follow(ctx, id, bar)
		if err == nil {
			return v, nil
		}
		var ae *apiError
		if errors.As(err, &ae) && !retryable(err) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		time.Sleep(time.Second)
	}
}

func (c *client) follow(ctx context.Context, id string, bar *bar) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/videos/"+id+"/events", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readAPIError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			continue
		}
		switch v["status"] {
		case "ready":
			bar.set(100)
			return v, nil
		case "failed":
			msg, _ := v["error"].(string)
			return nil, &apiError{Status: 422, Code: fmt.Sprint(v["errorCode"]), Message: "processing failed: " + msg}
		}
		if p, ok := v["progress"].(float64); ok {
			bar.set(int64(p))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.ErrUnexpectedEOF
}

// bar draws a progress bar on a terminal line.
type bar struct {
	w     io.Writer
	label string
	total int64
	last  time.Time
	cur   int64
}

func newBar(w io.Writer, label string, total int64) *bar {
	b := &bar{w: w, label: label, total: total}
	b.draw()
	return b
}

func (b *bar) set(n int64) {
	b.cur = n
	if time.Since(b.last) > 100*time.Millisecond || n >= b.total {
		b.draw()
	}
}

func (b *bar) draw() {
	b.last = time.Now()
	pct := 100.0
	if b.total > 0 {
		pct = float64(b.cur) * 100 / float64(b.total)
	}
	const width = 30
	filled := int(pct / 100 * width)
	filled = max(0, min(width, filled))
	fmt.Fprintf(b.w, "\r%s [%s%s] %5.1f%%", b.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), pct)
}

func (b *bar) done() { fmt.Fprintln(b.w) }

// withToken sends the API token with every request to the server, and to
// nothing else.
func withToken(server, token string) http.RoundTripper {
	if token == "" {
		return http.DefaultTransport
	}
	u, err := url.Parse(server)
	if err != nil {
		return http.DefaultTransport
	}
	return tokenTransport{host: u.Host, token: token}
}

type tokenTransport struct{ host, token string }

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == t.host {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}
