package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite configs/ examples from the settings table")

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Addr, "127.0.0.1:8080"; got != want {
		t.Fatalf("Addr = %q, want %q", got, want)
	}
	if got, want := c.PublicURL, "http://127.0.0.1:8080"; got != want {
		t.Fatalf("PublicURL = %q, want %q", got, want)
	}
	if got, want := c.DatabasePath(), filepath.Join("data", "baton.db"); got != want {
		t.Fatalf("DatabasePath = %q, want %q", got, want)
	}
	if c.S3Endpoint != "" || c.Workers < 1 || c.JobLease != 30*time.Second {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BATON_ADDR": "nope"}, "BATON_ADDR"},
		{map[string]string{"BATON_PUBLIC_URL": "ftp://x"}, "BATON_PUBLIC_URL"},
		{map[string]string{"BATON_WORKERS": "-1"}, "BATON_WORKERS"},
		{map[string]string{"BATON_JOB_LEASE": "soon"}, "BATON_JOB_LEASE"},
		{map[string]string{"BATON_S3_USE_TLS": "maybe"}, "BATON_S3_USE_TLS"},
		{map[string]string{"BATON_MAX_UPLOAD_BYTES": "0"}, "BATON_MAX_UPLOAD_BYTES"},
		{map[string]string{"BATON_LOG_FORMAT": "xml"}, "BATON_LOG_FORMAT"},
		{map[string]string{"BATON_TRUSTED_PROXIES": "10.0.0.1,bogus"}, "BATON_TRUSTED_PROXIES"},
		{map[string]string{"BATON_DATABASE_URL": "mysql://x"}, "BATON_DATABASE_URL"},
		{map[string]string{"BATON_S3_ENDPOINT": "127.0.0.1:9000"}, "BATON_S3_ACCESS_KEY"},
		{map[string]string{"BATON_CONFIG": "/does/not/exist.yaml"}, "BATON_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := LoadConfig(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestLoadConfigFileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.yaml")
	os.WriteFile(path, []byte("addr: 127.0.0.1:9999\nworkers: 3\ns3_use_tls: true\n"), 0o644)
	c, err := LoadConfig(env(map[string]string{"BATON_CONFIG": path, "BATON_WORKERS": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.Workers != 2 || !c.S3UseTLS {
		t.Fatalf("got %+v; want file values with env overriding", c)
	}
	os.WriteFile(path, []byte("adr: x\n"), 0o644)
	if _, err := LoadConfig(env(map[string]string{"BATON_CONFIG": path})); err == nil || !strings.Contains(err.Error(), `"adr"`) {
		t.Fatalf("unknown key: err = %v", err)
	}
}

// The examples in configs/ are generated from the settings table, so they
// document every setting and cannot drift.
func TestConfigExamplesDocumentEverySetting(t *testing.T) {
	files := map[string]string{
		"../../configs/baton.example.yaml": exampleYAML(),
		"../../configs/baton.example.env":  exampleEnv(),
	}
	for path, want := range files {
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is out of date; run go test ./cmd/baton -run TestConfigExamples -update", path)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const open, end = "<!-- config-table -->\n", "<!-- /config-table -->"
	i, j := strings.Index(string(readme), open), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the config-table markers")
	}
	table := configTable()
	if got := string(readme[i+len(open) : j]); got != table {
		if *update {
			os.WriteFile("../../README.md", []byte(string(readme[:i+len(open)])+table+string(readme[j:])), 0o644)
		} else {
			t.Error("README.md configuration table is out of date; run go test ./cmd/baton -run TestConfigExamples -update")
		}
	}
	// The YAML example must load as it is.
	c, err := LoadConfig(env(map[string]string{"BATON_CONFIG": "../../configs/baton.example.yaml"}))
	if err != nil {
		t.Fatalf("example YAML does not load: %v", err)
	}
	if c.Addr != "127.0.0.1:8080" {
		t.Fatalf("example YAML Addr = %q", c.Addr)
	}
	var m map[string]any
	b, _ := os.ReadFile("../../configs/baton.example.yaml")
	_ = yaml.Unmarshal(b, &m)
	for _, s := range settings {
		if _, ok := m[s.yamlKey()]; !ok {
			t.Errorf("example YAML lacks %s", s.yamlKey())
		}
	}
}

func exampleYAML() string {
	var b strings.Builder
	b.WriteString("# Baton configuration. Point BATON_CONFIG at a copy of this file.\n")
	b.WriteString("# Every key is also an environment variable (BATON_ + upper-case key),\n")
	b.WriteString("# which wins over the file. Generated from cmd/baton/config.go.\n")
	for _, s := range settings {
		def := s.Default
		switch s.Env { // defaults from the cores, shown for a 2-core box
		case "BATON_WORKERS":
			def = "1"
		case "BATON_MAX_LIVE":
			def = "4"
		}
		fmt.Fprintf(&b, "\n# %s (%s)\n%s: %q\n", s.Help, s.Env, s.yamlKey(), def)
	}
	return b.String()
}

func exampleEnv() string {
	var b strings.Builder
	b.WriteString("# Baton configuration as environment variables. Generated from cmd/baton/config.go.\n")
	for _, s := range settings {
		def := s.Default
		switch s.Env { // defaults from the cores, shown for a 2-core box
		case "BATON_WORKERS":
			def = "1"
		case "BATON_MAX_LIVE":
			def = "4"
		}
		fmt.Fprintf(&b, "\n# %s\n%s=%s\n", s.Help, s.Env, def)
	}
	return b.String()
}

func configTable() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range settings {
		def := s.Default
		switch s.Env {
		case "BATON_WORKERS":
			def = "cores / 2"
		case "BATON_MAX_LIVE":
			def = "2 × cores"
		}
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", s.Env, def, strings.ReplaceAll(s.Help, "|", "\\|"))
	}
	return b.String()
}
