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

// Rate limits: token buckets (media.RateLimiter), charged to who is
// asking, and only after the route's guard let the request through, so a
// request refused for authorization spends nobody's budget.
//
//	signed in (session or API token)  per account, from any address: people
//	                                  behind one office NAT do not throttle
//	                                  each other, and no flood of guests from
//	                                  a member's address throttles the member
//	guest                             per address (ClientIP, which believes
//	                                  X-Forwarded-For only from the configured
//	                                  proxies; an IPv6 client is its /64), and
//	                                  all guests of one video together
//	password guessing                 per address, per account and per video
//	                                  (AuthLimits): there is no one to charge
//	                                  before the password is right
//
// A write the rules then refuse (not theirs, comments off, guests not
// allowed) gives its tokens back (refundRefused).

// RateLimits bounds writes. Zero rates take the defaults.
type RateLimits struct {
	// Disabled turns every limit off (benchmarks).
	Disabled bool
	// CommentsPerClient bounds one caller's comment writes (create, edit,
	// delete, resolve, reopen).
	CommentsPerClient media.Rate
	// CommentsPerVideo bounds new guest comments on one video, all guests
	// together.
	CommentsPerVideo media.Rate
	// ReactionsPerClient bounds one caller's reactions (react, unreact).
	ReactionsPerClient media.Rate
	// ReactionsPerVideo bounds new guest reactions on one video.
	ReactionsPerVideo media.Rate
	// VideosPerAccount bounds video creation (POST /api/videos), which
	// also reserves an upload in staging.
	VideosPerAccount media.Rate
}

// Default rate limits: a person can post a burst of 20 comments and then
// one every 3 s; a video takes bursts of 60 and then 2 a second from its
// guests together. Reactions are cheaper and more bursty. An account can
// create 30 videos at once and then one a second, far beyond recording by
// hand, while a runaway script stays bounded.
var (
	DefaultCommentsPerClient  = media.Rate{Burst: 20, Every: 3 * time.Second}
	DefaultCommentsPerVideo   = media.Rate{Burst: 60, Every: 500 * time.Millisecond}
	DefaultReactionsPerClient = media.Rate{Burst: 60, Every: 500 * time.Millisecond}
	DefaultReactionsPerVideo  = media.Rate{Burst: 300, Every: 50 * time.Millisecond}
	DefaultVideosPerAccount   = media.Rate{Burst: 30, Every: time.Second}
)

type limiters struct {
	commentClient, commentVideo, reactionClient, reactionVideo, videoCreate *media.RateLimiter
}

func newLimiters(rl RateLimits) limiters {
	if rl.Disabled {
		return limiters{} // nil limiters allow everything
	}
	return limiters{
		commentClient:  limiterOr(rl.CommentsPerClient, DefaultCommentsPerClient),
		commentVideo:   limiterOr(rl.CommentsPerVideo, DefaultCommentsPerVideo),
		reactionClient: limiterOr(rl.ReactionsPerClient, DefaultReactionsPerClient),
		reactionVideo:  limiterOr(rl.ReactionsPerVideo, DefaultReactionsPerVideo),
		videoCreate:    limiterOr(rl.VideosPerAccount, DefaultVideosPerAccount),
	}
}

// limiterOr is a limiter at r, or at def when r is zero.
func limiterOr(r, def media.Rate) *media.RateLimiter {
	if r.Burst <= 0 {
		r = def
	}
	return media.NewRateLimiter(r)
}

// clientKey names the client's address for rate limits. An IPv6 client is
// its /64, which one host usually owns whole, so hopping addresses does not
// help.
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

// callerKey names whom a write is charged to: the signed-in account, else
// the guest's address.
func (s *Server) callerKey(c *gin.Context) string {
	if u := s.currentUser(c); u != nil {
		return "user:" + u.ID
	}
	return "addr:" + clientKey(c)
}

// allow takes a token from the caller's bucket (callerKey), or answers
// 429 with Retry-After and returns false.
func (s *Server) allow(c *gin.Context, caller *media.RateLimiter, what string) bool {
	if ok, wait := caller.Allow(s.callerKey(c)); !ok {
		s.tooMany(c, wait, fmt.Sprintf("Too many %s from you; try again in %%d s.", what))
		return false
	}
	return true
}

// allowAddr takes a token from the client address's bucket, for attempts
// made before anyone is signed in (passwords, invites), or answers 429.
func (s *Server) allowAddr(c *gin.Context, addr *media.RateLimiter, what string) bool {
	if ok, wait := addr.Allow(clientKey(c)); !ok {
		s.tooMany(c, wait, fmt.Sprintf("Too many %s from you; try again in %%d s.", what))
		return false
	}
	return true
}

// allowVideo takes a guest's token from the video's bucket, or gives the
// caller's token back (the caller did nothing wrong) and answers 429.
// Members are limited per account only: a flood of guests on a video does
// not silence its team.
func (s *Server) allowVideo(c *gin.Context, caller, video *media.RateLimiter, videoID, what string) bool {
	if s.currentUser(c) != nil {
		return true
	}
	if ok, wait := video.Allow(videoID); !ok {
		caller.Refund(s.callerKey(c))
		s.tooMany(c, wait, fmt.Sprintf("This video is getting too many %s right now; try again in %%d s.", what))
		return false
	}
	return true
}

// refundRefused gives back the caller's token (and the video's, for a
// guest, when video is set) if the rules refused the write for who is
// asking: such a request spends nobody's budget.
func (s *Server) refundRefused(c *gin.Context, err error, caller, video *media.RateLimiter, videoID string) {
	switch media.ErrorCode(err) {
	case media.EUNAUTHORIZED, media.ENOTALLOWED, media.ECOMMENTSOFF, media.EGUESTSOFF,
		media.EREACTIONSOFF, media.EPASSWORDREQUIRED:
	default:
		return
	}
	caller.Refund(s.callerKey(c))
	if video != nil && s.currentUser(c) == nil {
		video.Refund(videoID)
	}
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
	if !s.allowAddr(c, s.auth.login, "sign-in attempts") {
		return false
	}
	if ok, wait := s.auth.account.Allow(accountKey(email)); !ok {
		s.auth.login.Refund(clientKey(c))
		s.tooMany(c, wait, "Too many sign-in attempts for this account; try again in %d s.")
		return false
	}
	return true
}
