//go:build unix

package transcode

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Cancelling Live stops ffmpeg at once, even while it waits for a quiet
// recording (ffmpeg restarts a read that SIGTERM interrupts), and leaves no
// process, goroutine or temp file behind.
func TestLiveCancel(t *testing.T) {
	requireFFmpeg(t)
	in := liveInput{codec: "h264", size: "320x240", seconds: 8, audio: true, keyframe: 1}
	for _, tt := range []struct {
		name      string
		stopAfter int           // chunks sent before the recording goes quiet; 0 sends them all slowly
		atSegment bool          // cancel after the first segment rather than after the start
		delay     time.Duration // how long after
	}{
		{name: "while segments are made", atSegment: true},
		// ffmpeg is blocked reading stdin: SIGTERM alone would not end it.
		{name: "while the recording is quiet", stopAfter: 3, atSegment: true, delay: time.Second},
		{name: "while reading the head", stopAfter: 1, delay: 500 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			var pids []int
			var mu sync.Mutex
			f.runner.started = func(pid int) { mu.Lock(); pids = append(pids, pid); mu.Unlock() }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var cancelled time.Time
			var once sync.Once
			stop := func() { once.Do(func() { cancelled = time.Now(); cancel() }) }
			opt := feedOptions{chunk: time.Second, pace: 2, stopAfter: tt.stopAfter}
			if tt.atSegment {
				opt.onSegment = func(string) { time.AfterFunc(tt.delay, stop) }
			} else {
				time.AfterFunc(tt.delay, stop)
			}
			data := in.bytes(t)
			if tt.name == "while reading the head" {
				data = data[:8<<10*int(in.seconds)] // the first chunk is smaller than the head Live wants
			}
			r := live(t, f, ctx, data, in.seconds, opt)
			returned := r.returned.Sub(cancelled)
			if !errors.Is(r.err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", r.err)
			}
			t.Logf("returned %v after cancel", returned.Round(time.Millisecond))
			if returned > time.Second {
				t.Errorf("Live returned %v after cancel, want promptly (well before the %v SIGKILL grace)", returned, defaultGrace)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.atSegment && len(pids) < 2 {
				t.Fatalf("started %v, want ffprobe and ffmpeg", pids)
			}
			for _, pid := range pids {
				if !processGone(pid) {
					t.Errorf("process %d still running after Live returned", pid)
				}
			}
		})
	}
}
