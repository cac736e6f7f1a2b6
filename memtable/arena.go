package memtable

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// maxArenaSize is the largest arena a memtable accepts: node offsets are
// uint32.
const maxArenaSize = 1 << 32

// arenaAlign is the alignment of every allocation. Node links are accessed
// with 32-bit atomics, so nodes must start on a 4-byte boundary; rounding
// every allocation up to a multiple of arenaAlign keeps the next one aligned.
const arenaAlign = 4

// arena is a bump allocator over a caller-supplied byte slice. Allocations
// are never freed; the whole arena goes away with the memtable. Offsets are
// uint32, and offset 0 is never handed out, so it serves as the nil offset.
//
// alloc is safe for concurrent use: the allocation cursor advances with a
// compare-and-swap, and a failed allocation leaves it untouched, so the
// cursor is always exactly the number of bytes in use.
type arena struct {
	buf []byte
	// n is the allocation cursor: buf[:n] is in use (including the unused
	// prefix that aligns the first node and keeps offset 0 free).
	n atomic.Uint64
}

func (a *arena) init(buf []byte) {
	if uint64(len(buf)) > maxArenaSize {
		panic(fmt.Sprintf("memtable: arena of %d bytes exceeds the 4 GiB limit", len(buf)))
	}
	if len(buf) == 0 {
		panic("memtable: empty arena")
	}
	a.buf = buf
	// Skip to the first aligned address past offset 0, so that offset 0
	// stays the nil offset and every node is aligned in memory, whatever
	// the alignment of the caller's slice.
	start := uint64(arenaAlign - uintptr(unsafe.Pointer(&buf[0]))%arenaAlign)
	a.n.Store(min(start, uint64(len(buf))))
}

// size returns the number of bytes in use.
func (a *arena) size() uint64 { return a.n.Load() }

// capacity returns the arena's length.
func (a *arena) capacity() uint64 { return uint64(len(a.buf)) }

// allocSize is the number of arena bytes an allocation of size bytes uses.
func allocSize(size uint64) uint64 {
	return (size + arenaAlign - 1) &^ (arenaAlign - 1)
}

// alloc allocates allocSize(size) bytes and returns their offset. It returns
// false, allocating nothing, if they do not fit.
func (a *arena) alloc(size uint64) (uint32, bool) {
	size = allocSize(size)
	for {
		old := a.n.Load()
		if old+size > uint64(len(a.buf)) {
			return 0, false
		}
		if a.n.CompareAndSwap(old, old+size) {
			return uint32(old), true
		}
	}
}

// word returns the 32-bit word at off for atomic access. off must be
// 4-byte aligned in memory (see arenaAlign).
func (a *arena) word(off uint64) *atomic.Uint32 {
	return (*atomic.Uint32)(unsafe.Pointer(&a.buf[off]))
}
