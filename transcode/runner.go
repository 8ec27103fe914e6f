package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/baton-video/baton/media"
)

// ErrTimeout is in the chain of the error returned when a child process ran
// past its hard deadline and was killed. It is an internal error, so the
// worker retries the job.
var ErrTimeout = errors.New("deadline exceeded")

const (
	// defaultGrace is how long a child has between SIGTERM and SIGKILL.
	// ffmpeg finishes its output and exits within milliseconds of SIGTERM.
	defaultGrace = 3 * time.Second
	// stderrKeep is how much of the end of stderr is kept. The error that
	// ended a run is at the end; a corrupt file can make ffmpeg print a
	// warning per frame, so the buffer must not grow with the input.
	stderrKeep = 64 << 10
)

// runner runs ffmpeg and ffprobe. It owns each child: the child gets its own
// process group, so cancelling kills it and anything it started, and no
// child outlives the call that started it.
type runner struct {
	grace   time.Duration // between SIGTERM and SIGKILL; defaultGrace if 0
	log     *slog.Logger
	started func(pid int) // test hook, called once the child runs
}

// command is one child process to run. Never a shell: Path and Args go to
// execve as they are.
type command struct {
	Path    string
	Args    []string
	Timeout time.Duration // hard deadline; 0 for none
	Stdout  io.Writer     // nil discards
	Env     []string      // extra environment, "KEY=value"
	// Stdin is what the child reads; nil is /dev/null. An *os.File (the
	// read end of an os.Pipe) is handed to the child as is, so nothing in
	// this process copies it and Wait never waits on a blocked Read; any
	// other reader is copied in by exec.
	Stdin io.Reader
	// Dir is the child's working directory; empty keeps ours.
	Dir string
	// OnStart, if set, is called once the child runs, before run waits
	// for it: Live closes its copy of the stdin pipe's read end there, so
	// that writes fail at once when the child exits.
	OnStart func()
	// Nice, if above zero, lowers the child's CPU priority (jobs yield to
	// live sessions; see media.Admission).
	Nice int
	// MaxRSS, if above zero, bounds the child's resident memory: it is
	// sampled every rssEvery, and a child past it is stopped and the run
	// fails with an error wrapping media.ErrLiveOverMemory.
	MaxRSS int64
}

// rssEvery is how often a bounded child's memory is sampled: often enough
// that a runaway child is stopped within a fraction of a second of growth.
const rssEvery = 250 * time.Millisecond

// exitError is a child that exited with a non-zero status.
type exitError struct {
	name   string
	code   int
	stderr string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("%s exited with status %d: %s", e.name, e.code, lastLines(e.stderr, 3))
}

// signalError is a child that died from a signal we did not send: the OOM
// killer, a crash on a hostile file.
type signalError struct {
	name   string
	sig    syscall.Signal
	stderr string
}

func (e *signalError) Error() string {
	return fmt.Sprintf("%s was killed by signal %v: %s", e.name, e.sig, lastLines(e.stderr, 3))
}

