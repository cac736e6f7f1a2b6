//go:build invariants

package jemallocprof

import (
	"runtime"
	"strings"
	"testing"
)

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		if s, _ := r.(string); !strings.Contains(s, want) {
			t.Fatalf("panic %v, want one mentioning %q", r, want)
		}
	}()
	f()
}

func TestInvariantsCatchBadFrees(t *testing.T) {
	before := stat(Other)
	b := Alloc(Other, 4096)
	mustPanic(t, "not a live buffer", func() { Free(Other, b[1:]) })
	mustPanic(t, "with capacity", func() { Free(Other, b[:10:10]) })
	if OffHeap {
		Free(Other, b)
	} else {
		// In the pure-Go build the freed memory stays readable, poisoned.
		keep := b
		Free(Other, b)
		for i, c := range keep {
			if c != poison {
				t.Fatalf("byte %d of a freed buffer is %#x, want the poison %#x", i, c, poison)
			}
		}
	}
	mustPanic(t, "not a live buffer", func() { Free(Other, b) })
	mustPanic(t, "not a live buffer", func() { Free(Other, make([]byte, 10)) })
	if s := stat(Other); s.Live != before.Live || s.LiveAllocs != before.LiveAllocs {
		t.Fatalf("refused Frees changed the counters: %+v (before %+v)", s, before)
	}
}

// TestFreedReachable: a freed buffer something still references is
// reported until the reference goes.
func TestFreedReachable(t *testing.T) {
	if OffHeap {
		if _, _, ok := FreedReachable(); ok {
			t.Fatal("the jemalloc build cannot watch off-heap buffers")
		}
		return
	}
	n0, b0, ok := FreedReachable()
	if !ok {
		t.Fatal("the invariants build records nothing")
	}
	kept := Alloc(Other, 5000)
	Free(Other, kept)
	n, b, _ := FreedReachable()
	if n != n0+1 || b != b0+int64(cap(kept)) {
		t.Fatalf("with a freed buffer kept: %d buffers, %d bytes (before: %d, %d)", n, b, n0, b0)
	}
	runtime.KeepAlive(kept)
	kept = nil
	if n, b, _ := FreedReachable(); n != n0 || b != b0 {
		t.Fatalf("once dropped: %d buffers, %d bytes (before: %d, %d)", n, b, n0, b0)
	}
}
