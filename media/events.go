package media

import "sync"

// Broker fans out changes to videos to whoever watches them (the SSE
// streams of open watch pages). It is in-process; a scaled-out deployment
// relays between processes through the database, outside this type.
//
// Slow subscribers never block publishers: each has a small buffer and, when
// it is full, only the newest state is kept, because a watcher needs the
// current state of a video, not every step it went through.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// Subscription receives the changes of one video.
type Subscription struct {
	C       chan *Video
	b       *Broker
	videoID string
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[string]map[*Subscription]struct{})}
}

// Subscribe starts receiving changes of videoID. Call Close when done.
func (b *Broker) Subscribe(videoID string) *Subscription {
	s := &Subscription{C: make(chan *Video, 8), b: b, videoID: videoID}
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.subs[videoID]
	if m == nil {
		m = make(map[*Subscription]struct{})
		b.subs[videoID] = m
	}
	m[s] = struct{}{}
	return s
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if m := s.b.subs[s.videoID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(s.b.subs, s.videoID)
		}
	}
}

// Publish sends v to every subscriber of its video.
func (b *Broker) Publish(v *Video) {
	if b == nil || v == nil {
		return
	}
	cp := *v
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[v.ID] {
		for {
			select {
			case s.C <- &cp:
			default:
				// Full: drop the oldest queued state and try again.
				select {
				case <-s.C:
				default:
				}
				continue
			}
			break
		}
	}
}

// Subscribers counts the subscriptions of a video (for tests).
func (b *Broker) Subscribers(videoID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[videoID])
}
