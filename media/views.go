package media

import (
	"context"
	"sync"
	"time"
)

// A view is someone watching, not someone opening a page: it counts once
// the viewer has played MinViewPlayback of the video, and once per viewer
// and video within ViewWindow, however many windows or reloads they use.
// Read receipts (who watched an update) follow the same rule; build them on
// ViewRule rather than on page loads.
const (
	MinViewPlayback = 3 * time.Second
	ViewWindow      = 30 * time.Minute
)

// ViewRule decides whether a play counts as a view.
type ViewRule struct {
	MinPlayback time.Duration
	Window      time.Duration
}

// DefaultViewRule is the rule Baton applies.
var DefaultViewRule = ViewRule{MinPlayback: MinViewPlayback, Window: ViewWindow}

// Counts reports whether a viewer who has played `played` of a video
// counts a view at now, given when their last counted view was (zero: never).
func (r ViewRule) Counts(played time.Duration, last, now time.Time) bool {
	if played < r.MinPlayback {
		return false
	}
	return last.IsZero() || now.Sub(last) >= r.Window
}

// ViewLog remembers when each viewer's view of each video last counted,
// for ViewRule. It lives in the process: on a restart a viewer may count
// once more. The zero value is ready to use.
type ViewLog struct {
	mu      sync.Mutex
	last    map[string]time.Time
	pruneAt int
}

// Claim records a counted view and reports true when rule allows one for
// viewer and video at now; otherwise it changes nothing.
func (l *ViewLog) Claim(rule ViewRule, videoID, viewer string, played time.Duration, now time.Time) bool {
	key := videoID + "|" + viewer
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
		l.pruneAt = 1024
	}
	if !rule.Counts(played, l.last[key], now) {
		return false
	}
	l.last[key] = now
	if len(l.last) >= l.pruneAt {
		// Entries older than the window decide nothing any more.
		for k, t := range l.last {
			if now.Sub(t) >= rule.Window {
				delete(l.last, k)
			}
		}
		l.pruneAt = max(1024, 2*len(l.last))
	}
	return true
}

// Forget drops a claim whose count failed, so that the next report may
// count again.
func (l *ViewLog) Forget(videoID, viewer string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, videoID+"|"+viewer)
}

// RecordView counts a view of video id by viewer (a user id or a
// browser's viewer id) who has played `played` of it, under
// DefaultViewRule. It reports whether the view counted and returns the
// video. EGONE when the link's view budget is spent, ENOTFOUND.
func (s *Service) RecordView(ctx context.Context, id, viewer string, played time.Duration) (*Video, bool, error) {
	if !s.views.Claim(DefaultViewRule, id, viewer, played, time.Now()) {
		v, err := s.Videos.Video(ctx, id)
		return v, false, err
	}
	v, err := s.Videos.CountView(ctx, id)
	if err != nil {
		s.views.Forget(id, viewer)
		return nil, false, err
	}
	s.notifyViewed(ctx, v, viewer) // notify.go: first views reach the owner
	return v, true, nil
}
