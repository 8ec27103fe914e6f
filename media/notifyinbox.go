package media

import (
	"context"
	"sync"
)

// The bell: inbox changes told to a member's open pages, in this process
// and, through Notices, in every process sharing the database.

// Notice topics.
const (
	noticeInbox = "inbox" // id: the member whose inbox changed
	noticeDue   = "due"   // something is due to send now
)

// Listen subscribes this process's bells and sender to the notices of
// every process; call it once at start when Notices is set.
func (n *Notifier) Listen() {
	if n.Notices == nil {
		return
	}
	n.Notices.OnNotice(noticeInbox, n.Inbox.Notify)
	n.Notices.OnNotice(noticeDue, func(string) { n.Wake() })
}

func (n *Notifier) inboxChanged(ctx context.Context, userID string) {
	if n.Notices == nil {
		n.Inbox.Notify(userID)
		return
	}
	if err := n.Notices.Notify(ctx, noticeInbox, userID); err != nil {
		n.log().Warn("notifications: tell other processes", "err", err)
		n.Inbox.Notify(userID)
	}
}

func (n *Notifier) wakeAll(ctx context.Context) {
	if n.Notices == nil {
		n.Wake()
		return
	}
	if err := n.Notices.Notify(ctx, noticeDue, "now"); err != nil {
		n.Wake()
	}
}

// InboxHub tells a member's open pages that their inbox changed; the pages
// read the new count. Signals coalesce, so a slow page never blocks.
type InboxHub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewInboxHub returns an empty hub.
func NewInboxHub() *InboxHub { return &InboxHub{subs: map[string]map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives a signal on every change of
// the user's inbox, and a function to stop.
func (h *InboxHub) Subscribe(userID string) (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	if h == nil {
		return c, func() {}
	}
	h.mu.Lock()
	if h.subs[userID] == nil {
		h.subs[userID] = map[chan struct{}]struct{}{}
	}
	h.subs[userID][c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs[userID], c)
		if len(h.subs[userID]) == 0 {
			delete(h.subs, userID)
		}
		h.mu.Unlock()
	}
}

// Notify signals the user's subscribers.
func (h *InboxHub) Notify(userID string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs[userID] {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// MarkRead marks notifications read and tells the member's pages.
func (n *Notifier) MarkRead(ctx context.Context, userID string, ids []string, all bool) error {
	if !all && len(ids) == 0 {
		return Errorf(EINVALID, "Send {\"ids\": [...]} or {\"all\": true}.")
	}
	if len(ids) > 500 {
		return Errorf(EINVALID, "Mark at most 500 notifications at once, or send {\"all\": true}.")
	}
	if err := n.Store.MarkRead(ctx, userID, ids, all, n.now()); err != nil {
		return err
	}
	n.inboxChanged(ctx, userID)
	return nil
}
