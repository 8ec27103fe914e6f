//go:build linux

package transcode

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// A child over its memory bound is stopped, and the error says so in a way
// media recognises (the live session falls back to a job).
func TestRunnerMemoryBound(t *testing.T) {
	requireFFmpeg(t)
	var started startedPID
	r := &runner{started: started.set}
	begin := time.Now()
	_, err := r.run(context.Background(), command{Path: "ffmpeg", Args: endless(), MaxRSS: 1 << 20})
	if !errors.Is(err, media.ErrLiveOverMemory) {
		t.Fatalf("err = %v, want ErrLiveOverMemory", err)
	}
	if !strings.Contains(err.Error(), "MiB") {
		t.Errorf("err = %q, want the sizes", err)
	}
	if elapsed := time.Since(begin); elapsed > defaultGrace+5*time.Second {
		t.Errorf("stopping took %v", elapsed)
	}
	if pid := started.get(); !processGone(pid) {
		t.Errorf("ffmpeg (pid %d) still running", pid)
	}
}

// A job's child runs at the lower priority it asked for.
func TestRunnerNice(t *testing.T) {
	requireFFmpeg(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	niceOf := make(chan int, 1)
	r := &runner{started: func(pid int) {
		go func() {
			// The runner lowers the priority right after start.
			time.Sleep(200 * time.Millisecond)
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			// Field 19 (after the ")" of the command name) is the nice value.
			f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
			n, _ := strconv.Atoi(f[16])
			niceOf <- n
			cancel()
		}()
	}}
	_, _ = r.run(ctx, command{Path: "ffmpeg", Args: endless(), Nice: media.JobNice})
	if got := <-niceOf; got != media.JobNice {
		t.Fatalf("nice = %d, want %d", got, media.JobNice)
	}
}
