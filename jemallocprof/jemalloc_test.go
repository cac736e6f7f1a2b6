//go:build jemalloc && cgo

package jemallocprof

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestJemallocBuild(t *testing.T) {
	if !OffHeap {
		t.Fatal("the jemalloc build must allocate off the Go heap")
	}
	if !regexp.MustCompile(`^jemalloc-\d+\.\d+\.\d+$`).MatchString(Allocator()) {
		t.Fatalf("Allocator() = %q, want jemalloc-<version>", Allocator())
	}
	if !nativeProfiling() {
		t.Fatal("opt.prof is false: jemalloc ignored the build's malloc_conf")
	}
}

// TestJeprofReadsDump checks that DumpHeapProfile's jemalloc dump is a
// profile jeprof accepts, and that it accounts for the off-heap buffers
// live at the time of the dump.
func TestJeprofReadsDump(t *testing.T) {
	jeprof, err := exec.LookPath("jeprof")
	if err != nil {
		requireOrSkip(t, "jeprof not found (Debian: apt-get install libjemalloc-dev)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := EnableProfiling(); err != nil {
		t.Fatal(err)
	}
	defer DisableProfiling()
	// 64 MiB in 1 MiB buffers: with one sample per 512 KiB on average the
	// profile cannot miss them.
	const n, size = 64, 1 << 20
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = Alloc(Other, size)
	}
	defer func() {
		for _, b := range bufs {
			Free(Other, b)
		}
	}()
	dir := t.TempDir()
	path, err := DumpHeapProfile(dir)
	if err != nil {
		t.Fatal(err)
	}
	jpath := strings.TrimSuffix(path, ".pb.gz") + ".jeprof"
	if fi, err := os.Stat(jpath); err != nil || fi.Size() == 0 {
		t.Fatalf("jemalloc dump %s: %v", jpath, err)
	}
	out, err := exec.Command(jeprof, "--text", exe, jpath).CombinedOutput()
	if err != nil {
		t.Fatalf("jeprof --text: %v\n%s", err, out)
	}
	// "Total: 64.0 MB" (jeprof reports the sampled live bytes, scaled).
	m := regexp.MustCompile(`Total: ([0-9.]+) MB`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("jeprof output has no total:\n%s", out)
	}
	total, _ := strconv.ParseFloat(string(m[1]), 64)
	if total < 32 {
		t.Fatalf("jeprof sees %.1f MB live, want about 64 MB:\n%s", total, out)
	}
	t.Logf("jeprof --text: total %.1f MB live", total)
}

// TestEnableFailsWithoutNativeProfiling runs this test binary again with
// MALLOC_CONF=prof:false, which overrides the build's malloc_conf:
// EnableProfiling must then fail with ErrNativeProfilingUnavailable
// rather than pretend, and leave profiling off.
func TestEnableFailsWithoutNativeProfiling(t *testing.T) {
	if os.Getenv("STRATA_JEMALLOC_NOPROF_CHILD") == "1" {
		if nativeProfiling() {
			t.Fatal("MALLOC_CONF=prof:false did not switch opt.prof off")
		}
		if err := EnableProfiling(); !errors.Is(err, ErrNativeProfilingUnavailable) {
			t.Fatalf("EnableProfiling without opt.prof: %v", err)
		}
		if ProfilingEnabled() {
			t.Fatal("profiling reported enabled after a refused EnableProfiling")
		}
		if err := DisableProfiling(); err != nil {
			t.Fatalf("DisableProfiling without opt.prof: %v", err)
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestEnableFailsWithoutNativeProfiling$", "-test.v")
	cmd.Env = append(os.Environ(), "MALLOC_CONF=prof:false", "STRATA_JEMALLOC_NOPROF_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestEnableFailsWithoutNativeProfiling") {
		t.Fatalf("child with MALLOC_CONF=prof:false: %v\n%s", err, out)
	}
}

// TestNativeAllocated: jemalloc's stats.allocated is readable and sees an
// Alloc and its Free at once (the statistics epoch is refreshed on each
// call). Thread caches filling or flushing move it by some KiB meanwhile.
func TestNativeAllocated(t *testing.T) {
	a0, ok := NativeAllocated()
	if !ok {
		t.Fatal("jemalloc's stats.allocated is not readable")
	}
	b := Alloc(Other, 8<<20)
	a1, _ := NativeAllocated()
	Free(Other, b)
	a2, _ := NativeAllocated()
	// The figure is process-wide: other goroutines (the runtime, cgo)
	// allocate and free meanwhile, so allow them 1/16 of the buffer.
	slack := int64(cap(b)) / 16
	if a1-a0 < int64(cap(b))-slack || a1-a2 < int64(cap(b))-slack {
		t.Fatalf("stats.allocated %d, %d with an 8 MiB buffer, %d after its Free", a0, a1, a2)
	}
}
