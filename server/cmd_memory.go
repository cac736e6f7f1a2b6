package server

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/jemallocprof"
)

// MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP, with Redis 7's
// syntax and errors; the figures are defined in memstats.go.

func init() {
	register(&command{name: "memory", arity: -2, group: "server", since: "4.0.0",
		summary: "A container for memory diagnostics commands.", subs: map[string]*command{
			"usage": {name: "usage", arity: -3, flags: flagReadOnly, firstKey: 2, lastKey: 2, since: "4.0.0",
				summary: "Estimates the memory usage of a key.", handler: cmdMemoryUsage},
			"stats": {name: "stats", arity: 2, since: "4.0.0",
				summary: "Returns details about memory usage.", handler: cmdMemoryStats},
			"doctor": {name: "doctor", arity: 2, since: "4.0.0",
				summary: "Outputs a memory problems report.", handler: cmdMemoryDoctor},
			"purge": {name: "purge", arity: 2, since: "4.0.0",
				summary: "Asks the allocator to release memory.", handler: cmdMemoryPurge},
			"malloc-stats": {name: "malloc-stats", arity: 2, since: "4.0.0",
				summary: "Returns the allocator statistics.", handler: cmdMemoryMallocStats},
			"help": {name: "help", arity: 2, since: "4.0.0",
				summary: "Returns helpful text about the different subcommands.", handler: cmdMemoryHelp},
		}})
}

// cmdMemoryUsage implements MEMORY USAGE key [SAMPLES count]: the bytes
// of the engine entries holding the key (codec.DB.MemoryUsage), nil for a
// missing key. As in Redis, a SAMPLES that is not an integer is "value is
// not an integer", a negative one or any other argument a syntax error,
// and 0 samples every element.
func cmdMemoryUsage(c *client, args [][]byte) {
	samples := codec.DefaultUsageSamples
	for j := 3; j < len(args); j++ {
		if !strings.EqualFold(string(args[j]), "samples") || j+1 >= len(args) {
			c.w.Error(errSyntax)
			return
		}
		n, ok := parseInt(args[j+1])
		if !ok {
			c.w.Error(errNotInteger)
			return
		}
		if n < 0 {
			c.w.Error(errSyntax)
			return
		}
		samples = int(min(n, 1<<31-1)) // 0: every element
		j++
	}
	n, found, err := c.kdb().MemoryUsage(args[2], samples)
	if err != nil {
		c.replyErr(err)
		return
	}
	if !found {
		c.w.Null()
		return
	}
	c.w.Integer(n)
}

// memoryStat is one entry of MEMORY STATS: an integer or a ratio.
type memoryStat struct {
	name  string
	n     int64
	ratio float64
	isRat bool
}

// memoryStats returns MEMORY STATS's entries: Redis's names where they
// mean something here, then the engine's and jemallocprof's figures.
func (s *Server) memoryStats() []memoryStat {
	m := s.db.Metrics()
	f := s.memFigures(m)
	var keys int64
	for db := 0; db < int(s.cfg.Int("databases")); db++ {
		keys += s.ks.DB(db).DBSize()
	}
	i := func(name string, n int64) memoryStat { return memoryStat{name: name, n: n} }
	r := func(name string, v float64) memoryStat { return memoryStat{name: name, ratio: v, isRat: true} }
	perKey := int64(0)
	if keys > 0 {
		perKey = (f.used - f.startup) / keys
	}
	out := []memoryStat{
		i("peak.allocated", f.peak),
		i("total.allocated", f.used),
		i("startup.allocated", f.startup),
		i("replication.backlog", 0),
		i("clients.slaves", 0),
		i("clients.normal", f.clients),
		i("aof.buffer", f.wal),
		i("overhead.total", f.overhead),
		i("keys.count", keys),
		i("keys.bytes-per-key", perKey),
		i("dataset.bytes", f.dataset),
		r("dataset.percentage", f.datasetPerc()),
		r("peak.percentage", 100*ratio(f.used, f.peak)),
		i("allocator.allocated", f.heapObjects+f.offHeap),
		i("allocator.active", f.heapActive+f.offHeap),
		i("allocator.resident", f.resident+f.offHeap),
		r("allocator-fragmentation.ratio", ratio(f.heapActive, f.heapObjects)),
		i("allocator-fragmentation.bytes", f.heapActive-f.heapObjects),
		r("allocator.rss-ratio", ratio(f.resident, f.heapActive)),
		i("allocator.rss-bytes", f.resident-f.heapActive),
		r("rss-overhead.ratio", ratio(f.rss, f.resident+f.offHeap)),
		i("rss-overhead.bytes", f.rss-f.resident-f.offHeap),
		r("fragmentation", f.fragmentation()),
		i("fragmentation.bytes", f.rss-f.used),
		i("engine.memtables.bytes", int64(m.MemTable.Size)),
		i("engine.memtables.count", int64(m.MemTable.Count)),
		i("engine.block-cache.bytes", m.BlockCache.Bytes),
	}
	for _, st := range f.tracked {
		out = append(out, i("tracked."+st.Purpose.String(), st.Live), i("tracked."+st.Purpose.String()+".peak", st.Peak))
	}
	return append(out, i("tracked.total", f.trackedTotal))
}

