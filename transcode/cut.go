package transcode

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/baton-video/baton/media"
)

// Trims: a smart cut that copies the stored H.264 between keyframes and
// encodes only the pieces a cut splits, with a frame-exact full re-encode
// (cutArgs) whenever that cannot be done safely.
//
// A kept span [S, E) becomes up to three pieces: S to the first keyframe
// at or after it, encoded; that keyframe to the last keyframe at or before
// E, copied packet for packet; that keyframe to E, encoded. A span that
// runs to the end of the video is copied to the end. Exactly:
//
//  1. Keyframes. ffprobe lists the video's packets (no decoding) and the
//     presentation times of the sync samples are kept.
//  2. Copy. One ffmpeg stream-copies the whole video into MPEG-TS files
//     split at exactly the copy pieces' keyframes (the segment muxer
//     splits at the first keyframe at or after each time), and lists each
//     file's times; a file whose length is not the planned one stops the
//     smart cut. MPEG-TS because it carries H.264 as Annex B with the
//     parameter sets repeated before every IDR, so every piece carries its
//     own.
//  3. Encode. Each edge piece is decoded from the keyframe at or before it
//     (input -ss, so nothing earlier is decoded) and trimmed on decoded
//     frames like the full re-encode, then encoded with x264 set to match
//     the stored stream: the same profile and level, yuv420p, and the same
//     reorder depth (B-frames), since a piece that holds back fewer frames
//     than the one after it would give the joined stream decreasing decode
//     times. Its parameter sets take an id the stored stream does not use
//     (x264's sps-id names both the SPS and the PPS), so the copied frames'
//     SPS/PPS and the encoded ones' live side by side and a decoder never
//     sees one id redefined. repeat-headers puts them before every IDR.
//  4. Audio is encoded whole from the kept spans (atrim + concat, sample
//     exact, as the full re-encode does): cheap next to video, and it keeps
//     the sound exactly where the timeline says.
//  5. Join. The concat demuxer reads a list we write with each piece's
//     planned duration, so every piece starts exactly where the kept spans
//     say whatever its last frame's length; the pieces and the audio are
//     copied into an MP4 with its index last. The access unit delimiters
//     the MPEG-TS muxer added are dropped again. A warning about decode
//     times from the muxer, or a result of the wrong length, stops the
//     smart cut.
//  6. Parameter sets. The MP4's sample entry (avcC) holds the stored
//     stream's SPS/PPS; the encoded pieces' (one pair, the same in every
//     piece: x264's stitchable mode, checked) are read from their first
//     frame and added to it, so the avc1 sample entry names every set the
//     samples use; with the index last that moves no sample. A faststart
//     remux then puts the index first.
//
// Between steps 1 and 2 the keyframe each copied piece starts on is read
// from the MP4 (ffprobe gives its offset and size): its first slice must
// be an IDR's. The MP4's sync samples are random access points, which an
// open GOP's I-frames also are, though the B-frames after them refer to
// the GOP before, which a copied piece no longer has.
//
// Any failure of steps 1-6 other than cancellation falls back to the full
// re-encode, and the log says which path was taken and why.
//
// Every run that reads the stored MP4 opens it with the same hardened
// input options as an upload (forced mov demuxer, file protocol only, no
// data references). The join reads only files this function wrote a
// moment before in a private directory: the list through the concat
// demuxer in safe mode (plain relative names, nothing else resolvable) and
// the pieces through the MPEG-TS demuxer alone (format_whitelist), the
// audio through the mov demuxer, all with the file protocol only.

// cutSlack is how far a time may be from a frame's and still mean it:
// keyframe times come from ffprobe rounded to microseconds, and cut
// times are whole milliseconds. Frames are much further apart.
const cutSlack = 500 * time.Microsecond

// cutPiece is one part of a smart cut, on the original timeline.
type cutPiece struct {
	Copy     bool
	From, To time.Duration
	// Seek is, for an encoded piece, the keyframe decoding starts from.
	Seek time.Duration
	// Segment is, for a copied piece, the index of its MPEG-TS file.
	Segment int
}

// cutPlan is a smart cut worked out from the keyframes.
type cutPlan struct {
	Pieces []cutPiece
	// Bounds are the times the copy run splits at, ascending.
	Bounds          []time.Duration
	Copied, Encoded time.Duration
}

