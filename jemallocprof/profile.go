package jemallocprof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// DetailedProfileRate is runtime.MemProfileRate while detailed heap
// profiling is enabled: one sample per 64 KiB allocated on average, against
// the runtime's default of one per 512 KiB. One per 4 KiB sampled nearly
// every block the cache loads and cost GET a third of its throughput
// (bench/scripts/profile_overhead.sh).
const DetailedProfileRate = 64 << 10

// ErrProfilingDisabled is returned by DumpHeapProfile when detailed heap
// profiling is off.
var ErrProfilingDisabled = errors.New("jemallocprof: heap profiling is not enabled")

// ErrNativeProfilingUnavailable is returned by EnableProfiling in the
// jemalloc build when the jemalloc the process runs on was not started
// with profiling (opt.prof false: a jemalloc built without --enable-prof,
// or a MALLOC_CONF environment variable overriding the build's
// malloc_conf). The pure-Go build never returns it.
var ErrNativeProfilingUnavailable = errors.New("jemallocprof: jemalloc heap profiling is not available in this process (opt.prof is false)")

var prof struct {
	mu          sync.Mutex
	enabled     bool
	defaultRate int
	seq         int
}

func init() {
	prof.defaultRate = runtime.MemProfileRate
}

// ProfilingEnabled reports whether detailed heap profiling is on.
func ProfilingEnabled() bool {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	return prof.enabled
}

// EnableProfiling turns detailed heap profiling on: Go's sampling rate
// becomes DetailedProfileRate and, in the jemalloc build, jemalloc's
// prof.active is set. Enabling twice is harmless.
func EnableProfiling() error {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	if err := nativeSetActive(true); err != nil {
		return err
	}
	runtime.MemProfileRate = DetailedProfileRate
	prof.enabled = true
	return nil
}

// DisableProfiling turns detailed heap profiling off again. The Go
// runtime keeps sampling at its default rate, so /debug/pprof/heap always
// has a profile to serve.
func DisableProfiling() error {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	if err := nativeSetActive(false); err != nil {
		return err
	}
	runtime.MemProfileRate = prof.defaultRate
	prof.enabled = false
	return nil
}

// WriteHeapProfile writes the Go heap profile, in pprof's protobuf format,
// to w. It works whether detailed profiling is on or off.
func WriteHeapProfile(w io.Writer) error {
	return pprof.Lookup("heap").WriteTo(w, 0)
}

// DumpHeapProfile writes a heap profile into dir, which must exist, and
// returns the written file's path. The file is Go's pprof heap profile;
// the jemalloc build writes jemalloc's own dump beside it (same name, with
// the .jeprof extension) for jeprof. The file is created exclusively and
// synced; a failure removes what was partly written.
func DumpHeapProfile(dir string) (string, error) {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	if !prof.enabled {
		return "", ErrProfilingDisabled
	}
	prof.seq++
	base := fmt.Sprintf("strata-heap-%d-%s-%d", os.Getpid(), time.Now().UTC().Format("20060102T150405.000000000"), prof.seq)
	path := filepath.Join(dir, base+".pb.gz")
	if err := writeFileExclusive(path, WriteHeapProfile); err != nil {
		return "", err
	}
	if err := nativeDump(filepath.Join(dir, base+".jeprof")); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

func writeFileExclusive(path string, write func(io.Writer) error) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	return f.Sync()
}
