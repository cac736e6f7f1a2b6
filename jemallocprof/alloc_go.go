//go:build !jemalloc || !cgo

package jemallocprof

import "slices"

// Alloc returns a zeroed buffer of n bytes counted under p. Its capacity
// is the size the Go heap really gives it (n rounded up to the heap's size
// class, or to whole pages past 32 KiB), so that the counters say what
// the heap holds. The caller must hand it back with Free.
func Alloc(p Purpose, n int) []byte {
	if n <= 0 {
		return nil
	}
	var b []byte
	if c := largeCap(n); c > 0 {
		// A large object: make zeroes it in preemptible chunks, and not
		// at all when its pages come fresh from the OS (they are zero).
		// Growing a nil slice zeroed all of it in one memclr, faulting
		// fresh pages in: 150-400 ms of CPU for a 64 MiB memtable
		// arena on a shared 2-core machine.
		b = make([]byte, n, c)
	} else {
		// Growing a nil slice allocates the rounded size and reports it
		// as the capacity (make([]byte, n) would hide the rounding);
		// append zeroes the whole of it.
		b = slices.Grow([]byte(nil), n)[:n]
	}
	noteAlloc(b)
	counted(p, cap(b))
	return b
}

// Free returns a buffer from Alloc. In this build the memory goes back to
// the Go garbage collector once nothing references it; the counters drop
// at once.
func Free(p Purpose, b []byte) {
	if cap(b) == 0 {
		return
	}
	noteFree(b)
	uncounted(p, cap(b))
}

// OffHeap reports whether Alloc's memory lives outside the Go heap.
const OffHeap = false

// The Go heap rounds an object past 32 KiB up to whole 8 KiB pages
// (runtime.roundupsize).
const (
	largeObjectMin = 32 << 10
	heapPageSize   = 8 << 10
)

// largeRounding says whether the heap rounds large objects as
// largeObjectMin and heapPageSize say, checked once against what growing
// a slice reports; if a Go release changes that, Alloc grows slices for
// every size, as it did before.
var largeRounding = func() bool {
	const n = largeObjectMin + heapPageSize + 1
	return cap(slices.Grow([]byte(nil), n)) == (n+heapPageSize-1)&^(heapPageSize-1)
}()

// largeCap returns the capacity the heap gives an object of n bytes if it
// is a large one, and 0 otherwise.
func largeCap(n int) int {
	if n <= largeObjectMin || !largeRounding {
		return 0
	}
	return (n + heapPageSize - 1) &^ (heapPageSize - 1)
}
