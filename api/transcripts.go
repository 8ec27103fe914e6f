package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// The written record over HTTP: transcripts (with captions and
// downloads), chapters, scrub thumbnails, search and trims. The rules are
// in media.Record; a server without one answers as if transcription were
// off and nothing had been made.

// markMoved flags the page's comments that a trim placed at a cut
// because their moment was removed.
func (s *Server) markMoved(ctx context.Context, videoID string, out *threadPageJSON) error {
	r := s.svc.Record
	if r == nil {
		return nil
	}
	moved, err := r.Store.MovedItems(ctx, videoID)
	if err != nil || len(moved) == 0 {
		return err
	}
	ids := map[string]bool{}
	for _, m := range moved {
		if m.Kind == "comment" {
			ids[m.ID] = true
		}
	}
	for i := range out.Threads {
		th := &out.Threads[i]
		th.FromRemovedPart = ids[th.ID]
		for j := range th.Replies {
			th.Replies[j].FromRemovedPart = ids[th.Replies[j].ID]
		}
	}
	return nil
}

// observeRecord keeps cached comment pages honest: an edit moves comments
// without a comment event.
func (s *Server) observeRecord() {
	if r := s.svc.Record; r != nil {
		r.OnChange(func(id string) {
			s.threads.invalidate(&media.CommentEvent{VideoID: id})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if v, err := s.svc.Videos.Video(ctx, id); err == nil {
				s.svc.Events.Publish(v)
			}
		})
	}
}

func (s *Server) record(c *gin.Context) (*media.Record, bool) {
	if r := s.svc.Record; r != nil {
		return r, true
	}
	s.writeError(c, media.Errorf(media.ENOTFOUND, "Not found."))
	return nil, false
}

type segmentJSON struct {
	ID      int64  `json:"id"`
	StartMs int64  `json:"startMs"`
	EndMs   int64  `json:"endMs"`
	Text    string `json:"text"`
	Edited  bool   `json:"edited,omitempty"`
}

type transcriptJSON struct {
	Status   string `json:"status"`
	Engine   string `json:"engine"`
	Language string `json:"language"`
	// Message says why a transcript failed or is off (and how to turn it
	// on), in words for a person.
	Message     string            `json:"message,omitempty"`
	Segments    []segmentJSON     `json:"segments"`
	CaptionsURL string            `json:"captionsUrl,omitempty"`
	Downloads   map[string]string `json:"downloads,omitempty"`
}

func toSegmentJSON(seg media.Segment) segmentJSON {
	return segmentJSON{ID: seg.ID, StartMs: seg.StartMs, EndMs: seg.EndMs, Text: seg.Text, Edited: seg.Edited}
}

// transcriptFor loads the transcript of the route's video.
func (s *Server) transcriptFor(c *gin.Context) (*media.Video, *media.Transcript, bool) {
	v, ok := s.video(c)
	if !ok {
		return nil, nil, false
	}
	var t *media.Transcript
	if r := s.svc.Record; r != nil {
		var err error
		if t, err = r.TranscriptFor(c.Request.Context(), v); err != nil {
			s.writeError(c, err)
			return nil, nil, false
		}
	} else {
		t = &media.Transcript{VideoID: v.ID, Status: media.TranscriptOff, Error: "Transcription is not set up on this server."}
	}
	return v, t, true
}

// transcriptBase is where a video's transcript files are, for whoever is
// asking: by id for members, through the link otherwise.
func (s *Server) transcriptBase(c *gin.Context, v *media.Video) string {
	if c.Param("slug") != "" {
		return s.opt.PublicURL + "/api/share/" + v.Slug + "/transcript"
	}
	return s.opt.PublicURL + "/api/videos/" + v.ID + "/transcript"
}

func (s *Server) getTranscript(c *gin.Context) {
	v, t, ok := s.transcriptFor(c)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.transcriptJSON(c, v, t))
}

func (s *Server) transcriptJSON(c *gin.Context, v *media.Video, t *media.Transcript) transcriptJSON {
	out := transcriptJSON{Status: string(t.Status), Engine: t.Engine, Language: t.Language, Message: t.Error, Segments: []segmentJSON{}}
	for _, seg := range t.Segments {
		out.Segments = append(out.Segments, toSegmentJSON(seg))
	}
	if t.Status == media.TranscriptDone && len(t.Segments) > 0 {
		out.CaptionsURL = s.opt.PublicURL + "/media/" + v.Slug + "/captions.vtt"
		base := s.transcriptBase(c, v)
		out.Downloads = map[string]string{"txt": base + ".txt", "vtt": base + ".vtt", "srt": base + ".srt"}
	}
	return out
}

