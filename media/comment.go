package media

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The conversation around a video: comments anchored at a time, threads one
// level deep, reactions at a time. Every change is stored together with an
// event in one transaction, and the events are what live watch pages
// receive (through CommentHub) and what a reconnecting page replays, so a
// page never misses or doubles a change.
//
// Comments are plain text. Nothing here escapes them: every output (JSON,
// WebVTT, HTML) escapes for its own syntax.

// Limits of what a person can write.
const (
	MaxCommentLen = 5000 // runes in a body, after trimming
	MaxNameLen    = 50   // runes in a display name, after trimming
	// TimeSlackMs is how far past the known duration a time may be and
	// still be accepted (as the duration): players report the end a little
	// differently from the probe.
	TimeSlackMs = 1000
)

// ReactionEmoji is the fixed set of reactions, in display order.
var ReactionEmoji = []string{"👍", "❤️", "😂", "🎉", "😮", "👀", "🙏", "🔥"}

// NormalizeEmoji returns the reaction emoji e stands for, accepting the
// heart with or without its emoji presentation selector.
func NormalizeEmoji(e string) (string, bool) {
	if e == "❤" {
		e = "❤️"
	}
	return e, slices.Contains(ReactionEmoji, e)
}

// CommentsEnabled reports whether the video takes new comments.
func (v *Video) CommentsEnabled() bool { return !v.CommentsOff }

// GuestComments reports whether people without an account may comment.
func (v *Video) GuestComments() bool { return !v.GuestsOff }

// ReactionsEnabled reports whether the video takes reactions.
func (v *Video) ReactionsEnabled() bool { return !v.ReactionsOff }

// Actor is who is asking: a signed-in member, or a guest who proves
// authorship with a per-browser secret. Ownership is decided against a
// video (OwnerOf), never carried as a flag, so that being the owner of one
// video can never act on another.
type Actor struct {
	UserID string // signed-in user; empty for guests
	Name   string // the signed-in user's display name
	// Admin is set for workspace admins, who count as the owner of every
	// video, for moderation.
	Admin       bool
	GuestSecret string // per-browser secret (X-Guest-Secret)
}

// OwnerOf reports whether a may act as v's owner: the member who created
// it, or an admin.
func (a Actor) OwnerOf(v *Video) bool {
	return v != nil && a.UserID != "" && (a.Admin || v.OwnerID != "" && v.OwnerID == a.UserID)
}

func (a Actor) isGuest() bool { return a.UserID == "" }

// Comment is one comment: a thread (ParentID empty) or a reply to one.
type Comment struct {
	ID       string // UUIDv7
	VideoID  string
	ParentID string // the thread's id for a reply; empty for a thread
	TimeMs   int64  // where in the video it is anchored
	EndMs    int64  // end of the range it is about; 0 when it is about a moment
	Body     string // plain text, never HTML

	AuthorName   string
	AuthorUserID string // signed-in author; empty for guests
	ByOwner      bool   // written by the video's owner
	// GuestSecretHash is the SHA-256 (hex) of the guest's secret. It never
	// leaves the process.
	GuestSecretHash string

	Resolved   bool // threads only
	ResolvedAt time.Time
	// Deleted marks a thread whose author deleted it while it had replies:
	// a placeholder with no body or author, kept so the replies keep their
	// context.
	Deleted bool

	EditedAt  time.Time // zero unless edited
	CreatedAt time.Time
	UpdatedAt time.Time

	// Attachment is the recording the comment carries (reply.go), or nil.
	// The comment's row does not hold it: listings fill it from the
	// recording, and the created event carries it.
	Attachment *Attachment

	// Replies, oldest first; filled only in thread listings.
	Replies []*Comment
}

// IsThread reports whether c starts a thread (is not a reply).
func (c *Comment) IsThread() bool { return c.ParentID == "" }

// Edited reports whether the body was changed after posting.
func (c *Comment) Edited() bool { return !c.EditedAt.IsZero() }

