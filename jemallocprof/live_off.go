//go:build !invariants

package jemallocprof

func noteAlloc([]byte) {}

func noteFree([]byte) {}

// Invariants reports whether the invariants checks are compiled in.
const Invariants = false

// Poison does nothing without the invariants build (see live_on.go).
func Poison([]byte) {}
