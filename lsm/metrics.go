package lsm

import (
	"fmt"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/sstable"
	"github.com/strata-db/strata/wal"
)

// LevelMetrics describes one level of the LSM.
type LevelMetrics struct {
	NumFiles int
	Size     uint64
}

// Metrics is a snapshot of the engine's state and counters. INFO and
// /metrics only format it.
type Metrics struct {
	MemTable struct {
		// Size is the arena bytes in use across all memtables; Count the
		// number of memtables (mutable + waiting for flush).
		Size       uint64
		Count      int
		Capacity   uint64
		Immutables int
	}
	WAL struct {
		Mode WALMode
		// Totals over the life of this DB handle.
		Records, Bytes, Writes, Syncs uint64
	}
	Flush struct {
		Count   int64
		Bytes   int64
		Running bool
	}
	Levels [numLevels]LevelMetrics
	Stall  struct {
		Count    int64
		Duration time.Duration
	}
	BlockCache    sstable.CacheMetrics
	TableCache    struct{ Open int }
	Snapshots     int
	VisibleSeqNum base.SeqNum
	// BackgroundError is the sticky error that turned the DB read-only.
	BackgroundError error
}

// Metrics returns a snapshot of the engine's metrics.
func (d *DB) Metrics() *Metrics {
	m := &Metrics{}
	d.commit.mu.Lock()
	wm := d.commit.closedLogs
	if d.commit.log != nil {
		cur := d.commit.log.Metrics()
		wm.Records += cur.Records
		wm.Bytes += cur.Bytes
		wm.Writes += cur.Writes
		wm.Syncs += cur.Syncs
	}
	d.commit.mu.Unlock()
	m.WAL.Mode = d.opts.WALMode
	m.WAL.Records, m.WAL.Bytes, m.WAL.Writes, m.WAL.Syncs = asU64(wm)

	d.mu.Lock()
	for _, mt := range d.mu.mem.queue {
		m.MemTable.Size += uint64(mt.Size())
		m.MemTable.Capacity += uint64(mt.Capacity())
	}
	m.MemTable.Count = len(d.mu.mem.queue)
	m.MemTable.Immutables = len(d.mu.mem.queue) - 1
	m.Flush.Count = d.mu.flush.count
	m.Flush.Bytes = d.mu.flush.bytes
	m.Flush.Running = d.mu.flush.running
	m.Stall.Count = d.mu.stalls
	m.Stall.Duration = time.Duration(d.mu.stallWaitNs)
	m.Snapshots = d.mu.snapshots.count()
	m.BackgroundError = d.mu.bgErr
	for level, files := range d.vs.current.levels {
		m.Levels[level].NumFiles = len(files)
		for _, f := range files {
			m.Levels[level].Size += f.Size
		}
	}
	d.mu.Unlock()
	if d.blockCache != nil {
		m.BlockCache = d.blockCache.Metrics()
	}
	m.TableCache.Open = d.tableCache.size()
	m.VisibleSeqNum = base.SeqNum(d.visibleSeq.Load())
	return m
}

func asU64(m wal.WriterMetrics) (records, bytes, writes, syncs uint64) {
	return uint64(m.Records), uint64(m.Bytes), uint64(m.Writes), uint64(m.Syncs)
}

// String renders the metrics as a table.
func (m *Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "level | files |       size\n")
	fmt.Fprintf(&b, "------+-------+-----------\n")
	var files int
	var size uint64
	for level, l := range m.Levels {
		fmt.Fprintf(&b, "   L%d | %5d | %10d\n", level, l.NumFiles, l.Size)
		files += l.NumFiles
		size += l.Size
	}
	fmt.Fprintf(&b, "total | %5d | %10d\n", files, size)
	fmt.Fprintf(&b, "memtables: %d (%d immutable), %d of %d bytes\n",
		m.MemTable.Count, m.MemTable.Immutables, m.MemTable.Size, m.MemTable.Capacity)
	fmt.Fprintf(&b, "wal: mode=%s records=%d bytes=%d writes=%d syncs=%d\n",
		m.WAL.Mode, m.WAL.Records, m.WAL.Bytes, m.WAL.Writes, m.WAL.Syncs)
	fmt.Fprintf(&b, "flushes: %d (%d bytes)\n", m.Flush.Count, m.Flush.Bytes)
	fmt.Fprintf(&b, "stalls: %d (%s)\n", m.Stall.Count, m.Stall.Duration)
	fmt.Fprintf(&b, "snapshots: %d, open tables: %d, visible seq: %d\n", m.Snapshots, m.TableCache.Open, m.VisibleSeqNum)
	if m.BackgroundError != nil {
		fmt.Fprintf(&b, "background error: %v\n", m.BackgroundError)
	}
	return b.String()
}
