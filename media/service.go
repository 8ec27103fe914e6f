package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Service holds the video rules: creating, renaming, deleting, and the
// hand-off from a finished upload to processing.
type Service struct {
	Videos     VideoStore
	Jobs       JobQueue
	Blobs      BlobStore
	Transcoder Transcoder
	Events     *Broker
	Log        *slog.Logger
	// Live, if set, processes recordings while they upload.
	Live *LiveSessions
	// Notify, if set, hears when videos become ready (notify.go).
	Notify *Notifier
	// Scratch, if set, is this process's temp space; SweepOrphans removes
	// the scratch of processes that are gone.
	Scratch *Scratch
	// Record, if set, runs the written record's follow-up jobs
	// (transcripts, thumbnails, edits; transcript.go).
	Record *Record

	// Wake, if set, is poked when a job is enqueued so that an in-process
	// worker starts at once instead of at its next poll.
	Wake func()

	// views remembers counted views for the view rule (views.go).
	views ViewLog

	progressMu      sync.Mutex
	lastProgress    map[string]time.Time
	progressPruneAt int // size of lastProgress at which lapsed entries are dropped
}

// CreateVideo creates a video waiting for its upload, owned by nobody.
func (s *Service) CreateVideo(ctx context.Context, title string) (*Video, error) {
	return s.CreateVideoFor(ctx, "", title)
}

// CreateVideoFor creates a video waiting for its upload, owned by the user
// ownerID.
func (s *Service) CreateVideoFor(ctx context.Context, ownerID, title string) (*Video, error) {
	title, err := NormalizeTitle(title)
	if err != nil {
		return nil, err
	}
	v := &Video{ID: NewID(), Slug: NewSlug(), Title: title, Status: StatusCreated, OwnerID: ownerID}
	if err := s.Videos.CreateVideo(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Rename changes a video's title.
func (s *Service) Rename(ctx context.Context, id, title string) (*Video, error) {
	title, err := NormalizeTitle(title)
	if err != nil {
		return nil, err
	}
	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		v.Title = title
		return nil
	})
	if err == nil {
		s.Events.Publish(v)
	}
	return v, err
}

// DeleteVideo removes a video's objects, then the video. Objects go first:
// if the store is down the request fails and can be retried, instead of
// leaving objects no row points at.
func (s *Service) DeleteVideo(ctx context.Context, id string) error {
	if _, err := s.Videos.Video(ctx, id); err != nil {
		return err
	}
	s.Live.Drop(id)
	if err := s.Blobs.DeletePrefix(ctx, VideoPrefix(id)); err != nil {
		return err
	}
	return s.Videos.DeleteVideo(ctx, id)
}

// CheckUploadable returns the video if it may receive upload bytes.
func (s *Service) CheckUploadable(ctx context.Context, id string) (*Video, error) {
	v, err := s.Videos.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	switch v.Status {
	case StatusCreated, StatusUploading:
		return v, nil
	case StatusFailed:
		return nil, Errorf(EGONE, "This upload was refused: %s", v.Error)
	default:
		return nil, Errorf(ECONFLICT, "This video's upload is already complete.")
	}
}

// UploadProgress records how many bytes of the original have arrived. The
// first call moves the video to uploading. Writes are throttled per video.
func (s *Service) UploadProgress(ctx context.Context, id string, bytes int64) {
	s.progressMu.Lock()
	if s.lastProgress == nil {
		s.lastProgress = make(map[string]time.Time)
	}
	now := time.Now()
	last, seen := s.lastProgress[id]
	if seen && now.Sub(last) < progressEvery {
		s.progressMu.Unlock()
		return
	}
	s.lastProgress[id] = now
	// Forget lapsed entries (finished, abandoned and deleted uploads) now
	// and then, or the map would keep every video ever uploaded.
	if len(s.lastProgress) >= s.progressPruneAt {
		for k, t := range s.lastProgress {
			if now.Sub(t) >= progressEvery {
				delete(s.lastProgress, k)
			}
		}
		s.progressPruneAt = max(2*len(s.lastProgress), 64)
	}
	s.progressMu.Unlock()

	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		if v.Status != StatusCreated && v.Status != StatusUploading {
			return errSkip
		}
		v.Status = StatusUploading
		if bytes > v.UploadedBytes {
			v.UploadedBytes = bytes
		}
		return nil
	})
	if err == nil {
		s.Events.Publish(v)
	} else if !errors.Is(err, errSkip) && ErrorCode(err) != ENOTFOUND {
		s.Log.Warn("record upload progress", "video_id", id, "err", err)
	}
}

// progressEvery is the least time between two progress writes of a video.
const progressEvery = 500 * time.Millisecond

var errSkip = errors.New("skip")

