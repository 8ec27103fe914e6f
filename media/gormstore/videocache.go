package gormstore

import (
	"sync"

	"github.com/baton-video/baton/media"
)

// videoCache keeps videos by slug: every request through a share link
// (the watch page's API, its media, its comment lists and writes) first
// reads the video behind the link and its sharing rules, and on a busy
// link that read was the largest share of a cached comment list.
//
// Correctness rests on two rules:
//   - Every write to a video row calls DB.VideoChanged after it commits,
//     which drops the row's entry. A revoked link (reset, made private,
//     deleted) is therefore refused by the next request, never answered
//     from the cache.
//   - A row read from the database is kept only if no change of any video
//     was announced while it was being read (the epoch), so a read that
//     raced a commit cannot put the old row back after its invalidation.
//
// Rules that depend on the time (a link's expiry) are decided per request
// from the cached row, so they need no invalidation.
type videoCache struct {
	mu     sync.Mutex
	epoch  uint64                  // bumped by every invalidation
	bySlug map[string]*media.Video // never handed out: callers get copies
	slugOf map[string]string       // video id -> slug it is cached under
}

// The zero videoCache is empty and ready.

// maxCachedVideos bounds the cache; when full it starts afresh (cheap, and
// a busy box's hot links come back at once).
const maxCachedVideos = 20_000

// get returns a copy of the video cached under slug, or nil.
func (c *videoCache) get(slug string) *media.Video {
	c.mu.Lock()
	v := c.bySlug[slug]
	c.mu.Unlock()
	if v == nil {
		return nil
	}
	cp := *v
	return &cp
}

// byID returns a copy of the cached video with id, or nil.
func (c *videoCache) byID(id string) *media.Video {
	c.mu.Lock()
	v := c.bySlug[c.slugOf[id]]
	c.mu.Unlock()
	if v == nil {
		return nil
	}
	cp := *v
	return &cp
}

// stamp is taken before reading a row from the database.
func (c *videoCache) stamp() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put keeps a copy of v unless a change was announced since st.
func (c *videoCache) put(st uint64, v *media.Video) {
	cp := *v
	c.mu.Lock()
	defer c.mu.Unlock()
	if st != c.epoch {
		return
	}
	if c.bySlug == nil || len(c.bySlug) >= maxCachedVideos {
		c.bySlug, c.slugOf = map[string]*media.Video{}, map[string]string{}
	}
	if old, ok := c.slugOf[cp.ID]; ok {
		delete(c.bySlug, old)
	}
	c.bySlug[cp.Slug] = &cp
	c.slugOf[cp.ID] = cp.Slug
}

// invalidate drops the entry of video id, or every entry when id is "".
func (c *videoCache) invalidate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if id == "" {
		c.bySlug, c.slugOf = nil, nil
		return
	}
	if slug, ok := c.slugOf[id]; ok {
		delete(c.bySlug, slug)
		delete(c.slugOf, id)
	}
}

// VideoChanged drops what this process caches of the video with id ("" for
// every video). It is the one way into the cache's invalidation: this
// package's own writes call it after they commit (UpdateVideo, DeleteVideo,
// CountView, the job queue's finishes and reaper, ownership hand-overs),
// and the cross-process change feed (feed.go: Postgres LISTEN/NOTIFY, where
// other processes write the same rows) calls it for every other process's
// video notice, and with "" after it reconnects, before it reads the
// changed row or tells anyone. Each of those writes also sends that notice
// (notifyTx) in its transaction, deletes included. A new write to the
// videos table that does not end here and notify is a bug: share links
// would keep answering from the old row.
func (db *DB) VideoChanged(id string) {
	db.videos.invalidate(id)
}