func cmdMemoryStats(c *client, args [][]byte) {
	stats := c.s.memoryStats()
	c.w.MapHeader(len(stats))
	for _, st := range stats {
		c.w.BulkString(st.name)
		if st.isRat {
			c.w.Double(st.ratio)
		} else {
			c.w.Integer(st.n)
		}
	}
}

func cmdMemoryDoctor(c *client, args [][]byte) {
	c.w.Verbatim("txt", []byte(c.s.memoryDoctor()))
}

// cmdMemoryPurge returns freed memory to the operating system: Redis asks
// jemalloc to purge its dirty pages; the Go runtime collects garbage and
// releases what is free (debug.FreeOSMemory).
func cmdMemoryPurge(c *client, args [][]byte) {
	debug.FreeOSMemory()
	c.w.SimpleString("OK")
}

// cmdMemoryMallocStats reports the allocator's own figures as text, as
// Redis returns jemalloc's stats report: the Go runtime's memory
// statistics and jemallocprof's table per purpose.
func cmdMemoryMallocStats(c *client, args [][]byte) {
	c.w.Verbatim("txt", []byte(mallocStats()))
}

func mallocStats() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b strings.Builder
	fmt.Fprintf(&b, "___ Begin allocator stats (%s) ___\n", jemallocprof.Allocator())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, r := range []struct {
		name string
		v    uint64
	}{
		{"heap_alloc", ms.HeapAlloc}, {"heap_inuse", ms.HeapInuse}, {"heap_idle", ms.HeapIdle},
		{"heap_released", ms.HeapReleased}, {"heap_sys", ms.HeapSys}, {"heap_objects", ms.HeapObjects},
		{"stack_inuse", ms.StackInuse}, {"stack_sys", ms.StackSys}, {"mspan_inuse", ms.MSpanInuse},
		{"mcache_inuse", ms.MCacheInuse}, {"gc_sys", ms.GCSys}, {"other_sys", ms.OtherSys},
		{"sys", ms.Sys}, {"total_alloc", ms.TotalAlloc}, {"mallocs", ms.Mallocs}, {"frees", ms.Frees},
		{"num_gc", uint64(ms.NumGC)}, {"next_gc", ms.NextGC}, {"pause_total_ns", ms.PauseTotalNs},
	} {
		fmt.Fprintf(tw, "%s:\t%d\t\n", r.name, r.v)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nPurposes (off heap: %v):\n", jemallocprof.OffHeap)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "purpose\tlive\tlive_allocs\tallocs\tpeak\tlargest\t\n")
	for _, st := range jemallocprof.Snapshot() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", st.Purpose, st.Live, st.LiveAllocs, st.Allocs, st.Peak, st.Largest)
	}
	tw.Flush()
	fmt.Fprintf(&b, "heap profiling: %s\n", yesNo(jemallocprof.ProfilingEnabled()))
	b.WriteString("--- End allocator stats ---\n")
	return b.String()
}

func cmdMemoryHelp(c *client, args [][]byte) {
	replyHelp(c, "MEMORY", []string{
		"DOCTOR", "    Return memory problems reports.",
		"MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
		"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS", "    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}
