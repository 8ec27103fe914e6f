package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Comments, threads and reactions of a video (see media.Comments for the
// rules). Who is asking: the signed-in member (auth.go), and the
// X-Guest-Secret header, the
// per-browser secret a guest got from their first comment or reaction (or
// made up: 22+ base64url characters), which proves authorship of their
// comments and reactions. The video's owner is the member who created it
// (or an admin).
//
// Writes are rate limited per client (its address as Gin's ClientIP sees
// it, which believes X-Forwarded-For only from the configured proxies) and
// per video.

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

// defaultComments builds the comment rules over the service's stores, for
// callers that did not wire them.
func defaultComments(svc *media.Service) *media.Comments {
	if svc == nil {
		return media.NewComments(nil, nil, nil)
	}
	store, _ := svc.Videos.(media.CommentStore)
	return media.NewComments(store, svc.Videos, svc.Events)
}

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

// requestActor is who is asking (the signed-in member, if any, and the
// guest secret), without checking the secret's shape.
func (s *Server) requestActor(c *gin.Context) media.Actor {
	a := s.signedInActor(c)
	a.GuestSecret = c.GetHeader("X-Guest-Secret")
	return a
}

// actor is who is asking; a malformed X-Guest-Secret is refused.
func (s *Server) actor(c *gin.Context) (media.Actor, bool) {
	a := s.requestActor(c)
	if a.GuestSecret != "" && !media.ValidSecret(a.GuestSecret) {
		s.badRequest(c, "X-Guest-Secret must be 22 to 128 characters of A-Z, a-z, 0-9, - and _.")
		return a, false
	}
	return a, true
}

// paramID reads an id path parameter; a malformed id is simply not found.
func (s *Server) paramID(c *gin.Context, name, what string) (string, bool) {
	id := c.Param(name)
	if !media.ValidID(id) {
		s.writeError(c, media.Errorf(media.ENOTFOUND, "%s not found.", what))
		return "", false
	}
	return id, true
}

// maxJSONBody caps request bodies: a 5000-character comment is at most 20 KB
// of UTF-8, more with JSON escapes.
const maxJSONBody = 64 << 10

// decodeJSON reads the request body as exactly one JSON object into v,
// refusing unknown fields so that a misspelt one is not silently ignored.
func (s *Server) decodeJSON(c *gin.Context, v any) bool {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return true
	}
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		s.writeError(c, media.Errorf(media.ETOOLARGE, "The request body is over %d KB.", maxJSONBody>>10))
	case errors.As(err, &typeErr) && typeErr.Field != "":
		s.badRequest(c, "%s must be a %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		s.badRequest(c, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		s.badRequest(c, "The request body must be one JSON object.")
	}
	return false
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "ptr", "struct", "map":
		return "JSON object"
	}
	return "number"
}

// parseMillis reads a time in whole milliseconds from a JSON value. Absent
// and null are "not given". Fractions, negatives, strings and anything
// else are refused with a message naming the field.
func parseMillis(raw json.RawMessage, name string) (int64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if raw[0] == '-' {
		return 0, false, media.Errorf(media.EINVALID, "%s must not be negative.", name)
	}
	if raw[0] < '0' || raw[0] > '9' {
		return 0, false, media.Errorf(media.EINVALID, "%s must be a number of milliseconds.", name)
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f > 1<<53 {
		return 0, false, media.Errorf(media.EINVALID, "%s is out of range.", name)
	}
	if f != math.Trunc(f) {
		return 0, false, media.Errorf(media.EINVALID, "%s must be a whole number of milliseconds.", name)
	}
	return int64(f), true, nil
}

// Cursors are opaque to clients: base64url of "<timeMs>_<id>".
func encodeCursor(timeMs int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(timeMs, 10) + "_" + id))
}

func decodeCursor(s string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", false
	}
	t, id, ok := strings.Cut(string(b), "_")
	n, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil || n < 0 || !media.ValidID(id) {
		return 0, "", false
	}
	return n, id, true
}

// page reads limit and cursor query parameters.
func (s *Server) page(c *gin.Context, def, max int) (limit int, afterTime int64, afterID string, ok bool) {
	limit = def
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > max {
			s.badRequest(c, "limit must be a number from 1 to %d.", max)
			return 0, 0, "", false
		}
		limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		if afterTime, afterID, ok = decodeCursor(cur); !ok {
			s.badRequest(c, "cursor is not one this API gave out.")
			return 0, 0, "", false
		}
	}
	return limit, afterTime, afterID, true
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

