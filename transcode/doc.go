// Package transcode turns an uploaded recording into a faststart H.264/AAC
// MP4 and a poster JPEG by running ffprobe and ffmpeg as child processes. It
// implements media.Transcoder as FFmpeg.
//
// Every input is treated as hostile. This is exactly how the tools are
// invoked and why:
//
//  1. Sniff. The container is named from the file's first bytes: the EBML
//     magic 1A 45 DF A3 is Matroska (WebM is Matroska), "ftyp" at offset 4
//     is MP4/MOV. Anything else, including text, images, HLS playlists
//     (#EXTM3U), ffconcat scripts and SDP files, is refused before ffmpeg
//     sees it, because those formats make ffmpeg open other files or URLs.
//
//  2. Probe. ffprobe runs with the sniffed demuxer forced (-f matroska or
//     -f mov) so ffmpeg's own format guessing never picks a playlist or
//     script demuxer; -format_whitelist repeats that for any nested open;
//     -protocol_whitelist file forbids the network and every other protocol;
//     mov's -enable_drefs 0 is spelled out so an MP4 cannot point at other
//     local files; -max_pixels stops decoders from allocating frames larger
//     than the limit; and the input is named "file:" + an absolute path so
//     nothing in the name can be read as a protocol or an option. The JSON
//     (-show_format -show_streams) is parsed here: the first video stream
//     that is not cover art and the first audio stream are used, and the
//     pixel and duration limits are enforced. WebM from MediaRecorder has no
//     duration in its header; then one stream-copy pass into the null muxer
//     (-c copy -f null, capped with -t at the duration limit) reads the
//     packets without decoding and the last timestamp from -progress is the
//     duration.
//
//  3. Transcode or remux. The same input restrictions apply, plus caps on
//     the output: -t (probed duration plus a small margin) and -fs (a size
//     budget from the input size and duration). When the video is already
//     H.264 in yuv420p with even dimensions (what Chromium records) it is
//     copied (-c:v copy) and only the audio is converted to AAC; otherwise it
//     is re-encoded with libx264 (veryfast, CRF 23, a keyframe every 2 s,
//     variable frame rate kept as is), cropped by at most one pixel to even
//     dimensions (cropping, unlike scaling, keeps screen text sharp) and
//     converted to yuv420p, the only layout every browser decodes. Audio
//     becomes 128 kb/s 48 kHz stereo AAC; a recording without audio gives a
//     video-only MP4. -movflags +faststart moves the index to the front so
//     playback starts before the download ends. Metadata and chapters are
//     dropped (phones write locations into them). Progress comes from
//     -progress pipe:1.
//
//  4. Poster. One frame about a second in (earlier for short videos), at
//     most 1280 pixels wide, decoded from the output MP4.
//
//  5. Verify. The MP4 is probed again: it must have an H.264 stream, AAC if
//     the source had audio, even dimensions, and a duration within 5% (at
//     least 1 s) of the source. A shorter output (a truncated upload, a hit
//     size cap) is an error, never silently accepted.
//
// Arguments are built by pure functions with ffmpeg-go's GetArgs, one flag
// per line with the reason beside it, and pinned by golden tests
// (testdata/*.golden; go test -run Golden -update rewrites them). They are run
// by this package's runner, never a shell: each child gets its own process
// group; cancelling the context or passing the hard deadline sends SIGTERM
// to the group and SIGKILL after a grace period; stderr is kept in a bounded
// buffer and its last lines are mapped to messages a person can read.
//
// Errors follow media.Transcoder: bad input is EINVALID, EUNSUPPORTED or
// ETOOLARGE (permanent); a timeout, a crash or a signal is an internal error
// the worker may retry.
//
// Needs ffmpeg 5.1 or newer (for -fps_mode); Debian 12: apt-get install ffmpeg.
package transcode
