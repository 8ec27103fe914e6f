package media_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// copyLive stands in for ffmpeg: it copies the recording to the MP4 and
// counts the runs going on at once, or fails with failWith once it has
// read something.
type copyLive struct {
	mu            sync.Mutex
	running, peak int
	failWith      error
}

func (c *copyLive) Live(ctx context.Context, req media.LiveRequest) (*media.LiveResult, error) {
	c.mu.Lock()
	c.running++
	c.peak = max(c.peak, c.running)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running--
		c.mu.Unlock()
	}()
	buf := make([]byte, 4)
	n, err := io.ReadFull(req.Input, buf)
	if c.failWith != nil {
		return nil, c.failWith
	}
	req.MP4.Write(buf[:n])
	total := int64(n)
	if err == nil {
		m, err := io.Copy(req.MP4, req.Input)
		if err != nil {
			return nil, err
		}
		total += m
	}
	return &media.LiveResult{Info: media.MediaInfo{DurationMs: 1000, Width: 4, Height: 2, SizeBytes: total, VideoCodec: "h264"}, VideoCopied: true}, nil
}

func (c *copyLive) Poster(ctx context.Context, video, out string, atMs int64) error {
	return os.WriteFile(out, []byte{0xFF, 0xD8}, 0o644)
}

// recording is one upload in progress for the admission tests.
type recording struct {
	id, path string
	size     int64
}

func (f *liveFixture) newRecording(t *testing.T) *recording {
	t.Helper()
	v, err := f.svc.CreateVideo(context.Background(), "rec")
	if err != nil {
		t.Fatal(err)
	}
	return &recording{id: v.ID, path: filepath.Join(t.TempDir(), "upload")}
}

func (r *recording) add(t *testing.T, ls *media.LiveSessions, b []byte) {
	t.Helper()
	fh, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write(b); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	r.size += int64(len(b))
	ls.Notify(r.id, r.path, r.size)
}

