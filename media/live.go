package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LiveSessions turns recordings into playable output while they upload.
//
// A browser recorder appends a chunk about every second. After each append
// the upload handler calls Notify; the first call starts a session that runs
// the LiveTranscoder over the staging file as it grows. The session streams
// the final MP4 and the original into the blob store as they are produced
// and publishes HLS segments so viewers can watch before the recording ends.
// When the last chunk arrives, Finish closes the input and waits: only the
// tail is left to do, so the time from Stop to ready does not grow with the
// recording's length.
//
// Sessions are an optimisation over the durable job path, not a replacement:
// a session that fails for a transient reason, or one lost with its process,
// leaves the complete upload to Service.FinishUpload and a processing job.
// That is why a session never changes the video's state before it is done:
// the video stays uploading, its upload complete in staging, until one
// transaction makes it ready (its original and outputs already committed to
// the store). A process killed anywhere in between leaves an upload that
// the next process hands to a job; the half-written objects are swept as
// unfinished writes.
type LiveSessions struct {
	Svc        *Service
	Transcoder LiveTranscoder
	TempDir    string
	// FinishTimeout bounds how long Finish waits for the tail.
	FinishTimeout time.Duration
	Log           *slog.Logger
	// Admission, if set, bounds the sessions (admission.go).
	Admission *Admission

	mu       sync.Mutex
	sessions map[string]*liveSession
	told     map[string]LiveMode // the mode stored on each uploading video (tell)
	wg       sync.WaitGroup
}

type liveSession struct {
	ls     *LiveSessions
	id     string
	path   string
	dir    string
	cancel context.CancelFunc

	mu     sync.Mutex
	cond   *sync.Cond
	avail  int64 // bytes of the staging file that are safely written
	final  int64 // total length once known, else -1
	read   int64 // bytes handed to the transcoder so far
	closed bool  // abandoned: readers return an error

	done    chan struct{}
	res     *LiveResult
	err     error
	mp4     BlobWriter
	orig    BlobWriter
	mp4Path string

	// Touched only by the transcoder's OnSegment calls, which never overlap.
	initSent bool
	sent     map[string]bool
	// playlistSent: the store has a playlist, so the rendition can be
	// offered to viewers.
	playlistSent bool
}

var errAbandoned = errors.New("media: live session abandoned")

func (ls *LiveSessions) log() *slog.Logger {
	if ls.Log != nil {
		return ls.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Notify tells the sessions that the upload of video id (staged at path)
// now holds offset bytes. It starts a session on the first call.
func (ls *LiveSessions) Notify(id, path string, offset int64) {
	if ls == nil || ls.Transcoder == nil || offset <= 0 {
		return
	}
	ls.mu.Lock()
	if ls.sessions == nil {
		ls.sessions = make(map[string]*liveSession)
	}
	s := ls.sessions[id]
	if s == nil {
		// Only browser recordings (Matroska/WebM) are transcoded live;
		// anything else (an MP4 from a phone) is left to the processing
		// job, which takes more formats. Asked before a slot is taken,
		// which may stop a job that borrowed it. Until the first bytes are
		// in, the next Notify asks again.
		if !ls.isRecording(path) {
			ls.mu.Unlock()
			return
		}
		if !ls.Admission.acquire(id, offset) {
			ls.mu.Unlock()
			ls.tell(id) // processed by a job after Stop
			return
		}
		s = ls.start(id, path)
		if s == nil {
			ls.Admission.release(id, nil)
			ls.mu.Unlock()
			return
		}
		ls.sessions[id] = s
		ls.mu.Unlock()
		ls.tell(id)
	} else {
		ls.mu.Unlock()
	}
	s.advance(offset, -1)
}

// tell stores on the video how its recording is processed, when that
// changed, so that every process can say so (Video.Processing); this
// process answers from memory (Mode). A failed write is retried at the
// next chunk.
func (ls *LiveSessions) tell(id string) {
	mode, note := ls.Mode(id)
	ls.mu.Lock()
	same := ls.told[id] == mode
	ls.mu.Unlock()
	if same || mode == LiveModeNone || ls.Svc == nil || ls.Svc.Videos == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := ls.Svc.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		if UploadDone(v) {
			return errTold // handed off meanwhile: nothing to say any more
		}
		v.Processing, v.ProcessingNote = mode, note
		return nil
	})
	if errors.Is(err, errTold) {
		return
	}
	if err != nil {
		ls.log().Warn("store how a recording is processed", "video_id", id, "err", err)
		return
	}
	ls.mu.Lock()
	if ls.told == nil {
		ls.told = make(map[string]LiveMode)
	}
	ls.told[id] = mode
	ls.mu.Unlock()
	ls.Svc.Events.Publish(v)
}

