package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Trims and cuts. An edit is a set of cuts over the video's original
// timeline; the original MP4 is kept (EditBaseKey) so an edit can be
// replaced or undone, and every render starts from it. Comments and
// reactions are stored on the current timeline (that is where viewers
// post them), so applying an edit moves them, in the transaction that
// publishes the new MP4; one inside a removed part is kept at the cut and
// remembers where it was, so an undo puts it back exactly. Transcript
// lines and owner chapters are stored on the original timeline and mapped
// when read, so they need no rewrite at all.

// Cut is a removed range [StartMs, EndMs) of the original timeline.
type Cut struct {
	StartMs int64
	EndMs   int64
}

// Span is a kept range [StartMs, EndMs) of the original timeline.
type Span = Cut

// EditState is where an edit is.
type EditState string

const (
	EditPending EditState = "pending" // waiting for or being rendered
	EditDone    EditState = "done"
	EditFailed  EditState = "failed"
)

// Edit is a video's current edit.
type Edit struct {
	VideoID string
	// Cuts is what the owner asked for; Applied is what the current MP4
	// shows (they differ while a new edit renders, or after one failed).
	Cuts    []Cut
	Applied []Cut
	State   EditState
	Error   string
	// OriginalMs is the original video's duration.
	OriginalMs int64
}

// MovedItem is a comment or reaction an edit placed at a cut because its
// moment was removed.
type MovedItem struct {
	Kind       string // "comment" or "reaction"
	ID         string
	OriginalMs int64
}

// Cutter renders edits.
type Cutter interface {
	// Cut writes the parts keep of the MP4 at in, joined, as an MP4 at
	// out, and returns what probing it found.
	Cut(ctx context.Context, in, out string, keep []Span) (*MediaInfo, error)
}

// EditStore keeps edits and applies them to the discussion's times.
type EditStore interface {
	// Edit returns the video's edit. ENOTFOUND when it was never edited.
	Edit(ctx context.Context, videoID string) (*Edit, error)
	// StartEdit records cuts as the video's wanted edit (pending) and
	// enqueues an edit job. originalMs is the original's duration (kept
	// from the first edit on).
	StartEdit(ctx context.Context, videoID string, cuts []Cut, originalMs int64) error
	// ApplyEdit, in one transaction: removes job, moves the video's
	// comments and reactions from the applied cuts' timeline to cuts',
	// records cuts as applied, sets the video's duration and size from
	// info, and drops its thumbnails so they are made again. ECONFLICT.
	ApplyEdit(ctx context.Context, job *Job, cuts []Cut, info MediaInfo) error
	// FailEdit records why the edit could not be made; the video keeps
	// its current MP4. ECONFLICT.
	FailEdit(ctx context.Context, job *Job, reason string) error
	// MovedItems lists the comments and reactions sitting at a cut.
	MovedItems(ctx context.Context, videoID string) ([]MovedItem, error)
}

// EditBaseKey is where the original MP4 is kept once a video is edited.
func EditBaseKey(videoID string) string { return "videos/" + videoID + "/edit/base.mp4" }

// MinKeptMs is the shortest video an edit may leave.
const MinKeptMs = 1000

// NormalizeCuts validates cuts over a video of durationMs: each within the
// video with start < end, merged where they overlap or touch, sorted, and
// leaving at least MinKeptMs.
func NormalizeCuts(in []Cut, durationMs int64) ([]Cut, error) {
	if len(in) > 200 {
		return nil, Errorf(EINVALID, "At most 200 cuts.")
	}
	cs := make([]Cut, 0, len(in))
	for i, c := range in {
		if c.StartMs < 0 || c.EndMs <= c.StartMs {
			return nil, Errorf(EINVALID, "Cut %d must start before it ends, at 0 or later.", i+1)
		}
		if c.StartMs >= durationMs {
			return nil, Errorf(EINVALID, "Cut %d starts at %s, after the video ends (%s).", i+1, ClockTime(c.StartMs), ClockTime(durationMs))
		}
		c.EndMs = min(c.EndMs, durationMs)
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].StartMs < cs[j].StartMs })
	out := cs[:0]
	for _, c := range cs {
		if n := len(out); n > 0 && c.StartMs <= out[n-1].EndMs {
			out[n-1].EndMs = max(out[n-1].EndMs, c.EndMs)
			continue
		}
		out = append(out, c)
	}
	var removed int64
	for _, c := range out {
		removed += c.EndMs - c.StartMs
	}
	if durationMs-removed < MinKeptMs {
		return nil, Errorf(EINVALID, "The cuts would leave less than a second of the video.")
	}
	return out, nil
}

// KeptSpans returns the parts of a video of durationMs that cuts keep.
func KeptSpans(cuts []Cut, durationMs int64) []Span {
	var out []Span
	at := int64(0)
	for _, c := range cuts {
		if c.StartMs > at {
			out = append(out, Span{StartMs: at, EndMs: c.StartMs})
		}
		at = max(at, c.EndMs)
	}
	if at < durationMs {
		out = append(out, Span{StartMs: at, EndMs: durationMs})
	}
	return out
}

// MapForward maps a moment t of the original timeline onto the timeline
// with cuts removed. A moment inside a cut lands where the cut now is,
// and removed is set.
func MapForward(cuts []Cut, t int64) (mapped int64, removed bool) {
	var gone int64
	for _, c := range cuts {
		if t < c.StartMs {
			break
		}
		if t < c.EndMs {
			return c.StartMs - gone, true
		}
		gone += c.EndMs - c.StartMs
	}
	return t - gone, false
}

