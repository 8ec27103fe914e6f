package api

import (
	"bytes"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// headMarker is replaced in watch.html and embed.html with the page's meta
// tags, built here with every value HTML-escaped.
const headMarker = "<!--baton:head-->"

// pages serves the built web UI.
type pages struct {
	fs        fs.FS
	publicURL string
	files     map[string][]byte // the HTML entry points, read once
}

func newPages(fsys fs.FS, publicURL string) (*pages, error) {
	p := &pages{fs: fsys, publicURL: publicURL, files: map[string][]byte{}}
	if fsys == nil {
		return p, nil
	}
	for _, name := range []string{"index.html", "watch.html", "embed.html", "record.html", "login.html", "account.html", "waiting.html", "checkin.html"} {
		b, err := fs.ReadFile(fsys, name)
		if err == nil {
			p.files[name] = b
		}
	}
	return p, nil
}

func (p *pages) html(c *gin.Context, status int, name, head string) {
	b, ok := p.files[name]
	if !ok {
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8",
			[]byte("The web UI is not built. Run `make run` (or `make frontend`) to build it.\n"))
		return
	}
	if head != "" {
		b = bytes.Replace(b, []byte(headMarker), []byte(head), 1)
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; connect-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors "+frameAncestors(name))
	c.Data(status, "text/html; charset=utf-8", b)
}

func frameAncestors(name string) string {
	if name == "embed.html" {
		return "*"
	}
	return "'none'"
}

func (p *pages) home(c *gin.Context)   { p.html(c, http.StatusOK, "index.html", "") }
func (p *pages) record(c *gin.Context) { p.html(c, http.StatusOK, "record.html", "") }

func (p *pages) notFound(c *gin.Context) {
	p.html(c, http.StatusNotFound, "watch.html", genericHead())
}

func genericHead() string {
	return `<title>Baton</title><meta name="robots" content="noindex">`
}

// watch and embed answer every link that does not lead to a video this
// viewer may watch (unknown, revoked, expired, private) with the same 404
// page, so links cannot be probed. A password-protected video gets the
// page without anything of the video in it; its script asks for the
// password.
func (s *Server) sharedPage(c *gin.Context, name string) {
	v, viewer, acc, ok := s.resolveSlug(c)
	if !ok {
		return
	}
	if name == "watch.html" && acc >= media.AccessWatch && v.IsReply() {
		if u := s.replyThreadURL(c, v, viewer); u != "" {
			c.Redirect(http.StatusFound, u)
			return
		}
	}
	switch acc {
	case media.AccessNone:
		s.pages.html(c, http.StatusNotFound, name, genericHead())
	case media.AccessPassword:
		s.pages.html(c, http.StatusOK, name, genericHead())
	default:
		s.pages.html(c, http.StatusOK, name, s.unfurlHead(v))
	}
}

func (s *Server) watchPage(c *gin.Context) { s.sharedPage(c, "watch.html") }
func (s *Server) embedPage(c *gin.Context) { s.sharedPage(c, "embed.html") }

// asset serves the hashed build files. Their names change with their
// content, so they can be cached for good.
func (p *pages) asset(c *gin.Context) {
	if p.fs == nil {
		c.Status(http.StatusNotFound)
		return
	}
	name := path.Clean("assets/" + strings.TrimPrefix(c.Param("path"), "/"))
	if !strings.HasPrefix(name, "assets/") {
		c.Status(http.StatusNotFound)
		return
	}
	b, err := fs.ReadFile(p.fs, name)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: media.ENOTFOUND, Message: "Not found."}})
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, ct, b)
}
