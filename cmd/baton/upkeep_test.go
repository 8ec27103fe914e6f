package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/mediatest"
)

// gatedBlobs holds every Put of an original until gate is closed, so a
// final PATCH stays in its hand-off with its body read.
type gatedBlobs struct {
	media.BlobStore
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedBlobs) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if strings.HasSuffix(key, "/original") {
		g.entered <- struct{}{}
		<-g.gate
	}
	return g.BlobStore.Put(ctx, key, r, size, contentType)
}

// TestUpkeepLeavesRunningUploadsAlone: the upload sweep (once a minute)
// must not disturb a PATCH that is running. It used to take each upload's
// tus lock the way a competing PATCH does, which asks the holder to let go:
// a PATCH still receiving its body was cut off ("upload interrupted"), and
// one whose body was read (a final PATCH handing the upload off) had the
// read deadline of its connection set to now while net/http watched the
// idle connection, which cancels the connection's context for good: every
// later request on that keep-alive connection failed with 500 "context
// canceled". The soak found it as a video whose status polls all failed.
func TestUpkeepLeavesRunningUploadsAlone(t *testing.T) {
	src := filepath.Join(t.TempDir(), "phone.mp4")
	mediatest.MustMP4(t, src, 2, "320x240")
	data := mustRead(t, src)
	dataDir := t.TempDir()
	disk, err := diskstore.New(filepath.Join(dataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	gb := &gatedBlobs{BlobStore: disk, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	// Set before Open: the upkeep loop reads the store from its first tick.
	s := MustStartWith(t, testConfig(t, dataDir, nil), func(m *Main) { m.Blobs = gb })
	// finalPatch sends the whole file in one PATCH on hc and delivers the
	// answer (nil on a transport error).
	finalPatch := func(t *testing.T, hc *http.Client, url string) <-chan *http.Response {
		done := make(chan *http.Response, 1)
		go func() {
			req, _ := http.NewRequest("PATCH", url, strings.NewReader(string(data)))
			req.Header.Set("Tus-Resumable", "1.0.0")
			req.Header.Set("Content-Type", "application/offset+octet-stream")
			req.Header.Set("Upload-Offset", "0")
			req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
			authorize(req)
			resp, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- resp
		}()
		return done
	}
	// sameConn sends a request on hc's one connection and returns its status.
	sameConn := func(t *testing.T, hc *http.Client, path string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		authorize(req)
		r, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	// One connection, so the request after the PATCH reuses the PATCH's.
	oneConn := func(t *testing.T) *http.Client {
		hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
		t.Cleanup(hc.CloseIdleConnections)
		return hc
	}

	t.Run("final PATCH handing off", func(t *testing.T) {
		hc := oneConn(t)
		v := s.MustCreateVideo(t, "handing off")
		done := finalPatch(t, hc, v.UploadURL)
		<-gb.entered // the body is read; the hand-off is storing the original
		s.Server.SweepUploads(context.Background())
		close(gb.gate)
		if resp := <-done; resp == nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("final PATCH = %v", resp)
		}
		for i := 0; i < 3; i++ {
			if status, b := sameConn(t, hc, "/api/videos/"+v.ID); status != http.StatusOK {
				t.Fatalf("GET after the PATCH on its connection = %d %s", status, b)
			}
		}
		if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("video: %s %q", got.Status, got.Error)
		}
	})

	// A request that does interrupt a PATCH (deleting the video) must not
	// spoil the PATCH's connection either.
	t.Run("deleted while handing off", func(t *testing.T) {
		hc := oneConn(t)
		gb.gate = make(chan struct{})
		v := s.MustCreateVideo(t, "deleted")
		done := finalPatch(t, hc, v.UploadURL)
		<-gb.entered
		deleted := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("DELETE", s.URL+"/api/videos/"+v.ID, nil)
			authorize(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				deleted <- 0
				return
			}
			resp.Body.Close()
			deleted <- resp.StatusCode
		}()
		time.Sleep(500 * time.Millisecond) // the DELETE asks the PATCH to let go
		close(gb.gate)
		if resp := <-done; resp == nil || resp.StatusCode >= 500 {
			t.Fatalf("final PATCH = %v", resp)
		}
		if got := <-deleted; got != http.StatusNoContent {
			t.Fatalf("DELETE = %d", got)
		}
		if status, b := sameConn(t, hc, "/api/videos"); status != http.StatusOK {
			t.Fatalf("GET after the PATCH on its connection = %d %s", status, b)
		}
	})

	t.Run("PATCH receiving its body", func(t *testing.T) {
		hc := oneConn(t)
		gb.gate = make(chan struct{})
		close(gb.gate)
		v := s.MustCreateVideo(t, "receiving")
		pr, pw := io.Pipe()
		done := make(chan *http.Response, 1)
		go func() {
			req, _ := http.NewRequest("PATCH", v.UploadURL, pr)
			req.ContentLength = int64(len(data))
			req.Header.Set("Tus-Resumable", "1.0.0")
			req.Header.Set("Content-Type", "application/offset+octet-stream")
			req.Header.Set("Upload-Offset", "0")
			req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
			authorize(req)
			resp, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- resp
		}()
		half := len(data) / 2
		if _, err := pw.Write(data[:half]); err != nil {
			pw.Close()
			<-done
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "half the body staged", func() bool { return stagedSize(s.DataDir, v.ID) == int64(half) })
		s.Server.SweepUploads(context.Background())
		_, werr := pw.Write(data[half:])
		pw.Close()
		resp := <-done
		if werr != nil {
			t.Fatalf("rest of the body: %v (answer %v)", werr, resp)
		}
		if resp == nil {
			t.FailNow()
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH = %s, want it undisturbed by the sweep", resp.Status)
		}
		if got := s.waitStatus(t, v.ID, 30*time.Second, "ready", "failed"); got.Status != "ready" {
			t.Fatalf("video: %s %q", got.Status, got.Error)
		}
	})
}
