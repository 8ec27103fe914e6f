// Package openaicompat is the one way Baton talks to an OpenAI-compatible
// HTTP endpoint (transcriptions in media/speech, chat completions in
// media/chat): the same key header, timeouts, bounded answer and the same
// reading of the endpoint's {"error":{"message"}} body, so the two clients
// cannot drift apart in how they fail. What is sent and how an answer is
// read stay with each client.
package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/baton-video/baton/media"
)

// Call is one POST to an endpoint.
type Call struct {
	// Client sends it; nil: one whose timeout is Timeout plus a minute.
	Client *http.Client
	// Key, when set, goes as "Authorization: Bearer <key>".
	Key string
	// Timeout bounds the whole call.
	Timeout time.Duration
	// Service names the endpoint in errors a user reads ("The summary
	// service"); Tag prefixes internal errors ("chat").
	Service, Tag string
	// MaxAnswer bounds the answer read into memory.
	MaxAnswer int64
	// StatusError turns a refusal (not 200) into the error a user reads;
	// detail is the endpoint's own message as " (…)", or "".
	StatusError func(code int, detail string) error
}

// Post sends body and returns the answer of a 200.
func (c Call) Post(ctx context.Context, endpoint, contentType string, body io.Reader) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		if cl, ok := body.(io.Closer); ok {
			cl.Close()
		}
		return nil, fmt.Errorf("%s: %w", c.Tag, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: c.Timeout + time.Minute}
	}
	resp, err := client.Do(req)
	if err != nil {
		// The caller gave up (shutdown, a cancelled job): say so as is,
		// not as the service failing.
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, err
		}
		return nil, media.WrapError(media.EINTERNAL, fmt.Errorf("%s: %w", c.Tag, err), "%s at %s did not answer.", c.Service, req.URL.Host)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read answer: %w", c.Tag, err)
	}
	if int64(len(raw)) > c.MaxAnswer {
		return nil, media.Errorf(media.EINVALID, "%s's answer is too large.", c.Service)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.StatusError(resp.StatusCode, Detail(raw))
	}
	return raw, nil
}

// Detail is an error answer's message on one line, at most 200 bytes, as
// " (message)" to append to a sentence, or "" when there is none.
func Detail(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := strings.Join(strings.Fields(strings.ToValidUTF8(e.Error.Message, "")), " ")
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "") + "…"
	}
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}
