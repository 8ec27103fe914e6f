package api

import (
	"encoding/json"
)

/* ---------- Asks and insights (asks.go, insights.go) ---------- */

type askRequest struct {
	Question   string          `json:"question"`
	ReplyBy    json.RawMessage `json:"replyBy"`
	Recipients []string        `json:"recipients"`
}

// askJSON is an ask as its owner sees it, with every personal link.
type askJSON struct {
	Question   string             `json:"question"`
	ReplyBy    string             `json:"replyBy"`
	Recipients []askRecipientJSON `json:"recipients"`
	// Warnings tell the owner what may keep people from answering in
	// time (deadlines outside someone's hours, a video they cannot open).
	Warnings []string `json:"warnings"`
}

type askRecipientJSON struct {
	ID     string `json:"id"`
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Link   string `json:"link"`
	// Needs is what they need to open it: link, sign-in, password or
	// unavailable (a private video).
	Needs    string `json:"needs"`
	TimeZone string `json:"timeZone"`
}

type responseJSON struct {
	ID             string `json:"id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Member         bool   `json:"member"`
	State          string `json:"state"`
	OpenedAt       string `json:"openedAt"`
	WatchedPercent int    `json:"watchedPercent"`
	RepliedAt      string `json:"repliedAt"`
	AcknowledgedAt string `json:"acknowledgedAt"`
	Overdue        bool   `json:"overdue"`
	Away           bool   `json:"away"`
	AwayUntil      string `json:"awayUntil"`
	TimeZone       string `json:"timeZone"`
}

type responsesJSON struct {
	Question   string          `json:"question"`
	ReplyBy    string          `json:"replyBy"`
	Summary    *askSummaryJSON `json:"summary"`
	Recipients []responseJSON  `json:"recipients"`
}

// askSummaryJSON is the library's line: "2 of 5 replied, 1 overdue".
type askSummaryJSON struct {
	Total   int    `json:"total"`
	Replied int    `json:"replied"`
	Overdue int    `json:"overdue"`
	Away    int    `json:"away"`
	ReplyBy string `json:"replyBy"`
	Text    string `json:"text"`
}

// sharedAskJSON is what a viewer sees of the ask; You is set for its
// recipients.
type sharedAskJSON struct {
	Question string        `json:"question"`
	ReplyBy  string        `json:"replyBy"`
	From     string        `json:"from"`
	Overdue  bool          `json:"overdue"`
	You      *responseJSON `json:"you"`
}

type ackRequest struct {
	Token string `json:"token"`
}

type waitingJSON struct {
	VideoID   string `json:"videoId"`
	Title     string `json:"title"`
	From      string `json:"from"`
	Question  string `json:"question"`
	ReplyBy   string `json:"replyBy"`
	Link      string `json:"link"`
	State     string `json:"state"`
	Overdue   bool   `json:"overdue"`
	PosterURL string `json:"posterUrl"`
}

type insightsJSON struct {
	Views          int                 `json:"views"`
	UniqueViewers  int                 `json:"uniqueViewers"`
	CompletionRate float64             `json:"completionRate"`
	Heat           []float64           `json:"heat"`
	Viewers        []insightViewerJSON `json:"viewers"`
}

type insightViewerJSON struct {
	Name           string `json:"name"`
	Email          string `json:"email"`
	FirstViewAt    string `json:"firstViewAt"`
	WatchedPercent int    `json:"watchedPercent"`
}
