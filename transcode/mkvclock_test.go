package transcode

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The clock agrees with ffprobe on recordings ffmpeg and Chromium write,
// whether their bytes arrive at once, in uneven pieces or one at a time.
func TestMKVClockMatchesFFprobe(t *testing.T) {
	requireFFmpeg(t)
	for _, in := range []liveInput{
		{codec: "h264", size: "320x240", seconds: 4, audio: true, keyframe: 1},
		{codec: "vp8", size: "320x240", seconds: 3, audio: true, offset: 1.5},
		{codec: "vp8", size: "320x240", seconds: 2},
	} {
		t.Run(in.name(), func(t *testing.T) {
			assertClockMatches(t, in.bytes(t))
		})
	}
	for _, rec := range chromeRecordings {
		t.Run(rec.file, func(t *testing.T) {
			assertClockMatches(t, mustRead(t, rec.file))
		})
	}
}

// assertClockMatches checks the clock against ffprobe on data.
func assertClockMatches(t *testing.T, data []byte) {
	t.Helper()
	want := ffprobeSpan(t, data)
	for _, split := range []string{"whole", "random", "bytes"} {
		c := newMKVClock()
		switch split {
		case "whole":
			c.Write(data)
		case "random":
			rng := rand.New(rand.NewPCG(1, 2))
			for p := data; len(p) > 0; {
				n := min(len(p), 1+rng.IntN(5000))
				c.Write(p[:n])
				p = p[n:]
			}
		case "bytes":
			for i := range data {
				c.Write(data[i : i+1])
			}
		}
		if c.err != nil {
			t.Fatalf("%s: %v", split, c.err)
		}
		if got := c.span(); got < want-time.Millisecond || got > want+time.Millisecond {
			t.Errorf("%s: span = %v, ffprobe says %v", split, got, want)
		}
	}
}

// ffprobeSpan is the distance between the lowest and highest packet
// timestamp of a Matroska stream, by ffprobe.
func ffprobeSpan(tb testing.TB, data []byte) time.Duration {
	tb.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-f", "matroska", "-show_entries", "packet=pts_time", "-of", "csv=p=0", "pipe:0")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for line := range strings.Lines(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ",")), 64)
		if err != nil {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return time.Duration((hi - lo) * float64(time.Second))
}

// ebml builds elements for hand-made streams.
func ebml(id uint32, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	return append(append(ebmlID(id), ebmlSize(uint64(len(body)))...), body...)
}

// ebmlUnknown is a master element of unknown size, as live writers make.
func ebmlUnknown(id uint32, payload ...[]byte) []byte {
	return append(append(ebmlID(id), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), bytes.Join(payload, nil)...)
}

func ebmlID(id uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	i := 0
	for i < 3 && b[i] == 0 {
		i++
	}
	return b[i:]
}

func ebmlSize(n uint64) []byte { // always 8 bytes: simple and valid
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n|1<<56)
	return b[:]
}

func ebmlUint(id uint32, v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return ebml(id, b[:])
}

// block is a SimpleBlock (or Block) of track 1 at rel ticks.
func mkvBlockOf(id uint32, rel int16) []byte {
	return ebml(id, []byte{0x81, byte(uint16(rel) >> 8), byte(rel), 0x80, 1, 2, 3})
}

