package media

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// A recorded reply opens for whoever may watch the video it replies in,
// never for more (managing it is its recorder's), and a password on the
// parent hides it too.
func TestReplyAccess(t *testing.T) {
	for _, tc := range []struct {
		own, parent, want Access
	}{
		{AccessManage, AccessNone, AccessManage},
		{AccessNone, AccessManage, AccessWatch},
		{AccessNone, AccessWatch, AccessWatch},
		{AccessNone, AccessPassword, AccessNone},
		{AccessNone, AccessNone, AccessNone},
	} {
		if got := ReplyAccess(tc.own, tc.parent); got != tc.want {
			t.Errorf("ReplyAccess(%v, %v) = %v, want %v", tc.own, tc.parent, got, tc.want)
		}
	}
}

func TestCreateReplyRefuses(t *testing.T) {
	s := &Service{}
	parent := &Video{ID: NewID(), Title: strings.Repeat("é", MaxTitleLen)}
	for _, tc := range []struct {
		name   string
		parent *Video
		kind   ReplyKind
		code   string
	}{
		{"unknown kind", parent, "music", EINVALID},
		{"a reply", &Video{ID: NewID(), ReplyTo: parent.ID}, ReplyVoice, EINVALID},
		{"comments off", &Video{ID: NewID(), CommentsOff: true}, ReplyVoice, ECOMMENTSOFF},
	} {
		if _, err := s.CreateReply(t.Context(), "u", tc.parent, tc.kind); ErrorCode(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.code)
		}
	}
}

type oneVideo struct {
	VideoStore
	got *Video
}

func (s *oneVideo) CreateVideo(_ context.Context, v *Video) error { s.got = v; return nil }

// A reply is private on its own, titled after its parent within the title
// limit.
func TestCreateReplyTitleAndSharing(t *testing.T) {
	store := &oneVideo{}
	s := &Service{Videos: store}
	parent := &Video{ID: NewID(), Title: strings.Repeat("é", MaxTitleLen)}
	v, err := s.CreateReply(t.Context(), "u", parent, ReplyVoice)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(v.Title); n != MaxTitleLen || !strings.HasPrefix(v.Title, "Voice reply to “") || !strings.HasSuffix(v.Title, "…”") {
		t.Fatalf("title = %q (%d runes)", v.Title, n)
	}
	if _, err := NormalizeTitle(v.Title); err != nil {
		t.Fatal(err)
	}
	if v.Sharing.EffectiveVisibility() != VisibilityPrivate || v.ReplyTo != parent.ID || v.ReplyKind != ReplyVoice || v.OwnerID != "u" {
		t.Fatalf("reply = %+v", v)
	}
}

// Where a recording cannot play (emails, the inbox, captions) the text
// says it is there.
func TestTextWithRecording(t *testing.T) {
	for _, tc := range []struct {
		c    Comment
		want string
	}{
		{Comment{Body: "plain"}, "plain"},
		{Comment{Body: "", Attachment: &Attachment{Kind: ReplyVoice}}, "[voice reply]"},
		{Comment{Body: "see this", Attachment: &Attachment{Kind: ReplyScreen}}, "see this [screen reply]"},
	} {
		if got := tc.c.TextWithRecording(); got != tc.want {
			t.Errorf("TextWithRecording(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

// Only recorded replies are cut at a length of their own; processing and
// the live path both pass LengthLimit to the transcoder.
func TestReplyLengthLimit(t *testing.T) {
	if got := (&Video{ReplyTo: NewID()}).LengthLimit(); got != MaxReplyLength {
		t.Errorf("reply LengthLimit = %v, want %v", got, MaxReplyLength)
	}
	if got := (&Video{}).LengthLimit(); got != 0 {
		t.Errorf("ordinary video LengthLimit = %v, want 0", got)
	}
}
