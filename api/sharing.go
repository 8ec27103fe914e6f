package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Sharing a video: its owner (or an admin) sets who may watch through the
// link and on what terms, and can regenerate the link; a viewer of a
// password-protected video gives the password once and gets a pass.

// countView counts a watch-page load (GET /api/share/{slug}?view=1) by
// anyone but the video's managers, once per pass. A view-limited video
// gives the viewer a pass, so the rest of this viewing (media, comments)
// works after the budget runs out; the last view beyond the budget is the
// same 404 as any other unavailable link.
func (s *Server) countView(c *gin.Context, v *media.Video) (*media.Video, bool) {
	viewer := viewerOf(c)
	// Views of other links count from playback (recordView); a load spends
	// a view only where the link has a budget, which the pass enforces.
	if access(c) >= media.AccessManage || viewer.Pass || v.Sharing.MaxViews == 0 {
		return v, true
	}
	nv, err := s.svc.CountView(c.Request.Context(), v.ID)
	if media.ErrorCode(err) == media.EGONE || media.ErrorCode(err) == media.ENOTFOUND {
		s.writeError(c, errVideoNotFound())
		return nil, false
	}
	if err != nil {
		s.writeError(c, err)
		return nil, false
	}
	s.firstView(c, nv) // notifications.go
	if nv.NeedsPass() {
		s.givePass(c, nv)
		viewer.Pass = true
		c.Set(ctxViewer, viewer)
	}
	return nv, true
}

// unlockShared checks a video's password. Right: the browser gets a pass
// (a cookie) and the video, and the view counts. Wrong: 403
// password_required again. Attempts are rate limited per client and video.
func (s *Server) unlockShared(c *gin.Context) {
	var req unlockRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	v, viewer, acc, ok := s.resolveSlug(c)
	if !ok {
		return
	}
	if acc == media.AccessNone {
		s.writeError(c, errVideoNotFound())
		return
	}
	if acc == media.AccessPassword {
		key := clientKey(c) + "|" + v.ID
		if ok, wait := s.auth.unlock.Allow(key); !ok {
			s.tooMany(c, wait, "Too many password attempts; try again in %d s.")
			return
		}
		match := false
		if len(req.Password) <= media.MaxPasswordLen {
			var err error
			if match, err = s.auth.accounts.Hasher.Verify(v.Sharing.PasswordHash, req.Password); err != nil {
				s.writeError(c, err)
				return
			}
		}
		if !match {
			s.writeError(c, media.Errorf(media.EPASSWORDREQUIRED, "That password isn’t right."))
			return
		}
		s.auth.unlock.Refund(key)
		s.keep(c, v, viewer, media.AccessWatch)
		if v, ok = s.countView(c, v); !ok {
			return
		}
		s.givePass(c, v)
		viewer.Pass = true
		s.keep(c, v, viewer, media.AccessWatch)
	} else {
		s.keep(c, v, viewer, acc)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.videoJSONFor(c, v))
}

// updateSharing changes who may watch and how (owner or admin).
func (s *Server) updateSharing(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	var req sharingRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	in := media.SharingInput{Password: req.Password, MaxViews: req.MaxViews, AllowDownload: req.AllowDownload, GuestComments: req.GuestComments}
	if req.Visibility != nil {
		vis := media.Visibility(*req.Visibility)
		in.Visibility = &vis
	}
	if raw := bytes.TrimSpace(req.ExpiresAt); len(raw) > 0 {
		var t time.Time
		if string(raw) != "null" {
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				s.badRequest(c, "expiresAt must be a date and time like 2030-01-31T18:00:00Z, or null.")
				return
			}
			var err error
			if t, err = time.Parse(time.RFC3339, str); err != nil {
				s.badRequest(c, "expiresAt must be a date and time like 2030-01-31T18:00:00Z, or null.")
				return
			}
		}
		in.ExpiresAt = &t
	}
	if in.IsZero() {
		s.badRequest(c, "Nothing to change: send a sharing setting.")
		return
	}
	nv, err := s.svc.UpdateSharing(c.Request.Context(), v.ID, in, s.auth.accounts.Hasher, s.now())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, s.videoJSONFor(c, nv))
}

// regenerateLink replaces the video's slug: the old link stops at once.
func (s *Server) regenerateLink(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	nv, err := s.svc.RegenerateLink(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, s.videoJSONFor(c, nv))
}

// downloadName is a safe file name for a video's MP4: the title without
// path separators, quotes or control characters, and an ASCII fallback.
func downloadName(title string) (utf string, ascii string) {
	clean := strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == '/', r == '\\', r == '"', r == ':', r == '*', r == '?', r == '<', r == '>', r == '|',
			r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F:
			return ' '
		}
		return r
	}, title)
	clean = strings.Join(strings.Fields(clean), " ")
	clean = strings.Trim(clean, ". ")
	if r := []rune(clean); len(r) > 100 {
		clean = strings.TrimSpace(string(r[:100]))
	}
	if clean == "" {
		clean = "video"
	}
	ascii = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '%' || r == ';' || r == '\'' {
			return '_'
		}
		return r
	}, clean)
	return clean + ".mp4", ascii + ".mp4"
}

// contentDisposition makes an attachment header with both the ASCII
// filename and the UTF-8 filename* of RFC 6266.
func contentDisposition(title string) string {
	utf, ascii := downloadName(title)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, extValue(utf))
}

// extValue percent-encodes s as an RFC 8187 ext-value: everything but
// attr-char.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
