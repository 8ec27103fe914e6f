package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// requireSpeechTools skips without espeak-ng and pocketsphinx, except in
// CI, where make test installs them.
func requireSpeechTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"espeak-ng", "pocketsphinx_continuous"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s not on PATH (make test-deps installs it)", tool)
			}
			tb.Skipf("%s not on PATH", tool)
		}
	}
}

// MustSpeechVideo makes an H.264/AAC MP4 whose sound is text spoken by
// espeak-ng over a test pattern, with a second of quiet at each end.
func MustSpeechVideo(tb testing.TB, dir, text string) string {
	tb.Helper()
	requireSpeechTools(tb)
	speech, out := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech.mp4")
	if b, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "130", "-w", speech, text).CombinedOutput(); err != nil {
		tb.Fatalf("espeak-ng: %v\n%s", err, b)
	}
	mediatest.MustFFmpeg(tb, "-i", speech,
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-filter_complex", "[0:a]adelay=1000,apad=pad_dur=1[a]",
		"-map", "1:v", "-map", "[a]", "-shortest",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
		"-movflags", "+faststart", out)
	return out
}

// MustToneVideo makes an H.264/AAC MP4 of seconds with a tone.
func MustToneVideo(tb testing.TB, dir string, seconds int) string {
	tb.Helper()
	out := filepath.Join(dir, "tone.mp4")
	d := strconv.Itoa(seconds)
	mediatest.MustFFmpeg(tb, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=300:duration="+d,
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
		"-movflags", "+faststart", out)
	return out
}

// uploadFile creates a video, uploads path and waits until it is ready.
func (s *testServer) uploadFile(tb testing.TB, title, path string) apiVideo {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	v := s.MustCreateVideo(tb, title)
	if resp, body := uploadChunks(tb, v.UploadURL, data, 3); resp.StatusCode != http.StatusNoContent {
		tb.Fatalf("upload: %s %s", resp.Status, body)
	}
	v = s.waitStatus(tb, v.ID, 2*time.Minute, "ready", "failed")
	if v.Status != "ready" {
		tb.Fatalf("video %s: %s", v.Status, v.Error)
	}
	return v
}

type apiTranscript struct {
	Status, Engine, Language, Message, CaptionsURL string
	Segments                                       []struct {
		ID             int64
		StartMs, EndMs int64
		Text           string
		Edited         bool
	}
	Downloads map[string]string
}

