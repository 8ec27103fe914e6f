package speech

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/baton-video/baton/media"
)

// Whisper transcribes with whisper.cpp's command-line program. The model
// is a ggml file the operator downloads once (see the README); nothing
// leaves the machine.
type Whisper struct {
	// Bin is whisper-cli; default on PATH.
	Bin string
	// Model is the ggml model file, e.g. ggml-base.en.bin.
	Model string
	// Threads bounds the CPU the engine uses; 0 leaves whisper.cpp's
	// default (4).
	Threads int
}

var _ media.Transcriber = (*Whisper)(nil)

// DefaultWhisperBin is whisper.cpp's CLI name on PATH.
const DefaultWhisperBin = "whisper-cli"

// Name is "whisper".
func (w *Whisper) Name() string { return "whisper" }

func (w *Whisper) bin() string {
	if w.Bin == "" {
		return DefaultWhisperBin
	}
	return w.Bin
}

// Check reports what is missing to run: the binary or the model file.
func (w *Whisper) Check() error {
	if _, err := exec.LookPath(w.bin()); err != nil {
		return fmt.Errorf("BATON_WHISPER_BIN: %s not found (build whisper.cpp and put whisper-cli on PATH)", w.bin())
	}
	if w.Model == "" {
		return fmt.Errorf("BATON_WHISPER_MODEL must name a ggml model file")
	}
	if st, err := os.Stat(w.Model); err != nil || st.IsDir() {
		return fmt.Errorf("BATON_WHISPER_MODEL: %s is not a readable model file", w.Model)
	}
	return nil
}

// whisperArgs is the command line for one file; outBase is where the
// JSON goes (outBase + ".json").
func whisperArgs(model, wav, language string, threads int, outBase string) []string {
	if language == "" {
		language = "auto"
	}
	args := []string{
		"-m", model, // the operator's ggml model
		"-f", wav, // 16 kHz mono WAV, what whisper.cpp reads natively
		"-l", language, // a language code, or auto-detect
		"-oj",          // write the result as JSON (segments with millisecond offsets)
		"-of", outBase, // ... to outBase.json, in our private directory
		"-np", // no progress or banner on stdout; errors still go to stderr
	}
	if threads > 0 {
		args = append(args, "-t", strconv.Itoa(threads)) // the operator's CPU budget
	}
	return args
}

// Transcribe runs whisper-cli over req.Audio.
func (w *Whisper) Transcribe(ctx context.Context, req media.TranscribeRequest) (*media.Transcription, error) {
	if err := w.Check(); err != nil {
		return nil, media.WrapError(media.EUNAVAILABLE, err, "Whisper is not set up on this server: %v.", err)
	}
	dir, err := os.MkdirTemp(filepath.Dir(req.Audio), "whisper-")
	if err != nil {
		return nil, media.WrapError(media.ENOSPACE, err, "No space for temporary files.")
	}
	defer os.RemoveAll(dir)
	outBase := filepath.Join(dir, "out")
	if _, err := run(ctx, command{Path: w.bin(), Args: whisperArgs(w.Model, req.Audio, req.Language, w.Threads, outBase), Timeout: timeoutFor(req.DurationMs)}); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(outBase + ".json")
	if err != nil {
		return nil, fmt.Errorf("speech: whisper wrote no JSON: %w", err)
	}
	return parseWhisperJSON(b)
}

// whisperJSON is the part of whisper.cpp's -oj output Baton reads.
type whisperJSON struct {
	Result struct {
		Language string `json:"language"`
	} `json:"result"`
	Transcription []struct {
		Offsets struct {
			From int64 `json:"from"`
			To   int64 `json:"to"`
		} `json:"offsets"`
		Text string `json:"text"`
	} `json:"transcription"`
}

// parseWhisperJSON reads whisper.cpp's JSON. Markers of non-speech
// ("[BLANK_AUDIO]", "[Music]", "(wind blowing)") are not lines.
func parseWhisperJSON(b []byte) (*media.Transcription, error) {
	var doc whisperJSON
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("speech: whisper JSON: %w", err)
	}
	out := &media.Transcription{Language: doc.Result.Language}
	for _, s := range doc.Transcription {
		text := strings.TrimSpace(s.Text)
		if text == "" || isMarker(text) {
			continue
		}
		out.Segments = append(out.Segments, media.Segment{StartMs: s.Offsets.From, EndMs: s.Offsets.To, Text: text})
	}
	return out, nil
}

func isMarker(s string) bool {
	return (strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")) || (strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")"))
}
