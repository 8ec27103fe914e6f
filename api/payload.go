package api

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Every JSON shape the API reads or writes, in one place: a reader of a
// handler finds here what goes over the wire, and a change to a shape is
// one diff next to openapi.yaml. Field names are camelCase; times are RFC
// 3339 in UTC (timeJSON), "" when unset.

/* ---------- Videos (videos.go, sharing.go) ---------- */

// videoJSON is a video as the API shows it.
type videoJSON struct {
	ID            string  `json:"id"`
	Slug          string  `json:"slug"`
	Title         string  `json:"title"`
	Description   string  `json:"description"`
	Status        string  `json:"status"`
	Progress      float64 `json:"progress"`
	Error         string  `json:"error"`
	ErrorCode     string  `json:"errorCode"`
	DurationMs    int64   `json:"durationMs"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	SizeBytes     int64   `json:"sizeBytes"`
	UploadedBytes int64   `json:"uploadedBytes"`
	ShareURL      string  `json:"shareUrl"`
	PosterURL     string  `json:"posterUrl"`
	MP4URL        string  `json:"mp4Url"`
	UploadURL     string  `json:"uploadUrl,omitempty"`
	LiveURL       string  `json:"liveUrl"`
	Recording     bool    `json:"recording"`
	// Processing says, while a recording uploads, how it will be
	// processed: "live" (ready about a second after Stop) or
	// "after-upload" (the server is busy: ready a little after Stop);
	// ProcessingNote says why live conversion stopped, when it did.
	Processing     string `json:"processing,omitempty"`
	ProcessingNote string `json:"processingNote,omitempty"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`

	// Discussion settings; the owner changes them with PATCH.
	CommentsEnabled  bool `json:"commentsEnabled"`
	GuestComments    bool `json:"guestComments"`
	ReactionsEnabled bool `json:"reactionsEnabled"`
	// IsOwner is set when the caller may act as the video's owner (its
	// creator, or an admin).
	IsOwner bool `json:"isOwner,omitempty"`

	// Library and sharing (sharing.go): views of the watch page by others,
	// comments, who made it, whether viewers may download the MP4 and
	// where; the sharing settings only for those who manage the video.
	Views         int64        `json:"views"`
	CommentCount  int          `json:"commentCount"`
	Owner         *ownerJSON   `json:"owner,omitempty"`
	AllowDownload bool         `json:"allowDownload"`
	DownloadURL   string       `json:"downloadUrl,omitempty"`
	Sharing       *sharingJSON `json:"sharing,omitempty"`
	// Ask is the library's line about the video's ask (asks.go).
	Ask *askSummaryJSON `json:"ask,omitempty"`
}

func (s *Server) videoJSON(v *media.Video) videoJSON {
	out := videoJSON{
		ID: v.ID, Slug: v.Slug, Title: v.Title, Description: v.Description, Status: string(v.Status),
		Progress: v.Progress, Error: v.Error, ErrorCode: v.ErrorCode,
		DurationMs: v.DurationMs, Width: v.Width, Height: v.Height,
		SizeBytes: v.SizeBytes, UploadedBytes: v.UploadedBytes,
		ShareURL:  s.opt.PublicURL + "/v/" + v.Slug,
		CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339Nano),
		UpdatedAt: v.UpdatedAt.UTC().Format(time.RFC3339Nano),

		CommentsEnabled: v.CommentsEnabled(), GuestComments: v.GuestComments(), ReactionsEnabled: v.ReactionsEnabled(),
	}
	if v.HasMP4 {
		out.MP4URL = s.opt.PublicURL + "/media/" + v.Slug + "/video.mp4"
	}
	if v.HasPoster {
		out.PosterURL = s.opt.PublicURL + "/media/" + v.Slug + "/poster.jpg"
	}
	if v.Live && v.Status != media.StatusReady && v.Status != media.StatusFailed {
		out.LiveURL = s.opt.PublicURL + "/media/" + v.Slug + "/live/index.m3u8"
		out.Recording = v.Status == media.StatusCreated || v.Status == media.StatusUploading
	}
	if v.Status == media.StatusCreated || v.Status == media.StatusUploading {
		out.UploadURL = s.opt.PublicURL + "/api/uploads/" + v.ID
		mode, note := s.svc.Live.Mode(v.ID)
		out.Processing, out.ProcessingNote = string(mode), note
	}
	return out
}

// videoJSONFor shows v to the person asking: those who manage it see its
// upload URL and sharing settings; everyone else sees what watching needs.
func (s *Server) videoJSONFor(c *gin.Context, v *media.Video) videoJSON {
	out := s.videoJSON(v)
	viewer, guarded := c.Get(ctxViewer)
	vw, _ := viewer.(media.Viewer)
	if !guarded {
		vw = media.Viewer{User: s.currentUser(c)}
	}
	manage := v.AccessFor(vw, s.now()) == media.AccessManage
	out.IsOwner = manage
	out.Views, out.CommentCount = v.Views, v.CommentCount
	if v.OwnerID != "" && v.OwnerName != "" {
		out.Owner = &ownerJSON{ID: v.OwnerID, Name: v.OwnerName}
	}
	out.AllowDownload = manage || v.Sharing.AllowDownload()
	if v.HasMP4 && out.AllowDownload {
		out.DownloadURL = s.opt.PublicURL + "/media/" + v.Slug + "/video.mp4?download=1"
	}
	if manage {
		out.Sharing = toSharingJSON(v)
	} else {
		out.UploadURL = "" // viewers never upload
	}
	return out
}

type ownerJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// sharingJSON is a video's sharing settings, shown to those who manage it.
type sharingJSON struct {
	Visibility    string `json:"visibility"` // link, workspace, private
	HasPassword   bool   `json:"hasPassword"`
	ExpiresAt     string `json:"expiresAt"` // "" for none
	MaxViews      int64  `json:"maxViews"`  // 0 for no limit
	AllowDownload bool   `json:"allowDownload"`
	GuestComments bool   `json:"guestComments"`
}

func toSharingJSON(v *media.Video) *sharingJSON {
	sh := v.Sharing
	return &sharingJSON{
		Visibility: string(sh.EffectiveVisibility()), HasPassword: sh.HasPassword(),
		ExpiresAt: timeJSON(sh.ExpiresAt), MaxViews: sh.MaxViews,
		AllowDownload: sh.AllowDownload(), GuestComments: v.GuestComments(),
	}
}

type createVideoRequest struct {
	Title string `json:"title"`
}

type updateVideoRequest struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	// Discussion settings: only the owner may change them.
	CommentsEnabled  *bool `json:"commentsEnabled"`
	GuestComments    *bool `json:"guestComments"`
	ReactionsEnabled *bool `json:"reactionsEnabled"`
}

type unlockRequest struct {
	Password string `json:"password"`
}

type sharingRequest struct {
	Visibility    *string         `json:"visibility"`
	Password      *string         `json:"password"`  // "" removes it
	ExpiresAt     json.RawMessage `json:"expiresAt"` // RFC 3339, or null to remove
	MaxViews      *int64          `json:"maxViews"`  // 0 removes the limit
	AllowDownload *bool           `json:"allowDownload"`
	GuestComments *bool           `json:"guestComments"`
}

// viewRequest is the player reporting playback (views.go).
type viewRequest struct {
	// PlayedMs is how much of the video this page has played so far.
	PlayedMs int64 `json:"playedMs"`
	// Viewer is a random id the browser keeps (localStorage), so that
	// several windows of one browser are one viewer. Signed-in members are
	// known by their account instead.
	Viewer string `json:"viewer"`
	// ViewID and Ranges are the receipt form (insights.go): the page's
	// own id and what it actually played, as [startMs, endMs] pairs.
	ViewID string     `json:"viewId"`
	Ranges [][2]int64 `json:"ranges"`
}

type viewJSON struct {
	Counted bool  `json:"counted"`
	Views   int64 `json:"views"`
	// WatchedMs and Recorded answer the receipt form.
	WatchedMs int64 `json:"watchedMs,omitempty"`
	Recorded  bool  `json:"recorded,omitempty"`
}

/* ---------- Comments and reactions (comments.go, commentexport.go, events.go) ---------- */

func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

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

/* ---------- Accounts (account.go, members.go) ---------- */

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
}

func toUserJSON(u *media.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: timeJSON(u.CreatedAt)}
}

type signupRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Invite   string `json:"invite"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type updateMeRequest struct {
	Name        *string `json:"name"`
	notifyPatch         // timeZone, workingHours, emailMode (notifications.go)
	// AwayUntil is a date (or null): asks.go.
	AwayUntil json.RawMessage `json:"awayUntil"`
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

type tokenJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt,omitempty"`
	// Token is the secret, only in the answer to its creation.
	Token string `json:"token,omitempty"`
}

func toTokenJSON(t *media.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: timeJSON(t.CreatedAt), LastUsedAt: timeJSON(t.LastUsedAt)}
}

