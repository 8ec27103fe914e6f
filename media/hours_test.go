package media

import (
	"strings"
	"testing"
	"time"
	// Zones come from the binary, not the machine, as in cmd/baton.
	_ "time/tzdata"
)

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func mustHours(tb testing.TB, s string) WorkingHours {
	tb.Helper()
	h, err := ParseWorkingHours(s)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDueAt(t *testing.T) {
	const bundle = 2 * time.Minute
	// 2026-03-06 is a Friday. US clocks spring forward on Sunday
	// 2026-03-08, European ones on 2026-03-29; Adelaide falls back on
	// 2026-04-05.
	tests := []struct {
		name    string
		zone    string
		hours   string
		mode    EmailMode
		now     string // UTC
		urgent  bool
		pending string // UTC, "" for none
		want    string // UTC, "" for no email
	}{
		{"tokyo friday evening waits for monday", "Asia/Tokyo", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-06 10:00", false, "", "2026-03-09 00:00"},
		{"berlin in hours bundles", "Europe/Berlin", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-06 10:00", false, "", "2026-03-06 10:02"},
		{"los angeles night waits for morning", "America/Los_Angeles", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-06 10:00", false, "", "2026-03-06 17:00"},
		{"los angeles across spring forward", "America/Los_Angeles", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-07 04:00", false, "", "2026-03-09 16:00"},
		{"berlin across spring forward", "Europe/Berlin", "mon-fri 09:00-17:30", EmailWorkingHours, "2026-03-27 17:00", false, "", "2026-03-30 07:00"},
		{"berlin across fall back", "Europe/Berlin", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-10-23 18:00", false, "", "2026-10-26 08:00"},
		{"kolkata half hour offset", "Asia/Kolkata", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 03:00", false, "", "2026-03-09 03:30"},
		{"kolkata just inside", "Asia/Kolkata", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 03:30", false, "", "2026-03-09 03:32"},
		{"kolkata end is exclusive", "Asia/Kolkata", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 11:30", false, "", "2026-03-10 03:30"},
		{"adelaide across its fall back", "Australia/Adelaide", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-04-03 08:00", false, "", "2026-04-05 23:30"},
		{"start inside a dst gap moves with the clock", "America/Los_Angeles", "sun 02:30-05:00", EmailWorkingHours, "2026-03-07 20:00", false, "", "2026-03-08 10:30"},
		{"daily waits for the next day even in hours", "Europe/Berlin", "mon-fri 09:00-17:00", EmailDaily, "2026-03-09 10:00", false, "", "2026-03-10 08:00"},
		{"daily before the day starts is today", "Europe/Berlin", "mon-fri 09:00-17:00", EmailDaily, "2026-03-09 06:00", false, "", "2026-03-09 08:00"},
		{"off sends nothing", "Europe/Berlin", "mon-fri 09:00-17:00", EmailOff, "2026-03-09 10:00", false, "", ""},
		{"urgent goes at 3 am", "Asia/Tokyo", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-08 18:00", true, "", "2026-03-08 18:00"},
		{"whole week with 24:00", "UTC", "mon-sun 00:00-24:00", EmailWorkingHours, "2026-03-08 23:59", false, "", "2026-03-09 00:01"},
		{"joins a waiting bundle", "Europe/Berlin", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 10:01", false, "2026-03-09 10:02", "2026-03-09 10:02"},
		{"joins a held digest", "Asia/Tokyo", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-06 11:00", false, "2026-03-09 00:00", "2026-03-09 00:00"},
		{"overdue pending goes now", "Europe/Berlin", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 10:05", false, "2026-03-09 09:00", "2026-03-09 10:05"},
		{"later pending is not waited for", "Europe/Berlin", "mon-fri 09:00-17:00", EmailWorkingHours, "2026-03-09 10:00", false, "2026-03-10 08:00", "2026-03-09 10:02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Zone: mustZone(t, tt.zone), Hours: mustHours(t, tt.hours), Mode: tt.mode}
			var pending time.Time
			if tt.pending != "" {
				pending = utc(tt.pending)
			}
			got, ok := DueAt(s, utc(tt.now), bundle, tt.urgent, pending)
			if tt.want == "" {
				if ok {
					t.Fatalf("DueAt = %v, want no email", got)
				}
				return
			}
			if !ok {
				t.Fatalf("DueAt: no email, want %s", tt.want)
			}
			if want := utc(tt.want); !got.Equal(want) {
				t.Fatalf("DueAt = %v (%v local), want %v", got, got.In(s.Zone), want)
			}
			// Whatever is not urgent never goes out at night.
			if !tt.urgent && !s.InHours(got) {
				t.Fatalf("due %v (%v local) is outside working hours", got, got.In(s.Zone))
			}
		})
	}
}

func TestParseWorkingHours(t *testing.T) {
	tests := []struct {
		in, want, describe string
	}{
		{"mon-fri 09:00-17:00", "mon-fri 09:00-17:00", "Mon–Fri 09:00–17:00"},
		{"mon-sun 00:00-24:00", "mon-sun 00:00-24:00", "Mon–Sun 00:00–24:00"},
		{"mon,wed,fri 08:30-12:00", "mon,wed,fri 08:30-12:00", "Mon, Wed, Fri 08:30–12:00"},
		{"fri-mon 10:00-14:00", "mon,fri-sun 10:00-14:00", "Mon, Fri–Sun 10:00–14:00"},
		{"sat,sun 09:00-17:30", "sat,sun 09:00-17:30", "Sat, Sun 09:00–17:30"},
	}
	for _, tt := range tests {
		h, err := ParseWorkingHours(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got := h.String(); got != tt.want {
			t.Errorf("%q: String = %q, want %q", tt.in, got, tt.want)
		}
		if got := h.Describe(); got != tt.describe {
			t.Errorf("%q: Describe = %q, want %q", tt.in, got, tt.describe)
		}
	}
	for _, bad := range []string{"", "mon-fri", "mon-fri 9-5", "xyz 09:00-17:00", "mon-fri 17:00-09:00", "mon-fri 09:00-24:01", "mon-fri 24:00-24:00", "mon-fri 09:60-10:00"} {
		if _, err := ParseWorkingHours(bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: err = %v, want EINVALID", bad, err)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for _, ok := range []string{"Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide", "UTC"} {
		if _, err := LoadZone(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime"} {
		if _, err := LoadZone(bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: err = %v, want EINVALID", bad, err)
		}
	}
}

func TestMentioned(t *testing.T) {
	members := []*User{
		{ID: "1", Name: "Ana Lima", Email: "ana@example.com"},
		{ID: "2", Name: "Anabel Ruiz", Email: "a.ruiz@example.com"},
		{ID: "3", Name: "Bo Chen", Email: "bo@example.com"},
		{ID: "4", Name: "Bo Li", Email: "boli@example.com"},
	}
	tests := []struct {
		body string
		want []string
	}{
		{"@ana please look", []string{"1"}},
		{"@Anabel and @ana lima", []string{"1", "2"}},
		{"@anab", nil},
		{"mail ana@example.com", nil},
		{"@bo what do you think", []string{"3"}}, // bo@example.com; "Bo" alone is shared
		{"@boli, @a.ruiz.", []string{"2", "4"}},
		{"no mentions here", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, u := range Mentioned(tt.body, members) {
			got = append(got, u.ID)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Mentioned(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