// AuthoredBy reports whether a wrote c. v is c's video; without it (nil)
// the owner's comments are nobody's.
func (c *Comment) AuthoredBy(a Actor, v *Video) bool {
	switch {
	case c.AuthorUserID != "":
		return a.UserID == c.AuthorUserID
	case c.ByOwner:
		return a.OwnerOf(v)
	default:
		return a.GuestSecret != "" && secretMatches(c.GuestSecretHash, a.GuestSecret)
	}
}

// Reaction is an emoji at a time in a video.
type Reaction struct {
	ID      string // UUIDv7
	VideoID string
	Emoji   string // one of ReactionEmoji
	TimeMs  int64
	UserID  string // signed-in reactor; empty for guests
	// ReactorHash is the SHA-256 (hex) of the reactor's guest secret. It
	// never leaves the process.
	ReactorHash string
	CreatedAt   time.Time
}

// ReactedBy reports whether a made r.
func (r *Reaction) ReactedBy(a Actor) bool {
	if r.UserID != "" {
		return a.UserID == r.UserID
	}
	return a.GuestSecret != "" && secretMatches(r.ReactorHash, a.GuestSecret)
}

// CommentEventType says what changed.
type CommentEventType string

// The changes a live watch page hears about.
const (
	CommentCreated  CommentEventType = "created"
	CommentUpdated  CommentEventType = "updated" // the body was edited
	CommentDeleted  CommentEventType = "deleted"
	CommentResolved CommentEventType = "resolved"
	CommentReopened CommentEventType = "reopened"
	ReactionAdded   CommentEventType = "reaction"
	ReactionRemoved CommentEventType = "unreaction"
)

// CommentEvent is one change to a video's conversation. Seq orders the
// events of all videos; a video's events are published in Seq order.
// Published events are shared between subscribers and must not be changed.
type CommentEvent struct {
	Seq     int64
	VideoID string
	Type    CommentEventType
	// Comment is the comment after the change (for "deleted": the
	// placeholder, or the comment as it was, without its body).
	Comment *Comment
	// Removed is set on "deleted" when the comment is gone altogether
	// rather than left as a placeholder.
	Removed bool
	// Reaction and Counts (the video's reactions per emoji after the
	// change) are set on reaction events.
	Reaction  *Reaction
	Counts    map[string]int
	CreatedAt time.Time
	// Notify is what the person who caused the event asked of its
	// notifications, stored with it for the planner (notifyplan.go); nil
	// when nothing. Never sent to watchers.
	Notify *NotifyRequest
}

// ThreadOptions pages through a video's threads, ordered by (TimeMs, ID).
type ThreadOptions struct {
	Limit int
	// After, when AfterID is set, is the (TimeMs, ID) of the last thread of
	// the previous page.
	AfterTimeMs int64
	AfterID     string
}

// ThreadPage is one page of threads, each with its replies.
type ThreadPage struct {
	Threads []*Comment
	More    bool // there is a next page
	// Count is the video's comments, threads and replies, not counting
	// deleted placeholders.
	Count  int
	Counts map[string]int // the video's reactions per emoji
	// LastEventSeq is the video's newest event when the page was read: a
	// live stream resumed from it misses nothing that happened after.
	LastEventSeq int64
}

// ReactionOptions pages through a video's reactions, ordered by (TimeMs, ID).
type ReactionOptions struct {
	Limit       int
	AfterTimeMs int64
	AfterID     string
}

// ReactionPage is one page of reactions.
type ReactionPage struct {
	Reactions []*Reaction
	More      bool
	Counts    map[string]int // all of the video's reactions per emoji
}

// NormalizeBody trims a comment body, unifies line ends and checks it.
func NormalizeBody(body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", Errorf(EINVALID, "The comment must be valid UTF-8 text.")
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	body = strings.TrimSpace(body)
	if body == "" {
		return "", Errorf(EINVALID, "The comment is empty.")
	}
	if n := utf8.RuneCountInString(body); n > MaxCommentLen {
		return "", Errorf(EINVALID, "The comment must be at most %d characters (got %d).", MaxCommentLen, n)
	}
	if strings.ContainsFunc(body, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return "", Errorf(EINVALID, "The comment must not contain control characters.")
	}
	return body, nil
}

