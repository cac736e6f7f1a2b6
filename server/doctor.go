package server

import (
	"fmt"
	"strings"

	"github.com/strata-db/strata/jemallocprof"
)

// MEMORY DOCTOR: a diagnosis from the memory figures, worded in the
// manner of Redis's report.

// doctorInput is what the diagnosis looks at, gathered by memoryDoctor
// (a plain struct, so the rules are tested on chosen figures).
type doctorInput struct {
	empty   bool // no key in any database
	fig     memFigures
	clients int // connected clients

	memtableBudget   int64 // memtable-size
	memtableBytes    int64 // memtables, tracked or as the engine reports them
	memtables        int
	blockCacheBudget int64 // block-cache-size (0: no cache)
	blockCacheBytes  int64
	pinnedBytes      int64 // blocks pinned by iterators
}

// Thresholds of the diagnosis.
const (
	doctorPeakRatio      = 1.5       // peak above 150% of the current use
	doctorFragRatio      = 1.4       // RSS over used_memory, as Redis
	doctorAllocFragRatio = 1.1       // heap in use over heap objects
	doctorMinWasteBytes  = 10 << 20  // fragmentation worth reporting
	doctorClientBufAvg   = 200 << 10 // average client buffers, as Redis
	doctorMemtableFactor = 2         // memtables beyond this many budgets
	doctorCacheSlack     = 1.1       // cache above its budget by 10%
	doctorPinnedMin      = 8 << 20
)

func (s *Server) memoryDoctor() string {
	m := s.db.Metrics()
	in := doctorInput{
		empty:            true,
		fig:              s.memFigures(m),
		memtableBudget:   s.cfg.Int("memtable-size"),
		memtableBytes:    int64(m.MemTable.Size),
		memtables:        m.MemTable.Count,
		blockCacheBudget: s.cfg.Int("block-cache-size"),
		blockCacheBytes:  m.BlockCache.Bytes,
	}
	for db := 0; db < int(s.cfg.Int("databases")) && in.empty; db++ {
		if _, found, err := s.ks.DB(db).RandomKey(); err != nil || found {
			in.empty = false
		}
	}
	s.mu.Lock()
	in.clients = len(s.mu.clients)
	s.mu.Unlock()
	// jemallocprof's figures, once the engine reports there, replace the
	// engine's metrics: they count immutable memtables and pinned blocks.
	// The spare arena (memtable_spare) is left out: it holds no data, and
	// one arena kept for the next memtable is no sign of flushes falling
	// behind.
	in.pinnedBytes = jemallocprof.Live(jemallocprof.IteratorPinned)
	if t := jemallocprof.Live(jemallocprof.MemtableActive) + jemallocprof.Live(jemallocprof.MemtableImmutable); t > 0 {
		in.memtableBytes = t
	}
	if t := jemallocprof.Live(jemallocprof.BlockCache); t > 0 {
		in.blockCacheBytes = t
	}
	return diagnose(in)
}

const (
	doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
	doctorFine  = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
	doctorIntro = "Sam, I detected a few issues in this Strata instance memory implants:\n\n"
	doctorOutro = "I'm here to keep you safe, Sam. I want to help you.\n"
)

// diagnose writes the report for in.
func diagnose(in doctorInput) string {
	if in.empty {
		return doctorEmpty
	}
	f := &in.fig
	var issues []string
	add := func(format string, a ...any) { issues = append(issues, " * "+fmt.Sprintf(format, a...)+"\n\n") }
	if in.memtableBudget > 0 && in.memtableBytes > doctorMemtableFactor*in.memtableBudget {
		add("Memtables over budget: the memtables hold %s in %d memtables, more than %d times memtable-size (%s). Flushes are falling behind the write rate, and writes will be slowed down and then stopped until they catch up. Check INFO engine's flush and write_stalls figures and the disk's throughput; a smaller memtable-size flushes sooner, fewer L0 files compact faster.",
			humanBytes(in.memtableBytes), in.memtables, doctorMemtableFactor, humanBytes(in.memtableBudget))
	}
	if in.blockCacheBudget > 0 && float64(in.blockCacheBytes) > doctorCacheSlack*float64(in.blockCacheBudget) {
		add("Block cache over budget: the block cache holds %s against a block-cache-size of %s. Blocks still in use by readers cannot be evicted; if this lasts, long-running reads are keeping them.",
			humanBytes(in.blockCacheBytes), humanBytes(in.blockCacheBudget))
	}
	if in.pinnedBytes > doctorPinnedMin && in.pinnedBytes > in.blockCacheBudget/4 {
		add("Pinned blocks: iterators hold %s of blocks that are no longer in the block cache. Long-running scans (KEYS, SCAN over a big keyspace, reads of very big keys) keep them alive until they finish.",
			humanBytes(in.pinnedBytes))
	}
	if in.clients > 0 && f.clients/int64(in.clients) > doctorClientBufAvg {
		add("Big client buffers: the %d connected clients hold %s of query and reply buffers, %s each on average. Clients sending very big commands or pipelines, or reading big replies slowly, cause this; CLIENT LIST shows each client's output (omem), and client-query-buffer-limit and client-output-buffer-limit bound them.",
			in.clients, humanBytes(f.clients), humanBytes(f.clients/int64(in.clients)))
	}
	if f.peak > 0 && float64(f.peak) > doctorPeakRatio*float64(f.used) {
		add("Peak memory: In the past this instance used more than 150%% the memory that is currently using (peak %s, now %s). The Go runtime returns freed memory to the operating system gradually, so the RSS may stay high for a while after the peak; MEMORY PURGE returns it at once.",
			humanBytes(f.peak), humanBytes(f.used))
	}
	if ratio(f.heapActive, f.heapObjects) > doctorAllocFragRatio && f.heapActive-f.heapObjects > doctorMinWasteBytes {
		add("High allocator fragmentation: the Go heap's spans in use (%s) are more than 10%% larger than the objects in them (%s). Many objects of mixed sizes freed apart cause this; it shrinks as the garbage collector frees whole spans.",
			humanBytes(f.heapActive), humanBytes(f.heapObjects))
	}
	if f.fragmentation() > doctorFragRatio && f.rss-f.used > doctorMinWasteBytes {
		add("High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (the Resident Set Size, %s, is much larger than the memory the process has allocated, %s). For a Go process this is mostly heap the garbage collector has freed and not yet returned to the operating system, or memory mapped by the runtime; MEMORY PURGE returns what is free.",
			humanBytes(f.rss), humanBytes(f.used))
	}
	if len(issues) == 0 {
		return doctorFine
	}
	return doctorIntro + strings.Join(issues, "") + doctorOutro
}
