package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Passing the baton: notifications. Each event (a comment, a reply, a
// mention, a resolved thread, a first view, a video that became ready) is
// planned once, right after it happened, into per-recipient rows: an inbox
// row (what the bell shows) for members, a pending email with a due time
// computed from the recipient's schedule (hours.go), and signed webhook
// deliveries. Nothing is sent from a request: senders claim due rows with
// leases, group one recipient's due emails into one message (bundles and
// digests fall out of that), and mark them sent in the transaction that
// records the attempt. An SMTP or receiver outage only delays.

// NotifyKind is what a notification is about.
type NotifyKind string

// The kinds of notification.
const (
	NotifyComment  NotifyKind = "comment"  // a new thread on a video the recipient owns or follows
	NotifyReply    NotifyKind = "reply"    // a reply in a thread the recipient wrote in or follows
	NotifyMention  NotifyKind = "mention"  // someone wrote @name
	NotifyResolved NotifyKind = "resolved" // the recipient's thread was resolved
	NotifyView     NotifyKind = "view"     // the first view of the recipient's video
	NotifyReady    NotifyKind = "ready"    // a slow processing finished
	NotifyConfirm  NotifyKind = "confirm"  // confirm a guest's address (email only)
)

// Webhook event types (Standard Webhooks "type").
const (
	EventCommentCreated  = "comment.created"
	EventCommentReplied  = "comment.replied"
	EventCommentResolved = "comment.resolved"
	EventVideoReady      = "video.ready"
	EventVideoViewed     = "video.viewed"
)

// WebhookEvents lists the event types a webhook may subscribe to.
var WebhookEvents = []string{EventCommentCreated, EventCommentReplied, EventCommentResolved, EventVideoReady, EventVideoViewed}

// Recipients are named "user:<id>" (members) or "guest:<id>" (addresses
// guests left, see GuestEmail).

// UserRecipient names a member as a recipient.
func UserRecipient(id string) string { return "user:" + id }

// GuestRecipient names a guest's address as a recipient.
func GuestRecipient(id string) string { return "guest:" + id }

// SplitRecipient returns a recipient's kind ("user" or "guest") and id.
func SplitRecipient(r string) (kind, id string) {
	kind, id, _ = strings.Cut(r, ":")
	return kind, id
}

// Notification is one row of a member's inbox.
type Notification struct {
	ID        string // UUIDv7
	UserID    string
	Kind      NotifyKind
	VideoID   string
	VideoSlug string
	Title     string // the video's title when it happened
	CommentID string
	Actor     string // who did it (display name); empty for the system
	Text      string // the comment text, or a sentence
	TimeMs    int64  // the moment in the video
	Urgent    bool
	// Link is where an item about no video leads, relative to the site
	// (a check-in's recorder or round page).
	Link      string
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// EmailItem is one pending email line for one recipient; a sender joins a
// recipient's due items into one message.
type EmailItem struct {
	ID        int64
	Recipient string
	To        string // the address, resolved when planned
	Kind      NotifyKind
	VideoID   string
	VideoSlug string
	Title     string
	CommentID string
	Actor     string
	Text      string
	TimeMs    int64
	Urgent    bool
	DueAt     time.Time
	CreatedAt time.Time
	Attempts  int
	// Link, when set, is where the item leads instead of the video's
	// moment (an ask's personal link).
	Link string

	dropped bool // its comment was deleted before it went out
}

// EmailBatch is one recipient's due items, leased to one sender.
type EmailBatch struct {
	Recipient  string
	To         string
	Items      []*EmailItem
	LeaseOwner string
	Attempts   int // attempts so far, including this one
}

// EmailOutcome is one batch and how its attempt went.
type EmailOutcome struct {
	Batch   *EmailBatch
	Attempt DeliveryAttempt
}

// DeliveryAttempt is the outcome of one try to send an email or webhook.
type DeliveryAttempt struct {
	At         time.Time
	StatusCode int // HTTP status for webhooks; 0 for email or when no answer
	Error      string
	// NextRetry is when it will be tried again; zero when it was delivered
	// or given up.
	NextRetry time.Time
	OK        bool
	GiveUp    bool // a permanent failure, or out of time
}

// Webhook is a signed HTTP endpoint that hears about events.
type Webhook struct {
	ID      string // UUIDv7
	OwnerID string // the member who made it
	// Workspace webhooks (admins only) hear about every video; the others
	// about their owner's videos.
	Workspace bool
	URL       string
	Events    []string
	Format    string // "standard" or "slack"
	// Secret is the signing key, "whsec_" + base64; shown once.
	Secret    string
	CreatedAt time.Time
}

// Webhook formats.
const (
	WebhookStandard = "standard"
	WebhookSlack    = "slack"
)

// Wants reports whether h subscribes to eventType.
func (h *Webhook) Wants(eventType string) bool {
	for _, e := range h.Events {
		if e == eventType {
			return true
		}
	}
	return false
}

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID        string // UUIDv7; the Standard Webhooks message id
	WebhookID string
	Type      string
	Payload   []byte // the JSON body, fixed when planned so every retry signs the same bytes
	State     string // pending, delivered, failed
	Attempts  int
	NextAt    time.Time
	CreatedAt time.Time
	// Filled when claimed.
	URL        string
	Secret     string
	Format     string
	LeaseOwner string
	// Log is the attempts so far, oldest first (in listings).
	Log []DeliveryAttempt
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Prefs is a member's notification settings. A member who never set them
// has the workspace defaults.
type Prefs struct {
	TimeZone  string // IANA name
	Hours     WorkingHours
	EmailMode EmailMode
}

// Person is a recipient as the planner needs them.
type Person struct {
	Recipient string
	Name      string
	Email     string
	Prefs     *Prefs // nil: the workspace defaults
	// Guests' addresses: mail goes out only after the address was
	// confirmed, and never after an unsubscribe.
	Guest        bool
	Confirmed    bool
	Unsubscribed bool
}

// GuestEmail is an address a guest left to hear replies.
type GuestEmail struct {
	ID           string
	Email        string
	ConfirmedAt  time.Time
	Unsubscribed bool
	// ConfirmSentAt is when the confirmation link was last mailed.
	ConfirmSentAt time.Time
}

// Plan is everything one event causes, stored in one transaction.
type Plan struct {
	Inbox  []*Notification
	Emails []*EmailItem
	Hooks  []*WebhookDelivery
	// Follows are recipients that start following (video, thread) pairs
	// as a side effect (commenters follow automatically).
	Follows []Follow

	// Key, when set, makes the plan happen once: it is recorded with the
	// plan, and a second plan with the same key is refused
	// (ErrPlanned), so the request that caused an event and the sweeper
	// that catches what a crash left unplanned never both deliver it.
	Key string

	// schedules are the email recipients' schedules, read while planning.
	schedules map[string]Schedule
}

// ErrPlanned is returned by SavePlan for a plan whose Key was planned
// already.
var ErrPlanned = Errorf(ECONFLICT, "Already planned.")

// Follow is a recipient following a video, or one thread of it (guests
// follow only the threads they wrote in).
type Follow struct {
	VideoID   string
	ThreadID  string // empty: the whole video
	Recipient string
}

// NotifyStore keeps inboxes, the email and webhook outboxes, follows,
// people's settings and webhooks.
type NotifyStore interface {
	// SavePlan stores p in one transaction. For each email item, due is
	// called with the recipient's earliest pending non-urgent email (zero
	// if none) and returns when the item goes out. ErrPlanned if p.Key
	// was planned before (then nothing is stored).
	SavePlan(ctx context.Context, p *Plan, now time.Time, due func(it *EmailItem, pending time.Time) time.Time) error
	// UnplannedComments returns up to limit live comments created between
	// from and to whose notifications were never planned (no "plan:<id>"
	// key), oldest first.
	UnplannedComments(ctx context.Context, from, to time.Time, limit int) ([]*Comment, error)
	// Once records key and reports whether it was new; used for "once per
	// video" notifications.
	Once(ctx context.Context, key string, now time.Time) (bool, error)

	// Notifications returns a page of the user's inbox, newest first, and
	// the unread count. before is the id of the last item of the previous
	// page.
	Notifications(ctx context.Context, userID, before string, limit int) ([]*Notification, int, error)
	// UnreadCount counts the user's unread notifications.
	UnreadCount(ctx context.Context, userID string) (int, error)
	// MarkRead marks the user's notifications with ids (all when all) as
	// read at now.
	MarkRead(ctx context.Context, userID string, ids []string, all bool, now time.Time) error
	// NewCommentCounts returns, per video, the user's unread comment
	// notifications.
	NewCommentCounts(ctx context.Context, userID string, videoIDs []string) (map[string]int, error)
	// SeenVideo records when the user last looked at a video's
	// conversation and returns the previous time (zero the first time).
	SeenVideo(ctx context.Context, userID, videoID string, now time.Time) (time.Time, error)

	// SetFollow starts (on true) or stops following. Stopping removes the
	// video follow and any thread follows of the recipient on the video.
	SetFollow(ctx context.Context, f Follow, on bool, now time.Time) error
	// Following reports whether the recipient follows the video.
	Following(ctx context.Context, videoID, recipient string) (bool, error)
	// Followers returns who follows the video or the thread.
	Followers(ctx context.Context, videoID, threadID string) ([]string, error)
	// Unfollowed reports whether the recipient explicitly stopped following
	// the video, which automatic follows respect.
	Unfollowed(ctx context.Context, videoID, recipient string) (bool, error)
	// CurrentComments returns the bodies of the comments with ids that
	// still exist and are not deleted; read when an email goes out, so a
	// held digest carries comments as they are then.
	CurrentComments(ctx context.Context, ids []string) (map[string]string, error)
	// ThreadAuthors returns the user ids of members who wrote in the thread.
	ThreadAuthors(ctx context.Context, threadID string) ([]string, error)

	// Prefs returns the member's settings, nil when never set.
	Prefs(ctx context.Context, userID string) (*Prefs, error)
	// SetPrefs stores the member's settings.
	SetPrefs(ctx context.Context, userID string, p *Prefs) error
	// People returns the recipients that exist; unknown ones are left out.
	People(ctx context.Context, recipients []string) (map[string]*Person, error)

	// GuestEmail returns the address's row, creating it. ENOTFOUND never.
	GuestEmail(ctx context.Context, email string, now time.Time) (*GuestEmail, error)
	// GuestEmailByID returns a guest address. ENOTFOUND.
	GuestEmailByID(ctx context.Context, id string) (*GuestEmail, error)
	// UpdateGuestEmail loads the row, applies fn and saves it. ENOTFOUND.
	UpdateGuestEmail(ctx context.Context, id string, fn func(*GuestEmail) error) (*GuestEmail, error)

	// ClaimEmails leases up to max recipients' due emails (due_at <= now)
	// to owner, each recipient's as one batch.
	ClaimEmails(ctx context.Context, owner string, lease time.Duration, now time.Time, max int) ([]*EmailBatch, error)
	// FinishEmails records each outcome's attempt and, in the same
	// transaction, marks its batch's items sent, or due again at
	// NextRetry, or failed. Outcomes whose lease was lost are skipped and
	// reported as ECONFLICT in errs (same order); err is a failure of the
	// whole transaction.
	FinishEmails(ctx context.Context, outcomes []EmailOutcome) (errs []error, err error)

	// CreateWebhook inserts h.
	CreateWebhook(ctx context.Context, h *Webhook) error
	// Webhooks lists the webhooks of ownerID (every one when all).
	Webhooks(ctx context.Context, ownerID string, all bool) ([]*Webhook, error)
	// Webhook returns one webhook. ENOTFOUND.
	Webhook(ctx context.Context, id string) (*Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries. ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// WebhooksFor returns the webhooks that hear about videoOwner's videos
	// (theirs and the workspace's) and want eventType.
	WebhooksFor(ctx context.Context, videoOwner, eventType string) ([]*Webhook, error)
	// WebhookDeliveries lists a webhook's newest deliveries with their
	// attempts.
	WebhookDeliveries(ctx context.Context, webhookID string, limit int) ([]*WebhookDelivery, error)
	// ClaimWebhookDeliveries leases up to max due deliveries to owner.
	ClaimWebhookDeliveries(ctx context.Context, owner string, lease time.Duration, now time.Time, max int) ([]*WebhookDelivery, error)
	// FinishWebhookDelivery records the attempt and the delivery's new
	// state in one transaction. ECONFLICT if the lease was lost.
	FinishWebhookDelivery(ctx context.Context, d *WebhookDelivery, a DeliveryAttempt) error
}

// Mailer sends one email message. Errors are transient unless they are
// EINVALID (the server refused the recipient for good).
type Mailer interface {
	Send(ctx context.Context, m *EmailMessage) error
}

// EmailMessage is a rendered email.
type EmailMessage struct {
	To        string
	Subject   string
	Text      string
	HTML      string
	MessageID string // without angle brackets
	// InReplyTo threads the message under its video, so mail clients keep
	// one conversation per video.
	InReplyTo string
	// ListUnsubscribe is the one-click unsubscribe URL (RFC 8058).
	ListUnsubscribe string
}

// WebhookPoster makes one signed POST. It returns the response status (0
// when there was none). Implementations refuse private addresses at dial
// time unless configured otherwise.
type WebhookPoster interface {
	Post(ctx context.Context, url string, headers map[string]string, body []byte) (int, error)
}

// NotifyConfig is the workspace's notification settings.
type NotifyConfig struct {
	// Bundle is how long an email waits inside working hours for more to
	// join it.
	Bundle time.Duration
	// DefaultZone and DefaultHours are the schedule of guests and of
	// members who set none.
	DefaultZone  *time.Location
	DefaultHours WorkingHours
	// PublicURL is the base of links in emails and webhooks.
	PublicURL string
	// UrgentRate bounds urgent comments per sender.
	UrgentRate Rate
	// SlowReady: a video whose processing took longer tells its owner when
	// it is ready.
	SlowReady time.Duration
}

// Notifier plans notifications and runs their senders.
type Notifier struct {
	Store  NotifyStore
	Videos VideoStore
	Users  UserStore
	// Mailer sends email; nil turns email off (inbox and webhooks work).
	Mailer Mailer
	// Hooks posts webhooks; nil turns webhook delivery off (they stay
	// pending).
	Hooks WebhookPoster
	// CheckURL refuses webhook URLs that resolve to private addresses.
	CheckURL func(ctx context.Context, raw string) error
	Clock    Clock
	Config   NotifyConfig
	Log      *slog.Logger
	// Inbox tells open pages that a member's inbox changed.
	Inbox *InboxHub
	// Notices, if set, carries "inbox changed" and "mail is due" to every
	// process sharing the database (this one included), whose bells and
	// senders then act; without it only this process hears.
	Notices Notices
	// Key signs unsubscribe and confirmation links.
	Key []byte

	// publicURL, once set with SetPublicURL, overrides Config.PublicURL
	// (a server learns its port after it starts listening, while workers
	// may already be planning).
	publicURL atomic.Pointer[string]

	urgentOnce sync.Once
	urgent     *RateLimiter
	wake       chan struct{}
	wakeOnce   sync.Once
}

func (n *Notifier) now() time.Time { return n.Clock.Now() }

// SetPublicURL changes the base of links in emails and webhooks; safe
// while the notifier runs.
func (n *Notifier) SetPublicURL(u string) { n.publicURL.Store(&u) }

func (n *Notifier) base() string {
	if p := n.publicURL.Load(); p != nil {
		return *p
	}
	return n.Config.PublicURL
}

func (n *Notifier) log() *slog.Logger {
	if n.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Log
}

// EmailEnabled reports whether email can be sent.
func (n *Notifier) EmailEnabled() bool { return n != nil && n.Mailer != nil }

// Defaults is the workspace's default schedule.
func (n *Notifier) Defaults() Prefs {
	zone := "UTC"
	if n.Config.DefaultZone != nil {
		zone = n.Config.DefaultZone.String()
	}
	h := n.Config.DefaultHours
	if h.Days == [7]bool{} {
		h = DefaultWorkingHours
	}
	return Prefs{TimeZone: zone, Hours: h, EmailMode: EmailWorkingHours}
}

// ScheduleOf is the person's schedule, falling back to the defaults.
func (n *Notifier) ScheduleOf(p *Prefs) Schedule {
	d := n.Defaults()
	if p == nil {
		p = &d
	}
	loc, err := LoadZone(p.TimeZone)
	if err != nil {
		loc, _ = LoadZone(d.TimeZone)
	}
	mode := p.EmailMode
	if mode == "" {
		mode = EmailWorkingHours
	}
	return Schedule{Zone: loc, Hours: p.Hours, Mode: mode}
}

// AllowUrgent takes a token from the sender's urgent budget. ERATELIMIT
// when spent; ENOTALLOWED for guests.
func (n *Notifier) AllowUrgent(a Actor) error {
	if a.UserID == "" {
		return Errorf(ENOTALLOWED, "Only members can mark a comment urgent.")
	}
	n.urgentOnce.Do(func() {
		r := n.Config.UrgentRate
		if r.Burst == 0 {
			r = Rate{Burst: 3, Every: 20 * time.Minute}
		}
		n.urgent = NewRateLimiter(r)
		n.urgent.Now = func() time.Time { return n.now() }
	})
	if ok, wait := n.urgent.Allow(a.UserID); !ok {
		return Errorf(ERATELIMIT, "You have sent several urgent comments recently; try again in %d minutes, or post it without urgent.", int(wait.Minutes())+1)
	}
	return nil
}

/* ---------- Planning ---------- */

// CommentOptions are what the author asked for besides the comment.
type CommentOptions struct {
	Urgent      bool
	NotifyEmail string // a guest's address to hear replies
}

// recipientSet collects recipients with the most specific kind each.
type recipientSet struct {
	kinds map[string]NotifyKind
	order []string
}

func (s *recipientSet) add(r string, k NotifyKind) {
	if s.kinds == nil {
		s.kinds = map[string]NotifyKind{}
	}
	old, ok := s.kinds[r]
	if !ok {
		s.order = append(s.order, r)
	}
	// A mention says more than a reply, a reply more than a comment.
	if !ok || kindRank(k) > kindRank(old) {
		s.kinds[r] = k
	}
}

func kindRank(k NotifyKind) int {
	switch k {
	case NotifyMention:
		return 3
	case NotifyReply:
		return 2
	}
	return 1
}

// CommentCreated plans the notifications of a new comment or reply. It
// runs after the comment is stored; a failure is logged, never undoes the
// comment.
func (n *Notifier) CommentCreated(ctx context.Context, c *Comment, a Actor, opt CommentOptions) error {
	if n == nil || c == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	v, err := n.Videos.Video(ctx, c.VideoID)
	if err != nil {
		return err
	}
	now := n.now()
	author := ""
	if c.AuthorUserID != "" {
		author = UserRecipient(c.AuthorUserID)
	}
	plan := &Plan{Key: "plan:" + c.ID}
	threadID := c.ID
	if !c.IsThread() {
		threadID = c.ParentID
	}
	// Commenters follow, unless they said they do not want to.
	if author != "" {
		if off, err := n.Store.Unfollowed(ctx, v.ID, author); err == nil && !off {
			plan.Follows = append(plan.Follows, Follow{VideoID: v.ID, Recipient: author})
		}
	}
	guestRecipient := ""
	if opt.NotifyEmail != "" && c.AuthorUserID == "" {
		g, err := n.guestAddress(ctx, opt.NotifyEmail, v, plan, now)
		if err != nil {
			return err
		}
		if g != nil {
			guestRecipient = GuestRecipient(g.ID)
			plan.Follows = append(plan.Follows, Follow{VideoID: v.ID, ThreadID: threadID, Recipient: guestRecipient})
		}
	}

	var rs recipientSet
	eventType := EventCommentCreated
	// Owners follow their videos without a row, until they unfollow.
	ownerFollows := false
	if v.OwnerID != "" {
		off, err := n.Store.Unfollowed(ctx, v.ID, UserRecipient(v.OwnerID))
		if err != nil {
			return err
		}
		ownerFollows = !off
	}
	if c.IsThread() {
		if ownerFollows {
			rs.add(UserRecipient(v.OwnerID), NotifyComment)
		}
		followers, err := n.Store.Followers(ctx, v.ID, "")
		if err != nil {
			return err
		}
		for _, f := range followers {
			rs.add(f, NotifyComment)
		}
	} else {
		eventType = EventCommentReplied
		if ownerFollows {
			rs.add(UserRecipient(v.OwnerID), NotifyReply)
		}
		authors, err := n.Store.ThreadAuthors(ctx, c.ParentID)
		if err != nil {
			return err
		}
		for _, id := range authors {
			rs.add(UserRecipient(id), NotifyReply)
		}
		for _, tid := range []string{"", c.ParentID} {
			followers, err := n.Store.Followers(ctx, v.ID, tid)
			if err != nil {
				return err
			}
			for _, f := range followers {
				rs.add(f, NotifyReply)
			}
		}
	}
	if strings.Contains(c.Body, "@") && n.Users != nil {
		members, err := n.Users.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range Mentioned(c.Body, members) {
			rs.add(UserRecipient(u.ID), NotifyMention)
		}
	}
	delete(rs.kinds, author)
	if guestRecipient != "" {
		delete(rs.kinds, guestRecipient)
	}
	if err := n.addRecipients(ctx, plan, &rs, func(k NotifyKind) *Notification {
		return &Notification{Kind: k, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title, CommentID: c.ID,
			Actor: c.AuthorName, Text: c.TextWithRecording(), TimeMs: c.TimeMs, Urgent: opt.Urgent}
	}, now); err != nil {
		return err
	}
	if err := n.addHooks(ctx, plan, v, eventType, commentData(v, c, n.base()), now); err != nil {
		return err
	}
	return n.save(ctx, plan, opt.Urgent)
}

// missedAfter is how old an unplanned comment must be before the sweeper
// plans it: long enough that the request that made it has planned it, or
// died.
const missedAfter = 2 * time.Minute

// PlanMissed plans the notifications of comments that were stored but
// never planned, because the process died between the two (the comment's
// transaction is not the plan's). Only comments since notifications were
// first turned on (epoch) and from the last day are considered, so an
// upgrade does not notify about old comments. Options the author chose
// (urgent, a guest's address) were not stored and are lost; the people
// concerned still hear, late.
func (n *Notifier) PlanMissed(ctx context.Context, epoch time.Time) (int, error) {
	now := n.now()
	from := laterOf(epoch, now.Add(-24*time.Hour))
	done := 0
	for {
		cs, err := n.Store.UnplannedComments(ctx, from, now.Add(-missedAfter), 100)
		if err != nil || len(cs) == 0 {
			return done, err
		}
		for _, c := range cs {
			if err := n.CommentCreated(ctx, c, Actor{UserID: c.AuthorUserID, Name: c.AuthorName}, CommentOptions{}); err != nil {
				return done, err
			}
			done++
		}
		if len(cs) < 100 {
			return done, nil
		}
	}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// CommentResolved tells a thread's author that it was resolved.
func (n *Notifier) CommentResolved(ctx context.Context, c *Comment, a Actor) error {
	if n == nil || c == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	v, err := n.Videos.Video(ctx, c.VideoID)
	if err != nil {
		return err
	}
	now := n.now()
	plan := &Plan{}
	var rs recipientSet
	if c.AuthorUserID != "" && c.AuthorUserID != a.UserID {
		rs.add(UserRecipient(c.AuthorUserID), NotifyResolved)
	}
	if c.AuthorUserID == "" {
		// A guest who left an address follows the thread.
		fs, err := n.Store.Followers(ctx, v.ID, c.ID)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if k, _ := SplitRecipient(f); k == "guest" {
				rs.add(f, NotifyResolved)
			}
		}
	}
	by := a.Name
	if by == "" {
		by = "The video's owner"
	}
	if err := n.addRecipients(ctx, plan, &rs, func(k NotifyKind) *Notification {
		return &Notification{Kind: k, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title, CommentID: c.ID,
			Actor: by, Text: c.Body, TimeMs: c.TimeMs}
	}, now); err != nil {
		return err
	}
	if err := n.addHooks(ctx, plan, v, EventCommentResolved, commentData(v, c, n.base()), now); err != nil {
		return err
	}
	return n.save(ctx, plan, false)
}

// VideoViewed is the view signal: call it when a viewer (viewerID empty
// for an anonymous one, viewerName their display name) counts as having
// watched the video. The owner hears of the first view once per video, and
// once per named member who watches.
func (n *Notifier) VideoViewed(ctx context.Context, v *Video, viewerID, viewerName string) error {
	if n == nil || v == nil || v.OwnerID == "" || viewerID == v.OwnerID {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := n.now()
	first, err := n.Store.Once(ctx, "view:"+v.ID, now)
	if err != nil {
		return err
	}
	named := false
	if viewerID != "" {
		if named, err = n.Store.Once(ctx, "view:"+v.ID+":"+viewerID, now); err != nil {
			return err
		}
	}
	if !first && !named {
		return nil
	}
	text := "Your video had its first view."
	actor := ""
	if viewerID != "" {
		actor = viewerName
		text = viewerName + " watched your video."
	}
	plan := &Plan{}
	var rs recipientSet
	rs.add(UserRecipient(v.OwnerID), NotifyView)
	if err := n.addRecipients(ctx, plan, &rs, func(k NotifyKind) *Notification {
		return &Notification{Kind: k, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title, Actor: actor, Text: text}
	}, now); err != nil {
		return err
	}
	data := videoData(v, n.base())
	data["viewer"] = viewerName
	data["firstView"] = first
	if err := n.addHooks(ctx, plan, v, EventVideoViewed, data, now); err != nil {
		return err
	}
	return n.save(ctx, plan, false)
}

// VideoReady tells the owner a video is ready when processing took longer
// than Config.SlowReady (a quick one they are still looking at), and
// always tells webhooks. took is how long it took from the end of the
// upload.
func (n *Notifier) VideoReady(ctx context.Context, v *Video, took time.Duration) error {
	if n == nil || v == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := n.now()
	slow := n.Config.SlowReady
	if slow == 0 {
		slow = time.Minute
	}
	plan := &Plan{}
	if v.OwnerID != "" && took > slow {
		var rs recipientSet
		rs.add(UserRecipient(v.OwnerID), NotifyReady)
		if err := n.addRecipients(ctx, plan, &rs, func(k NotifyKind) *Notification {
			return &Notification{Kind: k, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title, Text: "Your video is ready to share."}
		}, now); err != nil {
			return err
		}
	}
	if err := n.addHooks(ctx, plan, v, EventVideoReady, videoData(v, n.base()), now); err != nil {
		return err
	}
	return n.save(ctx, plan, false)
}

// notifyReady is the worker's hook: v is the video as it was when
// processing began, so its UpdatedAt is when it started.
func (s *Service) notifyReady(ctx context.Context, v *Video) {
	if s.Notify == nil || v == nil {
		return
	}
	if err := s.Notify.VideoReady(ctx, v, time.Since(v.UpdatedAt)); err != nil {
		s.Notify.log().Error("notifications: plan ready", "video_id", v.ID, "err", err)
	}
}

// notifyViewed is the view rule's hook: a counted view (viewer is
// "user:<id>" for members, anything else for anonymous viewers) tells the
// owner of the first view, and of each member's.
func (s *Service) notifyViewed(ctx context.Context, v *Video, viewer string) {
	if s.Notify == nil || v == nil {
		return
	}
	id, name := "", ""
	if kind, uid := SplitRecipient(viewer); kind == "user" && s.Notify.Users != nil {
		if u, err := s.Notify.Users.User(ctx, uid); err == nil {
			id, name = u.ID, u.Name
		}
	}
	if err := s.Notify.VideoViewed(ctx, v, id, name); err != nil {
		s.Notify.log().Error("notifications: plan view", "video_id", v.ID, "err", err)
	}
}

// addRecipients turns recipients into inbox rows and email items.
func (n *Notifier) addRecipients(ctx context.Context, plan *Plan, rs *recipientSet, make func(NotifyKind) *Notification, now time.Time) error {
	if len(rs.kinds) == 0 {
		return nil
	}
	var list []string
	for _, r := range rs.order {
		if _, ok := rs.kinds[r]; ok {
			list = append(list, r)
		}
	}
	people, err := n.Store.People(ctx, list)
	if err != nil {
		return err
	}
	for _, r := range list {
		p := people[r]
		if p == nil {
			continue
		}
		nt := make(rs.kinds[r])
		nt.CreatedAt = now
		if !p.Guest {
			nt.ID = NewID()
			_, nt.UserID = SplitRecipient(r)
			plan.Inbox = append(plan.Inbox, nt)
		}
		if !n.EmailEnabled() || p.Email == "" || p.Unsubscribed || p.Guest && !p.Confirmed {
			continue
		}
		sched := n.ScheduleOf(p.Prefs)
		// Off is off, urgent or not: it is what one-click unsubscribe sets.
		if sched.Mode == EmailOff {
			continue
		}
		if plan.schedules == nil {
			plan.schedules = map[string]Schedule{}
		}
		plan.schedules[r] = sched
		plan.Emails = append(plan.Emails, &EmailItem{
			Recipient: r, To: p.Email, Kind: nt.Kind, VideoID: nt.VideoID, VideoSlug: nt.VideoSlug, Title: nt.Title,
			CommentID: nt.CommentID, Actor: nt.Actor, Text: nt.Text, TimeMs: nt.TimeMs, Urgent: nt.Urgent, CreatedAt: now,
		})
	}
	return nil
}

// save stores the plan with due times from each recipient's schedule and
// tells the bells and the sender.
func (n *Notifier) save(ctx context.Context, plan *Plan, urgent bool) error {
	if len(plan.Inbox) == 0 && len(plan.Emails) == 0 && len(plan.Hooks) == 0 && len(plan.Follows) == 0 && plan.Key == "" {
		return nil
	}
	now := n.now()
	err := n.Store.SavePlan(ctx, plan, now, func(it *EmailItem, pending time.Time) time.Time {
		s, ok := plan.schedules[it.Recipient]
		if !ok {
			s = n.ScheduleOf(nil)
		}
		if it.Kind == NotifyConfirm {
			return now
		}
		due, ok := DueAt(s, now, n.Config.Bundle, it.Urgent, pending)
		if !ok {
			return now
		}
		return due
	})
	if errors.Is(err, ErrPlanned) {
		return nil // the other planner delivered it
	}
	if err != nil {
		return err
	}
	for _, nt := range plan.Inbox {
		n.inboxChanged(ctx, nt.UserID)
	}
	if urgent || len(plan.Hooks) > 0 || hasConfirm(plan) {
		n.wakeAll(ctx)
	}
	return nil
}

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

func hasConfirm(p *Plan) bool {
	for _, it := range p.Emails {
		if it.Kind == NotifyConfirm {
			return true
		}
	}
	return false
}

// guestAddress records the address a guest left. The first time (and
// again after a week without an answer) it plans a confirmation email;
// nothing else is ever mailed to an unconfirmed address.
func (n *Notifier) guestAddress(ctx context.Context, raw string, v *Video, plan *Plan, now time.Time) (*GuestEmail, error) {
	email, err := NormalizeEmail(raw)
	if err != nil {
		return nil, err
	}
	g, err := n.Store.GuestEmail(ctx, email, now)
	if err != nil {
		return nil, err
	}
	if g.Unsubscribed {
		return nil, nil
	}
	if g.ConfirmedAt.IsZero() && n.EmailEnabled() && (g.ConfirmSentAt.IsZero() || now.Sub(g.ConfirmSentAt) > 7*24*time.Hour) {
		if g, err = n.Store.UpdateGuestEmail(ctx, g.ID, func(g *GuestEmail) error {
			g.ConfirmSentAt = now
			return nil
		}); err != nil {
			return nil, err
		}
		plan.Emails = append(plan.Emails, &EmailItem{
			Recipient: GuestRecipient(g.ID), To: g.Email, Kind: NotifyConfirm, VideoID: v.ID, VideoSlug: v.Slug,
			Title: v.Title, Text: n.ConfirmURL(g.ID), CreatedAt: now,
		})
	}
	return g, nil
}

// Mentioned returns the members whose name, first name (when no other
// member shares it) or the part of their email before the @ follows an @
// in body, each once.
func Mentioned(body string, members []*User) []*User {
	lower := strings.ToLower(body)
	first := func(u *User) string {
		f, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(u.Name)), " ")
		return f
	}
	firsts := map[string]int{}
	for _, u := range members {
		firsts[first(u)]++
	}
	var out []*User
	for _, u := range members {
		names := []string{strings.ToLower(u.Name)}
		if f := first(u); firsts[f] == 1 {
			names = append(names, f)
		}
		if local, _, ok := strings.Cut(u.Email, "@"); ok {
			names = append(names, strings.ToLower(local))
		}
		for _, name := range names {
			if name != "" && mentions(lower, name) {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

func mentions(body, name string) bool {
	for i := 0; ; {
		j := strings.Index(body[i:], "@"+name)
		if j < 0 {
			return false
		}
		end := i + j + 1 + len(name)
		// "@ana" must not match "@anabel".
		if r, _ := utf8.DecodeRuneInString(body[end:]); end == len(body) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' && end+1 < len(body) && body[end+1] != ' ') {
			return true
		}
		i = end
	}
}

/* ---------- Following ---------- */

// Follow starts or stops the member following a video.
func (n *Notifier) Follow(ctx context.Context, videoID, userID string, on bool) error {
	return n.Store.SetFollow(ctx, Follow{VideoID: videoID, Recipient: UserRecipient(userID)}, on, n.now())
}

// Following reports whether the member follows the video; owners do
// unless they stopped.
func (n *Notifier) Following(ctx context.Context, v *Video, userID string) (bool, error) {
	r := UserRecipient(userID)
	on, err := n.Store.Following(ctx, v.ID, r)
	if err != nil || on {
		return on, err
	}
	if v.OwnerID == userID {
		off, err := n.Store.Unfollowed(ctx, v.ID, r)
		return !off, err
	}
	return false, nil
}

/* ---------- Links ---------- */

func (n *Notifier) sign(purpose, subject string) string {
	m := hmac.New(sha256.New, n.Key)
	m.Write([]byte(purpose + "\x00" + subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// UnsubscribeURL is the one-click link that stops a recipient's email.
func (n *Notifier) UnsubscribeURL(recipient string) string {
	return n.base() + "/email/unsubscribe?r=" + recipient + "&s=" + n.sign("unsubscribe", recipient)
}

// ConfirmURL is the link that confirms a guest's address.
func (n *Notifier) ConfirmURL(guestID string) string {
	return n.base() + "/email/confirm?g=" + guestID + "&s=" + n.sign("confirm", guestID)
}

// Unsubscribe stops email to the recipient the signed link names:
// members' email mode becomes off, a guest's address is never mailed
// again. EINVALID for a bad signature.
func (n *Notifier) Unsubscribe(ctx context.Context, recipient, sig string) error {
	if !hmac.Equal([]byte(sig), []byte(n.sign("unsubscribe", recipient))) {
		return Errorf(EINVALID, "This unsubscribe link is not valid.")
	}
	kind, id := SplitRecipient(recipient)
	switch kind {
	case "user":
		p, err := n.Store.Prefs(ctx, id)
		if err != nil {
			return err
		}
		if p == nil {
			d := n.Defaults()
			p = &d
		}
		p.EmailMode = EmailOff
		return n.Store.SetPrefs(ctx, id, p)
	case "guest":
		_, err := n.Store.UpdateGuestEmail(ctx, id, func(g *GuestEmail) error {
			g.Unsubscribed = true
			return nil
		})
		return err
	}
	return Errorf(EINVALID, "This unsubscribe link is not valid.")
}

// ConfirmGuest confirms the address the signed link names.
func (n *Notifier) ConfirmGuest(ctx context.Context, guestID, sig string) (*GuestEmail, error) {
	if !hmac.Equal([]byte(sig), []byte(n.sign("confirm", guestID))) {
		return nil, Errorf(EINVALID, "This confirmation link is not valid.")
	}
	return n.Store.UpdateGuestEmail(ctx, guestID, func(g *GuestEmail) error {
		if g.ConfirmedAt.IsZero() {
			g.ConfirmedAt = n.now()
		}
		return nil
	})
}

// MomentURL opens a video at a time.
func MomentURL(base, slug string, timeMs int64) string {
	u := base + "/v/" + slug
	if timeMs > 0 {
		u += "?t=" + itoa(timeMs/1000)
	}
	return u
}

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

/* ---------- Inbox hub ---------- */

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

/* ---------- Inbox ---------- */

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

// SetPrefs validates and stores a member's settings; nil fields stay.
func (n *Notifier) SetPrefs(ctx context.Context, userID string, zone *string, hours *WorkingHours, mode *EmailMode) (*Prefs, error) {
	p, err := n.Store.Prefs(ctx, userID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		d := n.Defaults()
		p = &d
	}
	if zone != nil {
		loc, err := LoadZone(*zone)
		if err != nil {
			return nil, err
		}
		p.TimeZone = loc.String()
	}
	if hours != nil {
		p.Hours = *hours
	}
	if mode != nil {
		if !ValidEmailMode(*mode) {
			return nil, Errorf(EINVALID, "emailMode must be working-hours, daily or off.")
		}
		p.EmailMode = *mode
	}
	if err := n.Store.SetPrefs(ctx, userID, p); err != nil {
		return nil, err
	}
	return p, nil
}

// PrefsOf returns the member's settings, the defaults when never set.
func (n *Notifier) PrefsOf(ctx context.Context, userID string) (*Prefs, bool, error) {
	p, err := n.Store.Prefs(ctx, userID)
	if err != nil {
		return nil, false, err
	}
	if p == nil {
		d := n.Defaults()
		return &d, false, nil
	}
	return p, true, nil
}

/* ---------- Webhook payloads ---------- */

func videoData(v *Video, base string) map[string]any {
	return map[string]any{
		"videoId": v.ID, "title": v.Title, "url": base + "/v/" + v.Slug,
	}
}

func commentData(v *Video, c *Comment, base string) map[string]any {
	d := videoData(v, base)
	d["comment"] = map[string]any{
		"id": c.ID, "parentId": c.ParentID, "body": c.Body, "author": c.AuthorName,
		"timeMs": c.TimeMs, "url": MomentURL(base, v.Slug, c.TimeMs), "resolved": c.Resolved,
	}
	return d
}

// sortItems orders a batch's items by time, for rendering.
func sortItems(items []*EmailItem) {
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].CreatedAt.Equal(items[j].CreatedAt) {
			return items[i].CreatedAt.Before(items[j].CreatedAt)
		}
		return items[i].ID < items[j].ID
	})
}
