package lsm

import (
	"fmt"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/sstable"
	"github.com/strata-db/strata/wal"
)

// LevelMetrics describes one level of the LSM.
type LevelMetrics struct {
	NumFiles int
	Size     uint64
	// Score is the compaction score (>= 1 asks for a compaction); MaxBytes
	// the level's dynamic target size (0 above the base level).
	Score    float64
	MaxBytes uint64
	// BytesIn is what compactions read into the level; BytesWritten what
	// they wrote to it (flushes count for L0).
	BytesIn      int64
	BytesWritten int64
}

// Metrics is a snapshot of the engine's state and counters. INFO and
// /metrics only format it.
type Metrics struct {
	MemTable struct {
		// Size is the arena bytes in use across the queued memtables;
		// Count the number of memtables (mutable + waiting for flush);
		// Capacity the sum of their arenas' allocated sizes (the memtable
		// size the allocator rounded up to its size class: whole pages
		// in the pure-Go build).
		Size       uint64
		Count      int
		Capacity   uint64
		Immutables int
		// Zombies are memtables already flushed (or dropped by Close)
		// whose arenas iterators or reads still hold; ZombieCapacity the
		// sum of their arena sizes. Capacity + ZombieCapacity is every
		// live arena of this DB: what jemallocprof counts under
		// MemtableActive and MemtableImmutable for it.
		Zombies        int
		ZombieCapacity uint64
		// SpareCapacity is the allocated size of the arena kept for the
		// next memtable (0 when none is kept): it holds no data and is
		// in neither figure above; jemallocprof counts it under
		// MemtableSpare, and Memory.TotalLive includes it.
		SpareCapacity uint64
	}
	WAL struct {
		Mode WALMode
		// Totals over the life of this DB handle.
		Records, Bytes, Writes, Syncs uint64
		// SyncTime is the total time spent in the log files' syncs.
		SyncTime time.Duration
	}
	Flush struct {
		Count   int64
		Bytes   int64
		Running bool
		// ForTombstones counts memtables flushed early because their
		// range tombstones covered enough tables (tomb_flush.go).
		ForTombstones int64
	}
	Levels    [numLevels]LevelMetrics
	BaseLevel int
	Compact   struct {
		Count, Moves, DeleteOnly int64
		Running                  int
		BytesRead, BytesWritten  int64
		TablesRead               int64
		TablesWritten            int64
		// TablesDeletedWithoutRead counts tables removed by delete-only
		// compactions.
		TablesDeletedWithoutRead int64
		// BytesDeletedWithoutRead is the size of those tables.
		BytesDeletedWithoutRead int64
		// RangeDelDropped counts point entries compactions dropped because
		// a range tombstone covered them (RangeDelDroppedBytes: their key
		// and value bytes); FilterDropped those the compaction filter
		// dropped. Together with the delete-only tables, this is the space
		// the in-engine GC reclaimed.
		RangeDelDropped, RangeDelDroppedBytes int64
		FilterDropped, FilterDroppedBytes     int64
		Duration                              time.Duration
		PendingBytes                          uint64
	}
	// WriteAmp is the bytes written to tables (flushes and compactions)
	// over the bytes flushed.
	WriteAmp float64
	Stall    struct {
		Count    int64
		Duration time.Duration
		// Slowdowns counts commits delayed before a stop.
		Slowdowns int64
	}
	BlockCache    sstable.CacheMetrics
	TableCache    struct{ Open int }
	Snapshots     int
	VisibleSeqNum base.SeqNum
	// BackgroundError is the sticky error that turned the DB read-only.
	BackgroundError error
	// Memory are the allocator wrapper's figures.
	Memory MemoryMetrics
}

// MemoryMetrics are jemallocprof's figures at the time of Metrics. They
// are process-wide: every DB of the process (and the server's client
// buffers) allocates through the same wrapper.
type MemoryMetrics struct {
	// Allocator names the build's allocator ("go", "jemalloc-5.3.0");
	// OffHeap says whether tracked buffers live outside the Go heap.
	Allocator string
	OffHeap   bool
	// Purposes has one row per purpose, in jemallocprof.Purposes order.
	Purposes [jemallocprof.NumPurposes]jemallocprof.Stats
	// TotalLive is the sum of the purposes' live bytes, the spare
	// memtable arenas (memtable_spare) included.
	TotalLive int64
}

