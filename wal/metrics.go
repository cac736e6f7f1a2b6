package wal

import (
	"fmt"
	"sync/atomic"
	"time"
)

// WriterMetrics is a snapshot of a Writer's counters.
type WriterMetrics struct {
	// Records is the number of records appended.
	Records int64
	// Bytes is the number of log bytes (framing included) written to the
	// file.
	Bytes int64
	// Writes is the number of write calls on the file: one per group.
	Writes int64
	// Syncs is the number of Sync calls on the file.
	Syncs int64
	// SyncLatency is the total time spent in the file's Sync.
	SyncLatency time.Duration
}

// String formats the metrics on one line.
func (m WriterMetrics) String() string {
	avg := time.Duration(0)
	if m.Syncs > 0 {
		avg = m.SyncLatency / time.Duration(m.Syncs)
	}
	return fmt.Sprintf("records=%d bytes=%d writes=%d syncs=%d sync-latency=%s avg-sync=%s",
		m.Records, m.Bytes, m.Writes, m.Syncs, m.SyncLatency, avg)
}

// writerCounters are the live counters behind WriterMetrics.
type writerCounters struct {
	records     atomic.Int64
	bytes       atomic.Int64
	writes      atomic.Int64
	syncs       atomic.Int64
	syncLatency atomic.Int64 // nanoseconds
}

func (c *writerCounters) snapshot() WriterMetrics {
	return WriterMetrics{
		Records:     c.records.Load(),
		Bytes:       c.bytes.Load(),
		Writes:      c.writes.Load(),
		Syncs:       c.syncs.Load(),
		SyncLatency: time.Duration(c.syncLatency.Load()),
	}
}