func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
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

func (s *Server) listComments(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	limit, afterTime, afterID, ok := s.page(c, 50, 200)
	if !ok {
		return
	}
	k := threadKey{videoID: v.ID, limit: limit, afterTime: afterTime, afterID: afterID}
	e := s.threads.get(k)
	if e == nil {
		stamp := s.threads.stamp(v.ID)
		p, err := s.comments.Threads(c.Request.Context(), v.ID, media.ThreadOptions{Limit: limit, AfterTimeMs: afterTime, AfterID: afterID})
		if err != nil {
			s.writeError(c, err)
			return
		}
		body, err := json.Marshal(threadPageOut(p, media.Actor{}, v))
		if err != nil {
			s.writeError(c, err)
			return
		}
		e = &threadEntry{page: p, body: body}
		s.threads.put(k, stamp, e)
	}
	if wroteAny(e.page, a, v) {
		// The caller's own comments are marked mine: not the shared answer.
		c.JSON(http.StatusOK, threadPageOut(e.page, a, v))
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", e.body)
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

// wroteAny reports whether a wrote any comment of the page.
func wroteAny(p *media.ThreadPage, a media.Actor, v *media.Video) bool {
	if a.UserID == "" && a.GuestSecret == "" {
		return false
	}
	for _, th := range p.Threads {
		if th.AuthoredBy(a, v) {
			return true
		}
		for _, r := range th.Replies {
			if r.AuthoredBy(a, v) {
				return true
			}
		}
	}
	return false
}

// threadCache keeps answered pages of thread lists, so that the many
// viewers who open a watch page at once cost one query, not one each. Every
// comment event of a video drops the video's pages (the hub tells it before
// any live stream hears of the event), and a page read from the database is
// kept only if no event of its video came while it was being read, so no
// page older than the last event is ever answered. Deleted videos answer
// 404 before the cache is asked.
//
// Foot-gun: the cache only hears this process's events; a deployment with
// several API processes must relay events between them (as the live
// streams need anyway).
type threadCache struct {
	mu    sync.Mutex
	epoch uint64            // bumped when gen is reset
	gen   map[string]uint64 // per video, bumped by each of its events
	pages map[string]map[threadKey]*threadEntry
	n     int
}

type threadKey struct {
	videoID   string
	limit     int
	afterTime int64
	afterID   string
}

type threadEntry struct {
	page *media.ThreadPage
	body []byte // the answer for callers who wrote none of the page
}

type cacheStamp struct{ epoch, gen uint64 }

// Bounds of the cache: pages kept, and videos whose generation is tracked.
const (
	maxCachedPages = 4096
	maxCacheGens   = 100_000
)

func newThreadCache() *threadCache {
	return &threadCache{gen: map[string]uint64{}, pages: map[string]map[threadKey]*threadEntry{}}
}

func (tc *threadCache) get(k threadKey) *threadEntry {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.pages[k.videoID][k]
}

// stamp is taken before reading a page from the database.
func (tc *threadCache) stamp(videoID string) cacheStamp {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return cacheStamp{tc.epoch, tc.gen[videoID]}
}

// put keeps e unless an event of its video came since st was taken.
func (tc *threadCache) put(k threadKey, st cacheStamp, e *threadEntry) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if st != (cacheStamp{tc.epoch, tc.gen[k.videoID]}) {
		return
	}
	if tc.n >= maxCachedPages {
		tc.pages, tc.n = map[string]map[threadKey]*threadEntry{}, 0
	}
	m := tc.pages[k.videoID]
	if m == nil {
		m = map[threadKey]*threadEntry{}
		tc.pages[k.videoID] = m
	}
	if _, ok := m[k]; !ok {
		tc.n++
	}
	m[k] = e
}

// invalidate drops a video's pages; the hub calls it for every event.
func (tc *threadCache) invalidate(ev *media.CommentEvent) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.gen[ev.VideoID]++
	tc.n -= len(tc.pages[ev.VideoID])
	delete(tc.pages, ev.VideoID)
	if len(tc.gen) > maxCacheGens {
		tc.epoch++
		tc.gen, tc.pages, tc.n = map[string]uint64{}, map[string]map[threadKey]*threadEntry{}, 0
	}
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

func (s *Server) createComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	videoID := v.ID
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req createCommentRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Body == nil {
		s.badRequest(c, "body is required.")
		return
	}
	in := media.CommentInput{Body: *req.Body, ParentID: req.ParentID, GuestName: req.GuestName, Urgent: req.Urgent, NotifyEmail: req.NotifyEmail}
	var err error
	if in.TimeMs, in.HasTime, err = parseMillis(req.TimeMs, "timeMs"); err != nil {
		s.writeError(c, err)
		return
	}
	var hasEnd bool
	if in.EndMs, hasEnd, err = parseMillis(req.EndMs, "endMs"); err != nil {
		s.writeError(c, err)
		return
	}
	if hasEnd && in.EndMs == 0 {
		s.badRequest(c, "endMs must be after timeMs.")
		return
	}
	if hasEnd && !in.HasTime {
		s.badRequest(c, "endMs needs a timeMs.")
		return
	}
	if in.ParentID != "" && !media.ValidID(in.ParentID) {
		s.badRequest(c, "parentId does not name a comment of this video.")
		return
	}
	// The video's bucket is taken only for well-formed requests, so a
	// client cannot drain it for others with garbage.
	if !s.allowVideo(c, s.limits.commentClient, s.limits.commentVideo, videoID, "comments") {
		return
	}
	cm, minted, err := s.comments.Create(c.Request.Context(), videoID, a, in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdCommentJSON{commentJSON: toCommentJSON(cm, true), GuestSecret: minted})
}

