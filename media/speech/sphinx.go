package speech

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/baton-video/baton/media"
)

// Sphinx transcribes with pocketsphinx_continuous (PocketSphinx
// 5prealpha, as Debian ships it). It reads the WAV file in one pass and
// prints, per utterance, the hypothesis and (with -time yes) one line per
// word: "word start end confidence", seconds.
type Sphinx struct {
	// Bin is the pocketsphinx_continuous binary; default on PATH.
	Bin string
	// ModelDir, if set, holds an acoustic model (en-us/), a language model
	// (en-us.lm.bin) and a dictionary (cmudict-en-us.dict), as Debian's
	// pocketsphinx-en-us lays them out. Empty: the binary's built-in
	// defaults, which on Debian are that package.
	ModelDir string
}

var _ media.Transcriber = (*Sphinx)(nil)

// DefaultSphinxBin is the binary name on PATH.
const DefaultSphinxBin = "pocketsphinx_continuous"

// Name is "pocketsphinx".
func (s *Sphinx) Name() string { return "pocketsphinx" }

// Available reports whether the binary is on PATH (or at its path).
func (s *Sphinx) Available() bool {
	_, err := exec.LookPath(s.bin())
	return err == nil
}

func (s *Sphinx) bin() string {
	if s.Bin == "" {
		return DefaultSphinxBin
	}
	return s.Bin
}

// sphinxArgs is the command line for one file. The file name must end in
// .wav: that is how the binary knows to skip a RIFF header.
func sphinxArgs(wav, modelDir string) []string {
	args := []string{
		"-infile", wav, // one file, segmented into utterances at silences
		"-time", "yes", // a line per word with its start and end
	}
	if modelDir != "" {
		args = append(args,
			"-hmm", filepath.Join(modelDir, "en-us"), // acoustic model
			"-lm", filepath.Join(modelDir, "en-us.lm.bin"), // language model
			"-dict", filepath.Join(modelDir, "cmudict-en-us.dict"), // pronunciations
		)
	}
	return args
}

// Transcribe runs the engine over req.Audio. PocketSphinx knows only
// English; another requested language is refused rather than garbled.
func (s *Sphinx) Transcribe(ctx context.Context, req media.TranscribeRequest) (*media.Transcription, error) {
	if req.Language != "" && req.Language != "en" {
		return nil, media.Errorf(media.EINVALID, "PocketSphinx transcribes English only (BATON_TRANSCRIBE_LANGUAGE is %q).", req.Language)
	}
	if !strings.HasSuffix(req.Audio, ".wav") {
		return nil, media.Errorf(media.EINVALID, "PocketSphinx needs a .wav file.")
	}
	if _, err := os.Stat(req.Audio); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := run(ctx, command{Path: s.bin(), Args: sphinxArgs(req.Audio, s.ModelDir), Timeout: timeoutFor(req.DurationMs), Stdout: &out}); err != nil {
		return nil, err
	}
	return &media.Transcription{Language: "en", Segments: parseSphinx(out.Bytes())}, nil
}

// Segment boundaries: a line ends at an utterance's end, at a pause once
// it is long enough to read, or when it is full.
const (
	lineMinMs    = 2500
	lineMaxMs    = 7000
	lineMaxWords = 16
	pauseMs      = 250
)

// parseSphinx groups the word lines of pocketsphinx_continuous -time yes
// into caption-sized segments. Fillers (<s>, </s>, <sil>, [NOISE],
// ++BREATH++) are dropped and alternate pronunciations ("the(2)") are
// read as the word.
func parseSphinx(out []byte) []media.Segment {
	var segs []media.Segment
	var cur []string
	var start, end int64
	flush := func() {
		if len(cur) > 0 {
			segs = append(segs, media.Segment{StartMs: start, EndMs: end, Text: strings.Join(cur, " ")})
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue // a hypothesis line
		}
		b, err1 := strconv.ParseFloat(f[1], 64)
		e, err2 := strconv.ParseFloat(f[2], 64)
		if _, err3 := strconv.ParseFloat(f[3], 64); err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		w, bms, ems := f[0], int64(b*1000+0.5), int64(e*1000+0.5)
		switch {
		case w == "</s>":
			flush()
			continue
		case w == "<sil>":
			if len(cur) > 0 && ems-bms >= pauseMs && end-start >= lineMinMs {
				flush()
			}
			continue
		case w == "<s>" || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++") || strings.HasPrefix(w, "<"):
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		if len(cur) > 0 && (ems-start > lineMaxMs || len(cur) >= lineMaxWords) {
			flush()
		}
		if len(cur) == 0 {
			start = bms
		}
		cur = append(cur, w)
		end = ems
	}
	flush()
	return segs
}
