package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTranscriberChoice: BATON_TRANSCRIBE picks the engine; auto takes
// the first one configured or installed; a whisper set-up without a model
// is refused at start with the variable to fix.
func TestTranscriberChoice(t *testing.T) {
	model := filepath.Join(t.TempDir(), "ggml-base.en.bin")
	os.WriteFile(model, []byte("model"), 0o644)
	_, sphinxErr := exec.LookPath("pocketsphinx_continuous")
	tests := []struct {
		env     map[string]string
		want    string // engine name, "" for off
		wantErr string
	}{
		{env: map[string]string{"BATON_TRANSCRIBE": "off"}, want: ""},
		{env: map[string]string{"BATON_TRANSCRIBE_URL": "http://127.0.0.1:8000"}, want: "openai"},
		{env: map[string]string{"BATON_WHISPER_MODEL": model}, want: "whisper"},
		{env: map[string]string{"BATON_TRANSCRIBE": "whisper", "BATON_WHISPER_MODEL": model, "BATON_WHISPER_THREADS": "2"}, want: "whisper"},
		{env: map[string]string{"BATON_TRANSCRIBE": "pocketsphinx"}, want: "pocketsphinx"},
		{env: map[string]string{"BATON_TRANSCRIBE": "pocketsphinx", "BATON_TRANSCRIBE_LANGUAGE": "EN"}, wantErr: "BATON_TRANSCRIBE_LANGUAGE"},
		{env: map[string]string{"BATON_TRANSCRIBE": "whisper"}, wantErr: "BATON_WHISPER_MODEL"},
		{env: map[string]string{"BATON_TRANSCRIBE": "whisper", "BATON_WHISPER_MODEL": "/nonexistent.bin"}, wantErr: "BATON_WHISPER_MODEL"},
		{env: map[string]string{"BATON_TRANSCRIBE": "openai"}, wantErr: "BATON_TRANSCRIBE_URL"},
		{env: map[string]string{"BATON_TRANSCRIBE_URL": "ftp://x"}, wantErr: "BATON_TRANSCRIBE_URL"},
		{env: map[string]string{"BATON_TRANSCRIBE": "deepgram"}, wantErr: "BATON_TRANSCRIBE"},
	}
	if sphinxErr == nil {
		tests = append(tests, struct {
			env     map[string]string
			want    string
			wantErr string
		}{env: map[string]string{}, want: "pocketsphinx"})
	}
	tests = append(tests, struct {
		env     map[string]string
		want    string
		wantErr string
	}{env: map[string]string{"BATON_POCKETSPHINX_BIN": "/nonexistent/pocketsphinx_continuous"}, want: ""})
	for _, tt := range tests {
		cfg, err := LoadConfig(env(tt.env))
		var name string
		if err == nil {
			tr, terr := newTranscriber(cfg, testLogger(t))
			err = terr
			if tr != nil {
				name = tr.Name()
			}
		}
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tt.env, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case name != tt.want:
			t.Errorf("%v: engine %q, want %q", tt.env, name, tt.want)
		}
	}
}
