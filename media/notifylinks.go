package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Signed links in emails (one-click unsubscribe, address confirmation),
// moment links, and the data webhooks carry.

func (n *Notifier) sign(purpose, subject string) string {
	m := hmac.New(sha256.New, n.Key)
	m.Write([]byte(purpose + "\x00" + subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// UnsubscribeURL is the one-click link that stops a recipient's email.
func (n *Notifier) UnsubscribeURL(recipient string) string {
	return n.base() + "/email/unsubscribe?r=" + recipient + "&s=" + n.sign("unsubscribe", recipient)
}

// ConfirmURL is the link that confirms a guest's address.
func (n *Notifier) ConfirmURL(guestID string) string {
	return n.base() + "/email/confirm?g=" + guestID + "&s=" + n.sign("confirm", guestID)
}

// Unsubscribe stops email to the recipient the signed link names:
// members' email mode becomes off, a guest's address is never mailed
// again. EINVALID for a bad signature.
func (n *Notifier) Unsubscribe(ctx context.Context, recipient, sig string) error {
	if !hmac.Equal([]byte(sig), []byte(n.sign("unsubscribe", recipient))) {
		return Errorf(EINVALID, "This unsubscribe link is not valid.")
	}
	kind, id := SplitRecipient(recipient)
	switch kind {
	case "user":
		p, err := n.Store.Prefs(ctx, id)
		if err != nil {
			return err
		}
		if p == nil {
			d := n.Defaults()
			p = &d
		}
		p.EmailMode = EmailOff
		return n.Store.SetPrefs(ctx, id, p)
	case "guest":
		_, err := n.Store.UpdateGuestEmail(ctx, id, func(g *GuestEmail) error {
			g.Unsubscribed = true
			return nil
		})
		return err
	}
	return Errorf(EINVALID, "This unsubscribe link is not valid.")
}

// ConfirmGuest confirms the address the signed link names.
func (n *Notifier) ConfirmGuest(ctx context.Context, guestID, sig string) (*GuestEmail, error) {
	if !hmac.Equal([]byte(sig), []byte(n.sign("confirm", guestID))) {
		return nil, Errorf(EINVALID, "This confirmation link is not valid.")
	}
	return n.Store.UpdateGuestEmail(ctx, guestID, func(g *GuestEmail) error {
		if g.ConfirmedAt.IsZero() {
			g.ConfirmedAt = n.now()
		}
		return nil
	})
}

// MomentURL opens a video at a time.
func MomentURL(base, slug string, timeMs int64) string {
	u := base + "/v/" + slug
	if timeMs > 0 {
		u += "?t=" + itoa(timeMs/1000)
	}
	return u
}

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

func videoData(v *Video, base string) map[string]any {
	return map[string]any{
		"videoId": v.ID, "title": v.Title, "url": base + "/v/" + v.Slug,
	}
}

func commentData(v *Video, c *Comment, base string) map[string]any {
	d := videoData(v, base)
	d["comment"] = map[string]any{
		"id": c.ID, "parentId": c.ParentID, "body": c.Body, "author": c.AuthorName,
		"timeMs": c.TimeMs, "url": MomentURL(base, v.Slug, c.TimeMs), "resolved": c.Resolved,
	}
	return d
}
