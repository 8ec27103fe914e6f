package api

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// tusd logs through golang.org/x/exp/slog, a type distinct from log/slog.
// Its lines go through Baton's own logger instead of a handler of tusd's,
// so they follow BATON_LOG_FORMAT (one JSON object a line in containers)
// and BATON_LOG_LEVEL like every other line of the process. Only tusd's
// warnings and errors are kept: it logs every request at info.

// tusLogger is the logger handed to tusd: log's handler, from warnings up,
// with component=tusd.
func tusLogger(log *slog.Logger) *expslog.Logger {
	h := log.Handler().WithAttrs([]slog.Attr{slog.String("component", "tusd")})
	return expslog.New(tusLogHandler{h: h, min: slog.LevelWarn})
}

// tusLogHandler is an x/exp/slog Handler that hands records to a log/slog
// Handler. The two packages' levels are the same integers.
type tusLogHandler struct {
	h   slog.Handler
	min slog.Level
}

func (t tusLogHandler) Enabled(ctx context.Context, l expslog.Level) bool {
	return slog.Level(l) >= t.min && t.h.Enabled(ctx, slog.Level(l))
}

func (t tusLogHandler) Handle(ctx context.Context, r expslog.Record) error {
	out := slog.NewRecord(r.Time, slog.Level(r.Level), r.Message, r.PC)
	r.Attrs(func(a expslog.Attr) bool {
		out.AddAttrs(fromExpAttr(a))
		return true
	})
	return t.h.Handle(ctx, out)
}

func (t tusLogHandler) WithAttrs(as []expslog.Attr) expslog.Handler {
	conv := make([]slog.Attr, len(as))
	for i, a := range as {
		conv[i] = fromExpAttr(a)
	}
	return tusLogHandler{h: t.h.WithAttrs(conv), min: t.min}
}

func (t tusLogHandler) WithGroup(name string) expslog.Handler {
	return tusLogHandler{h: t.h.WithGroup(name), min: t.min}
}

func fromExpAttr(a expslog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == expslog.KindGroup {
		g := v.Group()
		as := make([]any, len(g))
		for i, ga := range g {
			as[i] = fromExpAttr(ga)
		}
		return slog.Group(a.Key, as...)
	}
	return slog.Any(a.Key, v.Any())
}
