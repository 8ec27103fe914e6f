package media

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// What recipients do with an ask, and what the owner and the library see
// of it: each recipient's state derived from receipts, comments and "Got
// it" (never stored), the library's one-line summary, the member's
// "Waiting on me" list, and the hooks that record an answer and stop that
// person's reminders.

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
