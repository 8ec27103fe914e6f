package transcode

import (
	"strconv"
	"strings"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"
)

// This file builds the command lines of Live (see live.go), as pure
// functions like args.go, pinned by the same golden tests.

// File names Live writes into LiveRequest.HLSDir. ffmpeg runs with HLSDir
// as its working directory and these names relative to it, so the
// directory's path never appears in an argument and never needs escaping
// for the tee muxer's syntax.
const (
	HLSPlaylistName = "index.m3u8"
	HLSInitName     = "init.mp4"
	// hlsSegmentPattern numbers the segments: seg-00000.m4s, seg-00001.m4s, ...
	hlsSegmentPattern = "seg-%05d.m4s"
)

// LiveSegmentSeconds is the HLS target segment length. Segments can only
// start at keyframes: a re-encoded video gets one every LiveSegmentSeconds;
// a copied one has the recorder's, so its segments are at least this long.
const LiveSegmentSeconds = 2

// livePipe is the input of every live command: the recording on stdin.
const livePipe = "pipe:0"

// liveInputOptions are the options before -i pipe:0 on every command that
// reads a live recording.
func liveInputOptions(maxPixels int64) ffmpeg.KwArgs {
	kw := ffmpeg.KwArgs{
		// Sniff saw the EBML magic; ffmpeg never guesses a demuxer, so the
		// bytes cannot be taken for a playlist or a concat script.
		"f": "matroska",
		// The same rule for anything the demuxer opens in turn.
		"format_whitelist": "matroska",
		// stdin only: no file, no network, nothing else can be opened.
		"protocol_whitelist": "pipe",
	}
	if maxPixels > 0 {
		// Decoders refuse frames over this many pixels, even if the
		// recording changes size after the header Live checked.
		kw["max_pixels"] = strconv.FormatInt(maxPixels, 10)
	}
	return kw
}

// liveProbeArgs are ffprobe's arguments for the head of a live recording
// (its first bytes, on stdin): enough for the EBML header and the Tracks.
func liveProbeArgs(maxPixels int64) []string {
	kw := liveInputOptions(maxPixels)
	kw["v"] = "error"       // only errors on stderr; a head ends mid-cluster, which is not one
	kw["hide_banner"] = ""  // no version banner on stderr
	kw["show_format"] = ""  // container name
	kw["show_streams"] = "" // codecs, sizes, pixel format, rotation
	kw["of"] = "json"       // machine-readable; parsed by parseProbe
	args := ffmpeg.ConvertKwargsToCmdLineArgs(kw)
	return append(args, livePipe) // the input comes last for ffprobe
}

// livePlan is everything liveArgs needs to know.
type livePlan struct {
	MaxPixels int64 // -max_pixels; 0 leaves ffmpeg's default
	Video     int   // input stream index of the video
	Audio     int   // input stream index of the audio; -1 for none
	CopyVideo bool  // the video is H.264 yuv420p with even dimensions
	// MaxTime is -t, a backstop for the duration limit Live enforces from
	// the recording's own timestamps.
	MaxTime time.Duration
	Threads int // 0 lets ffmpeg decide
	// Stated is the duration the file's header states: 0 for a browser
	// recording, which states none, but a finished file uploaded whole
	// does, and then a much shorter output means the file was cut short.
	Stated time.Duration
}

// liveArgs is the one ffmpeg run of Live: the recording arrives on stdin;
// the tee muxer writes what was encoded once to both outputs, the HLS event
// playlist in the working directory and the fragmented MP4 on stdout.
func liveArgs(p livePlan) []string {
	input := ffmpeg.Input(livePipe, liveInputOptions(p.MaxPixels))
	out := ffmpeg.KwArgs{
		"f": "tee", // one encode, several muxers (see liveTee)
		// The MP4 muxers behind the tee need the codecs' headers (SPS/PPS,
		// AudioSpecificConfig) out of band; the tee muxer cannot ask the
		// encoders for that itself, and without it the MP4 has no avcC.
		"flags":        "+global_header",
		"map_metadata": "-1",               // drop titles, device names: privacy and hostile strings
		"map_chapters": "-1",               // chapters of a screen recording are noise
		"t":            seconds(p.MaxTime), // stop just past the duration limit even if Live's own count is fooled
	}
	video := input.Get(strconv.Itoa(p.Video))
	if p.CopyVideo {
		out["c:v"] = "copy" // already H.264 (Chromium's recordings): no quality loss, no CPU, no lag
	} else {
		video = video.
			// Even dimensions, which yuv420p requires; cropping one pixel
			// keeps screen text sharp where scaling would blur it.
			Filter("crop", ffmpeg.Args{"trunc(iw/2)*2", "trunc(ih/2)*2"}).
			// 4:2:0 8-bit, the only layout every browser decodes.
			Filter("format", ffmpeg.Args{"yuv420p"})
		out["c:v"] = "libx264"       // H.264: plays everywhere
		out["preset:v"] = "veryfast" // ~3x real time on screen content on 2 cores: keeps up with the recording
		out["crf"] = "23"            // x264's default quality; text stays legible
		out["profile:v"] = "high"    // every browser and phone since ~2012
		// A keyframe every LiveSegmentSeconds, in time not frames, so HLS
		// segments can be cut on time and the MP4 seeks to within that.
		out["force_key_frames"] = "expr:gte(t,n_forced*" + strconv.Itoa(LiveSegmentSeconds) + ")"
		out["fps_mode:v"] = "vfr" // keep recorder timestamps; no frames duplicated to a guessed rate
	}
	streams := []*ffmpeg.Stream{video}
	if p.Audio >= 0 {
		audio := input.Get(strconv.Itoa(p.Audio)).
			// Fill gaps in the recorder's audio timestamps with silence and
			// drop overlaps, so the encoded audio stays on its timestamps
			// (AAC frames have none of their own in MP4), and start it at
			// zero with silence if the video began first: a fragmented MP4
			// has no edit list to say "audio starts later".
			Filter("aresample", ffmpeg.Args{"async=1", "first_pts=0"})
		streams = append(streams, audio)
		out["c:a"] = "aac"  // the audio codec MP4 players expect (Chromium records Opus)
		out["b:a"] = "128k" // clear speech and music; small next to the video
		out["ar"] = "48000" // recorders' native rate: no resampling in the usual case
		out["ac"] = "2"     // stereo; mono microphones play from both speakers
	}
	if p.Threads > 0 {
		out["threads"] = strconv.Itoa(p.Threads) // the operator's CPU budget
	}
	return ffmpeg.Output(streams, liveTee(), out).GlobalArgs(liveGlobalOptions()...).GetArgs()
}

