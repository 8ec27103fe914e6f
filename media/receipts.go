package media

import (
	"context"
	"sort"
	"time"
)

// Watch receipts. The watch page reports what was actually played, as
// ranges of the video, under a view id it makes when it loads; reports are
// cumulative and may repeat (a beacon on every hide), so a receipt keeps the
// union of what it was sent and a repeat changes nothing. A receipt counts
// as a view under the one view rule of views.go (3 s played, once per
// viewer and video per 30 minutes). From the receipts come the owner's
// insights (views, unique viewers, completion, a heat strip) and the asks'
// "opened" and "watched". The owner's own viewing leaves no receipt.
//
// What is tracked about a viewer: the played ranges, when, and who they
// are only if they are signed in or came through a personal link of an
// ask; anonymous viewers are a browser's random id (or their address when
// the browser keeps none), shown only as counts.

// Receipt limits.
const (
	// MaxReceiptRanges bounds one report; a page that played more
	// fragments than this merges them before sending.
	MaxReceiptRanges = 2000
	// CompleteShare is how much of a video a view must cover to count as
	// complete.
	CompleteShare = 0.9
)

// ViewReceipt is what one page load played.
type ViewReceipt struct {
	ID          string // the page's view id
	VideoID     string
	Viewer      string // "user:<id>", "browser:<id>" or "ip:<addr>"
	UserID      string
	RecipientID string // the ask recipient whose personal link was used
	Ranges      [][2]int64
	Counted     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Name and Email are filled by reads for members and recipients.
	Name, Email string
}

// ReceiptStore keeps view receipts.
type ReceiptStore interface {
	// UpdateViewReceipt loads the receipt with init.ID, or starts from
	// init when there is none, applies fn and saves the result, in one
	// transaction.
	UpdateViewReceipt(ctx context.Context, init *ViewReceipt, fn func(r *ViewReceipt) error) (*ViewReceipt, error)
	// ViewReceipts lists the video's receipts, oldest first, with names.
	ViewReceipts(ctx context.Context, videoID string) ([]*ViewReceipt, error)
}

// Receipts records what viewers played.
type Receipts struct {
	Store ReceiptStore
	// Views counts views under the view rule.
	Views *Service
	Clock Clock
}

// ReceiptInput is one report from a watch page.
type ReceiptInput struct {
	ViewID      string
	Viewer      string
	UserID      string
	RecipientID string
	Ranges      [][2]int64
}

