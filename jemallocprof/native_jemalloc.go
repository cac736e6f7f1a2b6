//go:build jemalloc && cgo

package jemallocprof

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <jemalloc/jemalloc.h>

static int strata_get_bool(const char *name, bool *v) {
	size_t sz = sizeof(*v);
	return mallctl(name, v, &sz, NULL, 0);
}
static int strata_set_bool(const char *name, bool v) {
	return mallctl(name, NULL, NULL, &v, sizeof(v));
}
static int strata_version(const char **v) {
	size_t sz = sizeof(*v);
	return mallctl("version", v, &sz, NULL, 0);
}
static int strata_prof_dump(const char *path) {
	return mallctl("prof.dump", NULL, NULL, &path, sizeof(path));
}
// strata_allocated refreshes jemalloc's statistics (they are cached until
// the epoch advances) and reads stats.allocated.
static int strata_allocated(size_t *v) {
	uint64_t epoch = 1;
	size_t esz = sizeof(epoch);
	int rc = mallctl("epoch", &epoch, &esz, &epoch, esz);
	if (rc != 0) {
		return rc;
	}
	size_t sz = sizeof(*v);
	return mallctl("stats.allocated", v, &sz, NULL, 0);
}
*/
import "C"

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"unsafe"
)

var allocatorName = func() string {
	var v *C.char
	if C.strata_version(&v) != 0 || v == nil {
		return "jemalloc"
	}
	// "5.3.0-0-g54eaed1d..." -> "jemalloc-5.3.0"
	s := C.GoString(v)
	if i := strings.IndexByte(s, '-'); i > 0 {
		s = s[:i]
	}
	return "jemalloc-" + s
}()

// Allocator names this build's allocator, as INFO memory's mem_allocator
// shows it.
func Allocator() string { return allocatorName }

func mallctlErr(op string, rc C.int) error {
	return fmt.Errorf("jemallocprof: mallctl %s: %w", op, syscall.Errno(rc))
}

// nativeProfiling reports whether jemalloc was started with profiling.
func nativeProfiling() bool {
	name := C.CString("opt.prof")
	defer C.free(unsafe.Pointer(name))
	var v C.bool
	return C.strata_get_bool(name, &v) == 0 && bool(v)
}

func nativeSetActive(on bool) error {
	if !nativeProfiling() {
		if on {
			return ErrNativeProfilingUnavailable
		}
		return nil // nothing to switch off
	}
	name := C.CString("prof.active")
	defer C.free(unsafe.Pointer(name))
	if rc := C.strata_set_bool(name, C.bool(on)); rc != 0 {
		return mallctlErr("prof.active", rc)
	}
	return nil
}

// nativeDump writes jemalloc's heap profile (jeprof format) to path and
// syncs it. jemalloc truncates whatever file it is given, so the name is
// first claimed with writeFileExclusive's exclusive create: a dump never
// overwrites another file. A failure removes the file.
func nativeDump(path string) error {
	return writeFileExclusive(path, func(io.Writer) error {
		p := C.CString(path)
		defer C.free(unsafe.Pointer(p))
		if rc := C.strata_prof_dump(p); rc != 0 {
			return mallctlErr("prof.dump "+path, rc)
		}
		return nil
	})
}

// NativeAllocated returns the bytes jemalloc has allocated in the whole
// process (stats.allocated: the usable size of every live allocation,
// ours and any C code's), and whether jemalloc could say (it needs
// statistics compiled in, as Debian's are). It refreshes jemalloc's
// statistics first, which takes a lock: not for hot paths.
func NativeAllocated() (int64, bool) {
	var v C.size_t
	if C.strata_allocated(&v) != 0 {
		return 0, false
	}
	return int64(v), true
}
