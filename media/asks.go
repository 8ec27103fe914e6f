package media

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Asks: an update that wants an answer by a date. A video carries at most
// one ask, addressed to members and outside addresses; each recipient has a
// personal link (the share link plus an unguessable token) that says who
// is watching. What each recipient did (opened the page, watched, replied
// in a thread, pressed "Got it") is derived from view receipts, comments
// and acknowledgements when asked, never stored twice. Reminders are
// planned into the notification outbox when the ask is set, timed by each
// recipient's working hours, and deleted from it the moment the recipient
// answers; the owner hears once, after the deadline, who still owes.
//
// This file holds the ask itself (setting, replacing, removing it, and the
// owner's warnings); askanswers.go derives what recipients did, and
// askreminders.go plans what goes to the outbox.

// Ask limits.
const (
	MaxAskQuestionLen = 1000
	MaxAskRecipients  = 50
	// askMaxAhead bounds how far away a deadline may be.
	askMaxAhead = 366 * 24 * time.Hour
)

// The kinds of notification asks cause.
const (
	NotifyAsk        NotifyKind = "ask"          // someone asks the recipient for an answer
	NotifyAskRemind  NotifyKind = "ask-reminder" // the deadline approaches and no answer yet
	NotifyAskOverdue NotifyKind = "ask-overdue"  // the deadline passed and no answer yet
	NotifyAskSummary NotifyKind = "ask-summary"  // to the owner: who still owes, after the deadline
)

// IsRequestKind reports whether k asks someone for something (an ask, a
// check-in): such items carry their own text and link.
func IsRequestKind(k NotifyKind) bool {
	switch k {
	case NotifyAsk, NotifyAskRemind, NotifyAskOverdue, NotifyAskSummary, NotifyCheckinPrompt, NotifyCheckinRemind, NotifyCheckinRound:
		return true
	}
	return false
}

// Ask is a video's request for an answer by a date.
type Ask struct {
	VideoID  string
	OwnerID  string
	Question string
	ReplyBy  time.Time
	// SummaryAt is when the owner's overdue summary was planned (zero
	// until the deadline has passed and the summary went to the outbox).
	SummaryAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Recipients []*AskRecipient
}

// AskRecipient is one person an ask is addressed to.
type AskRecipient struct {
	ID      string // UUIDv7
	VideoID string
	// UserID is set for members; outside people have only Email.
	UserID string
	Email  string
	// Name is the member's display name (filled by reads).
	Name string
	// Token is the secret of the personal link; it dies with the ask.
	Token string
	// AckAt is when they pressed "Got it" (zero: not yet).
	AckAt     time.Time
	CreatedAt time.Time
}

// Member reports whether the recipient has an account.
func (r *AskRecipient) Member() bool { return r.UserID != "" }

// AskActivity is what a recipient did with the video, derived by the store
// from view receipts and comments.
type AskActivity struct {
	OpenedAt  time.Time // first receipt of any kind
	Counted   bool      // a view counted (3 s of playback)
	Ranges    [][2]int64
	RepliedAt time.Time // first comment after the ask was made
}