// downloadTranscript answers transcript.txt, .vtt and .srt as files.
func (s *Server) downloadTranscript(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, t, ok := s.transcriptFor(c)
		if !ok {
			return
		}
		if t.Status != media.TranscriptDone {
			s.writeError(c, media.Errorf(media.ENOTFOUND, "This video has no transcript yet."))
			return
		}
		var body, mime string
		switch format {
		case "txt":
			body, mime = media.FormatText(v.Title, t.Segments), "text/plain; charset=utf-8"
		case "vtt":
			body, mime = media.FormatVTT(t.Segments), "text/vtt; charset=utf-8"
		default:
			body, mime = media.FormatSRT(t.Segments), "application/x-subrip; charset=utf-8"
		}
		title := v.Title
		if strings.TrimSpace(title) == "" {
			title = "transcript"
		}
		utf, ascii := downloadName(title + " transcript." + format)
		c.Header("Cache-Control", "private, no-store")
		c.Header("Content-Disposition", `attachment; filename="`+ascii+`"; filename*=UTF-8''`+extValue(utf))
		c.Data(http.StatusOK, mime, []byte(body))
	}
}

// serveCaptions answers /media/{slug}/captions.vtt: the transcript as a
// captions track for the player.
func (s *Server) serveCaptions(c *gin.Context) {
	_, t, ok := s.transcriptFor(c)
	if !ok {
		return
	}
	if t.Status != media.TranscriptDone {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "Not found."))
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "text/vtt; charset=utf-8", []byte(media.FormatVTT(t.Segments)))
}

// serveThumbs answers /media/{slug}/thumbs.vtt (the thumbnails track) and
// thumbs.jpg (its sprite).
func (s *Server) serveThumbs(c *gin.Context, v *media.Video, file string) {
	r, ok := s.record(c)
	if !ok {
		return
	}
	sheet, err := r.Store.Thumbs(c.Request.Context(), v.ID)
	if err == nil && sheet.Status != media.ThumbsDone {
		err = media.Errorf(media.ENOTFOUND, "Not found.")
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	if file == "thumbs.vtt" {
		c.Header("Cache-Control", "private, no-store")
		c.Data(http.StatusOK, "text/vtt; charset=utf-8", []byte(media.ThumbsVTT(sheet, s.opt.PublicURL+"/media/"+v.Slug+"/thumbs.jpg")))
		return
	}
	b, err := s.svc.Blobs.Open(c.Request.Context(), media.SpriteKey(v.ID))
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer b.Close()
	c.Header("Content-Type", "image/jpeg")
	c.Header("Cache-Control", "private, no-store")
	http.ServeContent(c.Writer, c.Request, "thumbs.jpg", b.Info().ModTime, b)
}

// serveRecordMedia serves the record's files under /media/{slug}/;
// false when file is not one of them.
func (s *Server) serveRecordMedia(c *gin.Context, v *media.Video) bool {
	switch file := c.Param("file"); file {
	case "captions.vtt":
		s.serveCaptions(c)
	case "thumbs.vtt", "thumbs.jpg":
		s.serveThumbs(c, v, file)
	case "chapters.vtt":
		s.serveChapters(c, v)
	default:
		return false
	}
	return true
}

// correctSegment lets the owner fix a line: PATCH {"text": "..."}.
func (s *Server) correctSegment(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	r, ok := s.record(c)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(c.Param("segmentId"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "Transcript line not found."))
		return
	}
	var in struct {
		Text *string `json:"text"`
	}
	if !s.decodeJSON(c, &in) {
		return
	}
	if in.Text == nil {
		s.badRequest(c, "Send the corrected line as {\"text\": \"...\"}.")
		return
	}
	seg, err := r.CorrectSegment(c.Request.Context(), v.ID, id, *in.Text)
	if err != nil {
		s.writeError(c, err)
		return
	}
	// The line as the player shows it: on the current timeline.
	if t, err := r.TranscriptFor(c.Request.Context(), v); err == nil {
		for _, cur := range t.Segments {
			if cur.ID == seg.ID {
				seg = &cur
				break
			}
		}
	}
	c.JSON(http.StatusOK, toSegmentJSON(*seg))
}

// retranscribe runs the engine again.
func (s *Server) retranscribe(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	r, ok := s.record(c)
	if !ok {
		return
	}
	if err := r.Retranscribe(c.Request.Context(), v); err != nil {
		s.writeError(c, err)
		return
	}
	if s.svc.Wake != nil {
		s.svc.Wake()
	}
	_, t, ok := s.transcriptFor(c)
	if ok {
		c.JSON(http.StatusAccepted, s.transcriptJSON(c, v, t))
	}
}
