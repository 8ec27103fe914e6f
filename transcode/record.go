package transcode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/baton-video/baton/media"
)

// The written record's ffmpeg work: audio for transcription, the scrub
// thumbnail sprite, and trims. All three read an MP4 Baton itself wrote,
// opened with the same hardened input options as any upload: a stored
// file is still only as trustworthy as the upload it came from.

var (
	_ media.AudioExtractor = (*FFmpeg)(nil)
	_ media.Thumbnailer    = (*FFmpeg)(nil)
	_ media.Cutter         = (*FFmpeg)(nil)
)

// audioArgs writes stream audio of in as the WAV speech engines read.
func audioArgs(in inputSpec, audio int, out string) []string {
	return ffmpeg.Input(fileURL(in.Path), inputOptions(in)).
		Get(strconv.Itoa(audio)).
		Output(fileURL(out), ffmpeg.KwArgs{
			"vn":           "",          // sound only
			"ac":           "1",         // mono: engines hear one channel
			"ar":           "16000",     // 16 kHz, the rate speech models are trained on
			"c:a":          "pcm_s16le", // plain 16-bit PCM, which every engine reads
			"f":            "wav",       // a RIFF/WAV header, whatever the name says
			"fs":           strconv.FormatInt(maxWAVBytes, 10),
			"map_metadata": "-1", // nothing of the source's metadata travels
		}).GlobalArgs(globalOptions()...).GetArgs()
}

// maxWAVBytes caps the WAV (-fs): 16 kHz 16-bit mono is 115 MB an hour,
// so this allows more than any accepted video.
const maxWAVBytes = 4 << 30

// ExtractAudio writes the audio of the MP4 at in as 16 kHz mono WAV to out.
func (f *FFmpeg) ExtractAudio(ctx context.Context, in, out string) error {
	src, err := f.inspect(ctx, in, 0)
	if err != nil {
		return err
	}
	if src.probe.Audio == nil {
		return media.WrapError(media.EUNSUPPORTED, media.ErrNoAudio, "The video has no sound.")
	}
	if out, err = filepath.Abs(out); err != nil {
		return fmt.Errorf("transcode: audio: %w", err)
	}
	stderr, err := f.runner.run(ctx, command{
		Path: f.cfg.FFmpegPath, Args: audioArgs(src.spec, src.probe.Audio.Index, out), Timeout: f.timeout(src.duration),
	})
	if err != nil {
		_ = os.Remove(out)
		return classify("audio", err, stderr, nil)
	}
	return nil
}

// Sprite geometry: tiles 160 px wide, ten to a row.
const (
	spriteTileWidth = 160
	spriteColumns   = 10
)

// spriteArgs tiles one frame every interval of in's video into a single
// JPEG of cols x rows tiles of w x h.
func spriteArgs(in inputSpec, video int, interval time.Duration, w, h, cols, rows int, keyframesOnly bool, out string) []string {
	kw := inputOptions(in)
	if keyframesOnly {
		// Decode keyframes only: a sprite needs a frame every few seconds,
		// and skipping the rest makes this many times faster than decoding
		// all.
		kw["skip_frame"] = "nokey"
	}
	return ffmpeg.Input(fileURL(in.Path), kw).
		Get(strconv.Itoa(video)).
		// One frame per interval, the nearest one (keyframes repeat when
		// they are further apart than the interval).
		Filter("fps", ffmpeg.Args{"1/" + seconds(interval)}).
		// Every tile the same size, so cue regions are exact.
		Filter("scale", ffmpeg.Args{strconv.Itoa(w), strconv.Itoa(h)}).
		Filter("setsar", ffmpeg.Args{"1"}).
		// All tiles in one image; the last row may stay partly black.
		Filter("tile", ffmpeg.Args{fmt.Sprintf("%dx%d", cols, rows)}).
		Output(fileURL(out), ffmpeg.KwArgs{
			"f":        "image2", // a single image file, whatever the name says
			"update":   "1",      // one image, not a numbered sequence
			"frames:v": "1",      // the one tiled frame
			"q:v":      "5",      // small tiles forgive a lower JPEG quality
		}).GlobalArgs(globalOptions()...).GetArgs()
}

// spriteGeometry sizes a sprite for a video of w x h and durationMs.
func spriteGeometry(w, h int, durationMs int64) (sheet media.ThumbSheet, rows int) {
	iv := media.SpriteInterval(durationMs)
	count := int((durationMs + iv - 1) / iv)
	count = max(count, 1)
	th := spriteTileWidth * 9 / 16
	if w > 0 && h > 0 {
		th = spriteTileWidth * h / w
	}
	th = max(2, th/2*2)
	rows = (count + spriteColumns - 1) / spriteColumns
	return media.ThumbSheet{IntervalMs: iv, Columns: spriteColumns, Count: count, TileWidth: spriteTileWidth, TileHeight: th, DurationMs: durationMs}, rows
}

