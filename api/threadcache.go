package api

import (
	"strconv"
	"sync"

	"github.com/baton-video/baton/media"
)

// threadCache keeps answered pages of thread lists, so that the many
// viewers who open a watch page at once cost one query, not one each. Every
// comment event of a video drops the video's pages (the hub tells it before
// any live stream hears of the event), and a page read from the database is
// kept only if no event of its video came while it was being read, so no
// page older than the last event is ever answered. Deleted videos answer
// 404 before the cache is asked.
//
// Several API processes (Postgres): the hub hears every process's events
// through the database's change feed (gormstore/feed.go), so a comment
// written on another process drops this process's pages too.
type threadCache struct {
	mu    sync.Mutex
	epoch uint64            // bumped when gen is reset
	gen   map[string]uint64 // per video, bumped by each of its events
	pages map[string]map[threadKey]*threadEntry
	n     int
}

type threadKey struct {
	videoID   string
	limit     int
	afterTime int64
	afterID   string
}

type threadEntry struct {
	page *media.ThreadPage
	body []byte // the answer for callers who wrote none of the page
	// length is body's Content-Length header, built once: a known length
	// also spares the chunked encoding of a 35 KB answer.
	length []string
}

func newThreadEntry(p *media.ThreadPage, body []byte) *threadEntry {
	return &threadEntry{page: p, body: body, length: []string{strconv.Itoa(len(body))}}
}

type cacheStamp struct{ epoch, gen uint64 }

// Bounds of the cache: pages kept, and videos whose generation is tracked.
const (
	maxCachedPages = 4096
	maxCacheGens   = 100_000
)

func newThreadCache() *threadCache {
	return &threadCache{gen: map[string]uint64{}, pages: map[string]map[threadKey]*threadEntry{}}
}

func (tc *threadCache) get(k threadKey) *threadEntry {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.pages[k.videoID][k]
}

// stamp is taken before reading a page from the database.
func (tc *threadCache) stamp(videoID string) cacheStamp {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return cacheStamp{tc.epoch, tc.gen[videoID]}
}

// put keeps e unless an event of its video came since st was taken.
func (tc *threadCache) put(k threadKey, st cacheStamp, e *threadEntry) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if st != (cacheStamp{tc.epoch, tc.gen[k.videoID]}) {
		return
	}
	if tc.n >= maxCachedPages {
		tc.pages, tc.n = map[string]map[threadKey]*threadEntry{}, 0
	}
	m := tc.pages[k.videoID]
	if m == nil {
		m = map[threadKey]*threadEntry{}
		tc.pages[k.videoID] = m
	}
	if _, ok := m[k]; !ok {
		tc.n++
	}
	m[k] = e
}

// invalidate drops a video's pages; the hub calls it for every event.
func (tc *threadCache) invalidate(ev *media.CommentEvent) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.gen[ev.VideoID]++
	tc.n -= len(tc.pages[ev.VideoID])
	delete(tc.pages, ev.VideoID)
	if len(tc.gen) > maxCacheGens {
		tc.epoch++
		tc.gen, tc.pages, tc.n = map[string]uint64{}, map[string]map[threadKey]*threadEntry{}, 0
	}
}