// planCut lays keep over the keyframes kf (ascending) of a video whose
// stream lasts end. It returns nil when nothing could be copied.
func planCut(keep []media.Span, kf []time.Duration, end time.Duration) *cutPlan {
	if len(kf) == 0 {
		return nil
	}
	p := &cutPlan{}
	// keyAtOrBefore is the last keyframe at or before t (the first one
	// when t is earlier than all).
	keyAtOrBefore := func(t time.Duration) time.Duration {
		k := kf[0]
		for _, x := range kf {
			if x > t+cutSlack {
				break
			}
			k = x
		}
		return k
	}
	encode := func(from, to time.Duration) {
		if to-from <= cutSlack {
			return
		}
		p.Pieces = append(p.Pieces, cutPiece{From: from, To: to, Seek: keyAtOrBefore(from)})
		p.Encoded += to - from
	}
	for _, s := range keep {
		S, E := time.Duration(s.StartMs)*time.Millisecond, time.Duration(s.EndMs)*time.Millisecond
		atEnd := E >= end-cutSlack
		k1, k2 := time.Duration(-1), time.Duration(-1)
		for _, x := range kf {
			if x >= S-cutSlack {
				k1 = x
				break
			}
		}
		if atEnd {
			k2 = E
		} else {
			for _, x := range kf {
				if x > E+cutSlack {
					break
				}
				k2 = x
			}
		}
		if k1 < 0 || k2-k1 <= cutSlack {
			encode(S, E)
			continue
		}
		encode(S, k1)
		p.Pieces = append(p.Pieces, cutPiece{Copy: true, From: k1, To: k2})
		p.Copied += k2 - k1
		p.Bounds = append(p.Bounds, k1)
		if !atEnd {
			p.Bounds = append(p.Bounds, k2)
			encode(k2, E)
		}
	}
	if p.Copied == 0 {
		return nil
	}
	// The copy run starts its first file at the first packet, so a bound
	// at the first keyframe would only make an empty file.
	bounds := p.Bounds[:0]
	for _, b := range p.Bounds {
		if b > kf[0]+cutSlack && (len(bounds) == 0 || b > bounds[len(bounds)-1]+cutSlack) {
			bounds = append(bounds, b)
		}
	}
	p.Bounds = bounds
	for i := range p.Pieces {
		if !p.Pieces[i].Copy {
			continue
		}
		for _, b := range p.Bounds {
			if b <= p.Pieces[i].From+cutSlack {
				p.Pieces[i].Segment++
			}
		}
	}
	return p
}

