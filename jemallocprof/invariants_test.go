//go:build invariants

package jemallocprof

import (
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
