package media

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// The upload side of the lifecycle: what happens to a video while its bytes
// arrive, when the last one does, and when they stop coming. The api
// package speaks tus and keeps the staged bytes; every decision about the
// video is taken here.

// Video returns the video with id. ENOTFOUND.
func (s *Service) Video(ctx context.Context, id string) (*Video, error) {
	return s.Videos.Video(ctx, id)
}

// VideoBySlug returns the video shared under slug. ENOTFOUND.
func (s *Service) VideoBySlug(ctx context.Context, slug string) (*Video, error) {
	return s.Videos.VideoBySlug(ctx, slug)
}

// ListVideos returns a page of videos, newest first.
func (s *Service) ListVideos(ctx context.Context, opt ListOptions) ([]*Video, error) {
	return s.Videos.ListVideos(ctx, opt)
}

// CountView counts one view of the video and returns it. EGONE when its
// view budget is spent, ENOTFOUND.
func (s *Service) CountView(ctx context.Context, id string) (*Video, error) {
	return s.Videos.CountView(ctx, id)
}

// PingDatabase checks the metadata store answers.
func (s *Service) PingDatabase(ctx context.Context) error { return s.Videos.Ping(ctx) }

// Readiness checks what every process needs for its work, the database and
// the object store, each within ctx. checks has "database" and
// "objectStore", each "ok" or what is wrong in words an operator reads; ok
// is true when both are.
func (s *Service) Readiness(ctx context.Context) (checks map[string]string, ok bool) {
	checks, ok = map[string]string{}, true
	for _, c := range []struct {
		name string
		ping func(context.Context) error
	}{{"database", s.PingDatabase}, {"objectStore", s.Blobs.Ping}} {
		if err := c.ping(ctx); err != nil {
			checks[c.name], ok = ErrorMessage(err), false
		} else {
			checks[c.name] = "ok"
		}
	}
	return checks, ok
}

// UploadDone reports whether v no longer needs its staged upload: the
// original is durably in the store (processing, ready), or the upload was
// refused or expired (failed).
func UploadDone(v *Video) bool { return v.Status != StatusCreated && v.Status != StatusUploading }

// UploadReceived records that the upload of video id, staged at path, now
// holds offset bytes: the video moves to uploading, watchers see the
// progress, and a recording's live session gets the new bytes.
func (s *Service) UploadReceived(ctx context.Context, id, path string, offset int64) {
	s.UploadProgress(ctx, id, offset)
	s.Live.Notify(id, path, offset)
}

// CompleteUpload hands the complete upload of video id (size bytes, staged
// at path) on: a recording whose live session kept up is made ready from
// the session's output, anything else goes to a processing job (see
// FinishUpload). It is idempotent: for a video already handed off it
// returns the video and does nothing, so the final PATCH, a resumed HEAD
// and upkeep may all call it.
//
// The video changes state only once its original is durably in the store,
// in the same transaction that enqueues its job (or, from a live session,
// marks it ready). A crash anywhere before that leaves it uploading with
// the upload complete in staging, and the next call hands it off again.
// The caller serialises calls per video.
func (s *Service) CompleteUpload(ctx context.Context, id, path string, size int64) (*Video, error) {
	// The bytes are all here: the hand-off is not the client's to cancel
	// by hanging up.
	ctx = context.WithoutCancel(ctx)
	v, err := s.Videos.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Status == StatusProcessing || v.Status == StatusReady {
		return v, nil
	}
	if _, err := s.CheckUploadable(ctx, id); err != nil {
		return nil, err
	}
	if err := checkStaged(path); err != nil {
		return nil, err
	}
	if v, handled, err := s.Live.Finish(ctx, id, size); handled || err != nil {
		return v, err
	}
	return s.FinishUpload(ctx, id, path, size)
}

// ExpireUpload ends an upload that sat idle too long: a live session is
// dropped (its ffmpeg, scratch files and half-written objects), anything it
// published is removed, and the video fails with EGONE. The caller removes
// the staged bytes. A video already handed off is left alone.
func (s *Service) ExpireUpload(ctx context.Context, id string) (*Video, error) {
	return s.failUpload(ctx, id, EGONE, "The upload expired before it was finished.")
}

