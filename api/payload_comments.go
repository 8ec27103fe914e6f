package api

import (
	"encoding/json"

	"github.com/baton-video/baton/media"
)

/* ---------- Comments and reactions (comments.go, commentexport.go, events.go) ---------- */

// commentJSON is a comment as the API shows it. Bodies and names are plain
// text: clients must insert them as text, never as HTML.
type commentJSON struct {
	ID         string `json:"id"`
	VideoID    string `json:"videoId"`
	ParentID   string `json:"parentId,omitempty"`
	TimeMs     int64  `json:"timeMs"`
	EndMs      int64  `json:"endMs,omitempty"`
	Body       string `json:"body"`
	AuthorName string `json:"authorName"`
	ByOwner    bool   `json:"byOwner"`
	Mine       bool   `json:"mine"`
	Edited     bool   `json:"edited"`
	Deleted    bool   `json:"deleted"`
	Resolved   bool   `json:"resolved"`
	CreatedAt  string `json:"createdAt"`
	UpdatedAt  string `json:"updatedAt"`
	EditedAt   string `json:"editedAt,omitempty"`
	ResolvedAt string `json:"resolvedAt,omitempty"`
	// FromRemovedPart: a trim removed the comment's moment; it sits at
	// the cut (transcripts.go).
	FromRemovedPart bool `json:"fromRemovedPart,omitempty"`
	// Attachment is the recording the comment carries (replies.go).
	Attachment *attachmentJSON `json:"attachment,omitempty"`
}

// threadJSON is a top-level comment with its replies, oldest first.
type threadJSON struct {
	commentJSON
	Replies []commentJSON `json:"replies"`
}

type reactionJSON struct {
	ID        string `json:"id"`
	VideoID   string `json:"videoId"`
	Emoji     string `json:"emoji"`
	TimeMs    int64  `json:"timeMs"`
	Mine      bool   `json:"mine"`
	CreatedAt string `json:"createdAt"`
}

// toCommentJSON shows cm; mine says whether the caller wrote it.
func toCommentJSON(cm *media.Comment, mine bool) commentJSON {
	return commentJSON{
		ID: cm.ID, VideoID: cm.VideoID, ParentID: cm.ParentID, TimeMs: cm.TimeMs, EndMs: cm.EndMs,
		Body: cm.Body, AuthorName: cm.AuthorName, ByOwner: cm.ByOwner, Mine: mine && !cm.Deleted,
		Edited: cm.Edited(), Deleted: cm.Deleted, Resolved: cm.Resolved,
		CreatedAt: timeJSON(cm.CreatedAt), UpdatedAt: timeJSON(cm.UpdatedAt),
		EditedAt: timeJSON(cm.EditedAt), ResolvedAt: timeJSON(cm.ResolvedAt),
		Attachment: toAttachmentJSON(cm.Attachment),
	}
}

func toThreadJSON(th *media.Comment, a media.Actor, v *media.Video) threadJSON {
	out := threadJSON{commentJSON: toCommentJSON(th, th.AuthoredBy(a, v)), Replies: make([]commentJSON, 0, len(th.Replies))}
	for _, r := range th.Replies {
		out.Replies = append(out.Replies, toCommentJSON(r, r.AuthoredBy(a, v)))
	}
	return out
}

func toReactionJSON(r *media.Reaction, mine bool) reactionJSON {
	return reactionJSON{ID: r.ID, VideoID: r.VideoID, Emoji: r.Emoji, TimeMs: r.TimeMs, Mine: mine, CreatedAt: timeJSON(r.CreatedAt)}
}

// counts never answers null, so clients can index it directly.
func counts(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

type threadPageJSON struct {
	Threads        []threadJSON   `json:"threads"`
	NextCursor     string         `json:"nextCursor"`
	Count          int            `json:"count"`
	ReactionCounts map[string]int `json:"reactionCounts"`
	LastEventID    int64          `json:"lastEventId"`
}

func threadPageOut(p *media.ThreadPage, a media.Actor, v *media.Video) threadPageJSON {
	out := threadPageJSON{Threads: make([]threadJSON, 0, len(p.Threads)), Count: p.Count,
		ReactionCounts: counts(p.Counts), LastEventID: p.LastEventSeq}
	for _, th := range p.Threads {
		out.Threads = append(out.Threads, toThreadJSON(th, a, v))
	}
	if p.More {
		last := p.Threads[len(p.Threads)-1]
		out.NextCursor = encodeCursor(last.TimeMs, last.ID)
	}
	return out
}

type createCommentRequest struct {
	Body      *string         `json:"body"`
	TimeMs    json.RawMessage `json:"timeMs"`
	EndMs     json.RawMessage `json:"endMs"`
	ParentID  string          `json:"parentId"`
	GuestName string          `json:"guestName"`
	// Urgent and NotifyEmail are for notifications (media.CommentInput).
	Urgent      bool   `json:"urgent"`
	NotifyEmail string `json:"notifyEmail"`
	// Attachment is a recording made for this reply (replies.go).
	Attachment *attachmentRequest `json:"attachment"`
}

type attachmentRequest struct {
	VideoID string `json:"videoId"`
}

type createdCommentJSON struct {
	commentJSON
	// GuestSecret is set when the server minted the caller's secret: keep
	// it and send it as X-Guest-Secret from now on.
	GuestSecret string `json:"guestSecret,omitempty"`
}

type updateCommentRequest struct {
	Body *string `json:"body"`
}

type deletedCommentJSON struct {
	Comment commentJSON `json:"comment"`
	// Removed: the comment is gone; otherwise it is a placeholder kept for
	// its replies.
	Removed bool `json:"removed"`
}

type reactionPageJSON struct {
	Reactions  []reactionJSON `json:"reactions"`
	Counts     map[string]int `json:"counts"`
	Emoji      []string       `json:"emoji"`
	NextCursor string         `json:"nextCursor"`
}

type createReactionRequest struct {
	Emoji  string          `json:"emoji"`
	TimeMs json.RawMessage `json:"timeMs"`
}

type createdReactionJSON struct {
	Reaction    reactionJSON   `json:"reaction"`
	Counts      map[string]int `json:"counts"`
	GuestSecret string         `json:"guestSecret,omitempty"`
}

// exportJSON is a video's whole conversation, for archiving or importing
// elsewhere.
type exportJSON struct {
	Video struct {
		ID         string `json:"id"`
		Title      string `json:"title"`
		DurationMs int64  `json:"durationMs"`
		ShareURL   string `json:"shareUrl"`
	} `json:"video"`
	ExportedAt     string         `json:"exportedAt"`
	Threads        []threadJSON   `json:"threads"`
	Reactions      []reactionJSON `json:"reactions"`
	ReactionCounts map[string]int `json:"reactionCounts"`
}

// commentEventJSON is the data of an `event: comment`.
type commentEventJSON struct {
	Seq     int64  `json:"seq"` // the same as the SSE id
	Type    string `json:"type"`
	VideoID string `json:"videoId"`
	// Comment is set on comment events: the comment after the change
	// (created, updated, resolved, reopened), or the deleted placeholder or
	// the removed comment without its text (deleted).
	Comment *commentJSON `json:"comment,omitzero"`
	// Removed, on deleted: the comment is gone (otherwise it is a
	// placeholder kept for its replies).
	Removed bool `json:"removed,omitempty"`
	// Reaction and Counts (the video's reactions per emoji after the
	// change) are set on reaction and unreaction events.
	Reaction *reactionJSON  `json:"reaction,omitzero"`
	Counts   map[string]int `json:"counts,omitzero"`
	At       string         `json:"at"`
}