// NormalizeName trims a display name and checks it. Names are shown inline
// next to other text, so they may not contain line breaks or the
// characters that reorder the text around them.
func NormalizeName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", Errorf(EINVALID, "The name must be valid UTF-8 text.")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(EINVALID, "Give a name to comment as a guest.")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return "", Errorf(EINVALID, "The name must be at most %d characters (got %d).", MaxNameLen, n)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }) {
		return "", Errorf(EINVALID, "The name must not contain control characters.")
	}
	return name, nil
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// checkTimes validates a comment's or reaction's anchor against the video's
// duration (0 while unknown, when only time 0 is possible). end is 0 for a
// moment. Times a little past the end are taken as the end.
func checkTimes(t, end, durationMs int64) (int64, int64, error) {
	if t < 0 || end < 0 {
		return 0, 0, Errorf(EINVALID, "Times must not be negative.")
	}
	if durationMs <= 0 {
		if t != 0 || end != 0 {
			return 0, 0, Errorf(EINVALID, "The video's length is not known yet, so comments can only be at 0:00 for now.")
		}
		return 0, 0, nil
	}
	clamp := func(name string, x int64) (int64, error) {
		if x > durationMs+TimeSlackMs {
			return 0, Errorf(EINVALID, "%s must be within the video (at most %d ms).", name, durationMs)
		}
		return min(x, durationMs), nil
	}
	var err error
	if t, err = clamp("timeMs", t); err != nil {
		return 0, 0, err
	}
	if end != 0 {
		if end, err = clamp("endMs", end); err != nil {
			return 0, 0, err
		}
		if end <= t {
			return 0, 0, Errorf(EINVALID, "endMs must be after timeMs.")
		}
	}
	return t, end, nil
}

// Secrets. Guest secrets carry 128 random bits, base64url; only their
// SHA-256 is stored, so a leaked database grants nothing.
const guestSecretBytes = 16

func newSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewGuestSecret returns a fresh guest secret.
func NewGuestSecret() string { return newSecret(guestSecretBytes) }

// ValidSecret reports whether s has the shape of a guest secret or a
// session token: 22 to 128 base64url characters (at least 128 bits).
func ValidSecret(s string) bool {
	if len(s) < 22 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// HashSecret is how secrets are stored.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func secretMatches(hash, secret string) bool {
	if hash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}

// CommentInput is a new comment as a person sent it.
type CommentInput struct {
	Body string
	// TimeMs is required for a thread; a reply without one takes its
	// thread's time and range.
	TimeMs  int64
	HasTime bool
	EndMs   int64 // 0: a moment, not a range
	// ParentID makes the comment a reply to that thread.
	ParentID  string
	GuestName string
	// Urgent asks for the people concerned to hear at once, whatever
	// their hours (members only, rate limited).
	Urgent bool
	// NotifyEmail is where a guest wants to hear replies.
	NotifyEmail string
	// AttachmentID is a recording the comment carries (reply.go): made
	// by the author with replyTo this video. The body may then be empty.
	AttachmentID string
}

// Settings changes a video's discussion settings; nil fields stay.
type Settings struct {
	CommentsEnabled  *bool
	GuestComments    *bool
	ReactionsEnabled *bool
}

// IsZero reports whether s changes nothing.
func (s Settings) IsZero() bool {
	return s.CommentsEnabled == nil && s.GuestComments == nil && s.ReactionsEnabled == nil
}

// Comments holds the rules of a video's conversation: who may write, edit,
// delete, resolve and react, and what is valid. The store keeps every
// change with its event and hands the events, in order, to Hub.
type Comments struct {
	Store  CommentStore
	Videos VideoStore
	Events *Broker // video changes (settings)
	Hub    *CommentHub
	// Notify, if set, is woken to plan who hears about new comments and
	// resolved threads once their events commit.
	Notify *Notifier
	// Replies, if set, finds the recordings comments carry (reply.go).
	Replies ReplyStore
}

