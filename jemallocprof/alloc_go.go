//go:build !jemalloc || !cgo

package jemallocprof

import (
	"slices"
	"sort"
	"sync"
)

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

// AllocUninit is Alloc for a caller that writes all n bytes before it
// reads any (a block read or decoded into the buffer): the contents are
// unspecified. In this build it hands out a block buffer Free kept, if
// one of n's size class is at hand, and otherwise a zeroed one from the
// heap.
//
// Keeping them is what makes it worth having. A block cache miss
// allocates a block and evicts one of about its size; left to the garbage
// collector, the evicted blocks' memory comes back on pages the runtime
// has meanwhile returned to the kernel, which faults them in again,
// zeroed: on a server after a round of redis-benchmark, SET -P 1 spent 4%
// of its CPU in the kernel's clear_page under block allocations, and
// another 4% zeroing them again.
func AllocUninit(p Purpose, n int) []byte {
	if n <= 0 {
		return nil
	}
	if b := takeRecycled(n); b != nil {
		noteAlloc(b)
		counted(p, cap(b))
		return b
	}
	return Alloc(p, n)
}

// Free returns a buffer from Alloc or AllocUninit. In this build a block
// buffer (BlockCache or IteratorPinned) of a recycled size class is kept
// for AllocUninit while the kept ones hold less than maxRecycled bytes,
// counted under Recycled; the rest goes back to the Go garbage collector
// once nothing references it. The purpose's counters drop at once. (In
// the invariants build a kept buffer is poisoned like any freed one, and
// not among those FreedReachable looks for.)
func Free(p Purpose, b []byte) {
	if cap(b) == 0 {
		return
	}
	if c := recycleClass(cap(b)); c >= 0 && recycleCaps[c] == cap(b) && (p == BlockCache || p == IteratorPinned) {
		full := noteRecycled(b)
		uncounted(p, cap(b))
		if !keepRecycled(c, full) {
			noteFreed(full)
		}
		return
	}
	noteFree(b)
	uncounted(p, cap(b))
}

// The buffers Free keeps: the heap's small-object size classes from
// recycleMin up to largeObjectMin (recycleCaps, in increasing order, found
// at start-up from what growing a slice reports), a stack per class, at
// most maxRecycled bytes in all. Smaller buffers cost little to zero and
// larger ones are rare; the bound is a few hundred blocks, which covers a
// miss's allocation before its eviction and a burst of evictions, and
// keeps the buffers' memory from outliving a shrinking cache by much.
const (
	recycleMin  = 2 << 10
	maxRecycled = 4 << 20
)

// SizeClass returns the capacity Alloc(p, n) gives a buffer of n bytes
// (n > 0): what the heap sets aside for it.
func SizeClass(n int) int {
	if c := largeCap(n); c > 0 {
		return c
	}
	if n > largeObjectMin {
		return cap(slices.Grow([]byte(nil), n)) // rounding unknown (largeRounding)
	}
	return smallCaps[sort.SearchInts(smallCaps, n)]
}

var (
	// smallCaps are the heap's small-object size classes.
	smallCaps   = heapClasses(1, largeObjectMin)
	recycleCaps = smallCaps[sort.SearchInts(smallCaps, recycleMin):]
	recycled    struct {
		mu    sync.Mutex
		bytes int
		lists [][][]byte // per class
	}
)

func init() { recycled.lists = make([][][]byte, len(recycleCaps)) }

// heapClasses returns the capacities the heap gives objects of lo to hi
// bytes, each once, in increasing order.
func heapClasses(lo, hi int) []int {
	var caps []int
	for n := lo; n <= hi; {
		c := cap(slices.Grow([]byte(nil), n))
		caps = append(caps, c)
		n = c + 1
	}
	return caps
}

// recycleClass returns the index of the smallest recycled class that holds
// n bytes, or -1 if n is outside them.
func recycleClass(n int) int {
	if n < recycleMin || n > largeObjectMin {
		return -1
	}
	if c := sort.SearchInts(recycleCaps, n); c < len(recycleCaps) {
		return c
	}
	return -1
}

// takeRecycled returns a kept buffer of n's class, cut to n, or nil.
func takeRecycled(n int) []byte {
	c := recycleClass(n)
	if c < 0 {
		return nil
	}
	recycled.mu.Lock()
	l := recycled.lists[c]
	if len(l) == 0 {
		recycled.mu.Unlock()
		return nil
	}
	b := l[len(l)-1]
	l[len(l)-1] = nil
	recycled.lists[c] = l[:len(l)-1]
	recycled.bytes -= cap(b)
	recycled.mu.Unlock()
	uncounted(Recycled, cap(b))
	return b[:n]
}

// keepRecycled keeps b, just freed and of recycled class c, if there is
// room, and reports whether it did.
func keepRecycled(c int, b []byte) bool {
	recycled.mu.Lock()
	if recycled.bytes+cap(b) > maxRecycled {
		recycled.mu.Unlock()
		return false
	}
	recycled.lists[c] = append(recycled.lists[c], b[:0])
	recycled.bytes += cap(b)
	recycled.mu.Unlock()
	counted(Recycled, cap(b))
	return true
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
