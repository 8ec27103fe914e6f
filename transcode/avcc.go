package transcode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// avcConfig is what a smart cut needs from an MP4's H.264 decoder
// configuration (the avcC box of its avc1 sample entry): the profile and
// level the re-encoded pieces must repeat, and the parameter set ids the
// copied pieces use, so the re-encoded ones can take another.
type avcConfig struct {
	Profile byte // profile_idc: 66 baseline, 77 main, 100 high
	Compat  byte // constraint flags; bit 0x40 makes baseline "constrained"
	Level   byte // level_idc, e.g. 40 for 4.0
	// LengthSize is how many bytes each NAL unit's length takes in the
	// samples: 1, 2 or 4.
	LengthSize int
	SPSIDs     []int
	PPSIDs     []int
	Raw        []byte // the whole record
}

// maxMoov bounds the index read into memory: four hours of video at 60
// frames a second indexes in well under this.
const maxMoov = 64 << 20

// readAVCConfig finds the avcC of the MP4 at path. It fails unless the file
// has exactly one H.264 track, stored as avc1 (parameter sets out of band).
func readAVCConfig(path string) (*avcConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	moov, err := findTopBox(f, "moov")
	if err != nil {
		return nil, err
	}
	var found [][]byte
	for _, trak := range childBoxes(moov, "trak") {
		for _, mdia := range childBoxes(trak, "mdia") {
			for _, minf := range childBoxes(mdia, "minf") {
				for _, stbl := range childBoxes(minf, "stbl") {
					for _, stsd := range childBoxes(stbl, "stsd") {
						if len(stsd) < 8 {
							continue
						}
						// stsd is a full box (4 bytes) with an entry count (4).
						for _, entry := range allBoxes(stsd[8:]) {
							if entry.kind == "avc3" {
								return nil, errors.New("parameter sets in band (avc3)")
							}
							// A visual sample entry has 78 bytes before its boxes.
							if entry.kind != "avc1" || len(entry.body) < 78 {
								continue
							}
							for _, c := range childBoxes(entry.body[78:], "avcC") {
								found = append(found, c)
							}
						}
					}
				}
			}
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%d H.264 decoder configurations, want 1", len(found))
	}
	return parseAVCC(found[0])
}

// parseAVCC reads an AVCDecoderConfigurationRecord (ISO/IEC 14496-15).
func parseAVCC(b []byte) (*avcConfig, error) {
	if len(b) < 7 || b[0] != 1 {
		return nil, errors.New("not an avcC version 1")
	}
	c := &avcConfig{Profile: b[1], Compat: b[2], Level: b[3], LengthSize: int(b[4]&3) + 1, Raw: b}
	if c.LengthSize == 3 {
		return nil, errors.New("avcC: NAL length size 3")
	}
	rest := b[5:]
	readSets := func(n int, id func(nal []byte) (int, error)) ([]int, error) {
		var ids []int
		for range n {
			if len(rest) < 2 {
				return nil, errors.New("avcC truncated")
			}
			l := int(binary.BigEndian.Uint16(rest))
			if len(rest) < 2+l || l < 2 {
				return nil, errors.New("avcC truncated")
			}
			v, err := id(rest[2 : 2+l])
			if err != nil {
				return nil, err
			}
			ids = append(ids, v)
			rest = rest[2+l:]
		}
		return ids, nil
	}
	var err error
	n := int(rest[0] & 0x1f)
	rest = rest[1:]
	if c.SPSIDs, err = readSets(n, spsID); err != nil {
		return nil, err
	}
	if len(rest) < 1 {
		return nil, errors.New("avcC truncated")
	}
	n = int(rest[0])
	rest = rest[1:]
	if c.PPSIDs, err = readSets(n, ppsID); err != nil {
		return nil, err
	}
	if len(c.SPSIDs) == 0 || len(c.PPSIDs) == 0 {
		return nil, errors.New("avcC without parameter sets")
	}
	return c, nil
}

// spsID reads seq_parameter_set_id: after the NAL header, profile,
// constraint flags and level, the first Exp-Golomb number.
func spsID(nal []byte) (int, error) {
	if nal[0]&0x1f != 7 || len(nal) < 5 {
		return 0, errors.New("avcC: not a sequence parameter set")
	}
	r := bitReader{b: unescapeRBSP(nal[4:])}
	return r.ue()
}

// ppsID reads pic_parameter_set_id, the first number after the header.
func ppsID(nal []byte) (int, error) {
	if nal[0]&0x1f != 8 {
		return 0, errors.New("avcC: not a picture parameter set")
	}
	r := bitReader{b: unescapeRBSP(nal[1:])}
	return r.ue()
}

// unescapeRBSP drops the emulation prevention bytes (00 00 03 -> 00 00).
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) bit() (int, error) {
	if r.pos >= 8*len(r.b) {
		return 0, errors.New("avcC: parameter set truncated")
	}
	v := int(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v, nil
}

// ue reads an unsigned Exp-Golomb number; ids are small, so more than 16
// leading zeros is refused rather than overflowed.
func (r *bitReader) ue() (int, error) {
	zeros := 0
	for {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		if zeros++; zeros > 16 {
			return 0, errors.New("avcC: bad Exp-Golomb number")
		}
	}
	v := 1
	for range zeros {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | b
	}
	return v - 1, nil
}

type box struct {
	kind string
	body []byte
}

// findTopBox reads the body of the first top-level box of kind.
func findTopBox(f *os.File, kind string) ([]byte, error) {
	_, body, err := findTopBoxAt(f, kind)
	return body, err
}

// findTopBoxAt is findTopBox, also returning where the box starts. A box
// with a 64-bit size is refused: no index Baton reads is that large.
func findTopBoxAt(f *os.File, kind string) (int64, []byte, error) {
	var pos int64
	hdr := make([]byte, 16)
	for {
		if _, err := f.ReadAt(hdr[:8], pos); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil, fmt.Errorf("no %s box", kind)
			}
			return 0, nil, err
		}
		size, hlen := int64(binary.BigEndian.Uint32(hdr)), int64(8)
		switch size {
		case 1:
			if _, err := f.ReadAt(hdr[8:16], pos+8); err != nil {
				return 0, nil, err
			}
			size, hlen = int64(binary.BigEndian.Uint64(hdr[8:])), 16
		case 0:
			st, err := f.Stat()
			if err != nil {
				return 0, nil, err
			}
			size = st.Size() - pos
		}
		if size < hlen {
			return 0, nil, errors.New("bad box size")
		}
		if string(hdr[4:8]) == kind {
			if size-hlen > maxMoov || hlen != 8 {
				return 0, nil, fmt.Errorf("%s box too large", kind)
			}
			body := make([]byte, size-hlen)
			if _, err := f.ReadAt(body, pos+hlen); err != nil {
				return 0, nil, err
			}
			return pos, body, nil
		}
		pos += size
	}
}

