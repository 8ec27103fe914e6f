// Package notifytest builds the small world that notification, ask and
// check-in tests share: a real SMTP server (smtptest) behind the real mail
// adapter, a clock the test moves, and media's Notifier, Comments and Asks
// wired to a store the caller opened. The caller opens the store so that
// each suite keeps its own choice of database (gormstore's tests run on
// SQLite and again on Postgres).
package notifytest

import (
	"context"
	"io"
	"mime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/smtpmail"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

// Clock is a clock the test sets; Now is a media.Clock. Safe for the
// senders that read it from other goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock on by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Store is what the world needs of the caller's store.
type Store interface {
	media.NotifyStore
	media.VideoStore
	media.UserStore
	media.CommentStore
	media.AskStore
}

// World is a store with notifications, comments and asks wired as
// cmd/baton wires them, mail going to a real SMTP server, and time
// standing still until the test moves Clock. S is the caller's store
// type, so a test can hand DB on to what the world does not build.
type World[S Store] struct {
	DB       S
	Notifier *media.Notifier
	Comments *media.Comments
	Asks     *media.Asks
	Clock    *Clock
	SMTP     *smtptest.Server
}

// New starts an SMTP server shaped by opt (with STARTTLS the adapter uses
// it and trusts the server's certificate; otherwise it sends in clear) and
// builds the world on db with the clock at start. Email is bundled for 2
// minutes; people who set no hours work the default ones.
func New[S Store](tb testing.TB, db S, start time.Time, opt smtptest.Options) *World[S] {
	tb.Helper()
	srv := smtptest.Start(tb, opt)
	url := "smtp://" + srv.Addr + "?tls=none"
	if opt.STARTTLS {
		url = "smtp://" + srv.Addr
	}
	m, err := smtpmail.New(url, "baton@example.com")
	if err != nil {
		tb.Fatal(err)
	}
	if opt.STARTTLS {
		m.TLS = srv.Roots
	}
	m.Timeout = 5 * time.Second
	clock := NewClock(start)
	n := &media.Notifier{
		Store: db, Videos: db, Users: db, Mailer: m, Clock: clock.Now, Key: []byte("test key"),
		Config: media.NotifyConfig{Bundle: 2 * time.Minute, PublicURL: "http://baton.test", DefaultHours: media.DefaultWorkingHours},
		Inbox:  media.NewInboxHub(),
	}
	c := media.NewComments(db, db, media.NewBroker())
	c.Notify = n
	a := &media.Asks{Store: db, Videos: db, Users: db, Notify: n, Clock: clock.Now}
	return &World[S]{DB: db, Notifier: n, Comments: c, Asks: a, Clock: clock, SMTP: srv}
}

// Member creates a member called name at name@example.com (lower case);
// with a zone, they work hours there ("mon-fri 09:00-17:00"), otherwise
// the workspace default.
func (w *World[S]) Member(tb testing.TB, name, zone, hours string) *media.User {
	tb.Helper()
	now := time.Now().UTC()
	u := &media.User{ID: media.NewID(), Email: strings.ToLower(name) + "@example.com", Name: name, Role: media.RoleMember,
		PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	if err := w.DB.CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatal(err)
	}
	if zone != "" {
		h, err := media.ParseWorkingHours(hours)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Notifier.SetPrefs(context.Background(), u.ID, &zone, &h, nil); err != nil {
			tb.Fatal(err)
		}
	}
	return u
}

// Video creates a ready two-minute video, "Weekly update", owned by owner.
func (w *World[S]) Video(tb testing.TB, owner *media.User) *media.Video {
	tb.Helper()
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "Weekly update", Status: media.StatusReady, OwnerID: owner.ID, DurationMs: 120000}
	if err := w.DB.CreateVideo(context.Background(), v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// Comment posts body by the member at ms into v (in carries a parent,
// urgency and so on), planning its notifications as the API would.
func (w *World[S]) Comment(tb testing.TB, v *media.Video, by *media.User, body string, ms int64, in media.CommentInput) *media.Comment {
	tb.Helper()
	in.Body, in.TimeMs, in.HasTime = body, ms, true
	c, _, err := w.Comments.Create(context.Background(), v.ID, media.Actor{UserID: by.ID, Name: by.Name}, in)
	if err != nil {
		tb.Fatal(err)
	}
	w.Plan(tb)
	return c
}

// Plan runs the notification planner over the committed comment events, as
// the running planner loop does as soon as a comment commits
// (EventsCommitted wakes it), at the clock's time.
func (w *World[S]) Plan(tb testing.TB) {
	tb.Helper()
	if _, err := w.Notifier.PlanEvents(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// Subjects returns, per address, the decoded subjects of the mail received
// so far, in the order it arrived.
func (w *World[S]) Subjects(tb testing.TB) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	for _, m := range w.SMTP.Messages() {
		pm, err := m.Parse()
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, pm.Body)
		subj, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		if err != nil {
			tb.Fatal(err)
		}
		out[m.To[0]] = append(out[m.To[0]], subj)
	}
	return out
}

// ByRecipient groups messages by their first envelope recipient.
func ByRecipient(msgs []smtptest.Message) map[string][]smtptest.Message {
	out := map[string][]smtptest.Message{}
	for _, m := range msgs {
		out[m.To[0]] = append(out[m.To[0]], m)
	}
	return out
}
