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

// TestRecycleClasses: the recycled classes are the heap's own, and
// recycleClass finds the one the heap would give n bytes.
func TestRecycleClasses(t *testing.T) {
	if len(recycleCaps) == 0 || recycleCaps[len(recycleCaps)-1] != largeObjectMin {
		t.Fatalf("recycled classes %v do not end at %d", recycleCaps, largeObjectMin)
	}
	for i, c := range recycleCaps {
		if got := cap(slices.Grow([]byte(nil), c)); got != c || i > 0 && c <= recycleCaps[i-1] {
			t.Fatalf("class %d: %d (the heap gives %d), after %v", i, c, got, recycleCaps[:i])
		}
	}
	for n := 1; n <= largeObjectMin+1; n++ {
		c := recycleClass(n)
		switch want := cap(slices.Grow([]byte(nil), n)); {
		case n < recycleMin || n > largeObjectMin:
			if c != -1 {
				t.Fatalf("recycleClass(%d) = %d, want -1", n, c)
			}
		case c < 0 || recycleCaps[c] != want:
			t.Fatalf("recycleClass(%d) = %d, want the class of %d", n, c, want)
		}
	}
}

// TestAllocUninitRecycles: a block buffer Free takes back comes out of
// AllocUninit again (where the build recycles), counted under Recycled
// meanwhile, and never out of Alloc, whose buffers stay zeroed; buffers of
// other purposes are not kept, and the kept ones stay under maxRecycled.
func TestAllocUninitRecycles(t *testing.T) {
	const n = 4000
	size := cap(slices.Grow([]byte(nil), n))
	dropRecycled() // earlier tests' blocks
	total0, kept0 := TotalLive(), Live(Recycled)
	b := AllocUninit(BlockCache, n)
	if len(b) != n || cap(b) != size {
		t.Fatalf("AllocUninit(%d): len %d cap %d, the heap gives %d", n, len(b), cap(b), size)
	}
	full := b[:cap(b)]
	for i := range full {
		full[i] = 0xa5
	}
	Free(BlockCache, b)
	want := int64(size)
	if got := Live(Recycled) - kept0; got != want || TotalLive()-total0 != want {
		t.Fatalf("after Free: recycled grew by %d, total by %d; want %d", got, TotalLive()-total0, want)
	}
	z := Alloc(IteratorPinned, n)
	for i, c := range z[:cap(z)] {
		if c != 0 {
			t.Fatalf("Alloc(%d) after a Free: byte %d is %#x", n, i, c)
		}
	}
	u := AllocUninit(IteratorPinned, n)
	if &u[0] != &b[0] {
		t.Fatal("AllocUninit did not return the freed buffer")
	}
	if Live(Recycled) != kept0 || Live(IteratorPinned) < int64(2*size) {
		t.Fatalf("after AllocUninit: recycled %d (was %d), pinned %d", Live(Recycled), kept0, Live(IteratorPinned))
	}
	Free(IteratorPinned, z)
	Free(IteratorPinned, u)
	Free(Other, Alloc(Other, n)) // not a block: not kept
	if got := Live(Recycled) - kept0; got != 2*want {
		t.Fatalf("recycled grew by %d, want %d (two blocks)", got, 2*want)
	}
	// A burst of frees keeps at most maxRecycled bytes.
	var bufs [][]byte
	for range 2 * maxRecycled / size {
		bufs = append(bufs, AllocUninit(BlockCache, n))
	}
	for _, b := range bufs {
		Free(BlockCache, b)
	}
	if got := Live(Recycled); got > maxRecycled || got < maxRecycled-int64(size) {
		t.Fatalf("after %d frees: %d bytes kept, bound %d", len(bufs), got, maxRecycled)
	}
	dropRecycled()
	if Live(Recycled) != 0 {
		t.Fatalf("%d bytes counted as recycled with none kept", Live(Recycled))
	}
}

// dropRecycled lets the garbage collector have the kept buffers.
func dropRecycled() {
	for {
		b := takeRecycledAny()
		if b == nil {
			return
		}
	}
}

// takeRecycledAny takes a kept buffer of any class, or returns nil.
func takeRecycledAny() []byte {
	for _, c := range recycleCaps {
		if b := takeRecycled(c); b != nil {
			return b
		}
	}
	return nil
}

// TestSizeClass: SizeClass says the capacity Alloc gives.
func TestSizeClass(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 100, 2047, 2048, 2049, 4097, 4121, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100 << 10} {
		b := Alloc(Other, n)
		if got := SizeClass(n); got != cap(b) {
			t.Errorf("SizeClass(%d) = %d, Alloc gives %d", n, got, cap(b))
		}
		Free(Other, b)
	}
}
