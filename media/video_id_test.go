package media

import (
	"sort"
	"testing"
)

// Ids made in a burst (many per millisecond) sort in the order they were
// made, and stay unique.
func TestNewIDSortsInOrderMade(t *testing.T) {
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = NewID()
	}
	if !sort.StringsAreSorted(ids) {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Fatalf("ids[%d] = %s sorts before ids[%d] = %s", i, ids[i], i-1, ids[i-1])
			}
		}
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	if v := ids[0][14]; v != '7' {
		t.Fatalf("version nibble = %c, want 7", v)
	}
}

func TestMonotonicMsBorrowsTheNextMillisecond(t *testing.T) {
	var c monotonicMs
	ms, seq := c.next(100)
	if ms != 100 || seq != 0 {
		t.Fatalf("first = %d/%d", ms, seq)
	}
	for i := 1; i <= 0x0fff; i++ {
		if ms, seq = c.next(100); ms != 100 || int(seq) != i {
			t.Fatalf("step %d = %d/%d", i, ms, seq)
		}
	}
	if ms, seq = c.next(100); ms != 101 || seq != 0 {
		t.Fatalf("after a full counter = %d/%d, want 101/0", ms, seq)
	}
	if ms, seq = c.next(99); ms != 101 || seq != 1 {
		t.Fatalf("clock went back = %d/%d, want 101/1", ms, seq)
	}
}
