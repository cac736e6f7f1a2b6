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

// checkAllocs runs fn and fails t if fn allocated more than
// perByte*inputLen+allocSlack bytes: a reader of inputLen untrusted bytes
// that allocates from a declared length fails it.
func checkAllocs(t *testing.T, what string, inputLen int, perByte uint64, fn func()) {
	t.Helper()
	before := heapAllocated()
	fn()
	got := heapAllocated() - before
	if budget := perByte*uint64(inputLen) + allocSlack; got > budget {
		t.Fatalf("%s allocated %d bytes for %d bytes of input (budget %d)", what, got, inputLen, budget)
	}
}
