package media

import (
	"context"
	"strings"
	"time"
)

// Recorded replies: a comment can carry a short camera, screen or voice
// recording made right in the thread. The recording is an ordinary video
// (created before the first byte, uploaded while it is recorded, processed
// live), owned by whoever recorded it, and marked as a reply to the video
// whose thread it belongs to:
//
//   - it is kept out of libraries: it belongs to the thread, not the shelf;
//   - its own link is private; whoever may watch the parent may watch it
//     (ReplyAccess), so it follows the parent's sharing, also when that
//     changes later;
//   - a comment attaches it once (Comments.Create checks that the caller
//     recorded it, for this video, and that no other comment has it);
//   - deleting the comment, or the parent, deletes it.

// ReplyKind is what a recorded reply shows.
type ReplyKind string

const (
	ReplyCamera ReplyKind = "camera"
	ReplyScreen ReplyKind = "screen"
	// ReplyVoice is sound only. Browsers record it with a small picture of
	// its waveform, so it goes through the same pipeline as every video.
	ReplyVoice ReplyKind = "voice"
)

// ValidReplyKind reports whether k is a kind of recorded reply.
func ValidReplyKind(k ReplyKind) bool {
	return k == ReplyCamera || k == ReplyScreen || k == ReplyVoice
}

// MaxReplyLength is the longest recorded reply the thread offers to record.
const MaxReplyLength = 5 * time.Minute

// LengthLimit is where v's processing cuts it, 0 for no cut below the
// server's own duration limit. The recorder stops a reply at
// MaxReplyLength; the server keeps to it for recorders that do not, and
// cuts rather than refuses, so nothing said within the limit is lost.
func (v *Video) LengthLimit() time.Duration {
	if v.IsReply() {
		return MaxReplyLength
	}
	return 0
}

// IsReply reports whether v is a recorded reply in another video's thread.
func (v *Video) IsReply() bool { return v.ReplyTo != "" }

// Attachment is the recording a comment carries, as it was when the comment
// was read. In comment events only VideoID, Slug and Kind are meaningful:
// clients follow the recording's own state through its link.
type Attachment struct {
	VideoID string
	Slug    string
	Kind    ReplyKind
	// Status, DurationMs and HasPoster are the recording's state.
	Status     Status
	DurationMs int64
	HasPoster  bool
	Width      int
	Height     int
	// Error says why it failed, if it did.
	Error string
}

// AttachmentOf describes the recording v as a comment's attachment.
func AttachmentOf(v *Video) *Attachment {
	return &Attachment{
		VideoID: v.ID, Slug: v.Slug, Kind: v.ReplyKind, Status: v.Status, DurationMs: v.DurationMs,
		HasPoster: v.HasPoster, Width: v.Width, Height: v.Height, Error: v.Error,
	}
}

// ReplyStore finds the recorded replies of a video.
type ReplyStore interface {
	// ReplyRecordings returns the recordings attached to comments of the
	// video parentID.
	ReplyRecordings(ctx context.Context, parentID string) ([]*Video, error)
	// ReplyRecordingsOf returns every recording made as a reply to
	// parentID, attached or not (to delete them with it).
	ReplyRecordingsOf(ctx context.Context, parentID string) ([]string, error)
	// StrayReplies returns recordings made as replies before cutoff that
	// no comment carries (the comment was never posted, or is gone) or
	// whose video is gone.
	StrayReplies(ctx context.Context, cutoff time.Time) ([]string, error)
}

