package transcode

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"
)

// progressParser reads ffmpeg's -progress output: blocks of key=value lines,
// each ending with progress=continue or, once, progress=end.
type progressParser struct {
	outTime time.Duration // the latest output timestamp seen
	known   bool          // outTime has been set
	ended   bool          // progress=end was seen
	// onBlock, if set, is called at the end of every block.
	onBlock func(outTime time.Duration, end bool)
}

// line consumes one line of -progress output.
func (p *progressParser) line(l []byte) {
	key, val, ok := bytes.Cut(l, []byte("="))
	if !ok {
		return
	}
	val = bytes.TrimSpace(val)
	switch string(bytes.TrimSpace(key)) {
	case "out_time_us", "out_time_ms": // both in microseconds (out_time_ms is misnamed in ffmpeg)
		if us, err := strconv.ParseInt(string(val), 10, 64); err == nil && us >= 0 && us < 1<<62/1000 {
			p.outTime, p.known = time.Duration(us)*time.Microsecond, true
		}
	case "out_time": // "00:01:02.345678", older ffmpeg
		if d, ok := parseClock(string(val)); ok && !p.known {
			p.outTime, p.known = d, true
		}
	case "progress":
		end := string(val) == "end"
		p.ended = p.ended || end
		if p.onBlock != nil {
			p.onBlock(p.outTime, end)
		}
		p.known = false // the next block reports its own time
	}
}

// parseClock reads HH:MM:SS.ffffff. Negative times (ffmpeg prints them
// before the first packet of a stream that starts early) are not progress.
func parseClock(s string) (time.Duration, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	var h, m int64
	var sec float64
	hs, rest, ok1 := strings.Cut(s, ":")
	ms, ss, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return 0, false
	}
	var err error
	if h, err = strconv.ParseInt(hs, 10, 64); err != nil || h < 0 || h > 1e6 {
		return 0, false
	}
	if m, err = strconv.ParseInt(ms, 10, 64); err != nil || m < 0 || m > 59 {
		return 0, false
	}
	if sec, err = strconv.ParseFloat(ss, 64); err != nil || sec < 0 || sec >= 61 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second)), true
}

// reporter turns output timestamps into percentages of total and passes
// them on at most once per interval, never going backwards.
type reporter struct {
	mu       sync.Mutex
	fn       func(percent float64)
	total    time.Duration
	interval time.Duration
	ceiling  float64          // the highest percent reported before the run is verified
	now      func() time.Time // for tests
	last     time.Time
	sent     float64
	any      bool
}

func newReporter(fn func(float64), total time.Duration) *reporter {
	return &reporter{fn: fn, total: total, interval: 250 * time.Millisecond, ceiling: 99, now: time.Now}
}

// update reports outTime as a percentage if enough time has passed, or
// force is set.
func (r *reporter) update(outTime time.Duration, force bool) {
	if r == nil || r.fn == nil || r.total <= 0 {
		return
	}
	pct := 100 * float64(outTime) / float64(r.total)
	r.send(min(max(pct, 0), r.ceiling), force)
}

// done reports 100%.
func (r *reporter) done() {
	if r == nil || r.fn == nil {
		return
	}
	r.send(100, true)
}

func (r *reporter) send(pct float64, force bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.any && (pct <= r.sent || !force && now.Sub(r.last) < r.interval) {
		return
	}
	r.last, r.sent, r.any = now, pct, true
	r.fn(pct)
}