func (s *testServer) waitTranscript(tb testing.TB, id string, timeout time.Duration) apiTranscript {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var t apiTranscript
	for time.Now().Before(deadline) {
		t = apiTranscript{}
		if resp := s.do(tb, "GET", "/api/videos/"+id+"/transcript", nil, &t); resp.StatusCode != http.StatusOK {
			tb.Fatalf("transcript: %s", resp.Status)
		}
		if t.Status != "pending" {
			return t
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.Fatalf("transcript still pending after %v", timeout)
	return t
}

// get fetches url with the test admin's token (or token, when set).
func get(tb testing.TB, url, token string) (*http.Response, []byte) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token == "" {
		authorize(req)
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type apiSearch struct {
	Results []struct {
		VideoID, Slug, Title, Kind, Text, URL string
		TimeMs                                int64
		Marks                                 [][2]int
	}
}

// memberToken makes a second member with an API token.
func (s *testServer) memberToken(tb testing.TB, email string) string {
	tb.Helper()
	ctx := context.Background()
	u, err := s.Accounts.AddUser(ctx, email, "Max Member", testPassword, media.RoleMember)
	if err != nil {
		tb.Fatal(err)
	}
	secret, _, err := s.Accounts.CreateToken(ctx, u, "tests")
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}

// TestSpeechTranscriptEndToEnd: a video with speech made by espeak-ng is
// transcribed by real pocketsphinx after it is ready; the transcript holds
// the spoken key words in order, the captions are valid WebVTT, the
// downloads work, search finds the video by a spoken word at its moment,
// and a private video's words are not found by another member.
func TestSpeechTranscriptEndToEnd(t *testing.T) {
	requireSpeechTools(t)
	src := MustSpeechVideo(t, t.TempDir(),
		"the budget is approved. the budget is approved. the budget is approved. please review the release schedule. please review the release schedule.")
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) {
		c.Transcribe, c.Thumbnails = "pocketsphinx", true
	}))
	v := s.uploadFile(t, "Planning update", src)
	tr := s.waitTranscript(t, v.ID, 3*time.Minute)
	if tr.Status != "done" || tr.Engine != "pocketsphinx" || tr.Language != "en" {
		t.Fatalf("transcript = %+v", tr)
	}
	var words []string
	for i, seg := range tr.Segments {
		if seg.EndMs < seg.StartMs || (i > 0 && seg.StartMs < tr.Segments[i-1].StartMs) || seg.EndMs > v.DurationMs {
			t.Fatalf("segment %d (%d-%d) out of order or outside the %d ms video", i, seg.StartMs, seg.EndMs, v.DurationMs)
		}
		words = append(words, seg.Text)
	}
	text := strings.Join(words, " ")
	for _, w := range []string{"approved", "release", "schedule"} {
		if !strings.Contains(text, w) {
			t.Fatalf("transcript %q lacks %q", text, w)
		}
	}
	if first := tr.Segments[0].StartMs; first < 700 || first > 2000 {
		t.Fatalf("speech starts at %d ms, want about 1000 (after the quiet second)", first)
	}

	// Captions for the player, valid WebVTT, one cue per line.
	resp, body := get(t, tr.CaptionsURL, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/vtt") {
		t.Fatalf("captions: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if n, err := media.ValidateVTT(string(body)); err != nil || n != len(tr.Segments) {
		t.Fatalf("captions: %d cues, %v\n%s", n, err, body)
	}
	for format, check := range map[string]string{"txt": "[0:0", "vtt": "WEBVTT", "srt": "1\n00:00:0"} {
		resp, body := get(t, tr.Downloads[format], "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(string(body), check) {
			t.Fatalf("download %s: %s %q %q", format, resp.Status, resp.Header.Get("Content-Disposition"), body)
		}
	}
	// The share link serves the same transcript to signed-out viewers.
	var shared apiTranscript
	if r, _ := http.Get(s.URL + "/api/share/" + v.Slug + "/transcript"); r.StatusCode != http.StatusOK {
		t.Fatalf("shared transcript: %s", r.Status)
	} else {
		json.NewDecoder(r.Body).Decode(&shared)
		r.Body.Close()
	}
	if len(shared.Segments) != len(tr.Segments) {
		t.Fatalf("shared transcript has %d lines, want %d", len(shared.Segments), len(tr.Segments))
	}

	// Search finds the spoken word, at its moment, marked.
	var found apiSearch
	if resp := s.do(t, "GET", "/api/search?q=schedule", nil, &found); resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %s", resp.Status)
	}
	var hit *int
	for i, r := range found.Results {
		if r.VideoID == v.ID && r.Kind == "transcript" {
			hit = &i
			break
		}
	}
	if hit == nil {
		t.Fatalf("search for a spoken word found %+v", found.Results)
	}
	h := found.Results[*hit]
	var at int64 = -1
	for _, seg := range tr.Segments {
		if strings.Contains(seg.Text, "schedule") {
			at = seg.StartMs
			break
		}
	}
	if h.TimeMs != at || len(h.Marks) == 0 || h.Text[h.Marks[0][0]:h.Marks[0][1]] != "schedule" {
		t.Fatalf("hit = %+v, want time %d with \"schedule\" marked", h, at)
	}

	// Another member finds it while it is shared with the workspace, and
	// not once it is private.
	member := s.memberToken(t, "max@example.com")
	search := func(token, q string) apiSearch {
		var out apiSearch
		resp, b := get(t, s.URL+"/api/search?q="+q, token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("search: %s %s", resp.Status, b)
		}
		json.Unmarshal(b, &out)
		return out
	}
	if got := search(member, "schedule"); len(got.Results) == 0 {
		t.Fatal("a member does not find a workspace video's words")
	}
	if resp := s.do(t, "PATCH", "/api/videos/"+v.ID+"/sharing", map[string]string{"visibility": "private"}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("make private: %s", resp.Status)
	}
	for _, q := range []string{"schedule", "approved", "planning"} {
		if got := search(member, q); len(got.Results) != 0 {
			t.Fatalf("another member found %q in a private video: %+v", q, got.Results)
		}
	}
	if got := search("", "schedule"); len(got.Results) == 0 {
		t.Fatal("the owner no longer finds their own private video")
	}
	if r, _ := get(t, s.URL+"/api/videos/"+v.ID+"/transcript", member); r.StatusCode != http.StatusNotFound {
		t.Fatalf("member reads a private transcript: %s", r.Status)
	}
	if r, _ := http.Get(s.URL + "/api/search?q=schedule"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed-out search: %s", r.Status)
	}

	// The owner corrects a line; the word becomes findable.
	seg := tr.Segments[0]
	var fixed struct {
		Text   string
		Edited bool
	}
	if resp := s.do(t, "PATCH", "/api/videos/"+v.ID+"/transcript/segments/"+strconv.FormatInt(seg.ID, 10), map[string]string{"text": "The budget is approved, said Zelda"}, &fixed); resp.StatusCode != http.StatusOK {
		t.Fatalf("correct line: %s", resp.Status)
	}
	if fixed.Text != "The budget is approved, said Zelda" || !fixed.Edited {
		t.Fatalf("corrected line = %+v", fixed)
	}
	if got := search("", "zelda"); len(got.Results) != 1 || got.Results[0].TimeMs != seg.StartMs {
		t.Fatalf("search for the corrected word: %+v", got.Results)
	}
	var apiErrBody apiErr
	if resp := s.do(t, "PATCH", "/api/videos/"+v.ID+"/transcript/segments/"+strconv.FormatInt(seg.ID, 10), map[string]string{"text": "  "}, &apiErrBody); resp.StatusCode != http.StatusBadRequest || apiErrBody.Error.Code != "invalid" {
		t.Fatalf("empty line: %s %+v", resp.Status, apiErrBody)
	}

	// Scrub thumbnails arrive after ready, as a valid thumbnails track.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, body = get(t, s.URL+"/media/"+v.Slug+"/thumbs.vtt", "")
		if resp.StatusCode == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, err := media.ValidateVTT(string(body)); resp.StatusCode != http.StatusOK || err != nil || n == 0 || !strings.Contains(string(body), "/thumbs.jpg#xywh=0,0,160,120") {
		t.Fatalf("thumbs.vtt: %s, %d cues, %v\n%s", resp.Status, n, err, body)
	}
	if resp, b := get(t, s.URL+"/media/"+v.Slug+"/thumbs.jpg", ""); resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte{0xff, 0xd8}) {
		t.Fatalf("sprite: %s", resp.Status)
	}
	s.waitJobsDone(t, time.Minute)
	if left := listFiles(t, filepath.Join(s.DataDir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

// TestTranscriptOffSaysHow: without an engine the transcript is "off" and
// says how to turn it on; the video is unaffected.
func TestTranscriptOffSaysHow(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	v := s.uploadFile(t, "Quiet", MustToneVideo(t, t.TempDir(), 2))
	var tr apiTranscript
	s.do(t, "GET", "/api/videos/"+v.ID+"/transcript", nil, &tr)
	if tr.Status != "off" || !strings.Contains(tr.Message, "BATON_TRANSCRIBE") || len(tr.Segments) != 0 {
		t.Fatalf("transcript = %+v", tr)
	}
	if r, _ := get(t, s.URL+"/media/"+v.Slug+"/captions.vtt", ""); r.StatusCode != http.StatusNotFound {
		t.Fatalf("captions without a transcript: %s", r.Status)
	}
}

// TestTranscriptEngineFailureLeavesVideo: an engine that cannot run fails
// the transcript with a readable reason; the video stays ready.
func TestTranscriptEngineFailureLeavesVideo(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), func(c *Config) {
		c.Transcribe = "openai"
		c.TranscribeURL = "http://127.0.0.1:1" // nothing listens there
		c.JobBackoff = 100 * time.Millisecond
	}))
	v := s.uploadFile(t, "Unheard", MustToneVideo(t, t.TempDir(), 2))
	tr := s.waitTranscript(t, v.ID, 2*time.Minute)
	if tr.Status != "failed" || tr.Engine != "openai" || !strings.Contains(tr.Message, "attempts") {
		t.Fatalf("transcript = %+v", tr)
	}
	var got apiVideo
	s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
	if got.Status != "ready" || got.Error != "" {
		t.Fatalf("video after a failed transcript = %+v", got)
	}
}

