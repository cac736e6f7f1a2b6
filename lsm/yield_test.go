package lsm

import (
	"testing"
	"time"
)

// TestBGYield: a background loop yields once per quantum of its work, read
// on the clock every bgYieldCheck entries, and never while the quantum
// lasts.
func TestBGYield(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	yields := 0
	y := bgYield{now: func() time.Time { return clock }, yield: func() { yields++ }}
	ticks := func(n int) {
		for range n {
			y.tick()
		}
	}
	ticks(10 * bgYieldCheck) // the clock stands still: no quantum ends
	if yields != 0 {
		t.Fatalf("%d yields within a quantum", yields)
	}
	clock = clock.Add(bgYieldQuantum - time.Microsecond)
	ticks(bgYieldCheck)
	if yields != 0 {
		t.Fatalf("%d yields before the quantum ended", yields)
	}
	clock = clock.Add(time.Microsecond)
	ticks(bgYieldCheck - 1)
	if yields != 0 {
		t.Fatalf("%d yields between clock readings", yields)
	}
	ticks(1)
	if yields != 1 {
		t.Fatalf("%d yields at the quantum's end, want 1", yields)
	}
	// The next quantum starts at the yield.
	ticks(5 * bgYieldCheck)
	clock = clock.Add(3 * bgYieldQuantum)
	ticks(bgYieldCheck)
	if yields != 2 {
		t.Fatalf("%d yields after the second quantum, want 2", yields)
	}
}
