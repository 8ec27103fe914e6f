package main

import (
	"sync"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
)

// cpuTime is the process's user+system CPU time including waited-for
// children (ffmpeg).
func cpuTime(pid int) time.Duration {
	self, children := h.CPUTimes(pid)
	return self + children
}

type sampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	ff   int64
	pid  int
}

// startSampler watches the RSS of the ffmpeg processes baton (pid) runs.
func startSampler(pid int) *sampler {
	s := &sampler{done: make(chan struct{}), pid: pid}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			for _, id := range h.Children(s.pid) {
				if rss := h.Status(id, "VmRSS"); rss > 0 {
					s.mu.Lock()
					s.ff = max(s.ff, rss)
					s.mu.Unlock()
				}
			}
		}
	}()
	return s
}

func (s *sampler) stop() (batonPeak, ffmpegPeak int64) {
	close(s.done)
	s.wg.Wait()
	return h.Status(s.pid, "VmHWM"), s.ff
}