// micros formats d in seconds to the microsecond, for ffmpeg options and
// the concat list.
func micros(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// keyframeArgs lists the presentation time and flags of every packet of
// the video stream, without decoding.
func keyframeArgs(in inputSpec, video int) []string {
	kw := inputOptions(in)
	kw["v"] = "error"                          // only errors on stderr
	kw["hide_banner"] = ""                     // no version banner
	kw["select_streams"] = strconv.Itoa(video) // the video the MP4 plays
	kw["show_entries"] = "packet=pts_time,dts_time,size,pos,flags"
	kw["of"] = "csv=p=0" // "12.345678,12.278911,4097,23443,K_" per packet
	args := ffmpeg.ConvertKwargsToCmdLineArgs(kw)
	return append(args, fileURL(in.Path))
}

// cutSegmentArgs copies the video of in into MPEG-TS files in dir split at
// bounds, and lists them in list.
func cutSegmentArgs(in inputSpec, video int, bounds []time.Duration, dir string) []string {
	times := make([]string, len(bounds))
	for i, b := range bounds {
		// Just before the keyframe, so rounding never pushes the split to
		// the next one.
		times[i] = micros(b - cutSlack)
	}
	kw := ffmpeg.KwArgs{
		"c:v":               "copy",    // packets as stored: no decoding, no loss
		"f":                 "segment", // one file per copy piece
		"segment_format":    "mpegts",  // Annex B with parameter sets before every IDR
		"segment_list":      fileURL(filepath.Join(dir, "copies.csv")),
		"segment_list_type": "csv", // name,start,end per file: checked against the plan
		"map_metadata":      "-1",  // nothing of the source's metadata travels
	}
	if len(times) > 0 {
		kw["segment_times"] = strings.Join(times, ",")
	}
	return ffmpeg.Output([]*ffmpeg.Stream{ffmpeg.Input(fileURL(in.Path), inputOptions(in)).Get(strconv.Itoa(video))},
		fileURL(filepath.Join(dir, "copy%05d.ts")), kw).GlobalArgs(globalOptions()...).GetArgs()
}

// x264Match is how the encoded pieces match the stored stream.
type x264Match struct {
	Profile string // baseline, main or high
	Level   int    // level_idc
	BFrames int    // 0, 1 or 3 (with the pyramid): reorder depth 0, 1 or 2
	SPSID   int    // a parameter set id the stored stream does not use
}

// matchX264 works out x264 settings whose output can sit between packets
// of the stored stream, or says why there are none.
func matchX264(c *avcConfig, v *videoStream) (*x264Match, error) {
	if v.Codec != "h264" || v.PixFmt != "yuv420p" {
		return nil, fmt.Errorf("video is %s %s, not H.264 yuv420p", v.Codec, v.PixFmt)
	}
	m := &x264Match{Level: int(c.Level)}
	switch c.Profile {
	case 66:
		m.Profile = "baseline"
	case 77:
		m.Profile = "main"
	case 100:
		m.Profile = "high"
	default:
		return nil, fmt.Errorf("H.264 profile %d", c.Profile)
	}
	switch v.Reorder {
	case 0:
	case 1:
		m.BFrames = 1
	case 2:
		m.BFrames = 3
	default:
		return nil, fmt.Errorf("reorder depth %d", v.Reorder)
	}
	if m.Profile == "baseline" && m.BFrames > 0 {
		return nil, errors.New("baseline profile with B-frames")
	}
	for _, id := range append(append([]int(nil), c.SPSIDs...), c.PPSIDs...) {
		m.SPSID = max(m.SPSID, id+1)
	}
	if m.SPSID > 31 {
		return nil, errors.New("no free parameter set id")
	}
	return m, nil
}

// cutPieceArgs encodes the frames of piece p of in's video to an MPEG-TS
// file at out, with x264 matching the stored stream.
func cutPieceArgs(in inputSpec, video int, p cutPiece, m x264Match, threads int, out string) []string {
	kw := inputOptions(in)
	// Input options: jump to the keyframe (the last one at or before a
	// moment just after it) and decode from there, not from the start;
	// timestamps then count from seek. No accurate seek: it would drop
	// the keyframe itself, which is just before seek; trim does the
	// exact cutting.
	seek := p.Seek + cutSlack
	kw["ss"] = micros(seek)
	kw["noaccurate_seek"] = ""
	trim := ffmpeg.KwArgs{"end": micros(p.To - cutSlack - seek)}
	if start := p.From - cutSlack - seek; start > 0 {
		trim["start"] = micros(start)
	}
	bframes := "none"
	if m.BFrames > 1 {
		bframes = "normal"
	}
	kwOut := ffmpeg.KwArgs{
		"c:v":       "libx264",  // H.264 like the copied packets
		"preset:v":  "veryfast", // as the main transcode
		"crf":       "20",       // a short piece, so visually lossless costs little
		"profile:v": m.Profile,  // the stored stream's profile...
		"level:v":   strconv.Itoa(m.Level),
		"pix_fmt":   "yuv420p",
		// ...its reorder depth, a parameter set id of its own, and the
		// parameter sets before every IDR (see the file comment).
		// stitchable keeps the headers independent of the pixels, so
		// every piece has the same ones.
		"x264-params":  fmt.Sprintf("sps-id=%d:repeat-headers=1:stitchable=1:bframes=%d:b-pyramid=%s", m.SPSID, m.BFrames, bframes),
		"fps_mode:v":   "passthrough", // the stored timestamps, no frames added or dropped
		"an":           "",            // audio is made whole, separately
		"map_metadata": "-1",          // nothing of the source's metadata travels
		"f":            "mpegts",      // Annex B, joined with the copied pieces
	}
	if threads > 0 {
		kwOut["threads"] = strconv.Itoa(threads) // the operator's CPU budget
	}
	v := ffmpeg.Input(fileURL(in.Path), kw).Get(strconv.Itoa(video)).
		// Frame-exact on decoded frames, just before each end so that a
		// frame exactly at From is kept and one exactly at To is not.
		Filter("trim", ffmpeg.Args{}, trim).
		Filter("setpts", ffmpeg.Args{"PTS-STARTPTS"})
	return ffmpeg.Output([]*ffmpeg.Stream{v}, fileURL(out), kwOut).GlobalArgs(globalOptions()...).GetArgs()
}

// cutAudioArgs encodes the kept spans of in's audio, joined, to an M4A.
func cutAudioArgs(in inputSpec, audio int, keep []media.Span, out string) []string {
	src := ffmpeg.Input(fileURL(in.Path), inputOptions(in))
	var parts []*ffmpeg.Stream
	for _, s := range keep {
		start, end := seconds(time.Duration(s.StartMs)*time.Millisecond), seconds(time.Duration(s.EndMs)*time.Millisecond)
		parts = append(parts, src.Get(strconv.Itoa(audio)).
			Filter("atrim", ffmpeg.Args{}, ffmpeg.KwArgs{"start": start, "end": end}).
			Filter("asetpts", ffmpeg.Args{"PTS-STARTPTS"}))
	}
	joined := ffmpeg.FilterMultiOutput(parts, "concat", ffmpeg.Args{}, ffmpeg.KwArgs{"n": strconv.Itoa(len(keep)), "v": "0", "a": "1"})
	return ffmpeg.Output([]*ffmpeg.Stream{joined.Get("0")}, fileURL(out), ffmpeg.KwArgs{
		"c:a":          "aac",  // as the main transcode
		"b:a":          "128k", // as the main transcode
		"map_metadata": "-1",   // nothing of the source's metadata travels
		"f":            "mp4",
	}).GlobalArgs(globalOptions()...).GetArgs()
}

// cutJoinArgs copies the pieces named in list (and the audio, if any) into
// the MP4 at out.
func cutJoinArgs(list, audio, out string) []string {
	streams := []*ffmpeg.Stream{ffmpeg.Input(fileURL(list), ffmpeg.KwArgs{
		"f":                  "concat",        // our own list of our own pieces
		"safe":               "1",             // plain relative names only (the default, spelled out)
		"format_whitelist":   "concat,mpegts", // the pieces open as MPEG-TS and nothing else
		"protocol_whitelist": "file",          // local files only
	}).Get("0")}
	if audio != "" {
		streams = append(streams, ffmpeg.Input(fileURL(audio), inputOptions(inputSpec{Path: audio, Container: ContainerMP4})).Get("0"))
	}
	return ffmpeg.Output(streams, fileURL(out), ffmpeg.KwArgs{
		"c":     "copy",                        // nothing is encoded here
		"bsf:v": "filter_units=remove_types=9", // the MPEG-TS muxer's access unit delimiters
		// No faststart yet: the moov stays last, so adding the encoded
		// pieces' parameter sets to it moves no sample (addParameterSets).
		"map_metadata": "-1", // nothing of the source's metadata travels
		"f":            "mp4",
	}).GlobalArgs(globalOptions()...).GetArgs()
}

// cutHeadersArgs copies the first frame of an encoded piece as raw H.264,
// whose parameter sets x264 put before it (repeat-headers).
func cutHeadersArgs(piece, out string) []string {
	return ffmpeg.Output([]*ffmpeg.Stream{ffmpeg.Input(fileURL(piece), ffmpeg.KwArgs{
		"f":                  "mpegts", // a piece written a moment before by this run
		"format_whitelist":   "mpegts",
		"protocol_whitelist": "file",
	}).Get("0")}, fileURL(out), ffmpeg.KwArgs{
		"c:v":      "copy", // the packet as encoded
		"frames:v": "1",    // the IDR and the headers before it
		"f":        "h264", // Annex B: start codes, easy to split
	}).GlobalArgs(globalOptions()...).GetArgs()
}

// concatList is the concat demuxer's list of the planned pieces.
func concatList(names []string, durations []time.Duration) []byte {
	var b bytes.Buffer
	b.WriteString("ffconcat version 1.0\n")
	for i, n := range names {
		fmt.Fprintf(&b, "file %s\nduration %s\n", n, micros(durations[i]))
	}
	return b.Bytes()
}

// Cut writes the kept spans of the MP4 at in, joined, to out, and checks
// the result is as long as they are, within a frame. It copies what lies
// between keyframes when it can (see the file comment), and otherwise
// re-encodes everything kept.
func (f *FFmpeg) Cut(ctx context.Context, in, out string, keep []media.Span) (*media.MediaInfo, error) {
	if len(keep) == 0 {
		return nil, media.Errorf(media.EINVALID, "Nothing of the video would be kept.")
	}
	src, err := f.inspect(ctx, in, 0)
	if err != nil {
		return nil, err
	}
	if out, err = filepath.Abs(out); err != nil {
		return nil, fmt.Errorf("transcode: cut: %w", err)
	}
	var want time.Duration
	for _, s := range keep {
		want += time.Duration(s.EndMs-s.StartMs) * time.Millisecond
	}
	info, plan, err := f.smartCut(ctx, src, keep, out, want)
	if err == nil {
		f.log.Info("cut made by copying between keyframes", "path", "copy",
			"kept_ms", want.Milliseconds(), "copied_ms", plan.Copied.Milliseconds(), "encoded_ms", plan.Encoded.Milliseconds(), "pieces", len(plan.Pieces))
		return info, nil
	}
	_ = os.Remove(out)
	if ctx.Err() != nil {
		return nil, err
	}
	f.log.Info("cut made by re-encoding everything kept", "path", "reencode", "kept_ms", want.Milliseconds(), "reason", err.Error())
	return f.fullCut(ctx, src, keep, out, want)
}

// errNoCopy is a smart cut that would copy nothing.
var errNoCopy = errors.New("no keyframe-aligned part to copy")

// errOpenGOP is a copy piece that would start on a keyframe a decoder
// cannot start from (see smartCut).
var errOpenGOP = errors.New("open-gop")

// smartCut is Cut by copying between keyframes; any error means it was
// not done (and out may hold a partial file).
func (f *FFmpeg) smartCut(ctx context.Context, src *source, keep []media.Span, out string, want time.Duration) (*media.MediaInfo, *cutPlan, error) {
	v := src.probe.Video
	if v.Rotation != 0 {
		// The rotation lives in the track header, which the join does
		// not carry over.
		return nil, nil, errors.New("rotated video")
	}
	c, err := readAVCConfig(src.spec.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("decoder configuration: %w", err)
	}
	m, err := matchX264(c, v)
	if err != nil {
		return nil, nil, err
	}
	kf, samples, lead, err := f.keyframes(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	plan := planCut(keep, kf, src.duration)
	if plan == nil {
		return nil, nil, errNoCopy
	}
	if err := checkIDRs(src.spec.Path, c, plan, kf, samples); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(out), "cut-")
	if err != nil {
		return nil, nil, fmt.Errorf("transcode: cut: %w", err)
	}
	defer os.RemoveAll(dir)
	run := func(what string, args []string) (string, error) {
		// A background job: live sessions come first (media.Admission).
		stderr, err := f.runner.run(ctx, command{Path: f.cfg.FFmpegPath, Args: args, Timeout: f.timeout(src.duration), Nice: media.JobNice})
		if err != nil {
			return stderr, classify(what, err, stderr, nil)
		}
		return stderr, nil
	}
	if _, err := run("cut copy", cutSegmentArgs(src.spec, v.Index, plan.Bounds, dir)); err != nil {
		return nil, nil, err
	}
	if err := checkSegments(filepath.Join(dir, "copies.csv"), plan, lead); err != nil {
		return nil, nil, err
	}
	names := make([]string, len(plan.Pieces))
	durations := make([]time.Duration, len(plan.Pieces))
	for i, p := range plan.Pieces {
		durations[i] = p.To - p.From
		if p.Copy {
			names[i] = fmt.Sprintf("copy%05d.ts", p.Segment)
			continue
		}
		names[i] = fmt.Sprintf("encode%05d.ts", i)
		if _, err := run("cut encode", cutPieceArgs(src.spec, v.Index, p, *m, f.cfg.Threads, filepath.Join(dir, names[i]))); err != nil {
			return nil, nil, err
		}
	}
	list := filepath.Join(dir, "pieces.ffconcat")
	if err := os.WriteFile(list, concatList(names, durations), 0o600); err != nil {
		return nil, nil, fmt.Errorf("transcode: cut: %w", err)
	}
	audio := ""
	if src.probe.Audio != nil {
		audio = filepath.Join(dir, "audio.m4a")
		if _, err := run("cut audio", cutAudioArgs(src.spec, src.probe.Audio.Index, keep, audio)); err != nil {
			return nil, nil, err
		}
	}
	joined := filepath.Join(dir, "joined.mp4")
	stderr, err := run("cut join", cutJoinArgs(list, audio, joined))
	if err != nil {
		return nil, nil, err
	}
	if strings.Contains(stderr, "onotonous DTS") || strings.Contains(stderr, "non monotonically increasing dts") {
		return nil, nil, fmt.Errorf("pieces join with decreasing decode times: %s", lastLines(stderr, 1))
	}
	// The sample entry holds the copied stream's parameter sets; the
	// encoded pieces' join them there, so the MP4 names every set its
	// samples use (they also travel in band).
	var sps, pps [][]byte
	for i, p := range plan.Pieces {
		if p.Copy {
			continue
		}
		raw := filepath.Join(dir, fmt.Sprintf("headers%05d.h264", i))
		if _, err := run("cut headers", cutHeadersArgs(filepath.Join(dir, names[i]), raw)); err != nil {
			return nil, nil, err
		}
		b, err := os.ReadFile(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("transcode: cut: %w", err)
		}
		s, q := annexBParameterSets(b)
		sps, pps = appendNew(sps, s), appendNew(pps, q)
	}
	if len(sps) > 0 || len(pps) > 0 {
		if len(sps) != 1 || len(pps) != 1 {
			return nil, nil, fmt.Errorf("encoded pieces have %d SPS and %d PPS, want one each", len(sps), len(pps))
		}
		if id, err := spsID(sps[0]); err != nil || id != m.SPSID {
			return nil, nil, fmt.Errorf("encoded pieces use SPS %d, want %d (%v)", id, m.SPSID, err)
		}
		if err := addParameterSets(joined, c.Raw, sps, pps); err != nil {
			return nil, nil, fmt.Errorf("decoder configuration: %w", err)
		}
	}
	if _, err := run("cut faststart", faststartArgs(inputSpec{Path: joined, Container: ContainerMP4, MaxPixels: f.decoderMaxPixels()}, out)); err != nil {
		return nil, nil, err
	}
	info, err := f.checkCut(ctx, out, want)
	if err != nil {
		return nil, nil, err
	}
	return info, plan, nil
}

// appendNew appends the units of add that list does not hold yet.
func appendNew(list, add [][]byte) [][]byte {
	for _, a := range add {
		if !slices.ContainsFunc(list, func(b []byte) bool { return bytes.Equal(a, b) }) {
			list = append(list, a)
		}
	}
	return list
}

// sample is where a packet's bytes are in the MP4.
type sample struct{ Pos, Size int64 }

// keyframes lists the presentation times of the video's sync samples and
// where each is stored, and how far before zero the first packet is
// decoded (B-frames make the first decode time negative; the copy run's
// list counts from it).
func (f *FFmpeg) keyframes(ctx context.Context, src *source) (kf []time.Duration, at []sample, lead time.Duration, err error) {
	var bad error
	first := true
	parse := func(b []byte) (time.Duration, bool) {
		s, err := strconv.ParseFloat(string(b), 64)
		if err != nil || math.IsNaN(s) || s < -1e6 || s > 1e6 {
			return 0, false
		}
		return time.Duration(math.Round(s*1e6)) * time.Microsecond, true
	}
	w := &lineWriter{fn: func(line []byte) {
		fields := bytes.Split(line, []byte(","))
		if len(fields) < 5 {
			return
		}
		if first {
			first = false
			if dts, ok := parse(fields[1]); ok && dts < 0 {
				lead = -dts
			}
		}
		if !bytes.HasPrefix(fields[4], []byte("K")) {
			return
		}
		t, ok := parse(fields[0])
		if !ok || t < 0 {
			bad = fmt.Errorf("keyframe time %q", fields[0])
			return
		}
		if n := len(kf); n > 0 && t <= kf[n-1] {
			bad = errors.New("keyframes out of order")
			return
		}
		size, err1 := strconv.ParseInt(string(fields[2]), 10, 64)
		pos, err2 := strconv.ParseInt(string(fields[3]), 10, 64)
		if err1 != nil || err2 != nil || size <= 0 || pos < 0 {
			bad = fmt.Errorf("keyframe at %v: offset %q, size %q", t, fields[3], fields[2])
			return
		}
		kf = append(kf, t)
		at = append(at, sample{Pos: pos, Size: size})
	}}
	stderr, err := f.runner.run(ctx, command{
		Path: f.cfg.FFprobePath, Args: keyframeArgs(src.spec, src.probe.Video.Index), Timeout: f.timeout(src.duration), Stdout: w,
	})
	if err != nil {
		return nil, nil, 0, classify("keyframes", err, stderr, nil)
	}
	if bad != nil {
		return nil, nil, 0, bad
	}
	return kf, at, lead, nil
}

// checkIDRs reads, from the MP4 at path, the keyframe each copied piece of
// plan starts on (kf[i] is stored at at[i]) and fails with errOpenGOP
// unless its first slice is an IDR's, where a decoder forgets everything
// before.
func checkIDRs(path string, c *avcConfig, plan *cutPlan, kf []time.Duration, at []sample) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("keyframe: %w", err)
	}
	defer f.Close()
	for _, p := range plan.Pieces {
		if !p.Copy {
			continue
		}
		i := slices.IndexFunc(kf, func(k time.Duration) bool { return k >= p.From-cutSlack && k <= p.From+cutSlack })
		if i < 0 {
			return fmt.Errorf("no keyframe at %v", p.From)
		}
		if at[i].Size > maxSample {
			return fmt.Errorf("keyframe at %v: %d bytes", p.From, at[i].Size)
		}
		b := make([]byte, at[i].Size)
		if _, err := f.ReadAt(b, at[i].Pos); err != nil {
			return fmt.Errorf("keyframe at %v: %w", p.From, err)
		}
		idr, err := startsOnIDR(b, c.LengthSize)
		if err != nil {
			return fmt.Errorf("keyframe at %v: %w", p.From, err)
		}
		if !idr {
			return fmt.Errorf("%w: the keyframe at %v is not an IDR frame", errOpenGOP, p.From)
		}
	}
	return nil
}