// allBoxes splits b into boxes, stopping at the first malformed one.
func allBoxes(b []byte) []box {
	var out []box
	for len(b) >= 8 {
		size, hlen := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		if size == 1 {
			if len(b) < 16 {
				break
			}
			size, hlen = binary.BigEndian.Uint64(b[8:]), 16
		} else if size == 0 {
			size = uint64(len(b))
		}
		if size < hlen || size > uint64(len(b)) {
			break
		}
		out = append(out, box{kind: string(b[4:8]), body: b[hlen:size]})
		b = b[size:]
	}
	return out
}

// childBoxes returns the bodies of b's boxes of kind.
func childBoxes(b []byte, kind string) [][]byte {
	var out [][]byte
	for _, x := range allBoxes(b) {
		if x.kind == kind {
			out = append(out, x.body)
		}
	}
	return out
}

// annexBParameterSets returns the SPS and PPS NAL units of an H.264
// Annex B stream, once each, in order.
func annexBParameterSets(b []byte) (sps, pps [][]byte) {
	seen := map[string]bool{}
	for _, nal := range splitAnnexB(b) {
		if len(nal) == 0 || seen[string(nal)] {
			continue
		}
		switch nal[0] & 0x1f {
		case 7:
			sps = append(sps, nal)
		case 8:
			pps = append(pps, nal)
		default:
			continue
		}
		seen[string(nal)] = true
	}
	return sps, pps
}

// splitAnnexB splits b at its start codes (00 00 01, with or without a
// leading zero), trailing zeros trimmed.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 && start <= len(b) {
		out = append(out, bytes.TrimRight(b[start:], "\x00"))
	}
	return out
}

// maxSample bounds a video sample read into memory: far above any frame
// a stored video has.
const maxSample = 32 << 20

// startsOnIDR says whether the first slice of the MP4 sample b (NAL units
// each after a big-endian length of lengthSize bytes) is an IDR picture's
// (NAL type 5) rather than a non-IDR one's (1 to 4).
func startsOnIDR(b []byte, lengthSize int) (bool, error) {
	for len(b) > 0 {
		if len(b) < lengthSize {
			return false, errors.New("NAL length truncated")
		}
		var n uint64
		for _, x := range b[:lengthSize] {
			n = n<<8 | uint64(x)
		}
		b = b[lengthSize:]
		if n == 0 || n > uint64(len(b)) {
			return false, errors.New("bad NAL length")
		}
		switch t := b[0] & 0x1f; {
		case t == 5:
			return true, nil
		case t >= 1 && t <= 4:
			return false, nil
		}
		b = b[n:]
	}
	return false, errors.New("no slice")
}

