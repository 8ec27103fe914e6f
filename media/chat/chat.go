// Package chat writes video summaries and chapter suggestions with any
// OpenAI-compatible chat-completions endpoint (POST {URL}/v1/chat/completions):
// llama.cpp's server, Ollama, vLLM, LocalAI, or a cloud service. It
// implements media.Summarizer.
//
// The request carries the video's title and its transcript as timed
// lines ("[12:34] text"), cut to a budget so a long video cannot build an
// unbounded request, and asks for one JSON object {"summary", "chapters":
// [{"start": "m:ss", "title"}]}. The answer is read leniently (a JSON
// object anywhere in the reply, code fences and all; start as "m:ss",
// "h:mm:ss" or seconds), because models and servers differ in how well
// they follow the format; media cleans what is kept.
//
// The URL is the operator's own setting (BATON_LLM_URL), so it is not held
// to the private-address rule of webhooks: a model on localhost is the
// private deployment. With a cloud service, every summarized transcript
// is sent to it.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/openaicompat"
)

// Client is a media.Summarizer over a chat-completions endpoint.
type Client struct {
	// URL is the service's base URL (http://127.0.0.1:8080, or
	// https://api.example.com/v1) or the full chat-completions endpoint.
	URL string
	// Key, if set, is sent as a bearer token.
	Key string
	// Model names the model.
	Model string
	// MaxTranscript bounds the transcript sent, in bytes; DefaultMaxTranscript if 0.
	MaxTranscript int
	// Timeout bounds one request; 5 minutes if 0 (a small local model on
	// a CPU is slow).
	Timeout time.Duration
	// Client, if set, replaces the default client (tests).
	Client *http.Client
}

var _ media.Summarizer = (*Client)(nil)

// DefaultMaxTranscript is about an hour of speech, well inside the
// context of current small models.
const DefaultMaxTranscript = 48 << 10

// maxAnswer bounds the service's answer.
const maxAnswer = 1 << 20

// Name is the model.
func (c *Client) Name() string { return c.Model }

// Endpoint is the chat-completions URL the base URL names.
func (c *Client) Endpoint() (string, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("BATON_LLM_URL must be an absolute http(s) URL")
	}
	switch {
	case strings.HasSuffix(u.Path, "/chat/completions"):
	case strings.HasSuffix(u.Path, "/v1"):
		u.Path += "/chat/completions"
	default:
		u.Path += "/v1/chat/completions"
	}
	return u.String(), nil
}

const instructions = `You summarize short work videos (async status updates) from their transcripts, for colleagues who will not watch them.
Answer with one JSON object and nothing else:
{"summary": "<2 to 4 plain sentences: what was said, decided or asked>", "chapters": [{"start": "<m:ss>", "title": "<2 to 6 words>"}]}
Chapters: where the topic changes, the first at 0:00, at most 10, none for a video under a minute. Write in the transcript's language. Use only what the transcript says.`

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type request struct {
	Model       string    `json:"model"`
	Messages    []message `json:"messages"`
	Temperature float64   `json:"temperature"`
}

// Prompt is the user message for req: the title, the length and the
// timed lines, cut at max bytes (the cut is said, so the model knows).
func Prompt(req media.SummaryRequest, max int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Title: %s\nLength: %s\n", oneLine(req.Title), media.ClockTime(req.DurationMs))
	if req.Language != "" {
		fmt.Fprintf(&b, "Language: %s\n", req.Language)
	}
	b.WriteString("Transcript:\n")
	for i, s := range req.Segments {
		line := fmt.Sprintf("[%s] %s\n", media.ClockTime(s.StartMs), oneLine(s.Text))
		if b.Len()+len(line) > max {
			fmt.Fprintf(&b, "(the last %d lines are left out)\n", len(req.Segments)-i)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Summarize asks the model about req's transcript.
func (c *Client) Summarize(ctx context.Context, req media.SummaryRequest) (*media.SummaryResult, error) {
	endpoint, err := c.Endpoint()
	if err != nil {
		return nil, media.WrapError(media.EINVALID, err, "The summary service URL is not valid.")
	}
	max := c.MaxTranscript
	if max <= 0 {
		max = DefaultMaxTranscript
	}
	body, err := json.Marshal(request{
		Model: c.Model,
		Messages: []message{
			{Role: "system", Content: instructions},
			{Role: "user", Content: Prompt(req, max)},
		},
		// Summaries should say what was said, not vary between runs.
		Temperature: 0.2,
	})
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	raw, err := openaicompat.Call{
		Client: c.Client, Key: c.Key, Timeout: timeout,
		Service: "The summary service", Tag: "chat", MaxAnswer: maxAnswer,
		StatusError: statusError,
	}.Post(ctx, endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Choices []struct {
			Message message `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Choices) == 0 {
		return nil, media.Errorf(media.EINVALID, "The summary service's answer is not a chat completion.")
	}
	return ParseAnswer(doc.Choices[0].Message.Content)
}

// ParseAnswer reads the JSON object in a model's reply.
func ParseAnswer(content string) (*media.SummaryResult, error) {
	i, j := strings.Index(content, "{"), strings.LastIndex(content, "}")
	if i < 0 || j < i {
		return nil, media.Errorf(media.EINVALID, "The model did not answer with the JSON asked for.")
	}
	var a struct {
		Summary  string `json:"summary"`
		Chapters []struct {
			Start json.RawMessage `json:"start"`
			Title string          `json:"title"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal([]byte(content[i:j+1]), &a); err != nil {
		return nil, media.WrapError(media.EINVALID, err, "The model did not answer with the JSON asked for.")
	}
	out := &media.SummaryResult{Text: a.Summary}
	for _, c := range a.Chapters {
		if ms, ok := startMs(c.Start); ok {
			out.Chapters = append(out.Chapters, media.Chapter{StartMs: ms, Title: c.Title})
		}
	}
	return out, nil
}

// startMs reads a chapter start: "m:ss", "h:mm:ss" or a number of seconds.
func startMs(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var f float64
		if json.Unmarshal(raw, &f) != nil {
			return 0, false
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	s = strings.Trim(strings.TrimSpace(s), "[]()")
	var total float64
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	for _, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}
		total = total*60 + v
	}
	if total > 100*3600 {
		return 0, false
	}
	return int64(total*1000 + 0.5), true
}

// statusError turns a refusal into an error a person can act on.
func statusError(code int, detail string) error {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return media.Errorf(media.EINVALID, "The summary service refused Baton's key (HTTP %d)%s; check BATON_LLM_KEY.", code, detail)
	case code == http.StatusTooManyRequests || code >= 500:
		return media.Errorf(media.EINTERNAL, "The summary service is busy or failing (HTTP %d)%s.", code, detail)
	default:
		return media.Errorf(media.EINVALID, "The summary service refused the request (HTTP %d)%s; check BATON_LLM_MODEL.", code, detail)
	}
}
