package main

import (
	"log/slog"
	"testing"
)

type slogLogger = slog.Logger

// tbWriter sends log lines to the test's log, shown only on failure or -v.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(string(p))
	return len(p), nil
}

func newTestLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