type updateCommentRequest struct {
	Body *string `json:"body"`
}

func (s *Server) updateComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req updateCommentRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Body == nil {
		s.badRequest(c, "body is required.")
		return
	}
	cm, err := s.comments.Edit(c.Request.Context(), id, a, *req.Body)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toCommentJSON(cm, true))
}

type deletedCommentJSON struct {
	Comment commentJSON `json:"comment"`
	// Removed: the comment is gone; otherwise it is a placeholder kept for
	// its replies.
	Removed bool `json:"removed"`
}

func (s *Server) deleteComment(c *gin.Context) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	ev, err := s.comments.Delete(c.Request.Context(), id, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, deletedCommentJSON{Comment: toCommentJSON(ev.Comment, false), Removed: ev.Removed})
}

func (s *Server) resolveComment(c *gin.Context) { s.setResolved(c, true) }
func (s *Server) reopenComment(c *gin.Context)  { s.setResolved(c, false) }

func (s *Server) setResolved(c *gin.Context, resolved bool) {
	if !s.allow(c, s.limits.commentClient, "comments") {
		return
	}
	id, ok := s.paramID(c, "commentId", "Comment")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	cm, err := s.comments.Resolve(c.Request.Context(), id, a, resolved)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toCommentJSON(cm, cm.AuthoredBy(a, nil)))
}

type reactionPageJSON struct {
	Reactions  []reactionJSON `json:"reactions"`
	Counts     map[string]int `json:"counts"`
	Emoji      []string       `json:"emoji"`
	NextCursor string         `json:"nextCursor"`
}

func (s *Server) listReactions(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	limit, afterTime, afterID, ok := s.page(c, 500, 1000)
	if !ok {
		return
	}
	p, err := s.comments.Reactions(c.Request.Context(), v.ID, media.ReactionOptions{Limit: limit, AfterTimeMs: afterTime, AfterID: afterID})
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := reactionPageJSON{Reactions: make([]reactionJSON, 0, len(p.Reactions)), Counts: counts(p.Counts), Emoji: media.ReactionEmoji}
	for _, r := range p.Reactions {
		out.Reactions = append(out.Reactions, toReactionJSON(r, r.ReactedBy(a)))
	}
	if p.More {
		last := p.Reactions[len(p.Reactions)-1]
		out.NextCursor = encodeCursor(last.TimeMs, last.ID)
	}
	c.JSON(http.StatusOK, out)
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

func (s *Server) createReaction(c *gin.Context) {
	if !s.allow(c, s.limits.reactionClient, "reactions") {
		return
	}
	v, ok := s.video(c)
	if !ok {
		return
	}
	videoID := v.ID
	a, ok := s.actor(c)
	if !ok {
		return
	}
	var req createReactionRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	t, has, err := parseMillis(req.TimeMs, "timeMs")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if !has {
		s.badRequest(c, "timeMs is required.")
		return
	}
	if !s.allowVideo(c, s.limits.reactionClient, s.limits.reactionVideo, videoID, "reactions") {
		return
	}
	ev, minted, err := s.comments.React(c.Request.Context(), videoID, a, req.Emoji, t)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdReactionJSON{Reaction: toReactionJSON(ev.Reaction, true), Counts: counts(ev.Counts), GuestSecret: minted})
}

