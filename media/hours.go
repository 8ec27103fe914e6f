package media

import (
	"fmt"
	"strings"
	"time"
)

// People's hours. Every person has an IANA time zone and working hours, and
// email that concerns them is timed by them: inside their hours it goes out
// bundled (whatever arrives within the bundle window becomes one email),
// outside them it is held and goes out as one digest at the start of their
// next working period, never in their night. These are pure functions of
// the person's schedule and an instant, so tests move a fake clock through
// DST changes and half-hour zones.

// EmailMode is how a person wants email.
type EmailMode string

const (
	// EmailWorkingHours bundles email inside working hours and holds the
	// rest for the start of the next working period (the default).
	EmailWorkingHours EmailMode = "working-hours"
	// EmailDaily sends one digest at the start of each working day.
	EmailDaily EmailMode = "daily"
	// EmailOff sends no email at all, urgent or not (the inbox in the app
	// still shows everything).
	EmailOff EmailMode = "off"
)

// ValidEmailMode reports whether m is a mode.
func ValidEmailMode(m EmailMode) bool {
	return m == EmailWorkingHours || m == EmailDaily || m == EmailOff
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayOrder is the week as people write it: Monday first.
var dayOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// WorkingHours are the days of the week someone works and the local time
// their day starts and ends. End may be 24:00 (midnight at the end of the
// day); a day that runs past midnight is not supported, start is before end.
type WorkingHours struct {
	Days  [7]bool // indexed by time.Weekday
	Start int     // minutes after local midnight, 0..1439
	End   int     // minutes after local midnight, Start+1..1440
}

// DefaultWorkingHours is Monday to Friday, 09:00 to 17:00.
var DefaultWorkingHours = WorkingHours{Days: [7]bool{false, true, true, true, true, true, false}, Start: 9 * 60, End: 17 * 60}

// ParseClock reads "HH:MM" (24-hour; "24:00" only when allowEnd).
func ParseClock(s string, allowEnd bool) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, Errorf(EINVALID, "Times are written HH:MM, e.g. 09:00 (got %q).", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 {
		return 0, Errorf(EINVALID, "Times are written HH:MM, e.g. 09:00 (got %q).", s)
	}
	if h == 24 && m == 0 && allowEnd {
		return 24 * 60, nil
	}
	if h > 23 {
		return 0, Errorf(EINVALID, "%q is not a time of day.", s)
	}
	return h*60 + m, nil
}

// FormatClock writes minutes after midnight as HH:MM.
func FormatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// ParseDay reads a three-letter day name ("mon").
func ParseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		if n == s {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// NewWorkingHours checks and builds working hours from day names and
// HH:MM times.
func NewWorkingHours(days []string, start, end string) (WorkingHours, error) {
	var h WorkingHours
	for _, d := range days {
		wd, ok := ParseDay(d)
		if !ok {
			return h, Errorf(EINVALID, "Days are mon, tue, wed, thu, fri, sat, sun (got %q).", d)
		}
		h.Days[wd] = true
	}
	if h.Days == [7]bool{} {
		return h, Errorf(EINVALID, "Working hours need at least one day.")
	}
	var err error
	if h.Start, err = ParseClock(start, false); err != nil {
		return h, err
	}
	if h.End, err = ParseClock(end, true); err != nil {
		return h, err
	}
	if h.End <= h.Start {
		return h, Errorf(EINVALID, "The working day must end after it starts (%s-%s).", start, end)
	}
	return h, nil
}

// ParseWorkingHours reads the settings syntax: day ranges or lists, then a
// time range: "mon-fri 09:00-17:00", "mon,wed,fri 08:30-12:00",
// "mon-sun 00:00-24:00".
func ParseWorkingHours(s string) (WorkingHours, error) {
	daysPart, timePart, ok := strings.Cut(strings.TrimSpace(s), " ")
	start, end, ok2 := strings.Cut(strings.TrimSpace(timePart), "-")
	if !ok || !ok2 {
		return WorkingHours{}, Errorf(EINVALID, "Working hours look like \"mon-fri 09:00-17:00\" (got %q).", s)
	}
	var days []string
	for _, part := range strings.Split(daysPart, ",") {
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			days = append(days, part)
			continue
		}
		a, okA := ParseDay(from)
		b, okB := ParseDay(to)
		if !okA || !okB {
			return WorkingHours{}, Errorf(EINVALID, "Days are mon, tue, wed, thu, fri, sat, sun (got %q).", part)
		}
		// Walk Monday-first so "fri-mon" is the long weekend, not an error.
		ia, ib := mondayIndex(a), mondayIndex(b)
		for i := ia; ; i = (i + 1) % 7 {
			days = append(days, dayNames[dayOrder[i]])
			if i == ib {
				break
			}
		}
	}
	return NewWorkingHours(days, strings.TrimSpace(start), strings.TrimSpace(end))
}

func mondayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

// DayList returns the working days, Monday first, as three-letter names.
func (h WorkingHours) DayList() []string {
	out := []string{}
	for _, d := range dayOrder {
		if h.Days[d] {
			out = append(out, dayNames[d])
		}
	}
	return out
}

// String writes h in the settings syntax.
func (h WorkingHours) String() string {
	return h.daysString("-", ",") + " " + FormatClock(h.Start) + "-" + FormatClock(h.End)
}

// Describe writes h for people: "Mon–Fri 09:00–17:30".
func (h WorkingHours) Describe() string {
	s := h.daysString("–", ", ")
	var b strings.Builder
	for i, w := range strings.Split(s, ", ") {
		if i > 0 {
			b.WriteString(", ")
		}
		parts := strings.Split(w, "–")
		for j, p := range parts {
			if j > 0 {
				b.WriteString("–")
			}
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String() + " " + FormatClock(h.Start) + "–" + FormatClock(h.End)
}

// daysString joins runs of consecutive days (Monday first) with rangeSep
// and the runs with listSep.
func (h WorkingHours) daysString(rangeSep, listSep string) string {
	var runs []string
	for i := 0; i < 7; {
		if !h.Days[dayOrder[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && h.Days[dayOrder[j+1]] {
			j++
		}
		switch {
		case j == i:
			runs = append(runs, dayNames[dayOrder[i]])
		case j == i+1:
			runs = append(runs, dayNames[dayOrder[i]], dayNames[dayOrder[j]])
		default:
			runs = append(runs, dayNames[dayOrder[i]]+rangeSep+dayNames[dayOrder[j]])
		}
		i = j + 1
	}
	return strings.Join(runs, listSep)
}

// LoadZone checks an IANA zone name and loads it. The binary embeds the
// zone database, so this works in a container without zoneinfo.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, Errorf(EINVALID, "Give a time zone such as Europe/Berlin (got %q).", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a known time zone; use a name such as Europe/Berlin.", name)
	}
	return loc, nil
}

// Schedule is when one person wants to hear from Baton.
type Schedule struct {
	Zone  *time.Location
	Hours WorkingHours
	Mode  EmailMode
}

func (s Schedule) zone() *time.Location {
	if s.Zone == nil {
		return time.UTC
	}
	return s.Zone
}

// InHours reports whether t falls in the person's working hours.
func (s Schedule) InHours(t time.Time) bool {
	lt := t.In(s.zone())
	if !s.Hours.Days[lt.Weekday()] {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= s.Hours.Start && m < s.Hours.End
}

// NextStart returns the start of the first working period that begins
// after t. A start that falls into a DST gap is moved forward by the gap,
// as the wall clock does. Zero when the schedule has no working day.
func (s Schedule) NextStart(t time.Time) time.Time {
	loc := s.zone()
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 0; i <= 7; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		if !s.Hours.Days[day.Weekday()] {
			continue
		}
		start := time.Date(y, m, d+i, s.Hours.Start/60, s.Hours.Start%60, 0, 0, loc)
		if ls := start.In(loc); ls.Hour()*60+ls.Minute() < s.Hours.Start {
			// The start fell into a DST gap and the time package chose
			// the wall clock before it: move past the gap instead, so
			// nobody hears from us before their day begins.
			_, before := start.Add(-6 * time.Hour).Zone()
			_, after := start.Add(6 * time.Hour).Zone()
			start = start.Add(time.Duration(after-before) * time.Second)
		}
		if start.After(t) {
			return start.UTC()
		}
	}
	return time.Time{}
}

// DueAt is when an email planned at now for a person with schedule s goes
// out: at once when urgent; inside working hours after the bundle window;
// outside them at the start of the next working period; in daily mode at
// the start of the next working day. pending is the due time of the
// person's email already waiting (zero if none): a new item joins it when
// it would go out no later, so a burst becomes one email. ok is false when
// the person gets no email.
func DueAt(s Schedule, now time.Time, bundle time.Duration, urgent bool, pending time.Time) (due time.Time, ok bool) {
	now = now.UTC()
	if s.Mode == EmailOff {
		return time.Time{}, false
	}
	if urgent {
		return now, true
	}
	switch {
	case s.Mode == EmailDaily:
		due = s.NextStart(now)
	case s.InHours(now):
		due = now.Add(bundle)
	default:
		due = s.NextStart(now)
	}
	if due.IsZero() {
		return time.Time{}, false
	}
	if !pending.IsZero() && !pending.After(due) {
		// Never earlier than now: a digest overdue because the sender was
		// down still takes the new item along.
		if pending.Before(now) {
			pending = now
		}
		return pending.UTC(), true
	}
	return due, true
}

// Clock tells the time; tests pass a fake one.
type Clock func() time.Time

// Now returns the current time in UTC (the wall clock when c is nil).
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