// Metrics returns a snapshot of the engine's metrics.
func (d *DB) Metrics() *Metrics {
	m := &Metrics{}
	d.walStats.mu.Lock()
	wm := d.walStats.closed
	if log := d.curLog.Load(); log != nil {
		cur := log.Metrics()
		wm.Records += cur.Records
		wm.Bytes += cur.Bytes
		wm.Writes += cur.Writes
		wm.Syncs += cur.Syncs
		wm.SyncLatency += cur.SyncLatency
	}
	d.walStats.mu.Unlock()
	m.WAL.Mode = d.opts.WALMode
	m.WAL.Records, m.WAL.Bytes, m.WAL.Writes, m.WAL.Syncs = asU64(wm)
	m.WAL.SyncTime = wm.SyncLatency

	d.mu.Lock()
	for _, mt := range d.mu.mem.queue {
		m.MemTable.Size += uint64(mt.Size())
		m.MemTable.Capacity += uint64(cap(mt.arena))
	}
	m.MemTable.Count = len(d.mu.mem.queue)
	m.MemTable.Immutables = max(len(d.mu.mem.queue)-1, 0)
	// Arenas are allocated only under d.mu, so the live ones minus the
	// queued ones are the zombies.
	m.MemTable.Zombies = int(d.memAcct.count.Load()) - m.MemTable.Count
	m.MemTable.ZombieCapacity = uint64(d.memAcct.bytes.Load()) - m.MemTable.Capacity
	m.MemTable.SpareCapacity = uint64(d.spare.capacity())
	m.Flush.Count = d.mu.flush.count
	m.Flush.ForTombstones = d.mu.flush.forTombstones
	m.Flush.Bytes = d.mu.flush.bytes
	m.Flush.Running = d.mu.flush.running
	m.Stall.Count = d.mu.stalls
	m.Stall.Duration = time.Duration(d.mu.stallWaitNs)
	m.Stall.Slowdowns = d.mu.slowdowns
	cs := &d.mu.compact
	m.Compact.Count, m.Compact.Moves, m.Compact.DeleteOnly = cs.count, cs.moves, cs.deleteOnly
	m.Compact.Running = cs.running
	m.Compact.BytesRead, m.Compact.BytesWritten = cs.bytesRead, cs.bytesWritten
	m.Compact.TablesRead, m.Compact.TablesWritten = cs.tablesRead, cs.tablesWritten
	m.Compact.TablesDeletedWithoutRead = cs.tablesDeletedWithoutRead
	m.Compact.BytesDeletedWithoutRead = cs.bytesDeletedWithoutRead
	m.Compact.RangeDelDropped, m.Compact.RangeDelDroppedBytes = cs.rangeDelDropped, cs.rangeDelDroppedBytes
	m.Compact.FilterDropped, m.Compact.FilterDroppedBytes = cs.filterDropped, cs.filterDroppedBytes
	m.Compact.Duration = cs.duration
	m.Compact.PendingBytes = d.pendingCompactionBytes(d.vs.current)
	scores, baseLevel := d.levelScoresLocked(d.vs.current)
	_, maxBytes := d.levelTargets(d.vs.current)
	m.BaseLevel = baseLevel
	for level := range m.Levels {
		m.Levels[level].Score = scores[level]
		m.Levels[level].MaxBytes = maxBytes[level]
		m.Levels[level].BytesIn = cs.levelBytesIn[level]
		m.Levels[level].BytesWritten = cs.levelWritten[level]
	}
	m.Levels[0].BytesWritten += d.mu.flush.bytes
	if d.mu.flush.bytes > 0 {
		m.WriteAmp = float64(d.mu.flush.bytes+cs.bytesWritten) / float64(d.mu.flush.bytes)
	}
	m.Snapshots = d.mu.snapshots.count()
	m.BackgroundError = d.mu.bgErr
	for level, files := range d.vs.current.levels {
		m.Levels[level].NumFiles = len(files)
		m.Levels[level].Size = d.vs.current.sizes[level]
	}
	d.mu.Unlock()
	if d.blockCache != nil {
		m.BlockCache = d.blockCache.Metrics()
	}
	m.TableCache.Open = d.tableCache.size()
	m.VisibleSeqNum = base.SeqNum(d.visibleSeq.Load())
	m.Memory = readMemoryMetrics()
	return m
}