type createTokenRequest struct {
	Name string `json:"name"`
}

type updateMemberRequest struct {
	Role string `json:"role"`
}

type inviteJSON struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
	// URL is the link to send, only in the answer to its creation.
	URL string `json:"url,omitempty"`
}

func toInviteJSON(inv *media.Invite) inviteJSON {
	return inviteJSON{ID: inv.ID, Role: string(inv.Role), CreatedAt: timeJSON(inv.CreatedAt), ExpiresAt: timeJSON(inv.ExpiresAt)}
}

type createInviteRequest struct {
	Role string `json:"role"`
}

/* ---------- oEmbed (oembed.go) ---------- */

// oembedJSON is an oEmbed 1.0 response.
type oembedJSON struct {
	Version         string `json:"version"`
	Type            string `json:"type"` // video, or link for the generic card
	ProviderName    string `json:"provider_name"`
	ProviderURL     string `json:"provider_url"`
	Title           string `json:"title,omitempty"`
	HTML            string `json:"html,omitempty"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
	CacheAge        int    `json:"cache_age,omitempty"`
}

/* ---------- Asks and insights (asks.go, insights.go) ---------- */

type askRequest struct {
	Question   string          `json:"question"`
	ReplyBy    json.RawMessage `json:"replyBy"`
	Recipients []string        `json:"recipients"`
}

// askJSON is an ask as its owner sees it, with every personal link.
type askJSON struct {
	Question   string             `json:"question"`
	ReplyBy    string             `json:"replyBy"`
	Recipients []askRecipientJSON `json:"recipients"`
	// Warnings tell the owner what may keep people from answering in
	// time (deadlines outside someone's hours, a video they cannot open).
	Warnings []string `json:"warnings"`
}

type askRecipientJSON struct {
	ID     string `json:"id"`
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Link   string `json:"link"`
	// Needs is what they need to open it: link, sign-in, password or
	// unavailable (a private video).
	Needs    string `json:"needs"`
	TimeZone string `json:"timeZone"`
}

type responseJSON struct {
	ID             string `json:"id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Member         bool   `json:"member"`
	State          string `json:"state"`
	OpenedAt       string `json:"openedAt"`
	WatchedPercent int    `json:"watchedPercent"`
	RepliedAt      string `json:"repliedAt"`
	AcknowledgedAt string `json:"acknowledgedAt"`
	Overdue        bool   `json:"overdue"`
	Away           bool   `json:"away"`
	AwayUntil      string `json:"awayUntil"`
	TimeZone       string `json:"timeZone"`
}