// CreateReply creates the video for a recording that replies in parent's
// thread, owned by ownerID; the caller has checked that the owner may
// comment there. Its own link is private: it is watched through parent
// (ReplyAccess).
func (s *Service) CreateReply(ctx context.Context, ownerID string, parent *Video, kind ReplyKind) (*Video, error) {
	if !ValidReplyKind(kind) {
		return nil, Errorf(EINVALID, "replyTo.kind must be camera, screen or voice.")
	}
	if parent.IsReply() {
		return nil, Errorf(EINVALID, "A recorded reply can't be replied to with a recording; reply in the video's thread.")
	}
	if !parent.CommentsEnabled() {
		return nil, Errorf(ECOMMENTSOFF, "Comments are turned off for this video.")
	}
	what := map[ReplyKind]string{ReplyCamera: "Camera reply", ReplyScreen: "Screen reply", ReplyVoice: "Voice reply"}[kind]
	title := what + " to “" + parent.Title + "”"
	if r := []rune(title); len(r) > MaxTitleLen {
		title = string(r[:MaxTitleLen-2]) + "…”"
	}
	v := &Video{
		ID: NewID(), Slug: NewSlug(), Title: title, Status: StatusCreated, OwnerID: ownerID,
		ReplyTo: parent.ID, ReplyKind: kind,
		Sharing: Sharing{Visibility: VisibilityPrivate},
	}
	if err := s.Videos.CreateVideo(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// ReplyAccess is what viewer may do with v given that parent's thread is
// where v is shown: the recording's owner (and admins) manage it, and
// whoever may watch the parent may watch it. own is v.AccessFor(viewer);
// parentAccess is the parent's AccessFor the same viewer. A password the
// parent asks for hides the recording like everything else of the parent.
func ReplyAccess(own, parentAccess Access) Access {
	if own >= AccessManage {
		return own
	}
	if parentAccess >= AccessWatch {
		return AccessWatch
	}
	return AccessNone
}

// claimAttachment marks the recording id as carried by comment commentID
// of video videoID, checking the rules: the actor recorded it, for this
// video, and no other comment has it.
func (s *Comments) claimAttachment(ctx context.Context, videoID, id, commentID string, a Actor) (*Video, error) {
	if a.isGuest() {
		return nil, Errorf(ENOTALLOWED, "Sign in to reply with a recording.")
	}
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "attachment.videoId must be the id of a recording you made for this reply.")
	}
	return s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		switch {
		case v.OwnerID != a.UserID:
			return Errorf(ENOTALLOWED, "attachment.videoId must be a recording you made; this one is someone else's.")
		case v.ReplyTo == "":
			return Errorf(EINVALID, "attachment.videoId is an ordinary video, not a recording made as a reply (create it with replyTo).")
		case v.ReplyTo != videoID:
			return Errorf(EINVALID, "attachment.videoId was recorded as a reply to another video.")
		case v.ReplyCommentID != "" && v.ReplyCommentID != commentID:
			return Errorf(ECONFLICT, "This recording is already attached to another comment.")
		case v.Status == StatusFailed:
			return Errorf(EINVALID, "This recording failed and can't be attached: %s", v.Error)
		}
		v.ReplyCommentID = commentID
		return nil
	})
}

// releaseAttachment undoes claimAttachment when the comment was not stored.
func (s *Comments) releaseAttachment(ctx context.Context, id, commentID string) {
	_, _ = s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		if v.ReplyCommentID == commentID {
			v.ReplyCommentID = ""
		}
		return nil
	})
}

// withAttachments fills the Attachment of the page's comments that carry a
// recording.
func (s *Comments) withAttachments(ctx context.Context, videoID string, threads []*Comment) error {
	if s.Replies == nil || len(threads) == 0 {
		return nil
	}
	recs, err := s.Replies.ReplyRecordings(ctx, videoID)
	if err != nil || len(recs) == 0 {
		return err
	}
	by := make(map[string]*Video, len(recs))
	for _, r := range recs {
		by[r.ReplyCommentID] = r
	}
	for _, th := range threads {
		for _, c := range append([]*Comment{th}, th.Replies...) {
			if r := by[c.ID]; r != nil {
				c.Attachment = AttachmentOf(r)
			}
		}
	}
	return nil
}

// Recording returns the recording comment commentID of video videoID
// carries, or nil.
func (s *Comments) Recording(ctx context.Context, videoID, commentID string) (*Video, error) {
	if s.Replies == nil {
		return nil, nil
	}
	recs, err := s.Replies.ReplyRecordings(ctx, videoID)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.ReplyCommentID == commentID {
			return r, nil
		}
	}
	return nil, nil
}

// TextWithRecording is the comment for places that cannot play its
// recording (emails, the inbox, captions): its body, and which kind of
// recording it carries ("Looks good [voice reply]").
func (c *Comment) TextWithRecording() string {
	if c.Attachment == nil {
		return c.Body
	}
	return strings.TrimSpace(c.Body + " [" + string(c.Attachment.Kind) + " reply]")
}
