//go:build !jemalloc || !cgo

package jemallocprof

import (
	"runtime"
	"slices"
	"testing"
)

// TestAllocLargeCapacity: large buffers, made rather than grown, get the
// capacity the heap gives them (as growing a slice reports it) and are
// zeroed, also when their memory was used before.
func TestAllocLargeCapacity(t *testing.T) {
	if largeCap(1<<20) == 0 {
		t.Fatal("the heap's rounding of large objects is not what Alloc assumes: Alloc grows every buffer")
	}
	for _, n := range []int{32<<10 - 1, 32 << 10, 32<<10 + 1, 40<<10 - 1, 1<<20 + 1, 64 << 20} {
		for round := range 2 {
			b := Alloc(Other, n)
			if want := cap(slices.Grow([]byte(nil), n)); len(b) != n || cap(b) != want {
				t.Fatalf("Alloc(%d): len %d cap %d, the heap gives %d", n, len(b), cap(b), want)
			}
			for i, c := range b[:cap(b)] {
				if c != 0 {
					t.Fatalf("Alloc(%d), round %d: byte %d is %#x", n, round, i, c)
				}
			}
			// Dirty it, so that the next round may get this memory back.
			full := b[:cap(b)]
			for i := range full {
				full[i] = 0xa5
			}
			Free(Other, b)
			runtime.GC()
		}
	}
}