func (s *Service) failUpload(ctx context.Context, id, code, msg string) (*Video, error) {
	s.Live.Drop(id)
	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		if UploadDone(v) {
			return errSkip
		}
		v.Status, v.ErrorCode, v.Error, v.Live = StatusFailed, code, msg, false
		return nil
	})
	if errors.Is(err, errSkip) {
		return s.Videos.Video(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	s.Events.Publish(v)
	// Only now: a hand-off that won the race keeps its original. What a
	// failed delete leaves is removed with the video.
	if err := s.Blobs.DeletePrefix(ctx, VideoPrefix(id)); err != nil {
		s.logger().Warn("remove objects of a failed upload", "video_id", id, "err", err)
	}
	return v, nil
}

// RescueStranded finds videos left processing without a job (what a crash
// in an older version's final upload request did) and puts each on a path
// that ends: processing again when its original is stored; back to
// uploading when its upload is still staged (staged reports that), so the
// hand-off runs again; otherwise failed with a reason, since the bytes are
// gone. It returns how many it rescued.
func (s *Service) RescueStranded(ctx context.Context, staged func(id string) bool) (int, error) {
	ids, err := s.Jobs.StrandedVideos(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var v *Video
		_, serr := s.Blobs.Stat(ctx, OriginalKey(id))
		switch {
		case serr == nil:
			v, err = s.Videos.UpdateVideo(ctx, id, JobProcess, func(v *Video) error {
				if v.Status != StatusProcessing {
					return errSkip
				}
				v.Progress = 0
				return nil
			})
		case ErrorCode(serr) != ENOTFOUND:
			return n, serr
		case staged(id):
			v, err = s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
				if v.Status != StatusProcessing {
					return errSkip
				}
				v.Status, v.Live = StatusUploading, false
				return nil
			})
		default:
			v, err = s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
				if v.Status != StatusProcessing {
					return errSkip
				}
				v.Status, v.ErrorCode, v.Live = StatusFailed, EINTERNAL, false
				v.Error = "The upload was lost when the server stopped while finishing it. Please upload the video again."
				return nil
			})
		}
		if errors.Is(err, errSkip) || ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
		s.logger().Warn("rescued a video left processing without a job", "video_id", id, "status", v.Status)
		s.Events.Publish(v)
	}
	if n > 0 && s.Wake != nil {
		s.Wake()
	}
	return n, nil
}

// Orphans counts what SweepOrphans removed.
type Orphans struct {
	Objects int // unfinished object writes (temp files, multipart uploads)
	Scratch int // scratch directories of processes that are gone
}

// SweepOrphans removes what writers that died left behind: unfinished
// object writes untouched for olderThan, except those of live sessions
// running in this process (a paused recording writes nothing for a while),
// and the scratch of processes that are gone.
//
// Foot-gun: another process's write is told apart only by its age. A
// `baton worker` keeps its temp files fresh while it writes, but an S3
// multipart upload is dated by its start, so olderThan must exceed the
// longest Put a worker makes.
func (s *Service) SweepOrphans(ctx context.Context, olderThan time.Duration) (Orphans, error) {
	var out Orphans
	if s.Scratch != nil {
		out.Scratch = s.Scratch.Sweep(olderThan)
	}
	sw, ok := s.Blobs.(UnfinishedSweeper)
	if !ok {
		return out, nil
	}
	list, err := sw.Unfinished(ctx, "")
	if err != nil {
		return out, err
	}
	cutoff := time.Now().Add(-olderThan)
	for _, u := range list {
		id := videoOfKey(u.Key)
		if u.ModTime.After(cutoff) || s.Live.Active(id) || s.mayStillWrite(ctx, id) {
			continue
		}
		if err := sw.RemoveUnfinished(ctx, u); err != nil {
			return out, err
		}
		out.Objects++
	}
	return out, nil
}

// mayStillWrite reports whether a video's writes may be in progress in some
// process sharing the store: its upload or processing is not over (a
// recording longer than the orphan age streams into one multipart upload on
// the process that holds it, which this process's Live does not know of).
// Its leftovers are swept once it is ready or failed.
func (s *Service) mayStillWrite(ctx context.Context, id string) bool {
	if id == "" || s.Videos == nil {
		return false
	}
	v, err := s.Videos.Video(ctx, id)
	if err != nil {
		return ErrorCode(err) != ENOTFOUND // unsure: leave it for the next sweep
	}
	switch v.Status {
	case StatusCreated, StatusUploading, StatusProcessing:
		return true
	}
	return v.Live
}

// videoOfKey returns the video id in a key built by VideoPrefix, or "".
func videoOfKey(key string) string {
	rest, ok := strings.CutPrefix(key, "videos/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func (s *Service) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
