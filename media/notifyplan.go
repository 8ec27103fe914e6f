package media

import (
	"context"
	"sync"
	"time"
)

// Notifications of comments are planned from the comment event log, after
// the events commit, never inside the request that wrote them: a comment
// costs its writer one event row, and the people concerned are worked out
// by the planner loop. The event log is durable and ordered, so the
// planner is a cursor over it, stored in the database: a crash anywhere
// between a comment's commit and its plan leaves the cursor behind the
// event, and the next round (in this process after a restart, or in
// another) plans it. Each plan has a key recorded in the plan's own
// transaction, so an event planned just before a crash that kept the
// cursor from moving is not planned twice. With several processes, the
// cursor is leased to one planner at a time.

// NotifyRequest is what the person who caused a comment event asked of its
// notifications. It is stored with the event, so planning the event later
// (after a crash too) keeps it; it is never sent to watchers.
type NotifyRequest struct {
	Urgent      bool   // created: the author marked it urgent
	NotifyEmail string // created: the address a guest left to hear replies
	// ByUserID and ByName are who resolved a thread (resolved events).
	ByUserID string
	ByName   string
}

// IsZero reports whether r asks for nothing.
func (r *NotifyRequest) IsZero() bool { return r == nil || *r == NotifyRequest{} }

// PlanCursor names the notification planner's place in the comment event
// log.
const PlanCursor = "notify-plan"

const (
	// planLease is how long a planner holds the cursor without renewing
	// it; a planner that died holding it delays planning by at most this.
	planLease = time.Minute
	planBatch = 100
)

// EventCursorStore keeps named cursors over the comment event log, leased
// to one owner at a time.
type EventCursorStore interface {
	// ClaimEventCursor leases the cursor to owner until now+lease if it is
	// free, expired or owner's already, and returns its position; ok is
	// false when another owner holds it.
	ClaimEventCursor(ctx context.Context, name, owner string, lease time.Duration, now time.Time) (seq int64, ok bool, err error)
	// AdvanceEventCursor moves owner's cursor to seq and renews the lease.
	// ECONFLICT if owner lost the lease.
	AdvanceEventCursor(ctx context.Context, name, owner string, seq int64, lease time.Duration, now time.Time) error
	// ReleaseEventCursor gives the lease up (nothing if owner lost it).
	ReleaseEventCursor(ctx context.Context, name, owner string) error
	// EventsToPlan returns up to limit committed "created" and "resolved"
	// events after seq, oldest first, with their NotifyRequest, and the
	// position a reader of them has reached: the last returned event's
	// Seq when the limit was hit, else the newest event of the log, so
	// that events of other kinds are passed over once.
	EventsToPlan(ctx context.Context, after int64, limit int) (evs []*CommentEvent, upTo int64, err error)
	// LastEventSeq returns the newest event's Seq (0 when there is none).
	LastEventSeq(ctx context.Context) (int64, error)
}

// planner is the per-process state of PlanEvents.
type planner struct {
	once sync.Once
	id   string
	mu   sync.Mutex // one round at a time in a process
	wake chan struct{}
}

func (n *Notifier) plan() *planner {
	n.planner.once.Do(func() {
		n.planner.id = "planner-" + NewID()
		n.planner.wake = make(chan struct{}, 1)
	})
	return &n.planner
}

// EventsCommitted tells the planner loop (Run) that comment events were
// committed, so it plans them now rather than at its next poll.
func (n *Notifier) EventsCommitted() {
	if n == nil {
		return
	}
	select {
	case n.plan().wake <- struct{}{}:
	default:
	}
}

// PlanEvents plans the notifications of every committed comment event the
// cursor has not passed, and reports how many events it planned. It
// returns at once when another process holds the cursor: that one looks
// for new events after letting it go.
func (n *Notifier) PlanEvents(ctx context.Context) (int, error) {
	if n == nil {
		return 0, nil
	}
	p := n.plan()
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	done := 0
	for {
		seq, ok, err := n.Store.ClaimEventCursor(ctx, PlanCursor, p.id, planLease, n.now())
		if err != nil || !ok {
			return done, err
		}
		for {
			evs, upTo, err := n.Store.EventsToPlan(ctx, seq, planBatch)
			if err != nil {
				return done, n.releasePlan(ctx, err)
			}
			k, at, err := n.planEvents(ctx, evs, seq, upTo)
			done += k
			if at > seq {
				if aerr := n.Store.AdvanceEventCursor(ctx, PlanCursor, p.id, at, planLease, n.now()); aerr != nil {
					// Lease lost: the new holder plans from where the
					// cursor stood; plan keys keep what this one did
					// from happening twice.
					return done, aerr
				}
				seq = at
			}
			if err != nil {
				return done, n.releasePlan(ctx, err)
			}
			if len(evs) < planBatch {
				break
			}
		}
		if err := n.Store.ReleaseEventCursor(ctx, PlanCursor, p.id); err != nil {
			return done, err
		}
		// An event committed while this process held the cursor found it
		// taken and left it to this one: look once more after letting go.
		last, err := n.Store.LastEventSeq(ctx)
		if err != nil || last <= seq {
			return done, err
		}
	}
}

func (n *Notifier) releasePlan(ctx context.Context, err error) error {
	if rerr := n.Store.ReleaseEventCursor(ctx, PlanCursor, n.plan().id); rerr != nil {
		n.log().Warn("notifications: release planner cursor", "err", rerr)
	}
	return err
}

// planEvents plans evs in order and returns how far the cursor may move:
// upTo when all went well, else to just before the event that failed for
// a reason worth retrying (the database), which the next round tries
// again. An event whose plan is refused for good (its video is gone,
// ENOTFOUND; EINVALID) is logged and passed.
func (n *Notifier) planEvents(ctx context.Context, evs []*CommentEvent, from, upTo int64) (int, int64, error) {
	planned := 0
	at := from
	for _, ev := range evs {
		err := n.planEvent(ctx, ev)
		if code := ErrorCode(err); err != nil && code != ENOTFOUND && code != EINVALID {
			return planned, at, err
		}
		if err != nil {
			n.log().Warn("notifications: event not planned", "seq", ev.Seq, "video_id", ev.VideoID, "err", err)
		} else {
			planned++
		}
		at = ev.Seq
	}
	return planned, max(at, upTo), nil
}

func (n *Notifier) planEvent(ctx context.Context, ev *CommentEvent) error {
	c := ev.Comment
	if c == nil || c.Deleted {
		return nil // deleted before it was planned: nobody hears of it
	}
	req := ev.Notify
	if req == nil {
		req = &NotifyRequest{}
	}
	switch ev.Type {
	case CommentCreated:
		return n.CommentCreated(ctx, c, Actor{UserID: c.AuthorUserID, Name: c.AuthorName}, CommentOptions{Urgent: req.Urgent, NotifyEmail: req.NotifyEmail})
	case CommentResolved:
		return n.commentResolved(ctx, c, Actor{UserID: req.ByUserID, Name: req.ByName}, "resolved:"+itoa(ev.Seq))
	}
	return nil
}
