package sysinfo

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		// utime 250 ticks, stime 75: 3.25 s.
		{"4242 (strata-server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 0 0", 3250 * time.Millisecond, true},
		// A command name with spaces and parentheses.
		{"7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0", 30 * time.Millisecond, true},
		{"7 (short) R 1 2 3", 0, false},
		{"no parenthesis 1 2 3", 0, false},
		{"7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 2 0", 0, false},
	} {
		got, ok := parseStatCPU(tc.stat)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v, %v", tc.stat, got, ok, tc.want, tc.ok)
		}
	}
}

// TestProcessCPU reads this process's own figure, which a busy loop
// must make grow.
func TestProcessCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	before, ok := ProcessCPU(os.Getpid())
	if !ok {
		t.Fatal("ProcessCPU of this process failed")
	}
	var after time.Duration
	start := time.Now()
	for x := 0; time.Since(start) < 10*time.Second; x++ {
		if x%(1<<20) == 0 {
			if after, ok = ProcessCPU(os.Getpid()); !ok || after > before {
				break
			}
		}
	}
	if !ok || after <= before {
		t.Fatalf("CPU time %v then %v, %v", before, after, ok)
	}
	if _, ok := ProcessCPU(-1); ok {
		t.Fatal("ProcessCPU(-1) succeeded")
	}
}
