package media

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeBody(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"  hello\r\nworld  ", "hello\nworld", true},
		{"tab\tand\nnewline", "tab\tand\nnewline", true},
		{strings.Repeat("é", MaxCommentLen), strings.Repeat("é", MaxCommentLen), true},
		{"<script>alert(1)</script>", "<script>alert(1)</script>", true}, // stored as text, escaped on output
		{"", "", false},
		{" \n\t", "", false},
		{strings.Repeat("x", MaxCommentLen+1), "", false},
		{"bell\a", "", false},
		{"nul\x00", "", false},
		{"bad \xff utf8", "", false},
	} {
		got, err := NormalizeBody(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeBody(%.20q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("code = %s", ErrorCode(err))
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"  Ann ", "Ann", true},
		{strings.Repeat("ñ", MaxNameLen), strings.Repeat("ñ", MaxNameLen), true},
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("n", MaxNameLen+1), "", false},
		{"Ann\nAdmin", "", false},
		{"Ann\u202Eevil", "", false}, // right-to-left override
		{"Ann\u2066x", "", false},
	} {
		got, err := NormalizeName(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCheckTimes(t *testing.T) {
	for _, tc := range []struct {
		t, end, dur    int64
		wantT, wantEnd int64
		ok             bool
	}{
		{0, 0, 0, 0, 0, true},
		{1, 0, 0, 0, 0, false}, // duration unknown: only 0
		{0, 10, 0, 0, 0, false},
		{5000, 0, 10000, 5000, 0, true},
		{10000, 0, 10000, 10000, 0, true},
		{10000 + TimeSlackMs, 0, 10000, 10000, 0, true}, // clamped
		{10000 + TimeSlackMs + 1, 0, 10000, 0, 0, false},
		{-1, 0, 10000, 0, 0, false},
		{1000, 2000, 10000, 1000, 2000, true},
		{1000, 1000, 10000, 0, 0, false},
		{1000, 900, 10000, 0, 0, false},
		{9000, 10500, 10000, 9000, 10000, true},
		{10000, 10500, 10000, 0, 0, false}, // clamped end equals start
	} {
		gt, ge, err := checkTimes(tc.t, tc.end, tc.dur)
		if (err == nil) != tc.ok || gt != tc.wantT || ge != tc.wantEnd {
			t.Errorf("checkTimes(%d, %d, %d) = %d, %d, %v; want %d, %d, ok=%v", tc.t, tc.end, tc.dur, gt, ge, err, tc.wantT, tc.wantEnd, tc.ok)
		}
	}
}

func TestNormalizeEmoji(t *testing.T) {
	if e, ok := NormalizeEmoji("❤"); !ok || e != "❤️" {
		t.Fatalf("heart without selector = %q %v", e, ok)
	}
	for _, e := range ReactionEmoji {
		if got, ok := NormalizeEmoji(e); !ok || got != e {
			t.Fatalf("%q refused", e)
		}
	}
	for _, e := range []string{"", "x", "💩", "👍👍", "<b>"} {
		if _, ok := NormalizeEmoji(e); ok {
			t.Fatalf("%q accepted", e)
		}
	}
}

func TestSecretsAndAuthorship(t *testing.T) {
	s := NewGuestSecret()
	if !ValidSecret(s) || len(s) != 22 {
		t.Fatalf("guest secret %q", s)
	}
	if ValidSecret("short") || ValidSecret(strings.Repeat("a", 129)) || ValidSecret(strings.Repeat("a", 21)+"!") {
		t.Fatal("malformed secret accepted")
	}
	v := &Video{OwnerID: "u1"}
	other := &Video{OwnerID: "u2"}
	owner := Actor{UserID: "u1"}
	if !owner.OwnerOf(v) || owner.OwnerOf(other) || owner.OwnerOf(nil) || (Actor{}).OwnerOf(&Video{}) {
		t.Fatal("OwnerOf wrong")
	}
	if admin := (Actor{UserID: "u3", Admin: true}); !admin.OwnerOf(v) || !admin.OwnerOf(other) {
		t.Fatal("an admin is not the owner of every video")
	}
	if (Actor{UserID: "u1"}).OwnerOf(&Video{}) {
		t.Fatal("a video without an owner is someone's")
	}
	guest := Actor{GuestSecret: s}
	c := &Comment{GuestSecretHash: HashSecret(s)}
	if !c.AuthoredBy(guest, v) || c.AuthoredBy(Actor{GuestSecret: NewGuestSecret()}, v) || c.AuthoredBy(Actor{}, v) || c.AuthoredBy(owner, v) {
		t.Fatal("guest authorship wrong")
	}
	oc := &Comment{ByOwner: true}
	if !oc.AuthoredBy(owner, v) || oc.AuthoredBy(owner, other) || oc.AuthoredBy(owner, nil) || oc.AuthoredBy(guest, v) {
		t.Fatal("owner authorship wrong")
	}
	// A comment without a secret (the owner's) is nobody's by secret.
	if (&Comment{}).AuthoredBy(Actor{GuestSecret: ""}, v) {
		t.Fatal("empty secret matched")
	}
	r := &Reaction{ReactorHash: HashSecret(s)}
	if !r.ReactedBy(guest) || r.ReactedBy(Actor{}) || r.ReactedBy(owner) {
		t.Fatal("reaction ownership wrong")
	}
}

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewRateLimiter(Rate{Burst: 3, Every: 2 * time.Second})
	l.Now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 2*time.Second {
		t.Fatalf("over the burst: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(time.Second)
	if ok, wait := l.Allow("a"); ok || wait != time.Second {
		t.Fatalf("half refilled: %v, wait %v", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("not refilled after Every")
	}
	l.Refund("a")
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refund lost")
	}
	// Full buckets are forgotten after a refill period.
	now = now.Add(time.Hour)
	l.Allow("c")
	if n := l.Len(); n != 1 {
		t.Fatalf("%d buckets kept, want 1", n)
	}
	var nilLimiter *RateLimiter
	if ok, _ := nilLimiter.Allow("x"); !ok {
		t.Fatal("nil limiter refused")
	}
	never := NewRateLimiter(Rate{Burst: 1})
	never.Allow("k")
	if ok, wait := never.Allow("k"); ok || wait <= 0 {
		t.Fatal("a bucket without refill refilled")
	}
}

func TestCommentHubDropsSlowSubscribers(t *testing.T) {
	h := NewCommentHub()
	fast := h.Subscribe("v")
	slow := h.Subscribe("v")
	elsewhere := h.Subscribe("w")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(1); i <= commentSubBuffer+10; i++ {
			h.Publish(&CommentEvent{Seq: i, VideoID: "v"})
			<-fast.C // a subscriber that keeps up
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	select {
	case <-slow.Gone():
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	// What it got before being dropped is in order and complete.
	for i := int64(1); i <= commentSubBuffer; i++ {
		if ev := <-slow.C; ev.Seq != i {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	select {
	case <-fast.Gone():
		t.Fatal("the fast subscriber was dropped")
	default:
	}
	if n := h.Subscribers("v"); n != 1 {
		t.Fatalf("%d subscribers left, want 1", n)
	}
	if len(elsewhere.C) != 0 {
		t.Fatal("another video's subscriber got events")
	}
	slow.Close() // after being dropped: harmless
	fast.Close()
	elsewhere.Close()
	if h.Subscribers("v")+h.Subscribers("w") != 0 {
		t.Fatal("subscriptions left after Close")
	}
	var nilHub *CommentHub
	s := nilHub.Subscribe("v")
	nilHub.Publish(&CommentEvent{VideoID: "v"})
	s.Close()
}