func (s *Server) deleteReaction(c *gin.Context) {
	if !s.allow(c, s.limits.reactionClient, "reactions") {
		return
	}
	id, ok := s.paramID(c, "reactionId", "Reaction")
	if !ok {
		return
	}
	a, ok := s.actor(c)
	if !ok {
		return
	}
	ev, err := s.comments.Unreact(c.Request.Context(), id, a)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"counts": counts(ev.Counts)})
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

func (s *Server) exportCommentsJSON(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	threads, err := s.comments.AllThreads(ctx, v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var out exportJSON
	out.Video.ID, out.Video.Title, out.Video.DurationMs = v.ID, v.Title, v.DurationMs
	out.Video.ShareURL = s.opt.PublicURL + "/v/" + v.Slug
	out.ExportedAt = timeJSON(time.Now())
	out.Threads = make([]threadJSON, 0, len(threads))
	for _, th := range threads {
		out.Threads = append(out.Threads, toThreadJSON(th, media.Actor{}, v))
	}
	out.Reactions = []reactionJSON{}
	opt := media.ReactionOptions{Limit: 1000}
	for {
		p, err := s.comments.Reactions(ctx, v.ID, opt)
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, r := range p.Reactions {
			out.Reactions = append(out.Reactions, toReactionJSON(r, false))
		}
		out.ReactionCounts = counts(p.Counts)
		if !p.More {
			break
		}
		last := p.Reactions[len(p.Reactions)-1]
		opt.AfterTimeMs, opt.AfterID = last.TimeMs, last.ID
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="comments-`+v.ID+`.json"`)
	c.JSON(http.StatusOK, out)
}

func (s *Server) exportCommentsVTT(c *gin.Context) {
	v, ok := s.video(c)
	if !ok {
		return
	}
	threads, err := s.comments.AllThreads(c.Request.Context(), v.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var b bytes.Buffer
	writeVTT(&b, threads)
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `inline; filename="comments-`+v.ID+`.vtt"`)
	c.Data(http.StatusOK, "text/vtt; charset=utf-8", b.Bytes())
}

// vttCueMs is how long a comment about a moment stays on screen.
const vttCueMs = 4000

// writeVTT writes threads as a WebVTT track: one cue per comment from its
// time to its range end (or for vttCueMs), "Name: body", replies as their
// own cues marked with "↳". Deleted placeholders have no cue. Cue text is
// escaped (&, <, >), which also keeps "-->" out of it, and blank lines,
// which would end a cue, are dropped.
func writeVTT(w io.Writer, threads []*media.Comment) {
	type cue struct {
		start, end int64
		id, text   string
	}
	var cues []cue
	add := func(cm *media.Comment, prefix string) {
		if cm.Deleted {
			return
		}
		end := cm.EndMs
		if end <= cm.TimeMs {
			end = cm.TimeMs + vttCueMs
		}
		cues = append(cues, cue{cm.TimeMs, end, cm.ID, prefix + cm.AuthorName + ": " + cm.Body})
	}
	for _, th := range threads {
		add(th, "")
		for _, r := range th.Replies {
			add(r, "↳ ")
		}
	}
	// WebVTT wants cues in order of their start.
	sort.SliceStable(cues, func(i, j int) bool { return cues[i].start < cues[j].start })
	io.WriteString(w, "WEBVTT\n\n")
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for _, q := range cues {
		fmt.Fprintf(w, "%s\n%s --> %s\n", q.id, vttTime(q.start), vttTime(q.end))
		for _, line := range strings.Split(q.text, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			io.WriteString(w, esc.Replace(line)+"\n")
		}
		io.WriteString(w, "\n")
	}
}

func vttTime(ms int64) string {
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
