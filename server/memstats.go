package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"

	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/lsm"
)

// Memory figures of a Go process, with Redis's names.
//
// Redis reports what its allocator says; Strata is a Go program whose
// large buffers go through jemallocprof, so each figure is defined here
// once and INFO memory, MEMORY STATS, MEMORY DOCTOR and /metrics only
// format them:
//
//   - used_memory: bytes in Go heap objects (live, or dead and not yet
//     swept) plus goroutine stacks, plus, in the jemalloc build, the bytes
//     jemallocprof's Alloc holds off the Go heap (not what it only counts
//     with Track: those are Go heap objects already). It is what the
//     process has allocated, as Redis's used_memory is what zmalloc has.
//   - used_memory_rss: the resident set size from /proc/self/statm (where
//     there is no /proc: what the Go runtime has mapped and not released).
//   - used_memory_peak: the highest used_memory seen; it is sampled every
//     second and whenever these figures are computed.
//   - used_memory_startup: used_memory once the engine had opened.
//   - used_memory_dataset: the memory holding data: the engine's memtables,
//     block cache and blocks pinned by iterators as jemallocprof counts them
//     (before the engine reports them there: the engine's own metrics).
//   - used_memory_overhead: used_memory minus the dataset: the startup
//     footprint, client buffers, WAL and batch buffers, table readers'
//     metadata, the compression codecs' state, the engine's spare
//     memtable arena (memtable_spare: kept for the next memtable, it
//     holds no data), and garbage the collector has not reclaimed yet.
//   - allocator_allocated, allocator_active, allocator_resident: Go heap
//     objects; spans in use (objects plus their unused slots); everything
//     the runtime has mapped and not returned to the OS.
//   - mem_fragmentation_ratio: used_memory_rss / used_memory, as in Redis.
//   - mem_clients_normal: client query and reply buffers (jemallocprof's
//     client_query and client_reply); mem_aof_buffer: the WAL's buffers.
//   - maxmemory is 0 and maxmemory_policy noeviction: Strata keeps its data
//     on disk and has no memory limit to evict for.

// memFigures is one reading of the process's memory.
type memFigures struct {
	used, rss, peak, startup  int64
	dataset, overhead         int64
	heapObjects, heapActive   int64
	resident, stacks, offHeap int64
	totalSystem               int64
	clients, wal              int64
	tracked                   []jemallocprof.Stats
	trackedTotal              int64
}

// runtimeSamples are the runtime/metrics this file reads (no
// stop-the-world, unlike runtime.ReadMemStats).
var runtimeSamples = struct {
	sync.Mutex
	s []metrics.Sample
}{s: []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/total:bytes"},
}}

// goMemory returns the Go runtime's figures: heap objects, heap in use,
// stacks, and mapped minus released.
func goMemory() (objects, active, stacks, resident int64) {
	runtimeSamples.Lock()
	defer runtimeSamples.Unlock()
	metrics.Read(runtimeSamples.s)
	v := func(i int) int64 {
		if runtimeSamples.s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(runtimeSamples.s[i].Value.Uint64())
	}
	objects = v(0)
	return objects, objects + v(1), v(2), v(4) - v(3)
}

// usedMemory is used_memory (see the top of the file).
func usedMemory() int64 {
	objects, _, stacks, _ := goMemory()
	return objects + stacks + offHeapLive()
}

// offHeapLive is what jemallocprof holds outside the Go heap: in the
// jemalloc build, what Alloc handed out. The bytes declared with Track
// (client buffers, table metadata, batches) are Go heap objects, already
// in the heap's figure.
func offHeapLive() int64 {
	if jemallocprof.OffHeap {
		return jemallocprof.AllocLive()
	}
	return 0
}

// notePeak raises the recorded peak to used.
func (s *Server) notePeak(used int64) {
	for {
		old := s.memPeak.Load()
		if used <= old || s.memPeak.CompareAndSwap(old, used) {
			return
		}
	}
}

// memFigures reads every figure; m is the engine's metrics (may be nil).
func (s *Server) memFigures(m *lsm.Metrics) memFigures {
	var f memFigures
	f.heapObjects, f.heapActive, f.stacks, f.resident = goMemory()
	f.offHeap = offHeapLive()
	f.used = f.heapObjects + f.stacks + f.offHeap
	s.notePeak(f.used)
	f.peak = s.memPeak.Load()
	f.startup = s.memStartup
	f.rss = residentSetSize()
	if f.rss == 0 {
		f.rss = f.resident
	}
	f.totalSystem = totalSystemMemory()
	f.tracked = jemallocprof.Snapshot()
	var engine int64
	for _, st := range f.tracked {
		f.trackedTotal += st.Live
		switch st.Purpose {
		case jemallocprof.MemtableActive, jemallocprof.MemtableImmutable, jemallocprof.BlockCache, jemallocprof.IteratorPinned:
			engine += st.Live
		case jemallocprof.ClientQuery, jemallocprof.ClientReply:
			f.clients += st.Live
		case jemallocprof.WAL:
			f.wal += st.Live
		}
	}
	if engine == 0 && m != nil {
		engine = int64(m.MemTable.Size) + m.BlockCache.Bytes
	}
	f.dataset = min(engine, f.used)
	f.overhead = f.used - f.dataset
	return f
}

// datasetPerc is used_memory_dataset_perc: the dataset's share of what
// was allocated after startup, as Redis computes it.
func (f *memFigures) datasetPerc() float64 {
	net := f.used - f.startup
	if net <= 0 {
		return 0
	}
	return 100 * float64(f.dataset) / float64(net)
}

// fragmentation is mem_fragmentation_ratio.
func (f *memFigures) fragmentation() float64 { return ratio(f.rss, f.used) }

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// residentSetSize reads the process's RSS from /proc/self/statm, or
// returns 0 where it cannot.
func residentSetSize() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo, or returns 0.
func totalSystemMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
			return kb << 10
		}
	}
	return 0
}

// humanBytes formats n as Redis's bytesToHuman does: "123B", "1.50K",
// "2.00M", up to petabytes.
func humanBytes(n int64) string {
	d := float64(n)
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	}
	return fmt.Sprintf("%.2fP", d/(1<<50))
}