type apiEdit struct {
	State              string
	Error              string
	Cuts, Applied      [][2]int64
	OriginalDurationMs int64
	DurationMs         int64
	Moved              []struct {
		Kind, ID        string
		OriginalMs      int64
		FromRemovedPart bool
	}
}

func (s *testServer) waitEdit(tb testing.TB, id string) apiEdit {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var e apiEdit
	for time.Now().Before(deadline) {
		e = apiEdit{}
		s.do(tb, "GET", "/api/videos/"+id+"/edit", nil, &e)
		if e.State != "pending" {
			return e
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.Fatalf("edit still pending: %+v", e)
	return e
}

// TestTrimKeepsCommentsInPlace: cutting 10-20 s out of a 60 s video moves
// a comment at 40 s to 30 s and one at 15 s to the cut at 10 s, marked as
// from a removed part; the new MP4 lasts 50 s within one frame; undo
// restores the video and both comments.
func TestTrimKeepsCommentsInPlace(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	v := s.uploadFile(t, "Demo", MustToneVideo(t, t.TempDir(), 60))
	comment := func(ms int64, body string) string {
		var c struct{ ID string }
		if resp := s.do(t, "POST", "/api/videos/"+v.ID+"/comments", map[string]any{"body": body, "timeMs": ms}, &c); resp.StatusCode != http.StatusCreated {
			t.Fatalf("comment: %s", resp.Status)
		}
		return c.ID
	}
	late, inside := comment(40000, "later point"), comment(15000, "said in the part that goes")
	removed := map[string]bool{}
	times := func() map[string]int64 {
		var page struct {
			Threads []struct {
				ID              string
				TimeMs          int64
				FromRemovedPart bool
			}
		}
		s.do(t, "GET", "/api/videos/"+v.ID+"/comments", nil, &page)
		out := map[string]int64{}
		clear(removed)
		for _, th := range page.Threads {
			out[th.ID] = th.TimeMs
			removed[th.ID] = th.FromRemovedPart
		}
		return out
	}
	duration := func() time.Duration {
		resp, b := get(t, s.URL+"/media/"+v.Slug+"/video.mp4", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("mp4: %s", resp.Status)
		}
		p := filepath.Join(t.TempDir(), "v.mp4")
		os.WriteFile(p, b, 0o644)
		return time.Duration(MustProbe(t, p).seconds() * float64(time.Second))
	}
	times() // fill the comment cache: the edit must invalidate it

	var e apiEdit
	if resp := s.do(t, "POST", "/api/videos/"+v.ID+"/edit", map[string]any{"cuts": [][]int64{{10000, 20000}}}, &e); resp.StatusCode != http.StatusAccepted || e.State != "pending" {
		t.Fatalf("edit: %s %+v", resp.Status, e)
	}
	e = s.waitEdit(t, v.ID)
	if e.State != "done" || e.DurationMs < 49960 || e.DurationMs > 50040 || e.OriginalDurationMs < 59960 {
		t.Fatalf("edit = %+v", e)
	}
	got := times()
	if got[late] != 30000 || got[inside] != 10000 {
		t.Fatalf("after the cut: comment at 40s is at %d, comment at 15s is at %d; want 30000 and 10000", got[late], got[inside])
	}
	if !removed[inside] || removed[late] {
		t.Fatalf("fromRemovedPart = %v, want only the comment from the cut part", removed)
	}
	if len(e.Moved) != 1 || e.Moved[0].ID != inside || !e.Moved[0].FromRemovedPart || e.Moved[0].OriginalMs != 15000 {
		t.Fatalf("moved = %+v", e.Moved)
	}
	frame := time.Second / 25
	if d := duration() - 50*time.Second; d > frame || d < -frame {
		t.Fatalf("cut MP4 is %v off 50s; want within one frame (%v)", d, frame)
	}

	// Bad cuts are refused with a reason; nothing changes.
	var bad apiErr
	for _, body := range []string{`{"cuts":[[20000,10000]]}`, `{"cuts":[[0,60000]]}`, `{"cuts":[[1,2,3]]}`, `{"cuts":"x"}`, `{}`} {
		var raw json.RawMessage = []byte(body)
		if resp := s.do(t, "POST", "/api/videos/"+v.ID+"/edit", raw, &bad); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("edit %s: %s, want 400", body, resp.Status)
		}
	}

	// Undo restores the original and both moments.
	if resp := s.do(t, "DELETE", "/api/videos/"+v.ID+"/edit", nil, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("undo: %s", resp.Status)
	}
	e = s.waitEdit(t, v.ID)
	got = times()
	if e.State != "done" || got[late] != 40000 || got[inside] != 15000 || len(e.Moved) != 0 || removed[inside] {
		t.Fatalf("after undo: edit %+v, comments %v", e, got)
	}
	if d := duration() - 60*time.Second; d > frame || d < -frame {
		t.Fatalf("restored MP4 is %v off 60s", d)
	}
	keys := s.objectKeys(t, media.VideoPrefix(v.ID))
	sort.Strings(keys)
	if !strings.Contains(strings.Join(keys, " "), "edit/base.mp4") {
		t.Fatalf("original not kept for later edits: %v", keys)
	}
}

// TestChapters: the owner sets chapters; viewers read them in order; bad
// ones are refused.
func TestChapters(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	v := s.uploadFile(t, "Walkthrough", MustToneVideo(t, t.TempDir(), 10))
	body := []map[string]any{{"startMs": 5000, "title": "Demo"}, {"startMs": 0, "title": " Intro "}}
	var out struct {
		Chapters []struct {
			StartMs int64
			Title   string
		}
	}
	if resp := s.do(t, "PUT", "/api/videos/"+v.ID+"/chapters", body, &out); resp.StatusCode != http.StatusOK {
		t.Fatalf("put chapters: %s", resp.Status)
	}
	r, err := http.Get(s.URL + "/api/share/" + v.Slug + "/chapters")
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("shared chapters: %v %v", r, err)
	}
	json.NewDecoder(r.Body).Decode(&out)
	r.Body.Close()
	if len(out.Chapters) != 2 || out.Chapters[0].Title != "Intro" || out.Chapters[1].StartMs != 5000 {
		t.Fatalf("chapters = %+v", out.Chapters)
	}
	// The same as a chapters track for the player's seek bar.
	r, err = http.Get(s.URL + "/media/" + v.Slug + "/chapters.vtt")
	if err != nil {
		t.Fatal(err)
	}
	track, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if n, err := media.ValidateVTT(string(track)); r.StatusCode != http.StatusOK || err != nil || n != 2 ||
		!strings.Contains(string(track), "00:00:00.000 --> 00:00:05.000\nIntro\n") || !strings.Contains(string(track), "--> 00:00:10.0") {
		t.Fatalf("chapters.vtt: %s %d cues %v\n%s", r.Status, n, err, track)
	}
	for _, bad := range []any{
		[]map[string]any{{"startMs": 99000, "title": "After the end"}},
		[]map[string]any{{"startMs": 0, "title": ""}},
		[]map[string]any{{"startMs": 0, "title": "a"}, {"startMs": 0, "title": "b"}},
	} {
		if resp := s.do(t, "PUT", "/api/videos/"+v.ID+"/chapters", bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad chapters %v: %s", bad, resp.Status)
		}
	}
}

