package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestConflictingUploadRequests sends one upload the requests a flaky
// network and a confused client produce: the same chunk twice, a chunk past
// a gap, garbage offsets, two PATCHes racing for the same offset, a chunk
// cut off half way, a final chunk cut off after it declared the length, and
// the final chunk again after the upload was done. Each gets the tus
// protocol's answer in Baton's JSON error shape (never a 5xx), the staged
// file is always exactly a prefix of the source, and the stored original
// equals the source byte for byte.
func TestConflictingUploadRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: skipped with -short")
	}
	src := filepath.Join(t.TempDir(), "rec.webm")
	mediatest.MustWebM(t, src, 3, "320x240")
	data := mustRead(t, src)
	n := int64(len(data))
	c := n / 8
	dataDir := t.TempDir()
	s := MustStart(t, testConfig(t, dataDir, nil))
	v := s.MustCreateVideo(t, "conflicts")
	url := v.UploadURL

	// staged checks the invariant: the server holds a prefix of the source.
	staged := func(t *testing.T) int64 {
		t.Helper()
		b := mustRead(t, filepath.Join(dataDir, "uploads", v.ID))
		if !bytes.Equal(b, data[:len(b)]) {
			t.Fatalf("staged %d bytes that are not the source's first %d", len(b), len(b))
		}
		status, off, _ := headUpload(t, url)
		if status != http.StatusOK || off != int64(len(b)) {
			t.Fatalf("HEAD = %d offset %d, staged %d", status, off, len(b))
		}
		return off
	}
	send := func(t *testing.T, h map[string]string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("PATCH", url, bytes.NewReader(body))
		authorize(req)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		for k, v := range h {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e apiErr
		if resp.StatusCode != http.StatusNoContent {
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error.Message == "" {
				t.Fatalf("%d answer is not our JSON error: %v", resp.StatusCode, err)
			}
		}
		return resp.StatusCode, e.Error.Code
	}
	off := func(o int64) map[string]string { return map[string]string{"Upload-Offset": strconv.FormatInt(o, 10)} }

	if status, _ := send(t, off(0), data[:c]); status != http.StatusNoContent {
		t.Fatalf("first chunk: %d", status)
	}
	refusals := []struct {
		name       string
		h          map[string]string
		body       []byte
		wantStatus int
		wantCode   string
	}{
		{"same chunk twice", off(0), data[:c], http.StatusConflict, "upload_offset_mismatch"},
		{"stale offset, other bytes", off(c / 2), bytes.Repeat([]byte{0xEE}, int(c)), http.StatusConflict, "upload_offset_mismatch"},
		{"gap", off(2 * c), data[2*c : 3*c], http.StatusConflict, "upload_offset_mismatch"},
		{"negative offset", off(-1), data[c : 2*c], http.StatusBadRequest, "invalid_upload_offset"},
		{"garbage offset", map[string]string{"Upload-Offset": "12abc"}, data[c : 2*c], http.StatusBadRequest, "invalid_upload_offset"},
		{"no offset", map[string]string{"Upload-Offset": ""}, data[c : 2*c], http.StatusBadRequest, "invalid_upload_offset"},
		{"wrong content type", map[string]string{"Upload-Offset": strconv.FormatInt(c, 10), "Content-Type": "video/webm"}, data[c : 2*c], http.StatusBadRequest, "invalid_content_type"},
		{"no tus version", map[string]string{"Upload-Offset": strconv.FormatInt(c, 10), "Tus-Resumable": ""}, data[c : 2*c], http.StatusPreconditionFailed, "unsupported_tus_version"},
		{"length below offset", map[string]string{"Upload-Offset": strconv.FormatInt(c, 10), "Upload-Length": strconv.FormatInt(c/2, 10)}, data[c : 2*c], http.StatusBadRequest, "invalid_upload_length"},
		{"bad video id", map[string]string{"Upload-Offset": strconv.FormatInt(c, 10)}, nil, 0, ""},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			if r.name == "bad video id" {
				for _, p := range []string{"/api/uploads/..%2F..%2Fetc%2Fpasswd", "/api/uploads/" + media.NewID(), "/api/uploads/" + v.ID + "x"} {
					resp, _ := patch(t, s.URL+p, c, data[c:2*c], -1)
					if resp.StatusCode != http.StatusNotFound {
						t.Fatalf("PATCH %s = %s, want 404", p, resp.Status)
					}
				}
				// tus creation is not routed: an upload exists only with its
				// video, so no client can name one.
				for _, p := range []string{"/api/uploads", "/api/uploads/"} {
					req, _ := http.NewRequest("POST", s.URL+p, nil)
					req.Header.Set("Tus-Resumable", "1.0.0")
					req.Header.Set("Upload-Length", "10")
					req.Header.Set("Upload-Metadata", "filename Li4vLi4vZXRjL3Bhc3N3ZA==")
					authorize(req)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
						t.Fatalf("POST %s = %s, want 404 or 405", p, resp.Status)
					}
				}
				if left := listFiles(t, filepath.Join(dataDir, "uploads")); !slices.Equal(left, []string{v.ID, v.ID + ".info"}) {
					t.Fatalf("staging = %v", left)
				}
				return
			}
			status, code := send(t, r.h, r.body)
			if status != r.wantStatus || code != r.wantCode {
				t.Fatalf("got %d %q, want %d %q", status, code, r.wantStatus, r.wantCode)
			}
			if got := staged(t); got != c {
				t.Fatalf("offset moved to %d by a refused request", got)
			}
		})
	}

	// A PATCH still sending its body when a second one for the same offset
	// arrives (the client timed out and retried): tusd interrupts the
	// first, keeps what it wrote, and the second learns the new offset.
	t.Run("racing PATCH while one is mid-body", func(t *testing.T) {
		first := startPatch(url, c, c, -1)
		if _, err := first.w.Write(data[c : c+c/2]); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the first PATCH's bytes never reached staging", func() bool {
			return stagedSize(dataDir, v.ID) == c+c/2
		})
		status, code := send(t, off(c), data[c:2*c])
		first.w.CloseWithError(errStop)
		r := first.result(t, 10*time.Second)
		t.Logf("first: %d %s; second: %d %s", r.status, r.body, status, code)
		if r.err == nil && r.status >= 500 || status >= 500 {
			t.Fatalf("5xx answer: first %d %s, second %d", r.status, r.body, status)
		}
		if status == http.StatusNoContent {
			t.Fatal("second PATCH accepted at an offset the first had already moved")
		}
		if code != "upload_offset_mismatch" && code != "upload_locked" {
			t.Fatalf("second PATCH: %d %q, want an offset mismatch or lock answer", status, code)
		}
		if got := staged(t); got < c+c/2 {
			t.Fatalf("offset %d: the first PATCH's acknowledged-to-disk bytes were lost", got)
		}
	})

	// Pairs of identical PATCHes sent at once, as a client with two tabs or
	// a retry racing its original would: at most one is accepted each time.
	t.Run("simultaneous duplicates", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			o := staged(t)
			end := min(o+c/3, n-1)
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			codes := make([]string, 2)
			for k := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[k], codes[k] = send(t, off(o), data[o:end])
				}()
			}
			wg.Wait()
			accepted := 0
			for k := range 2 {
				switch {
				case statuses[k] == http.StatusNoContent:
					accepted++
				case statuses[k] >= 500:
					t.Fatalf("5xx: %d %q", statuses[k], codes[k])
				case !slices.Contains([]string{"upload_offset_mismatch", "upload_locked", "upload_interrupted"}, codes[k]):
					t.Fatalf("unexpected answer %d %q", statuses[k], codes[k])
				}
			}
			if accepted > 1 {
				t.Fatalf("both duplicates accepted: %v", statuses)
			}
			staged(t)
		}
	})

	// The final PATCH declares the length and is cut off half way. The
	// recorder resumes from HEAD and sends the length again with the rest.
	t.Run("final PATCH cut off, resumed", func(t *testing.T) {
		o := staged(t)
		last := startPatch(url, o, n-o, n)
		half := o + (n-o)/2
		if _, err := last.w.Write(data[o:half]); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the final PATCH's bytes never reached staging", func() bool {
			return stagedSize(dataDir, v.ID) == half
		})
		last.w.CloseWithError(errStop)
		if r := last.result(t, 10*time.Second); r.err == nil {
			t.Fatalf("cut-off PATCH answered %d %s", r.status, r.body)
		}
		eventually(t, 5*time.Second, "the server never noticed the cut", func() bool {
			_, off, length := headUpload(t, url)
			return off == half && length == strconv.FormatInt(n, 10)
		})
		staged(t)
		if resp, body := resumeUpload(t, url, data, int(c)); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("resume after a cut final PATCH: %s %s", resp.Status, body)
		}
	})

	// The upload is done: the last PATCH again (its answer was lost) is
	// answered as done; a stale one is refused.
	if resp, body := patch(t, url, n, nil, n); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.FormatInt(n, 10) {
		t.Fatalf("repeated final PATCH: %s %s", resp.Status, body)
	}
	if status, code := send(t, off(n-c), data[n-c:]); status != http.StatusConflict || code != media.ECONFLICT {
		t.Fatalf("stale PATCH after completion: %d %q", status, code)
	}

	got := s.waitStatus(t, v.ID, 60*time.Second, "ready", "failed")
	if got.Status != "ready" {
		t.Fatalf("status %s: %s", got.Status, got.Error)
	}
	if stored := s.readObject(t, media.OriginalKey(v.ID)); sha256Hex(stored) != sha256Hex(data) {
		t.Fatalf("stored original (%d bytes) differs from the source (%d bytes)", len(stored), n)
	}
	assertReadyOutputs(t, s, v.ID)
	var list struct{ Videos []apiVideo }
	s.do(t, "GET", "/api/videos", nil, &list)
	if len(list.Videos) != 1 {
		t.Fatalf("%d videos, want 1", len(list.Videos))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, dataDir)
}

var errStop = errorString("test: connection cut")

type errorString string

func (e errorString) Error() string { return string(e) }
