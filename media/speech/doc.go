// Package speech holds Baton's transcription engines, each an adapter
// behind media.Transcriber:
//
//   - Sphinx runs CMU PocketSphinx's pocketsphinx_continuous (Debian's
//     pocketsphinx and pocketsphinx-en-us packages): English only and far
//     less accurate than Whisper, but nothing to download, so it is the
//     fallback and what the tests prove the pipeline with.
//   - Whisper runs whisper.cpp's whisper-cli with a model file the
//     operator supplies, and reads the JSON it writes.
//   - OpenAI posts the audio to an OpenAI-compatible
//     /v1/audio/transcriptions endpoint (whisper.cpp's server,
//     faster-whisper servers, LocalAI, or a cloud service) and reads the
//     verbose_json answer's segments.
//
// The local engines run as child processes the way transcode runs ffmpeg:
// never through a shell, in their own process group so cancelling stops
// everything they started, with a hard deadline and only the tail of
// stderr kept for the error message.
package speech