var errTold = errors.New("media: upload handed off")

// Active reports whether a session is running for id.
func (ls *LiveSessions) Active(id string) bool {
	if ls == nil {
		return false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.sessions[id] != nil
}

func (ls *LiveSessions) start(id, path string) *liveSession {
	dir, err := os.MkdirTemp(ls.TempDir, "live-")
	if err != nil {
		ls.log().Warn("live session: temp dir", "video_id", id, "err", err)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveSession{ls: ls, id: id, path: path, dir: dir, cancel: cancel, final: -1, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	ls.wg.Add(1)
	go func() {
		defer ls.wg.Done()
		defer close(s.done)
		s.res, s.err = s.run(ctx)
		ls.Admission.release(id, s.err)
		if s.err != nil && !errors.Is(s.err, errAbandoned) {
			ls.tell(id) // live processing stopped: why
		}
		if s.err != nil {
			s.abort()
		}
	}()
	return s
}

// isRecording reports whether the staged upload at path starts like a
// Matroska/WebM file. Without a Transcoder to sniff with, the live
// transcoder is left to judge.
func (ls *LiveSessions) isRecording(path string) bool {
	if ls.Svc == nil || ls.Svc.Transcoder == nil {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	c, err := ls.Svc.Transcoder.Sniff(head[:n])
	return err == nil && c == "matroska"
}

func (s *liveSession) advance(avail, final int64) {
	s.mu.Lock()
	if avail > s.avail {
		s.avail = avail
	}
	if final >= 0 {
		s.final = final
		s.avail = final
	}
	s.mu.Unlock()
	s.cond.Broadcast()
}

// run drives the transcoder until the input ends.
func (s *liveSession) run(ctx context.Context) (*LiveResult, error) {
	svc := s.ls.Svc
	log := s.ls.log().With("video_id", s.id)
	if st, ok := svc.Blobs.(StreamingBlobStore); ok {
		var err error
		if s.mp4, err = st.Create(ctx, MP4Key(s.id), "video/mp4"); err != nil {
			return nil, err
		}
		if s.orig, err = st.Create(ctx, OriginalKey(s.id), "video/x-matroska"); err != nil {
			return nil, err
		}
	}
	s.mp4Path = filepath.Join(s.dir, "video.mp4")
	local, err := os.Create(s.mp4Path)
	if err != nil {
		return nil, WrapError(ENOSPACE, err, "No space for temporary files.")
	}
	defer local.Close()
	var mp4 io.Writer = local
	if s.mp4 != nil {
		mp4 = io.MultiWriter(local, s.mp4)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("media: open staged upload: %w", err)
	}
	defer f.Close()
	hls := filepath.Join(s.dir, "hls")
	if err := os.Mkdir(hls, 0o700); err != nil {
		return nil, err
	}
	v, err := svc.Video(ctx, s.id)
	if err != nil {
		return nil, err
	}
	published := false
	res, err := s.ls.Transcoder.Live(ctx, LiveRequest{
		Input:       &tailReader{s: s, f: f},
		HLSDir:      hls,
		MP4:         mp4,
		MaxRSS:      s.ls.Admission.maxRSS(),
		MaxDuration: v.LengthLimit(),
		OnSegment: func(name string) {
			if err := s.publishSegment(ctx, hls, name); err != nil {
				log.Warn("publish live segment", "segment", name, "err", err)
				return
			}
			// Offered to viewers only once a playlist is in the store: the
			// first segment's playlist may be skipped (see publishPlaylist).
			if !published && s.playlistSent {
				published = true
				if v, err := svc.Videos.UpdateVideo(ctx, s.id, "", func(v *Video) error {
					v.Live = true
					return nil
				}); err == nil {
					svc.Events.Publish(v)
				}
			}
		},
	})
	if err != nil {
		return nil, err
	}
	// The final playlist (with its end marker) is what players that are
	// still on the live rendition need to stop waiting.
	if err := s.publishPlaylist(ctx, hls); err != nil {
		log.Warn("publish final playlist", "err", err)
	}
	return res, nil
}

func (s *liveSession) publishSegment(ctx context.Context, dir, name string) error {
	if !ValidLiveName(name) {
		return fmt.Errorf("media: unexpected live file %q", name)
	}
	if !s.initSent {
		if err := s.putFile(ctx, filepath.Join(dir, "init.mp4"), LiveKey(s.id, "init.mp4"), "video/mp4"); err != nil {
			return err
		}
		s.initSent = true
	}
	if err := s.putFile(ctx, filepath.Join(dir, name), LiveKey(s.id, name), "video/iso.segment"); err != nil {
		return err
	}
	if s.sent == nil {
		s.sent = make(map[string]bool)
	}
	s.sent[name] = true
	return s.publishPlaylist(ctx, dir)
}

// publishPlaylist uploads the playlist as it is on disk, unless it already
// names a segment that is not in the store yet: a player must never be told
// about a segment it cannot fetch. The next segment's call publishes it.
func (s *liveSession) publishPlaylist(ctx context.Context, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !s.sent[line] {
			return nil
		}
	}
	if err := s.ls.Svc.Blobs.Put(ctx, LiveKey(s.id, "index.m3u8"), bytes.NewReader(b), int64(len(b)), "application/vnd.apple.mpegurl"); err != nil {
		return err
	}
	s.playlistSent = true
	return nil
}

func (s *liveSession) putFile(ctx context.Context, path, key, contentType string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return s.ls.Svc.Blobs.Put(ctx, key, f, st.Size(), contentType)
}

// abort discards what the session wrote.
func (s *liveSession) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.mp4 != nil {
		_ = s.mp4.Abort(ctx)
	}
	if s.orig != nil {
		_ = s.orig.Abort(ctx)
	}
}

func (s *liveSession) cleanup() {
	_ = os.RemoveAll(s.dir)
}

// tailReader reads the staging file as it grows: it blocks until more bytes
// are acknowledged to the client, and ends at the declared length. Every
// byte it hands out is also streamed into the stored original.
type tailReader struct {
	s *liveSession
	f *os.File
}

func (r *tailReader) Read(p []byte) (int, error) {
	s := r.s
	s.mu.Lock()
	for !s.closed && s.read >= s.avail && (s.final < 0 || s.read < s.final) {
		s.cond.Wait()
	}
	if s.closed {
		s.mu.Unlock()
		return 0, errAbandoned
	}
	if s.final >= 0 && s.read >= s.final {
		s.mu.Unlock()
		return 0, io.EOF
	}
	n := min(int64(len(p)), s.avail-s.read)
	off := s.read
	s.mu.Unlock()

	m, err := r.f.ReadAt(p[:n], off)
	if m > 0 {
		if s.orig != nil {
			if _, werr := s.orig.Write(p[:m]); werr != nil {
				return 0, werr
			}
		}
		s.mu.Lock()
		s.read += int64(m)
		s.mu.Unlock()
	}
	if errors.Is(err, io.EOF) && m > 0 {
		err = nil
	}
	return m, err
}

// Finish ends the session of video id after its upload completed with size
// bytes, and makes the video ready from the session's output. It reports
// handled=false when there is no usable session (none, it failed for a
// transient reason, it did not finish in time, its outputs could not be
// stored), so the caller falls back to the durable processing path; a
// refusal of the input is returned as err with handled=true (the video is
// then marked failed). The video is not touched before the end (see
// LiveSessions).
func (ls *LiveSessions) Finish(ctx context.Context, id string, size int64) (v *Video, handled bool, err error) {
	if ls == nil {
		return nil, false, nil
	}
	ls.Admission.forget(id)
	ls.mu.Lock()
	s := ls.sessions[id]
	delete(ls.told, id)
	ls.mu.Unlock()
	if s == nil {
		return nil, false, nil
	}
	// Registered until it is done, so Active keeps its half-written
	// objects from the orphan sweep while they are committed.
	defer func() {
		ls.mu.Lock()
		if ls.sessions[id] == s {
			delete(ls.sessions, id)
		}
		ls.mu.Unlock()
		s.cleanup()
	}()
	svc := ls.Svc
	log := ls.log().With("video_id", id)
	start := time.Now()
	s.advance(size, size)
	timeout := ls.FinishTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.stop()
		<-s.done
		s.abort()
		log.Warn("live session did not finish in time; falling back to processing job")
		return nil, false, nil
	case <-ctx.Done():
		s.stop()
		<-s.done
		s.abort()
		return nil, false, ctx.Err()
	}
	if s.err != nil {
		if IsPermanent(s.err) {
			v, uerr := svc.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
				v.Status, v.ErrorCode, v.Error, v.Live = StatusFailed, ErrorCode(s.err), ErrorMessage(s.err), false
				v.UploadedBytes = size
				return nil
			})
			if uerr == nil {
				svc.Events.Publish(v)
			}
			_ = svc.Blobs.DeletePrefix(context.WithoutCancel(ctx), VideoPrefix(id))
			return nil, true, s.err
		}
		log.Warn("live session failed; falling back to processing job", "err", s.err)
		_ = svc.Blobs.DeletePrefix(context.WithoutCancel(ctx), LivePrefix(id))
		return nil, false, nil
	}
	v, err = ls.publish(ctx, s, size)
	if err != nil {
		s.abort()
		if ErrorCode(err) == ENOTFOUND {
			return nil, true, err // deleted meanwhile
		}
		log.Warn("publish live output; falling back to processing job", "err", err)
		return nil, false, nil
	}
	log.Info("live recording ready", "tail", time.Since(start).Round(time.Millisecond), "duration_ms", v.DurationMs)
	return v, true, nil
}

