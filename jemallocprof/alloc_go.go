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
	// Growing a nil slice allocates the rounded size and reports it as
	// the capacity (make([]byte, n) would hide the rounding); append
	// zeroes the whole of it.
	b := slices.Grow([]byte(nil), n)[:n]
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