// NewComments wires the rules to their stores and a new live hub.
func NewComments(store CommentStore, videos VideoStore, events *Broker) *Comments {
	s := &Comments{Store: store, Videos: videos, Events: events, Hub: NewCommentHub()}
	// The video store that knows recorded replies finds them too.
	s.Replies, _ = videos.(ReplyStore)
	if store != nil {
		store.OnCommentEvent(s.Hub.Publish)
	}
	return s
}

// Create adds a comment or a reply. It returns the comment and, when the
// author is a guest who sent no secret, the secret minted for them (shown
// once). EINVALID, ENOTFOUND (video), ECOMMENTSOFF, EGUESTSOFF,
// ECONFLICT (the thread was deleted).
func (s *Comments) Create(ctx context.Context, videoID string, a Actor, in CommentInput) (*Comment, string, error) {
	body, err := NormalizeBody(in.Body)
	if in.AttachmentID != "" && strings.TrimSpace(in.Body) == "" {
		// A recording says it all; text is optional.
		body, err = "", nil
	}
	if err != nil {
		return nil, "", err
	}
	name := ""
	if a.isGuest() || in.GuestName != "" {
		if name, err = NormalizeName(in.GuestName); err != nil {
			return nil, "", err
		}
	}
	if name == "" {
		name = a.Name
	}
	if !in.HasTime && in.ParentID == "" {
		return nil, "", Errorf(EINVALID, "timeMs is required.")
	}
	if in.Urgent && s.Notify != nil {
		if err := s.Notify.AllowUrgent(a); err != nil {
			return nil, "", err
		}
	}
	if in.NotifyEmail != "" {
		if _, err := NormalizeEmail(in.NotifyEmail); err != nil {
			return nil, "", err
		}
	}
	minted := ""
	if a.isGuest() && a.GuestSecret == "" {
		minted = NewGuestSecret()
		a.GuestSecret = minted
	}
	c := &Comment{
		ID: NewID(), VideoID: videoID, ParentID: in.ParentID, Body: body,
		AuthorName: name, AuthorUserID: a.UserID,
	}
	if a.GuestSecret != "" {
		c.GuestSecretHash = HashSecret(a.GuestSecret)
	}
	check := func(v *Video, parent *Comment) error {
		if v.CommentsOff {
			return Errorf(ECOMMENTSOFF, "Comments are turned off for this video.")
		}
		if v.IsReply() {
			// One conversation: the thread the recording is in.
			return Errorf(EINVALID, "This recording is a reply in another video's thread; comment there.")
		}
		owner := a.OwnerOf(v)
		if v.GuestsOff && !owner && a.UserID == "" {
			return Errorf(EGUESTSOFF, "The owner of this video does not allow guest comments.")
		}
		// An admin moderating is not the owner speaking.
		c.ByOwner = v.OwnerID != "" && v.OwnerID == a.UserID
		if owner && c.AuthorName == "" {
			c.AuthorName = "Owner"
		}
		t, end := in.TimeMs, in.EndMs
		if parent != nil {
			if !parent.IsThread() {
				return Errorf(EINVALID, "Replies go to a thread, not to another reply.")
			}
			if parent.Deleted {
				return Errorf(ECONFLICT, "This thread was deleted; it takes no new replies.")
			}
			if !in.HasTime {
				t, end = parent.TimeMs, parent.EndMs
			}
		}
		var err error
		c.TimeMs, c.EndMs, err = checkTimes(t, end, v.DurationMs)
		return err
	}
	if in.AttachmentID != "" {
		// Claimed before the comment is stored, so two comments can never
		// carry one recording; released if the comment is refused.
		rec, err := s.claimAttachment(ctx, videoID, in.AttachmentID, c.ID, a)
		if err != nil {
			return nil, "", err
		}
		c.Attachment = AttachmentOf(rec)
	}
	var note *NotifyRequest
	if in.Urgent || in.NotifyEmail != "" {
		note = &NotifyRequest{Urgent: in.Urgent, NotifyEmail: in.NotifyEmail}
	}
	ev, err := s.Store.CreateComment(ctx, c, note, check)
	if err != nil {
		if c.Attachment != nil {
			s.releaseAttachment(context.WithoutCancel(ctx), in.AttachmentID, c.ID)
		}
		return nil, "", err
	}
	s.Notify.EventsCommitted()
	return ev.Comment, minted, nil
}

