//go:build jemalloc && cgo

package jemallocprof

/*
#cgo LDFLAGS: -ljemalloc
#include <stdlib.h>
#include <jemalloc/jemalloc.h>

// jemalloc reads malloc_conf once, when the process starts, so profiling
// support must be switched on here: prof:true makes jemalloc record
// allocation backtraces when sampling is active, prof_active:false keeps
// sampling off until EnableProfiling, and lg_prof_sample:19 samples one
// allocation per 512 KiB on average. Debian's libjemalloc is built with
// --enable-prof, so it honours this; native_jemalloc.go checks opt.prof
// and refuses to pretend otherwise.
const char *malloc_conf = "prof:true,prof_active:false,lg_prof_sample:19";

// strata_alloc allocates n bytes rounded up to jemalloc's size class and
// stores that usable size in *usable (0 when out of memory).
static void *strata_alloc(size_t n, size_t *usable) {
	size_t u = nallocx(n, 0);
	void *p = u == 0 ? NULL : mallocx(u, MALLOCX_ZERO);
	*usable = p == NULL ? 0 : u;
	return p;
}
// strata_alloc_uninit is strata_alloc without the zeroing.
static void *strata_alloc_uninit(size_t n, size_t *usable) {
	size_t u = nallocx(n, 0);
	void *p = u == 0 ? NULL : mallocx(u, 0);
	*usable = p == NULL ? 0 : u;
	return p;
}
static void strata_free(void *p, size_t n) { sdallocx(p, n, 0); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Alloc returns a zeroed buffer of n bytes counted under p, allocated by
// jemalloc outside the Go heap. Its capacity is jemalloc's size class for
// n (nallocx), so that the counters say what jemalloc holds. The caller
// must hand it back with Free and must never store a Go pointer in it:
// the garbage collector does not see this memory.
func Alloc(p Purpose, n int) []byte { return alloc(p, n, true) }

// AllocUninit is Alloc for a caller that writes all n bytes before it
// reads any (a block read or decoded into the buffer): the contents are
// unspecified, and jemalloc skips the zeroing.
func AllocUninit(p Purpose, n int) []byte { return alloc(p, n, false) }

func alloc(p Purpose, n int, zero bool) []byte {
	if n <= 0 {
		return nil
	}
	var usable C.size_t
	var ptr unsafe.Pointer
	if zero {
		ptr = C.strata_alloc(C.size_t(n), &usable)
	} else {
		ptr = C.strata_alloc_uninit(C.size_t(n), &usable)
	}
	if ptr == nil {
		panic(fmt.Sprintf("jemallocprof: out of memory allocating %d bytes for %s", n, p))
	}
	b := unsafe.Slice((*byte)(ptr), int(usable))[:n]
	noteAlloc(b)
	counted(p, cap(b))
	return b
}

// Free returns a buffer from Alloc to jemalloc at once; the counters drop
// with it. The buffer must not be touched afterwards.
func Free(p Purpose, b []byte) {
	n := cap(b)
	if n == 0 {
		return
	}
	noteFree(b)
	uncounted(p, n)
	C.strata_free(unsafe.Pointer(unsafe.SliceData(b)), C.size_t(n))
}

// SizeClass returns the capacity Alloc(p, n) gives a buffer of n bytes
// (n > 0): jemalloc's size class for it.
func SizeClass(n int) int { return int(C.nallocx(C.size_t(n), 0)) }

// OffHeap reports whether Alloc's memory lives outside the Go heap.
const OffHeap = true