// Record merges a report into its receipt and counts the view when the
// receipt has played enough. It returns the receipt, whether this report
// made it count, and the video. EINVALID for a view id of another video.
func (s *Receipts) Record(ctx context.Context, v *Video, in ReceiptInput) (*ViewReceipt, bool, *Video, error) {
	if len(in.Ranges) > MaxReceiptRanges {
		return nil, false, nil, Errorf(EINVALID, "Send at most %d ranges; merge adjacent ones.", MaxReceiptRanges)
	}
	limit := v.DurationMs
	if limit <= 0 {
		// Still processing or live: the length is not known yet.
		limit = 24 * 3600 * 1000
	}
	add, err := CleanRanges(in.Ranges, limit)
	if err != nil {
		return nil, false, nil, err
	}
	now := s.Clock.Now()
	init := &ViewReceipt{ID: in.ViewID, VideoID: v.ID, Viewer: in.Viewer, UserID: in.UserID, RecipientID: in.RecipientID, CreatedAt: now}
	r, err := s.Store.UpdateViewReceipt(ctx, init, func(r *ViewReceipt) error {
		if r.VideoID != v.ID || r.Viewer != in.Viewer {
			// A view id is the page's own; another video's or another
			// viewer's is a forgery or a bug, and must not merge.
			return Errorf(EINVALID, "viewId belongs to another view; make a new one per page load.")
		}
		if r.RecipientID == "" {
			r.RecipientID = in.RecipientID
		}
		r.Ranges = MergeRanges(append(r.Ranges, add...))
		r.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, false, nil, err
	}
	played := time.Duration(Covered(r.Ranges)) * time.Millisecond
	if r.Counted || played < MinViewPlayback {
		return r, false, v, nil
	}
	nv, counted, err := s.Views.RecordView(ctx, v.ID, in.Viewer, played)
	if err != nil {
		return nil, false, nil, err
	}
	if !counted {
		return r, false, nv, nil
	}
	r, err = s.Store.UpdateViewReceipt(ctx, r, func(r *ViewReceipt) error {
		r.Counted = true
		return nil
	})
	if err != nil {
		return nil, false, nil, err
	}
	return r, true, nv, nil
}

// CleanRanges checks ranges and clips them to [0, limit].
func CleanRanges(in [][2]int64, limit int64) ([][2]int64, error) {
	out := make([][2]int64, 0, len(in))
	for _, r := range in {
		if r[0] < 0 || r[1] < r[0] {
			return nil, Errorf(EINVALID, "Each range is [startMs, endMs] with 0 <= startMs <= endMs.")
		}
		if r[0] >= limit {
			continue
		}
		r[1] = min(r[1], limit)
		if r[1] > r[0] {
			out = append(out, r)
		}
	}
	return out, nil
}

// MergeRanges sorts ranges and joins the ones that overlap or touch.
func MergeRanges(rs [][2]int64) [][2]int64 {
	if len(rs) == 0 {
		return nil
	}
	s := append([][2]int64(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	out := [][2]int64{s[0]}
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if r[0] <= last[1] {
			last[1] = max(last[1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// Covered is the total length of merged ranges.
func Covered(rs [][2]int64) int64 {
	var n int64
	for _, r := range rs {
		n += r[1] - r[0]
	}
	return n
}

// WatchedPercent is the share of a video the ranges cover, 0..100.
func WatchedPercent(rs [][2]int64, durationMs int64) int {
	if durationMs <= 0 {
		return 0
	}
	p := int(Covered(MergeRanges(rs)) * 100 / durationMs)
	return min(p, 100)
}

// HeatBuckets is how many parts the heat strip has.
const HeatBuckets = 100

// coveredBuckets reports, for each 1% of a video, whether merged ranges
// cover at least half of it.
func coveredBuckets(rs [][2]int64, durationMs int64) [HeatBuckets]bool {
	var out [HeatBuckets]bool
	for i := range HeatBuckets {
		lo := durationMs * int64(i) / HeatBuckets
		hi := durationMs * int64(i+1) / HeatBuckets
		var in int64
		for _, r := range rs {
			a, b := max(r[0], lo), min(r[1], hi)
			if b > a {
				in += b - a
			}
		}
		out[i] = hi > lo && 2*in >= hi-lo
	}
	return out
}

// Insights is what the owner learns about who watched.
type Insights struct {
	Views         int
	UniqueViewers int
	// CompletionRate is the share of views that covered CompleteShare of
	// the video.
	CompletionRate float64
	// Heat is, for each 1% of the video, the share of views that watched
	// it.
	Heat    [HeatBuckets]float64
	Viewers []*InsightViewer
}

// InsightViewer is one named viewer: a member or an addressed recipient.
type InsightViewer struct {
	Name, Email    string
	FirstViewAt    time.Time
	WatchedPercent int
}

// ComputeInsights builds insights from a video's receipts: only counted
// views, names only for members and recipients.
func ComputeInsights(durationMs int64, rs []*ViewReceipt) *Insights {
	in := &Insights{Viewers: []*InsightViewer{}}
	viewers := map[string]bool{}
	people := map[string]*InsightViewer{}
	ranges := map[string][][2]int64{}
	var order []string
	complete := 0
	var heat [HeatBuckets]int
	for _, r := range rs {
		if !r.Counted {
			continue
		}
		in.Views++
		viewers[r.Viewer] = true
		merged := MergeRanges(r.Ranges)
		if durationMs > 0 && float64(Covered(merged)) >= CompleteShare*float64(durationMs) {
			complete++
		}
		if durationMs > 0 {
			b := coveredBuckets(merged, durationMs)
			for i, ok := range b {
				if ok {
					heat[i]++
				}
			}
		}
		key := ""
		switch {
		case r.Name == "" && r.Email == "":
			// Anonymous, or a recipient whose ask is gone: a count only.
			continue
		case r.UserID != "":
			key = "u:" + r.UserID
		case r.RecipientID != "":
			key = "r:" + r.RecipientID
		default:
			continue
		}
		p := people[key]
		if p == nil {
			p = &InsightViewer{Name: r.Name, Email: r.Email, FirstViewAt: r.CreatedAt}
			people[key] = p
			order = append(order, key)
		}
		if r.CreatedAt.Before(p.FirstViewAt) {
			p.FirstViewAt = r.CreatedAt
		}
		ranges[key] = append(ranges[key], merged...)
	}
	in.UniqueViewers = len(viewers)
	if in.Views > 0 {
		in.CompletionRate = float64(complete) / float64(in.Views)
		for i := range heat {
			in.Heat[i] = float64(heat[i]) / float64(in.Views)
		}
	}
	for _, k := range order {
		p := people[k]
		p.WatchedPercent = WatchedPercent(ranges[k], durationMs)
		in.Viewers = append(in.Viewers, p)
	}
	sort.SliceStable(in.Viewers, func(i, j int) bool { return in.Viewers[i].FirstViewAt.Before(in.Viewers[j].FirstViewAt) })
	return in
}

// Insights computes the video's insights.
func (s *Receipts) Insights(ctx context.Context, v *Video) (*Insights, error) {
	rs, err := s.Store.ViewReceipts(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	return ComputeInsights(v.DurationMs, rs), nil
}
