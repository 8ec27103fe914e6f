package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// sseKeepAlive keeps idle streams open through proxies that drop silent
// connections.
const sseKeepAlive = 15 * time.Second

// videoEvents streams a video's state as Server-Sent Events: the current
// state at once, then every change. Each event carries the whole video, so a
// client that reconnects only needs the latest event, which it gets first.
func (s *Server) videoEvents(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	sub := s.svc.Events.Subscribe(v.ID)
	defer sub.Close()
	// Read again after subscribing, so a change between the first read and
	// the subscription is not missed.
	if fresh, err := s.svc.Videos.Video(c.Request.Context(), v.ID); err == nil {
		v = fresh
	}

	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n\n")
	if err := s.writeVideoEvent(w, s.videoJSON(v)); err != nil {
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
		case nv := <-sub.C:
			if err := s.writeVideoEvent(w, s.videoJSON(nv)); err != nil {
				return
			}
			w.Flush()
		case <-ka.C:
			if _, err := fmt.Fprintf(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.Flush()
		}
	}
}

func (s *Server) writeVideoEvent(w gin.ResponseWriter, v videoJSON) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: video\ndata: %s\n\n", b)
	return err
}
