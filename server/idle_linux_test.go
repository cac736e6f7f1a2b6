package server

import (
	"testing"
	"time"
)

func TestIdleOfCPUs(t *testing.T) {
	stat := []byte(`cpu  151895 0 67925 874239 1946 0 16760 8738 0 0
cpu0 74528 0 33986 439350 601 0 8069 4256 0 0
cpu1 77367 0 33939 434889 1345 0 8691 4482 0 0
cpu12 1 0 1 1000 0 0 0 0 0 0
intr 123 4 5
ctxt 98765
`)
	all := func(int) bool { return true }
	if d, ok := idleOfCPUs(stat, all); !ok || d != time.Duration(439350+601+434889+1345+1000)*10*time.Millisecond {
		t.Fatalf("every CPU: %v %v", d, ok)
	}
	only := func(cpu int) bool { return cpu == 1 || cpu == 12 }
	if d, ok := idleOfCPUs(stat, only); !ok || d != time.Duration(434889+1345+1000)*10*time.Millisecond {
		t.Fatalf("CPUs 1 and 12: %v %v", d, ok)
	}
	if _, ok := idleOfCPUs(stat, func(int) bool { return false }); ok {
		t.Fatal("no allowed CPU, yet a figure")
	}
	if _, ok := idleOfCPUs([]byte("cpu  1 2 3 4 5\nintr 1\n"), all); ok {
		t.Fatal("no per-CPU line, yet a figure")
	}
	// The live file: at least one CPU of the process's mask.
	if machineIdleTime() < 0 {
		t.Fatal("machineIdleTime cannot read /proc/stat")
	}
}
