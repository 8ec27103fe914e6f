package media

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// What each event plans: the recipients of a comment, a reply, a mention, a
// resolved thread, a first view and a ready video, turned into inbox rows,
// email items and webhook deliveries, and stored with the plan's key.

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

// CommentCreated plans the notifications of a new comment or reply, once
// (the plan's key is the comment's id). The planner calls it for every
// "created" event (notifyplan.go).
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

// commentResolved tells a thread's author that a resolved it; key makes
// it happen once.
func (n *Notifier) commentResolved(ctx context.Context, c *Comment, a Actor, key string) error {
	if n == nil || c == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	v, err := n.Videos.Video(ctx, c.VideoID)
	if err != nil {
		return err
	}
	now := n.now()
	plan := &Plan{Key: key}
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