// Edit changes a comment's body; only its author may. ENOTFOUND,
// ENOTALLOWED, ECOMMENTSOFF, EINVALID.
func (s *Comments) Edit(ctx context.Context, id string, a Actor, body string) (*Comment, error) {
	body, err := NormalizeBody(body)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(v *Video, c *Comment) (CommentEventType, error) {
		if c.Deleted {
			return "", Errorf(ENOTFOUND, "Comment not found.")
		}
		if !c.AuthoredBy(a, v) {
			return "", Errorf(ENOTALLOWED, "You can only edit your own comments.")
		}
		if v.CommentsOff {
			return "", Errorf(ECOMMENTSOFF, "Comments are turned off for this video.")
		}
		if c.Body == body {
			return "", nil
		}
		c.Body, c.EditedAt = body, time.Now().UTC()
		return CommentUpdated, nil
	})
}

// Resolve resolves (or, with resolved false, reopens) a thread; the video's
// owner and the thread's author may. Doing it twice changes nothing.
// ENOTFOUND, ENOTALLOWED, EINVALID (a reply).
func (s *Comments) Resolve(ctx context.Context, id string, a Actor, resolved bool) (*Comment, error) {
	var by *NotifyRequest
	if resolved {
		by = &NotifyRequest{ByUserID: a.UserID, ByName: a.Name}
	}
	c, ev, err := s.Store.UpdateComment(ctx, id, by, func(v *Video, c *Comment) (CommentEventType, error) {
		if !c.IsThread() {
			return "", Errorf(EINVALID, "Only a thread can be resolved or reopened, not a reply.")
		}
		if !a.OwnerOf(v) && !c.AuthoredBy(a, v) {
			return "", Errorf(ENOTALLOWED, "Only the video's owner or the thread's author can resolve or reopen it.")
		}
		if c.Resolved == resolved {
			return "", nil
		}
		c.Resolved = resolved
		if resolved {
			c.ResolvedAt = time.Now().UTC()
			return CommentResolved, nil
		}
		c.ResolvedAt = time.Time{}
		return CommentReopened, nil
	})
	if err == nil && ev != nil && ev.Type == CommentResolved {
		s.Notify.EventsCommitted()
	}
	return c, err
}

func (s *Comments) update(ctx context.Context, id string, fn func(*Video, *Comment) (CommentEventType, error)) (*Comment, error) {
	c, _, err := s.Store.UpdateComment(ctx, id, nil, fn)
	return c, err
}

