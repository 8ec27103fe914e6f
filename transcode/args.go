package transcode

import (
	"strconv"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"
)

// This file builds every command line the package runs, as pure functions
// of their inputs, so golden tests pin them (testdata/*.golden). ffmpeg-go
// emits keyword arguments sorted by name; ffmpeg does not care about the
// order of options within one input or output, so the sorting is harmless.

// inputSpec says how to open a file we did not write ourselves.
type inputSpec struct {
	Path      string // absolute
	Container string // ContainerMatroska or ContainerMP4, from Sniff
	MaxPixels int64  // decoder frame-size backstop; 0 leaves ffmpeg's default
}

// demuxer is the ffmpeg demuxer that reads a sniffed container.
func demuxer(container string) string {
	if container == ContainerMP4 {
		return "mov" // reads MP4 and QuickTime alike
	}
	return "matroska" // reads WebM too
}

// fileURL names a local file so that nothing in its name can be taken as a
// protocol ("http:", "concat:", "subfile,...") or an option ("-i").
func fileURL(absPath string) string { return "file:" + absPath }

// seconds formats d the way ffmpeg's time options read it.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// inputOptions are the options that precede -i (or ffprobe's input) for
// every file we did not write.
func inputOptions(in inputSpec) ffmpeg.KwArgs {
	kw := ffmpeg.KwArgs{
		// The demuxer Sniff chose, so ffmpeg never guesses one; guessing is
		// how a file named .webm becomes an HLS playlist or a concat script.
		"f": demuxer(in.Container),
		// The same rule for anything the demuxer opens in turn.
		"format_whitelist": demuxer(in.Container),
		// Local files only: no http, tcp, pipe, data or subfile.
		"protocol_whitelist": "file",
	}
	if in.Container == ContainerMP4 {
		// An MP4 can reference media in other files ("data references").
		// Off is ffmpeg's default; spelled out so it stays off.
		kw["enable_drefs"] = "0"
	}
	if in.MaxPixels > 0 {
		// Decoders refuse frames over this many pixels, whatever the header
		// declared; Inspect enforces the real limit on the declared size.
		kw["max_pixels"] = strconv.FormatInt(in.MaxPixels, 10)
	}
	return kw
}

// globalOptions go on every ffmpeg run. ffmpeg-go appends global options
// after the outputs; ffmpeg reads global options wherever they stand.
func globalOptions() []string {
	return []string{
		"-nostdin",             // never read stdin: a stray "q" would end the run early
		"-hide_banner",         // stderr keeps only what went wrong, for the hints
		"-loglevel", "warning", // warnings name truncation ("File ended prematurely")
		"-nostats",            // progress comes from -progress, not the stderr status line
		"-progress", "pipe:1", // key=value progress on stdout (out_time_us, progress=end)
		"-y", // overwrite: the directory is private and a retry finds its own partial output
	}
}

// probeArgs are ffprobe's arguments for a file we did not write. ffmpeg-go
// models ffmpeg's graph, not ffprobe, so only its option renderer is used.
func probeArgs(in inputSpec) []string {
	kw := inputOptions(in)
	kw["v"] = "error"       // only errors on stderr; they become hints
	kw["hide_banner"] = ""  // no version banner on stderr
	kw["show_format"] = ""  // container, duration, size
	kw["show_streams"] = "" // codecs, sizes, pixel format, rotation, cover art
	kw["of"] = "json"       // machine-readable; parsed by parseProbe
	args := ffmpeg.ConvertKwargsToCmdLineArgs(kw)
	return append(args, fileURL(in.Path)) // the input comes last for ffprobe
}

// scanArgs reads every packet of the chosen streams without decoding them,
// to learn the duration of a file whose header does not state it (WebM from
// MediaRecorder). The last out_time on -progress is the duration.
func scanArgs(in inputSpec, video, audio int, limit time.Duration) []string {
	input := ffmpeg.Input(fileURL(in.Path), inputOptions(in))
	streams := []*ffmpeg.Stream{input.Get(strconv.Itoa(video))}
	if audio >= 0 {
		streams = append(streams, input.Get(strconv.Itoa(audio)))
	}
	return ffmpeg.Output(streams, "-", ffmpeg.KwArgs{
		"c": "copy",         // packets only: fast, and no decoder sees the data
		"f": "null",         // throw the packets away
		"t": seconds(limit), // stop at the duration limit; longer is refused anyway
	}).GlobalArgs(globalOptions()...).GetArgs()
}