// FinishUpload checks a complete upload and hands it to processing: the
// file is sniffed and probed (fast; nothing is transcoded here), stored as the
// original, and a processing job is enqueued in the same transaction that
// sets the video to processing. Refused input marks the video failed with the
// reason and returns the refusal; nothing is stored.
//
// The order is what makes a crash at any point harmless: until the
// transaction commits the video is still uploading and its staged upload is
// kept, so the hand-off simply runs again (the Put overwrites whatever half
// of it happened); once it commits, the original is durably in the store and
// a job exists, and the staged upload may go.
func (s *Service) FinishUpload(ctx context.Context, id, path string, size int64) (*Video, error) {
	v, err := s.CheckUploadable(ctx, id)
	if err != nil {
		return nil, err
	}
	info, err := s.inspectUpload(ctx, path, size)
	if err != nil {
		if refusedOutright(err) {
			// Not a video at all (its first bytes say so): there is nothing
			// to keep, show or retry, so the video the upload was made for
			// goes too and no library card is left behind.
			if derr := s.DeleteVideo(context.WithoutCancel(ctx), id); derr != nil && ErrorCode(derr) != ENOTFOUND {
				s.Log.Warn("delete refused upload", "video_id", id, "err", derr)
			}
			return nil, err
		}
		if IsPermanent(err) {
			v, uerr := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
				v.Status, v.ErrorCode, v.Error = StatusFailed, ErrorCode(err), ErrorMessage(err)
				v.UploadedBytes = size
				return nil
			})
			if uerr == nil {
				s.Events.Publish(v)
			}
		}
		return nil, err
	}
	// A local store links the staged file instead of copying it
	// (localfiles.go).
	if err := s.putFile(ctx, OriginalKey(id), path, size, containerMIME(info.Container)); err != nil {
		return nil, err
	}
	if v.Live {
		// A live session got this far once (then its process died, or it
		// failed): its rendition is of no use to the job, and watch pages
		// must stop offering it.
		if err := s.Blobs.DeletePrefix(ctx, LivePrefix(id)); err != nil {
			return nil, err
		}
	}
	v, err = s.Videos.UpdateVideo(ctx, id, JobProcess, func(v *Video) error {
		if v.Status != StatusCreated && v.Status != StatusUploading {
			return Errorf(ECONFLICT, "This video's upload is already complete.")
		}
		v.Status, v.Progress, v.Live = StatusProcessing, 0, false
		v.ErrorCode, v.Error = "", ""
		v.UploadedBytes, v.OriginalSize, v.OriginalFormat = size, size, info.Container
		v.DurationMs, v.Width, v.Height = info.DurationMs, info.Width, info.Height
		return nil
	})
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			// The video was deleted meanwhile: do not keep an object that
			// nothing points at.
			_ = s.Blobs.Delete(context.WithoutCancel(ctx), OriginalKey(id))
		}
		return nil, err
	}
	s.Events.Publish(v)
	if s.Wake != nil {
		s.Wake()
	}
	return v, nil
}

// checkStaged fsyncs the staged upload at path, so that what the hand-off
// reads, and what the client is told is complete, is on disk. A file that
// is gone is an internal error, never a verdict on the upload's content.
func checkStaged(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("media: staged upload: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if IsNoSpace(err) {
			return WrapError(ENOSPACE, err, "The server is out of disk space for uploads. Try again later; the upload can resume.")
		}
		return fmt.Errorf("media: sync staged upload: %w", err)
	}
	return nil
}

// vanished turns err into an internal (retried) error when the file at path
// is gone: ffmpeg says a missing input "could not be decoded", which must
// not be read as a verdict on the video (someone removed our scratch).
func vanished(err error, paths ...string) error {
	if err == nil {
		return nil
	}
	for _, p := range paths {
		if _, serr := os.Stat(p); serr != nil {
			return fmt.Errorf("media: %s vanished while in use (%v); the tool said: %v", p, serr, err)
		}
	}
	return err
}

func (s *Service) inspectUpload(ctx context.Context, path string, size int64) (*MediaInfo, error) {
	if size == 0 {
		return nil, Errorf(EINVALID, "The file is empty.")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("media: open upload: %w", err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("media: read upload: %w", err)
	}
	if _, err := s.Transcoder.Sniff(head[:n]); err != nil {
		return nil, notAVideo{err}
	}
	info, err := s.Transcoder.Inspect(ctx, path)
	return info, vanished(err, path)
}

// notAVideo marks a refusal by the file's first bytes (as opposed to a
// video that probing refused), which FinishUpload does not keep a video for.
type notAVideo struct{ error }

func (e notAVideo) Unwrap() error { return e.error }

func refusedOutright(err error) bool {
	var n notAVideo
	return errors.As(err, &n) && IsPermanent(err)
}

func containerMIME(container string) string {
	switch container {
	case "matroska":
		return "video/x-matroska"
	case "mp4":
		return "video/mp4"
	}
	return "application/octet-stream"
}
