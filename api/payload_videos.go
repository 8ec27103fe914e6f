package api

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

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

	// DefaultSpeed is the speed the player starts at for viewers who have
	// not picked one themselves; the owner sets it with PATCH (1: normal).
	DefaultSpeed float64 `json:"defaultSpeed"`
	// ThumbsURL is the scrub-thumbnail track (WebVTT) once its sprite
	// sheet is made; only in the payloads a player reads (watchJSON).
	ThumbsURL string `json:"thumbsUrl,omitempty"`
	// ReplyTo and ReplyKind are set on a recording made as a reply in
	// another video's thread (replies.go).
	ReplyTo   string `json:"replyTo,omitempty"`
	ReplyKind string `json:"replyKind,omitempty"`
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
		DefaultSpeed: 1,
		ReplyTo:      v.ReplyTo, ReplyKind: string(v.ReplyKind),
	}
	if v.DefaultSpeed > 0 {
		out.DefaultSpeed = v.DefaultSpeed
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
		if mode == media.LiveModeNone {
			// The upload is another process's (scale-out): what it stored.
			mode, note = v.Processing, v.ProcessingNote
		}
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

// watchJSON is videoJSONFor with what a player needs beyond the row: the
// thumbnails track once it exists. One indexed read, and only for a ready
// video; listings keep to videoJSONFor.
func (s *Server) watchJSON(c *gin.Context, v *media.Video) videoJSON {
	out := s.videoJSONFor(c, v)
	r := s.svc.Record
	if r == nil || v.Status != media.StatusReady || !v.HasMP4 {
		return out
	}
	sheet, err := r.Store.Thumbs(c.Request.Context(), v.ID)
	if err == nil && sheet.Status == media.ThumbsDone {
		out.ThumbsURL = s.opt.PublicURL + "/media/" + v.Slug + "/thumbs.vtt"
	}
	// Without a sheet (not made yet, failed, or a read error) the player
	// simply has no previews; the page hears when the sheet is done.
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
	// ReplyTo makes the video a recording that replies in another video's
	// thread (replies.go).
	ReplyTo *replyToRequest `json:"replyTo"`
}

type replyToRequest struct {
	VideoID string `json:"videoId"`
	Kind    string `json:"kind"`
}

type updateVideoRequest struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	// Discussion settings: only the owner may change them.
	CommentsEnabled  *bool `json:"commentsEnabled"`
	GuestComments    *bool `json:"guestComments"`
	ReactionsEnabled *bool `json:"reactionsEnabled"`
	// DefaultSpeed is the player's starting speed for viewers without
	// their own choice: one of media.PlaybackSpeeds (1: normal).
	DefaultSpeed *float64 `json:"defaultSpeed"`
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
