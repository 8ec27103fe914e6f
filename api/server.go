// Package api is Baton's HTTP face: the JSON API (documented in
// openapi.yaml), resumable uploads over tus, media bytes with Range support,
// live updates over Server-Sent Events, and the web pages. Handlers translate
// HTTP to calls on media.Service and back; the rules live in media.
package api

import (
	"context"
	_ "embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// OpenAPI is the API's specification, served at /api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Options configures a Server. Service, Comments and Accounts are
// required: New fails without them rather than guessing them from what
// the store happens to implement.
type Options struct {
	// Service holds the videos' rules and stores; Videos is required.
	Service *media.Service
	// PublicURL is the base of share links, e.g. https://baton.example.com.
	PublicURL string
	// StagingDir holds uploads in progress.
	StagingDir string
	// MaxUploadBytes caps one upload.
	MaxUploadBytes int64
	// Frontend is the built web UI (index.html, watch.html, assets/...).
	Frontend fs.FS
	// Comments holds the rules of comments and reactions.
	Comments *media.Comments
	// RateLimits bounds comment, reaction and video-creation writes; zero
	// rates are the defaults (ratelimit.go).
	RateLimits RateLimits
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Empty means none: the client is the TCP peer.
	TrustedProxies []string
	// Presigner, when set, serves media by redirect to short-lived URLs
	// of the object store, valid for PresignTTL, so the bytes bypass
	// Baton. Nil: Baton streams them itself.
	Presigner  media.Presigner
	PresignTTL time.Duration
	// MaxRecording caps a browser recording's length; 0 is no cap.
	MaxRecording time.Duration
	// UploadExpiry is how long an upload may stay idle before it is removed.
	UploadExpiry time.Duration
	// OrphanAge is how long an unfinished object write or a stray staging
	// file sits untouched before upkeep removes it; 0 is DefaultOrphanAge.
	OrphanAge time.Duration
	// Accounts signs people in (auth.go); its Users and Hasher are
	// required.
	Accounts *media.Accounts
	// AuthLimits bounds password guessing; zero rates are the defaults.
	AuthLimits AuthLimits
	// Notify plans and sends notifications (notifications.go,
	// webhooks.go). Nil: those routes answer 503.
	Notify *media.Notifier
	// Asks and Receipts serve asks, watch receipts and insights (asks.go,
	// insights.go). Nil: those routes answer 503.
	Asks     *media.Asks
	Receipts *media.Receipts
	// Checkins serves recurring check-ins (checkins.go). Nil: 503.
	Checkins *media.Checkins
	// UploadOwners records which process holds each upload, when several
	// share the database (forward.go). Nil: every upload is local.
	UploadOwners media.UploadOwners
	// Metrics observes requests (metrics.go); MetricsToken opens /metrics
	// to callers presenting it. Either empty: no /metrics here.
	Metrics      Metrics
	MetricsToken string
	Log          *slog.Logger
}

// Server serves Baton over HTTP.
type Server struct {
	opt     Options
	svc     *media.Service
	log     *slog.Logger
	engine  *gin.Engine
	uploads *uploads
	pages   *pages
	// done ends long-lived streams (SSE) at shutdown; http.Server.Shutdown
	// only waits for them otherwise.
	done     chan struct{}
	doneOnce sync.Once
	// comments, limits and threads serve comments and reactions
	// (comments.go).
	comments *media.Comments
	limits   limiters
	threads  *threadCache
	// auth checks who is asking (auth.go, middleware.go).
	auth authState
	// fwd passes upload requests to the process holding the upload
	// (forward.go); nil on one process.
	fwd *forwarder
}

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	opt.PublicURL = strings.TrimRight(opt.PublicURL, "/")
	s := &Server{opt: opt, svc: opt.Service, log: opt.Log, done: make(chan struct{})}
	s.comments = opt.Comments
	s.fwd = newForwarder(opt.UploadOwners)
	s.limits = newLimiters(opt.RateLimits)
	s.threads = newThreadCache()
	s.comments.Hub.Observe(s.threads.invalidate)
	s.observeRecord()
	up, err := newUploads(s)
	if err != nil {
		return nil, err
	}
	s.uploads = up
	pg, err := newPages(opt.Frontend, opt.PublicURL)
	if err != nil {
		return nil, err
	}
	s.pages = pg
	if s.auth, err = newAuthState(opt); err != nil {
		return nil, fmt.Errorf("api: accounts: %w", err)
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// A forged X-Forwarded-For must not change who the client is (rate
	// limits key on it), so only configured proxies are believed.
	if err := e.SetTrustedProxies(opt.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	e.Use(s.observe(), s.recoverer(), s.securityHeaders(), s.jsonOnly)
	e.HandleMethodNotAllowed = true
	e.NoRoute(s.noRoute)
	e.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: "Method not allowed."}})
	})
	s.engine = e
	s.routes()
	return s, nil
}

