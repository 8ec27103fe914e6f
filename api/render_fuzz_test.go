package api

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/baton-video/baton/media"
)

// FuzzCommentVTT feeds hostile comment text through the rules a comment
// passes on the way in (NormalizeBody, NormalizeName) and the WebVTT
// renderer on the way out. Whatever a client sends, the track must stay
// well-formed: one cue per comment, no markup, no stray cue timing lines,
// valid UTF-8.
func FuzzCommentVTT(f *testing.F) {
	seeds := []struct{ body, name string }{
		{"hello", "Ann"},
		{"<script>alert(1)</script>", "<b>x</b>"},
		{"a --> b\n\n\nc", "Bob"},
		{"00:00:01.000 --> 00:00:02.000\nfake cue", "Eve"},
		{"WEBVTT\n\nNOTE x", "Mallory"},
		{"\u202egnp.exe", "\u202eRTL"},
		{"&amp;&lt;", "&"},
		{"line\r\nwith\rcarriage", "Zed"},
	}
	for _, s := range seeds {
		f.Add(s.body, s.name, int64(1500))
	}
	f.Fuzz(func(t *testing.T, body, name string, at int64) {
		b, err := media.NormalizeBody(body)
		if err != nil {
			return
		}
		n, err := media.NormalizeName(name)
		if err != nil {
			return
		}
		if at < 0 || at > 100*3600*1000 {
			return
		}
		var out bytes.Buffer
		writeVTT(&out, []*media.Comment{{ID: "c1", TimeMs: at, Body: b, AuthorName: n}})
		s := out.String()
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in %q", s)
		}
		if !strings.HasPrefix(s, "WEBVTT\n\n") {
			t.Fatalf("no header: %q", s)
		}
		if got := strings.Count(s, "-->"); got != 1 {
			t.Fatalf("%d timing arrows, want exactly the cue's own: %q", got, s)
		}
		if strings.ContainsAny(strings.Replace(s, "-->", "", 1), "<>") {
			t.Fatalf("markup survived: %q", s)
		}
		// A blank line ends a cue; the body must not be able to end it early
		// and start a cue of its own.
		cues := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "WEBVTT\n\n"), "\n\n"), "\n\n")
		if len(cues) != 1 {
			t.Fatalf("%d cues, want 1: %q", len(cues), s)
		}
	})
}