func readMemoryMetrics() MemoryMetrics {
	mm := MemoryMetrics{Allocator: jemallocprof.Allocator(), OffHeap: jemallocprof.OffHeap}
	for _, st := range jemallocprof.Snapshot() {
		mm.Purposes[st.Purpose] = st
		mm.TotalLive += st.Live
	}
	return mm
}

func asU64(m wal.WriterMetrics) (records, bytes, writes, syncs uint64) {
	return uint64(m.Records), uint64(m.Bytes), uint64(m.Writes), uint64(m.Syncs)
}

// String renders the metrics as a table.
func (m *Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "level | files |       size |  score |    written\n")
	fmt.Fprintf(&b, "------+-------+------------+--------+-----------\n")
	var files int
	var size uint64
	for level, l := range m.Levels {
		fmt.Fprintf(&b, "   L%d | %5d | %10d | %6.2f | %10d\n", level, l.NumFiles, l.Size, l.Score, l.BytesWritten)
		files += l.NumFiles
		size += l.Size
	}
	fmt.Fprintf(&b, "total | %5d | %10d |        |\n", files, size)
	fmt.Fprintf(&b, "base level: L%d, write amp: %.2f\n", m.BaseLevel, m.WriteAmp)
	fmt.Fprintf(&b, "compactions: %d (%d moves, %d delete-only), read %d bytes, wrote %d bytes, pending %d bytes\n",
		m.Compact.Count, m.Compact.Moves, m.Compact.DeleteOnly, m.Compact.BytesRead, m.Compact.BytesWritten, m.Compact.PendingBytes)
	fmt.Fprintf(&b, "memtables: %d (%d immutable), %d of %d bytes, zombies: %d (%d bytes), spare: %d bytes\n",
		m.MemTable.Count, m.MemTable.Immutables, m.MemTable.Size, m.MemTable.Capacity,
		m.MemTable.Zombies, m.MemTable.ZombieCapacity, m.MemTable.SpareCapacity)
	fmt.Fprintf(&b, "wal: mode=%s records=%d bytes=%d writes=%d syncs=%d sync time=%s\n",
		m.WAL.Mode, m.WAL.Records, m.WAL.Bytes, m.WAL.Writes, m.WAL.Syncs, m.WAL.SyncTime)
	fmt.Fprintf(&b, "flushes: %d (%d bytes, %d early for tombstones)\n", m.Flush.Count, m.Flush.Bytes, m.Flush.ForTombstones)
	fmt.Fprintf(&b, "stalls: %d (%s), slowdowns: %d\n", m.Stall.Count, m.Stall.Duration, m.Stall.Slowdowns)
	fmt.Fprintf(&b, "snapshots: %d, open tables: %d, visible seq: %d\n", m.Snapshots, m.TableCache.Open, m.VisibleSeqNum)
	if m.BackgroundError != nil {
		fmt.Fprintf(&b, "background error: %v\n", m.BackgroundError)
	}
	m.Memory.format(&b)
	return b.String()
}

// format renders the memory figures as a table, one row per purpose.
func (mm *MemoryMetrics) format(b *strings.Builder) {
	where := "Go heap"
	if mm.OffHeap {
		where = "off heap"
	}
	fmt.Fprintf(b, "memory (process-wide, allocator %s, %s): %d bytes live\n", mm.Allocator, where, mm.TotalLive)
	fmt.Fprintf(b, "           purpose |         live | allocs |         peak |      largest\n")
	for _, st := range mm.Purposes {
		fmt.Fprintf(b, "%18s | %12d | %6d | %12d | %12d\n", st.Purpose, st.Live, st.LiveAllocs, st.Peak, st.Largest)
	}
}
