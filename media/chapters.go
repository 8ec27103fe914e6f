package media

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Chapter is a named part of a video, from StartMs to the next chapter.
type Chapter struct {
	StartMs int64
	Title   string
}

// ChapterStore keeps the chapters an owner set. Times are stored on the
// video's original timeline (before any trim), so a trim or its undo never
// loses them; Record maps them to the current timeline on the way out.
type ChapterStore interface {
	// Chapters returns the video's chapters in time order (none: empty).
	Chapters(ctx context.Context, videoID string) ([]Chapter, error)
	// SetChapters replaces the video's chapters. ENOTFOUND.
	SetChapters(ctx context.Context, videoID string, ch []Chapter) error
}

// Limits of chapters.
const (
	MaxChapters        = 100
	MaxChapterTitleLen = 100 // runes
)

// NormalizeChapters validates chapters set by an owner: titles trimmed and
// non-empty, times within the video, no two at the same moment; returned
// in time order.
func NormalizeChapters(in []Chapter, durationMs int64) ([]Chapter, error) {
	if len(in) > MaxChapters {
		return nil, Errorf(EINVALID, "A video can have at most %d chapters.", MaxChapters)
	}
	out := make([]Chapter, 0, len(in))
	for i, c := range in {
		title := strings.Join(strings.Fields(c.Title), " ")
		if title == "" {
			return nil, Errorf(EINVALID, "Chapter %d needs a title.", i+1)
		}
		if strings.ContainsFunc(title, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(title) {
			return nil, Errorf(EINVALID, "Chapter %d's title has characters that are not allowed.", i+1)
		}
		if n := utf8.RuneCountInString(title); n > MaxChapterTitleLen {
			return nil, Errorf(EINVALID, "Chapter %d's title is %d characters; at most %d.", i+1, n, MaxChapterTitleLen)
		}
		if c.StartMs < 0 || (durationMs > 0 && c.StartMs >= durationMs) {
			return nil, Errorf(EINVALID, "Chapter %d starts at %s, outside the video.", i+1, ClockTime(c.StartMs))
		}
		out = append(out, Chapter{StartMs: c.StartMs, Title: title})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartMs < out[j].StartMs })
	for i := 1; i < len(out); i++ {
		if out[i].StartMs == out[i-1].StartMs {
			return nil, Errorf(EINVALID, "Two chapters start at %s.", ClockTime(out[i].StartMs))
		}
	}
	return out, nil
}

// ParseChapters reads chapter lines from a video description, the way
// people write them under videos: a time at the start of a line, then the
// title ("02:15 Demo", "1:02:15 - Q&A", "(0:00) Intro", "[12:30] Wrap-up").
// Other lines are ignored. It needs at least two such lines, as a single
// timestamp is more likely a remark than a table of contents; the result
// is in time order, without duplicates.
func ParseChapters(description string) []Chapter {
	var out []Chapter
	seen := map[int64]bool{}
	for _, line := range strings.Split(description, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "-*•· ")
		ts, rest, ok := leadingTime(line)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		rest = strings.TrimLeft(rest, "-–—:|) ]")
		title := strings.Join(strings.Fields(rest), " ")
		if title == "" || seen[ts] {
			continue
		}
		if utf8.RuneCountInString(title) > MaxChapterTitleLen {
			title = string([]rune(title)[:MaxChapterTitleLen])
		}
		seen[ts] = true
		out = append(out, Chapter{StartMs: ts, Title: title})
		if len(out) == MaxChapters {
			break
		}
	}
	if len(out) < 2 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartMs < out[j].StartMs })
	return out
}

// leadingTime reads [h:]mm:ss at the start of s, optionally wrapped in
// () or [].
func leadingTime(s string) (ms int64, rest string, ok bool) {
	s = strings.TrimLeft(s, "([")
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ':') {
		end++
	}
	if end == 0 || (end < len(s) && s[end] != ' ' && s[end] != ')' && s[end] != ']' && s[end] != '-' && s[end] != '\t') {
		return 0, "", false
	}
	parts := strings.Split(s[:end], ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, "", false
	}
	var total int64
	for i, p := range parts {
		// Minutes and seconds after a colon are always two digits.
		if p == "" || (i > 0 && len(p) != 2) || len(p) > 3 {
			return 0, "", false
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || (i > 0 && n > 59) {
			return 0, "", false
		}
		total = total*60 + n
	}
	return total * 1000, s[end:], true
}

// ChaptersVTT writes chapters as a WebVTT chapters track: each cue runs
// from its chapter's start to the next one's (the last to durationMs).
func ChaptersVTT(ch []Chapter, durationMs int64) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for i, c := range ch {
		end := durationMs
		if i+1 < len(ch) {
			end = ch[i+1].StartMs
		}
		if end <= c.StartMs {
			continue
		}
		fmt.Fprintf(&b, "\n%s --> %s\n%s\n", vttTime(c.StartMs), vttTime(end), cueText(c.Title))
	}
	return b.String()
}

// ChaptersFor returns the video's chapters on its current timeline: the
// ones the owner set or, failing those, the ones its description lists.
// Chapters inside a part trimmed away are left out.
func (r *Record) ChaptersFor(ctx context.Context, v *Video) ([]Chapter, error) {
	ch, err := r.Store.Chapters(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	cuts, err := r.currentCuts(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if len(ch) == 0 {
		// A description is written against the video as it is now.
		return ParseChapters(v.Description), nil
	}
	out := ch[:0:0]
	for _, c := range ch {
		t, removed := MapForward(cuts, c.StartMs)
		if removed {
			continue
		}
		out = append(out, Chapter{StartMs: t, Title: c.Title})
	}
	return out, nil
}

// SetChapters replaces the chapters an owner set; an empty list removes
// them (the description's, if any, show again).
func (r *Record) SetChapters(ctx context.Context, v *Video, in []Chapter) ([]Chapter, error) {
	ch, err := NormalizeChapters(in, v.DurationMs)
	if err != nil {
		return nil, err
	}
	cuts, err := r.currentCuts(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	stored := make([]Chapter, len(ch))
	for i, c := range ch {
		stored[i] = Chapter{StartMs: MapBack(cuts, c.StartMs), Title: c.Title}
	}
	if err := r.Store.SetChapters(ctx, v.ID, stored); err != nil {
		return nil, err
	}
	r.publish(v.ID)
	return ch, nil
}