// publish commits the streamed outputs, adds the poster and marks the video
// ready.
func (ls *LiveSessions) publish(ctx context.Context, s *liveSession, size int64) (*Video, error) {
	svc := ls.Svc
	res := s.res
	if s.mp4 != nil {
		if err := s.mp4.Commit(ctx); err != nil {
			return nil, err
		}
	} else if err := s.putFile(ctx, s.mp4Path, MP4Key(s.id), "video/mp4"); err != nil {
		return nil, err
	}
	if s.orig != nil {
		if err := s.orig.Commit(ctx); err != nil {
			return nil, err
		}
	} else if err := s.putFile(ctx, s.path, OriginalKey(s.id), "video/x-matroska"); err != nil {
		return nil, err
	}
	hasPoster := false
	poster := filepath.Join(s.dir, "poster.jpg")
	if err := ls.Transcoder.Poster(ctx, s.mp4Path, poster, min(1000, res.Info.DurationMs/3)); err == nil {
		if err := s.putFile(ctx, poster, PosterKey(s.id), "image/jpeg"); err == nil {
			hasPoster = true
		}
	}
	// The streamed MP4 is fragmented; a background job rewrites it with its
	// index in front, which long videos open much faster with.
	v, err := svc.Videos.UpdateVideo(ctx, s.id, JobFaststart, func(v *Video) error {
		if UploadDone(v) {
			return Errorf(ECONFLICT, "The video changed while it was finishing.")
		}
		v.Status, v.Progress, v.Live = StatusReady, 100, false
		v.ErrorCode, v.Error = "", ""
		v.DurationMs, v.Width, v.Height = res.Info.DurationMs, res.Info.Width, res.Info.Height
		v.SizeBytes, v.HasMP4, v.HasPoster = res.Info.SizeBytes, true, hasPoster
		v.UploadedBytes, v.OriginalSize, v.OriginalFormat = size, size, "matroska"
		return nil
	})
	if err != nil {
		return nil, err
	}
	svc.Events.Publish(v)
	svc.notifyReady(ctx, v)
	if svc.Wake != nil {
		svc.Wake()
	}
	return v, nil
}

func (s *liveSession) stop() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cond.Broadcast()
	s.cancel()
}

// Drop abandons the session of id (the video was deleted or the upload
// refused) and discards its output.
func (ls *LiveSessions) Drop(id string) {
	if ls == nil {
		return
	}
	ls.Admission.forget(id)
	ls.mu.Lock()
	s := ls.sessions[id]
	delete(ls.sessions, id)
	delete(ls.told, id)
	ls.mu.Unlock()
	if s != nil {
		s.stop()
		<-s.done
		s.abort()
		s.cleanup()
	}
}

// Close abandons every session (at shutdown). Their uploads stay staged, and
// resume in a new session or finish through a processing job.
func (ls *LiveSessions) Close() {
	if ls == nil {
		return
	}
	ls.mu.Lock()
	ids := make([]string, 0, len(ls.sessions))
	for id := range ls.sessions {
		ids = append(ids, id)
	}
	ls.mu.Unlock()
	for _, id := range ids {
		ls.Drop(id)
	}
	ls.wg.Wait()
}
