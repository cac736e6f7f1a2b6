package server

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/lsm"
)

// /metrics: the status server's Prometheus registry. It is the server's
// own registry (never the global default), holding the Go and process
// collectors and strataCollector, which reads the engine's lsm.Metrics,
// jemallocprof's figures, the memory figures of memstats.go and the
// server's counters once per scrape and only formats them.

func newMetricsRegistry(s *Server) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		// The scheduler's latency histogram (go_sched_latencies_seconds:
		// how long runnable goroutines wait for a thread) tells a p99 set
		// by queueing in the runtime from one set by the engine.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&strataCollector{s: s},
	)
	return reg
}

// metricDesc is one metric of strataCollector.
type metricDesc struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

func newMetric(kind prometheus.ValueType, name, help string, labels ...string) metricDesc {
	return metricDesc{prometheus.NewDesc("strata_"+name, help, labels, nil), kind}
}

var (
	gauge   = prometheus.GaugeValue
	counter = prometheus.CounterValue

	mLevelFiles  = newMetric(gauge, "engine_level_files", "Tables in each LSM level.", "level")
	mLevelBytes  = newMetric(gauge, "engine_level_bytes", "Bytes of the tables in each LSM level.", "level")
	mLevelScore  = newMetric(gauge, "engine_level_compaction_score", "Compaction score of each level (>= 1 asks for a compaction).", "level")
	mMemtable    = newMetric(gauge, "engine_memtable_bytes", "Arena bytes in use across all memtables.")
	mMemtables   = newMetric(gauge, "engine_memtables", "Memtables, the mutable one included.")
	mImmutables  = newMetric(gauge, "engine_immutable_memtables", "Memtables waiting for flush.")
	mFlushes     = newMetric(counter, "engine_flushes_total", "Memtable flushes.")
	mFlushBytes  = newMetric(counter, "engine_flush_bytes_total", "Bytes written by flushes.")
	mCompactions = newMetric(counter, "engine_compactions_total", "Compactions run.")
	mCompMoves   = newMetric(counter, "engine_compaction_moves_total", "Compactions that moved a table without rewriting it.")
	mCompDelete  = newMetric(counter, "engine_compaction_delete_only_total", "Delete-only compactions.")
	mCompRead    = newMetric(counter, "engine_compaction_read_bytes_total", "Bytes read by compactions.")
	mCompWritten = newMetric(counter, "engine_compaction_written_bytes_total", "Bytes written by compactions.")
	mCompPending = newMetric(gauge, "engine_compaction_pending_bytes", "Estimated bytes compactions still have to rewrite.")
	mCompRunning = newMetric(gauge, "engine_compactions_running", "Compactions in progress.")
	mStalls      = newMetric(counter, "engine_write_stalls_total", "Writes stopped until flushes or compactions caught up.")
	mStallSecs   = newMetric(counter, "engine_write_stall_seconds_total", "Time writes spent stalled.")
	mSlowdowns   = newMetric(counter, "engine_write_slowdowns_total", "Commits delayed before a stall.")
	mCacheHits   = newMetric(counter, "engine_block_cache_hits_total", "Block cache hits.")
	mCacheMisses = newMetric(counter, "engine_block_cache_misses_total", "Block cache misses.")
	mCacheBytes  = newMetric(gauge, "engine_block_cache_bytes", "Bytes of blocks resident in the block cache.")
	mCacheEvicts = newMetric(counter, "engine_block_cache_evictions_total", "Blocks evicted from the block cache.")
	mWALRecords  = newMetric(counter, "engine_wal_records_total", "Records appended to the WAL.")
	mWALBytes    = newMetric(counter, "engine_wal_bytes_total", "Bytes appended to the WAL.")
	mWALWrites   = newMetric(counter, "engine_wal_writes_total", "WAL write calls.")
	mWALSyncs    = newMetric(counter, "engine_wal_syncs_total", "WAL syncs.")
	mWALSyncSecs = newMetric(counter, "engine_wal_sync_seconds_total", "Time spent in WAL syncs.")
	mOpenTables  = newMetric(gauge, "engine_open_tables", "Tables open in the table cache.")
	mReadOnly    = newMetric(gauge, "engine_read_only", "1 when a background error has made the engine read-only.")
	mGCBytes     = newMetric(counter, "engine_gc_reclaimed_bytes_total", "Bytes of dead keys compactions reclaimed (INFO's gc_reclaimed_bytes).")

	mTracked       = newMetric(gauge, "memory_tracked_bytes", "Bytes live in jemallocprof, per purpose.", "purpose")
	mTrackedPeak   = newMetric(gauge, "memory_tracked_peak_bytes", "Highest live bytes in jemallocprof, per purpose.", "purpose")
	mTrackedLargst = newMetric(gauge, "memory_tracked_largest_bytes", "Largest single allocation in jemallocprof, per purpose.", "purpose")
	mTrackedLive   = newMetric(gauge, "memory_tracked_live_allocations", "Allocations live in jemallocprof, per purpose.", "purpose")
	mTrackedAllocs = newMetric(counter, "memory_tracked_allocations_total", "Allocations made through jemallocprof, per purpose.", "purpose")
	mUsed          = newMetric(gauge, "memory_used_bytes", "INFO memory's used_memory.")
	mRSS           = newMetric(gauge, "memory_rss_bytes", "INFO memory's used_memory_rss.")
	mPeak          = newMetric(gauge, "memory_peak_bytes", "INFO memory's used_memory_peak.")
	mDataset       = newMetric(gauge, "memory_dataset_bytes", "INFO memory's used_memory_dataset.")
	mHeapProfiling = newMetric(gauge, "heap_profiling_enabled", "1 while detailed heap profiling is on (KPROFILE MEMORY ENABLE).")

	mClients     = newMetric(gauge, "connected_clients", "Connected clients.")
	mBlocked     = newMetric(gauge, "blocked_clients", "Clients waiting in a blocking command.")
	mConnections = newMetric(counter, "connections_received_total", "Connections accepted.")
	mRejected    = newMetric(counter, "rejected_connections_total", "Connections refused (maxclients, protected mode).")
	mCommands    = newMetric(counter, "commands_processed_total", "Commands processed.")
	mHits        = newMetric(counter, "keyspace_hits_total", "Key lookups that found the key.")
	mMisses      = newMetric(counter, "keyspace_misses_total", "Key lookups that did not.")
	mExpired     = newMetric(counter, "expired_keys_total", "Keys deleted by active expiry.")
	mKeys        = newMetric(gauge, "keyspace_keys", "Live keys per database (databases with keys only).", "db")
	mExpires     = newMetric(gauge, "keyspace_expires", "Live keys with a TTL per database.", "db")
)

