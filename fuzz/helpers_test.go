package fuzz

import (
	"runtime/metrics"
	"testing"
)

// allocSlack is the fixed part of every allocation budget: the heap metric
// counts a whole span when a small-object cache is refilled, so it may run
// ahead of the real allocations by a few spans per size class.
const allocSlack = 4 << 20

var heapAllocSample = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

// heapAllocated returns the bytes the process has allocated on the heap so
// far (cumulative, not live).
func heapAllocated() uint64 {
	metrics.Read(heapAllocSample)
	return heapAllocSample[0].Value.Uint64()
}

// linearBudget is the allocation budget of a reader of inputLen untrusted
// bytes that may allocate perByte bytes per input byte.
func linearBudget(inputLen int, perByte uint64) uint64 {
	return perByte*uint64(inputLen) + allocSlack
}

// checkAllocs runs fn and fails t if fn allocated more than budget bytes:
// a reader that allocates from a declared length fails it.
func checkAllocs(t *testing.T, what string, budget uint64, fn func()) {
	t.Helper()
	before := heapAllocated()
	fn()
	if got := heapAllocated() - before; got > budget {
		t.Fatalf("%s allocated %d bytes (budget %d)", what, got, budget)
	}
}
