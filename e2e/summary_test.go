package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// modelServer is a small OpenAI-compatible service on 127.0.0.1 for the
// two APIs Baton calls: transcriptions (timed segments) and chat
// completions (a summary with chapters).
func modelServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/audio/transcriptions":
			f, _, err := r.FormFile("file")
			if err != nil {
				http.Error(w, `{"error":{"message":"no file"}}`, http.StatusBadRequest)
				return
			}
			io.Copy(io.Discard, f)
			fmt.Fprint(w, `{"language":"en","segments":[{"start":0.5,"end":4,"text":"The budget is approved."},{"start":12,"end":16,"text":"The launch moves to Friday."}]}`)
		case "/v1/chat/completions":
			answer := `{"summary": "The budget is approved, and the launch moves to Friday so QA can finish the release checklist.", "chapters": [{"start": "0:00", "title": "Budget"}, {"start": "0:12", "title": "Launch date"}]}`
			json.NewEncoder(w).Encode(map[string]any{"object": "chat.completion", "choices": []any{
				map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}}}})
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// TestSummaryOnWatchPage: with a chat model configured, the watch page
// shows the summary to a guest through the link, and to the owner the
// chapter suggestions with "Apply as chapters", which sets the video's
// chapters. Screenshots: summary-{owner,guest}[-375]-{light,dark}.png.
func TestSummaryOnWatchPage(t *testing.T) {
	models := modelServer(t)
	s := startServer(t, "BATON_TRANSCRIBE=openai", "BATON_TRANSCRIBE_URL="+models.URL,
		"BATON_LLM_URL="+models.URL, "BATON_LLM_MODEL=tiny-model", "BATON_THUMBNAILS=false")
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=480x270:rate=15:duration=20", "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	v := s.uploadClip(t, "Release planning", clip)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := s.client.Get(s.URL + "/api/videos/" + v.ID + "/summary")
		if err != nil {
			t.Fatal(err)
		}
		var sum struct{ Status, Message string }
		json.NewDecoder(r.Body).Decode(&sum)
		r.Body.Close()
		if sum.Status == "done" {
			break
		}
		if sum.Status != "pending" || time.Now().After(deadline) {
			t.Fatalf("summary %s: %s", sum.Status, sum.Message)
		}
		time.Sleep(300 * time.Millisecond)
	}

	br := startBrowser(t)
	owner, cancel := br.tab(t, false)
	defer cancel()
	s.signIn(t, owner)
	openWatch(t, owner, s.URL+"/v/"+v.Slug)
	waitJS(t, owner, 20*time.Second, `document.getElementById('summary-chapters')?.children.length === 2`,
		`document.getElementById('summary-section')?.outerHTML ?? document.body.innerText.slice(0, 300)`)
	if got := eval[string](t, owner, 5*time.Second, `document.getElementById('summary-text').textContent`); got != "The budget is approved, and the launch moves to Friday so QA can finish the release checklist." {
		t.Fatalf("summary text = %q", got)
	}
	summaryShots(t, owner, "owner")
	do(t, owner, 10*time.Second, "apply", chromedp.Click(chromedp.ID("summary-apply")))
	deadline = time.Now().Add(20 * time.Second)
	for {
		r, err := s.client.Get(s.URL + "/api/videos/" + v.ID + "/chapters")
		if err != nil {
			t.Fatal(err)
		}
		var ch struct{ Chapters []struct{ StartMs int64 } }
		json.NewDecoder(r.Body).Decode(&ch)
		r.Body.Close()
		if len(ch.Chapters) == 2 && ch.Chapters[1].StartMs == 12000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chapters after apply = %+v", ch)
		}
		time.Sleep(200 * time.Millisecond)
	}

	guest, cancel := br.tab(t, true)
	defer cancel()
	openWatch(t, guest, s.URL+"/v/"+v.Slug)
	waitJS(t, guest, 20*time.Second, `!!document.getElementById('summary-text')`, `document.body.innerText.slice(0, 300)`)
	if eval[bool](t, guest, 5*time.Second, `!!document.getElementById('summary-chapters') || !!document.getElementById('summary-apply')`) {
		t.Fatal("a guest sees the owner's chapter suggestions")
	}
	summaryShots(t, guest, "guest")
}

// summaryShots writes the page light and dark, wide and at phone width,
// failing if it is wider than the phone's screen.
func summaryShots(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := shotsDir(tb)
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			tb.Fatal(err)
		}
		for _, size := range []struct {
			suffix string
			w, h   int64
		}{{"", 1280, 900}, {"-375", 375, 800}} {
			do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			sleep(tb, ctx, 300*time.Millisecond)
			if eval[bool](tb, ctx, 5*time.Second, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
				tb.Errorf("the watch page is wider than a %d px screen", size.w)
			}
			do(tb, ctx, 5*time.Second, "scroll", chromedp.ScrollIntoView(chromedp.ID("summary-section")))
			c, cancel := context.WithTimeout(ctx, 15*time.Second)
			b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
			cancel()
			if err != nil {
				tb.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, "summary-"+name+size.suffix+"-"+scheme+".png"), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	do(tb, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(1280, 900))
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
	}); err != nil {
		tb.Fatal(err)
	}
}
