package media

import (
	"sync"
	"time"
)

// Rate is the shape of a token bucket: Burst requests at once, then one
// more every Every. Every zero means the bucket never refills.
type Rate struct {
	Burst int
	Every time.Duration
}

// RateLimiter keeps one token bucket per key (an account, a guest's
// address, a video) in memory. Buckets that have refilled completely are forgotten, so memory
// is bounded by the keys seen in one refill period.
type RateLimiter struct {
	rate Rate
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRateLimiter returns a limiter whose buckets have shape r. A nil
// limiter allows everything.
func NewRateLimiter(r Rate) *RateLimiter {
	return &RateLimiter{rate: r, Now: time.Now, buckets: make(map[string]*bucket)}
}

// refill brings b up to now.
func (l *RateLimiter) refill(b *bucket, now time.Time) {
	if l.rate.Every > 0 && now.After(b.last) {
		b.tokens += float64(now.Sub(b.last)) / float64(l.rate.Every)
		b.tokens = min(b.tokens, float64(l.rate.Burst))
	}
	b.last = now
}

// Allow takes a token from key's bucket. When it is empty it reports false
// and how long until the next token.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if l.rate.Every <= 0 {
		return false, time.Hour
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}

// Refund gives back a token Allow took, for a request refused later for
// another reason.
func (l *RateLimiter) Refund(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(b.tokens+1, float64(l.rate.Burst))
	}
}

// sweep forgets full buckets, at most once per refill period.
func (l *RateLimiter) sweep(now time.Time) {
	if l.rate.Every <= 0 {
		return
	}
	period := max(time.Duration(l.rate.Burst)*l.rate.Every, time.Minute)
	if now.Sub(l.lastSweep) < period {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
}

// Len counts the buckets held.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
