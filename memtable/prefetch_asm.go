//go:build amd64 || arm64

package memtable

import "unsafe"

// prefetch hints the CPU to load the cache line holding p. It never faults
// and has no effect on memory; only timing changes.
//
//go:noescape
func prefetch(p unsafe.Pointer)
