package api

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Notifications: the inbox behind the bell (with a live unread count over
// SSE), follows, the "new since my last visit" marks, people's hours, and
// the signed links in emails (unsubscribe, confirm a guest's address) that
// work without signing in. The rules live in media.Notifier.

func (s *Server) notifier(c *gin.Context) (*media.Notifier, bool) {
	if s.opt.Notify == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Notifications are not set up on this server."))
		return nil, false
	}
	return s.opt.Notify, true
}

// notifierFor is the preamble of the inbox handlers: the notifier and the
// caller, whom the routes' signedIn guard has already required. ok is false
// when the answer has been written.
func (s *Server) notifierFor(c *gin.Context) (*media.Notifier, *media.User, bool) {
	n, ok := s.notifier(c)
	if !ok {
		return nil, nil, false
	}
	return n, s.currentUser(c), true
}

// videoNotifier is the preamble of the per-video handlers (follow, seen):
// the notifier, the video the caller may watch, and the caller, nil for a
// guest because each handler answers guests its own way. ok is false when
// the answer has been written.
func (s *Server) videoNotifier(c *gin.Context) (*media.Notifier, *media.Video, *media.User, bool) {
	n, ok := s.notifier(c)
	if !ok {
		return nil, nil, nil, false
	}
	v, ok := s.video(c)
	if !ok {
		return nil, nil, nil, false
	}
	return n, v, s.currentUser(c), true
}

type notificationJSON struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	VideoID   string `json:"videoId"`
	VideoSlug string `json:"videoSlug"`
	Title     string `json:"title"`
	CommentID string `json:"commentId,omitempty"`
	Actor     string `json:"actor"`
	Text      string `json:"text"`
	TimeMs    int64  `json:"timeMs"`
	Urgent    bool   `json:"urgent"`
	URL       string `json:"url"`
	CreatedAt string `json:"createdAt"`
	ReadAt    string `json:"readAt"`
}

func (s *Server) toNotificationJSON(n *media.Notification) notificationJSON {
	u := n.Link
	if n.VideoSlug != "" {
		u = media.MomentURL("", n.VideoSlug, n.TimeMs)
	}
	var readAt string
	if !n.ReadAt.IsZero() {
		readAt = timeJSON(n.ReadAt)
	}
	return notificationJSON{
		ID: n.ID, Kind: string(n.Kind), VideoID: n.VideoID, VideoSlug: n.VideoSlug, Title: n.Title, CommentID: n.CommentID,
		Actor: n.Actor, Text: n.Text, TimeMs: n.TimeMs, Urgent: n.Urgent, URL: u, CreatedAt: timeJSON(n.CreatedAt), ReadAt: readAt,
	}
}

// listNotifications pages through the caller's inbox, newest first.
func (s *Server) listNotifications(c *gin.Context) {
	n, u, ok := s.notifierFor(c)
	if !ok {
		return
	}
	limit := 30
	if l := c.Query("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > 100 {
			s.badRequest(c, "limit must be a number from 1 to 100.")
			return
		}
		limit = v
	}
	before := c.Query("before")
	if len(before) > 64 {
		s.badRequest(c, "before is not a notification id.")
		return
	}
	items, unread, err := n.Store.Notifications(c.Request.Context(), u.ID, before, limit+1)
	if err != nil {
		s.writeError(c, err)
		return
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = items[limit-1].ID
	}
	out := make([]notificationJSON, len(items))
	for i, it := range items {
		out[i] = s.toNotificationJSON(it)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": out, "unread": unread, "next": next})
}

type markReadRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

// markNotificationsRead marks some or all of the caller's notifications
// read.
func (s *Server) markNotificationsRead(c *gin.Context) {
	n, u, ok := s.notifierFor(c)
	if !ok {
		return
	}
	var req markReadRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if err := n.MarkRead(c.Request.Context(), u.ID, req.IDs, req.All); err != nil {
		s.writeError(c, err)
		return
	}
	unread, err := n.Store.UnreadCount(c.Request.Context(), u.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"unread": unread})
}

