package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/webhook"
)

// verify is a reference verification of a Standard Webhooks request,
// written from the specification rather than from the signing code: the
// signed content is "{webhook-id}.{webhook-timestamp}.{body}", the key is
// the base64 part of the "whsec_" secret decoded, the signature header is a
// space-separated list of "v1,<base64 HMAC-SHA256>" of which one must
// match (compared in constant time), and the timestamp must be within five
// minutes of now to stop replays.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp outside tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

type receiver struct {
	mu       sync.Mutex
	failures int // answer 500 this many times first
	reqs     []*http.Request
	bodies   [][]byte
	at       []time.Time // the (fake) time each request arrived
	now      func() time.Time
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.bodies = append(r.bodies, b)
	if r.now != nil {
		r.at = append(r.at, r.now())
	}
	if len(r.reqs) <= r.failures {
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	db    *gormstore.DB
	n     *media.Notifier
	clock *clock
	owner *media.User
	video *media.Video
}

func newEnv(t *testing.T, allowPrivate bool) *env {
	t.Helper()
	db, err := gormstore.Open(context.Background(), filepath.Join(t.TempDir(), "baton.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Now().UTC()}
	p := webhook.New(allowPrivate)
	n := &media.Notifier{Store: db, Videos: db, Users: db, Hooks: p, CheckURL: p.CheckURL, Clock: c.now, Key: []byte("k"),
		Config: media.NotifyConfig{PublicURL: "http://baton.test"}, Inbox: media.NewInboxHub()}
	u := &media.User{ID: media.NewID(), Email: "olga@example.com", Name: "Olga", Role: media.RoleMember, PasswordHash: "x", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateUser(context.Background(), u, ""); err != nil {
		t.Fatal(err)
	}
	u, _ = db.User(context.Background(), u.ID)
	v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: "Q3 plan", Status: media.StatusReady, OwnerID: u.ID, DurationMs: 120000}
	if err := db.CreateVideo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	return &env{db: db, n: n, clock: c, owner: u, video: v}
}

// A receiver that fails twice and then succeeds gets the event delivered
// once, every attempt correctly signed with the same message id, and the
// delivery log shows three attempts.
func TestFailTwiceThenSucceed(t *testing.T) {
	e := newEnv(t, true)
	rcv := &receiver{failures: 2, now: e.clock.now}
	ts := httptest.NewServer(rcv)
	defer ts.Close()
	ctx := context.Background()
	h, err := e.n.CreateWebhook(ctx, e.owner, media.WebhookInput{URL: ts.URL + "/hook", Events: []string{media.EventCommentCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Secret, "whsec_") {
		t.Fatalf("secret %q", h.Secret)
	}
	comments := media.NewComments(e.db, e.db, media.NewBroker())
	comments.Notify = e.n
	c, _, err := comments.Create(ctx, e.video.ID, media.Actor{GuestSecret: media.NewGuestSecret()}, media.CommentInput{Body: "Ship it", GuestName: "Gus", TimeMs: 83000, HasTime: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []time.Duration{0, 5 * time.Second, 5 * time.Minute, time.Hour, 10 * time.Hour} {
		e.clock.add(step)
		if _, _, err := e.n.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(rcv.reqs))
	}
	for i, req := range rcv.reqs {
		if err := verify(h.Secret, req.Header, rcv.bodies[i], rcv.at[i]); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if req.Header.Get("webhook-id") != rcv.reqs[0].Header.Get("webhook-id") {
			t.Fatal("retries changed the message id")
		}
	}
	if err := verify(h.Secret, rcv.reqs[0].Header, append(rcv.bodies[0], ' '), rcv.at[0]); err == nil {
		t.Fatal("the reference verifier accepted a changed body")
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			VideoID string `json:"videoId"`
			Comment struct {
				ID, Body, URL string
			} `json:"comment"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rcv.bodies[2], &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != media.EventCommentCreated || body.Data.VideoID != e.video.ID || body.Data.Comment.ID != c.ID ||
		body.Data.Comment.URL != "http://baton.test/v/"+e.video.Slug+"?t=83" {
		t.Fatalf("body = %s", rcv.bodies[2])
	}
	ds, err := e.db.WebhookDeliveries(ctx, h.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].State != media.DeliveryDelivered || len(ds[0].Log) != 3 {
		t.Fatalf("deliveries = %+v", ds)
	}
	for i, want := range []int{500, 500, 204} {
		a := ds[0].Log[i]
		if a.StatusCode != want || (i < 2) != !a.NextRetry.IsZero() {
			t.Fatalf("attempt %d = %+v, want status %d", i+1, a, want)
		}
	}
	if got := ds[0].Log[1].NextRetry.Sub(ds[0].Log[1].At); got != 5*time.Minute {
		t.Fatalf("second retry after %v, want 5m", got)
	}
}

func TestSlackFormat(t *testing.T) {
	e := newEnv(t, true)
	rcv := &receiver{}
	ts := httptest.NewServer(rcv)
	defer ts.Close()
	ctx := context.Background()
	h, err := e.n.CreateWebhook(ctx, e.owner, media.WebhookInput{URL: ts.URL, Events: []string{media.EventCommentCreated}, Format: "slack"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.n.TestWebhook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.n.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if len(rcv.bodies) != 1 {
		t.Fatalf("%d requests", len(rcv.bodies))
	}
	if err := json.Unmarshal(rcv.bodies[0], &body); err != nil || body.Text == "" || len(body.Blocks) != 2 {
		t.Fatalf("slack body %s (%v)", rcv.bodies[0], err)
	}
}

func TestPrivateAddressesAreRefused(t *testing.T) {
	e := newEnv(t, false)
	rcv := &receiver{}
	ts := httptest.NewServer(rcv)
	defer ts.Close()
	ctx := context.Background()
	for _, u := range []string{ts.URL, "http://localhost:9/x", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://192.168.1.1/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"} {
		_, err := e.n.CreateWebhook(ctx, e.owner, media.WebhookInput{URL: u, Events: []string{media.EventVideoReady}})
		if media.ErrorCode(err) != media.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", u, err)
		}
	}
	// At delivery the dialer checks again, after resolution: a name that
	// now resolves to loopback is refused before any byte is sent.
	p := webhook.New(false)
	for _, u := range []string{ts.URL, strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)} {
		if _, err := p.Post(ctx, u, nil, []byte("{}")); err == nil {
			t.Errorf("%s: posted", u)
		}
	}
	if len(rcv.reqs) != 0 {
		t.Fatalf("receiver got %d requests", len(rcv.reqs))
	}
	for _, ok := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"} {
		if webhook.Blocked(netip.MustParseAddr(ok)) {
			t.Errorf("%s blocked", ok)
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	rcv := &receiver{}
	target := httptest.NewServer(rcv)
	defer target.Close()
	redir := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redir.Close()
	status, err := webhook.New(true).Post(context.Background(), redir.URL, nil, []byte("{}"))
	if err != nil || status != http.StatusTemporaryRedirect || len(rcv.reqs) != 0 {
		t.Fatalf("status %d, err %v, followed %d", status, err, len(rcv.reqs))
	}
}

func TestWebhookInputIsChecked(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	for _, in := range []media.WebhookInput{
		{URL: "ftp://x", Events: []string{media.EventVideoReady}},
		{URL: "http://user:pw@example.com", Events: []string{media.EventVideoReady}},
		{URL: "http://example.com", Events: nil},
		{URL: "http://example.com", Events: []string{"video.exploded"}},
		{URL: "http://example.com", Events: []string{media.EventVideoReady}, Format: "xml"},
	} {
		if _, err := e.n.CreateWebhook(ctx, e.owner, in); media.ErrorCode(err) != media.EINVALID {
			t.Errorf("%+v: err = %v", in, err)
		}
	}
	member := &media.User{ID: media.NewID(), Role: media.RoleMember}
	if _, err := e.n.CreateWebhook(ctx, member, media.WebhookInput{URL: "http://example.com", Events: []string{media.EventVideoReady}, Workspace: true}); media.ErrorCode(err) != media.ENOTALLOWED {
		t.Errorf("member workspace webhook: %v", err)
	}
}
