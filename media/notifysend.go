package media

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The senders: email and webhook deliveries are claimed with leases (like
// jobs), tried, and the outcome recorded with the rows' new state in one
// transaction, so a crash re-sends at most what was in flight and an outage
// loses nothing.

// Leases and retry policy.
const (
	deliveryLease = 2 * time.Minute
	// emailGiveUp is how long an email is retried before it is marked
	// failed with the last reason.
	emailGiveUp  = 48 * time.Hour
	emailMaxWait = time.Hour
	// emailSenders is how many messages one sender has in flight.
	emailSenders = 4
	// WebhookTimeout bounds one webhook attempt.
	WebhookTimeout = 10 * time.Second
)

// WebhookRetries are the waits after each failed webhook attempt (the
// Standard Webhooks schedule): eight attempts over about 27 hours, then
// the delivery fails.
var WebhookRetries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Wake makes the sender loop look for due work now (urgent items).
func (n *Notifier) Wake() {
	if n == nil {
		return
	}
	n.wakeOnce.Do(func() { n.wake = make(chan struct{}, 1) })
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run plans committed comment events and sends due emails and webhooks
// until ctx ends: it plans when woken by EventsCommitted, and plans and
// sends every poll and when woken by Wake.
func (n *Notifier) Run(ctx context.Context, poll time.Duration) {
	n.Wake()
	id := "notify-" + NewID()
	t := time.NewTicker(poll)
	defer t.Stop()
	planWake := n.plan().wake
	send := true
	for {
		if k, err := n.PlanEvents(ctx); err != nil && ctx.Err() == nil {
			n.log().Warn("notifications: plan", "err", err, "planned", k)
		}
		if send {
			if _, _, err := n.sendDue(ctx, id); err != nil && ctx.Err() == nil {
				n.log().Warn("notifications: send", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			send = true
		case <-n.wake:
			send = true
		case <-planWake:
			send = false
		}
	}
}

// SendDue plans the committed comment events and sends every email and
// webhook due now, once, and reports how many messages went out. Tests
// call it with a fake clock.
func (n *Notifier) SendDue(ctx context.Context) (emails, hooks int, err error) {
	if _, err := n.PlanEvents(ctx); err != nil {
		return 0, 0, err
	}
	return n.sendDue(ctx, "notify-"+NewID())
}

func (n *Notifier) sendDue(ctx context.Context, owner string) (emails, hooks int, err error) {
	if n.Mailer != nil {
		for {
			batches, err := n.Store.ClaimEmails(ctx, owner, deliveryLease, n.now(), 50)
			if err != nil {
				return emails, hooks, err
			}
			if len(batches) == 0 {
				break
			}
			// A few messages at once: each waits on its SMTP server's
			// answers. Their outcomes are recorded by one recorder, which
			// commits whatever has arrived in one transaction.
			outcomes := make(chan EmailOutcome, len(batches))
			recorded := make(chan int)
			go func() { recorded <- n.recordEmails(ctx, outcomes) }()
			var wg sync.WaitGroup
			sem := make(chan struct{}, emailSenders)
			for _, b := range batches {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					outcomes <- EmailOutcome{Batch: b, Attempt: n.sendBatch(ctx, b)}
				}()
			}
			wg.Wait()
			close(outcomes)
			emails += <-recorded
			if ctx.Err() != nil {
				return emails, hooks, ctx.Err()
			}
		}
	}
	if n.Hooks != nil {
		for {
			ds, err := n.Store.ClaimWebhookDeliveries(ctx, owner, deliveryLease, n.now(), 20)
			if err != nil {
				return emails, hooks, err
			}
			if len(ds) == 0 {
				break
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			for _, d := range ds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if n.deliverHook(ctx, d) {
						mu.Lock()
						hooks++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if ctx.Err() != nil {
				return emails, hooks, ctx.Err()
			}
		}
	}
	return emails, hooks, nil
}

// sendBatch sends one recipient's message and returns how it went.
func (n *Notifier) sendBatch(ctx context.Context, b *EmailBatch) DeliveryAttempt {
	sortItems(b.Items)
	if !n.refreshItems(ctx, b) {
		return DeliveryAttempt{At: n.now(), OK: true, Error: nothingLeft}
	}
	msg := n.RenderEmail(&EmailBatch{Recipient: b.Recipient, To: b.To, Items: b.live(), Attempts: b.Attempts})
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	err := n.Mailer.Send(sctx, msg)
	cancel()
	now := n.now()
	a := DeliveryAttempt{At: now, OK: err == nil}
	if err != nil {
		a.Error = ErrorMessage(err)
		if ErrorCode(err) == EINTERNAL {
			a.Error = err.Error()
		}
		first := b.Items[0].DueAt
		for _, it := range b.Items {
			if it.DueAt.Before(first) {
				first = it.DueAt
			}
		}
		wait := min(time.Minute<<min(b.Attempts-1, 10), emailMaxWait)
		switch {
		case ErrorCode(err) == EINVALID:
			a.GiveUp = true
		case now.Add(wait).Sub(first) > emailGiveUp:
			a.GiveUp = true
			a.Error = "gave up after two days: " + a.Error
		default:
			a.NextRetry = now.Add(wait)
		}
		n.log().Warn("notifications: email not sent", "recipient", b.Recipient, "attempt", b.Attempts, "err", err, "retry_at", a.NextRetry)
	}
	return a
}

// nothingLeft is the recorded outcome of a batch whose comments were all
// deleted before it went out: nothing is sent and nothing is retried.
const nothingLeft = "Not sent: every comment in it was deleted first."

// refreshItems reads the items' comments as they are now: edited text
// replaces the planned one, deleted comments are left out (dropped). It
// reports whether anything is left to send. A store error keeps the
// planned text: better a stale line than no email.
func (n *Notifier) refreshItems(ctx context.Context, b *EmailBatch) bool {
	var ids []string
	for _, it := range b.Items {
		if it.CommentID != "" && it.Kind != NotifyConfirm {
			ids = append(ids, it.CommentID)
		}
	}
	if len(ids) == 0 {
		return true
	}
	now, err := n.Store.CurrentComments(ctx, ids)
	if err != nil {
		n.log().Warn("notifications: read comments for an email", "err", err)
		return true
	}
	left := 0
	for _, it := range b.Items {
		if it.CommentID == "" || it.Kind == NotifyConfirm {
			left++
			continue
		}
		if body, ok := now[it.CommentID]; ok {
			it.Text = body
			left++
		} else {
			it.dropped = true
		}
	}
	return left > 0
}

// live is the batch's items that were not dropped.
func (b *EmailBatch) live() []*EmailItem {
	out := make([]*EmailItem, 0, len(b.Items))
	for _, it := range b.Items {
		if !it.dropped {
			out = append(out, it)
		}
	}
	return out
}

// recordEmails commits outcomes as they arrive, grouping whatever is
// waiting into one transaction, and returns how many emails went out. The
// outcomes are recorded even when ctx ends (shutting down): a sent email
// must be marked sent.
func (n *Notifier) recordEmails(ctx context.Context, in <-chan EmailOutcome) int {
	ctx = context.WithoutCancel(ctx)
	sent := 0
	for o := range in {
		group := []EmailOutcome{o}
	more:
		for {
			select {
			case o2, ok := <-in:
				if !ok {
					break more
				}
				group = append(group, o2)
			default:
				break more
			}
		}
		errs, err := n.Store.FinishEmails(ctx, group)
		if err != nil {
			// Nothing of the group was recorded: the leases run out and
			// the emails are tried again (a sent one may go twice).
			n.log().Error("notifications: record email attempts", "emails", len(group), "err", err)
			continue
		}
		for i, o := range group {
			switch {
			case errs[i] != nil:
				n.log().Warn("notifications: email lease lost", "recipient", o.Batch.Recipient, "err", errs[i])
			case o.Attempt.OK && o.Attempt.Error == "":
				sent++
			}
		}
	}
	return sent
}

// deliverHook makes one webhook attempt and records it.
func (n *Notifier) deliverHook(ctx context.Context, d *WebhookDelivery) bool {
	now := n.now()
	headers, err := SignWebhook(d.Secret, d.ID, now, d.Payload)
	status := 0
	if err == nil {
		hctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
		status, err = n.Hooks.Post(hctx, d.URL, headers, d.Payload)
		cancel()
	}
	a := DeliveryAttempt{At: now, StatusCode: status}
	switch {
	case err != nil:
		a.Error = ErrorMessage(err)
		if ErrorCode(err) == EINTERNAL {
			a.Error = err.Error()
		}
	case status < 200 || status > 299:
		a.Error = "The receiver answered " + strconv.Itoa(status) + "."
	default:
		a.OK = true
	}
	if !a.OK {
		if d.Attempts-1 < len(WebhookRetries) {
			a.NextRetry = now.Add(WebhookRetries[d.Attempts-1])
		} else {
			a.GiveUp = true
		}
	}
	if ferr := n.Store.FinishWebhookDelivery(context.WithoutCancel(ctx), d, a); ferr != nil {
		n.log().Error("notifications: record webhook attempt", "delivery_id", d.ID, "err", ferr)
	}
	return a.OK
}

/* ---------- Webhooks ---------- */

// SignWebhook returns the Standard Webhooks headers for one attempt: the
// message id, the attempt's time, and "v1," + base64 of HMAC-SHA256 over
// "id.timestamp.body" keyed with the secret's base64-decoded bytes.
func SignWebhook(secret, msgID string, at time.Time, body []byte) (map[string]string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("media: webhook secret: %w", err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID + "." + ts + "."))
	m.Write(body)
	return map[string]string{
		"webhook-id":        msgID,
		"webhook-timestamp": ts,
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)),
		"Content-Type":      "application/json",
	}, nil
}

// NewWebhookSecret returns a fresh signing secret, "whsec_" + base64 of 32
// random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// WebhookInput is a new webhook as a member asked for it.
type WebhookInput struct {
	URL       string
	Events    []string
	Format    string
	Workspace bool
}

// CreateWebhook checks and stores a webhook. The URL must be http(s) and
// must not resolve to a private address (CheckURL). Members make webhooks
// for their own videos; only admins for the whole workspace. EINVALID,
// ENOTALLOWED.
func (n *Notifier) CreateWebhook(ctx context.Context, by *User, in WebhookInput) (*Webhook, error) {
	u, err := url.Parse(strings.TrimSpace(in.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, Errorf(EINVALID, "url must be an http:// or https:// address without credentials.")
	}
	if len(in.URL) > 2000 {
		return nil, Errorf(EINVALID, "url is too long.")
	}
	if len(in.Events) == 0 {
		return nil, Errorf(EINVALID, "events must name at least one of %s.", strings.Join(WebhookEvents, ", "))
	}
	seen := map[string]bool{}
	var events []string
	for _, e := range in.Events {
		ok := false
		for _, known := range WebhookEvents {
			ok = ok || e == known
		}
		if !ok {
			return nil, Errorf(EINVALID, "Unknown event %q; events are %s.", e, strings.Join(WebhookEvents, ", "))
		}
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	switch in.Format {
	case "":
		in.Format = WebhookStandard
	case WebhookStandard, WebhookSlack:
	default:
		return nil, Errorf(EINVALID, "format must be \"standard\" or \"slack\".")
	}
	if in.Workspace && !by.IsAdmin() {
		return nil, Errorf(ENOTALLOWED, "Only admins can add webhooks for the whole workspace.")
	}
	if n.CheckURL != nil {
		if err := n.CheckURL(ctx, u.String()); err != nil {
			return nil, err
		}
	}
	h := &Webhook{
		ID: NewID(), OwnerID: by.ID, Workspace: in.Workspace, URL: u.String(), Events: events,
		Format: in.Format, Secret: NewWebhookSecret(), CreatedAt: n.now(),
	}
	if err := n.Store.CreateWebhook(ctx, h); err != nil {
		return nil, err
	}
	return h, nil
}

// WebhookFor returns a webhook the member may manage: their own, or any for
// an admin. ENOTFOUND otherwise.
func (n *Notifier) WebhookFor(ctx context.Context, by *User, id string) (*Webhook, error) {
	h, err := n.Store.Webhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if h.OwnerID != by.ID && !by.IsAdmin() {
		return nil, Errorf(ENOTFOUND, "Webhook not found.")
	}
	return h, nil
}

// TestWebhook queues a "test" delivery of a sample comment event and wakes
// the sender.
func (n *Notifier) TestWebhook(ctx context.Context, h *Webhook) (*WebhookDelivery, error) {
	now := n.now()
	data := map[string]any{
		"videoId": "test", "title": "Test from Baton", "url": n.base(),
		"comment": map[string]any{"id": "test", "body": "This is a test event from Baton.", "author": "Baton", "timeMs": 0, "url": n.base()},
		"test":    true,
	}
	d, err := n.hookDelivery(h, EventCommentCreated, data, now)
	if err != nil {
		return nil, err
	}
	if err := n.Store.SavePlan(ctx, &Plan{Hooks: []*WebhookDelivery{d}}, now, nil); err != nil {
		return nil, err
	}
	n.wakeAll(ctx)
	return d, nil
}

func (n *Notifier) addHooks(ctx context.Context, plan *Plan, v *Video, eventType string, data map[string]any, now time.Time) error {
	hooks, err := n.Store.WebhooksFor(ctx, v.OwnerID, eventType)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		d, err := n.hookDelivery(h, eventType, data, now)
		if err != nil {
			return err
		}
		plan.Hooks = append(plan.Hooks, d)
	}
	return nil
}

func (n *Notifier) hookDelivery(h *Webhook, eventType string, data map[string]any, now time.Time) (*WebhookDelivery, error) {
	var body []byte
	var err error
	if h.Format == WebhookSlack {
		body, err = json.Marshal(slackBody(eventType, data))
	} else {
		body, err = json.Marshal(map[string]any{"type": eventType, "timestamp": now.UTC().Format(time.RFC3339Nano), "data": data})
	}
	if err != nil {
		return nil, fmt.Errorf("media: webhook payload: %w", err)
	}
	return &WebhookDelivery{
		ID: "msg_" + NewID(), WebhookID: h.ID, Type: eventType, Payload: body,
		State: DeliveryPending, NextAt: now, CreatedAt: now,
	}, nil
}

// slackEscape escapes what Slack's mrkdwn treats as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackBody is a Slack (and Mattermost) incoming-webhook message.
func slackBody(eventType string, data map[string]any) map[string]any {
	title, _ := data["title"].(string)
	link, _ := data["url"].(string)
	var text string
	var quote string
	switch eventType {
	case EventVideoReady:
		text = fmt.Sprintf("Video ready: <%s|%s>", link, slackEscape(title))
	case EventVideoViewed:
		who, _ := data["viewer"].(string)
		if who == "" {
			who = "Someone"
		}
		text = fmt.Sprintf("%s watched <%s|%s>", slackEscape(who), link, slackEscape(title))
	default:
		c, _ := data["comment"].(map[string]any)
		author, _ := c["author"].(string)
		body, _ := c["body"].(string)
		moment, _ := c["url"].(string)
		ms, _ := c["timeMs"].(int64)
		verb := "commented on"
		switch eventType {
		case EventCommentReplied:
			verb = "replied on"
		case EventCommentResolved:
			verb = "resolved a thread on"
		}
		text = fmt.Sprintf("%s %s <%s|%s> at <%s|%s>", slackEscape(author), verb, link, slackEscape(title), moment, FormatMoment(ms))
		quote = body
	}
	blocks := []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}}
	if quote != "" {
		q := ">" + strings.ReplaceAll(slackEscape(quote), "\n", "\n>")
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": q}})
	}
	fallback := text
	if quote != "" {
		fallback += ": " + quote
	}
	return map[string]any{"text": fallback, "blocks": blocks}
}

// FormatMoment writes a time in a video as m:ss (h:mm:ss past an hour).
func FormatMoment(ms int64) string {
	s := ms / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

/* ---------- Email rendering ---------- */

func (it *EmailItem) sentence() string {
	who := it.Actor
	if who == "" {
		who = "Someone"
	}
	switch it.Kind {
	case NotifyComment:
		return fmt.Sprintf("%s commented on “%s” at %s", who, it.Title, FormatMoment(it.TimeMs))
	case NotifyReply:
		return fmt.Sprintf("%s replied on “%s” at %s", who, it.Title, FormatMoment(it.TimeMs))
	case NotifyMention:
		return fmt.Sprintf("%s mentioned you on “%s” at %s", who, it.Title, FormatMoment(it.TimeMs))
	case NotifyResolved:
		return fmt.Sprintf("%s resolved your thread on “%s”", who, it.Title)
	case NotifyView:
		return fmt.Sprintf("“%s”: %s", it.Title, it.Text)
	case NotifyReady:
		return fmt.Sprintf("“%s” is ready to share", it.Title)
	case NotifyAsk, NotifyAskRemind, NotifyAskOverdue, NotifyAskSummary, NotifyCheckinPrompt, NotifyCheckinRemind, NotifyCheckinRound:
		return askSentence(it)
	}
	return it.Title
}

var emailHTML = template.Must(template.New("email").Parse(`<!doctype html>
<html><body style="margin:0;padding:24px;background:#f6f6f4;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1d1f">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:10px;padding:24px">
{{if .Intro}}<p style="margin:0 0 16px;color:#555">{{.Intro}}</p>{{end}}
{{range .Items}}<div style="margin:0 0 20px">
{{if .Poster}}<a href="{{.Link}}"><img src="{{.Poster}}" alt="" width="160" style="display:block;border-radius:6px;margin:0 0 8px;max-width:100%"></a>{{end}}
<p style="margin:0 0 6px;font-weight:600">{{if .Urgent}}[Urgent] {{end}}{{.Sentence}}</p>
{{if .Text}}<blockquote style="margin:0 0 8px;padding:8px 12px;border-left:3px solid #ccc;white-space:pre-wrap">{{.Text}}</blockquote>{{end}}
<a href="{{.Link}}" style="color:#0b57d0">{{.LinkText}}</a>
</div>{{end}}
<hr style="border:0;border-top:1px solid #eee;margin:24px 0 12px">
<p style="font-size:12px;color:#777;margin:0">{{.Footer}} <a href="{{.Unsubscribe}}" style="color:#777">Unsubscribe</a></p>
</div></body></html>`))

type emailLine struct {
	Sentence, Text, Link, LinkText, Poster string
	Urgent                                 bool
}

// RenderEmail writes one recipient's batch as one message: plain text and
// HTML, each item's words, a link to its moment and the video's poster.
func (n *Notifier) RenderEmail(b *EmailBatch) *EmailMessage {
	base := n.base()
	host := "baton"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	first := b.Items[0]
	msg := &EmailMessage{To: b.To, MessageID: fmt.Sprintf("notify-%d-%d@%s", first.ID, len(b.Items), host), ListUnsubscribe: n.UnsubscribeURL(b.Recipient)}
	if first.Kind == NotifyConfirm {
		msg.Subject = "Confirm your email to hear replies on “" + first.Title + "”"
		msg.Text = "You left this address with a comment on “" + first.Title + "”.\n\nConfirm it to get replies by email:\n" + first.Text +
			"\n\nIf this wasn't you, ignore this message: nothing more will be sent.\n"
		var h bytes.Buffer
		_ = emailHTML.Execute(&h, map[string]any{
			"Intro":       "You left this address with a comment on “" + first.Title + "”. Confirm it to get replies by email. If this wasn't you, ignore this message: nothing more will be sent.",
			"Items":       []emailLine{{Sentence: "Confirm your email", Link: first.Text, LinkText: "Confirm my email address"}},
			"Footer":      "Sent by Baton.",
			"Unsubscribe": msg.ListUnsubscribe,
		})
		msg.HTML = h.String()
		return msg
	}
	sameVideo, urgent := true, false
	for _, it := range b.Items {
		sameVideo = sameVideo && it.VideoID == first.VideoID
		urgent = urgent || it.Urgent
	}
	if sameVideo && first.VideoID != "" {
		msg.InReplyTo = "video-" + first.VideoID + "@" + host
	}
	switch {
	case len(b.Items) == 1:
		msg.Subject = first.sentence()
	case sameVideo:
		msg.Subject = fmt.Sprintf("%d updates on “%s”", len(b.Items), first.Title)
	default:
		msg.Subject = fmt.Sprintf("%d updates on Baton", len(b.Items))
	}
	if urgent {
		msg.Subject = "[Urgent] " + msg.Subject
	}
	var text strings.Builder
	lines := make([]emailLine, 0, len(b.Items))
	for _, it := range b.Items {
		link := MomentURL(base, it.VideoSlug, it.TimeMs)
		if it.Link != "" {
			link = it.Link
		}
		l := emailLine{Sentence: it.sentence(), Link: link, LinkText: "Open at " + FormatMoment(it.TimeMs), Urgent: it.Urgent,
			Poster: base + "/media/" + it.VideoSlug + "/poster.jpg"}
		if it.VideoSlug == "" {
			l.Poster = "" // a check-in prompt is about no video yet
		}
		if it.Kind == NotifyComment || it.Kind == NotifyReply || it.Kind == NotifyMention || it.Kind == NotifyResolved || IsRequestKind(it.Kind) {
			l.Text = it.Text
		}
		if it.Kind == NotifyView || it.Kind == NotifyReady || IsRequestKind(it.Kind) {
			l.LinkText = "Open the video"
		}
		lines = append(lines, l)
		if it.Urgent {
			text.WriteString("[Urgent] ")
		}
		text.WriteString(l.Sentence + "\n")
		if l.Text != "" {
			text.WriteString("> " + strings.ReplaceAll(l.Text, "\n", "\n> ") + "\n")
		}
		text.WriteString(link + "\n\n")
	}
	footer := "You get this because you take part in these conversations on Baton."
	text.WriteString("--\n" + footer + "\nUnsubscribe: " + msg.ListUnsubscribe + "\n")
	msg.Text = text.String()
	var h bytes.Buffer
	intro := ""
	if len(b.Items) > 1 {
		intro = fmt.Sprintf("%d updates since your last email:", len(b.Items))
	}
	_ = emailHTML.Execute(&h, map[string]any{"Intro": intro, "Items": lines, "Footer": footer, "Unsubscribe": msg.ListUnsubscribe})
	msg.HTML = h.String()
	return msg
}

// sortItems orders a batch's items by time, for rendering.
func sortItems(items []*EmailItem) {
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].CreatedAt.Equal(items[j].CreatedAt) {
			return items[i].CreatedAt.Before(items[j].CreatedAt)
		}
		return items[i].ID < items[j].ID
	})
}
