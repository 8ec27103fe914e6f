// Package e2e holds Baton's browser end-to-end tests: the real binary
// (`baton serve`, built once per run) driven by a real headless Chromium with
// fake camera, microphone and screen. They cover what only a browser can
// show: recording in /record with the link shared before the first byte is
// uploaded, watching while the recording is still going, an upload that
// survives a network outage, and recovery after the recording tab died;
// and the watch page's conversation: hostile comments that must render as
// text, two pages updating each other live (and catching up after their
// event stream dropped), the keyboard flow and the discussion settings.
//
// The tests need the built frontend (frontend/dist, `make frontend`),
// Chromium and ffprobe. Locally a missing piece skips them; with CI=true it
// fails them. Set BATON_E2E_SHOTS=dir to also write screenshots of the
// recorder.
package e2e
