package media_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

func TestMapForwardAndBack(t *testing.T) {
	cuts := []media.Cut{{StartMs: 10000, EndMs: 20000}, {StartMs: 30000, EndMs: 35000}}
	tests := []struct {
		orig, want int64
		removed    bool
	}{
		{0, 0, false},
		{9999, 9999, false},
		{10000, 10000, true}, // the first removed moment lands at the cut
		{15000, 10000, true},
		{19999, 10000, true},
		{20000, 10000, false}, // the first kept moment after the cut
		{25000, 15000, false},
		{32000, 20000, true},
		{40000, 25000, false},
		{60000, 45000, false},
	}
	for _, tt := range tests {
		got, removed := media.MapForward(cuts, tt.orig)
		if got != tt.want || removed != tt.removed {
			t.Errorf("MapForward(%d) = %d, %v; want %d, %v", tt.orig, got, removed, tt.want, tt.removed)
		}
		if !tt.removed {
			if back := media.MapBack(cuts, got); back != tt.orig {
				t.Errorf("MapBack(%d) = %d, want %d", got, back, tt.orig)
			}
		}
	}
	if got, _ := media.MapForward(nil, 1234); got != 1234 {
		t.Fatalf("no cuts moved a moment to %d", got)
	}
}

// TestRemapIssueExample is the issue's example as a table: cutting 10-20 s
// of a 60 s video, then undoing it, then cutting another part.
func TestRemapIssueExample(t *testing.T) {
	cut := []media.Cut{{StartMs: 10000, EndMs: 20000}}
	// A comment at 40 s moves to 30 s; one at 15 s lands at 10 s, removed.
	if at, removed, _ := media.Remap(nil, cut, 40000, nil); at != 30000 || removed {
		t.Fatalf("40s -> %d (removed %v), want 30000", at, removed)
	}
	at, removed, orig := media.Remap(nil, cut, 15000, nil)
	if at != 10000 || !removed || orig != 15000 {
		t.Fatalf("15s -> %d (removed %v, orig %d), want 10000 removed from 15000", at, removed, orig)
	}
	// Undo: back from the cut timeline, the removed one by its original.
	if at, removed, _ := media.Remap(cut, nil, 30000, nil); at != 40000 || removed {
		t.Fatalf("undo 30s -> %d", at)
	}
	o := int64(15000)
	if at, removed, _ := media.Remap(cut, nil, 10000, &o); at != 15000 || removed {
		t.Fatalf("undo of the removed comment -> %d", at)
	}
	// A comment made on the cut timeline at 25 s (orig 35 s) survives a
	// new edit that cuts 0-5 s instead: it ends at 30 s.
	if at, _, _ := media.Remap(cut, []media.Cut{{StartMs: 0, EndMs: 5000}}, 25000, nil); at != 30000 {
		t.Fatalf("re-edit -> %d, want 30000", at)
	}
}