// Delete deletes a comment; its author and the video's owner may. A thread
// that has replies stays as a placeholder without body or author; the last
// reply of a placeholder takes the placeholder with it. It returns the
// deletion's event (the placeholder, or Removed). ENOTFOUND, ENOTALLOWED.
func (s *Comments) Delete(ctx context.Context, id string, a Actor) (*CommentEvent, error) {
	evs, err := s.Store.DeleteComment(ctx, id, func(v *Video, c *Comment) error {
		if c.Deleted {
			return Errorf(ENOTFOUND, "Comment not found.")
		}
		if !a.OwnerOf(v) && !c.AuthoredBy(a, v) {
			return Errorf(ENOTALLOWED, "You can only delete your own comments.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// React adds a reaction at a time. It returns the event (the reaction and
// the counts after it) and the guest secret minted for a guest who sent
// none. EINVALID, ENOTFOUND, EREACTIONSOFF, ENOTALLOWED.
func (s *Comments) React(ctx context.Context, videoID string, a Actor, emoji string, timeMs int64) (*CommentEvent, string, error) {
	emoji, ok := NormalizeEmoji(emoji)
	if !ok {
		return nil, "", Errorf(EINVALID, "emoji must be one of %s.", strings.Join(ReactionEmoji, " "))
	}
	minted := ""
	if a.UserID == "" && a.GuestSecret == "" {
		minted = NewGuestSecret()
		a.GuestSecret = minted
	}
	r := &Reaction{ID: NewID(), VideoID: videoID, Emoji: emoji, UserID: a.UserID}
	if a.UserID == "" {
		r.ReactorHash = HashSecret(a.GuestSecret)
	}
	check := func(v *Video) error {
		if v.ReactionsOff {
			return Errorf(EREACTIONSOFF, "Reactions are turned off for this video.")
		}
		t, _, err := checkTimes(timeMs, 0, v.DurationMs)
		r.TimeMs = t
		return err
	}
	ev, err := s.Store.AddReaction(ctx, r, check)
	if err != nil {
		return nil, "", err
	}
	return ev, minted, nil
}

// Unreact removes a reaction; only whoever made it may. It returns the
// event (with the counts after it). ENOTFOUND, ENOTALLOWED.
func (s *Comments) Unreact(ctx context.Context, id string, a Actor) (*CommentEvent, error) {
	ev, err := s.Store.RemoveReaction(ctx, id, func(v *Video, r *Reaction) error {
		if !r.ReactedBy(a) {
			return Errorf(ENOTALLOWED, "You can only remove your own reactions.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// UpdateSettings changes a video's discussion settings; only its owner may.
// ENOTFOUND, ENOTALLOWED.
func (s *Comments) UpdateSettings(ctx context.Context, videoID string, a Actor, set Settings) (*Video, error) {
	v, err := s.Videos.UpdateVideo(ctx, videoID, "", func(v *Video) error {
		if !a.OwnerOf(v) {
			return Errorf(ENOTALLOWED, "Only the video's owner can change its comment settings.")
		}
		if set.CommentsEnabled != nil {
			v.CommentsOff = !*set.CommentsEnabled
		}
		if set.GuestComments != nil {
			v.GuestsOff = !*set.GuestComments
		}
		if set.ReactionsEnabled != nil {
			v.ReactionsOff = !*set.ReactionsEnabled
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Events.Publish(v)
	return v, nil
}

// Threads lists a page of a video's threads with their replies.
func (s *Comments) Threads(ctx context.Context, videoID string, opt ThreadOptions) (*ThreadPage, error) {
	p, err := s.Store.Threads(ctx, videoID, opt)
	if err != nil {
		return nil, err
	}
	if err := s.withAttachments(ctx, videoID, p.Threads); err != nil {
		return nil, err
	}
	return p, nil
}

// AllThreads lists every thread of a video, for exports.
func (s *Comments) AllThreads(ctx context.Context, videoID string) ([]*Comment, error) {
	var out []*Comment
	opt := ThreadOptions{Limit: 500}
	for {
		p, err := s.Threads(ctx, videoID, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Threads...)
		if !p.More || len(p.Threads) == 0 {
			return out, nil
		}
		last := p.Threads[len(p.Threads)-1]
		opt.AfterTimeMs, opt.AfterID = last.TimeMs, last.ID
	}
}

// Reactions lists a page of a video's reactions and its counts.
func (s *Comments) Reactions(ctx context.Context, videoID string, opt ReactionOptions) (*ReactionPage, error) {
	return s.Store.Reactions(ctx, videoID, opt)
}

// EventsAfter returns up to limit of the video's events after seq, oldest
// first, for replay.
func (s *Comments) EventsAfter(ctx context.Context, videoID string, seq int64, limit int) ([]*CommentEvent, error) {
	return s.Store.CommentEvents(ctx, videoID, seq, limit)
}

// LastEvent returns the Seq of the video's newest event and of the newest
// event of any video (0 when there are none).
func (s *Comments) LastEvent(ctx context.Context, videoID string) (video, all int64, err error) {
	return s.Store.LastCommentEvent(ctx, videoID)
}