// AskStore keeps asks and their recipients, and derives what recipients
// did.
type AskStore interface {
	// SaveAsk inserts or replaces the video's ask; recipients missing from
	// a.Recipients are removed (their tokens die). Recipients keep their
	// ids and tokens.
	SaveAsk(ctx context.Context, a *Ask) error
	// Ask returns the video's ask with its recipients. ENOTFOUND.
	Ask(ctx context.Context, videoID string) (*Ask, error)
	// DeleteAsk removes the video's ask and its recipients. ENOTFOUND.
	DeleteAsk(ctx context.Context, videoID string) error
	// AskRecipientByToken finds the recipient whose personal link has
	// token on the video. ENOTFOUND.
	AskRecipientByToken(ctx context.Context, videoID, token string) (*AskRecipient, error)
	// AcknowledgeAsk records the recipient's "Got it" (the first one
	// stays). ENOTFOUND.
	AcknowledgeAsk(ctx context.Context, recipientID string, at time.Time) (*AskRecipient, error)
	// RecordAskReply links a comment to the recipient who wrote it through
	// their personal link (guests have no account to find it by).
	RecordAskReply(ctx context.Context, recipientID, commentID string, at time.Time) error
	// AskActivity derives, per recipient id, what each recipient of a did.
	AskActivity(ctx context.Context, a *Ask) (map[string]*AskActivity, error)
	// AsksTo lists the asks addressed to the member, with their videos.
	AsksTo(ctx context.Context, userID string) ([]*Ask, error)
	// AsksOf returns the asks of the videos, by video id.
	AsksOf(ctx context.Context, videoIDs []string) (map[string]*Ask, error)
	// ClaimOverdueAsks marks asks whose deadline has passed and whose
	// summary was not planned as planned at now, and returns them. Exactly
	// one caller gets each ask.
	ClaimOverdueAsks(ctx context.Context, now time.Time, max int) ([]*Ask, error)
	// CancelAskEmails deletes the pending (unsent, unleased) emails of the
	// kinds about the video to the outbox recipient (every recipient when
	// empty).
	CancelAskEmails(ctx context.Context, videoID, recipient string, kinds []NotifyKind) error
	// Away returns, for the members that set one, until when they are away.
	Away(ctx context.Context, userIDs []string) (map[string]time.Time, error)
	// SetAway stores until when the member is away (zero: not away).
	SetAway(ctx context.Context, userID string, until time.Time) error
}

// AskInput is what the owner sends.
type AskInput struct {
	Question   string
	ReplyBy    time.Time
	Recipients []string // member ids or email addresses
}

// Asks holds the rules of asks, their responses and reminders.
type Asks struct {
	Store  AskStore
	Videos VideoStore
	Users  UserStore
	// Notify plans the emails and inbox rows; nil: asks work without them.
	Notify *Notifier
	Clock  Clock
	// Remind is how long before the deadline reminders go out (default
	// 24h and 2h); one more goes out when the deadline passes.
	Remind []time.Duration
	Log    *slog.Logger
}

func (s *Asks) now() time.Time { return s.Clock.Now() }

