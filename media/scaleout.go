package media

import (
	"context"
	"time"
)

// Several processes can share one database (Postgres) and one object store.
// These ports are what the domain and the API need from the database to
// behave as one service; on SQLite, where Baton is one process, the same
// implementations answer trivially.

// Ticks lets processes agree who runs a periodic task: of all processes
// calling ClaimTick(name, every) at any pace, exactly one gets true per
// period of every (a row claimed in the database, not a lock held, so a
// process that dies mid-task costs one tick at most).
type Ticks interface {
	ClaimTick(ctx context.Context, name string, every time.Duration) (bool, error)
}

// UploadOwners records which API process holds an upload's staging bytes
// (and its live session), so that a request that reaches another process
// can be forwarded to it: the load balancer need not be sticky.
type UploadOwners interface {
	// SetUploadOwner records addr (a base URL other processes can reach)
	// as the holder of the upload of videoID.
	SetUploadOwner(ctx context.Context, videoID, addr string) error
	// UploadOwner returns the holder's address. ENOTFOUND when none is
	// recorded.
	UploadOwner(ctx context.Context, videoID string) (string, error)
}

// Notices carries small change notices (a topic and an id, never content)
// to every process sharing the database, this one included, when the
// change commits; receivers read what changed themselves. Caches use it to
// drop entries another process made stale.
type Notices interface {
	Notify(ctx context.Context, topic, id string) error
	OnNotice(topic string, fn func(id string))
}

// Total counts the subscriptions of every video: the open event streams.
func (h *CommentHub) Total() int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}

// Count is the number of recordings being transcoded while they upload.
func (ls *LiveSessions) Count() int {
	if ls == nil {
		return 0
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.sessions)
}
