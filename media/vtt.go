package media

import (
	"bufio"
	"fmt"
	"strings"
)

// Caption and download formats of a transcript. Cue text is plain text
// from engines and owners, so everything WebVTT could read as markup
// (<, >, &) is escaped, and a cue never holds a blank line or "-->", which
// would end it or start a forged one.

// vttTime formats ms as WebVTT's hh:mm:ss.mmm.
func vttTime(ms int64) string {
	ms = max(ms, 0)
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// srtTime formats ms as SubRip's hh:mm:ss,mmm.
func srtTime(ms int64) string { return strings.Replace(vttTime(ms), ".", ",", 1) }

// cueText makes a line safe inside a cue.
func cueText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return strings.ReplaceAll(s, "-->", "--&gt;")
}

// cueEnd keeps a cue at least visible: a zero-length cue is never shown.
func cueEnd(s Segment) int64 {
	if s.EndMs <= s.StartMs {
		return s.StartMs + 1000
	}
	return s.EndMs
}

// FormatVTT writes segments as a WebVTT captions file.
func FormatVTT(segs []Segment) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for _, s := range segs {
		fmt.Fprintf(&b, "\n%s --> %s\n%s\n", vttTime(s.StartMs), vttTime(cueEnd(s)), cueText(s.Text))
	}
	return b.String()
}

// FormatSRT writes segments as a SubRip file.
func FormatSRT(segs []Segment) string {
	var b strings.Builder
	for i, s := range segs {
		// SRT has no escaping; players show text as is, so only the line
		// structure needs guarding.
		text := strings.Join(strings.Fields(s.Text), " ")
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, srtTime(s.StartMs), srtTime(cueEnd(s)), text)
	}
	return b.String()
}

// FormatText writes segments as readable text, one timed line each.
func FormatText(title string, segs []Segment) string {
	var b strings.Builder
	if title != "" {
		b.WriteString(strings.Join(strings.Fields(title), " ") + "\n\n")
	}
	for _, s := range segs {
		fmt.Fprintf(&b, "[%s] %s\n", ClockTime(s.StartMs), strings.Join(strings.Fields(s.Text), " "))
	}
	return b.String()
}

// ClockTime formats ms as m:ss, or h:mm:ss from an hour.
func ClockTime(ms int64) string {
	sec := max(ms, 0) / 1000
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// ValidateVTT checks a WebVTT file the way a strict parser would: the
// signature, blank-line separated cue blocks, well-formed timings with
// start <= end, cues in start order, and no "-->" or raw markup characters
// in cue text beyond the tags and entities allowed. It returns the number
// of cues. Tests of every WebVTT Baton serves use it.
func ValidateVTT(doc string) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(doc))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	if !sc.Scan() {
		return 0, fmt.Errorf("vtt: empty file")
	}
	first := strings.TrimPrefix(sc.Text(), "\ufeff")
	if first != "WEBVTT" && !strings.HasPrefix(first, "WEBVTT ") && !strings.HasPrefix(first, "WEBVTT\t") {
		return 0, fmt.Errorf("vtt: first line %q is not the WEBVTT signature", first)
	}
	cues, line := 0, 1
	var lastStart int64 = -1
	inCue, blank := false, false
	for sc.Scan() {
		line++
		l := sc.Text()
		if l == "" {
			inCue, blank = false, true
			continue
		}
		if !blank && !inCue {
			if line == 2 {
				return 0, fmt.Errorf("vtt: line 2 must be blank")
			}
		}
		if inCue {
			if strings.Contains(l, "-->") {
				return 0, fmt.Errorf("vtt: line %d: cue text contains -->", line)
			}
			if err := checkCueText(l); err != nil {
				return 0, fmt.Errorf("vtt: line %d: %v", line, err)
			}
			continue
		}
		blank = false
		timing := l
		if !strings.Contains(l, "-->") {
			// An identifier line; the timing must follow.
			if !sc.Scan() {
				return 0, fmt.Errorf("vtt: line %d: identifier without a cue", line)
			}
			line++
			timing = sc.Text()
		}
		start, end, err := parseTiming(timing)
		if err != nil {
			return 0, fmt.Errorf("vtt: line %d: %v", line, err)
		}
		if end < start {
			return 0, fmt.Errorf("vtt: line %d: cue ends before it starts", line)
		}
		if start < lastStart {
			return 0, fmt.Errorf("vtt: line %d: cues out of order", line)
		}
		lastStart = start
		cues++
		inCue = true
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("vtt: %w", err)
	}
	return cues, nil
}

func checkCueText(l string) error {
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '<':
			j := strings.IndexByte(l[i:], '>')
			if j < 0 {
				return fmt.Errorf("unclosed tag")
			}
			tag := strings.TrimPrefix(l[i+1:i+j], "/")
			name := tag
			if k := strings.IndexAny(tag, ". "); k >= 0 {
				name = tag[:k]
			}
			switch name {
			case "b", "i", "u", "c", "v", "lang", "ruby", "rt":
			default:
				return fmt.Errorf("tag <%s> is not WebVTT markup", tag)
			}
			i += j
		case '&':
			j := strings.IndexByte(l[i:], ';')
			if j < 0 || j > 8 {
				return fmt.Errorf("bare &")
			}
			i += j
		}
	}
	return nil
}

// parseTiming reads "start --> end [settings]".
func parseTiming(l string) (start, end int64, err error) {
	a, b, ok := strings.Cut(l, " --> ")
	if !ok {
		return 0, 0, fmt.Errorf("timing line %q has no \" --> \"", l)
	}
	if i := strings.IndexAny(b, " \t"); i >= 0 {
		b = b[:i]
	}
	if start, err = parseVTTTime(a); err != nil {
		return 0, 0, err
	}
	if end, err = parseVTTTime(b); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

func parseVTTTime(s string) (int64, error) {
	var h, m, sec, ms int64
	parts := strings.Split(s, ":")
	var err error
	switch len(parts) {
	case 3:
		_, err = fmt.Sscanf(s, "%d:%2d:%2d.%3d", &h, &m, &sec, &ms)
	case 2:
		_, err = fmt.Sscanf(s, "%2d:%2d.%3d", &m, &sec, &ms)
	default:
		err = fmt.Errorf("bad time")
	}
	last := parts[len(parts)-1]
	if err != nil || len(last) != 6 || last[2] != '.' || m > 59 || sec > 59 {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	return ((h*60+m)*60+sec)*1000 + ms, nil
}