func (s *Asks) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Set creates or replaces the video's ask, plans the email to every new
// recipient and the reminders of all of them, and returns warnings for
// the owner (a deadline outside someone's working hours, a video they
// cannot open). EINVALID for bad input.
func (s *Asks) Set(ctx context.Context, owner *User, v *Video, in AskInput) (*Ask, []string, error) {
	now := s.now()
	q := strings.TrimSpace(in.Question)
	if q == "" {
		return nil, nil, Errorf(EINVALID, "Write the question you want answered.")
	}
	if utf8.RuneCountInString(q) > MaxAskQuestionLen {
		return nil, nil, Errorf(EINVALID, "The question is longer than %d characters.", MaxAskQuestionLen)
	}
	if in.ReplyBy.IsZero() {
		return nil, nil, Errorf(EINVALID, "replyBy is required: a date and time like 2026-12-11T17:00:00Z.")
	}
	if !in.ReplyBy.After(now) {
		return nil, nil, Errorf(EINVALID, "The reply-by time has already passed.")
	}
	if in.ReplyBy.Sub(now) > askMaxAhead {
		return nil, nil, Errorf(EINVALID, "The reply-by time must be within a year.")
	}
	if len(in.Recipients) == 0 {
		return nil, nil, Errorf(EINVALID, "Name at least one recipient: a member or an email address.")
	}
	if len(in.Recipients) > MaxAskRecipients {
		return nil, nil, Errorf(EINVALID, "An ask can have at most %d recipients.", MaxAskRecipients)
	}
	var wanted []*AskRecipient
	seen := map[string]bool{}
	for _, raw := range in.Recipients {
		r, err := s.resolveRecipient(ctx, strings.TrimSpace(raw))
		if err != nil {
			return nil, nil, err
		}
		if r.UserID != "" && r.UserID == owner.ID {
			return nil, nil, Errorf(EINVALID, "You can't ask yourself; name the people who should answer.")
		}
		key := "e:" + r.Email
		if r.UserID != "" {
			key = "u:" + r.UserID
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		wanted = append(wanted, r)
	}

	old, err := s.Store.Ask(ctx, v.ID)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, nil, err
	}
	a := &Ask{VideoID: v.ID, OwnerID: owner.ID, Question: q, ReplyBy: in.ReplyBy.UTC(), CreatedAt: now, UpdatedAt: now}
	kept := map[string]*AskRecipient{}
	if old != nil {
		a.CreatedAt = old.CreatedAt
		// A moved deadline gets a summary of its own.
		if old.ReplyBy.Equal(a.ReplyBy) {
			a.SummaryAt = old.SummaryAt
		}
		for _, r := range old.Recipients {
			if r.UserID != "" {
				kept["u:"+r.UserID] = r
			} else {
				kept["e:"+r.Email] = r
			}
		}
	}
	var fresh []*AskRecipient
	for _, r := range wanted {
		key := "e:" + r.Email
		if r.UserID != "" {
			key = "u:" + r.UserID
		}
		if o := kept[key]; o != nil {
			o.Name = r.Name
			a.Recipients = append(a.Recipients, o)
			delete(kept, key)
			continue
		}
		r.ID, r.VideoID, r.Token, r.CreatedAt = NewID(), v.ID, NewSlug(), now
		a.Recipients = append(a.Recipients, r)
		fresh = append(fresh, r)
	}
	if err := s.Store.SaveAsk(ctx, a); err != nil {
		return nil, nil, err
	}
	// Whoever was dropped hears nothing more; everyone else's reminders
	// are planned again for the (possibly new) deadline.
	if err := s.Store.CancelAskEmails(ctx, v.ID, "", []NotifyKind{NotifyAskRemind, NotifyAskOverdue, NotifyAskSummary}); err != nil {
		return nil, nil, err
	}
	for _, r := range kept {
		rec, err := s.outboxName(ctx, r, now)
		if err != nil {
			return nil, nil, err
		}
		if err := s.Store.CancelAskEmails(ctx, v.ID, rec, []NotifyKind{NotifyAsk}); err != nil {
			return nil, nil, err
		}
	}
	if err := s.plan(ctx, owner, v, a, fresh, now); err != nil {
		// The ask stands; the owner can see who was not told in the
		// responses, and setting it again plans again.
		s.log().Error("asks: plan emails", "video_id", v.ID, "err", err)
	}
	warnings, err := s.warnings(ctx, v, a, now)
	if err != nil {
		return nil, nil, err
	}
	return a, warnings, nil
}

// resolveRecipient turns a member id or an address into a recipient; an
// address that belongs to a member becomes that member.
func (s *Asks) resolveRecipient(ctx context.Context, raw string) (*AskRecipient, error) {
	if raw == "" {
		return nil, Errorf(EINVALID, "A recipient is empty.")
	}
	if strings.Contains(raw, "@") {
		email, err := NormalizeEmail(raw)
		if err != nil {
			return nil, Errorf(EINVALID, "%q is not an email address.", raw)
		}
		if s.Users != nil {
			u, err := s.Users.UserByEmail(ctx, email)
			if err == nil {
				return &AskRecipient{UserID: u.ID, Email: u.Email, Name: u.Name}, nil
			}
			if ErrorCode(err) != ENOTFOUND {
				return nil, err
			}
		}
		return &AskRecipient{Email: email}, nil
	}
	if !ValidID(raw) || s.Users == nil {
		return nil, Errorf(EINVALID, "%q is neither a member nor an email address.", raw)
	}
	u, err := s.Users.User(ctx, raw)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EINVALID, "No member has the id %q.", raw)
	}
	if err != nil {
		return nil, err
	}
	return &AskRecipient{UserID: u.ID, Email: u.Email, Name: u.Name}, nil
}

