package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// modelServer is a small OpenAI-compatible service on 127.0.0.1 speaking
// the two documented APIs Baton calls: multipart transcriptions (answered
// with timed segments) and chat completions (answered with a summary and
// chapters as the instructions ask), recording the chat prompts.
type modelServer struct {
	*httptest.Server
	mu      sync.Mutex
	prompts []string
	models  []string
}

func newModelServer(tb testing.TB) *modelServer {
	m := &modelServer{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/audio/transcriptions":
			if f, _, err := r.FormFile("file"); err != nil {
				http.Error(w, `{"error":{"message":"no file"}}`, http.StatusBadRequest)
				return
			} else {
				io.Copy(io.Discard, f)
			}
			fmt.Fprint(w, `{"language":"en","duration":20,"segments":[
				{"start":0.5,"end":4,"text":" The budget is approved."},
				{"start":12,"end":16,"text":" The launch moves to Friday."}]}`)
		case "/v1/chat/completions":
			var req struct {
				Model    string
				Messages []struct{ Role, Content string }
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 {
				http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
				return
			}
			m.mu.Lock()
			m.prompts = append(m.prompts, req.Messages[1].Content)
			m.models = append(m.models, req.Model)
			m.mu.Unlock()
			answer := `{"summary": "The budget is approved and the launch moves to Friday.", "chapters": [{"start": "0:00", "title": "Budget"}, {"start": "0:12", "title": "Launch date"}]}`
			json.NewEncoder(w).Encode(map[string]any{"object": "chat.completion", "choices": []any{
				map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}}}})
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(m.Close)
	return m
}

type apiSummary struct {
	Status, Text, Model, Message string
	SuggestedChapters            []struct {
		StartMs int64
		Title   string
	}
}

func (s *testServer) waitSummary(tb testing.TB, path string) apiSummary {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var sum apiSummary
	for time.Now().Before(deadline) {
		sum = apiSummary{}
		if resp := s.do(tb, "GET", path, nil, &sum); resp.StatusCode != http.StatusOK {
			tb.Fatalf("summary: %s", resp.Status)
		}
		if sum.Status != "pending" {
			return sum
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.Fatalf("summary still pending: %+v", sum)
	return sum
}

// TestSummaryAfterTranscript: with BATON_LLM_URL set, a finished
// transcript is sent to the chat model as timed lines; the summary is
// shown to viewers through the share link, the chapter suggestions only to
// the owner, who applies them with PUT chapters; a trim moves the
// suggestions with the video. Without BATON_LLM_URL the summary is off.
func TestSummaryAfterTranscript(t *testing.T) {
	models := newModelServer(t)
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) {
		c.Transcribe, c.TranscribeURL = "openai", models.URL
		c.LLMURL, c.LLMModel = models.URL, "tiny-model"
	}))
	v := s.uploadFile(t, "Planning update", MustToneVideo(t, t.TempDir(), 20))
	if tr := s.waitTranscript(t, v.ID, 2*time.Minute); tr.Status != "done" || len(tr.Segments) != 2 {
		t.Fatalf("transcript = %+v", tr)
	}
	sum := s.waitSummary(t, "/api/videos/"+v.ID+"/summary")
	if sum.Status != "done" || sum.Text != "The budget is approved and the launch moves to Friday." || sum.Model != "tiny-model" {
		t.Fatalf("summary = %+v", sum)
	}
	if got := fmt.Sprint(sum.SuggestedChapters); got != "[{0 Budget} {12000 Launch date}]" {
		t.Fatalf("suggested chapters = %s", got)
	}
	models.mu.Lock()
	prompt, model := models.prompts[0], models.models[0]
	models.mu.Unlock()
	for _, w := range []string{"Title: Planning update", "[0:00] The budget is approved.", "[0:12] The launch moves to Friday."} {
		if !strings.Contains(prompt, w) || model != "tiny-model" {
			t.Fatalf("prompt to %s lacks %q:\n%s", model, w, prompt)
		}
	}

	// Viewers through the link see the summary, not the suggestions.
	resp, err := http.Get(s.URL + "/api/share/" + v.Slug + "/summary")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var shared apiSummary
	json.Unmarshal(body, &shared)
	if resp.StatusCode != http.StatusOK || shared.Text != sum.Text || len(shared.SuggestedChapters) != 0 {
		t.Fatalf("shared summary: %s %s", resp.Status, body)
	}

	// The owner applies the suggestions as the video's chapters.
	var applied struct{ Chapters []struct{ StartMs int64 } }
	if resp := s.do(t, "PUT", "/api/videos/"+v.ID+"/chapters", sum.SuggestedChapters, &applied); resp.StatusCode != http.StatusOK || len(applied.Chapters) != 2 {
		t.Fatalf("apply suggestions: %s %+v", resp.Status, applied)
	}

	// A trim of 5-10 s moves the suggestion at 12 s to 7 s.
	if resp := s.do(t, "POST", "/api/videos/"+v.ID+"/edit", map[string]any{"cuts": [][]int64{{5000, 10000}}}, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("edit: %s", resp.Status)
	}
	if e := s.waitEdit(t, v.ID); e.State != "done" {
		t.Fatalf("edit = %+v", e)
	}
	sum = s.waitSummary(t, "/api/videos/"+v.ID+"/summary")
	if got := fmt.Sprint(sum.SuggestedChapters); got != "[{0 Budget} {7000 Launch date}]" {
		t.Fatalf("suggested chapters after the trim = %s", got)
	}

	off := MustStart(t, testConfig(t, t.TempDir(), nil))
	w := off.uploadFile(t, "Quiet", MustToneVideo(t, t.TempDir(), 2))
	if sum := off.waitSummary(t, "/api/videos/"+w.ID+"/summary"); sum.Status != "off" || !strings.Contains(sum.Message, "BATON_LLM_URL") {
		t.Fatalf("summary without a model = %+v", sum)
	}
}
