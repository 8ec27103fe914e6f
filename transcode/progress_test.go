package transcode

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A -progress block as ffmpeg 5.1 prints it.
const progressBlocks = `frame=0
fps=0.00
stream_0_0_q=0.0
bitrate=N/A
total_size=N/A
out_time_us=N/A
out_time_ms=N/A
out_time=N/A
dup_frames=0
drop_frames=0
speed=N/A
progress=continue
frame=30
fps=0.00
stream_0_0_q=-1.0
bitrate=N/A
total_size=N/A
out_time_us=1001000
out_time_ms=1001000
out_time=00:00:01.001000
dup_frames=0
drop_frames=0
speed=6.54e+03x
progress=continue
frame=60
out_time_us=2001000
out_time_ms=2001000
out_time=00:00:02.001000
progress=end
`

type block struct {
	t   time.Duration
	end bool
}

func TestProgressParser(t *testing.T) {
	var got []block
	p := progressParser{onBlock: func(d time.Duration, end bool) { got = append(got, block{d, end}) }}
	w := &lineWriter{fn: p.line}
	// Written in awkward pieces, as a pipe delivers it.
	for chunk := range slices.Chunk([]byte(progressBlocks), 7) {
		w.Write(chunk)
	}
	want := []block{{0, false}, {1001 * time.Millisecond, false}, {2001 * time.Millisecond, true}}
	if !slices.Equal(got, want) {
		t.Fatalf("blocks = %v, want %v", got, want)
	}
	if !p.ended {
		t.Error("progress=end not noticed")
	}
}

func TestProgressParserOldFFmpeg(t *testing.T) {
	var got []block
	p := progressParser{onBlock: func(d time.Duration, end bool) { got = append(got, block{d, end}) }}
	for _, l := range strings.Split("out_time=01:02:03.500000\nprogress=end\n", "\n") {
		p.line([]byte(l))
	}
	want := []block{{time.Hour + 2*time.Minute + 3500*time.Millisecond, true}}
	if !slices.Equal(got, want) {
		t.Fatalf("blocks = %v, want %v", got, want)
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:01.500000": 1500 * time.Millisecond,
		"10:00:00.000000": 10 * time.Hour,
	} {
		if got, ok := parseClock(in); !ok || got != want {
			t.Errorf("parseClock(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"N/A", "", "-00:00:01.0", "00:61:00", "1:2", "a:b:c"} {
		if got, ok := parseClock(in); ok {
			t.Errorf("parseClock(%q) = %v, want not ok", in, got)
		}
	}
}

func TestReporter(t *testing.T) {
	now := time.Unix(0, 0)
	var got []float64
	r := newReporter(func(p float64) { got = append(got, p) }, 10*time.Second)
	r.now = func() time.Time { return now }

	r.update(time.Second, false)   // first: sent
	r.update(2*time.Second, false) // 0 ms later: throttled
	now = now.Add(300 * time.Millisecond)
	r.update(3*time.Second, false) // sent
	now = now.Add(300 * time.Millisecond)
	r.update(2*time.Second, false) // backwards: dropped
	now = now.Add(300 * time.Millisecond)
	r.update(20*time.Second, false) // past the end: held below 100 until verified
	r.update(10*time.Second, true)  // forced but not higher: dropped
	r.done()
	r.done() // once only

	want := []float64{10, 30, 99, 100}
	if !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
}

func TestReporterNil(t *testing.T) {
	r := newReporter(nil, time.Second)
	r.update(time.Second, true) // no callback: nothing to do, no panic
	r.done()
}
