//go:build invariants

package jemallocprof

import (
	"fmt"
	"sync"
	"unsafe"
)

// With the invariants build tag every buffer Alloc hands out is recorded
// until its Free, so that a Free of a buffer that is not live (freed
// twice, never allocated here, or resliced past its first byte) panics at
// once, and freed memory is poisoned before it is released: a reader that
// still uses a buffer after its Free sees 0xdb bytes and fails loudly, in
// the pure-Go build as in the jemalloc one. Keeping the slice in the set
// also keeps a leaked buffer's address from being reused by the Go heap.
var live struct {
	mu   sync.Mutex
	bufs map[uintptr][]byte
}

// poison is the byte freed memory is filled with.
const poison = 0xdb

func noteAlloc(b []byte) {
	key := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.bufs == nil {
		live.bufs = make(map[uintptr][]byte)
	}
	if _, ok := live.bufs[key]; ok {
		panic(fmt.Sprintf("jemallocprof: Alloc returned %#x, which is still live", key))
	}
	live.bufs[key] = b[:cap(b)]
}

func noteFree(b []byte) {
	noteFreed(noteRecycled(b))
}

// noteRecycled is noteFree for a buffer Free keeps for AllocUninit: it is
// no longer live, and poisoned, but not recorded as freed (the pool
// references it). It returns the buffer at its full capacity.
func noteRecycled(b []byte) []byte {
	key := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	live.mu.Lock()
	got, ok := live.bufs[key]
	if ok && cap(got) == cap(b) {
		delete(live.bufs, key)
	}
	live.mu.Unlock()
	if !ok {
		panic(fmt.Sprintf("jemallocprof: Free of %#x (%d bytes), which is not a live buffer (double Free, or not from Alloc)", key, cap(b)))
	}
	if cap(got) != cap(b) {
		panic(fmt.Sprintf("jemallocprof: Free of %#x with capacity %d, allocated with %d", key, cap(b), cap(got)))
	}
	fill(got, poison)
	return got
}

// fill sets every byte of b to c, doubling the copied span each step.
func fill(b []byte, c byte) {
	if len(b) == 0 {
		return
	}
	b[0] = c
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// Invariants reports whether the invariants checks are compiled in.
const Invariants = true

// Poison fills b with the byte freed memory is filled with (0xdb), for a
// buffer that stays allocated but must no longer be read (a memtable
// arena kept for reuse). Without the invariants build it does nothing.
func Poison(b []byte) { fill(b, poison) }