func mustMode(t *testing.T, ls *media.LiveSessions, r *recording, want media.LiveMode) {
	t.Helper()
	if got, note := ls.Mode(r.id); got != want {
		t.Fatalf("Mode = %q (%q), want %q", got, note, want)
	}
	if want == media.LiveModeNone {
		return
	}
	// Stored on the video too, for the processes that do not hold the
	// upload.
	v, err := ls.Svc.Videos.Video(context.Background(), r.id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Processing != want {
		t.Fatalf("stored Processing = %q, want %q", v.Processing, want)
	}
}

// With room for two live sessions, the third recording is refused and told
// so; it still ends ready through the job path (CompleteUpload), with every
// byte as its original. When a session ends, the refused recording that
// is still short is promoted at its next chunk; one that is too long to
// catch up stays with the job.
func TestAdmissionBoundsLiveSessions(t *testing.T) {
	lt := &copyLive{}
	f := newLiveFixture(t, lt)
	f.svc.Transcoder = &fakeTranscoder{}
	f.ls.Admission = &media.Admission{MaxLive: 2, PromoteBytes: 100}
	ctx := context.Background()
	a, b, c, d := f.newRecording(t), f.newRecording(t), f.newRecording(t), f.newRecording(t)
	for _, r := range []*recording{a, b, c, d} {
		r.add(t, f.ls, []byte("\x1a\x45\xdf\xa3 first"))
	}
	mustMode(t, f.ls, a, media.LiveModeLive)
	mustMode(t, f.ls, b, media.LiveModeLive)
	mustMode(t, f.ls, c, media.LiveModeAfterUpload)
	mustMode(t, f.ls, d, media.LiveModeAfterUpload)
	if n, max := f.ls.Admission.Running(); n != 2 || max != 2 {
		t.Fatalf("Running = %d of %d, want 2 of 2", n, max)
	}
	// d grows past what may still be promoted.
	d.add(t, f.ls, bytes.Repeat([]byte("d"), 200))

	// a stops: its slot frees once its session is done.
	a.add(t, f.ls, []byte(" end"))
	va, err := f.svc.CompleteUpload(ctx, a.id, a.path, a.size)
	if err != nil || va.Status != media.StatusReady {
		t.Fatalf("a: %v, %+v", err, va)
	}
	// The next chunk of c promotes it; d is too long by now.
	c.add(t, f.ls, []byte(" more"))
	d.add(t, f.ls, []byte(" more"))
	mustMode(t, f.ls, c, media.LiveModeLive)
	mustMode(t, f.ls, d, media.LiveModeAfterUpload)

	// Everyone stops. The live ones are ready at once; d goes to a job,
	// with its whole upload as the original.
	for _, r := range []*recording{b, c} {
		v, err := f.svc.CompleteUpload(ctx, r.id, r.path, r.size)
		if err != nil || v.Status != media.StatusReady {
			t.Fatalf("live recording: %v, %+v", err, v)
		}
		want, _ := os.ReadFile(r.path)
		if got := readObject(t, f.blobs, media.MP4Key(r.id)); !bytes.Equal(got, want) {
			t.Fatalf("promoted recording's MP4 = %q, want every byte from the first: %q", got, want)
		}
	}
	v, err := f.svc.CompleteUpload(ctx, d.id, d.path, d.size)
	if err != nil || v.Status != media.StatusProcessing {
		t.Fatalf("refused recording: %v, %+v; want a processing job", err, v)
	}
	want, _ := os.ReadFile(d.path)
	if got := readObject(t, f.blobs, media.OriginalKey(d.id)); !bytes.Equal(got, want) {
		t.Fatal("the refused recording's original is not every uploaded byte")
	}
	mustMode(t, f.ls, d, media.LiveModeNone)
	if lt.peak > 2 {
		t.Fatalf("%d live runs at once, over the bound of 2", lt.peak)
	}
	if n, _ := f.ls.Admission.Running(); n != 0 {
		t.Fatalf("%d slots still held", n)
	}
}

// A session stopped for using too much memory frees its slot and sends its
// recording to the job path with a reason a person can read; it is not
// admitted again.
func TestAdmissionMemoryFallback(t *testing.T) {
	lt := &copyLive{failWith: fmt.Errorf("transcode: live: ffmpeg used 300 MiB: %w", media.ErrLiveOverMemory)}
	f := newLiveFixture(t, lt)
	f.svc.Transcoder = &fakeTranscoder{}
	f.ls.Admission = &media.Admission{MaxLive: 1, MaxRSS: 1 << 20, PromoteBytes: 1 << 20}
	r := f.newRecording(t)
	sub := f.svc.Events.Subscribe(r.id)
	defer sub.Close()
	r.add(t, f.ls, []byte("\x1a\x45\xdf\xa3 first"))
	// The stopped session stores the reason on the video, which every
	// process shows; this one says the same from memory.
	for told := false; !told; {
		select {
		case v := <-sub.C:
			if v.Processing != media.LiveModeAfterUpload {
				continue
			}
			if !strings.Contains(v.ProcessingNote, "memory") {
				t.Fatalf("stored note = %q, want the memory reason", v.ProcessingNote)
			}
			told = true
		case <-time.After(10 * time.Second):
			t.Fatal("the stopped session's reason was never stored")
		}
	}
	if mode, note := f.ls.Mode(r.id); mode != media.LiveModeAfterUpload || !strings.Contains(note, "memory") {
		t.Fatalf("Mode = %q (%q), want after-upload with the memory reason", mode, note)
	}
	if n, _ := f.ls.Admission.Running(); n != 0 {
		t.Fatal("the stopped session kept its slot")
	}
	r.add(t, f.ls, []byte(" more"))
	mustMode(t, f.ls, r, media.LiveModeAfterUpload)
	v, err := f.svc.CompleteUpload(context.Background(), r.id, r.path, r.size)
	if err != nil || v.Status != media.StatusProcessing {
		t.Fatalf("CompleteUpload = %v, %+v; want a processing job", err, v)
	}
}

// fakeTranscoder takes any upload as a one-second Matroska video, for the
// hand-off to a job (ffmpeg's own checks are tested in transcode).
type fakeTranscoder struct{}

func (fakeTranscoder) Sniff(header []byte) (string, error) { return "matroska", nil }

func (fakeTranscoder) Inspect(ctx context.Context, path string) (*media.MediaInfo, error) {
	return &media.MediaInfo{Container: "matroska", DurationMs: 1000, Width: 4, Height: 2}, nil
}

func (fakeTranscoder) Process(ctx context.Context, req media.ProcessRequest) (*media.ProcessResult, error) {
	return nil, media.Errorf(media.EINTERNAL, "not in these tests")
}

// gatedTranscoder processes uploads (as fakeTranscoder takes them) only
// when the test opens the gate, and counts the jobs converting at once.
type gatedTranscoder struct {
	fakeTranscoder
	started   chan struct{} // one per Process call
	cancelled chan struct{} // one per Process call stopped by its context
	gate      chan struct{} // closed: every Process finishes

	mu            sync.Mutex
	running, peak int
}

func newGatedTranscoder() *gatedTranscoder {
	return &gatedTranscoder{started: make(chan struct{}, 64), cancelled: make(chan struct{}, 64), gate: make(chan struct{})}
}

func (g *gatedTranscoder) Process(ctx context.Context, req media.ProcessRequest) (*media.ProcessResult, error) {
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	g.started <- struct{}{}
	select {
	case <-ctx.Done():
		g.cancelled <- struct{}{}
		return nil, ctx.Err()
	case <-g.gate:
	}
	mp4, poster := filepath.Join(req.OutDir, "video.mp4"), filepath.Join(req.OutDir, "poster.jpg")
	if err := os.WriteFile(mp4, []byte("mp4"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(poster, []byte{0xFF, 0xD8}, 0o644); err != nil {
		return nil, err
	}
	return &media.ProcessResult{MP4Path: mp4, PosterPath: poster, Info: media.MediaInfo{DurationMs: 1000, Width: 4, Height: 2, SizeBytes: 3}}, nil
}

// receive waits for n signals on ch; the timeout only turns a hang into a
// failure.
func receive(t *testing.T, ch <-chan struct{}, n int, what string) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: %d of %d", what, i, n)
		}
	}
}

