package media

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// What asks put in the notification outbox: the ask's own email, the
// reminders timed by each recipient's working hours (and dropped for
// people who are away), and the owner's summary once the deadline has
// passed. Nothing here sends; the outbox's sender does.

// DefaultAskRemind is BATON_ASK_REMIND's default.
var DefaultAskRemind = []time.Duration{24 * time.Hour, 2 * time.Hour}

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
