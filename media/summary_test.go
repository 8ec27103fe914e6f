package media

import (
	"fmt"
	"strings"
	"testing"
)

// TestCleanSummaryText: a model's text is stored plain, without control
// characters or runs of blank lines, and bounded.
func TestCleanSummaryText(t *testing.T) {
	for in, want := range map[string]string{
		"  The budget\tis approved.  \r\n\r\n\r\n\nNext: Friday.\x00\x1b[31m ": "The budget is approved.\n\nNext: Friday. [31m",
		"\xff\xfeHello":           "Hello",
		"":                        "",
		"<b>not html</b>":         "<b>not html</b>",
		strings.Repeat("é", 3000): strings.Repeat("é", 2000) + "…",
	} {
		if got := CleanSummaryText(in); got != want {
			t.Errorf("CleanSummaryText(%.40q) = %.60q, want %.60q", in, got, want)
		}
	}
}

// TestCleanSuggestedChapters: a model's bad suggestions are dropped one by
// one; the rest come sorted, apart, and bounded.
func TestCleanSuggestedChapters(t *testing.T) {
	in := []Chapter{
		{StartMs: 62000, Title: "  Launch   date "},
		{StartMs: 0, Title: "Budget"},
		{StartMs: 3000, Title: "Too close"},
		{StartMs: 90000, Title: "After the end"},
		{StartMs: 30000, Title: ""},
		{StartMs: 40000, Title: "bad\x07bell"},
	}
	got := CleanSuggestedChapters(in, 80000)
	if fmt.Sprint(got) != "[{0 Budget} {62000 Launch date}]" {
		t.Fatalf("got %v", got)
	}
	var many []Chapter
	for i := range 50 {
		many = append(many, Chapter{StartMs: int64(i) * 10000, Title: fmt.Sprint("Part ", i)})
	}
	if n := len(CleanSuggestedChapters(many, 600000)); n != MaxSuggestedChapters {
		t.Fatalf("kept %d suggestions, want %d", n, MaxSuggestedChapters)
	}
}
