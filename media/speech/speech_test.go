package speech

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// requireTool skips without the tool, except in CI, where it is a broken
// build (make test installs them).
func requireTool(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s not on PATH (make test-deps installs it): %v", tool, err)
			}
			tb.Skipf("%s not on PATH", tool)
		}
	}
}

// SpeechWAV speaks text with espeak-ng and converts it to the 16 kHz
// mono WAV the engines read, with a second of silence before and after.
func SpeechWAV(tb testing.TB, dir, text string) string {
	tb.Helper()
	requireTool(tb, "espeak-ng", "ffmpeg")
	raw, wav := filepath.Join(dir, "speech-raw.wav"), filepath.Join(dir, "speech.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "130", "-w", raw, text).CombinedOutput(); err != nil {
		tb.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	if out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", raw,
		"-af", "adelay=1000,apad=pad_dur=1", "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", wav).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return wav
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s:\ngot  %s\nwant %s", name, got, want)
	}
}

// TestParseSphinx reads real pocketsphinx_continuous -time yes output:
// fillers dropped, alternate pronunciations read as words, lines in order
// with sensible times.
func TestParseSphinx(t *testing.T) {
	b, err := os.ReadFile("testdata/sphinx-continuous.out")
	if err != nil {
		t.Fatal(err)
	}
	segs := parseSphinx(b)
	if len(segs) < 2 {
		t.Fatalf("segments = %+v", segs)
	}
	var all []string
	for i, s := range segs {
		if s.EndMs <= s.StartMs || (i > 0 && s.StartMs < segs[i-1].EndMs) {
			t.Fatalf("segment %d times %d-%d out of order", i, s.StartMs, s.EndMs)
		}
		if strings.ContainsAny(s.Text, "<>()[]") {
			t.Fatalf("segment %d keeps markup: %q", i, s.Text)
		}
		all = append(all, s.Text)
	}
	text := strings.Join(all, " ")
	for _, w := range []string{"approved", "release schedule", "market"} {
		if !strings.Contains(text, w) {
			t.Fatalf("text %q lacks %q", text, w)
		}
	}
	if segs[0].StartMs != 1000 {
		t.Fatalf("first word at %d ms, want 1000", segs[0].StartMs)
	}
}

// TestSphinxTranscribesSpeech runs the real engine over speech made by
// espeak-ng.
func TestSphinxTranscribesSpeech(t *testing.T) {
	requireTool(t, DefaultSphinxBin)
	wav := SpeechWAV(t, t.TempDir(), "the budget is approved. the budget is approved. the budget is approved. please review the release schedule. please review the release schedule.")
	s := &Sphinx{}
	res, err := s.Transcribe(context.Background(), media.TranscribeRequest{Audio: wav, DurationMs: 12000})
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, seg := range res.Segments {
		words = append(words, seg.Text)
	}
	text := strings.Join(words, " ")
	for _, w := range []string{"approved", "release", "schedule"} {
		if !strings.Contains(text, w) {
			t.Fatalf("transcript %q lacks %q", text, w)
		}
	}
	if _, err := s.Transcribe(context.Background(), media.TranscribeRequest{Audio: wav, Language: "de"}); media.ErrorCode(err) != media.EINVALID {
		t.Fatalf("German with PocketSphinx: %v, want invalid", err)
	}
	missing := &Sphinx{Bin: "/nonexistent/pocketsphinx_continuous"}
	if _, err := missing.Transcribe(context.Background(), media.TranscribeRequest{Audio: wav}); media.ErrorCode(err) != media.EUNAVAILABLE {
		t.Fatalf("missing binary: %v, want unavailable", err)
	}
}

func TestSphinxArgsGolden(t *testing.T) {
	golden(t, "sphinx-args", strings.Join(sphinxArgs("/tmp/job-1/audio.wav", ""), "\n")+"\n--\n"+
		strings.Join(sphinxArgs("/tmp/job-1/audio.wav", "/usr/share/pocketsphinx/model/en-us"), "\n")+"\n")
}

func TestWhisperArgsGolden(t *testing.T) {
	golden(t, "whisper-args", strings.Join(whisperArgs("/models/ggml-base.en.bin", "/tmp/job-1/audio.wav", "", 0, "/tmp/job-1/whisper-1/out"), "\n")+"\n--\n"+
		strings.Join(whisperArgs("/models/ggml-small.bin", "/tmp/job-1/audio.wav", "de", 2, "/tmp/job-1/whisper-1/out"), "\n")+"\n")
}

