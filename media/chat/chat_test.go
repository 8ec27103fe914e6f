package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/chat"
)

// Server is a small chat-completions service on 127.0.0.1: it checks the
// request as the API documents it, records it, and answers with reply
// (or status).
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	Requests []map[string]any
	Auth     []string
	Reply    string
	Status   int
}

func NewServer(tb testing.TB) *Server {
	s := &Server{Status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.Requests = append(s.Requests, req)
		s.Auth = append(s.Auth, r.Header.Get("Authorization"))
		status, reply := s.Status, s.Reply
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status != http.StatusOK {
			fmt.Fprintf(w, `{"error":{"message":"model %v is overloaded"}}`, req["model"])
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": req["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply}}},
		})
	}))
	tb.Cleanup(s.Close)
	return s
}

var req = media.SummaryRequest{Title: "Weekly update", Language: "en", DurationMs: 95000, Segments: []media.Segment{
	{StartMs: 0, EndMs: 4000, Text: "Hello team, quick update on the budget."},
	{StartMs: 62000, EndMs: 70000, Text: "Next, the launch   moves to Friday."},
}}

func TestSummarize(t *testing.T) {
	s := NewServer(t)
	s.Reply = "Here you go:\n```json\n{\"summary\": \"The budget is on track; the launch moves to Friday.\", \"chapters\": [{\"start\": \"0:00\", \"title\": \"Budget\"}, {\"start\": \"1:02\", \"title\": \"Launch date\"}, {\"start\": 80.5, \"title\": \"Wrap-up\"}, {\"start\": \"soon\", \"title\": \"Bad\"}]}\n```"
	c := &chat.Client{URL: s.URL, Key: "sk-test", Model: "small-model"}
	res, err := c.Summarize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "The budget is on track; the launch moves to Friday." {
		t.Fatalf("summary = %q", res.Text)
	}
	want := []media.Chapter{{StartMs: 0, Title: "Budget"}, {StartMs: 62000, Title: "Launch date"}, {StartMs: 80500, Title: "Wrap-up"}}
	if fmt.Sprint(res.Chapters) != fmt.Sprint(want) {
		t.Fatalf("chapters = %v, want %v", res.Chapters, want)
	}
	if len(s.Requests) != 1 || s.Auth[0] != "Bearer sk-test" || s.Requests[0]["model"] != "small-model" {
		t.Fatalf("request = %v, auth %v", s.Requests, s.Auth)
	}
	msgs := s.Requests[0]["messages"].([]any)
	user := msgs[1].(map[string]any)["content"].(string)
	for _, w := range []string{"Title: Weekly update", "Length: 1:35", "[0:00] Hello team, quick update on the budget.", "[1:02] Next, the launch moves to Friday."} {
		if !strings.Contains(user, w) {
			t.Fatalf("prompt lacks %q:\n%s", w, user)
		}
	}
	if msgs[0].(map[string]any)["role"] != "system" {
		t.Fatalf("first message is not the instructions: %v", msgs[0])
	}
}

func TestSummarizeErrors(t *testing.T) {
	s := NewServer(t)
	c := &chat.Client{URL: s.URL + "/v1", Model: "m"}
	for _, tt := range []struct {
		status int
		reply  string
		code   string
		text   string
	}{
		{http.StatusServiceUnavailable, "", media.EINTERNAL, "busy or failing (HTTP 503) (model m is overloaded)"},
		{http.StatusUnauthorized, "", media.EINVALID, "BATON_LLM_KEY"},
		{http.StatusOK, "I cannot help with that.", media.EINVALID, "JSON asked for"},
	} {
		s.mu.Lock()
		s.Status, s.Reply = tt.status, tt.reply
		s.mu.Unlock()
		_, err := c.Summarize(context.Background(), req)
		if media.ErrorCode(err) != tt.code || !strings.Contains(media.ErrorMessage(err), tt.text) {
			t.Errorf("HTTP %d %q: %v (%s), want %s with %q", tt.status, tt.reply, err, media.ErrorCode(err), tt.code, tt.text)
		}
	}
	if _, err := (&chat.Client{URL: "ftp://x"}).Summarize(context.Background(), req); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestPromptIsBounded(t *testing.T) {
	long := media.SummaryRequest{Title: "x", DurationMs: 3600000}
	for i := 0; i < 1000; i++ {
		long.Segments = append(long.Segments, media.Segment{StartMs: int64(i) * 3000, Text: strings.Repeat("word ", 20)})
	}
	p := chat.Prompt(long, 4096)
	if len(p) > 4096+64 || !strings.Contains(p, "lines are left out") {
		t.Fatalf("prompt of %d bytes:\n%s", len(p), p[len(p)-200:])
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":                         "http://127.0.0.1:8080/v1/chat/completions",
		"https://api.example.com/v1/":                   "https://api.example.com/v1/chat/completions",
		"http://h/openai/v1/chat/completions":           "http://h/openai/v1/chat/completions",
		"http://localhost:11434/api/openai-compat/base": "http://localhost:11434/api/openai-compat/base/v1/chat/completions",
	} {
		if got, err := (&chat.Client{URL: in}).Endpoint(); err != nil || got != want {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