func TestMKVClockHandMade(t *testing.T) {
	header := ebml(mkvIDEBML, ebml(0x4282, []byte("webm")))
	tests := []struct {
		name string
		data []byte
		want time.Duration
		bad  bool
	}{
		{
			name: "unknown-size segment and clusters, as MediaRecorder writes",
			data: slices2(header, ebmlUnknown(mkvIDSegment,
				ebml(mkvIDInfo, ebmlUint(mkvIDTimestampScale, 1000000)),
				ebml(mkvIDTracks, []byte{0xae, 0x80}),
				ebmlUnknown(mkvIDCluster, ebmlUint(mkvIDTimestamp, 5000), mkvBlockOf(mkvIDSimpleBlock, 0), mkvBlockOf(mkvIDSimpleBlock, 33), ebml(0xEC, make([]byte, 10))),
				ebmlUnknown(mkvIDCluster, ebmlUint(mkvIDTimestamp, 6000), mkvBlockOf(mkvIDSimpleBlock, -20),
					ebml(mkvIDBlockGroup, mkvBlockOf(mkvIDBlock, 500), ebmlUint(0x9B, 33))),
				ebml(mkvIDCues, make([]byte, 40)),
			)),
			want: 1500 * time.Millisecond,
		},
		{
			name: "timestamp scale of 100 µs",
			data: slices2(header, ebml(mkvIDSegment,
				ebml(mkvIDInfo, ebmlUint(mkvIDTimestampScale, 100000)),
				ebml(mkvIDCluster, ebmlUint(mkvIDTimestamp, 0), mkvBlockOf(mkvIDSimpleBlock, 0), mkvBlockOf(mkvIDSimpleBlock, 20000)),
			)),
			want: 2 * time.Second,
		},
		{
			name: "blocks outside a cluster or before its timestamp do not count",
			data: slices2(header, ebml(mkvIDSegment,
				mkvBlockOf(mkvIDSimpleBlock, 30000),
				ebml(mkvIDCluster, mkvBlockOf(mkvIDSimpleBlock, 30000), ebmlUint(mkvIDTimestamp, 0), mkvBlockOf(mkvIDSimpleBlock, 0), mkvBlockOf(mkvIDSimpleBlock, 100)),
			)),
			want: 100 * time.Millisecond,
		},
		{
			name: "absurd timestamps saturate instead of overflowing",
			data: slices2(header, ebml(mkvIDSegment,
				ebml(mkvIDCluster, ebmlUint(mkvIDTimestamp, 0), mkvBlockOf(mkvIDSimpleBlock, -32768)),
				ebml(mkvIDCluster, ebmlUint(mkvIDTimestamp, math.MaxUint64), mkvBlockOf(mkvIDSimpleBlock, 32767)),
			)),
			want: time.Duration(mkvFar - (-32768 * int64(time.Millisecond))),
		},
		{name: "zero byte where an ID should be", data: slices2(header, []byte{0, 0, 0}), bad: true},
		{name: "child larger than its parent", data: slices2(header, ebml(mkvIDSegment, append(ebmlID(mkvIDCluster), ebmlSize(100)...))), bad: true},
		{name: "unknown size on a block", data: slices2(header, ebmlUnknown(mkvIDSegment, ebmlUnknown(mkvIDCluster, ebmlUnknown(mkvIDSimpleBlock)))), bad: true},
		{name: "zero timestamp scale", data: slices2(header, ebml(mkvIDSegment, ebml(mkvIDInfo, ebmlUint(mkvIDTimestampScale, 0)))), bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMKVClock()
			c.Write(tt.data)
			if (c.err != nil) != tt.bad {
				t.Fatalf("err = %v, want failure %v", c.err, tt.bad)
			}
			if !tt.bad && c.span() != tt.want {
				t.Errorf("span = %v, want %v", c.span(), tt.want)
			}
		})
	}
}

func slices2(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Whatever the bytes, the clock does not panic, does not depend on how the
// bytes are split, and never reports a negative span.
func FuzzMKVClock(f *testing.F) {
	header := ebml(mkvIDEBML, ebml(0x4282, []byte("webm")))
	f.Add(slices2(header, ebmlUnknown(mkvIDSegment, ebmlUnknown(mkvIDCluster, ebmlUint(mkvIDTimestamp, 7), mkvBlockOf(mkvIDSimpleBlock, 3)))), 5)
	f.Add([]byte("\x1a\x45\xdf\xa3 this is not matroska at all"), 3)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		whole := newMKVClock()
		whole.Write(data)
		parts := newMKVClock()
		cut = min(max(cut, 0), len(data))
		parts.Write(data[:cut])
		parts.Write(data[cut:])
		if whole.min != parts.min || whole.max != parts.max || whole.blocks != parts.blocks || (whole.err == nil) != (parts.err == nil) {
			t.Fatalf("split at %d changes the result: %+v vs %+v", cut, whole, parts)
		}
		if whole.span() < 0 || len(whole.stack) > mkvMaxDepth {
			t.Fatalf("span %v, depth %d", whole.span(), len(whole.stack))
		}
	})
}
