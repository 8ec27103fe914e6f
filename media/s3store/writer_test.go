package s3store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
	"github.com/baton-video/baton/media/s3store"
)

// TestStreaming shares one MinIO server among the writer's tests: starting
// one is most of the cost of a small test.
func TestStreaming(t *testing.T) {
	t.Parallel()
	m := mediatest.StartMinIO(t)
	raw := rawClient(t, m)

	t.Run("Contract", func(t *testing.T) {
		mediatest.TestStreamingBlobStore(t, func(t *testing.T) media.StreamingBlobStore {
			cfg := config(m)
			s := mustNew(t, cfg)
			// Every writer of the subtest has been committed or aborted:
			// no part may be left in the bucket.
			t.Cleanup(func() {
				if got := incompleteUploads(t, raw, cfg.Bucket); len(got) != 0 {
					t.Errorf("incomplete multipart uploads left behind: %q", got)
				}
			})
			return s
		})
	})

	// Parts go up while the object is being written, not at Commit, and
	// Abort takes them back.
	// A writer whose process died leaves its multipart upload behind,
	// invisible to List; Unfinished finds it and RemoveUnfinished takes
	// its parts back.
	t.Run("UnfinishedWrites", func(t *testing.T) {
		cfg := config(m)
		s := mustNew(t, cfg)
		ctx := t.Context()
		const key = "videos/v2/original"
		w, err := s.Create(ctx, key, "video/x-matroska")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := w.Write(mediatest.Pattern(3, 6<<20)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		waitParts(t, raw, cfg.Bucket, key, 1)
		got, err := s.Unfinished(ctx, "videos/")
		if err != nil || len(got) != 1 || got[0].Key != key || got[0].ID == "" || time.Since(got[0].ModTime) > time.Minute {
			t.Fatalf("Unfinished = %+v, %v; want the one open upload", got, err)
		}
		if err := s.RemoveUnfinished(ctx, got[0]); err != nil {
			t.Fatalf("RemoveUnfinished: %v", err)
		}
		if left := incompleteUploads(t, raw, cfg.Bucket); len(left) != 0 {
			t.Fatalf("incomplete uploads after RemoveUnfinished: %q", left)
		}
		if err := s.RemoveUnfinished(ctx, got[0]); err != nil {
			t.Fatalf("RemoveUnfinished again: %v, want nil for one already gone", err)
		}
		_ = w.Abort(ctx)
	})

	t.Run("PartsGoUpWhileWriting", func(t *testing.T) {
		cfg := config(m)
		s := mustNew(t, cfg)
		ctx := t.Context()
		const key = "videos/v1/video.mp4"
		w, err := s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		// Two full 5 MiB parts and a bit, in 64 KiB writes.
		r := mediatest.NewPatternReader(1, 10<<20+1000)
		buf := make([]byte, 64<<10)
		for {
			n, _ := r.Read(buf)
			if n == 0 {
				break
			}
			if _, err := w.Write(buf[:n]); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		if got := waitParts(t, raw, cfg.Bucket, key, 2); got != 2 {
			t.Fatalf("parts uploaded before Commit: %d, want 2", got)
		}
		if _, err := s.Stat(ctx, key); media.ErrorCode(err) != media.ENOTFOUND {
			t.Fatalf("Stat before Commit = %v, want code %s", err, media.ENOTFOUND)
		}
		if err := w.Abort(ctx); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if got := incompleteUploads(t, raw, cfg.Bucket); len(got) != 0 {
			t.Fatalf("incomplete uploads after Abort: %q", got)
		}
	})

	// Nobody calls Abort: a cancelled context, or a failed Commit, still
	// leaves no parts behind.
	t.Run("CleanUpWithoutAbort", func(t *testing.T) {
		cfg := config(m)
		s := mustNew(t, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		w1, err := s.Create(ctx, "videos/v1/video.mp4", "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		w2, err := s.Create(t.Context(), "videos/v2/video.mp4", "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		for _, w := range []media.BlobWriter{w1, w2} {
			if _, err := w.Write(mediatest.Pattern(2, 6<<20)); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		waitParts(t, raw, cfg.Bucket, "videos/v1/video.mp4", 1)
		waitParts(t, raw, cfg.Bucket, "videos/v2/video.mp4", 1)
		cancel()
		dead, stop := context.WithCancel(t.Context())
		stop()
		if err := w2.Commit(dead); err == nil {
			t.Fatal("Commit with a cancelled context succeeded")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := incompleteUploads(t, raw, cfg.Bucket)
			if len(got) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("incomplete uploads 5s after the cancel and the failed Commit: %q", got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// testWriterStall is TestStalledTransfer's case for writers: a store that
// stops taking bytes mid-stream fails the writer with EUNAVAILABLE within
// about OpTimeout, from Write (which blocks once a full part waits behind
// the stalled one, so memory stays bounded) or from Commit. Once the store
// is back, Abort removes the parts. s reaches m through the proxy p.
func testWriterStall(t *testing.T, m mediatest.MinIO, p *proxy, cfg s3store.Config, s *s3store.Store) {
	raw := rawClient(t, m)
	ctx := t.Context()
	keys := []string{"videos/w1/video.mp4", "videos/w2/video.mp4"}
	ws := make([]media.BlobWriter, len(keys))
	for i, key := range keys {
		w, err := s.Create(ctx, key, "video/mp4")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := w.Write(mediatest.Pattern(3, 7<<20)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		ws[i] = w
		waitParts(t, raw, cfg.Bucket, key, 1)
	}
	p.freeze()
	defer p.thaw()

	var wg sync.WaitGroup
	wg.Go(func() {
		start := time.Now()
		chunk := mediatest.Pattern(4, 256<<10)
		var accepted int
		var err error
		for accepted < 64<<20 {
			if _, err = ws[0].Write(chunk); err != nil {
				break
			}
			accepted += len(chunk)
		}
		elapsed := time.Since(start)
		if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
			t.Errorf("Write to a stalled store = %v, want code %s", err, media.EUNAVAILABLE)
		}
		// One part in flight and one filling, plus what was buffered.
		if max := 2*int(cfg.PartSize) + len(chunk); accepted > max {
			t.Errorf("Write took %d bytes after the store stalled, more than %d", accepted, max)
		}
		if elapsed > 3*cfg.OpTimeout {
			t.Errorf("Write failed after %v with OpTimeout %v", elapsed, cfg.OpTimeout)
		}
		t.Logf("Write failed after %v, having taken %d bytes", elapsed.Round(time.Millisecond), accepted)
	})
	wg.Go(func() {
		start := time.Now()
		err := ws[1].Commit(ctx)
		elapsed := time.Since(start)
		if got := media.ErrorCode(err); got != media.EUNAVAILABLE {
			t.Errorf("Commit to a stalled store = %v, want code %s", err, media.EUNAVAILABLE)
		}
		if elapsed > 3*cfg.OpTimeout {
			t.Errorf("Commit failed after %v with OpTimeout %v", elapsed, cfg.OpTimeout)
		}
		t.Logf("Commit failed after %v", elapsed.Round(time.Millisecond))
	})
	wg.Wait()

	p.thaw()
	for i, w := range ws {
		if err := w.Abort(ctx); err != nil {
			t.Errorf("Abort #%d after the store came back: %v", i+1, err)
		}
	}
	if got := incompleteUploads(t, raw, cfg.Bucket); len(got) != 0 {
		t.Fatalf("incomplete uploads after Abort: %q", got)
	}
	for _, key := range keys {
		if _, err := s.Stat(ctx, key); media.ErrorCode(err) != media.ENOTFOUND {
			t.Fatalf("Stat(%s) = %v, want code %s", key, err, media.ENOTFOUND)
		}
	}
}

// createCommit streams size bytes to a new object and commits it.
func createCommit(ctx context.Context, s *s3store.Store, size int) error {
	w, err := s.Create(ctx, fmt.Sprintf("videos/w%d/video.mp4", size), "video/mp4")
	if err != nil {
		return err
	}
	defer w.Abort(ctx)
	if _, err := w.Write(mediatest.Pattern(5, size)); err != nil {
		return err
	}
	return w.Commit(ctx)
}

func rawClient(tb testing.TB, m mediatest.MinIO) *minio.Client {
	tb.Helper()
	c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// incompleteUploads lists the keys of the bucket's unfinished multipart
// uploads.
func incompleteUploads(tb testing.TB, raw *minio.Client, bucket string) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for u := range raw.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			tb.Fatalf("ListIncompleteUploads: %v", u.Err)
		}
		out = append(out, u.Key)
	}
	return out
}

// waitParts waits (up to 5 s) until key's multipart upload has want parts,
// and returns how many it has.
func waitParts(tb testing.TB, raw *minio.Client, bucket, key string, want int) int {
	tb.Helper()
	core := minio.Core{Client: raw}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := 0
		res, err := core.ListMultipartUploads(tb.Context(), bucket, key, "", "", "", 10)
		if err != nil {
			tb.Fatalf("ListMultipartUploads: %v", err)
		}
		for _, u := range res.Uploads {
			parts, err := core.ListObjectParts(tb.Context(), bucket, key, u.UploadID, 0, 1000)
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				// Listed a moment ago, aborted or completed since (MinIO
				// lists an upload an abort has just removed for a while).
				continue
			}
			if err != nil {
				tb.Fatalf("ListObjectParts: %v", err)
			}
			got += len(parts.ObjectParts)
		}
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}
