//go:build !jemalloc || !cgo

package jemallocprof

// Alloc returns a zeroed buffer of n bytes counted under p. The caller
// must hand it back with Free.
func Alloc(p Purpose, n int) []byte {
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	noteAlloc(b)
	table[p].add(int64(cap(b)))
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
	table[p].sub(int64(cap(b)))
}

// OffHeap reports whether Alloc's memory lives outside the Go heap.
const OffHeap = false
