package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
)

// fakeLive stands in for ffmpeg: it copies the input to the MP4 writer and
// writes a segment for every 10 bytes read, so the session's plumbing can be
// tested exactly.
type fakeLive struct {
	failWith error
	started  chan struct{}
}

func (f *fakeLive) Live(ctx context.Context, req media.LiveRequest) (*media.LiveResult, error) {
	close(f.started)
	buf := make([]byte, 10)
	var total int64
	seg := 0
	for {
		n, err := io.ReadFull(req.Input, buf)
		if n > 0 {
			req.MP4.Write(buf[:n])
			total += int64(n)
			name := fmt.Sprintf("seg-%05d.m4s", seg)
			seg++
			os.WriteFile(filepath.Join(req.HLSDir, "init.mp4"), []byte("init"), 0o644)
			os.WriteFile(filepath.Join(req.HLSDir, name), buf[:n], 0o644)
			os.WriteFile(filepath.Join(req.HLSDir, "index.m3u8"), []byte("#EXTM3U\n"+name+"\n"), 0o644)
			req.OnSegment(name)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if f.failWith != nil {
		return nil, f.failWith
	}
	return &media.LiveResult{Info: media.MediaInfo{DurationMs: 1000, Width: 4, Height: 2, SizeBytes: total, VideoCodec: "h264"}, VideoCopied: true}, nil
}

func (f *fakeLive) Poster(ctx context.Context, video, out string, atMs int64) error {
	return os.WriteFile(out, []byte{0xFF, 0xD8}, 0o644)
}

type liveFixture struct {
	svc     *media.Service
	ls      *media.LiveSessions
	blobs   *diskstore.Store
	video   *media.Video
	staging string
}

func newLiveFixture(t *testing.T, lt media.LiveTranscoder) *liveFixture {
	t.Helper()
	dir := t.TempDir()
	db, err := gormstore.Open(context.Background(), filepath.Join(dir, "b.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := diskstore.New(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &media.Service{Videos: db, Jobs: db, Blobs: blobs, Events: media.NewBroker()}
	ls := &media.LiveSessions{Svc: svc, Transcoder: lt, TempDir: t.TempDir(), FinishTimeout: 5 * time.Second}
	svc.Live = ls
	t.Cleanup(ls.Close)
	v, err := svc.CreateVideo(context.Background(), "rec")
	if err != nil {
		t.Fatal(err)
	}
	return &liveFixture{svc: svc, ls: ls, blobs: blobs, video: v, staging: filepath.Join(dir, "upload")}
}

// appendBytes writes to the staging file the way the upload handler does,
// then notifies.
func (f *liveFixture) appendBytes(t *testing.T, b []byte) int64 {
	t.Helper()
	fh, err := os.OpenFile(f.staging, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write(b)
	st, _ := fh.Stat()
	fh.Close()
	f.ls.Notify(f.video.ID, f.staging, st.Size())
	return st.Size()
}

func readObject(t *testing.T, s media.BlobStore, key string) []byte {
	t.Helper()
	b, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer b.Close()
	data, _ := io.ReadAll(b)
	return data
}

func TestLiveSessionEndToEnd(t *testing.T) {
	lt := &fakeLive{started: make(chan struct{})}
	f := newLiveFixture(t, lt)
	ctx := context.Background()
	var all []byte
	for i := 0; i < 5; i++ {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, 10)
		all = append(all, chunk...)
		f.appendBytes(t, chunk)
	}
	<-lt.started
	// The live rendition appears while the upload is still open.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ := f.svc.Videos.Video(ctx, f.video.ID)
		if v.Live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("video never went live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := readObject(t, f.blobs, media.LiveKey(f.video.ID, "index.m3u8")); !bytes.HasPrefix(got, []byte("#EXTM3U")) {
		t.Fatalf("playlist = %q", got)
	}
	if _, err := f.blobs.Stat(ctx, media.MP4Key(f.video.ID)); media.ErrorCode(err) != media.ENOTFOUND {
		t.Fatalf("MP4 visible before the end: %v", err)
	}
	last := bytes.Repeat([]byte{'z'}, 7)
	all = append(all, last...)
	size := f.appendBytes(t, last)

	v, handled, err := f.ls.Finish(ctx, f.video.ID, size)
	if err != nil || !handled {
		t.Fatalf("Finish = %v, %v", handled, err)
	}
	if v.Status != media.StatusReady || !v.HasMP4 || !v.HasPoster || v.Live || v.OriginalSize != size {
		t.Fatalf("video = %+v", v)
	}
	if got := readObject(t, f.blobs, media.MP4Key(f.video.ID)); !bytes.Equal(got, all) {
		t.Fatalf("mp4 = %q, want %q", got, all)
	}
	if got := readObject(t, f.blobs, media.OriginalKey(f.video.ID)); !bytes.Equal(got, all) {
		t.Fatalf("original = %q, want every uploaded byte", got)
	}
	if f.ls.Active(f.video.ID) {
		t.Fatal("session still registered")
	}
	if left, _ := filepath.Glob(filepath.Join(f.ls.TempDir, "*")); len(left) != 0 {
		t.Fatalf("temp left: %v", left)
	}
}

func TestLiveSessionFinishWithoutSession(t *testing.T) {
	f := newLiveFixture(t, &fakeLive{started: make(chan struct{})})
	_, handled, err := f.ls.Finish(context.Background(), f.video.ID, 10)
	if handled || err != nil {
		t.Fatalf("Finish without a session = %v, %v; want fallback", handled, err)
	}
}

func TestLiveSessionFailures(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantHandled bool
		wantStatus  media.Status
	}{
		// Bad input: the video fails with the reason and nothing is kept.
		{"refused", media.Errorf(media.EUNSUPPORTED, "Not a video."), true, media.StatusFailed},
		// Anything else: fall back to the durable job path, with the video
		// untouched (a session never changes it before it is done).
		{"crash", errors.New("ffmpeg: signal: killed"), false, media.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt := &fakeLive{started: make(chan struct{}), failWith: tt.err}
			f := newLiveFixture(t, lt)
			size := f.appendBytes(t, []byte("0123456789abc"))
			_, handled, err := f.ls.Finish(context.Background(), f.video.ID, size)
			if handled != tt.wantHandled {
				t.Fatalf("handled = %v, want %v (err %v)", handled, tt.wantHandled, err)
			}
			v, _ := f.svc.Videos.Video(context.Background(), f.video.ID)
			if v.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s", v.Status, tt.wantStatus)
			}
			keys, _ := f.blobs.List(context.Background(), media.VideoPrefix(f.video.ID))
			if len(keys) != 0 {
				t.Fatalf("objects left: %v", keys)
			}
		})
	}
}

func TestLiveSessionDrop(t *testing.T) {
	lt := &fakeLive{started: make(chan struct{})}
	f := newLiveFixture(t, lt)
	f.appendBytes(t, []byte("0123456789"))
	<-lt.started
	done := make(chan struct{})
	go func() { f.ls.Drop(f.video.ID); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Drop hung on a session waiting for input")
	}
	if f.ls.Active(f.video.ID) {
		t.Fatal("dropped session still active")
	}
}