// MapBack maps a moment t of the cut timeline back onto the original one.
// A moment exactly at a cut maps to the kept side, after the cut.
func MapBack(cuts []Cut, t int64) int64 {
	for _, c := range cuts {
		if t < c.StartMs {
			break
		}
		t += c.EndMs - c.StartMs
	}
	return t
}

// Remap moves a moment from the timeline of the old cuts to that of the
// new ones. original, when known (the item was moved to a cut before),
// is where it really was.
func Remap(old, next []Cut, t int64, original *int64) (mapped int64, removed bool, orig int64) {
	orig = MapBack(old, t)
	if original != nil {
		orig = *original
	}
	mapped, removed = MapForward(next, orig)
	return mapped, removed, orig
}

// MapSegments puts transcript segments stored on the original timeline
// onto the cut one, dropping those whose start was removed.
func MapSegments(cuts []Cut, segs []Segment) []Segment {
	if len(cuts) == 0 {
		return segs
	}
	out := make([]Segment, 0, len(segs))
	for _, s := range segs {
		start, removed := MapForward(cuts, s.StartMs)
		if removed {
			continue
		}
		end, _ := MapForward(cuts, s.EndMs)
		s.StartMs, s.EndMs = start, max(end, start)
		out = append(out, s)
	}
	return out
}

// currentCuts returns the cuts the current MP4 shows.
func (r *Record) currentCuts(ctx context.Context, videoID string) ([]Cut, error) {
	e, err := r.Store.Edit(ctx, videoID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Applied, nil
}

// sameCuts fails (retryably) when the video's applied cuts are no longer
// want: an edit replaced the MP4 a follow-up job was working from.
func (r *Record) sameCuts(ctx context.Context, videoID string, want []Cut) error {
	got, err := r.currentCuts(ctx, videoID)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return errEditedMeanwhile
	}
	for i := range got {
		if got[i] != want[i] {
			return errEditedMeanwhile
		}
	}
	return nil
}

// errEditedMeanwhile is internal, so the job runs again on the new MP4.
var errEditedMeanwhile = Errorf(EINTERNAL, "The video was edited while this was being made.")

// EditFor returns the video's edit; a video never edited has an empty one.
func (r *Record) EditFor(ctx context.Context, v *Video) (*Edit, []MovedItem, error) {
	e, err := r.Store.Edit(ctx, v.ID)
	if ErrorCode(err) == ENOTFOUND {
		return &Edit{VideoID: v.ID, State: EditDone, OriginalMs: v.DurationMs}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	moved, err := r.Store.MovedItems(ctx, v.ID)
	return e, moved, err
}

// StartEdit asks for the video to be cut; an empty list undoes every cut.
// Cuts are on the original timeline (EditFor tells its length).
func (r *Record) StartEdit(ctx context.Context, v *Video, cuts []Cut) (*Edit, error) {
	if r.Cutter == nil {
		return nil, Errorf(ECONFLICT, "Editing is not available on this server.")
	}
	if v.Status != StatusReady || !v.HasMP4 {
		return nil, Errorf(ECONFLICT, "The video can be edited once it is ready.")
	}
	originalMs := v.DurationMs
	prev, err := r.Store.Edit(ctx, v.ID)
	switch {
	case err == nil:
		originalMs = prev.OriginalMs
		if prev.State == EditPending {
			return nil, Errorf(ECONFLICT, "An edit of this video is still being made.")
		}
	case ErrorCode(err) != ENOTFOUND:
		return nil, err
	}
	if len(cuts) > 0 {
		if cuts, err = NormalizeCuts(cuts, originalMs); err != nil {
			return nil, err
		}
	}
	if err := r.Store.StartEdit(ctx, v.ID, cuts, originalMs); err != nil {
		return nil, err
	}
	r.publish(v.ID)
	e, err := r.Store.Edit(ctx, v.ID)
	return e, err
}

// edit renders the wanted edit from the kept original and publishes it.
func (r *Record) edit(ctx context.Context, job *Job, tempDir string) error {
	v, err := r.Videos.Video(ctx, job.VideoID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	e, err := r.Store.Edit(ctx, v.ID)
	if err != nil {
		return err
	}
	if r.Cutter == nil {
		return Errorf(EUNSUPPORTED, "Editing is not available on this server.")
	}
	dir, err := scratch(tempDir, job)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base := filepath.Join(dir, "base.mp4")
	// The first edit keeps the original before anything replaces it.
	if _, err := r.Blobs.Stat(ctx, EditBaseKey(v.ID)); ErrorCode(err) == ENOTFOUND {
		if err := fetch(ctx, r.Blobs, MP4Key(v.ID), base); err != nil {
			return err
		}
		if err := store(ctx, r.Blobs, base, EditBaseKey(v.ID), "video/mp4"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else if err := fetch(ctx, r.Blobs, EditBaseKey(v.ID), base); err != nil {
		return err
	}
	out := base
	var info *MediaInfo
	if len(e.Cuts) > 0 {
		out = filepath.Join(dir, "cut.mp4")
		info, err = r.Cutter.Cut(ctx, base, out, KeptSpans(e.Cuts, e.OriginalMs))
		if err != nil {
			return err
		}
	} else {
		st, err := os.Stat(base)
		if err != nil {
			return err
		}
		info = &MediaInfo{DurationMs: e.OriginalMs, SizeBytes: st.Size(), Width: v.Width, Height: v.Height}
	}
	if err := store(ctx, r.Blobs, out, MP4Key(v.ID), "video/mp4"); err != nil {
		return err
	}
	if err := r.Store.ApplyEdit(ctx, job, e.Cuts, *info); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return fmt.Errorf("media: apply edit: %w", err)
	}
	r.log().Info("edit applied", "video_id", v.ID, "cuts", len(e.Cuts), "duration_ms", info.DurationMs)
	r.publish(v.ID)
	return nil
}