// run starts c, waits for it and returns the tail of its stderr. The error
// is an *exitError, a *signalError, ErrTimeout (wrapped), ctx's error
// (wrapped) or a start failure.
func (r *runner) run(ctx context.Context, c command) (stderr string, err error) {
	name := c.Path
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	grace := r.grace
	if grace <= 0 {
		grace = defaultGrace
	}
	tail := &tailBuffer{max: stderrKeep}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Stdin = c.Stdin // nil is /dev/null
	cmd.Stdout = c.Stdout
	cmd.Dir = c.Dir
	cmd.Stderr = tail
	// Only what we choose: stderr in plain C locale for the hints, and none
	// of ours (FFREPORT would make ffmpeg write report files anywhere).
	cmd.Env = append([]string{"LC_ALL=C"}, c.Env...)
	cmd.SysProcAttr = newProcAttr()
	// If the child exits but something it started still holds stdout or
	// stderr open, stop waiting for those pipes after this long.
	cmd.WaitDelay = grace

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	if r.started != nil {
		r.started(pid)
	}
	if c.Nice > 0 {
		lower(pid, c.Nice)
	}
	if c.OnStart != nil {
		c.OnStart()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var overMemory <-chan int64
	if c.MaxRSS > 0 {
		over := make(chan int64, 1)
		overMemory = over
		stopWatch := make(chan struct{})
		defer close(stopWatch)
		go watchMemory(pid, c.MaxRSS, over, stopWatch)
	}

	var deadline <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	var stopped error // why we stopped the child, if we did
	select {
	case err = <-done:
	case <-ctx.Done():
		stopped = fmt.Errorf("%s: %w", name, context.Cause(ctx))
	case <-deadline:
		stopped = fmt.Errorf("%s ran longer than its %v limit and was killed: %w", name, c.Timeout, ErrTimeout)
	case rss := <-overMemory:
		stopped = fmt.Errorf("%s used %d MiB, over its %d MiB limit, and was stopped: %w",
			name, rss>>20, c.MaxRSS>>20, media.ErrLiveOverMemory)
	}
	if stopped != nil {
		err = stopGroup(pid, done, grace)
	} else if errors.Is(err, exec.ErrWaitDelay) {
		killGroup(pid) // the child is gone; whatever it left behind goes too
	}
	stderr = tail.String()
	if r.log != nil {
		r.log.Debug("transcode: child exited", "cmd", name, "args", strings.Join(c.Args, " "),
			"elapsed", time.Since(start).Round(time.Millisecond), "err", err, "stopped", stopped)
	}
	if stopped != nil {
		return stderr, stopped
	}
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return stderr, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return stderr, &signalError{name: name, sig: ws.Signal(), stderr: stderr}
		}
		return stderr, &exitError{name: name, code: ee.ExitCode(), stderr: stderr}
	}
	return stderr, fmt.Errorf("%s: %w", name, err)
}

// watchMemory sends the child's resident memory on over once it exceeds
// max, sampling until stop is closed.
func watchMemory(pid int, max int64, over chan<- int64, stop <-chan struct{}) {
	t := time.NewTicker(rssEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if rss := residentBytes(pid); rss > max {
				over <- rss
				return
			}
		}
	}
}

// stopGroup asks the child's process group to stop, kills it after grace,
// and returns what Wait returned.
func stopGroup(pid int, done <-chan error, grace time.Duration) error {
	termGroup(pid)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
	}
	killGroup(pid)
	return <-done
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu        sync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) > b.max {
		p = p[len(p)-b.max:]
		b.truncated = true
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max { // compact rarely, so writes stay amortised O(1)
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
		b.truncated = true
	}
	return n, nil
}

// String returns the kept tail, starting at a line boundary when the start
// was cut off.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf
	if len(s) > b.max {
		s = s[len(s)-b.max:]
		b.truncated = true
	}
	if b.truncated {
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return string(s)
}

// limitBuffer collects up to max bytes and notes whether more came, so a
// hostile file cannot make ffprobe's JSON fill memory.
type limitBuffer struct {
	mu       sync.Mutex
	max      int
	buf      bytes.Buffer
	overflow bool
}

func (b *limitBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); len(p) > room {
		b.buf.Write(p[:max(room, 0)])
		b.overflow = true
		return len(p), nil
	}
	return b.buf.Write(p)
}

// lineWriter calls fn with each complete line written to it, without the
// newline. Lines longer than 4 KiB are cut: progress lines are short.
type lineWriter struct {
	fn   func(line []byte)
	part []byte
}

const maxLine = 4 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.part = append(w.part, p[:min(len(p), max(maxLine-len(w.part), 0))]...)
			break
		}
		line := p[:i]
		if len(w.part) > 0 {
			w.part = append(w.part, line[:min(len(line), max(maxLine-len(w.part), 0))]...)
			line = w.part
		} else if len(line) > maxLine {
			line = line[:maxLine]
		}
		w.fn(bytes.TrimSuffix(line, []byte("\r")))
		w.part = w.part[:0]
		p = p[i+1:]
	}
	return n, nil
}

// lastLines returns the last n non-empty lines of s, joined by " | ", for
// error texts meant for logs.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append(out, l)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) == 0 {
		return "(no output)"
	}
	return strings.Join(out, " | ")
}
