package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Watch receipts and insights (media/receipts.go). The watch page sends
// what it played as ranges under a view id of its own, cumulatively and
// more than once (sendBeacon when the page is hidden), so the same report
// twice changes nothing. The owner's (and admins') own viewing is never
// recorded.

// recordReceipt is the ranges form of POST /api/share/{slug}/views.
func (s *Server) recordReceipt(c *gin.Context, v *media.Video, who string, req viewRequest) {
	if s.opt.Receipts == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Watch receipts are not set up on this server."))
		return
	}
	if !viewerID.MatchString(req.ViewID) {
		s.badRequest(c, "viewId must be 16 to 64 letters, digits, - or _.")
		return
	}
	if addr, ok := strings.CutPrefix(who, "ip:"); ok {
		// Receipts are kept; a client's address is not: a hash still
		// counts unique viewers.
		sum := sha256.Sum256([]byte("baton-receipt\x00" + addr))
		who = "ip:" + hex.EncodeToString(sum[:12])
	}
	in := media.ReceiptInput{ViewID: req.ViewID, Viewer: who, Ranges: req.Ranges}
	if u := viewerOf(c).User; u != nil {
		in.UserID = u.ID
	}
	if r := recipientOf(c); r != nil {
		in.RecipientID = r.ID
	}
	rec, counted, nv, err := s.opt.Receipts.Record(c.Request.Context(), v, in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewJSON{Counted: counted, Views: nv.Views, WatchedMs: media.Covered(rec.Ranges), Recorded: true})
}

// getInsights is what the owner learns about who watched.
func (s *Server) getInsights(c *gin.Context) {
	if s.opt.Receipts == nil {
		s.writeError(c, media.Errorf(media.EUNAVAILABLE, "Watch receipts are not set up on this server."))
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	in, err := s.opt.Receipts.Insights(c.Request.Context(), v)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := insightsJSON{Views: in.Views, UniqueViewers: in.UniqueViewers, CompletionRate: round3(in.CompletionRate),
		Heat: make([]float64, len(in.Heat)), Viewers: make([]insightViewerJSON, len(in.Viewers))}
	for i, h := range in.Heat {
		out.Heat[i] = round3(h)
	}
	for i, p := range in.Viewers {
		out.Viewers[i] = insightViewerJSON{Name: p.Name, Email: p.Email, FirstViewAt: timeJSON(p.FirstViewAt), WatchedPercent: p.WatchedPercent}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
