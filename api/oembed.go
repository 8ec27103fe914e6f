package api

import (
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Link previews. Chat tools unfurl a watch link from its Open Graph and
// Twitter tags, or from oEmbed when the page names an endpoint. Only a
// public video (anyone with the link, no password, no view budget, not
// expired) shows its title, poster and player; anything else, including
// links that do not exist, unfurls as the same generic "Baton" card, so a
// preview never tells more than opening the link would.

// unfurlHead is the <head> of the watch or embed page of a video the
// viewer may watch.
func (s *Server) unfurlHead(v *media.Video) string {
	title := v.Title
	if title == "" {
		title = "Untitled video"
	}
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<title>%s · Baton</title>`, e(title))
	if !v.Public(s.now()) {
		// Shown to a member, or to someone who gave the password: the
		// page may carry the title, but nothing for crawlers.
		b.WriteString(`<meta name="robots" content="noindex">`)
		return b.String()
	}
	j := s.videoJSON(v)
	share := j.ShareURL
	embed := s.opt.PublicURL + "/embed/" + v.Slug
	w, h := v.Width, v.Height
	meta := func(attr, name, content string) {
		fmt.Fprintf(&b, `<meta %s="%s" content="%s">`, attr, name, e(content))
	}
	fmt.Fprintf(&b, `<link rel="alternate" type="application/json+oembed" href="%s" title="%s">`,
		e(s.opt.PublicURL+"/oembed?"+url.Values{"url": {share}, "format": {"json"}}.Encode()), e(title))
	meta("property", "og:site_name", "Baton")
	meta("property", "og:type", "video.other")
	meta("property", "og:title", title)
	meta("property", "og:url", share)
	meta("name", "twitter:title", title)
	if j.PosterURL != "" {
		meta("property", "og:image", j.PosterURL)
		if w > 0 && h > 0 {
			meta("property", "og:image:width", strconv.Itoa(w))
			meta("property", "og:image:height", strconv.Itoa(h))
		}
		meta("name", "twitter:image", j.PosterURL)
	}
	if j.MP4URL != "" {
		meta("property", "og:video", j.MP4URL)
		if strings.HasPrefix(j.MP4URL, "https://") {
			meta("property", "og:video:secure_url", j.MP4URL)
		}
		meta("property", "og:video:type", "video/mp4")
		if w > 0 && h > 0 {
			meta("property", "og:video:width", strconv.Itoa(w))
			meta("property", "og:video:height", strconv.Itoa(h))
		}
		meta("name", "twitter:card", "player")
		meta("name", "twitter:player", embed)
		if w > 0 && h > 0 {
			meta("name", "twitter:player:width", strconv.Itoa(w))
			meta("name", "twitter:player:height", strconv.Itoa(h))
		}
		meta("name", "twitter:player:stream", j.MP4URL)
		meta("name", "twitter:player:stream:content_type", "video/mp4")
	} else {
		meta("name", "twitter:card", "summary_large_image")
	}
	return b.String()
}

// oembed answers GET /oembed?url=<watch or embed link>&format=json. A
// public video gets a "video" answer with an embeddable player; every
// other link of this server's shape gets the same generic "link" answer.
func (s *Server) oembed(c *gin.Context) {
	if f := c.Query("format"); f != "" && f != "json" {
		c.AbortWithStatusJSON(http.StatusNotImplemented, ErrorBody{Error: ErrorDetail{Code: "not_implemented", Message: "Only format=json is supported."}})
		return
	}
	slug, ok := s.slugOfLink(c.Query("url"))
	if !ok {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "That is not a link to a video on this server."))
		return
	}
	generic := oembedJSON{Version: "1.0", Type: "link", ProviderName: "Baton", ProviderURL: s.opt.PublicURL + "/", Title: "Baton"}
	c.Header("Cache-Control", "no-cache")
	var v *media.Video
	if media.ValidSlug(slug) {
		got, err := s.svc.VideoBySlug(c.Request.Context(), slug)
		if err != nil && media.ErrorCode(err) != media.ENOTFOUND {
			s.writeError(c, err)
			return
		}
		v = got
	}
	if v == nil || !v.Public(s.now()) || !v.HasMP4 {
		c.JSON(http.StatusOK, generic)
		return
	}
	w, h := fitPlayer(v.Width, v.Height, intQuery(c, "maxwidth"), intQuery(c, "maxheight"))
	title := v.Title
	if title == "" {
		title = "Untitled video"
	}
	j := s.videoJSON(v)
	e := html.EscapeString
	out := oembedJSON{
		Version: "1.0", Type: "video", ProviderName: "Baton", ProviderURL: s.opt.PublicURL + "/",
		Title: title, Width: w, Height: h, CacheAge: 3600,
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`,
			e(s.opt.PublicURL+"/embed/"+v.Slug), w, h, e(title)),
	}
	if j.PosterURL != "" {
		out.ThumbnailURL, out.ThumbnailWidth, out.ThumbnailHeight = j.PosterURL, v.Width, v.Height
	}
	c.JSON(http.StatusOK, out)
}

// slugOfLink takes the slug out of a watch or embed link to this server.
func (s *Server) slugOfLink(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	pub, err := url.Parse(s.opt.PublicURL)
	if err != nil || !strings.EqualFold(u.Host, pub.Host) {
		return "", false
	}
	for _, prefix := range []string{"/v/", "/embed/"} {
		if rest, ok := strings.CutPrefix(u.Path, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			return rest, true
		}
	}
	return "", false
}

func intQuery(c *gin.Context, name string) int {
	n, err := strconv.Atoi(c.Query(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// fitPlayer sizes an embedded player: 640 wide at the video's aspect
// ratio (16:9 when unknown), shrunk to fit maxW × maxH when given.
func fitPlayer(vw, vh, maxW, maxH int) (int, int) {
	aspect := 16.0 / 9
	if vw > 0 && vh > 0 {
		aspect = float64(vw) / float64(vh)
	}
	w := 640.0
	if maxW > 0 && float64(maxW) < w {
		w = float64(maxW)
	}
	h := w / aspect
	if maxH > 0 && h > float64(maxH) {
		h = float64(maxH)
		w = h * aspect
	}
	return int(math.Round(w)), int(math.Round(h))
}