// One budget for jobs and live sessions: with BATON_MAX_LIVE=2 and one
// worker, five uploaded files run three at once (the job's own slot and
// the two idle live slots). Recordings that start meanwhile take their
// live slots back from the jobs that borrowed them (those jobs are put
// back in the queue, not failed), but never the job's own slot: a third
// recording is refused and ends ready through a job. Every video ends
// ready.
func TestJobsShareTheSlotBudget(t *testing.T) {
	f := newLiveFixture(t, &copyLive{})
	g := newGatedTranscoder()
	f.svc.Transcoder = g
	adm := &media.Admission{MaxLive: 2, PromoteBytes: 1 << 20}
	f.ls.Admission = adm
	pool := media.NewPool(f.svc, media.WorkerConfig{Workers: 1, Budget: adm, TempDir: t.TempDir(), Poll: time.Minute, BackoffBase: time.Millisecond})
	f.svc.Wake = pool.Wake
	ctx, cancel := context.WithCancel(context.Background())
	poolDone := make(chan struct{})
	go func() { defer close(poolDone); pool.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-poolDone })

	var files []*recording
	for i := 0; i < 5; i++ {
		r := f.newRecording(t)
		fh, err := os.Create(r.path)
		if err != nil {
			t.Fatal(err)
		}
		fh.WriteString("\x1a\x45\xdf\xa3 an uploaded file")
		fh.Close()
		if v, err := f.svc.CompleteUpload(ctx, r.id, r.path, 22); err != nil || v.Status != media.StatusProcessing {
			t.Fatalf("CompleteUpload = %v, %+v", err, v)
		}
		files = append(files, r)
	}
	receive(t, g.started, 3, "jobs started on the budget of 3")
	if n := adm.RunningJobs(); n != 3 {
		t.Fatalf("%d jobs hold a slot, want 3", n)
	}
	if _, ok := adm.TakeJob(); ok {
		t.Fatal("a fourth job got a slot beyond the budget")
	}

	// Two recordings start: each takes back a live slot a job borrowed.
	a, b, c := f.newRecording(t), f.newRecording(t), f.newRecording(t)
	a.add(t, f.ls, []byte("\x1a\x45\xdf\xa3 first"))
	receive(t, g.cancelled, 1, "borrowed slot taken back for the first recording")
	b.add(t, f.ls, []byte("\x1a\x45\xdf\xa3 first"))
	receive(t, g.cancelled, 1, "borrowed slot taken back for the second recording")
	mustMode(t, f.ls, a, media.LiveModeLive)
	mustMode(t, f.ls, b, media.LiveModeLive)
	// The third finds the live slots full; the job keeps its own slot.
	c.add(t, f.ls, []byte("\x1a\x45\xdf\xa3 first"))
	mustMode(t, f.ls, c, media.LiveModeAfterUpload)
	if n := adm.RunningJobs(); n != 1 {
		t.Fatalf("%d jobs hold a slot while two recordings are live, want the jobs' own 1", n)
	}
	if _, ok := adm.TakeJob(); ok {
		t.Fatal("a job got a slot that live sessions hold")
	}

	// Everyone stops; the live recordings are ready at once and give their
	// slots back to the jobs, which all finish, the refused recording's too.
	for _, r := range []*recording{a, b} {
		if v, err := f.svc.CompleteUpload(ctx, r.id, r.path, r.size); err != nil || v.Status != media.StatusReady {
			t.Fatalf("live recording: %v, %+v", err, v)
		}
	}
	if v, err := f.svc.CompleteUpload(ctx, c.id, c.path, c.size); err != nil || v.Status != media.StatusProcessing {
		t.Fatalf("refused recording: %v, %+v; want a processing job", err, v)
	}
	var subs []*media.Subscription
	for _, r := range append(files, c) {
		sub := f.svc.Events.Subscribe(r.id)
		defer sub.Close()
		subs = append(subs, sub)
	}
	close(g.gate)
	for _, sub := range subs {
		waitReady(t, sub)
	}
	cancel()
	<-poolDone
	if g.peak != 3 {
		t.Fatalf("at most %d jobs ran at once, want 3 (the budget)", g.peak)
	}
	if n := adm.RunningJobs(); n != 0 {
		t.Fatalf("%d job slots still held", n)
	}
}

// waitReady waits for the change that makes the subscribed video ready.
func waitReady(t *testing.T, sub *media.Subscription) {
	t.Helper()
	for {
		select {
		case v := <-sub.C:
			switch v.Status {
			case media.StatusReady:
				return
			case media.StatusFailed:
				t.Fatalf("video %s failed: %s", v.ID, v.Error)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("video not ready")
		}
	}
}
