//go:build amd64 || arm64

package base

import "unsafe"

// Prefetch hints the CPU to load the cache line holding p. It never faults
// and has no effect on memory; only timing changes.
//
//go:noescape
func Prefetch(p unsafe.Pointer)
