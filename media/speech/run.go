package speech

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/baton-video/baton/media"
)

// grace is how long a child has between SIGTERM and SIGKILL.
const grace = 3 * time.Second

// command is one child process. Path and Args go to execve as they are.
type command struct {
	Path    string
	Args    []string
	Timeout time.Duration
	Stdout  io.Writer
}

// errTimeout marks a child killed at its deadline.
var errTimeout = errors.New("deadline exceeded")

// run starts c, waits for it, and returns the tail of its stderr.
func run(ctx context.Context, c command) (string, error) {
	name := c.Path[strings.LastIndexByte(c.Path, '/')+1:]
	tail := &tailBuffer{max: 16 << 10}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Stdout = c.Stdout
	cmd.Stderr = tail
	cmd.Env = []string{"LC_ALL=C", "HOME=/nonexistent"}
	cmd.SysProcAttr = newProcAttr()
	cmd.WaitDelay = grace
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return "", media.WrapError(media.EUNAVAILABLE, err, "The transcription engine %s is not installed.", name)
		}
		return "", fmt.Errorf("speech: start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	lowerPriority(pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var deadline <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	var err, stopped error
	select {
	case err = <-done:
	case <-ctx.Done():
		stopped = fmt.Errorf("speech: %s: %w", name, context.Cause(ctx))
	case <-deadline:
		stopped = media.WrapError(media.EINTERNAL, fmt.Errorf("speech: %s: %w", name, errTimeout), "The transcription engine %s took longer than %v and was stopped.", name, c.Timeout)
	}
	if stopped != nil {
		termGroup(pid)
		select {
		case <-done:
		case <-time.After(grace):
			killGroup(pid)
			<-done
		}
		return tail.String(), stopped
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		// Internal, so retried; the message is what a person reads if
		// the retries run out.
		return tail.String(), media.WrapError(media.EINTERNAL, fmt.Errorf("speech: %s: %w", name, err), "The transcription engine %s failed (%v): %s", name, err, lastLine(tail.String()))
	}
	return tail.String(), nil
}

// lastLine is the last non-empty line of s, for error messages.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// timeoutFor is a child's hard deadline for audio of durationMs: engines
// slower than ten times real time are broken, not busy.
func timeoutFor(durationMs int64) time.Duration {
	return 10*time.Minute + 10*time.Duration(durationMs)*time.Millisecond
}
