package transcode

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunnerExitError(t *testing.T) {
	requireFFmpeg(t)
	r := &runner{}
	stderr, err := r.run(context.Background(), command{Path: "ffmpeg", Args: []string{"-hide_banner", "-f", "matroska", "-i", "file:/nonexistent/x.webm"}})
	var xe *exitError
	if !errors.As(err, &xe) {
		t.Fatalf("err = %v, want *exitError", err)
	}
	if xe.code == 0 || !strings.Contains(stderr, "No such file or directory") {
		t.Errorf("code %d, stderr %q", xe.code, stderr)
	}
}

func TestRunnerMissingBinary(t *testing.T) {
	_, err := (&runner{}).run(context.Background(), command{Path: "/nonexistent/ffmpeg"})
	if err == nil {
		t.Fatal("no error starting a missing binary")
	}
}

func TestRunnerCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var started bool
	_, err := (&runner{started: func(int) { started = true }}).run(ctx, command{Path: "/bin/true"})
	if !errors.Is(err, context.Canceled) || started {
		t.Fatalf("err = %v, started = %v", err, started)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 100}
	for i := range 1000 {
		b.Write([]byte(strings.Repeat("x", i%7) + "line\n"))
	}
	b.Write([]byte("the end\n"))
	got := b.String()
	if len(got) > 100 {
		t.Errorf("kept %d bytes, want at most 100", len(got))
	}
	if !strings.HasSuffix(got, "the end\n") {
		t.Errorf("lost the end: %q", got)
	}
	if !strings.HasSuffix(strings.SplitN(got, "\n", 2)[0], "line") {
		t.Errorf("does not start at a line boundary: %q", got)
	}

	big := &tailBuffer{max: 10}
	big.Write([]byte("0123456789\nabcdefghijklmnopqrstuvwxyz"))
	if got := big.String(); len(got) > 10 || !strings.HasSuffix(got, "z") {
		t.Errorf("one big write: %q", got)
	}
}

func TestLimitBuffer(t *testing.T) {
	b := &limitBuffer{max: 5}
	for _, s := range []string{"abc", "def", "ghi"} {
		if n, err := b.Write([]byte(s)); n != 3 || err != nil {
			t.Fatalf("Write = %d, %v", n, err) // must not fail the child's pipe
		}
	}
	if got := b.buf.String(); got != "abcde" || !b.overflow {
		t.Errorf("buf %q, overflow %v", got, b.overflow)
	}
}

func TestLineWriter(t *testing.T) {
	var lines []string
	w := &lineWriter{fn: func(l []byte) { lines = append(lines, string(l)) }}
	w.Write([]byte("a=1\r\nb="))
	w.Write([]byte("2\n" + strings.Repeat("x", 10000)))
	w.Write([]byte(strings.Repeat("y", 10000) + "\nc=3\n"))
	if len(lines) != 4 || lines[0] != "a=1" || lines[1] != "b=2" || len(lines[2]) != maxLine || lines[3] != "c=3" {
		t.Errorf("lines = %.40q", lines)
	}
}

func TestLastLines(t *testing.T) {
	if got, want := lastLines("a\n\nb\nc\n\n", 2), "b | c"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	if got, want := lastLines("", 2), "(no output)"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[string]string{
		"1.5s":    "1.5 seconds",
		"45s":     "45 seconds",
		"2m5s":    "2 minutes 5 seconds",
		"1h":      "1 hour",
		"4h":      "4 hours",
		"1h30m9s": "1 hour 30 minutes",
	} {
		if got := humanDuration(mustDuration(t, d)); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