// outboxName is the recipient's name in the outbox; outside addresses get
// a guest row (the same one a guest who left the address has).
func (s *Asks) outboxName(ctx context.Context, r *AskRecipient, now time.Time) (string, error) {
	if r.UserID != "" {
		return UserRecipient(r.UserID), nil
	}
	if s.Notify == nil {
		return "", nil
	}
	g, err := s.Notify.Store.GuestEmail(ctx, r.Email, now)
	if err != nil {
		return "", err
	}
	return GuestRecipient(g.ID), nil
}

// PersonalLink is the recipient's link to the video.
func PersonalLink(base, slug, token string) string {
	return base + "/v/" + slug + "?r=" + token
}

// warnings tells the owner what could keep recipients from answering in
// time.
func (s *Asks) warnings(ctx context.Context, v *Video, a *Ask, now time.Time) ([]string, error) {
	out := []string{}
	switch v.Sharing.EffectiveVisibility() {
	case VisibilityPrivate:
		out = append(out, "This video is visible only to you: nobody can open it from the ask until you share it.")
	case VisibilityWorkspace:
		for _, r := range a.Recipients {
			if r.UserID != "" {
				out = append(out, "Members need to sign in to open the video.")
				break
			}
		}
	}
	if v.Sharing.HasPassword() {
		out = append(out, "The video has a password: recipients will need it too.")
	}
	if v.LinkExpired(now) || !v.Sharing.ExpiresAt.IsZero() && v.Sharing.ExpiresAt.Before(a.ReplyBy) {
		out = append(out, "The share link expires before the reply-by time.")
	}
	people, err := s.people(ctx, a, a.Recipients, now)
	if err != nil {
		return nil, err
	}
	for _, r := range a.Recipients {
		p := people[r.ID]
		who := r.Name
		if who == "" {
			who = r.Email
		}
		local := FormatDeadline(a.ReplyBy, p.sched.zone())
		switch {
		case !p.awayUntil.IsZero() && p.awayUntil.After(now):
			out = append(out, fmt.Sprintf("%s is away until %s.", who, p.awayUntil.In(p.sched.zone()).Format("Mon 2 Jan")))
		case !p.sched.InHours(now) && p.sched.NextStart(now).After(a.ReplyBy):
			out = append(out, fmt.Sprintf("The deadline (%s) comes before %s's next working period starts (%s).",
				local, who, FormatDeadline(p.sched.NextStart(now), p.sched.zone())))
		case !p.sched.InHours(a.ReplyBy):
			out = append(out, fmt.Sprintf("The deadline falls outside %s's working hours: %s their time.", who, local))
		}
	}
	return out, nil
}

// Delete removes the video's ask: the personal links stop working and
// nothing more is sent about it. ENOTFOUND.
func (s *Asks) Delete(ctx context.Context, videoID string) error {
	if err := s.Store.DeleteAsk(ctx, videoID); err != nil {
		return err
	}
	return s.Store.CancelAskEmails(ctx, videoID, "", []NotifyKind{NotifyAsk, NotifyAskRemind, NotifyAskOverdue, NotifyAskSummary})
}

// Recipient finds the holder of a personal link. ENOTFOUND when the token
// does not belong to the video's ask.
func (s *Asks) Recipient(ctx context.Context, videoID, token string) (*AskRecipient, error) {
	if !ValidSlug(token) {
		return nil, Errorf(ENOTFOUND, "This personal link is not valid any more.")
	}
	return s.Store.AskRecipientByToken(ctx, videoID, token)
}

// RecipientFor finds the viewer among the ask's recipients: by the
// personal link's token, else by account. Nil when they are not one.
func (s *Asks) RecipientFor(a *Ask, token string, u *User) *AskRecipient {
	for _, r := range a.Recipients {
		if token != "" && r.Token == token || u != nil && r.UserID == u.ID {
			return r
		}
	}
	return nil
}