// notificationEvents streams the caller's unread count: one "unread" event
// at once and another whenever it changes.
func (s *Server) notificationEvents(c *gin.Context) {
	n, u, ok := s.notifierFor(c)
	if !ok {
		return
	}
	sig, stop := n.Inbox.Subscribe(u.ID)
	defer stop()
	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\n\n")
	rc := http.NewResponseController(w)
	last := -1
	send := func() bool {
		count, err := n.Store.UnreadCount(c.Request.Context(), u.ID)
		if err != nil {
			return c.Request.Context().Err() == nil
		}
		if count == last {
			return true
		}
		last = count
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := fmt.Fprintf(w, "event: unread\ndata: {\"unread\":%d}\n\n", count); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	if !send() {
		return
	}
	ka := time.NewTicker(sseKeepAlive)
	defer ka.Stop()
	for {
		select {
		case <-c.Request.Context().Done():
			return
		case <-s.done:
			return
		case <-sig:
			if !send() {
				return
			}
		case <-ka.C:
			_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
			if _, err := fmt.Fprintf(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.Flush()
		}
	}
}

// newCommentCounts answers, for the library, how many unread comment
// notifications each listed video has.
func (s *Server) newCommentCounts(c *gin.Context) {
	n, u, ok := s.notifierFor(c)
	if !ok {
		return
	}
	var ids []string
	for _, id := range strings.Split(c.Query("videoIds"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 200 {
		s.badRequest(c, "Ask for at most 200 videos at once.")
		return
	}
	counts, err := n.Store.NewCommentCounts(c.Request.Context(), u.ID, ids)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"counts": counts})
}

// firstView is the view signal for notifications: a counted watch-page
// load tells the owner of the first view (and of each named member's).
func (s *Server) firstView(c *gin.Context, v *media.Video) {
	if s.opt.Notify == nil {
		return
	}
	id, name := "", ""
	if u := s.currentUser(c); u != nil {
		id, name = u.ID, u.Name
	}
	if err := s.opt.Notify.VideoViewed(c.Request.Context(), v, id, name); err != nil {
		s.log.Warn("notifications: plan view", "video_id", v.ID, "err", err)
	}
}

/* ---------- Following and "new" marks ---------- */

func (s *Server) followState(c *gin.Context) {
	n, v, u, ok := s.videoNotifier(c)
	if !ok {
		return
	}
	if u == nil {
		c.JSON(http.StatusOK, gin.H{"following": false, "signedIn": false})
		return
	}
	on, err := n.Following(c.Request.Context(), v, u.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"following": on, "signedIn": true})
}

func (s *Server) setFollow(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		n, v, u, ok := s.videoNotifier(c)
		if !ok {
			return
		}
		if u == nil {
			s.writeError(c, media.Errorf(media.EUNAUTHORIZED, "Sign in to follow a video."))
			return
		}
		if err := n.Follow(c.Request.Context(), v.ID, u.ID, on); err != nil {
			s.writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"following": on})
	}
}

// markSeen records the caller's visit to a video and returns the previous
// one, so the page marks what is new since.
func (s *Server) markSeen(c *gin.Context) {
	n, v, u, ok := s.videoNotifier(c)
	if !ok {
		return
	}
	if u == nil {
		c.JSON(http.StatusOK, gin.H{"lastSeenAt": ""})
		return
	}
	prev, err := n.Store.SeenVideo(c.Request.Context(), u.ID, v.ID, time.Now())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"lastSeenAt": timeJSON(prev)})
}

/* ---------- People's hours (GET/PATCH /api/auth/me) ---------- */

type workingHoursJSON struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// notifySettings is the part of /api/auth/me about notifications.
func (s *Server) notifySettings(c *gin.Context, u *media.User) gin.H {
	n := s.opt.Notify
	if n == nil {
		return gin.H{}
	}
	p, set, err := n.PrefsOf(c.Request.Context(), u.ID)
	if err != nil {
		s.log.Warn("read notification settings", "user_id", u.ID, "err", err)
		d := n.Defaults()
		p = &d
	}
	sched := n.ScheduleOf(p)
	now := time.Now().In(sched.Zone)
	return gin.H{
		"timeZone":     p.TimeZone,
		"workingHours": workingHoursJSON{Days: p.Hours.DayList(), Start: media.FormatClock(p.Hours.Start), End: media.FormatClock(p.Hours.End)},
		"emailMode":    string(p.EmailMode),
		"hoursSet":     set,
		"emailEnabled": n.EmailEnabled(),
		"localTime":    now.Format("15:04"),
		"hoursText":    p.Hours.Describe(),
	}
}

