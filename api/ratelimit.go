package api

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Rate limits. Token buckets (media.RateLimiter) keyed by who is asking:
// comment and reaction writes per client and per video, password guessing
// per client and per account. The client is its address as Gin's ClientIP
// sees it, which believes X-Forwarded-For only from the configured proxies.

// RateLimits bounds comment and reaction writes. Zero rates take defaults.
type RateLimits struct {
	// Disabled turns every limit off (benchmarks).
	Disabled           bool
	CommentsPerClient  media.Rate // create, edit, delete, resolve, reopen
	CommentsPerVideo   media.Rate // create
	ReactionsPerClient media.Rate // react, unreact
	ReactionsPerVideo  media.Rate // react
}

// Default rate limits: a person can post a burst of 20 comments and then
// one every 3 s; a video takes bursts of 60 and then 2 a second from
// everyone together. Reactions are cheaper and more bursty.
var (
	DefaultCommentsPerClient  = media.Rate{Burst: 20, Every: 3 * time.Second}
	DefaultCommentsPerVideo   = media.Rate{Burst: 60, Every: 500 * time.Millisecond}
	DefaultReactionsPerClient = media.Rate{Burst: 60, Every: 500 * time.Millisecond}
	DefaultReactionsPerVideo  = media.Rate{Burst: 300, Every: 50 * time.Millisecond}
)

type limiters struct {
	commentClient, commentVideo, reactionClient, reactionVideo *media.RateLimiter
}

func newLimiters(rl RateLimits) limiters {
	if rl.Disabled {
		return limiters{} // nil limiters allow everything
	}
	or := func(r, def media.Rate) *media.RateLimiter {
		if r.Burst <= 0 {
			r = def
		}
		return media.NewRateLimiter(r)
	}
	return limiters{
		commentClient:  or(rl.CommentsPerClient, DefaultCommentsPerClient),
		commentVideo:   or(rl.CommentsPerVideo, DefaultCommentsPerVideo),
		reactionClient: or(rl.ReactionsPerClient, DefaultReactionsPerClient),
		reactionVideo:  or(rl.ReactionsPerVideo, DefaultReactionsPerVideo),
	}
}

// clientKey names the client for rate limits. An IPv6 client is its /64,
// which one host usually owns whole, so hopping addresses does not help.
func clientKey(c *gin.Context) string {
	ip := net.ParseIP(c.ClientIP())
	if ip == nil {
		return c.ClientIP()
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// allow takes a token from the client's bucket, or answers 429 with
// Retry-After and returns false.
func (s *Server) allow(c *gin.Context, client *media.RateLimiter, what string) bool {
	if ok, wait := client.Allow(clientKey(c)); !ok {
		s.tooMany(c, wait, fmt.Sprintf("Too many %s from you; try again in %%d s.", what))
		return false
	}
	return true
}

// allowVideo takes a token from the video's bucket, or gives the client's
// token back (the client did nothing wrong) and answers 429.
func (s *Server) allowVideo(c *gin.Context, client, video *media.RateLimiter, videoID, what string) bool {
	if ok, wait := video.Allow(videoID); !ok {
		client.Refund(clientKey(c))
		s.tooMany(c, wait, fmt.Sprintf("This video is getting too many %s right now; try again in %%d s.", what))
		return false
	}
	return true
}

func (s *Server) tooMany(c *gin.Context, wait time.Duration, format string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	s.writeError(c, media.Errorf(media.ERATELIMIT, format, secs))
}

// AuthLimits bounds guessing of account and video passwords. Zero rates
// take the defaults.
type AuthLimits struct {
	// Disabled turns the limits off (benchmarks).
	Disabled bool
	// LoginPerClient bounds sign-in and sign-up attempts from one client.
	LoginPerClient media.Rate
	// LoginPerAccount bounds sign-in attempts at one email address, from
	// anywhere, and password changes of one account.
	LoginPerAccount media.Rate
	// PasswordPerClient bounds attempts at one video's password from one
	// client.
	PasswordPerClient media.Rate
}

// Default limits: ten attempts at once, then one every 6 s from a client
// (ten a minute); ten at once, then two a minute at one account; five at
// once, then one every 12 s at one video's password.
var (
	DefaultLoginPerClient    = media.Rate{Burst: 10, Every: 6 * time.Second}
	DefaultLoginPerAccount   = media.Rate{Burst: 10, Every: 30 * time.Second}
	DefaultPasswordPerClient = media.Rate{Burst: 5, Every: 12 * time.Second}
)

func accountKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// allowLogin takes a token from the client's and the account's buckets, or
// answers 429.
func (s *Server) allowLogin(c *gin.Context, email string) bool {
	if !s.allow(c, s.auth.login, "sign-in attempts") {
		return false
	}
	if ok, wait := s.auth.account.Allow(accountKey(email)); !ok {
		s.auth.login.Refund(clientKey(c))
		s.tooMany(c, wait, "Too many sign-in attempts for this account; try again in %d s.")
		return false
	}
	return true
}
