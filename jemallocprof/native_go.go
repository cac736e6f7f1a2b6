//go:build !jemalloc || !cgo

package jemallocprof

// Allocator names this build's allocator, as INFO memory's mem_allocator
// shows it.
func Allocator() string { return "go" }

func nativeSetActive(bool) error { return nil }

func nativeDump(string) error { return nil }
