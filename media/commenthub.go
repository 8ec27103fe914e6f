package media

import "sync"

// CommentHub fans a video's comment events out to its live streams (the
// open watch pages). It is in-process; a scaled-out deployment relays
// between processes outside this type.
//
// Publishing never blocks and never loses an event silently: a subscriber
// whose buffer is full is dropped (its Gone channel closes), its stream
// ends, and the page reconnects and replays what it missed from the stored
// events. Unlike video states, every comment event matters, so keeping only
// the newest (as Broker does) would be wrong here.
type CommentHub struct {
	mu        sync.Mutex
	subs      map[string]map[*CommentSub]struct{}
	observers []func(*CommentEvent)
}

// CommentSub receives the comment events of one video, in Seq order.
type CommentSub struct {
	C       <-chan *CommentEvent
	c       chan *CommentEvent
	gone    chan struct{}
	h       *CommentHub
	videoID string
	done    bool // dropped or closed; guarded by h.mu
}

// commentSubBuffer is how far a stream may fall behind before it is
// dropped: enough for a burst of activity while it replays from the store.
const commentSubBuffer = 256

// NewCommentHub returns an empty hub.
func NewCommentHub() *CommentHub {
	return &CommentHub{subs: make(map[string]map[*CommentSub]struct{})}
}

// Subscribe starts receiving the events of videoID. Call Close when done.
// A nil hub returns a subscription that never receives anything.
func (h *CommentHub) Subscribe(videoID string) *CommentSub {
	s := &CommentSub{c: make(chan *CommentEvent, commentSubBuffer), gone: make(chan struct{}), h: h, videoID: videoID}
	s.C = s.c
	if h == nil {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[videoID]
	if m == nil {
		m = make(map[*CommentSub]struct{})
		h.subs[videoID] = m
	}
	m[s] = struct{}{}
	return s
}

// Gone is closed when the subscription was dropped for falling behind.
func (s *CommentSub) Gone() <-chan struct{} { return s.gone }

// Close stops the subscription.
func (s *CommentSub) Close() {
	if s.h == nil {
		return
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.remove(s)
}

func (h *CommentHub) remove(s *CommentSub) {
	if s.done {
		return
	}
	s.done = true
	if m := h.subs[s.videoID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.videoID)
		}
	}
}

// Observe calls fn with every published event before any subscriber gets
// it; caches use it to drop what an event changes. fn must not block.
func (h *CommentHub) Observe(fn func(*CommentEvent)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.observers = append(h.observers, fn)
}

// Publish sends ev to every subscriber of its video without waiting.
func (h *CommentHub) Publish(ev *CommentEvent) {
	if h == nil || ev == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.observers {
		fn(ev)
	}
	for s := range h.subs[ev.VideoID] {
		select {
		case s.c <- ev:
		default:
			h.remove(s)
			close(s.gone)
		}
	}
}

// Subscribers counts the subscriptions of a video.
func (h *CommentHub) Subscribers(videoID string) int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[videoID])
}