// Sprite writes the scrub-thumbnail sprite of the MP4 at in to out.
func (f *FFmpeg) Sprite(ctx context.Context, in, out string, durationMs int64) (*media.ThumbSheet, error) {
	src, err := f.inspect(ctx, in, 0)
	if err != nil {
		return nil, err
	}
	if d := src.duration.Milliseconds(); d > 0 {
		durationMs = d
	}
	sheet, rows := spriteGeometry(src.info.Width, src.info.Height, durationMs)
	cols := sheet.Columns
	if sheet.Count < cols {
		// A short video's sheet is one row of exactly its tiles.
		cols, sheet.Columns = sheet.Count, sheet.Count
	}
	if out, err = filepath.Abs(out); err != nil {
		return nil, fmt.Errorf("transcode: sprite: %w", err)
	}
	// Keyframes first; a video whose only keyframe is its first (an
	// encoder's long GOP on a short clip) leaves the fps filter a single
	// frame, from which it makes none: then every frame is decoded.
	for _, keyframesOnly := range []bool{true, false} {
		args := spriteArgs(src.spec, src.probe.Video.Index, time.Duration(sheet.IntervalMs)*time.Millisecond, sheet.TileWidth, sheet.TileHeight, cols, rows, keyframesOnly, out)
		stderr, err := f.runner.run(ctx, command{Path: f.cfg.FFmpegPath, Args: args, Timeout: f.timeout(src.duration)})
		if err != nil {
			_ = os.Remove(out)
			return nil, classify("sprite", err, stderr, nil)
		}
		if isJPEG(out) {
			return &sheet, nil
		}
		_ = os.Remove(out)
	}
	return nil, fmt.Errorf("transcode: sprite: ffmpeg wrote no JPEG")
}

// cutArgs joins the kept spans of in into a new MP4. Every span is
// trimmed on decoded frames and samples, so cuts land exactly where asked
// whatever the keyframes; the whole result is then encoded once.
func cutArgs(in inputSpec, video, audio int, keep []media.Span, threads int, out string) []string {
	src := ffmpeg.Input(fileURL(in.Path), inputOptions(in))
	var parts []*ffmpeg.Stream
	for _, s := range keep {
		start, end := seconds(time.Duration(s.StartMs)*time.Millisecond), seconds(time.Duration(s.EndMs)*time.Millisecond)
		parts = append(parts, src.Get(strconv.Itoa(video)).
			Filter("trim", ffmpeg.Args{}, ffmpeg.KwArgs{"start": start, "end": end}).
			Filter("setpts", ffmpeg.Args{"PTS-STARTPTS"})) // each span starts at 0 for concat
		if audio >= 0 {
			parts = append(parts, src.Get(strconv.Itoa(audio)).
				Filter("atrim", ffmpeg.Args{}, ffmpeg.KwArgs{"start": start, "end": end}).
				Filter("asetpts", ffmpeg.Args{"PTS-STARTPTS"}))
		}
	}
	a := "0"
	if audio >= 0 {
		a = "1"
	}
	joined := ffmpeg.FilterMultiOutput(parts, "concat", ffmpeg.Args{}, ffmpeg.KwArgs{"n": strconv.Itoa(len(keep)), "v": "1", "a": a})
	streams := []*ffmpeg.Stream{joined.Get("0")}
	if audio >= 0 {
		streams = append(streams, joined.Get("1"))
	}
	kw := ffmpeg.KwArgs{
		"c:v":          "libx264",    // H.264, what every browser plays
		"preset":       "veryfast",   // ~3x real time on screen content on 2 cores
		"crf":          "20",         // visually lossless for screen recordings
		"pix_fmt":      "yuv420p",    // the only chroma layout browsers decode
		"movflags":     "+faststart", // index first: playable with one request
		"map_metadata": "-1",         // nothing of the source's metadata travels
		"f":            "mp4",
	}
	if audio >= 0 {
		kw["c:a"] = "aac"  // AAC, what MP4 players expect
		kw["b:a"] = "128k" // as the main transcode
	}
	if threads > 0 {
		kw["threads"] = strconv.Itoa(threads) // the operator's CPU budget
	}
	return ffmpeg.Output(streams, fileURL(out), kw).GlobalArgs(globalOptions()...).GetArgs()
}
