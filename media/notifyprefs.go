package media

import (
	"context"
	"time"
)

// A member's notification settings, the workspace defaults they fall back
// to, their follows, and the urgent budget.

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