// liveGlobalOptions replace globalOptions for Live: stdin carries the
// recording (so no -nostdin; ffmpeg turns off its keyboard commands by
// itself when an input is a pipe) and stdout the MP4 (so no -progress).
func liveGlobalOptions() []string {
	return []string{
		"-hide_banner",         // stderr keeps only what went wrong, for the hints
		"-loglevel", "warning", // warnings name damaged input
		"-nostats", // no status line: stderr stays small over a long recording
		"-y",       // overwrite: HLSDir is private and a retry finds its own partial output
	}
}

// teeOption is one option of one tee slave, with why it is there.
type teeOption struct{ key, value string }

// liveHLSOptions make the growing HLS playlist.
var liveHLSOptions = []teeOption{
	{"f", "hls"},
	// Cut a segment at the first keyframe after this many seconds.
	{"hls_time", strconv.Itoa(LiveSegmentSeconds)},
	// EVENT: segments are only ever appended, viewers may start from the
	// beginning while the recording goes on, #EXT-X-ENDLIST comes at the
	// end. ffmpeg writes an event playlist to a temp file and renames it,
	// so a reader never sees half a playlist.
	{"hls_playlist_type", "event"},
	// Keep every segment in the playlist (implied by event; spelled out).
	{"hls_list_size", "0"},
	// fMP4 segments: the same H.264/AAC bytes as the MP4, playable by
	// hls.js through MSE and natively by Safari, unlike MPEG-TS in Chrome.
	{"hls_segment_type", "fmp4"},
	// The init segment (moov) every segment needs, named in #EXT-X-MAP.
	{"hls_fmp4_init_filename", HLSInitName},
	// Relative to the working directory, HLSDir.
	{"hls_segment_filename", hlsSegmentPattern},
	// temp_file: a segment is written under a temporary name and renamed
	// when complete, so its final name never shows a partial file.
	// independent_segments: every segment starts with a keyframe; says so
	// to players (#EXT-X-INDEPENDENT-SEGMENTS).
	{"hls_flags", "temp_file+independent_segments"},
}

// liveMP4Options make the fragmented MP4 on stdout.
var liveMP4Options = []teeOption{
	{"f", "mp4"},
	// frag_keyframe: a fragment (moof+mdat) per keyframe, written as soon
	// as it is complete: the muxer never seeks back, which a pipe cannot.
	// empty_moov: the moov (codecs, no samples) goes first, so the file
	// starts like any MP4 and a player can begin reading it.
	// default_base_moof: offsets relative to each moof, as browsers' MSE
	// and the ISO BMFF "iso5" brand expect.
	// ffmpeg ends the file with an mfra index of the fragments.
	{"movflags", "frag_keyframe+empty_moov+default_base_moof"},
	// But no fragment shorter than this (µs): players that open the file
	// (Chromium's <video src> through ffmpeg's demuxer) read every moof
	// first, one range request each, since a file written front to back
	// has no index they use; fewer, longer fragments make that 5x cheaper
	// than one per 2 s keyframe. Costs memory (ffmpeg holds a fragment)
	// and the bytes left to write at the end, both about 10 s of video.
	{"min_frag_duration", strconv.Itoa(liveFragmentSeconds * 1e6)},
}

// liveFragmentSeconds is the shortest fragment of Live's MP4.
const liveFragmentSeconds = 10

// liveTee is the tee muxer's output specification:
// "[f=hls:...]index.m3u8|[f=mp4:...]pipe:1". Every value is a constant of
// this package without the tee syntax's special characters (: | [ ] \ '),
// which TestLiveTeeNeedsNoEscaping checks.
func liveTee() string {
	slave := func(opts []teeOption, target string) string {
		kv := make([]string, len(opts))
		for i, o := range opts {
			kv[i] = o.key + "=" + o.value
		}
		return "[" + strings.Join(kv, ":") + "]" + target
	}
	return slave(liveHLSOptions, HLSPlaylistName) + "|" + slave(liveMP4Options, "pipe:1")
}
