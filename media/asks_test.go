package media_test

import (
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

func schedule(t *testing.T, zone, hours string) media.Schedule {
	t.Helper()
	loc, err := media.LoadZone(zone)
	if err != nil {
		t.Fatal(err)
	}
	h, err := media.ParseWorkingHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	return media.Schedule{Zone: loc, Hours: h, Mode: media.EmailWorkingHours}
}

// One deadline, Monday 2 November 2026 17:00 UTC, seen from three zones.
// New York left summer time the day before (09:00 is now 14:00 UTC, not
// 13:00); Berlin left it a week earlier; Tokyo has none, and its last
// working period before the deadline ends long before it.
func TestReminderTimesThreeZonesAcrossDST(t *testing.T) {
	deadline := time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)
	now := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	utc := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		zone, hours string
		want        []time.Time // 24h, 2h, overdue as placed
	}{
		// 24h: Sunday -> Monday 09:00 EST; 2h: 10:00 EST; overdue: 12:00 EST, in hours.
		{"America/New_York", "mon-fri 09:00-17:00", []time.Time{utc(2, 14, 0), utc(2, 15, 0), utc(2, 17, 0)}},
		// 24h: Sunday -> Monday 09:00 CET; 2h: 16:00 CET; overdue: 18:00 CET is after hours -> Tuesday 09:00 CET.
		{"Europe/Berlin", "mon-fri 09:00-17:00", []time.Time{utc(2, 8, 0), utc(2, 15, 0), utc(3, 8, 0)}},
		// 24h: Monday 02:00 JST -> 09:00 JST; 2h: Tuesday 00:00 JST, next start is after the deadline
		// -> end of Monday's period (18:00 JST) less a minute; overdue: Tuesday 09:00 JST.
		{"Asia/Tokyo", "mon-fri 09:00-18:00", []time.Time{utc(2, 0, 0), utc(2, 8, 59), utc(3, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			got := media.ReminderTimes(schedule(t, tt.zone, tt.hours), media.DefaultAskRemind, deadline, now)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d reminders %v, want %v", len(got), got, tt.want)
			}
			for i, w := range tt.want {
				if !got[i].At.Equal(w) {
					t.Errorf("reminder %d at %v, want %v", i, got[i].At, w)
				}
			}
			if !got[len(got)-1].Overdue {
				t.Error("the last reminder is not the overdue one")
			}
		})
	}
}

// Reminders whose time has passed when the ask is set are left out, and
// two that land on the same instant become one.
func TestReminderTimesSkipsPastAndDuplicates(t *testing.T) {
	s := schedule(t, "Europe/Berlin", "mon-fri 09:00-17:00")
	deadline := time.Date(2026, 12, 11, 17, 0, 0, 0, time.UTC) // Fri 18:00 CET
	now := time.Date(2026, 12, 11, 10, 0, 0, 0, time.UTC)      // 24h mark passed
	got := media.ReminderTimes(s, []time.Duration{24 * time.Hour, 2 * time.Hour, 90 * time.Minute}, deadline, now)
	// 2h -> 16:00 CET = 15:00 UTC; 1h30 -> 16:30 CET = 15:30 UTC; overdue -> Monday 09:00 CET.
	want := []time.Time{
		time.Date(2026, 12, 11, 15, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 11, 15, 30, 0, 0, time.UTC),
		time.Date(2026, 12, 14, 8, 0, 0, 0, time.UTC),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i]) {
			t.Errorf("reminder %d at %v, want %v", i, got[i].At, want[i])
		}
	}
	// A Saturday deadline: 24h and 2h both fall outside hours with no
	// start before the deadline, so both go to Friday 16:59 and merge.
	sat := time.Date(2026, 12, 12, 12, 0, 0, 0, time.UTC)
	got = media.ReminderTimes(s, []time.Duration{20 * time.Hour, 2 * time.Hour}, sat, now)
	if len(got) != 2 || !got[0].At.Equal(time.Date(2026, 12, 11, 15, 59, 0, 0, time.UTC)) || !got[1].Overdue {
		t.Fatalf("Saturday deadline: got %v", got)
	}
}

func TestFormatDeadline(t *testing.T) {
	loc, _ := media.LoadZone("Europe/Berlin")
	if got, want := media.FormatDeadline(time.Date(2026, 12, 11, 17, 0, 0, 0, time.UTC), loc), "Fri 11 Dec, 18:00 (Europe/Berlin)"; got != want {
		t.Fatalf("FormatDeadline = %q, want %q", got, want)
	}
}

func TestAskSummaryText(t *testing.T) {
	if got, want := (media.AskSummary{Total: 5, Answered: 2, Overdue: 1}).Text(), "2 of 5 replied, 1 overdue"; got != want {
		t.Fatalf("Text = %q, want %q", got, want)
	}
}
