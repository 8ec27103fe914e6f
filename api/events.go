package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// sseKeepAlive keeps idle streams open through proxies that drop silent
// connections.
const sseKeepAlive = 15 * time.Second

// videoEvents streams a video's state and its conversation as Server-Sent
// Events.
//
// `event: video` carries the whole video, at once and after every change;
// these events have no id, because a reconnecting client only needs the
// latest state, which it gets first.
//
// `event: comment` carries one change to the comments or reactions, with
// `id:` its sequence number. A client that reconnects with Last-Event-ID (or
// ?lastEventId= on its first connection, e.g. the lastEventId of the
// comment list it loaded) gets every change after that id replayed from the
// store before live ones, without gaps or duplicates: the stream subscribes
// first, then replays, then skips live events it already sent. Then
// `event: sync` says it is caught up (and gives a fresh stream its starting
// id). `event: reset` means the client is too far behind (or its id is
// unknown): reload the comments, then keep listening.
func (s *Server) videoEvents(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	last, resume, ok := s.lastEventID(c)
	if !ok {
		return
	}
	sub := s.svc.Events.Subscribe(v.ID)
	defer sub.Close()
	csub := s.comments.Hub.Subscribe(v.ID)
	defer csub.Close()
	// Read again after subscribing, so a change between the first read and
	// the subscription is not missed.
	if fresh, err := s.svc.Video(c.Request.Context(), v.ID); err == nil {
		v = fresh
	}

	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n\n")
	// A client that stops reading must not hold this goroutine for good: each
	// write gets a deadline, and a stream that misses it ends.
	rc := http.NewResponseController(w)
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)) }
	deadline()
	if err := s.writeVideoEvent(w, s.watchJSON(c, v)); err != nil {
		return
	}
	sent, err := s.catchUp(c, v.ID, last, resume)
	if err != nil {
		return
	}
	w.Flush()

	ka := time.NewTicker(sseKeepAlive)
	defer ka.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-csub.Gone():
			// Fell behind: end the stream; the client reconnects and
			// replays from its last id.
			return
		case nv := <-sub.C:
			if !s.stillAllowed(c, nv) {
				// The link was regenerated, or the video is no longer
				// shared with this viewer: the stream stops here.
				return
			}
			deadline()
			if err := s.writeVideoEvent(w, s.watchJSON(c, nv)); err != nil {
				return
			}
			w.Flush()
		case ev := <-csub.C:
			deadline()
			// Write whatever else is queued before flushing once.
			for more := true; more; {
				if ev.Seq > sent {
					if err := writeCommentEvent(w, ev); err != nil {
						return
					}
					sent = ev.Seq
				}
				select {
				case ev = <-csub.C:
				default:
					more = false
				}
			}
			w.Flush()
		case <-ka.C:
			deadline()
			if _, err := fmt.Fprintf(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.Flush()
		}
	}
}

// sseWriteTimeout bounds one write to an event stream.
const sseWriteTimeout = 15 * time.Second

// Replay limits: events are read in batches, and a client more than
// maxReplay events behind is told to reload instead.
const (
	replayBatch = 500
	maxReplay   = 5000
)

// lastEventID reads where a client wants to resume: the Last-Event-ID
// header (sent by EventSource when it reconnects) wins over the
// lastEventId query parameter (set by the page on its first connection).
func (s *Server) lastEventID(c *gin.Context) (int64, bool, bool) {
	raw := c.GetHeader("Last-Event-ID")
	if raw == "" {
		raw = c.Query("lastEventId")
	}
	if raw == "" {
		return 0, false, true
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		s.badRequest(c, "Last-Event-ID must be an event id from this stream.")
		return 0, false, false
	}
	return n, true, true
}

// catchUp replays the comment events after last (when resuming) and ends
// with sync or reset. It returns the id of the last event the client has.
func (s *Server) catchUp(c *gin.Context, videoID string, last int64, resume bool) (int64, error) {
	if s.comments.Store == nil {
		return 0, nil
	}
	ctx, w := c.Request.Context(), c.Writer
	head, all, err := s.comments.LastEvent(ctx, videoID)
	if err != nil {
		s.log.Warn("comment events", "video_id", videoID, "err", err)
		return 0, err
	}
	if !resume {
		return head, writeMarker(w, "sync", head)
	}
	if last > all {
		// Not an id of this server's (a restored or replaced database).
		return head, writeMarker(w, "reset", head)
	}
	sent := last
	for replayed := 0; ; {
		evs, err := s.comments.EventsAfter(ctx, videoID, sent, replayBatch)
		if err != nil {
			s.log.Warn("replay comment events", "video_id", videoID, "err", err)
			return 0, err
		}
		for _, ev := range evs {
			if err := writeCommentEvent(w, ev); err != nil {
				return 0, err
			}
			sent = ev.Seq
		}
		replayed += len(evs)
		if len(evs) < replayBatch {
			break
		}
		if replayed >= maxReplay {
			head, _, err := s.comments.LastEvent(ctx, videoID)
			if err != nil {
				return 0, err
			}
			return head, writeMarker(w, "reset", head)
		}
		w.Flush()
	}
	return sent, writeMarker(w, "sync", sent)
}

func writeCommentEvent(w io.Writer, ev *media.CommentEvent) error {
	out := commentEventJSON{Seq: ev.Seq, Type: string(ev.Type), VideoID: ev.VideoID, Removed: ev.Removed, At: timeJSON(ev.CreatedAt)}
	if ev.Comment != nil {
		cj := toCommentJSON(ev.Comment, false)
		out.Comment = &cj
	}
	if ev.Reaction != nil {
		rj := toReactionJSON(ev.Reaction, false)
		out.Reaction = &rj
		out.Counts = counts(ev.Counts)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: comment\ndata: %s\n\n", ev.Seq, b)
	return err
}

// writeMarker writes a sync or reset event: no change, only a position.
func writeMarker(w io.Writer, name string, id int64) error {
	_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: {\"lastEventId\":%d}\n\n", id, name, id)
	return err
}

func (s *Server) writeVideoEvent(w gin.ResponseWriter, v videoJSON) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: video\ndata: %s\n\n", b)
	return err
}