// check refuses Options that lack a dependency.
func (opt Options) check() error {
	var missing []string
	if opt.Service == nil || opt.Service.Videos == nil {
		missing = append(missing, "Service (with Videos)")
	}
	if opt.Comments == nil || opt.Comments.Store == nil || opt.Comments.Hub == nil {
		missing = append(missing, "Comments")
	}
	if opt.Accounts == nil || opt.Accounts.Users == nil || opt.Accounts.Hasher == nil {
		missing = append(missing, "Accounts (with Users and Hasher)")
	}
	if opt.Presigner != nil && opt.PresignTTL <= 0 {
		missing = append(missing, "PresignTTL (with a Presigner)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("api: New needs %s", strings.Join(missing, ", "))
	}
	return nil
}

// routes is the only place that names paths.
func (s *Server) routes() {
	e := s.engine
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics)
	e.GET("/api/openapi.yaml", s.openapi)

	// accounts and the workspace (auth.go)
	signedIn := s.requireUser
	e.GET("/api/auth/options", s.authOptions)
	e.POST("/api/auth/signup", s.signup)
	e.POST("/api/auth/login", s.login)
	e.POST("/api/auth/logout", s.logout)
	e.GET("/api/auth/me", signedIn, s.me)
	e.GET("/api/auth/session", s.session)
	e.PATCH("/api/auth/me", signedIn, s.updateMe)
	e.POST("/api/auth/password", signedIn, s.changePassword)
	e.GET("/api/auth/tokens", signedIn, s.listTokens)
	e.POST("/api/auth/tokens", signedIn, s.createToken)
	e.DELETE("/api/auth/tokens/:tokenId", signedIn, s.revokeToken)
	e.GET("/api/auth/invite/:token", s.checkInvite)
	e.GET("/api/members", signedIn, s.listMembers)
	e.PATCH("/api/members/:userId", signedIn, s.updateMember)
	e.DELETE("/api/members/:userId", signedIn, s.removeMember)
	e.GET("/api/invites", signedIn, s.listInvites)
	e.POST("/api/invites", signedIn, s.createInvite)
	e.DELETE("/api/invites/:inviteId", signedIn, s.revokeInvite)

	// A member's videos, by id (middleware.go guards who may what).
	watch, manage := s.videoByID(media.AccessWatch), s.videoByID(media.AccessManage)
	e.POST("/api/videos", signedIn, s.recordUploadOwner, s.createVideo)
	e.GET("/api/videos", signedIn, s.listVideos)
	e.GET("/api/videos/:id", watch, s.getVideo)
	e.PATCH("/api/videos/:id", manage, s.updateVideo)
	e.DELETE("/api/videos/:id", manage, s.deleteVideo)
	e.GET("/api/videos/:id/events", watch, s.videoEvents)
	e.PATCH("/api/videos/:id/sharing", manage, s.updateSharing)
	e.POST("/api/videos/:id/sharing/regenerate", manage, s.regenerateLink)

	// comments
	e.GET("/api/videos/:id/comments", watch, s.listComments)
	e.POST("/api/videos/:id/comments", watch, s.createComment)
	e.GET("/api/videos/:id/comments.json", watch, s.exportCommentsJSON)
	e.GET("/api/videos/:id/comments.vtt", watch, s.exportCommentsVTT)
	e.PATCH("/api/comments/:commentId", s.commentAccess, s.updateComment)
	e.DELETE("/api/comments/:commentId", s.commentAccess, s.deleteComment)
	e.POST("/api/comments/:commentId/resolve", s.commentAccess, s.resolveComment)
	e.POST("/api/comments/:commentId/reopen", s.commentAccess, s.reopenComment)
	e.GET("/api/videos/:id/reactions", watch, s.listReactions)
	e.POST("/api/videos/:id/reactions", watch, s.createReaction)
	e.DELETE("/api/reactions/:reactionId", s.reactionAccess, s.deleteReaction)
	e.GET("/api/share/:slug/comments.json", s.videoBySlug, s.exportCommentsJSON)
	e.GET("/api/share/:slug/comments.vtt", s.videoBySlug, s.exportCommentsVTT)

	// The same for whoever holds the share link, signed in or not.
	shared := s.videoBySlug
	e.GET("/api/share/:slug", shared, s.getShared)
	e.POST("/api/share/:slug/unlock", s.unlockShared)
	e.POST("/api/share/:slug/views", shared, s.recordView)
	e.GET("/api/share/:slug/events", shared, s.videoEvents)
	e.GET("/api/share/:slug/comments", shared, s.listComments)
	e.POST("/api/share/:slug/comments", shared, s.createComment)
	e.PATCH("/api/share/:slug/comments/:commentId", shared, s.commentAccess, s.updateComment)
	e.DELETE("/api/share/:slug/comments/:commentId", shared, s.commentAccess, s.deleteComment)
	e.POST("/api/share/:slug/comments/:commentId/resolve", shared, s.commentAccess, s.resolveComment)
	e.POST("/api/share/:slug/comments/:commentId/reopen", shared, s.commentAccess, s.reopenComment)
	e.GET("/api/share/:slug/reactions", shared, s.listReactions)
	e.POST("/api/share/:slug/reactions", shared, s.createReaction)
	e.DELETE("/api/share/:slug/reactions/:reactionId", shared, s.reactionAccess, s.deleteReaction)

	// notifications, follows and webhooks (notifications.go, webhooks.go)
	e.GET("/api/notifications", signedIn, s.listNotifications)
	e.POST("/api/notifications/read", signedIn, s.markNotificationsRead)
	e.GET("/api/notifications/events", signedIn, s.notificationEvents)
	e.GET("/api/notifications/counts", signedIn, s.newCommentCounts)
	e.GET("/api/videos/:id/follow", watch, s.followState)
	e.POST("/api/videos/:id/follow", watch, s.setFollow(true))
	e.DELETE("/api/videos/:id/follow", watch, s.setFollow(false))
	e.POST("/api/videos/:id/seen", watch, s.markSeen)
	e.GET("/api/webhooks", signedIn, s.listWebhooks)
	e.POST("/api/webhooks", signedIn, s.createWebhook)
	e.DELETE("/api/webhooks/:webhookId", signedIn, s.deleteWebhook)
	e.POST("/api/webhooks/:webhookId/test", signedIn, s.testWebhook)
	e.GET("/api/webhooks/:webhookId/deliveries", signedIn, s.listWebhookDeliveries)

	// asks, receipts and insights (asks.go, insights.go)
	e.GET("/api/videos/:id/ask", manage, s.getAsk)
	e.PUT("/api/videos/:id/ask", manage, s.putAsk)
	e.DELETE("/api/videos/:id/ask", manage, s.deleteAsk)
	e.GET("/api/videos/:id/responses", manage, s.listResponses)
	e.GET("/api/videos/:id/insights", manage, s.getInsights)
	e.GET("/api/asks/waiting", signedIn, s.waitingOnMe)
	e.GET("/api/share/:slug/ask", shared, s.sharedAsk)
	e.POST("/api/share/:slug/ack", shared, s.ackAsk)

	// recurring check-ins (checkins.go)
	e.POST("/api/checkins", signedIn, s.createCheckin)
	e.GET("/api/checkins", signedIn, s.listCheckins)
	e.GET("/api/checkins/:checkinId", signedIn, s.getCheckin)
	e.DELETE("/api/checkins/:checkinId", signedIn, s.deleteCheckin)
	e.GET("/api/checkins/:checkinId/rounds/:round", signedIn, s.getRound)
	e.POST("/api/checkins/:checkinId/rounds/:round/posts", signedIn, s.postUpdate)

	// tus: uploads are created with their video (POST /api/videos), so
	// only the resume (HEAD) and append (PATCH) verbs are routed.
	e.HEAD("/api/uploads/:id", s.forwardUpload, manage, s.uploads.head)
	e.PATCH("/api/uploads/:id", s.forwardUpload, manage, s.uploads.patch)
	e.OPTIONS("/api/uploads/:id", s.uploads.options)

	// the written record (transcripts.go, chapters.go, summaries.go,
	// search.go, edits.go): transcripts, captions and thumbnails (served
	// with the media files), chapters, summaries, search, trims
	e.GET("/api/videos/:id/transcript", watch, s.getTranscript)
	e.GET("/api/videos/:id/transcript.txt", watch, s.downloadTranscript("txt"))
	e.GET("/api/videos/:id/transcript.vtt", watch, s.downloadTranscript("vtt"))
	e.GET("/api/videos/:id/transcript.srt", watch, s.downloadTranscript("srt"))
	e.PATCH("/api/videos/:id/transcript/segments/:segmentId", manage, s.correctSegment)
	e.POST("/api/videos/:id/transcript/retry", manage, s.retranscribe)
	e.GET("/api/share/:slug/transcript", shared, s.getTranscript)
	e.GET("/api/share/:slug/transcript.txt", shared, s.downloadTranscript("txt"))
	e.GET("/api/share/:slug/transcript.vtt", shared, s.downloadTranscript("vtt"))
	e.GET("/api/share/:slug/transcript.srt", shared, s.downloadTranscript("srt"))
	e.GET("/api/videos/:id/chapters", watch, s.getChapters)
	e.PUT("/api/videos/:id/chapters", manage, s.putChapters)
	e.GET("/api/share/:slug/chapters", shared, s.getChapters)
	e.GET("/api/videos/:id/summary", watch, s.getSummary)
	e.GET("/api/share/:slug/summary", shared, s.getSummary)
	e.GET("/api/search", signedIn, s.search)
	e.GET("/api/videos/:id/edit", manage, s.getEdit)
	e.POST("/api/videos/:id/edit", manage, s.postEdit)
	e.DELETE("/api/videos/:id/edit", manage, s.undoEdit)

	e.GET("/media/:slug/:file", shared, s.serveMedia)
	e.HEAD("/media/:slug/:file", shared, s.serveMedia)
	e.GET("/media/:slug/live/:file", shared, s.serveLive)
	e.GET("/api/config", s.clientConfig)
	e.GET("/oembed", s.oembed)

	e.GET("/", s.homePage)
	e.GET("/login", s.loginPage)
	e.GET("/signup", s.loginPage)
	e.GET("/invite/:token", s.loginPage)
	e.GET("/account", s.membersOnly("account.html"))
	e.GET("/record", s.membersOnly("record.html"))
	e.GET("/waiting", s.membersOnly("waiting.html"))
	e.GET("/checkins", s.membersOnly("checkin.html"))
	e.GET("/checkins/:checkinId", s.membersOnly("checkin.html"))
	e.GET("/v/:slug", s.watchPage)
	e.GET("/embed/:slug", s.embedPage)
	// Signed links in emails, for people who are not signed in
	// (notifications.go). Mail providers POST the one-click unsubscribe
	// (RFC 8058) as a form, so these live outside the JSON API.
	e.GET("/email/unsubscribe", s.unsubscribe)
	e.POST("/email/unsubscribe", s.unsubscribe)
	e.GET("/email/confirm", s.confirmGuestEmail)
	e.GET("/assets/*path", s.pages.asset)
	e.HEAD("/assets/*path", s.pages.asset)
}

