package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// mediaFiles maps the public file names under /media/{slug}/ to object keys.
// Only these names exist; nothing from the URL reaches a key.
var mediaFiles = map[string]struct {
	key  func(id string) string
	has  func(v *media.Video) bool
	mime string
}{
	"video.mp4":  {media.MP4Key, func(v *media.Video) bool { return v.HasMP4 }, "video/mp4"},
	"poster.jpg": {media.PosterKey, func(v *media.Video) bool { return v.HasPoster }, "image/jpeg"},
}

// serveMedia sends a video's bytes with Range support. Given a Presigner
// (S3 with a public URL configured), it redirects to a short-lived URL so
// the bytes bypass Baton; otherwise it streams them itself.
func (s *Server) serveMedia(c *gin.Context) {
	v, ok := s.sharedVideo(c)
	if !ok {
		return
	}
	if s.serveRecordMedia(c, v) {
		return // captions and thumbnails (transcripts.go)
	}
	f, ok := mediaFiles[c.Param("file")]
	if !ok || !f.has(v) {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "Not found."))
		return
	}
	key := f.key(v.ID)
	ctx := c.Request.Context()
	// ?download=1 asks for the MP4 as a file (sharing.go), if its owner
	// allows downloads.
	attachment := ""
	if c.Query("download") == "1" && c.Param("file") == "video.mp4" {
		if access(c) < media.AccessManage && !v.Sharing.AllowDownload() {
			s.writeError(c, media.Errorf(media.ENOTALLOWED, "The owner of this video does not allow downloads."))
			return
		}
		attachment, _ = downloadName(v.Title)
	}
	if s.opt.Presigner != nil {
		url, err := s.opt.Presigner.PresignGet(ctx, key, s.opt.PresignTTL, attachment)
		if err != nil {
			s.writeError(c, err)
			return
		}
		c.Header("Cache-Control", "private, no-store")
		c.Redirect(http.StatusFound, url)
		return
	}
	// The body is read under the request's context: a store's object
	// reader stops when its context ends, so no shorter deadline here.
	b, err := s.svc.Blobs.Open(ctx, key)
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer b.Close()
	info := b.Info()
	h := c.Writer.Header()
	h.Set("Content-Type", f.mime)
	// Outputs never change once written; a new processing run would write
	// a new video (the slug and the file are tied to one version).
	h.Set("Cache-Control", "private, max-age=3600")
	if !v.Public(s.now()) {
		// Who may watch can change at any moment; keep no copies.
		h.Set("Cache-Control", "private, no-store")
	}
	if attachment != "" {
		h.Set("Content-Disposition", contentDisposition(v.Title))
	}
	http.ServeContent(c.Writer, c.Request, c.Param("file"), info.ModTime, b)
}

// serveLive sends a file of the live HLS rendition of a recording in
// progress. The playlist changes every few seconds and must not be cached;
// segments never change once listed.
func (s *Server) serveLive(c *gin.Context) {
	v, ok := s.sharedVideo(c)
	if !ok {
		return
	}
	name := c.Param("file")
	if !media.ValidLiveName(name) {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "Not found."))
		return
	}
	b, err := s.svc.Blobs.Open(c.Request.Context(), media.LiveKey(v.ID, name))
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer b.Close()
	h := c.Writer.Header()
	switch {
	case name == "index.m3u8":
		h.Set("Content-Type", "application/vnd.apple.mpegurl")
		h.Set("Cache-Control", "no-store")
	default:
		h.Set("Content-Type", "video/mp4")
		h.Set("Cache-Control", "private, max-age=3600")
	}
	http.ServeContent(c.Writer, c.Request, name, b.Info().ModTime, b)
}
