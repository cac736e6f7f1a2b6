//go:build invariants

package jemallocprof

import (
	"runtime"
	"sync"
	"weak"
)

// In the invariants build of the pure-Go allocator, the most recently
// freed buffers are remembered through weak pointers, so that a test can
// ask whether the program still references memory it freed: a pool, a
// closed iterator or a finished compaction that keeps a slice of a freed
// block. In this build that keeps memory alive which no counter shows; in
// the jemalloc build the same slice points into memory jemalloc has
// reused. (Off-heap buffers cannot be watched this way: the jemalloc
// build records nothing.)
const freedRingLen = 1 << 14

var freed struct {
	mu   sync.Mutex
	ring [freedRingLen]freedBuf
	seq  uint64 // Frees recorded so far
}

type freedBuf struct {
	p   weak.Pointer[byte]
	n   int
	seq uint64 // its position among the Frees, to skip newer ones
}

// noteFreed records b, which has just been freed.
func noteFreed(b []byte) {
	if OffHeap {
		return
	}
	p := weak.Make(&b[:1][0])
	freed.mu.Lock()
	freed.ring[freed.seq%freedRingLen] = freedBuf{p: p, n: cap(b), seq: freed.seq}
	freed.seq++
	freed.mu.Unlock()
}

// FreedReachable collects garbage twice (a sync.Pool keeps what it holds
// through one collection) and returns how many of the last 16384 buffers
// freed before the call something still references, and their bytes.
// Buffers freed while it runs are not looked at. ok is false where
// nothing is recorded: without the invariants build tag, or in the
// jemalloc build.
func FreedReachable() (n int, bytes int64, ok bool) {
	if OffHeap {
		return 0, 0, false
	}
	freed.mu.Lock()
	upto := freed.seq
	freed.mu.Unlock()
	runtime.GC()
	runtime.GC()
	freed.mu.Lock()
	defer freed.mu.Unlock()
	for i := range freed.ring {
		f := &freed.ring[i]
		if f.seq < upto && f.n > 0 && f.p.Value() != nil {
			n++
			bytes += int64(f.n)
		}
	}
	return n, bytes, true
}
