package media

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Summaries: an optional few sentences on what a video says, and chapter
// suggestions, asked of a chat model (any OpenAI-compatible chat endpoint
// the operator names) once the video's transcript is done. Off unless
// configured, never needed for anything else: a failed or missing summary
// leaves the video and its transcript as they are. The summary is shown
// to everyone who may watch; the suggestions only to the owner, who may
// apply them as the video's chapters (SetChapters). Like transcript
// lines, suggested chapters are stored on the original timeline and
// mapped through a trim when read.

// JobSummarize asks the chat model for a video's summary.
const JobSummarize JobKind = "summarize"

// SummaryStatus is where a video's summary is.
type SummaryStatus string

const (
	SummaryPending SummaryStatus = "pending"
	SummaryDone    SummaryStatus = "done"
	SummaryFailed  SummaryStatus = "failed"
	SummaryOff     SummaryStatus = "off" // no model configured
)

// Summary is a video's summary and chapter suggestions.
type Summary struct {
	VideoID  string
	Status   SummaryStatus
	Text     string
	Chapters []Chapter // suggestions, not the video's chapters
	Model    string
	Error    string
}

// SummaryRequest is what a Summarizer reads: the transcript on the
// video's current timeline.
type SummaryRequest struct {
	Title      string
	Language   string
	DurationMs int64
	Segments   []Segment
}

// SummaryResult is a Summarizer's answer, on the request's timeline.
type SummaryResult struct {
	Text     string
	Chapters []Chapter
}

// Summarizer writes summaries.
type Summarizer interface {
	// Name names the model, for the record.
	Name() string
	// Summarize reads a transcript and answers. EINVALID when retrying
	// cannot help (a refused key, an answer that is not the JSON asked
	// for); EINTERNAL when it may (the service is busy or down).
	Summarize(ctx context.Context, req SummaryRequest) (*SummaryResult, error)
}

// SummaryStore keeps summaries.
type SummaryStore interface {
	// EnqueueSummaries gives videos whose transcript is done and has lines
	// but that have no summary a pending one and a job, newest transcripts
	// first, keeping at most limit summarize jobs queued or running. It
	// marks pending summaries whose job is gone (out of attempts) failed,
	// and returns how many jobs it enqueued.
	EnqueueSummaries(ctx context.Context, limit int) (int, error)
	// Summary returns the video's summary. ENOTFOUND when there is none.
	Summary(ctx context.Context, videoID string) (*Summary, error)
	// FinishSummary stores s as the video's summary and removes job, in
	// one transaction. ECONFLICT.
	FinishSummary(ctx context.Context, job *Job, s *Summary) error
}

// Bounds on what a model's answer may store.
const (
	MaxSummaryText        = 4000 // bytes
	MaxSuggestedChapters  = 20
	minSuggestedChapterMs = 5000 // suggestions closer together than this are noise
)