var allMetrics = []metricDesc{
	mLevelFiles, mLevelBytes, mLevelScore, mMemtable, mMemtables, mImmutables, mFlushes, mFlushBytes,
	mCompactions, mCompMoves, mCompDelete, mCompRead, mCompWritten, mCompPending, mCompRunning,
	mStalls, mStallSecs, mSlowdowns, mCacheHits, mCacheMisses, mCacheBytes, mCacheEvicts,
	mWALRecords, mWALBytes, mWALWrites, mWALSyncs, mWALSyncSecs, mOpenTables, mReadOnly, mGCBytes,
	mTracked, mTrackedPeak, mTrackedLargst, mTrackedLive, mTrackedAllocs, mUsed, mRSS, mPeak, mDataset, mHeapProfiling,
	mClients, mBlocked, mConnections, mRejected, mCommands, mHits, mMisses, mExpired, mKeys, mExpires,
}

// strataCollector collects the server's metrics at each scrape.
type strataCollector struct{ s *Server }

func (sc *strataCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range allMetrics {
		ch <- m.desc
	}
}

func (sc *strataCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	emit := func(m metricDesc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, labels...)
	}
	m := s.db.Metrics()
	sc.collectEngine(m, emit)

	f := s.memFigures(m)
	for _, st := range f.tracked {
		p := st.Purpose.String()
		emit(mTracked, float64(st.Live), p)
		emit(mTrackedPeak, float64(st.Peak), p)
		emit(mTrackedLargst, float64(st.Largest), p)
		emit(mTrackedLive, float64(st.LiveAllocs), p)
		emit(mTrackedAllocs, float64(st.Allocs), p)
	}
	emit(mUsed, float64(f.used))
	emit(mRSS, float64(f.rss))
	emit(mPeak, float64(f.peak))
	emit(mDataset, float64(f.dataset))
	emit(mHeapProfiling, b2f(jemallocprof.ProfilingEnabled()))

	s.mu.Lock()
	clients, blocked := len(s.mu.clients), 0
	for _, c := range s.mu.clients {
		if c.blocked.Load() {
			blocked++
		}
	}
	s.mu.Unlock()
	st := &s.stats
	emit(mClients, float64(clients))
	emit(mBlocked, float64(blocked))
	emit(mConnections, float64(st.connections.Load()))
	emit(mRejected, float64(st.rejected.Load()))
	emit(mCommands, float64(st.commands.Load()))
	emit(mHits, float64(st.keyspaceHits.Load()))
	emit(mMisses, float64(st.keyspaceMiss.Load()))
	emit(mExpired, float64(st.expiredKeys.Load()))
	for db := 0; db < int(s.cfg.Int("databases")); db++ {
		ks := s.ks.DB(db).Stats()
		if ks.Keys == 0 {
			continue
		}
		emit(mKeys, float64(ks.Keys), strconv.Itoa(db))
		emit(mExpires, float64(ks.Expires), strconv.Itoa(db))
	}
}