func TestNormalizeCuts(t *testing.T) {
	tests := []struct {
		in   []media.Cut
		want []media.Cut
		err  bool
	}{
		{in: []media.Cut{{30000, 40000}, {10000, 20000}}, want: []media.Cut{{10000, 20000}, {30000, 40000}}},
		{in: []media.Cut{{10000, 20000}, {15000, 25000}, {25000, 26000}}, want: []media.Cut{{10000, 26000}}},
		{in: []media.Cut{{50000, 90000}}, want: []media.Cut{{50000, 60000}}}, // clamped to the end
		{in: []media.Cut{{20000, 10000}}, err: true},
		{in: []media.Cut{{-1, 10}}, err: true},
		{in: []media.Cut{{60000, 61000}}, err: true},
		{in: []media.Cut{{0, 59500}}, err: true}, // less than a second left
	}
	for _, tt := range tests {
		got, err := media.NormalizeCuts(tt.in, 60000)
		if tt.err {
			if media.ErrorCode(err) != media.EINVALID {
				t.Errorf("NormalizeCuts(%v) = %v, %v; want invalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NormalizeCuts(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if got := media.KeptSpans([]media.Cut{{0, 5000}, {10000, 20000}}, 60000); !reflect.DeepEqual(got, []media.Span{{5000, 10000}, {20000, 60000}}) {
		t.Fatalf("KeptSpans = %v", got)
	}
}

func TestMapSegmentsDropsRemovedLines(t *testing.T) {
	segs := []media.Segment{{ID: 1, StartMs: 1000, EndMs: 4000}, {ID: 2, StartMs: 12000, EndMs: 14000}, {ID: 3, StartMs: 19000, EndMs: 23000}, {ID: 4, StartMs: 30000, EndMs: 31000}}
	got := media.MapSegments([]media.Cut{{StartMs: 10000, EndMs: 20000}}, segs)
	want := []media.Segment{{ID: 1, StartMs: 1000, EndMs: 4000}, {ID: 4, StartMs: 20000, EndMs: 21000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MapSegments = %+v", got)
	}
}

func TestParseChapters(t *testing.T) {
	desc := "Weekly update\n\n0:00 Intro\n02:15 Demo of the new recorder\n- 1:02:03 - Q&A\n(12:30) Wrap-up\n[4:00] Budget\nnot a chapter 3:00\n12:3 broken\n99:99 nope\n02:15 duplicate"
	got := media.ParseChapters(desc)
	want := []media.Chapter{
		{StartMs: 0, Title: "Intro"},
		{StartMs: 135000, Title: "Demo of the new recorder"},
		{StartMs: 240000, Title: "Budget"},
		{StartMs: 750000, Title: "Wrap-up"},
		{StartMs: 3723000, Title: "Q&A"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseChapters = %+v\nwant %+v", got, want)
	}
	if got := media.ParseChapters("Meet at 10:30 Monday"); got != nil {
		t.Fatalf("a single timestamp made chapters: %+v", got)
	}
}

func TestVTTFormatsAreValidAndEscaped(t *testing.T) {
	segs := []media.Segment{
		{StartMs: 0, EndMs: 1500, Text: "hello <b>team</b> & friends"},
		{StartMs: 1500, EndMs: 1500, Text: "zero length --> forged cue\n\nWEBVTT"},
		{StartMs: 3723004, EndMs: 3725000, Text: "past an hour"},
	}
	vtt := media.FormatVTT(segs)
	n, err := media.ValidateVTT(vtt)
	if err != nil || n != 3 {
		t.Fatalf("ValidateVTT = %d, %v\n%s", n, err, vtt)
	}
	for _, want := range []string{"hello &lt;b&gt;team&lt;/b&gt; &amp; friends", "00:00:01.500 --> 00:00:02.500", "01:02:03.004 --> 01:02:05.000", "zero length --&gt; forged cue WEBVTT"} {
		if !strings.Contains(vtt, want) {
			t.Errorf("VTT lacks %q:\n%s", want, vtt)
		}
	}
	srt := media.FormatSRT(segs)
	if !strings.HasPrefix(srt, "1\n00:00:00,000 --> 00:00:01,500\nhello <b>team</b> & friends\n\n2\n") || !strings.Contains(srt, "3\n01:02:03,004 --> 01:02:05,000\n") {
		t.Fatalf("SRT:\n%s", srt)
	}
	if txt := media.FormatText("Standup", segs[:1]); txt != "Standup\n\n[0:00] hello <b>team</b> & friends\n" {
		t.Fatalf("text = %q", txt)
	}
	for _, bad := range []string{"", "WEBVTX\n", "WEBVTT\n\n00:01.000 --> 00:00.500\nx\n", "WEBVTT\n\n00:00.000 --> 00:01.000\n<script>x\n", "WEBVTT\n\n00:02.000 --> 00:03.000\na\n\n00:01.000 --> 00:04.000\nb\n"} {
		if _, err := media.ValidateVTT(bad); err == nil {
			t.Errorf("ValidateVTT accepted %q", bad)
		}
	}
}

func TestCleanSegments(t *testing.T) {
	got := media.CleanSegments([]media.Segment{
		{StartMs: 5000, EndMs: 4000, Text: " later\tline "},
		{StartMs: -10, EndMs: 900, Text: "first\x00 \n line"},
		{StartMs: 6000, EndMs: 7000, Text: "   "},
		{StartMs: 9000, EndMs: 99000, Text: "past the end"},
	}, 10000)
	want := []media.Segment{{StartMs: 0, EndMs: 900, Text: "first line"}, {StartMs: 5000, EndMs: 5000, Text: "later line"}, {StartMs: 9000, EndMs: 10000, Text: "past the end"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CleanSegments = %+v", got)
	}
}

func TestSearchTermsAndMarks(t *testing.T) {
	terms, err := media.SearchTerms(`Budget "OR" <mark>*approved*`)
	if err != nil || !reflect.DeepEqual(terms, []string{"budget", "or", "mark", "approved"}) {
		t.Fatalf("SearchTerms = %v, %v", terms, err)
	}
	for _, q := range []string{"", "  ***  ", "a b c d e f g h i"} {
		if _, err := media.SearchTerms(q); media.ErrorCode(err) != media.EINVALID {
			t.Errorf("SearchTerms(%q) = %v, want invalid", q, err)
		}
	}
	text, marks := media.MarkMatches("The 💰 Budgetary plan: budget approved.", []string{"budget"})
	if len(marks) != 2 {
		t.Fatalf("marks = %v", marks)
	}
	// Offsets are UTF-16 units: the emoji counts two.
	if marks[0] != [2]int{7, 16} || marks[1] != [2]int{23, 29} {
		t.Fatalf("marks = %v in %q", marks, text)
	}
	long := strings.Repeat("filler words here ", 30) + "the budget line" + strings.Repeat(" more filler", 30)
	snip, m := media.MarkMatches(long, []string{"budget"})
	if !strings.HasPrefix(snip, "…") || !strings.HasSuffix(snip, "…") || len(m) != 1 || !strings.Contains(snip, "budget") {
		t.Fatalf("snippet %q marks %v", snip, m)
	}
	if got := utf16Slice(snip, m[0]); got != "budget" {
		t.Fatalf("mark covers %q", got)
	}
}

func utf16Slice(s string, r [2]int) string {
	var units []uint16
	for _, c := range s {
		if c >= 0x10000 {
			c -= 0x10000
			units = append(units, uint16(0xd800+(c>>10)), uint16(0xdc00+(c&0x3ff)))
		} else {
			units = append(units, uint16(c))
		}
	}
	out := units[r[0]:r[1]]
	rs := make([]rune, len(out))
	for i, u := range out {
		rs[i] = rune(u)
	}
	return string(rs)
}