// addParameterSets makes the avcC of the one H.264 track of the MP4 at
// path the configuration base (the stored stream's) with sps and pps
// added, so that it names every parameter set the samples use, as avc1
// wants, whichever piece came first. The moov must be the file's last box
// (no faststart yet), so that growing it moves no sample.
func addParameterSets(path string, base []byte, sps, pps [][]byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	at, moov, err := findTopBoxAt(f, "moov")
	if err != nil {
		return err
	}
	if at+8+int64(len(moov)) != st.Size() {
		return errors.New("moov is not the last box")
	}
	edits := 0
	// in(kind, skip, fn) applies fn to the children of kind of a box body
	// whose own fields take its first skip bytes (stsd's version and entry
	// count, avc1's sample entry fields).
	in := func(kind string, skip int, fn func([]byte) ([]byte, error)) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return editChildren(b, skip, kind, fn) }
	}
	moov, err = editChildren(moov, 0, "trak",
		in("mdia", 0, in("minf", 0, in("stbl", 0, in("stsd", 0, in("avc1", 8, in("avcC", 78, func(c []byte) ([]byte, error) {
			edits++
			if len(c) < 5 {
				return nil, errors.New("avcC truncated")
			}
			out, err := appendAVCC(base, sps, pps)
			if err != nil {
				return nil, err
			}
			// The NAL length size is the one the samples were written with.
			out[4] = c[4]
			return out, nil
		})))))))
	if err != nil {
		return err
	}
	if edits != 1 {
		return fmt.Errorf("%d H.264 decoder configurations, want 1", edits)
	}
	if _, err := f.WriteAt(boxBytes("moov", moov), at); err != nil {
		return err
	}
	return f.Sync()
}

// appendAVCC returns the avcC c with sps and pps added after its own.
func appendAVCC(c []byte, sps, pps [][]byte) ([]byte, error) {
	if _, err := parseAVCC(c); err != nil {
		return nil, err
	}
	pos := 6
	skipSets := func(n int) {
		for range n {
			pos += 2 + int(binary.BigEndian.Uint16(c[pos:]))
		}
	}
	nSPS := int(c[5] & 0x1f)
	skipSets(nSPS)
	spsEnd := pos
	nPPS := int(c[pos])
	pos++
	skipSets(nPPS)
	ppsEnd := pos
	if nSPS+len(sps) > 31 || nPPS+len(pps) > 255 {
		return nil, errors.New("too many parameter sets")
	}
	out := append([]byte{}, c[:5]...)
	out = append(out, 0xe0|byte(nSPS+len(sps)))
	out = append(out, c[6:spsEnd]...)
	for _, s := range sps {
		out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
		out = append(out, s...)
	}
	out = append(out, byte(nPPS+len(pps)))
	out = append(out, c[spsEnd+1:ppsEnd]...)
	for _, p := range pps {
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	// High profiles carry chroma and bit depth after the sets.
	return append(out, c[ppsEnd:]...), nil
}

// editChildren returns b (after skip bytes of its own fields) with the
// body of each child box of kind replaced by fn's.
func editChildren(b []byte, skip int, kind string, fn func([]byte) ([]byte, error)) ([]byte, error) {
	if len(b) < skip {
		return nil, fmt.Errorf("%s: box too short", kind)
	}
	out := append([]byte{}, b[:skip]...)
	rest := b[skip:]
	for len(rest) > 0 {
		if len(rest) < 8 {
			return nil, fmt.Errorf("malformed box near %s", kind)
		}
		size, hlen := uint64(binary.BigEndian.Uint32(rest)), uint64(8)
		switch size {
		case 1:
			if len(rest) < 16 {
				return nil, fmt.Errorf("malformed box near %s", kind)
			}
			size, hlen = binary.BigEndian.Uint64(rest[8:]), 16
		case 0:
			size = uint64(len(rest))
		}
		if size < hlen || size > uint64(len(rest)) {
			return nil, fmt.Errorf("malformed box near %s", kind)
		}
		if string(rest[4:8]) == kind {
			body, err := fn(rest[hlen:size])
			if err != nil {
				return nil, err
			}
			out = append(out, boxBytes(kind, body)...)
		} else {
			out = append(out, rest[:size]...)
		}
		rest = rest[size:]
	}
	return out, nil
}

// boxBytes is a box of kind around body (32-bit size: no moov is 4 GB).
func boxBytes(kind string, body []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(out, kind...)
	return append(out, body...)
}
