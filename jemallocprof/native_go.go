//go:build !jemalloc || !cgo

package jemallocprof

// Allocator names this build's allocator, as INFO memory's mem_allocator
// shows it.
func Allocator() string { return "go" }

func nativeSetActive(bool) error { return nil }

func nativeDump(string) error { return nil }

// NativeAllocated returns the bytes the native allocator has allocated in
// the whole process, and whether there is one: this build has none.
func NativeAllocated() (int64, bool) { return 0, false }
