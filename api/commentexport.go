package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// A video's conversation as a download: the whole thing as JSON for
// archiving, or as a WebVTT track that any player can show as captions.

func (s *Server) exportCommentsJSON(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	threads, err := s.comments.AllThreads(ctx, v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var out exportJSON
	out.Video.ID, out.Video.Title, out.Video.DurationMs = v.ID, v.Title, v.DurationMs
	out.Video.ShareURL = s.opt.PublicURL + "/v/" + v.Slug
	out.ExportedAt = timeJSON(time.Now())
	out.Threads = make([]threadJSON, 0, len(threads))
	for _, th := range threads {
		out.Threads = append(out.Threads, toThreadJSON(th, media.Actor{}, v))
	}
	out.Reactions = []reactionJSON{}
	opt := media.ReactionOptions{Limit: 1000}
	for {
		p, err := s.comments.Reactions(ctx, v.ID, opt)
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, r := range p.Reactions {
			out.Reactions = append(out.Reactions, toReactionJSON(r, false))
		}
		out.ReactionCounts = counts(p.Counts)
		if !p.More {
			break
		}
		last := p.Reactions[len(p.Reactions)-1]
		opt.AfterTimeMs, opt.AfterID = last.TimeMs, last.ID
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="comments-`+v.ID+`.json"`)
	c.JSON(http.StatusOK, out)
}

func (s *Server) exportCommentsVTT(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	threads, err := s.comments.AllThreads(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var b bytes.Buffer
	writeVTT(&b, threads)
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `inline; filename="comments-`+v.ID+`.vtt"`)
	c.Data(http.StatusOK, "text/vtt; charset=utf-8", b.Bytes())
}

// vttCueMs is how long a comment about a moment stays on screen.
const vttCueMs = 4000

// writeVTT writes threads as a WebVTT track: one cue per comment from its
// time to its range end (or for vttCueMs), "Name: body", replies as their
// own cues marked with "↳". Deleted placeholders have no cue. Cue text is
// escaped (&, <, >), which also keeps "-->" out of it, and blank lines,
// which would end a cue, are dropped.
func writeVTT(w io.Writer, threads []*media.Comment) {
	type cue struct {
		start, end int64
		id, text   string
	}
	var cues []cue
	add := func(cm *media.Comment, prefix string) {
		if cm.Deleted {
			return
		}
		end := cm.EndMs
		if end <= cm.TimeMs {
			end = cm.TimeMs + vttCueMs
		}
		cues = append(cues, cue{cm.TimeMs, end, cm.ID, prefix + cm.AuthorName + ": " + cm.TextWithRecording()})
	}
	for _, th := range threads {
		add(th, "")
		for _, r := range th.Replies {
			add(r, "↳ ")
		}
	}
	// WebVTT wants cues in order of their start.
	sort.SliceStable(cues, func(i, j int) bool { return cues[i].start < cues[j].start })
	io.WriteString(w, "WEBVTT\n\n")
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for _, q := range cues {
		fmt.Fprintf(w, "%s\n%s --> %s\n", q.id, vttTime(q.start), vttTime(q.end))
		for _, line := range strings.Split(q.text, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			io.WriteString(w, esc.Replace(line)+"\n")
		}
		io.WriteString(w, "\n")
	}
}

func vttTime(ms int64) string {
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