// summarize asks the model about the video's transcript and stores the
// answer.
func (r *Record) summarize(ctx context.Context, job *Job) error {
	v, err := r.Videos.Video(ctx, job.VideoID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	if r.Summarizer == nil {
		return r.Summaries.FinishSummary(ctx, job, &Summary{VideoID: v.ID, Status: SummaryOff})
	}
	t, err := r.Store.Transcript(ctx, v.ID)
	if err != nil {
		return err
	}
	if t.Status != TranscriptDone || len(t.Segments) == 0 {
		return Errorf(EINVALID, "There is no transcript to summarize.")
	}
	cuts, err := r.currentCuts(ctx, v.ID)
	if err != nil {
		return err
	}
	res, err := r.Summarizer.Summarize(ctx, SummaryRequest{
		Title: v.Title, Language: t.Language, DurationMs: v.DurationMs, Segments: MapSegments(cuts, t.Segments),
	})
	if err != nil {
		return err
	}
	if err := r.sameCuts(ctx, v.ID, cuts); err != nil {
		return err
	}
	s := &Summary{VideoID: v.ID, Status: SummaryDone, Text: CleanSummaryText(res.Text), Model: r.Summarizer.Name()}
	for _, c := range CleanSuggestedChapters(res.Chapters, v.DurationMs) {
		s.Chapters = append(s.Chapters, Chapter{StartMs: MapBack(cuts, c.StartMs), Title: c.Title})
	}
	if s.Text == "" && len(s.Chapters) == 0 {
		return Errorf(EINVALID, "The model's answer had neither a summary nor chapters.")
	}
	if err := r.Summaries.FinishSummary(ctx, job, s); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	r.log().Info("summarized", "video_id", v.ID, "model", s.Model, "chapters", len(s.Chapters))
	r.publish(v.ID)
	return nil
}

// CleanSummaryText makes a model's summary safe to store and show: valid
// UTF-8, no control characters but line breaks, runs of blank lines and
// spaces collapsed, at most MaxSummaryText bytes (cut at a rune).
func CleanSummaryText(s string) string {
	s = strings.ToValidUTF8(s, "")
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		l = strings.Join(strings.FieldsFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
		if l == "" && (len(lines) == 0 || lines[len(lines)-1] == "") {
			continue
		}
		lines = append(lines, l)
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if len(out) > MaxSummaryText {
		cut := MaxSummaryText
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimSpace(out[:cut]) + "…"
	}
	return out
}

// CleanSuggestedChapters keeps the suggestions an owner could apply as
// they are: each one that NormalizeChapters would accept, in time order,
// at least minSuggestedChapterMs apart, at most MaxSuggestedChapters.
// A model's mistakes drop single suggestions, not the answer.
func CleanSuggestedChapters(in []Chapter, durationMs int64) []Chapter {
	var ok []Chapter
	for _, c := range in {
		if n, err := NormalizeChapters([]Chapter{c}, durationMs); err == nil {
			ok = append(ok, n[0])
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].StartMs < ok[j].StartMs })
	var out []Chapter
	for _, c := range ok {
		if n := len(out); n > 0 && c.StartMs-out[n-1].StartMs < minSuggestedChapterMs {
			continue
		}
		if len(out) == MaxSuggestedChapters {
			break
		}
		out = append(out, c)
	}
	return out
}

// SummaryFor returns the video's summary on its current timeline. The
// chapter suggestions are only for the owner (owner false leaves them
// out). Without a model and without a stored summary the status is off.
func (r *Record) SummaryFor(ctx context.Context, v *Video, owner bool) (*Summary, error) {
	if r.Summaries == nil {
		return &Summary{VideoID: v.ID, Status: SummaryOff}, nil
	}
	s, err := r.Summaries.Summary(ctx, v.ID)
	if ErrorCode(err) == ENOTFOUND {
		if r.Summarizer == nil {
			return &Summary{VideoID: v.ID, Status: SummaryOff}, nil
		}
		// Waiting for the transcript, or for the sweep to enqueue it;
		// without a transcript there will be none.
		t, err := r.Store.Transcript(ctx, v.ID)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
		if err == nil && (t.Status == TranscriptFailed || t.Status == TranscriptOff || (t.Status == TranscriptDone && len(t.Segments) == 0)) {
			return &Summary{VideoID: v.ID, Status: SummaryOff, Error: "Summaries are made from the transcript, and this video has none."}, nil
		}
		return &Summary{VideoID: v.ID, Status: SummaryPending}, nil
	}
	if err != nil {
		return nil, err
	}
	if !owner {
		s.Chapters = nil
		return s, nil
	}
	cuts, err := r.currentCuts(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	out := s.Chapters[:0:0]
	for _, c := range s.Chapters {
		if t, removed := MapForward(cuts, c.StartMs); !removed {
			out = append(out, Chapter{StartMs: t, Title: c.Title})
		}
	}
	s.Chapters = out
	return s, nil
}
