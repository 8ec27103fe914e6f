package transcode

import (
	"errors"
	"math"
	"time"
)

// mkvClock follows the block timestamps of a Matroska (WebM) stream as its
// bytes go past, so Live knows how long the recording is without a second
// pass over it and without buffering it: it enforces the duration limit
// while the recording arrives and checks the output against the input's
// last timestamp at the end.
//
// It reads only the element structure: the EBML header and Segment, Info
// (for TimestampScale), Clusters (their Timestamp) and the first bytes of
// each SimpleBlock or Block (track number and relative timestamp);
// everything else is skipped by its size. MediaRecorder writes a Segment of
// unknown size, and some writers Clusters of unknown size; such an element
// ends where an element that cannot be its child begins. The input is
// hostile: nothing is allocated from a size it declares, every number is
// bounded, and a stream it cannot follow stops the clock (err is set) rather
// than guessing. ffmpeg, which reads the same bytes, is the judge of whether
// the stream is valid; the clock only measures it.
type mkvClock struct {
	min, max int64 // lowest and highest block timestamp seen, in ns
	blocks   int64 // blocks whose timestamp was read
	tracks   bool  // a Segment's Tracks element began
	err      error // why the clock stopped following the stream; nil while it follows

	scale        int64 // ns per timestamp tick: Info's TimestampScale, 1 ms by default
	cluster      int64 // the current Cluster's Timestamp, in ticks
	clusterKnown bool  // the current Cluster's Timestamp has been read

	pos   int64       // bytes consumed
	stack []mkvMaster // open master elements, outermost first

	st   mkvState
	buf  [12]byte // the ID, size, value or block header being read
	n    int      // bytes in buf
	want int      // bytes wanted in buf
	id   uint32   // the current element's ID
	end  int64    // where the current element's payload ends
}

// mkvMaster is an open master element; end is -1 when its size is unknown.
type mkvMaster struct {
	id  uint32
	end int64
}

type mkvState uint8

const (
	mkvID    mkvState = iota // reading an element ID
	mkvSize                  // reading an element size
	mkvSkip                  // skipping a payload
	mkvValue                 // reading an unsigned integer payload
	mkvBlock                 // reading the head of a (Simple)Block
)

// Matroska element IDs, with their length marker bits kept, as the
// specification writes them.
const (
	mkvIDEBML           = 0x1A45DFA3
	mkvIDSegment        = 0x18538067
	mkvIDSeekHead       = 0x114D9B74
	mkvIDInfo           = 0x1549A966
	mkvIDTimestampScale = 0x2AD7B1
	mkvIDTracks         = 0x1654AE6B
	mkvIDCluster        = 0x1F43B675
	mkvIDTimestamp      = 0xE7 // a Cluster's
	mkvIDSimpleBlock    = 0xA3
	mkvIDBlockGroup     = 0xA0
	mkvIDBlock          = 0xA1
	mkvIDCues           = 0x1C53BB6B
	mkvIDTags           = 0x1254C367
	mkvIDChapters       = 0x1043A770
	mkvIDAttachments    = 0x1941A469
)

// mkvFar bounds timestamps (about 73 years in ns), so sums and differences
// of them never overflow.
const mkvFar = math.MaxInt64 / 4

// mkvMaxDepth bounds the open masters; a recording needs 3 (Segment,
// Cluster, BlockGroup).
const mkvMaxDepth = 8

func newMKVClock() *mkvClock { return &mkvClock{scale: int64(time.Millisecond)} }

// Write consumes the next bytes of the stream. It never fails: the clock
// only watches, and stops watching (err) when it loses the structure.
func (c *mkvClock) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		if c.st == mkvSkip {
			k := int(min(int64(len(p)), c.end-c.pos))
			c.pos += int64(k)
			p = p[k:]
			if c.pos == c.end {
				c.elementDone()
			}
			continue
		}
		c.pos++
		c.byte(p[0])
		p = p[1:]
	}
	return n, nil
}

// span is the distance between the lowest and the highest block timestamp
// seen: the recording's length less its last frame.
func (c *mkvClock) span() time.Duration {
	if c.blocks == 0 {
		return 0
	}
	return time.Duration(c.max - c.min)
}

func (c *mkvClock) fail(msg string) {
	if c.err == nil {
		c.err = errors.New("matroska: " + msg)
	}
}

// vintLen is the length of a variable-size integer from its first byte:
// the position of the first set bit. 0 for a zero byte (invalid).
func vintLen(b byte) int {
	for i := range 8 {
		if b&(0x80>>i) != 0 {
			return i + 1
		}
	}
	return 0
}

func (c *mkvClock) byte(b byte) {
	switch c.st {
	case mkvID:
		if c.n == 0 {
			c.want = vintLen(b)
			if c.want == 0 || c.want > 4 {
				c.fail("invalid element ID")
				return
			}
		}
		c.buf[c.n] = b
		c.n++
		if c.n == c.want {
			c.id = uint32(beUint(c.buf[:c.n]))
			c.n = 0
			c.closeUnknown()
			c.st = mkvSize
		}
	case mkvSize:
		if c.n == 0 {
			c.want = vintLen(b)
			if c.want == 0 {
				c.fail("invalid element size")
				return
			}
		}
		c.buf[c.n] = b
		c.n++
		if c.n == c.want {
			v := beUint(c.buf[:c.n]) &^ (1 << (7 * c.n)) // drop the length marker
			unknown := v == 1<<(7*c.n)-1                 // all value bits set
			c.n = 0
			c.start(v, unknown)
		}
	case mkvValue:
		c.buf[c.n] = b
		c.n++
		if c.n == c.want {
			c.value(beUint(c.buf[:c.n]))
			c.n = 0
			c.elementDone()
		}
	case mkvBlock:
		c.buf[c.n] = b
		c.n++
		if c.n == 1 {
			// The track number's length, then two bytes of timestamp.
			if l := vintLen(b); l == 0 {
				c.want = 0
			} else {
				c.want = l + 2
			}
			if c.want == 0 || int64(c.want) > c.end-(c.pos-1) {
				c.skipRest() // a block too short to be one; ffmpeg drops it too
				return
			}
		}
		if c.n == c.want {
			rel := int16(uint16(c.buf[c.n-2])<<8 | uint16(c.buf[c.n-1]))
			c.block(int64(rel))
			c.n = 0
			c.skipRest()
		}
	}
}

