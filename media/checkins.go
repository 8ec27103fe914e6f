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

// Recurring check-ins: a standing request for a short video update on
// some days of the week at a local time. Each participant is prompted at
// that time in their own zone (10:00 in Tokyo and 10:00 in Berlin are
// different instants), with a link that opens the recorder attached to
// the round. A round is named by its date (the scheduled day, in each
// participant's own calendar); it is due dueAfter after each person's
// prompt. Those who have not posted are reminded before their due time;
// when the last person's due time passes, observers get the round by
// email. People who are away are neither prompted nor counted missing.
// Prompts, reminders and the round summary go through the notification
// outbox; a tick (Run) plans them, each exactly once, recorded by a claim.

// Check-in limits.
const (
	MaxCheckinTitleLen     = 120
	MaxCheckinPromptLen    = 1000
	MaxCheckinParticipants = 100
)

// The kinds of notification check-ins cause.
const (
	NotifyCheckinPrompt NotifyKind = "checkin-prompt"   // time for your update
	NotifyCheckinRemind NotifyKind = "checkin-reminder" // your update is due soon
	NotifyCheckinRound  NotifyKind = "checkin-round"    // to observers: the round closed
)

// Checkin is a recurring request for updates.
type Checkin struct {
	ID      string // UUIDv7
	OwnerID string
	Title   string
	Prompt  string
	Days    [7]bool // by time.Weekday
	Time    int     // minutes after local midnight
	// DueAfter is how long after their prompt each person's update is due.
	DueAfter time.Duration
	// MaxLength caps an update's length (the recorder stops there).
	MaxLength    time.Duration
	Participants []string // member ids
	Observers    []string // member ids who get the round when it closes
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CheckinPost is one participant's update in a round.
type CheckinPost struct {
	CheckinID string
	Round     string // YYYY-MM-DD
	UserID    string
	VideoID   string
	CreatedAt time.Time
}

// CheckinStore keeps check-ins, their posts and which prompts went out.
type CheckinStore interface {
	// CreateCheckin inserts c.
	CreateCheckin(ctx context.Context, c *Checkin) error
	// Checkin returns one check-in. ENOTFOUND.
	Checkin(ctx context.Context, id string) (*Checkin, error)
	// Checkins lists every check-in (userID empty) or those the member
	// owns, takes part in or observes.
	Checkins(ctx context.Context, userID string) ([]*Checkin, error)
	// DeleteCheckin removes a check-in with its posts. ENOTFOUND.
	DeleteCheckin(ctx context.Context, id string) error
	// SaveCheckinPost records (or replaces) a participant's update.
	SaveCheckinPost(ctx context.Context, p *CheckinPost) error
	// CheckinPosts lists a round's posts, oldest first.
	CheckinPosts(ctx context.Context, checkinID, round string) ([]*CheckinPost, error)
	// ClaimCheckinEvent records that kind happened for the round and user
	// ("" for the whole round) and reports whether it is new: exactly one
	// caller plans each prompt, reminder and summary.
	ClaimCheckinEvent(ctx context.Context, checkinID, round, userID, kind string, at time.Time) (bool, error)
}

// CheckinInput is what the owner sends.
type CheckinInput struct {
	Title        string
	Prompt       string
	Days         []string
	Time         string
	Participants []string // member ids or emails
	Observers    []string
	DueAfter     time.Duration
	MaxLength    time.Duration
}

// Checkins holds the rules of check-ins.
type Checkins struct {
	Store  CheckinStore
	Asks   *Asks // people's zones and away dates
	Users  UserStore
	Videos VideoStore
	Notify *Notifier
	Clock  Clock
	Log    *slog.Logger
}

func (s *Checkins) now() time.Time { return s.Clock.Now() }

func (s *Checkins) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Create checks and stores a new check-in owned by owner. EINVALID.
func (s *Checkins) Create(ctx context.Context, owner *User, in CheckinInput) (*Checkin, error) {
	c := &Checkin{ID: NewID(), OwnerID: owner.ID, CreatedAt: s.now(), UpdatedAt: s.now()}
	c.Title = strings.TrimSpace(in.Title)
	if c.Title == "" || utf8.RuneCountInString(c.Title) > MaxCheckinTitleLen {
		return nil, Errorf(EINVALID, "Give the check-in a title of up to %d characters.", MaxCheckinTitleLen)
	}
	c.Prompt = strings.TrimSpace(in.Prompt)
	if c.Prompt == "" || utf8.RuneCountInString(c.Prompt) > MaxCheckinPromptLen {
		return nil, Errorf(EINVALID, "Write the prompt people answer, up to %d characters.", MaxCheckinPromptLen)
	}
	if len(in.Days) == 0 {
		return nil, Errorf(EINVALID, "schedule.days names at least one day: mon, tue, wed, thu, fri, sat, sun.")
	}
	for _, d := range in.Days {
		wd, ok := ParseDay(d)
		if !ok {
			return nil, Errorf(EINVALID, "Days are mon, tue, wed, thu, fri, sat, sun (got %q).", d)
		}
		c.Days[wd] = true
	}
	t, err := ParseClock(in.Time, false)
	if err != nil {
		return nil, err
	}
	c.Time = t
	c.DueAfter = in.DueAfter
	if c.DueAfter == 0 {
		c.DueAfter = 8 * time.Hour
	}
	if c.DueAfter < 15*time.Minute || c.DueAfter > 6*24*time.Hour {
		return nil, Errorf(EINVALID, "dueAfter must be from 15m to 144h, e.g. 8h.")
	}
	c.MaxLength = in.MaxLength
	if c.MaxLength == 0 {
		c.MaxLength = 3 * time.Minute
	}
	if c.MaxLength < 10*time.Second || c.MaxLength > time.Hour {
		return nil, Errorf(EINVALID, "maxLength must be from 10s to 1h, e.g. 3m.")
	}
	if c.Participants, err = s.members(ctx, in.Participants, "participants"); err != nil {
		return nil, err
	}
	if len(c.Participants) == 0 || len(c.Participants) > MaxCheckinParticipants {
		return nil, Errorf(EINVALID, "A check-in has from 1 to %d participants.", MaxCheckinParticipants)
	}
	if c.Observers, err = s.members(ctx, in.Observers, "observers"); err != nil {
		return nil, err
	}
	if err := s.Store.CreateCheckin(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// members resolves member ids or their addresses, each once.
func (s *Checkins) members(ctx context.Context, raw []string, field string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, r := range raw {
		r = strings.TrimSpace(r)
		var u *User
		var err error
		if strings.Contains(r, "@") {
			email, nerr := NormalizeEmail(r)
			if nerr != nil {
				return nil, Errorf(EINVALID, "%s: %q is not an email address.", field, r)
			}
			u, err = s.Users.UserByEmail(ctx, email)
		} else if ValidID(r) {
			u, err = s.Users.User(ctx, r)
		} else {
			return nil, Errorf(EINVALID, "%s: %q is neither a member id nor an address.", field, r)
		}
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EINVALID, "%s: %q is not a member of this workspace; check-ins record with an account.", field, r)
		}
		if err != nil {
			return nil, err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// schedule is a member's schedule (zone and hours).
func (s *Checkins) schedule(ctx context.Context, userID string) Schedule {
	if s.Notify == nil {
		return Schedule{Zone: time.UTC, Hours: DefaultWorkingHours}
	}
	p, _, err := s.Notify.PrefsOf(ctx, userID)
	if err != nil {
		return s.Notify.ScheduleOf(nil)
	}
	return s.Notify.ScheduleOf(p)
}

// PromptAt is when the participant with zone loc is prompted for the round
// of date (YYYY-MM-DD): the check-in's time on that date in their zone.
func (c *Checkin) PromptAt(round string, loc *time.Location) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, round, loc)
	if err != nil {
		return time.Time{}, false
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), c.Time/60, c.Time%60, 0, 0, loc)
	return t.UTC(), true
}

// LatestRound is the latest scheduled date on which someone in zones has
// been prompted by now, since the check-in began ("" when none yet).
func (c *Checkin) LatestRound(zones []*time.Location, now time.Time) string {
	day := now.UTC().AddDate(0, 0, 1)
	for i := 0; i < 10; i++ {
		d := day.AddDate(0, 0, -i)
		if !c.Days[d.Weekday()] {
			continue
		}
		round := d.Format(time.DateOnly)
		for _, z := range zones {
			if at, ok := c.PromptAt(round, z); ok && !at.After(now) && !at.Before(c.CreatedAt) {
				return round
			}
		}
	}
	return ""
}

// RoundStatus is who posted, who is missing and who is away in a round.
type RoundStatus struct {
	Round   string
	DueAt   time.Time // when the last participant's update is due
	Posted  []*CheckinPost
	Missing []string // member ids
	Away    []string
	// PromptAt and DueOf are each participant's times.
	PromptAt map[string]time.Time
	DueOf    map[string]time.Time
}

// Round computes a round's status (the latest when round is empty).
func (s *Checkins) Round(ctx context.Context, c *Checkin, round string) (*RoundStatus, error) {
	now := s.now()
	zones := map[string]*time.Location{}
	var locs []*time.Location
	for _, id := range c.Participants {
		z := s.schedule(ctx, id).zone()
		zones[id] = z
		locs = append(locs, z)
	}
	if round == "" {
		round = c.LatestRound(locs, now)
		if round == "" {
			return nil, Errorf(ENOTFOUND, "No round of this check-in has started yet.")
		}
	}
	if _, err := time.Parse(time.DateOnly, round); err != nil {
		return nil, Errorf(EINVALID, "A round is a date like 2026-12-07.")
	}
	posts, err := s.Store.CheckinPosts(ctx, c.ID, round)
	if err != nil {
		return nil, err
	}
	away := map[string]time.Time{}
	if s.Asks != nil {
		if away, err = s.Asks.Store.Away(ctx, c.Participants); err != nil {
			return nil, err
		}
	}
	st := &RoundStatus{Round: round, Posted: posts, Missing: []string{}, Away: []string{},
		PromptAt: map[string]time.Time{}, DueOf: map[string]time.Time{}}
	posted := map[string]bool{}
	for _, p := range posts {
		posted[p.UserID] = true
	}
	for _, id := range c.Participants {
		at, _ := c.PromptAt(round, zones[id])
		st.PromptAt[id], st.DueOf[id] = at, at.Add(c.DueAfter)
		if st.DueOf[id].After(st.DueAt) {
			st.DueAt = st.DueOf[id]
		}
		switch {
		case posted[id]:
		case away[id].After(at):
			st.Away = append(st.Away, id)
		default:
			st.Missing = append(st.Missing, id)
		}
	}
	return st, nil
}

// Post attaches a participant's video to a round. ENOTALLOWED for someone
// who is not a participant or a video that is not theirs.
func (s *Checkins) Post(ctx context.Context, c *Checkin, round string, u *User, videoID string) (*CheckinPost, error) {
	if !contains(c.Participants, u.ID) {
		return nil, Errorf(ENOTALLOWED, "Only the check-in's participants post updates to it.")
	}
	if _, err := time.Parse(time.DateOnly, round); err != nil || !c.Days[mustDate(round).Weekday()] {
		return nil, Errorf(EINVALID, "round must be a scheduled date of this check-in, like 2026-12-07.")
	}
	v, err := s.Videos.Video(ctx, videoID)
	if ErrorCode(err) == ENOTFOUND || err == nil && v.OwnerID != u.ID {
		return nil, Errorf(EINVALID, "videoId must be one of your videos.")
	}
	if err != nil {
		return nil, err
	}
	p := &CheckinPost{CheckinID: c.ID, Round: round, UserID: u.ID, VideoID: v.ID, CreatedAt: s.now()}
	if err := s.Store.SaveCheckinPost(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

func mustDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// RecordLink is the prompt's link: the recorder, attached to the round.
func RecordLink(base, checkinID, round string) string {
	return base + "/record?checkin=" + checkinID + "&round=" + round
}

// RoundLink is the round's page (the reel).
func RoundLink(base, checkinID string) string {
	return base + "/checkins/" + checkinID
}

// Tick plans what is due now for every check-in: prompts at each
// participant's local time, reminders to those missing before their due
// time, and the round to observers once it closes. Each is claimed once,
// so several processes may tick.
func (s *Checkins) Tick(ctx context.Context) error {
	cs, err := s.Store.Checkins(ctx, "")
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := s.tick(ctx, c); err != nil {
			s.log().Error("check-ins: tick", "checkin_id", c.ID, "err", err)
		}
	}
	return nil
}

func (s *Checkins) tick(ctx context.Context, c *Checkin) error {
	now := s.now()
	latest, err := s.Round(ctx, c, "")
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	// The round before may still be open in later zones (a Tuesday round
	// starts in Tokyo while Monday's is due in Los Angeles).
	rounds := []*RoundStatus{latest}
	for i := 1; i <= 7; i++ {
		d := mustDate(latest.Round).AddDate(0, 0, -i)
		if c.Days[d.Weekday()] {
			prev, err := s.Round(ctx, c, d.Format(time.DateOnly))
			if err != nil {
				return err
			}
			rounds = append(rounds, prev)
			break
		}
	}
	for _, st := range rounds {
		if err := s.tickRound(ctx, c, st, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Checkins) tickRound(ctx context.Context, c *Checkin, st *RoundStatus, now time.Time) error {
	ownerName := ""
	if owner, err := s.Users.User(ctx, c.OwnerID); err == nil {
		ownerName = owner.Name
	}
	base := ""
	if s.Notify != nil {
		base = s.Notify.base()
	}
	for _, id := range st.Missing {
		at, due := st.PromptAt[id], st.DueOf[id]
		if at.After(now) || at.Before(c.CreatedAt) || !now.Before(due) {
			continue
		}
		// The prompt first, even when the tick comes late; the reminder
		// only to someone already prompted, once their due time is near.
		fresh, err := s.Store.ClaimCheckinEvent(ctx, c.ID, st.Round, id, string(NotifyCheckinPrompt), now)
		if err != nil {
			return err
		}
		kind, text := NotifyCheckinPrompt, c.Prompt
		if !fresh {
			if now.Before(due.Add(-min(2*time.Hour, c.DueAfter/2))) {
				continue
			}
			if fresh, err = s.Store.ClaimCheckinEvent(ctx, c.ID, st.Round, id, string(NotifyCheckinRemind), now); err != nil || !fresh {
				return err
			}
			kind = NotifyCheckinRemind
			text = c.Prompt + "\n\nDue " + FormatDeadline(due, s.schedule(ctx, id).zone()) + "."
		}
		if err := s.mail(ctx, UserRecipient(id), &EmailItem{Kind: kind, Title: c.Title, Actor: ownerName, Text: text,
			Link: RecordLink(base, c.ID, st.Round), CreatedAt: now}, now); err != nil {
			return err
		}
	}
	if now.Before(st.DueAt) || st.DueAt.Before(c.CreatedAt) {
		return nil
	}
	fresh, err := s.Store.ClaimCheckinEvent(ctx, c.ID, st.Round, "", string(NotifyCheckinRound), now)
	if err != nil || !fresh {
		return err
	}
	text := fmt.Sprintf("%d posted, %d missing, %d away.", len(st.Posted), len(st.Missing), len(st.Away))
	for _, id := range uniq(append(append([]string{}, c.Observers...), c.OwnerID)) {
		if err := s.mail(ctx, UserRecipient(id), &EmailItem{Kind: NotifyCheckinRound, Title: c.Title, Text: text,
			Link: RoundLink(base, c.ID) + "?round=" + st.Round, CreatedAt: now}, now); err != nil {
			return err
		}
	}
	return nil
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// mail plans an inbox row and an email due now: prompts are timed by the
// check-in, not by the bundle rule.
func (s *Checkins) mail(ctx context.Context, recipient string, it *EmailItem, now time.Time) error {
	n := s.Notify
	if n == nil {
		return nil
	}
	people, err := n.Store.People(ctx, []string{recipient})
	if err != nil {
		return err
	}
	p := people[recipient]
	if p == nil {
		return nil
	}
	plan := &Plan{}
	_, uid := SplitRecipient(recipient)
	// The bell links within the site; the email needs the whole address.
	link := strings.TrimPrefix(it.Link, n.base())
	plan.Inbox = append(plan.Inbox, &Notification{ID: NewID(), UserID: uid, Kind: it.Kind, Title: it.Title, Actor: it.Actor,
		Text: it.Text, Link: link, CreatedAt: now})
	if n.EmailEnabled() && p.Email != "" && !p.Unsubscribed && n.ScheduleOf(p.Prefs).Mode != EmailOff {
		it.Recipient, it.To = recipient, p.Email
		plan.Emails = append(plan.Emails, it)
	}
	if err := n.Store.SavePlan(ctx, plan, now, func(*EmailItem, time.Time) time.Time { return now }); err != nil {
		return err
	}
	for _, nt := range plan.Inbox {
		n.Inbox.Notify(nt.UserID)
	}
	n.Wake()
	return nil
}

// Reel is a round's updates in the order they were posted, for playing
// one after another.
func (s *Checkins) Reel(ctx context.Context, st *RoundStatus) ([]*Video, error) {
	posts := append([]*CheckinPost(nil), st.Posted...)
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].CreatedAt.Before(posts[j].CreatedAt) })
	out := make([]*Video, 0, len(posts))
	for _, p := range posts {
		v, err := s.Videos.Video(ctx, p.VideoID)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Run ticks every poll until ctx ends.
func (s *Checkins) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("check-ins: tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
