package gormstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// TestNotifyStore drives the notification tables the way the planner and
// the senders do, on each dialect: a plan stored once (its key refuses a
// second), people with and without settings, follows that remember an
// unfollow, an inbox read and counted, emails claimed per recipient under a
// lease and finished with their attempt, webhook deliveries with their
// log, guests' addresses, and the sweeper's view of unplanned comments.
func TestNotifyStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, "")
	now := time.Now().UTC().Truncate(time.Millisecond)
	owner, bo := mustUser(t, "owner@example.com", media.RoleMember), mustUser(t, "bo@example.com", media.RoleMember)
	for _, u := range []*media.User{owner, bo} {
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	v := MustCreateVideo(t, db)
	c := MustComment(t, db, v.ID, "", 0, "Look at this")
	uo, ub := media.UserRecipient(owner.ID), media.UserRecipient(bo.ID)

	// Settings.
	hours, _ := media.ParseWorkingHours("mon-thu 08:30-17:30")
	if err := db.SetPrefs(ctx, owner.ID, &media.Prefs{TimeZone: "Asia/Tokyo", Hours: hours, EmailMode: media.EmailDaily}); err != nil {
		t.Fatal(err)
	}
	people, err := db.People(ctx, []string{uo, ub, media.GuestRecipient("nobody")})
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 || people[uo].Prefs == nil || people[uo].Prefs.Hours.String() != "mon-thu 08:30-17:30" || people[ub].Prefs != nil {
		t.Fatalf("people = %+v", people)
	}

	// A plan, once.
	item := func(r, to string) *media.EmailItem {
		return &media.EmailItem{Recipient: r, To: to, Kind: media.NotifyComment, VideoID: v.ID, CommentID: c.ID, Text: "Look at this", CreatedAt: now}
	}
	plan := &media.Plan{
		Key:     "plan:" + c.ID,
		Inbox:   []*media.Notification{{ID: media.NewID(), UserID: owner.ID, Kind: media.NotifyComment, VideoID: v.ID, CommentID: c.ID, Text: "Look at this", Urgent: true, CreatedAt: now}},
		Emails:  []*media.EmailItem{item(uo, owner.Email), item(ub, bo.Email)},
		Follows: []media.Follow{{VideoID: v.ID, Recipient: ub}},
	}
	due := func(it *media.EmailItem, pending time.Time) time.Time { return now }
	if err := db.SavePlan(ctx, plan, now, due); err != nil {
		t.Fatal(err)
	}
	if err := db.SavePlan(ctx, plan, now, due); !errors.Is(err, media.ErrPlanned) {
		t.Fatalf("second plan with the same key: %v, want ErrPlanned", err)
	}
	var sawPending time.Time
	if err := db.SavePlan(ctx, &media.Plan{Emails: []*media.EmailItem{item(uo, owner.Email)}}, now, func(it *media.EmailItem, pending time.Time) time.Time {
		sawPending = pending
		return pending
	}); err != nil {
		t.Fatal(err)
	}
	if !sawPending.Equal(now) {
		t.Fatalf("pending bundle seen as %v, want %v", sawPending, now)
	}
	c2 := MustComment(t, db, v.ID, "", 0, "Never planned")
	if bodies, err := db.CurrentComments(ctx, []string{c.ID, c2.ID, "gone"}); err != nil || len(bodies) != 2 || bodies[c.ID] != "Look at this" {
		t.Fatalf("current comments = %v %v", bodies, err)
	}

	// Inbox.
	items, unread, err := db.Notifications(ctx, owner.ID, "", 10)
	if err != nil || unread != 1 || len(items) != 1 || !items[0].Urgent {
		t.Fatalf("inbox = %+v %d %v", items, unread, err)
	}
	if counts, err := db.NewCommentCounts(ctx, owner.ID, []string{v.ID}); err != nil || counts[v.ID] != 1 {
		t.Fatalf("counts = %v %v", counts, err)
	}
	if err := db.MarkRead(ctx, owner.ID, nil, true, now); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.UnreadCount(ctx, owner.ID); n != 0 {
		t.Fatalf("unread after reading = %d", n)
	}
	if prev, err := db.SeenVideo(ctx, owner.ID, v.ID, now); err != nil || !prev.IsZero() {
		t.Fatalf("first visit: %v %v", prev, err)
	}
	if prev, _ := db.SeenVideo(ctx, owner.ID, v.ID, now.Add(time.Minute)); !prev.Equal(now) {
		t.Fatalf("second visit: previous = %v, want %v", prev, now)
	}

	// Follows: the plan's automatic follow, then an unfollow that sticks.
	if on, err := db.Following(ctx, v.ID, ub); err != nil || !on {
		t.Fatalf("following = %v %v", on, err)
	}
	if err := db.SetFollow(ctx, media.Follow{VideoID: v.ID, Recipient: ub}, false, now); err != nil {
		t.Fatal(err)
	}
	if err := db.SavePlan(ctx, &media.Plan{Follows: []media.Follow{{VideoID: v.ID, Recipient: ub}}}, now, nil); err != nil {
		t.Fatal(err)
	}
	if off, err := db.Unfollowed(ctx, v.ID, ub); err != nil || !off {
		t.Fatalf("unfollowed = %v %v", off, err)
	}
	if fs, err := db.Followers(ctx, v.ID, ""); err != nil || len(fs) != 0 {
		t.Fatalf("followers = %v %v", fs, err)
	}

	// Emails: one batch per recipient, leased; a lost lease is refused.
	bs, err := db.ClaimEmails(ctx, "a", time.Minute, now, 10)
	if err != nil || len(bs) != 2 {
		t.Fatalf("claim = %+v %v", bs, err)
	}
	if again, _ := db.ClaimEmails(ctx, "b", time.Minute, now, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	var owners *media.EmailBatch
	for _, b := range bs {
		if b.Recipient == uo {
			owners = b
		}
	}
	if owners == nil || len(owners.Items) != 2 {
		t.Fatalf("owner's batch = %+v", owners)
	}
	stolen := *owners
	stolen.LeaseOwner = "b"
	errs, err := db.FinishEmails(ctx, []media.EmailOutcome{
		{Batch: owners, Attempt: media.DeliveryAttempt{At: now, OK: true}},
		{Batch: &stolen, Attempt: media.DeliveryAttempt{At: now, OK: true}},
	})
	if err != nil || errs[0] != nil || media.ErrorCode(errs[1]) != media.ECONFLICT {
		t.Fatalf("finish: %v %v", errs, err)
	}
	if total, ok, err := db.EmailAttempts(ctx, uo); err != nil || total != 1 || ok != 1 {
		t.Fatalf("attempts = %d ok %d (%v)", total, ok, err)
	}
	if n, _ := db.PendingEmails(ctx); n != 1 {
		t.Fatalf("pending = %d, want Bo's", n)
	}

	// Webhooks: due deliveries claimed with their address, attempts logged.
	h := &media.Webhook{ID: media.NewID(), OwnerID: owner.ID, URL: "https://example.com/h", Events: []string{media.EventCommentCreated}, Format: media.WebhookStandard, Secret: media.NewWebhookSecret(), CreatedAt: now}
	ws := &media.Webhook{ID: media.NewID(), OwnerID: bo.ID, Workspace: true, URL: "https://example.com/w", Events: []string{media.EventVideoReady}, Format: media.WebhookSlack, Secret: media.NewWebhookSecret(), CreatedAt: now}
	for _, x := range []*media.Webhook{h, ws} {
		if err := db.CreateWebhook(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if hs, err := db.WebhooksFor(ctx, owner.ID, media.EventCommentCreated); err != nil || len(hs) != 1 || hs[0].ID != h.ID {
		t.Fatalf("webhooks for owner = %v %v", hs, err)
	}
	if hs, err := db.WebhooksFor(ctx, bo.ID, media.EventVideoReady); err != nil || len(hs) != 1 || hs[0].ID != ws.ID {
		t.Fatalf("workspace webhooks = %v %v", hs, err)
	}
	d := &media.WebhookDelivery{ID: "msg_" + media.NewID(), WebhookID: h.ID, Type: media.EventCommentCreated, Payload: []byte(`{"type":"comment.created"}`), NextAt: now, CreatedAt: now}
	if err := db.SavePlan(ctx, &media.Plan{Hooks: []*media.WebhookDelivery{d}}, now, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := db.ClaimWebhookDeliveries(ctx, "a", time.Minute, now, 10)
	if err != nil || len(ds) != 1 || ds[0].URL != h.URL || ds[0].Secret != h.Secret || string(ds[0].Payload) != `{"type":"comment.created"}` {
		t.Fatalf("claimed deliveries = %+v %v", ds, err)
	}
	if err := db.FinishWebhookDelivery(ctx, ds[0], media.DeliveryAttempt{At: now, StatusCode: 500, Error: "boom", NextRetry: now.Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	log, err := db.WebhookDeliveries(ctx, h.ID, 10)
	if err != nil || len(log) != 1 || log[0].State != media.DeliveryPending || len(log[0].Log) != 1 || log[0].Log[0].StatusCode != 500 {
		t.Fatalf("delivery log = %+v %v", log, err)
	}
	if err := db.DeleteWebhook(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if log, _ := db.WebhookDeliveries(ctx, h.ID, 10); len(log) != 0 {
		t.Fatalf("deliveries outlived their webhook: %+v", log)
	}

	// Guests' addresses.
	g, err := db.GuestEmail(ctx, "gus@example.org", now)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := db.GuestEmail(ctx, "gus@example.org", now); again.ID != g.ID {
		t.Fatal("the same address got two rows")
	}
	if _, err := db.UpdateGuestEmail(ctx, g.ID, func(g *media.GuestEmail) error { g.ConfirmedAt = now; return nil }); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.People(ctx, []string{media.GuestRecipient(g.ID)}); !p[media.GuestRecipient(g.ID)].Confirmed {
		t.Fatalf("guest not confirmed: %+v", p)
	}
	if first, _ := db.Once(ctx, "view:"+v.ID, now); !first {
		t.Fatal("first Once was not first")
	}
	if again, _ := db.Once(ctx, "view:"+v.ID, now); again {
		t.Fatal("second Once was first")
	}
}
