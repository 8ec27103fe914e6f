// Package transcode turns an uploaded recording into a faststart H.264/AAC
// MP4 and a poster JPEG by running ffprobe and ffmpeg as child processes,
// either once the upload is whole (Process) or while it is still arriving
// (Live). It implements media.Transcoder and media.LiveTranscoder as FFmpeg.
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
//     most 1280 pixels wide with even dimensions, decoded from the output
//     MP4. Poster takes one from any time, clamped into the video stream.
//
//  5. Verify. The MP4 is probed again: it must have an H.264 stream, AAC if
//     the source had audio, even dimensions, and a duration within 5% (at
//     least 1 s) of the source. A shorter output (a truncated upload, a hit
//     size cap) is an error, never silently accepted.
//
// Live runs the same steps while the recording is uploaded, so that when
// the person presses Stop only the tail is left to do: the time from the
// recording's end to Live's return does not grow with its length (about
// 0.1-0.3 s for H.264). Exactly:
//
//   - Head. The first bytes (at least 16 KB, or all of a shorter recording)
//     are sniffed like a file (only Matroska/WebM, which is what
//     MediaRecorder writes; MP4 and everything else is refused) and probed
//     by ffprobe on stdin with the same input restrictions, except that
//     -protocol_whitelist is pipe. While the probe lacks the video track, or
//     the pixel format of H.264 because the first keyframe did not fit, the
//     head doubles, up to 1 MB. The pixel limit is enforced here.
//
//   - One ffmpeg. The head and then the rest of the recording, as it
//     arrives, go to ffmpeg's stdin through a pipe of Live's own
//     (-f matroska -protocol_whitelist pipe -i pipe:0). The copy-or-encode
//     rule, the x264 settings (plus a keyframe every 2 s), the even-size
//     crop and the AAC settings are Process's; audio also goes through
//     aresample=async=1:first_pts=0, which fills gaps in the recorder's
//     audio timestamps with silence and starts the audio at zero, since a
//     fragmented MP4 has no edit list for a late start (sound and picture
//     were measured to stay within a frame of each other either way
//     round). ffmpeg's own timestamp handling moves a recording that does
//     not start at zero to zero. The tee muxer writes what was encoded once
//     to two outputs: an HLS event playlist (index.m3u8, init.mp4,
//     seg-00000.m4s, ...; fMP4 segments cut at the first keyframe 2 s or
//     more after the last cut) into LiveRequest.HLSDir, which is ffmpeg's
//     working directory so that no path appears in the tee specification;
//     and a fragmented MP4
//     (-movflags frag_keyframe+empty_moov+default_base_moof with
//     min_frag_duration 10 s: moov first, then a moof+mdat starting at a
//     keyframe every 10 s or more, then an mfra index, never a seek) on
//     stdout, copied to LiveRequest.MP4 and to a private temp file.
//     -flags +global_header makes the encoders give the MP4 muxers their
//     headers, which the tee muxer cannot ask for. -t stops the run just
//     past the duration limit should Live's own count fail.
//
//   - Segments. ffmpeg replaces the playlist atomically (temp file and
//     rename) after each segment is complete; Live reads it every 100 ms and
//     calls LiveRequest.OnSegment once for each new segment, and once more
//     after ffmpeg exits for the last ones.
//
//   - Length. A small reader of the Matroska element structure (mkvClock)
//     follows the block timestamps as the bytes pass, without buffering:
//     past MaxDuration Live stops with ETOOLARGE, and at the end the MP4 must
//     be as long as the recording's timestamps say (5%, at least 1 s).
//
//   - End. At the recording's EOF Live closes ffmpeg's stdin; ffmpeg writes
//     the last segment, #EXT-X-ENDLIST, the last fragment and the mfra, and
//     exits. The temp copy of the MP4 is probed and checked as in step 5,
//     then removed.
//
//   - Stop. Cancelling the context stops ffmpeg through the runner and
//     closes its stdin: ffmpeg restarts a read that SIGTERM interrupts, so a
//     run waiting on a quiet recording would otherwise last until SIGKILL.
//
// Foot-gun: a fragmented MP4 written front to back cannot carry a sidx for
// the whole file (that needs the sizes of all fragments before the first),
// and ffmpeg's MP4 demuxer, which Chromium uses for <video src>, ignores
// the mfra unless asked to. It finds such a file's duration and seek points
// by reading every moof before playback starts, one range request each
// over HTTP. The file plays and seeks correctly, but opening a long one
// over a slow link takes seconds (15 minutes, 90 fragments: about 6 s at
// 50 ms per request, against 0.2 s for a faststart MP4). Hence the 10 s
// fragments; HLS has no such cost.
//
// Trims (Cut, cut.go) copy the stored H.264 between keyframes and encode
// only the pieces around each cut with x264 matched to the stored stream,
// joined through MPEG-TS pieces and the concat demuxer; when that cannot
// be done safely they re-encode everything kept, frame-exact. cut.go says
// exactly how, and which inputs each run may open.
//
// Arguments are built by pure functions with ffmpeg-go's GetArgs, one flag
// per line with the reason beside it, and pinned by golden tests
// (testdata/*.golden; go test -run Golden -update rewrites them). They are run
// by this package's runner, never a shell: each child gets its own process
// group; cancelling the context or passing the hard deadline sends SIGTERM
// to the group and SIGKILL after a grace period; stderr is kept in a bounded
// buffer and its last lines are mapped to messages a person can read.
//
// What we take from ffmpeg-go is argument building only: ffmpeg.Input,
// ffmpeg.Output, KwArgs and GetArgs. Its Run, Compile and the rest are
// never called; this package runs ffmpeg itself as above. Foot-gun: the
// module also has an upload helper that streams an output named s3://...
// to S3, and for it links aws-sdk-go v1 (unmaintained) into every binary
// that imports ffmpeg-go. We never reach it: outputs are built with the
// package-level ffmpeg.Output (the Stream.Output method is the one that
// looks for s3://) and are always "file:" + a path of ours, "-" or the tee
// specification. A test in cmd/baton fails if any package of ours imports
// the AWS SDK, or ffmpeg-go outside this package.
//
// Errors follow media.Transcoder: bad input is EINVALID, EUNSUPPORTED or
// ETOOLARGE (permanent); a timeout, a crash or a signal is an internal error
// the worker may retry.
//
// Needs ffmpeg 5.1 or newer (for -fps_mode); Debian 12: apt-get install ffmpeg.
package transcode
