package media

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
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

// AskState is where a recipient is with an ask.
type AskState string

// The states, in the order a recipient passes through them.
const (
	AskNotOpened    AskState = "not-opened"
	AskOpened       AskState = "opened"
	AskWatched      AskState = "watched"
	AskReplied      AskState = "replied"
	AskAcknowledged AskState = "acknowledged"
)

// Answered reports whether the state means the recipient owes nothing.
func (s AskState) Answered() bool { return s == AskReplied || s == AskAcknowledged }

// Response is one recipient's row in the owner's table.
type Response struct {
	Recipient      *AskRecipient
	State          AskState
	OpenedAt       time.Time
	WatchedPercent int
	RepliedAt      time.Time
	AcknowledgedAt time.Time
	Overdue        bool
	AwayUntil      time.Time // zero unless away now
	// TimeZone is the recipient's zone (the workspace default for outside
	// people), so the owner knows whose evening the deadline is.
	TimeZone string
}

// AskSummary is the library's one line about a video's ask.
type AskSummary struct {
	Total, Answered, Overdue, Away int
	ReplyBy                        time.Time
}

// Text is "2 of 5 replied, 1 overdue".
func (s AskSummary) Text() string {
	t := fmt.Sprintf("%d of %d replied", s.Answered, s.Total)
	if s.Overdue > 0 {
		t += fmt.Sprintf(", %d overdue", s.Overdue)
	}
	if s.Away > 0 {
		t += fmt.Sprintf(", %d away", s.Away)
	}
	return t
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

// DefaultAskRemind is BATON_ASK_REMIND's default.
var DefaultAskRemind = []time.Duration{24 * time.Hour, 2 * time.Hour}

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

// askPerson is what planning needs to know about a recipient.
type askPerson struct {
	recipient string // outbox name
	email     string
	sched     Schedule
	noEmail   bool // unsubscribed, or email off
	awayUntil time.Time
}

func (s *Asks) people(ctx context.Context, a *Ask, rs []*AskRecipient, now time.Time) (map[string]*askPerson, error) {
	out := map[string]*askPerson{}
	var userIDs []string
	for _, r := range rs {
		if r.UserID != "" {
			userIDs = append(userIDs, r.UserID)
		}
	}
	away, err := s.Store.Away(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		p := &askPerson{email: r.Email, awayUntil: away[r.UserID]}
		if s.Notify == nil {
			p.sched = Schedule{Zone: time.UTC, Hours: DefaultWorkingHours, Mode: EmailWorkingHours}
			out[r.ID] = p
			continue
		}
		if p.recipient, err = s.outboxName(ctx, r, now); err != nil {
			return nil, err
		}
		ps, err := s.Notify.Store.People(ctx, []string{p.recipient})
		if err != nil {
			return nil, err
		}
		var prefs *Prefs
		if pp := ps[p.recipient]; pp != nil {
			prefs = pp.Prefs
			p.noEmail = pp.Unsubscribed
			if pp.Email != "" {
				p.email = pp.Email
			}
		}
		p.sched = s.Notify.ScheduleOf(prefs)
		if p.sched.Mode == EmailOff {
			p.noEmail = true
		}
		out[r.ID] = p
	}
	return out, nil
}

// plan stores the ask's email to the fresh recipients and everyone's
// reminders.
func (s *Asks) plan(ctx context.Context, owner *User, v *Video, a *Ask, fresh []*AskRecipient, now time.Time) error {
	n := s.Notify
	if n == nil {
		return nil
	}
	people, err := s.people(ctx, a, a.Recipients, now)
	if err != nil {
		return err
	}
	base := n.base()
	// The ask itself follows the ordinary email rules (bundled inside
	// working hours, held for the next period outside them).
	plan := &Plan{}
	for _, r := range fresh {
		p := people[r.ID]
		text := a.Question + "\n\nReply by " + FormatDeadline(a.ReplyBy, p.sched.zone()) + "."
		if r.UserID != "" {
			plan.Inbox = append(plan.Inbox, &Notification{ID: NewID(), UserID: r.UserID, Kind: NotifyAsk, VideoID: v.ID,
				VideoSlug: v.Slug, Title: v.Title, Actor: owner.Name, Text: text, CreatedAt: now})
		}
		if !n.EmailEnabled() || p.noEmail || p.email == "" {
			continue
		}
		if plan.schedules == nil {
			plan.schedules = map[string]Schedule{}
		}
		plan.schedules[p.recipient] = p.sched
		plan.Emails = append(plan.Emails, &EmailItem{Recipient: p.recipient, To: p.email, Kind: NotifyAsk, VideoID: v.ID,
			VideoSlug: v.Slug, Title: v.Title, Actor: owner.Name, Text: text, Link: PersonalLink(base, v.Slug, r.Token), CreatedAt: now})
	}
	if err := n.save(ctx, plan, false); err != nil {
		return err
	}
	// A reminder that would go out with (or before) the ask itself is
	// noise: the ask says the same.
	askDue := map[string]time.Time{}
	for _, it := range plan.Emails {
		askDue[it.Recipient] = it.DueAt
	}
	// Reminders are due at times of their own, so they bypass the
	// bundle rule: each is stored with the time ReminderTimes chose.
	act, err := s.Store.AskActivity(ctx, a)
	if err != nil {
		return err
	}
	rem := &Plan{}
	due := map[*EmailItem]time.Time{}
	for _, r := range a.Recipients {
		p := people[r.ID]
		if !n.EmailEnabled() || p.noEmail || p.email == "" || !r.AckAt.IsZero() || act[r.ID] != nil && !act[r.ID].RepliedAt.IsZero() {
			continue
		}
		for _, t := range ReminderTimes(p.sched, s.remind(), a.ReplyBy, now) {
			if !p.awayUntil.IsZero() && t.At.Before(p.awayUntil) || !t.At.After(askDue[p.recipient]) {
				continue
			}
			kind := NotifyAskRemind
			if t.Overdue {
				kind = NotifyAskOverdue
			}
			it := &EmailItem{Recipient: p.recipient, To: p.email, Kind: kind, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title,
				Actor: owner.Name, Text: a.Question + "\n\nReply by " + FormatDeadline(a.ReplyBy, p.sched.zone()) + ".",
				Link: PersonalLink(base, v.Slug, r.Token), CreatedAt: now}
			rem.Emails = append(rem.Emails, it)
			due[it] = t.At
		}
	}
	if len(rem.Emails) == 0 {
		return nil
	}
	return n.Store.SavePlan(ctx, rem, now, func(it *EmailItem, _ time.Time) time.Time { return due[it] })
}

func (s *Asks) remind() []time.Duration {
	if s.Remind == nil {
		return DefaultAskRemind
	}
	return s.Remind
}

// ReminderTime is one planned reminder.
type ReminderTime struct {
	At      time.Time
	Before  time.Duration // how long before the deadline it was meant for
	Overdue bool
}

// ReminderTimes plans a person's reminders for deadline, seen at now: one
// for each lead time in before, and one when the deadline passes. Each is
// moved into the person's working hours: to the start of their next
// working period when that comes before the deadline, otherwise to the
// end of their last working period before it (a reminder after the
// deadline is too late to help). The overdue one goes out at the deadline
// or at the start of their next working period. Times already past, and
// duplicates, are left out; the result is in time order.
func ReminderTimes(s Schedule, before []time.Duration, deadline, now time.Time) []ReminderTime {
	var out []ReminderTime
	seen := map[int64]bool{}
	add := func(t ReminderTime) {
		if t.At.IsZero() || t.At.Before(now) || seen[t.At.Unix()] {
			return
		}
		seen[t.At.Unix()] = true
		out = append(out, t)
	}
	for _, b := range before {
		if b <= 0 {
			continue
		}
		target := deadline.Add(-b)
		if target.Before(now) {
			continue
		}
		add(ReminderTime{At: reminderAt(s, target, deadline), Before: b})
	}
	over := deadline.UTC()
	if !s.InHours(over) {
		over = s.NextStart(over)
	}
	add(ReminderTime{At: over, Overdue: true})
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func reminderAt(s Schedule, target, deadline time.Time) time.Time {
	if s.InHours(target) {
		return target.UTC()
	}
	if next := s.NextStart(target); !next.IsZero() && next.Before(deadline) {
		return next
	}
	end := s.LastEnd(deadline)
	if end.IsZero() {
		return time.Time{}
	}
	// The last minute of the period is still inside it.
	return end.Add(-time.Minute)
}

// LastEnd returns the end of the last working period that ends at or
// before t (zero when there is none in the week before).
func (s Schedule) LastEnd(t time.Time) time.Time {
	loc := s.zone()
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 0; i <= 8; i++ {
		day := time.Date(y, m, d-i, 12, 0, 0, 0, loc)
		if !s.Hours.Days[day.Weekday()] {
			continue
		}
		end := time.Date(y, m, d-i, 0, s.Hours.End, 0, 0, loc)
		if !end.After(t) {
			return end.UTC()
		}
	}
	return time.Time{}
}

// FormatDeadline writes a deadline in a zone as people read it: "Fri 11
// Dec, 18:00 (Europe/Berlin)".
func FormatDeadline(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan, 15:04") + " (" + loc.String() + ")"
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

// Responses derives every recipient's state.
func (s *Asks) Responses(ctx context.Context, v *Video, a *Ask) ([]*Response, error) {
	now := s.now()
	act, err := s.Store.AskActivity(ctx, a)
	if err != nil {
		return nil, err
	}
	people, err := s.people(ctx, a, a.Recipients, now)
	if err != nil {
		return nil, err
	}
	out := make([]*Response, 0, len(a.Recipients))
	for _, r := range a.Recipients {
		x := act[r.ID]
		if x == nil {
			x = &AskActivity{}
		}
		resp := &Response{Recipient: r, OpenedAt: x.OpenedAt, RepliedAt: x.RepliedAt, AcknowledgedAt: r.AckAt,
			WatchedPercent: WatchedPercent(x.Ranges, v.DurationMs), TimeZone: people[r.ID].sched.zone().String()}
		switch {
		case !x.RepliedAt.IsZero():
			resp.State = AskReplied
		case !r.AckAt.IsZero():
			resp.State = AskAcknowledged
		case x.Counted:
			resp.State = AskWatched
		case !x.OpenedAt.IsZero():
			resp.State = AskOpened
		default:
			resp.State = AskNotOpened
		}
		if until := people[r.ID].awayUntil; until.After(now) {
			resp.AwayUntil = until
		}
		resp.Overdue = !resp.State.Answered() && !now.Before(a.ReplyBy) && resp.AwayUntil.IsZero()
		out = append(out, resp)
	}
	return out, nil
}

// Summarize counts responses for the library line.
func Summarize(a *Ask, rs []*Response) AskSummary {
	sum := AskSummary{Total: len(rs), ReplyBy: a.ReplyBy}
	for _, r := range rs {
		switch {
		case r.State.Answered():
			sum.Answered++
		case !r.AwayUntil.IsZero():
			sum.Away++
		case r.Overdue:
			sum.Overdue++
		}
	}
	return sum
}

// Summaries returns the library line of each video that has an ask.
func (s *Asks) Summaries(ctx context.Context, videos []*Video) (map[string]AskSummary, error) {
	ids := make([]string, len(videos))
	for i, v := range videos {
		ids[i] = v.ID
	}
	asks, err := s.Store.AsksOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]AskSummary{}
	for _, v := range videos {
		a := asks[v.ID]
		if a == nil {
			continue
		}
		rs, err := s.Responses(ctx, v, a)
		if err != nil {
			return nil, err
		}
		out[v.ID] = Summarize(a, rs)
	}
	return out, nil
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

// Acknowledge records the recipient's "Got it" and cancels their
// reminders.
func (s *Asks) Acknowledge(ctx context.Context, r *AskRecipient) (*AskRecipient, error) {
	now := s.now()
	nr, err := s.Store.AcknowledgeAsk(ctx, r.ID, now)
	if err != nil {
		return nil, err
	}
	return nr, s.cancelReminders(ctx, nr, now)
}

// Replied is the comment hook: a comment by a recipient (a member, or
// someone who came through their personal link) answers the ask, so their
// reminders stop. via is the recipient the request's personal link named,
// if any.
func (s *Asks) Replied(ctx context.Context, c *Comment, via *AskRecipient) error {
	if s == nil || c == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := s.now()
	if via != nil && via.VideoID == c.VideoID {
		if err := s.Store.RecordAskReply(ctx, via.ID, c.ID, now); err != nil {
			return err
		}
		return s.cancelReminders(ctx, via, now)
	}
	if c.AuthorUserID == "" {
		return nil
	}
	a, err := s.Store.Ask(ctx, c.VideoID)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range a.Recipients {
		if r.UserID == c.AuthorUserID {
			return s.cancelReminders(ctx, r, now)
		}
	}
	return nil
}

func (s *Asks) cancelReminders(ctx context.Context, r *AskRecipient, now time.Time) error {
	name, err := s.outboxName(ctx, r, now)
	if err != nil || name == "" {
		return err
	}
	return s.Store.CancelAskEmails(ctx, r.VideoID, name, []NotifyKind{NotifyAskRemind, NotifyAskOverdue})
}

// SetAway marks a member away until a date (zero: back) and cancels the
// reminders that would reach them meanwhile.
func (s *Asks) SetAway(ctx context.Context, userID string, until time.Time) error {
	if !until.IsZero() && until.Before(s.now()) {
		return Errorf(EINVALID, "awayUntil has already passed; send null to clear it.")
	}
	if err := s.Store.SetAway(ctx, userID, until); err != nil {
		return err
	}
	if until.IsZero() {
		return nil
	}
	asks, err := s.Store.AsksTo(ctx, userID)
	if err != nil {
		return err
	}
	for _, a := range asks {
		// Reminders planned after they return still go out; simplest
		// correct rule: a person away at the deadline hears nothing of it.
		if a.ReplyBy.Before(until) {
			if err := s.Store.CancelAskEmails(ctx, a.VideoID, UserRecipient(userID), []NotifyKind{NotifyAskRemind, NotifyAskOverdue}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Away returns until when the member is away (zero: not away).
func (s *Asks) Away(ctx context.Context, userID string) (time.Time, error) {
	m, err := s.Store.Away(ctx, []string{userID})
	if err != nil {
		return time.Time{}, err
	}
	if t := m[userID]; t.After(s.now()) {
		return t, nil
	}
	return time.Time{}, nil
}

// Waiting is one ask the member still owes an answer to.
type Waiting struct {
	Ask       *Ask
	Video     *Video
	Recipient *AskRecipient
	Response  *Response
}

// WaitingOn lists the asks addressed to the member that they have not
// answered, oldest deadline first.
func (s *Asks) WaitingOn(ctx context.Context, u *User) ([]*Waiting, error) {
	asks, err := s.Store.AsksTo(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	var out []*Waiting
	for _, a := range asks {
		v, err := s.Videos.Video(ctx, a.VideoID)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if v.AccessFor(Viewer{User: u}, s.now()) < AccessWatch {
			continue
		}
		rs, err := s.Responses(ctx, v, a)
		if err != nil {
			return nil, err
		}
		for _, resp := range rs {
			if resp.Recipient.UserID == u.ID && !resp.State.Answered() {
				out = append(out, &Waiting{Ask: a, Video: v, Recipient: resp.Recipient, Response: resp})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ask.ReplyBy.Before(out[j].Ask.ReplyBy) })
	return out, nil
}

// SendOverdueSummaries plans the owner's summary of every ask whose
// deadline has passed, once per ask. Run it periodically (Run does).
func (s *Asks) SendOverdueSummaries(ctx context.Context) (int, error) {
	now := s.now()
	asks, err := s.Store.ClaimOverdueAsks(ctx, now, 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range asks {
		if err := s.summary(ctx, a, now); err != nil {
			s.log().Error("asks: overdue summary", "video_id", a.VideoID, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}

func (s *Asks) summary(ctx context.Context, a *Ask, now time.Time) error {
	n := s.Notify
	if n == nil || a.OwnerID == "" {
		return nil
	}
	v, err := s.Videos.Video(ctx, a.VideoID)
	if err != nil {
		return err
	}
	rs, err := s.Responses(ctx, v, a)
	if err != nil {
		return err
	}
	sum := Summarize(a, rs)
	var owing []string
	for _, r := range rs {
		if r.State.Answered() {
			continue
		}
		who := r.Recipient.Name
		if who == "" {
			who = r.Recipient.Email
		}
		if !r.AwayUntil.IsZero() {
			who += " (away)"
		}
		owing = append(owing, who)
	}
	text := sum.Text() + "."
	if len(owing) > 0 {
		text += "\nStill waiting on: " + strings.Join(owing, ", ") + "."
	}
	text += "\n\nYou asked: " + a.Question
	plan := &Plan{}
	var rset recipientSet
	rset.add(UserRecipient(a.OwnerID), NotifyAskSummary)
	if err := n.addRecipients(ctx, plan, &rset, func(k NotifyKind) *Notification {
		return &Notification{Kind: k, VideoID: v.ID, VideoSlug: v.Slug, Title: v.Title, Text: text}
	}, now); err != nil {
		return err
	}
	return n.save(ctx, plan, false)
}

// Run plans overdue summaries every poll until ctx ends. Several
// processes may run it: each ask is claimed by one.
func (s *Asks) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.SendOverdueSummaries(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("asks: overdue summaries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// askSentence is an ask email's headline.
func askSentence(it *EmailItem) string {
	who := it.Actor
	if who == "" {
		who = "Someone"
	}
	switch it.Kind {
	case NotifyAsk:
		return fmt.Sprintf("%s asks for your answer on “%s”", who, it.Title)
	case NotifyAskRemind:
		return fmt.Sprintf("Reminder: %s is waiting for your answer on “%s”", who, it.Title)
	case NotifyAskOverdue:
		return fmt.Sprintf("Overdue: %s is still waiting for your answer on “%s”", who, it.Title)
	case NotifyCheckinPrompt:
		return fmt.Sprintf("Time for your update: %s", it.Title)
	case NotifyCheckinRemind:
		return fmt.Sprintf("Reminder: your update for %s is due soon", it.Title)
	case NotifyCheckinRound:
		return fmt.Sprintf("%s: this round's updates", it.Title)
	}
	return fmt.Sprintf("Past the reply-by time on “%s”", it.Title)
}
