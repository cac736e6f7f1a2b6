//go:build !invariants

package jemallocprof

func noteAlloc([]byte) {}

func noteFree([]byte) {}

func noteRecycled(b []byte) []byte { return b[:cap(b)] }

// Invariants reports whether the invariants checks are compiled in.
const Invariants = false

// Poison does nothing without the invariants build (see live_on.go).
func Poison([]byte) {}