// SetPublicURL changes the base of generated links (for servers that learn
// their port after listening).
func (s *Server) SetPublicURL(u string) {
	s.opt.PublicURL = strings.TrimRight(u, "/")
	s.pages.publicURL = s.opt.PublicURL
	s.auth.trustOrigin(s.opt.PublicURL)
}

// CloseStreams ends every open event stream; call it when shutting down.
func (s *Server) CloseStreams() { s.doneOnce.Do(func() { close(s.done) }) }

// Handler returns the HTTP handler: the routes behind the cross-site
// request guard (auth.go).
func (s *Server) Handler() http.Handler { return s.auth.cop.Handler(s.engine) }

// Start runs background upkeep (finishing uploads a crash interrupted,
// removing expired ones) until ctx ends.
func (s *Server) Start(ctx context.Context) {
	go s.uploads.upkeep(ctx)
}

// SweepUploads runs one pass of upload upkeep now (Start runs one a
// minute): hand-offs a crash or an outage interrupted, and expiry. For tests
// and operators' tools.
func (s *Server) SweepUploads(ctx context.Context) { s.uploads.sweep(ctx) }

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz reports whether the dependencies answer, each within a deadline,
// so a load balancer stops sending traffic while the store is down.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks, ok := s.svc.Readiness(ctx)
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}