// checkSegments compares the copy run's list of files with the plan:
// file i (after the first) must start at bound i-1, so every split fell
// on the planned keyframe. The list counts from the first packet's decode
// time, lead before zero.
func checkSegments(path string, plan *cutPlan, lead time.Duration) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("copy list: %w", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return fmt.Errorf("copy list: %w", err)
	}
	if len(rows) != len(plan.Bounds)+1 {
		return fmt.Errorf("copy made %d files, want %d", len(rows), len(plan.Bounds)+1)
	}
	for i, bound := range plan.Bounds {
		row := rows[i+1]
		if len(row) != 3 {
			return fmt.Errorf("copy list row %q", row)
		}
		s, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			return fmt.Errorf("copy list row %q", row)
		}
		start := time.Duration(math.Round(s*1e6))*time.Microsecond - lead
		if d := start - bound; d > cutSlack || d < -cutSlack {
			return fmt.Errorf("copy split at %v, want %v", start, bound)
		}
	}
	return nil
}

// fullCut is Cut by re-encoding everything kept, frame-exact.
func (f *FFmpeg) fullCut(ctx context.Context, src *source, keep []media.Span, out string, want time.Duration) (*media.MediaInfo, error) {
	audio := -1
	if src.probe.Audio != nil {
		audio = src.probe.Audio.Index
	}
	stderr, err := f.runner.run(ctx, command{
		Path: f.cfg.FFmpegPath, Args: cutArgs(src.spec, src.probe.Video.Index, audio, keep, f.cfg.Threads, out), Timeout: f.timeout(src.duration),
		Nice: media.JobNice,
	})
	if err != nil {
		_ = os.Remove(out)
		return nil, classify("cut", err, stderr, nil)
	}
	info, err := f.checkCut(ctx, out, want)
	if err != nil {
		_ = os.Remove(out)
		return nil, err
	}
	return info, nil
}

// checkCut probes a cut's output: it must last want, within a frame and a
// half.
func (f *FFmpeg) checkCut(ctx context.Context, out string, want time.Duration) (*media.MediaInfo, error) {
	got, err := f.inspect(ctx, out, 0)
	if err != nil {
		return nil, fmt.Errorf("transcode: cut output: %w", err)
	}
	frame := 40 * time.Millisecond
	if r := got.info.FrameRate; r > 0 {
		frame = time.Duration(float64(time.Second) / r)
	}
	if d := got.duration - want; d > frame+frame/2 || d < -(frame+frame/2) {
		return nil, fmt.Errorf("transcode: cut made %v of video, want %v", got.duration, want)
	}
	info := got.info
	return &info, nil
}
