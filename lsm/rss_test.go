package lsm

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/jemallocprof"
)

// rssBytes returns the process's resident set size (VmRSS).
func rssBytes(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parsing %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// The RSS bound of a full scan, derived in docs/MEMORY.md:
//
//	bound = RSS before Open + engine + Go side + heap before Open × GOGC/100 + slack
//
// where engine is the memtable and block cache budgets and the spare
// memtable arena kept for the next memtable (in the pure-Go build scaled
// by the GC's heap growth, 1 + GOGC/100, since they live on the Go heap;
// in the jemalloc build by 5/4 for jemalloc's size classes and retained
// pages), the Go side is what table readers keep in memory (index
// and filter blocks, about 10 MiB for 1 GiB of 4 KiB blocks, counted as
// rssReaderBytes) scaled by the GC's growth, and slack covers the runtime,
// goroutine stacks and the blocks iterators pin. The Go heap already live
// before Open (what earlier tests of the package keep) raises the GC's heap
// goal too: garbage may reach GOGC% of it on top of RSS before Open.
const (
	rssDataBytes   = 1 << 30
	rssBudget      = 64 << 20 // memtable size and block cache size each
	rssReaderBytes = 16 << 20
	rssSlackBytes  = 64 << 20
)

func rssBound(rss0, heap0 int64, gcPercent int) int64 {
	growth := 1 + float64(gcPercent)/100
	engine := float64(3 * rssBudget) // memtable, spare arena, block cache
	if jemallocprof.OffHeap {
		engine *= 1.25
	} else {
		engine *= growth
	}
	return rss0 + int64(engine) + int64(growth*rssReaderBytes) + heap0*int64(gcPercent)/100 + rssSlackBytes
}

// TestRSSBoundedDuringScan writes 1 GiB (WAL disabled) with a 64 MiB
// memtable and a 64 MiB block cache, then scans all of it, sampling the
// resident set every 4096 keys: it must stay under rssBound. Compactions
// are held off (16 L0 tables), which keeps the run short and puts 17
// iterators under the scan's merge. It is skipped under -short (it writes
// 1 GiB) and under the race detector, whose shadow memory is part of RSS.
func TestRSSBoundedDuringScan(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB; skipped under -short")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory inflates RSS")
	}
	gcPercent := debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)
	if gcPercent < 0 {
		t.Skip("GOGC=off: the Go heap is unbounded")
	}
	debug.FreeOSMemory()
	rss0 := rssBytes(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // after FreeOSMemory's collection: the live heap
	heap0 := int64(ms.HeapAlloc)
	bound := rssBound(rss0, heap0, gcPercent)

	d, err := Open(t.TempDir(), &Options{
		FS: vfs.Default, WALMode: WALDisabled,
		MemTableSize: rssBudget, BlockCacheSize: rssBudget,
		L0CompactionThreshold: 1000, L0SlowdownWritesThreshold: 1000, L0StopWritesThreshold: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	vals := benchValues() // 100-byte values that compress to about half
	const valueLen = 1000
	val := make([]byte, valueLen)
	n := rssDataBytes / valueLen
	var kb [16]byte
	b := d.NewBatch()
	var writePeak int64
	for i := range n {
		for j := 0; j < valueLen; j += benchValueLen {
			copy(val[j:], vals[(i+j)%benchValuePool])
		}
		b.Set(benchKeyAt(&kb, uint64(i)), val)
		if b.Count() == 100 || i == n-1 {
			if err := d.Apply(b, nil); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
		if i%(1<<14) == 0 {
			writePeak = max(writePeak, rssBytes(t))
		}
	}
	// Let the memtables waiting for flush go; the mutable one keeps its
	// data, as a server with the WAL off does.
	d.mu.Lock()
	for len(d.mu.mem.queue) > 1 && d.mu.bgErr == nil {
		d.mu.cond.Wait()
	}
	d.mu.Unlock()
	debug.FreeOSMemory() // the write phase's garbage is not the scan's
	rssScan0 := rssBytes(t)

	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	var peak int64
	count := 0
	for ok := it.First(); ok; ok = it.Next() {
		if len(it.Value()) != valueLen {
			t.Fatalf("key %x: value of %d bytes", it.Key(), len(it.Value()))
		}
		if count%4096 == 0 {
			peak = max(peak, rssBytes(t))
		}
		count++
	}
	peak = max(peak, rssBytes(t))
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("scan saw %d keys, wrote %d", count, n)
	}
	m := d.Metrics()
	mib := func(v int64) string { return fmt.Sprintf("%.0f MiB", float64(v)/(1<<20)) }
	t.Logf("allocator %s, GOGC %d: RSS before open %s (Go heap %s), write peak %s, before scan %s, scan peak %s, bound %s",
		jemallocprof.Allocator(), gcPercent, mib(rss0), mib(heap0), mib(writePeak), mib(rssScan0), mib(peak), mib(bound))
	t.Logf("tracked: memtables %s, spare arena %s, block cache %s (cache says %s), L0 tables %d",
		mib(m.Memory.Purposes[jemallocprof.MemtableActive].Live+m.Memory.Purposes[jemallocprof.MemtableImmutable].Live),
		mib(m.Memory.Purposes[jemallocprof.MemtableSpare].Live),
		mib(m.Memory.Purposes[jemallocprof.BlockCache].Live), mib(m.BlockCache.Bytes), m.Levels[0].NumFiles)
	if peak > bound {
		t.Fatalf("RSS reached %s during the scan, over the bound of %s", mib(peak), mib(bound))
	}
}
