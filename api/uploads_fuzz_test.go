package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
)

// acceptAll is a Transcoder that takes any non-empty file, so the fuzz
// test reaches the hand-off without ffmpeg.
type acceptAll struct{}

func (acceptAll) Sniff(h []byte) (string, error) {
	if len(h) == 0 {
		return "", media.Errorf(media.EINVALID, "The file is empty.")
	}
	return "matroska", nil
}

func (acceptAll) Inspect(ctx context.Context, path string) (*media.MediaInfo, error) {
	return &media.MediaInfo{Container: "matroska", DurationMs: 1000, Width: 2, Height: 2}, nil
}

func (acceptAll) Process(ctx context.Context, req media.ProcessRequest) (*media.ProcessResult, error) {
	return nil, fmt.Errorf("not used")
}

// uploadFuzzServer is the upload handler over real staging, a real SQLite
// database and a real disk store. Only the tus routes are mounted: this is
// a test of the protocol handling, not of who may upload.
type uploadFuzzServer struct {
	srv     *Server
	svc     *media.Service
	blobs   *diskstore.Store
	staging string
	url     string
}

func newUploadFuzzServer(tb testing.TB) *uploadFuzzServer {
	tb.Helper()
	dir := tb.TempDir()
	db, err := gormstore.Open(context.Background(), filepath.Join(dir, "b.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	blobs, err := diskstore.New(filepath.Join(dir, "objects"))
	if err != nil {
		tb.Fatal(err)
	}
	svc := &media.Service{Videos: db, Jobs: db, Blobs: blobs, Transcoder: acceptAll{}, Events: media.NewBroker()}
	staging := filepath.Join(dir, "uploads")
	s := MustServer(tb, db, Options{Service: svc, StagingDir: staging, PublicURL: "http://127.0.0.1:1", MaxUploadBytes: 1 << 20})
	e := gin.New()
	e.HEAD("/api/uploads/:id", s.uploads.head)
	e.PATCH("/api/uploads/:id", s.uploads.patch)
	hs := httptest.NewServer(e)
	tb.Cleanup(hs.Close)
	return &uploadFuzzServer{srv: s, svc: svc, blobs: blobs, staging: staging, url: hs.URL}
}

// FuzzUploadOffsets drives one upload with a fuzzed sequence of tus
// requests (right, stale and future offsets, garbage headers, early and
// repeated lengths, HEADs, requests after the end) against a model of the
// protocol. Whatever the order: no 5xx, every refusal is our JSON error,
// the server's offset is what the model says, the staged file is always a
// prefix of the source, and the stored original is exactly the bytes of
// the declared length. Seeds are in testdata/fuzz/FuzzUploadOffsets.
func FuzzUploadOffsets(f *testing.F) {
	fs := newUploadFuzzServer(f)
	f.Add([]byte{40, 0, 3, 0, 0, 3, 0, 1, 5, 3, 255, 0})
	f.Add([]byte{200, 1, 9, 0, 2, 4, 0, 0, 8, 0, 6, 200, 0, 0, 200, 3, 200, 0, 4, 0, 0})
	f.Add([]byte{10, 3, 0, 0, 4, 0, 0, 0, 3, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		n := int64(ops[0]) * 16 // the source's length, 0..4080
		ops = ops[1:]
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + i/251)
		}
		ctx := context.Background()
		v, err := fs.svc.CreateVideo(ctx, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.srv.uploads.create(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		url := fs.url + "/api/uploads/" + v.ID
		m := &uploadModel{t: t, url: url, src: src, size: -1}
		for len(ops) >= 3 {
			kind, a, b := ops[0]%9, int64(ops[1]), int64(ops[2])
			ops = ops[3:]
			m.step(kind, a, b)
			m.checkStaging(filepath.Join(fs.staging, v.ID))
		}
		// The end state: HEAD agrees with the model, and a finished
		// upload's stored original is exactly what was declared.
		m.head()
		got, err := fs.svc.Video(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.failed:
			if got.Status != media.StatusFailed {
				t.Fatalf("status %s, want failed", got.Status)
			}
		case m.done:
			if got.Status != media.StatusProcessing {
				t.Fatalf("status %s, want processing", got.Status)
			}
			b, err := fs.blobs.Open(ctx, media.OriginalKey(v.ID))
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := io.ReadAll(b)
			b.Close()
			if !bytes.Equal(stored, src[:m.size]) {
				t.Fatalf("stored original is %d bytes, not the %d declared", len(stored), m.size)
			}
		default:
			if got.Status != media.StatusCreated && got.Status != media.StatusUploading {
				t.Fatalf("status %s for an unfinished upload", got.Status)
			}
		}
	})
}

// uploadModel is what a tus server must do with an upload.
type uploadModel struct {
	t      *testing.T
	url    string
	src    []byte
	off    int64 // bytes the server holds
	size   int64 // declared length, -1 while deferred
	done   bool  // handed off
	failed bool  // refused (the empty file)
}

func (m *uploadModel) step(kind byte, a, b int64) {
	n := int64(len(m.src))
	switch kind {
	case 0, 1: // the next chunk at the right offset; 1 also declares the length early
		end := min(m.off+a*4+1, n)
		length := int64(-1)
		if kind == 1 {
			length = n
		}
		m.patch(m.off, end, length, strconv.FormatInt(m.off, 10))
	case 2: // a stale offset: a duplicate of an earlier chunk
		if m.off == 0 {
			return
		}
		at := max(m.off-a-1, 0)
		m.patch(at, min(at+b+1, n), -1, strconv.FormatInt(at, 10))
	case 3: // a gap
		at := m.off + a + 1
		m.patch(at, at, -1, strconv.FormatInt(at, 10))
	case 4: // the last chunk, declaring the length (again, if it was declared)
		m.patch(m.off, n, n, strconv.FormatInt(m.off, 10))
	case 5: // garbage offsets
		for _, off := range []string{"", "-1", "1e3", " 0", "0x10", "99999999999999999999"} {
			if off == fmt.Sprint(m.off) {
				continue
			}
			m.patch(m.off, m.off, -1, off)
		}
	case 6: // a length that contradicts the one declared, or is below the offset
		if m.off == 0 && m.size < 0 {
			return
		}
		m.patch(m.off, m.off, max(m.off-b-1, 0), strconv.FormatInt(m.off, 10))
	case 7: // HEAD
		m.head()
	case 8: // the same final PATCH again, as if its answer was lost
		if m.done {
			m.patch(m.size, m.size, m.size, strconv.FormatInt(m.size, 10))
		}
	}
}

// patch sends src[from:to] at offset header off (which may lie), declaring
// length if >= 0, and checks the answer against the model.
func (m *uploadModel) patch(from, to, length int64, off string) {
	m.t.Helper()
	from, to = min(from, int64(len(m.src))), min(to, int64(len(m.src)))
	req, _ := http.NewRequest("PATCH", m.url, bytes.NewReader(m.src[from:max(from, to)]))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	if off != "" {
		req.Header.Set("Upload-Offset", off)
	}
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	}
	status, code, newOff := m.do(req)
	off = strings.TrimSpace(off) // as HTTP parses header values
	claimed, perr := strconv.ParseInt(off, 10, 64)
	right := perr == nil && claimed == m.off && off == strconv.FormatInt(claimed, 10)
	switch {
	case m.failed:
		m.want(status == http.StatusGone, "PATCH after refusal: %d %s", status, code)
	case m.done:
		if right && claimed == m.size {
			m.want(status == http.StatusNoContent && newOff == m.size, "repeated final PATCH: %d %s %d", status, code, newOff)
		} else {
			m.want(status == http.StatusConflict, "PATCH after the end: %d %s", status, code)
		}
	case !right:
		m.want(status == http.StatusBadRequest || status == http.StatusConflict, "PATCH at %q (server has %d): %d %s", off, m.off, status, code)
	case length >= 0 && m.size >= 0 && length != m.size:
		m.want(status == http.StatusBadRequest && code == "invalid_upload_length", "changed length: %d %s", status, code)
	case length >= 0 && length < m.off:
		m.want(status == http.StatusBadRequest && code == "invalid_upload_length", "length below offset: %d %s", status, code)
	case length >= 0 && m.off+(to-from) > length:
		m.want(status == http.StatusRequestEntityTooLarge, "chunk past the length: %d %s", status, code)
	case m.size >= 0 && m.off+(to-from) > m.size:
		m.want(status == http.StatusRequestEntityTooLarge, "chunk past the length: %d %s", status, code)
	default:
		if length >= 0 {
			m.size = length
		}
		m.off += to - from
		if m.size >= 0 && m.off == m.size {
			if m.size == 0 {
				m.want(status == http.StatusBadRequest && code == media.EINVALID, "empty upload: %d %s", status, code)
				m.failed = true
				return
			}
			m.done = true
		}
		m.want(status == http.StatusNoContent && newOff == m.off, "PATCH: %d %s offset %d, want 204 at %d", status, code, newOff, m.off)
	}
}

func (m *uploadModel) head() {
	req, _ := http.NewRequest("HEAD", m.url, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	status, _, off := m.do(req)
	switch {
	case m.failed:
		m.want(status == http.StatusGone, "HEAD after refusal: %d", status)
	default:
		m.want(status == http.StatusOK && off == m.off, "HEAD: %d offset %d, want %d", status, off, m.off)
	}
}

func (m *uploadModel) do(req *http.Request) (status int, code string, offset int64) {
	m.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		m.t.Fatalf("%s: %d %s", req.Method, resp.StatusCode, body)
	}
	if resp.StatusCode >= 400 && req.Method != "HEAD" {
		var e ErrorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			m.t.Fatalf("%d answer %q is not our JSON error", resp.StatusCode, body)
		}
		code = e.Error.Code
	}
	offset, _ = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return resp.StatusCode, code, offset
}

func (m *uploadModel) want(ok bool, format string, args ...any) {
	m.t.Helper()
	if !ok {
		m.t.Fatalf(format, args...)
	}
}

// checkStaging: while the upload is open, the staged file is a prefix of
// the source exactly as long as the model says.
func (m *uploadModel) checkStaging(path string) {
	m.t.Helper()
	if m.done || m.failed {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		m.t.Fatalf("staging: %v", err)
	}
	if int64(len(b)) != m.off || !bytes.Equal(b, m.src[:len(b)]) {
		m.t.Fatalf("staged %d bytes (prefix ok: %v), model has %d", len(b), bytes.Equal(b, m.src[:min(len(b), len(m.src))]), m.off)
	}
}