// transcodePlan is everything transcodeArgs needs to know.
type transcodePlan struct {
	In        inputSpec
	Video     int  // input stream index of the video
	Audio     int  // input stream index of the audio; -1 for none
	CopyVideo bool // the video is H.264 yuv420p with even dimensions
	Out       string
	MaxTime   time.Duration // -t: the probed duration plus a margin
	MaxBytes  int64         // -fs: the output size budget
	Threads   int           // 0 lets ffmpeg decide
}

// transcodeArgs makes the playable MP4.
func transcodeArgs(p transcodePlan) []string {
	input := ffmpeg.Input(fileURL(p.In.Path), inputOptions(p.In))
	out := ffmpeg.KwArgs{
		"f":            "mp4",              // the container every browser plays
		"movflags":     "+faststart",       // index first, so playback starts before the download ends
		"map_metadata": "-1",               // drop titles, locations, device names: privacy and hostile strings
		"map_chapters": "-1",               // chapters of a screen recording are noise
		"t":            seconds(p.MaxTime), // just past the probed length: a lying file cannot run on
		// Stop at the budget, so a file that lies about its length cannot
		// fill the disk; the duration check then fails the short output.
		"fs": strconv.FormatInt(p.MaxBytes, 10),
	}
	video := input.Get(strconv.Itoa(p.Video))
	if p.CopyVideo {
		out["c:v"] = "copy" // already H.264 (Chromium's recordings): no quality loss, seconds not minutes
	} else {
		video = video.
			// Even dimensions, which yuv420p requires; cropping one pixel
			// keeps screen text sharp where scaling would blur it.
			Filter("crop", ffmpeg.Args{"trunc(iw/2)*2", "trunc(ih/2)*2"}).
			// 4:2:0 8-bit, the only layout every browser decodes.
			Filter("format", ffmpeg.Args{"yuv420p"})
		out["c:v"] = "libx264"                             // H.264: plays everywhere
		out["preset:v"] = "veryfast"                       // ~3x real time on screen content on 2 cores
		out["crf"] = "23"                                  // x264's default quality; text stays legible
		out["profile:v"] = "high"                          // every browser and phone since ~2012
		out["force_key_frames"] = "expr:gte(t,n_forced*2)" // a keyframe every 2 s, in time not frames, for seeking
		out["fps_mode:v"] = "vfr"                          // keep recorder timestamps; no frames duplicated to a guessed rate
	}
	streams := []*ffmpeg.Stream{video}
	if p.Audio >= 0 {
		streams = append(streams, input.Get(strconv.Itoa(p.Audio)))
		out["c:a"] = "aac"  // the audio codec MP4 players expect (Chromium records Opus)
		out["b:a"] = "128k" // clear speech and music; small next to the video
		out["ar"] = "48000" // recorders' native rate: no resampling in the usual case
		out["ac"] = "2"     // stereo; mono microphones play from both speakers
	}
	if p.Threads > 0 {
		out["threads"] = strconv.Itoa(p.Threads) // the operator's CPU budget
	}
	return ffmpeg.Output(streams, fileURL(p.Out), out).GlobalArgs(globalOptions()...).GetArgs()
}

// posterArgs writes one JPEG frame of our own MP4 at time at.
func posterArgs(in inputSpec, video int, at time.Duration, out string) []string {
	kw := inputOptions(in)
	// An input option: seek before decoding instead of decoding up to at.
	kw["ss"] = seconds(at)
	return ffmpeg.Input(fileURL(in.Path), kw).
		Get(strconv.Itoa(video)).
		// At most 1280 wide, and even, as encoders and some viewers want;
		// the height follows the aspect ratio, rounded to even (-2).
		Filter("scale", ffmpeg.Args{"min(1280,trunc(iw/2)*2)", "-2"}).
		Output(fileURL(out), ffmpeg.KwArgs{
			"f":        "image2", // a single image file, whatever the name says
			"update":   "1",      // one image, not a numbered sequence
			"frames:v": "1",      // one frame is the poster
			"q:v":      "3",      // JPEG quality on ffmpeg's 2 (best) to 31 scale: sharp, still small
		}).GlobalArgs(globalOptions()...).GetArgs()
}

// versionArgs asks ffmpeg for its version. Built by hand: there is no graph
// to describe, and ffmpeg-go requires an output.
func versionArgs() []string {
	return []string{
		"-hide_banner", // the version line is all we read
		"-version",     // print the version and build options, then exit
	}
}