func (sc *strataCollector) collectEngine(m *lsm.Metrics, emit func(metricDesc, float64, ...string)) {
	for level, l := range m.Levels {
		lv := strconv.Itoa(level)
		emit(mLevelFiles, float64(l.NumFiles), lv)
		emit(mLevelBytes, float64(l.Size), lv)
		emit(mLevelScore, l.Score, lv)
	}
	emit(mMemtable, float64(m.MemTable.Size))
	emit(mMemtables, float64(m.MemTable.Count))
	emit(mImmutables, float64(m.MemTable.Immutables))
	emit(mFlushes, float64(m.Flush.Count))
	emit(mFlushBytes, float64(m.Flush.Bytes))
	c := &m.Compact
	emit(mCompactions, float64(c.Count))
	emit(mCompMoves, float64(c.Moves))
	emit(mCompDelete, float64(c.DeleteOnly))
	emit(mCompRead, float64(c.BytesRead))
	emit(mCompWritten, float64(c.BytesWritten))
	emit(mCompPending, float64(c.PendingBytes))
	emit(mCompRunning, float64(c.Running))
	emit(mGCBytes, float64(c.RangeDelDroppedBytes+c.FilterDroppedBytes+c.BytesDeletedWithoutRead))
	emit(mStalls, float64(m.Stall.Count))
	emit(mStallSecs, m.Stall.Duration.Seconds())
	emit(mSlowdowns, float64(m.Stall.Slowdowns))
	emit(mCacheHits, float64(m.BlockCache.Hits))
	emit(mCacheMisses, float64(m.BlockCache.Misses))
	emit(mCacheBytes, float64(m.BlockCache.Bytes))
	emit(mCacheEvicts, float64(m.BlockCache.Evictions))
	emit(mWALRecords, float64(m.WAL.Records))
	emit(mWALBytes, float64(m.WAL.Bytes))
	emit(mWALWrites, float64(m.WAL.Writes))
	emit(mWALSyncs, float64(m.WAL.Syncs))
	emit(mWALSyncSecs, m.WAL.SyncTime.Seconds())
	emit(mOpenTables, float64(m.TableCache.Open))
	emit(mReadOnly, b2f(m.BackgroundError != nil))
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