// TestParseWhisperJSON reads whisper.cpp's -oj output format.
func TestParseWhisperJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/whisper-jfk.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parseWhisperJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []media.Segment{
		{StartMs: 0, EndMs: 7600, Text: "And so my fellow Americans, ask not what your country can do for you,"},
		{StartMs: 7600, EndMs: 10600, Text: "ask what you can do for your country."},
	}
	if res.Language != "en" || !reflect.DeepEqual(res.Segments, want) {
		t.Fatalf("got %q %+v", res.Language, res.Segments)
	}
	if _, err := parseWhisperJSON([]byte("not json")); err == nil {
		t.Fatal("garbage parsed")
	}
}

// TestWhisperRunsCLI drives the adapter end to end with a stand-in for
// whisper-cli that writes what the real one writes where -of says, so the
// file hand-off and the model check are exercised.
func TestWhisperRunsCLI(t *testing.T) {
	dir := t.TempDir()
	sample, _ := filepath.Abs("testdata/whisper-jfk.json")
	bin := filepath.Join(dir, "whisper-cli")
	script := "#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ \"$1\" = -of ]; then out=$2; fi; shift; done\ncp " + sample + " \"$out.json\"\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "ggml-base.en.bin")
	wav := filepath.Join(dir, "audio.wav")
	os.WriteFile(model, []byte("model"), 0o644)
	os.WriteFile(wav, []byte("RIFF"), 0o644)
	w := &Whisper{Bin: bin, Model: model, Threads: 2}
	res, err := w.Transcribe(context.Background(), media.TranscribeRequest{Audio: wav, DurationMs: 11000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 2 {
		t.Fatalf("segments = %+v", res.Segments)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Fatalf("temp files left behind: %v", ents)
	}
	noModel := &Whisper{Bin: bin, Model: filepath.Join(dir, "missing.bin")}
	if _, err := noModel.Transcribe(context.Background(), media.TranscribeRequest{Audio: wav}); media.ErrorCode(err) != media.EUNAVAILABLE {
		t.Fatalf("missing model: %v, want unavailable", err)
	}
}

// TestOpenAIMultipart runs the engine against a real HTTP server that
// speaks the documented API: multipart form with file, model,
// response_format=verbose_json; bearer key; segments back.
func TestOpenAIMultipart(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(dir, "audio.wav")
	audio := []byte("RIFF....WAVEfmt fake audio bytes")
	os.WriteFile(wav, audio, 0o644)
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided"}}`)
			return
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f, fh, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		got, _ := io.ReadAll(f)
		if string(got) != string(audio) || fh.Filename != "audio.wav" {
			http.Error(w, "file mangled", http.StatusBadRequest)
			return
		}
		if r.FormValue("model") != "whisper-1" || r.FormValue("response_format") != "verbose_json" || r.FormValue("language") != "en" ||
			r.Form["timestamp_granularities[]"][0] != "segment" {
			http.Error(w, "bad fields", http.StatusBadRequest)
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			io.WriteString(w, `{"error":{"message":"busy"}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"task": "transcribe", "language": "english", "duration": 4.2, "text": "Hello team. Budget approved.",
			"segments": []map[string]any{
				{"id": 0, "seek": 0, "start": 0.0, "end": 1.5, "text": " Hello team.", "tokens": []int{1}, "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01},
				{"id": 1, "seek": 0, "start": 1.5, "end": 4.2, "text": " Budget approved.", "tokens": []int{2}, "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01},
			},
		})
	}))
	defer srv.Close()
	o := &OpenAI{URL: srv.URL, Key: "sk-test", Model: "whisper-1"}
	req := media.TranscribeRequest{Audio: wav, DurationMs: 4200, Language: "en"}
	res, err := o.Transcribe(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []media.Segment{{StartMs: 0, EndMs: 1500, Text: "Hello team."}, {StartMs: 1500, EndMs: 4200, Text: "Budget approved."}}
	if res.Language != "english" || !reflect.DeepEqual(res.Segments, want) {
		t.Fatalf("got %q %+v", res.Language, res.Segments)
	}
	// The base URL may already end in /v1.
	o.URL = srv.URL + "/v1/"
	if _, err := o.Transcribe(context.Background(), req); err != nil {
		t.Fatalf("base URL with /v1: %v", err)
	}
	// A wrong key is a readable, permanent failure.
	bad := &OpenAI{URL: srv.URL, Key: "nope", Model: "whisper-1"}
	_, err = bad.Transcribe(context.Background(), req)
	if media.ErrorCode(err) != media.EINVALID || !strings.Contains(media.ErrorMessage(err), "BATON_TRANSCRIBE_KEY") {
		t.Fatalf("bad key: %v", err)
	}
	// A busy service is retried (an internal error), not failed.
	status = http.StatusServiceUnavailable
	if _, err = o.Transcribe(context.Background(), req); err == nil || media.IsPermanent(err) {
		t.Fatalf("503: %v, want a retryable error", err)
	}
}
