package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cpuTime is the process's user+system CPU time including waited-for
// children (ffmpeg), from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		n, _ := strconv.ParseInt(fields[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100
}

func statusKB(pid int, key string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

type sampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	ff   int64
	pid  int
}

// parent returns the parent pid of pid.
func parent(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// startSampler watches the RSS of the ffmpeg processes baton (pid) runs.
func startSampler(pid int, dataDir string) *sampler {
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
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, p := range procs {
				b, _ := os.ReadFile(p)
				if !strings.HasPrefix(string(b), "ffmpeg") && !strings.Contains(string(b), "/ffmpeg\x00") {
					continue
				}
				id, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
				if parent(id) != s.pid {
					continue // someone else's ffmpeg
				}
				if rss := statusKB(id, "VmRSS"); rss > 0 {
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
	return statusKB(s.pid, "VmHWM"), s.ff
}