type responsesJSON struct {
	Question   string          `json:"question"`
	ReplyBy    string          `json:"replyBy"`
	Summary    *askSummaryJSON `json:"summary"`
	Recipients []responseJSON  `json:"recipients"`
}

// askSummaryJSON is the library's line: "2 of 5 replied, 1 overdue".
type askSummaryJSON struct {
	Total   int    `json:"total"`
	Replied int    `json:"replied"`
	Overdue int    `json:"overdue"`
	Away    int    `json:"away"`
	ReplyBy string `json:"replyBy"`
	Text    string `json:"text"`
}

// sharedAskJSON is what a viewer sees of the ask; You is set for its
// recipients.
type sharedAskJSON struct {
	Question string        `json:"question"`
	ReplyBy  string        `json:"replyBy"`
	From     string        `json:"from"`
	Overdue  bool          `json:"overdue"`
	You      *responseJSON `json:"you"`
}

type ackRequest struct {
	Token string `json:"token"`
}

type waitingJSON struct {
	VideoID   string `json:"videoId"`
	Title     string `json:"title"`
	From      string `json:"from"`
	Question  string `json:"question"`
	ReplyBy   string `json:"replyBy"`
	Link      string `json:"link"`
	State     string `json:"state"`
	Overdue   bool   `json:"overdue"`
	PosterURL string `json:"posterUrl"`
}

type insightsJSON struct {
	Views          int                 `json:"views"`
	UniqueViewers  int                 `json:"uniqueViewers"`
	CompletionRate float64             `json:"completionRate"`
	Heat           []float64           `json:"heat"`
	Viewers        []insightViewerJSON `json:"viewers"`
}

type insightViewerJSON struct {
	Name           string `json:"name"`
	Email          string `json:"email"`
	FirstViewAt    string `json:"firstViewAt"`
	WatchedPercent int    `json:"watchedPercent"`
}

/* ---------- Check-ins (checkins.go) ---------- */

type checkinRequest struct {
	Title    string `json:"title"`
	Prompt   string `json:"prompt"`
	Schedule struct {
		Days []string `json:"days"`
		Time string   `json:"time"`
	} `json:"schedule"`
	Participants []string `json:"participants"`
	Observers    []string `json:"observers"`
	DueAfter     string   `json:"dueAfter"`
	MaxLength    string   `json:"maxLength"`
}

type checkinScheduleJSON struct {
	Days []string `json:"days"`
	Time string   `json:"time"`
}

type personJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type checkinJSON struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Prompt       string              `json:"prompt"`
	Schedule     checkinScheduleJSON `json:"schedule"`
	DueAfter     string              `json:"dueAfter"`
	MaxLength    string              `json:"maxLength"`
	Participants []personJSON        `json:"participants"`
	Observers    []personJSON        `json:"observers"`
	IsOwner      bool                `json:"isOwner"`
	URL          string              `json:"url"`
	CreatedAt    string              `json:"createdAt"`
}

type roundJSON struct {
	Round   string       `json:"round"`
	Title   string       `json:"title"`
	Prompt  string       `json:"prompt"`
	DueAt   string       `json:"dueAt"`
	Posted  []postJSON   `json:"posted"`
	Missing []personJSON `json:"missing"`
	Away    []personJSON `json:"away"`
}

type postJSON struct {
	User       personJSON `json:"user"`
	VideoID    string     `json:"videoId"`
	Slug       string     `json:"slug"`
	Title      string     `json:"title"`
	DurationMs int64      `json:"durationMs"`
	Status     string     `json:"status"`
	PosterURL  string     `json:"posterUrl"`
	MP4URL     string     `json:"mp4Url"`
	ShareURL   string     `json:"shareUrl"`
	PostedAt   string     `json:"postedAt"`
}

type checkinPostRequest struct {
	VideoID string `json:"videoId"`
}
