package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/speech"
)

// offHint tells a person how to turn transcription on; the API shows it
// with every transcript while it is off.
const offHint = "Transcription is off on this server. An administrator can turn it on: " +
	"BATON_TRANSCRIBE=whisper with BATON_WHISPER_MODEL (private, on this machine), " +
	"BATON_TRANSCRIBE=openai with BATON_TRANSCRIBE_URL (a transcription service), " +
	"or install pocketsphinx (English only)."

// newTranscriber picks the engine BATON_TRANSCRIBE names, or in auto mode
// the first one configured or installed. Nil means off.
func newTranscriber(cfg Config, log *slog.Logger) (media.Transcriber, error) {
	mode := cfg.Transcribe
	if mode == "auto" {
		switch {
		case cfg.TranscribeURL != "":
			mode = "openai"
		case cfg.WhisperModel != "":
			mode = "whisper"
		default:
			if _, err := exec.LookPath(cfg.PocketsphinxBin); err == nil {
				mode = "pocketsphinx"
			} else {
				mode = "off"
			}
		}
	}
	switch mode {
	case "whisper":
		w := &speech.Whisper{Bin: cfg.WhisperBin, Model: cfg.WhisperModel, Threads: cfg.WhisperThreads}
		if st, err := os.Stat(cfg.WhisperModel); err != nil || st.IsDir() {
			return nil, fmt.Errorf("BATON_WHISPER_MODEL: %s is not a readable model file", cfg.WhisperModel)
		}
		if err := w.Check(); err != nil {
			// A worker on another machine may have it; this one's jobs
			// wait and say what is missing.
			log.Warn("whisper is configured but cannot run here", "err", err)
		}
		return w, nil
	case "openai":
		o := &speech.OpenAI{URL: cfg.TranscribeURL, Key: cfg.TranscribeKey, Model: cfg.TranscribeModel}
		if _, err := o.Endpoint(); err != nil {
			return nil, err
		}
		return o, nil
	case "pocketsphinx":
		s := &speech.Sphinx{Bin: cfg.PocketsphinxBin}
		if !s.Available() {
			log.Warn("pocketsphinx is configured but not installed (apt-get install pocketsphinx pocketsphinx-en-us)", "bin", cfg.PocketsphinxBin)
		}
		return s, nil
	}
	return nil, nil
}
