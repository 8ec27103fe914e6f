package media

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
//
// This file holds the types and the store's interface; the rest is by
// concern: notifyplan.go (the planner's cursor over the comment event
// log), notifyevents.go (what each event plans), notifyprefs.go (settings,
// follows, the urgent budget), notifyinbox.go (the bell), notifylinks.go
// (signed links, webhook data), notifysend.go (the senders).

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
	// plan, and a second plan with the same key is refused (ErrPlanned),
	// so an event the planner planned just before a crash kept its
	// cursor from moving is not delivered again.
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
	// The planner's cursor over the comment event log.
	EventCursorStore
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

	planner planner

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