// clientConfig tells the web UI the limits it should respect.
func (s *Server) clientConfig(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{
		"maxRecordingSeconds": int(s.opt.MaxRecording.Seconds()),
		"maxUploadBytes":      s.opt.MaxUploadBytes,
	})
}

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", OpenAPI)
}

func (s *Server) noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/media/") || c.Request.Method != http.MethodGet {
		c.AbortWithStatusJSON(http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: media.ENOTFOUND, Message: "Not found."}})
		return
	}
	s.pages.notFound(c)
}

func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "path", c.Request.URL.Path, "panic", r)
				s.writeError(c, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

func (s *Server) securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		// Prebuilt values (canonical keys) spare three allocations on
		// every request; net/http only reads them.
		h := c.Writer.Header()
		h["X-Content-Type-Options"] = hvNosniff
		h["Referrer-Policy"] = hvReferrer
		// Only the embed player may be framed by other sites.
		if !strings.HasPrefix(c.Request.URL.Path, "/embed/") {
			h["X-Frame-Options"] = hvDeny
		}
		c.Next()
	}
}

// Header values shared by every response. Foot-gun: never append to them
// in place; Header.Set and Header.Add replace or copy them, which is safe.
var (
	hvNosniff  = []string{"nosniff"}
	hvReferrer = []string{"strict-origin-when-cross-origin"}
	hvDeny     = []string{"DENY"}
	hvJSON     = []string{"application/json; charset=utf-8"}
)
