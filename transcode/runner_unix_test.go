//go:build unix

package transcode

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// endless is an ffmpeg run that never ends by itself: an infinite
// synthetic source read in real time.
func endless() []string {
	return mediatest.Join([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-re"},
		mediatest.TestSrc("32x32", 5, 0), []string{"-progress", "pipe:1", "-f", "null", "-"})
}

// startedPID records the pid the runner started.
type startedPID struct {
	mu  sync.Mutex
	pid int
}

func (s *startedPID) set(pid int) { s.mu.Lock(); s.pid = pid; s.mu.Unlock() }
func (s *startedPID) get() int    { s.mu.Lock(); defer s.mu.Unlock(); return s.pid }

func TestRunnerCancelKillsProcess(t *testing.T) {
	requireFFmpeg(t)
	var started startedPID
	r := &runner{started: started.set}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	out := &lineWriter{fn: func(line []byte) {
		if strings.HasPrefix(string(line), "progress=") {
			once.Do(cancel) // running for sure: cancel now
		}
	}}
	begin := time.Now()
	_, err := r.run(ctx, command{Path: "ffmpeg", Args: endless(), Stdout: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(begin); elapsed > defaultGrace+5*time.Second {
		t.Errorf("run took %v after cancel", elapsed)
	}
	pid := started.get()
	if pid == 0 {
		t.Fatal("started hook not called")
	}
	if !processGone(pid) {
		t.Errorf("ffmpeg (pid %d) still running after cancel", pid)
	}
}

func TestRunnerTimeout(t *testing.T) {
	requireFFmpeg(t)
	var started startedPID
	r := &runner{started: started.set}
	begin := time.Now()
	_, err := r.run(context.Background(), command{Path: "ffmpeg", Args: endless(), Timeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "300ms") {
		t.Errorf("error %q does not name the limit", err)
	}
	if media.IsPermanent(err) || media.ErrorCode(err) != media.EINTERNAL {
		t.Errorf("timeout must be internal and retryable, got code %q", media.ErrorCode(err))
	}
	if elapsed := time.Since(begin); elapsed > 5*time.Second {
		t.Errorf("run took %v with a 300ms timeout", elapsed)
	}
	if pid := started.get(); !processGone(pid) {
		t.Errorf("ffmpeg (pid %d) still running after the timeout", pid)
	}
}

// A child that ignores SIGTERM, and a grandchild that does too, are both
// killed after the grace period.
func TestRunnerKillsGroupAfterGrace(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var started startedPID
	r := &runner{grace: 200 * time.Millisecond, started: started.set}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	pr, pw := io.Pipe()
	grandchild := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "child="); ok {
				n, _ := strconv.Atoi(v)
				grandchild <- n
			}
			if sc.Text() == "ready" {
				cancel()
			}
		}
		io.Copy(io.Discard, pr)
	}()
	begin := time.Now()
	_, err = r.run(ctx, command{Path: self, Env: []string{helperEnv + "=parent"}, Stdout: pw, Timeout: 30 * time.Second})
	pw.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(begin); elapsed > 10*time.Second {
		t.Errorf("run took %v", elapsed)
	}
	if pid := started.get(); !processGone(pid) {
		t.Errorf("child (pid %d) survived", pid)
	}
	select {
	case pid := <-grandchild:
		if !waitGone(pid, 2*time.Second) {
			t.Errorf("grandchild (pid %d) survived", pid)
		}
	default:
		t.Error("helper never reported its child")
	}
}

// processGone reports whether pid has exited. A zombie counts as gone: it
// has exited, and reaping orphans is init's job, which some containers'
// init skips.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// "pid (comm) S ...": the state follows the last ')'.
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] == 'Z' || b[i+2] == 'X'
	}
	return false
}

// waitGone waits up to d for pid to exit.
func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if processGone(pid) {
			return true
		}
	}
	return processGone(pid)
}
