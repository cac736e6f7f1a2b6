// Package jemallocprof is Strata's allocator wrapper: every large buffer of
// the engine and the server (memtable arenas, block cache blocks, WAL and
// batch buffers, client query and reply buffers) is allocated through it
// with a purpose tag, so the process can say at any moment where its memory
// is, and heap profiling can be switched on and dumped at run time.
//
// # Usage
//
//	buf := jemallocprof.Alloc(jemallocprof.BlockCache, n)
//	...
//	jemallocprof.Free(jemallocprof.BlockCache, buf)
//
// Memory that changes role without being copied (an active memtable that
// becomes immutable, a cached block that stays alive only because an
// iterator pins it) moves between purposes with Move. Buffers that are not
// allocated here but must still be counted (a bufio.Reader's buffer) are
// declared with Track and Untrack.
//
// # Contract
//
//  1. Every Alloc is matched by exactly one Free with the same purpose (or
//     the purpose it was last moved to) and the slice Alloc returned, or a
//     reslice of it with the same first byte; Free counts cap(buf).
//  2. Alloc(p, n) returns n bytes whose capacity is what the allocator
//     really set aside: n rounded up to its size class (the Go heap's, or
//     jemalloc's nallocx). That capacity is what is counted, so the
//     figures match the heap's, not the sum of the sizes asked for.
//  3. After Free the buffer must not be touched: in the jemalloc build it
//     is returned to jemalloc at once.
//  4. Figures are exact and always on: per purpose live bytes, live and
//     total allocation counts, peak live bytes and the largest single
//     allocation, kept in cache-line padded atomics.
//  5. All functions are safe for concurrent use.
//  6. Memory from Alloc never holds Go pointers: in the jemalloc build the
//     garbage collector does not scan it.
//
// # Two builds, one API
//
// The default build is pure Go: Alloc is a zeroed Go slice and heap profiles
// are the Go runtime's, in pprof format. The jemalloc build tag (cgo and
// Debian's libjemalloc-dev) allocates buffers off the Go heap through
// jemalloc (mallocx with MALLOCX_ZERO, sdallocx) and adds jemalloc's own
// profiler: the cgo preamble sets malloc_conf to
// "prof:true,prof_active:false,lg_prof_sample:19", so jemalloc records
// backtraces from the start, EnableProfiling sets prof.active, and
// DumpHeapProfile calls prof.dump for a .jeprof file beside the Go
// profile. If jemalloc runs without profiling (MALLOC_CONF=prof:false, or
// a jemalloc built without it), EnableProfiling fails with
// ErrNativeProfilingUnavailable. Allocator names the build ("go",
// "jemalloc-5.3.0"); OffHeap says where Alloc's memory lives. AllocLive
// is the part of the figures that came from Alloc (what is off the Go heap
// in the jemalloc build), and NativeAllocated jemalloc's own count of what
// it has allocated, so that the two can be compared.
//
// # Invariants build
//
// With the invariants build tag (make test) every live buffer is recorded:
// a Free of a buffer that is not live panics, and freed memory is filled
// with 0xdb before it is released, so a use after Free shows up as garbage
// in either build.
package jemallocprof