// TestRecordRefusesBadInput: every bad request about the record gets a
// clear error with the right status, and nothing changes.
func TestRecordRefusesBadInput(t *testing.T) {
	s := MustStart(t, testConfig(t, t.TempDir(), nil))
	v := s.uploadFile(t, "Inputs", MustToneVideo(t, t.TempDir(), 3))
	member := s.memberToken(t, "max@example.com")
	send := func(token, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token == "" {
			authorize(req)
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e apiErr
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code
	}
	id := "/api/videos/" + v.ID
	tests := []struct {
		token, method, path, body string
		status                    int
		code                      string
	}{
		{"", "GET", "/api/search?q=", "", 400, "invalid"},
		{"", "GET", "/api/search?q=%22%2A%2A", "", 400, "invalid"},
		{"", "GET", "/api/search?q=" + strings.Repeat("a", 600), "", 400, "invalid"},
		{"", "GET", "/api/search?q=budget&limit=0", "", 400, "invalid"},
		{"", "PATCH", id + "/transcript/segments/abc", `{"text":"x"}`, 404, "not_found"},
		{"", "PATCH", id + "/transcript/segments/999", `{"text":"x"}`, 404, "not_found"},
		{"", "PATCH", id + "/transcript/segments/1", `{"text":5}`, 400, "invalid"},
		{"", "PATCH", id + "/transcript/segments/1", `{"txt":"x"}`, 400, "invalid"},
		{"", "POST", id + "/transcript/retry", "", 409, "conflict"},
		{member, "PATCH", id + "/transcript/segments/1", `{"text":"x"}`, 403, "not_allowed"},
		{member, "PUT", id + "/chapters", `[]`, 403, "not_allowed"},
		{member, "POST", id + "/edit", `{"cuts":[[0,1000]]}`, 403, "not_allowed"},
		{member, "GET", id + "/edit", "", 403, "not_allowed"},
		{"", "PUT", id + "/chapters", `{"startMs":0}`, 400, "invalid"},
		{"", "PUT", id + "/chapters", `[{"startMs":-5,"title":"x"}]`, 400, "invalid"},
		{"", "POST", id + "/edit", `{"cuts":[[0,1000]],"extra":1}`, 400, "invalid"},
		{"", "GET", "/api/videos/" + media.NewID() + "/transcript", "", 404, "not_found"},
		{"", "GET", "/media/" + v.Slug + "/thumbs.vtt", "", 404, "not_found"},
		{"", "GET", "/media/" + v.Slug + "/chapters.vtt", "", 404, "not_found"},
		{"", "GET", id + "/transcript.srt", "", 404, "not_found"},
	}
	for _, tt := range tests {
		status, code := send(tt.token, tt.method, tt.path, tt.body)
		if status != tt.status || code != tt.code {
			t.Errorf("%s %s %s = %d %s, want %d %s", tt.method, tt.path, tt.body, status, code, tt.status, tt.code)
		}
	}
	var e apiEdit
	s.do(t, "GET", id+"/edit", nil, &e)
	if e.State != "done" || len(e.Applied) != 0 || e.OriginalDurationMs != v.DurationMs {
		t.Fatalf("edit after refusals = %+v", e)
	}
}