// beUint reads a big-endian unsigned integer of up to 8 bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

func (c *mkvClock) top() *mkvMaster {
	if len(c.stack) == 0 {
		return nil
	}
	return &c.stack[len(c.stack)-1]
}

// closeUnknown ends the open masters of unknown size that cannot contain
// the element whose ID was just read.
func (c *mkvClock) closeUnknown() {
	for t := c.top(); t != nil && t.end < 0 && !mkvMayContain(t.id, c.id); t = c.top() {
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// mkvMayContain reports whether an element id may appear inside an
// unknown-size master parent (a Segment or a Cluster).
func mkvMayContain(parent, id uint32) bool {
	switch id {
	case mkvIDEBML, mkvIDSegment:
		return false // a new stream begins
	case mkvIDSeekHead, mkvIDInfo, mkvIDTracks, mkvIDCluster, mkvIDCues, mkvIDTags, mkvIDChapters, mkvIDAttachments:
		return parent == mkvIDSegment
	}
	return true
}

// parent is the ID of the innermost open master, 0 at the top level.
func (c *mkvClock) parent() uint32 {
	if t := c.top(); t != nil {
		return t.id
	}
	return 0
}

// start begins the element whose ID and size were just read; its payload
// starts at c.pos.
func (c *mkvClock) start(size uint64, unknown bool) {
	parent := c.parent()
	isMaster := c.id == mkvIDSegment && parent == 0 ||
		c.id == mkvIDCluster && parent == mkvIDSegment ||
		c.id == mkvIDInfo && parent == mkvIDSegment ||
		c.id == mkvIDBlockGroup && parent == mkvIDCluster
	if unknown {
		if !isMaster || c.id == mkvIDInfo || c.id == mkvIDBlockGroup {
			c.fail("unknown size on an element that must state it")
			return
		}
		c.push(-1)
		return
	}
	if size > 1<<56 {
		c.fail("impossible element size")
		return
	}
	c.end = c.pos + int64(size)
	if t := c.top(); t != nil && t.end >= 0 && c.end > t.end {
		c.fail("element overruns its parent")
		return
	}
	switch {
	case isMaster:
		c.push(c.end)
		c.popFinished()
	case c.id == mkvIDTimestamp && parent == mkvIDCluster, c.id == mkvIDTimestampScale && parent == mkvIDInfo:
		if size > 8 {
			c.fail("integer longer than 8 bytes")
			return
		}
		c.st, c.want = mkvValue, int(size)
		if size == 0 {
			c.value(0)
			c.elementDone()
		}
	case c.id == mkvIDSimpleBlock && parent == mkvIDCluster, c.id == mkvIDBlock && parent == mkvIDBlockGroup:
		c.st = mkvBlock
		if size == 0 {
			c.elementDone()
		}
	default:
		c.tracks = c.tracks || c.id == mkvIDTracks && parent == mkvIDSegment
		c.skipRest()
	}
}

func (c *mkvClock) push(end int64) {
	if len(c.stack) == mkvMaxDepth {
		c.fail("elements nested too deep")
		return
	}
	c.stack = append(c.stack, mkvMaster{id: c.id, end: end})
	if c.id == mkvIDCluster {
		c.cluster, c.clusterKnown = 0, false
	}
	c.st = mkvID
}

func (c *mkvClock) skipRest() {
	c.st, c.n = mkvSkip, 0
	if c.pos == c.end {
		c.elementDone()
	}
}

// elementDone is called when the payload of a non-master element has been
// consumed; it closes the masters that end here too.
func (c *mkvClock) elementDone() {
	c.st = mkvID
	c.popFinished()
}

func (c *mkvClock) popFinished() {
	for t := c.top(); t != nil && t.end == c.pos; t = c.top() {
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// value takes the integer payload of a Timestamp or TimestampScale.
func (c *mkvClock) value(v uint64) {
	switch c.id {
	case mkvIDTimestamp:
		v = min(v, mkvFar) // saturate: c.cluster+rel must not overflow
		c.cluster, c.clusterKnown = int64(v), true
	case mkvIDTimestampScale:
		if v == 0 || v > uint64(time.Hour) {
			c.fail("impossible TimestampScale")
			return
		}
		c.scale = int64(v)
	}
}

// block records a block whose timestamp is rel ticks after its Cluster's.
func (c *mkvClock) block(rel int64) {
	if !c.clusterKnown {
		return // a Cluster must state its Timestamp before its blocks
	}
	// Saturate at ±mkvFar so that max-min cannot overflow; a timestamp
	// that far out fails the duration limit anyway.
	ticks := c.cluster + rel
	var ns int64
	switch {
	case ticks > mkvFar/c.scale:
		ns = mkvFar
	case ticks < -mkvFar/c.scale:
		ns = -mkvFar
	default:
		ns = ticks * c.scale
	}
	if c.blocks == 0 || ns < c.min {
		c.min = ns
	}
	if c.blocks == 0 || ns > c.max {
		c.max = ns
	}
	c.blocks++
}