// notifyPatch holds the notification fields of PATCH /api/auth/me.
type notifyPatch struct {
	TimeZone     *string           `json:"timeZone"`
	WorkingHours *workingHoursJSON `json:"workingHours"`
	EmailMode    *string           `json:"emailMode"`
}

func (p notifyPatch) empty() bool {
	return p.TimeZone == nil && p.WorkingHours == nil && p.EmailMode == nil
}

// applyNotifyPatch validates and stores the fields; it answers the request
// itself on error.
func (s *Server) applyNotifyPatch(c *gin.Context, u *media.User, p notifyPatch) bool {
	if p.empty() {
		return true
	}
	n, ok := s.notifier(c)
	if !ok {
		return false
	}
	var hours *media.WorkingHours
	if p.WorkingHours != nil {
		h, err := media.NewWorkingHours(p.WorkingHours.Days, p.WorkingHours.Start, p.WorkingHours.End)
		if err != nil {
			s.writeError(c, err)
			return false
		}
		hours = &h
	}
	var mode *media.EmailMode
	if p.EmailMode != nil {
		m := media.EmailMode(*p.EmailMode)
		mode = &m
	}
	if _, err := n.SetPrefs(c.Request.Context(), u.ID, p.TimeZone, hours, mode); err != nil {
		s.writeError(c, err)
		return false
	}
	return true
}

/* ---------- Signed links from emails ---------- */

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Baton</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
@media (prefers-color-scheme:dark){body{color:#eee;background:#111}}button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>`))

func (s *Server) linkPage(c *gin.Context, status int, title, text, button string) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	_ = linkPage.Execute(c.Writer, gin.H{"Title": title, "Text": text, "Form": button != "", "Button": button})
}

// unsubscribe stops email for the recipient a signed link names. GET shows
// a button (link scanners follow GETs); POST, from that button or a mail
// client's one-click (RFC 8058), does it. No sign-in needed.
func (s *Server) unsubscribe(c *gin.Context) {
	n, ok := s.notifier(c)
	if !ok {
		return
	}
	r, sig := c.Query("r"), c.Query("s")
	if c.Request.Method == http.MethodGet {
		s.linkPage(c, http.StatusOK, "Unsubscribe", "Stop email notifications from Baton to this address? The in-app inbox keeps working.", "Unsubscribe")
		return
	}
	if err := n.Unsubscribe(c.Request.Context(), r, sig); err != nil {
		if strings.Contains(c.GetHeader("Accept"), "text/html") {
			status, d := errorStatus(err)
			s.linkPage(c, status, "Unsubscribe", d.Message, "")
			return
		}
		s.writeError(c, err)
		return
	}
	if strings.Contains(c.GetHeader("Accept"), "text/html") {
		s.linkPage(c, http.StatusOK, "Unsubscribed", "You will get no more email notifications. Members can turn them back on from their account page.", "")
		return
	}
	c.JSON(http.StatusOK, gin.H{"unsubscribed": true})
}

// confirmGuestEmail confirms a guest's address from the link in the first
// email.
func (s *Server) confirmGuestEmail(c *gin.Context) {
	n, ok := s.notifier(c)
	if !ok {
		return
	}
	if _, err := n.ConfirmGuest(c.Request.Context(), c.Query("g"), c.Query("s")); err != nil {
		status, d := errorStatus(err)
		s.linkPage(c, status, "Confirm your email", d.Message, "")
		return
	}
	s.linkPage(c, http.StatusOK, "Email confirmed", "Thanks. Replies to your comments will reach you by email; every email has a link to stop them.", "")
}
