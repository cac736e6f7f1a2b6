//go:build !amd64 && !arm64

package base

import "unsafe"

// Prefetch does nothing on this architecture (see prefetch_asm.go).
func Prefetch(p unsafe.Pointer) {}
