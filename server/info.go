package server

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/lsm"
)

// redisVersion is the Redis version Strata is compatible with; clients
// read it from INFO and HELLO to decide which commands to use.
const redisVersion = "7.0.15"

// strataVersion is Strata's own version.
const strataVersion = "0.1.0"

func init() {
	register(&command{name: "info", arity: -1, flags: flagLoading | flagStale, group: "server",
		summary: "Returns information and statistics about the server.", handler: cmdInfo})
}

// infoSections lists INFO's sections in order; "default" and "all" select
// all of them, "everything" too.
var infoSections = []struct {
	name string
	gen  func(s *Server, m *lsm.Metrics, b *strings.Builder)
}{
	{"server", infoServer},
	{"clients", infoClients},
	{"memory", infoMemory},
	{"persistence", infoPersistence},
	{"stats", infoStats},
	{"replication", infoReplication},
	{"cpu", infoCPU},
	{"keyspace", infoKeyspace},
	{"engine", infoEngine},
}

func cmdInfo(c *client, args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["default"] || want["everything"]
	var b strings.Builder
	m := c.s.db.Metrics() // once: several sections use it
	for _, sec := range infoSections {
		if !all && !want[sec.name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "# %s\r\n", strings.ToUpper(sec.name[:1])+sec.name[1:])
		sec.gen(c.s, m, &b)
	}
	c.w.Verbatim("txt", []byte(b.String()))
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

func infoServer(s *Server, m *lsm.Metrics, b *strings.Builder) {
	up := time.Since(s.start)
	field(b, "redis_version", redisVersion)
	field(b, "strata_version", strataVersion)
	field(b, "redis_mode", "standalone")
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", 64)
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "run_id", s.runID)
	field(b, "tcp_port", s.cfg.Get("port"))
	field(b, "uptime_in_seconds", int64(up.Seconds()))
	field(b, "uptime_in_days", int64(up.Hours()/24))
	field(b, "executable", executable())
	field(b, "config_file", s.cfg.file)
	field(b, "active_workers", runtime.GOMAXPROCS(0))
}

func executable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}

func infoClients(s *Server, m *lsm.Metrics, b *strings.Builder) {
	s.mu.Lock()
	n := len(s.mu.clients)
	blocked := 0
	for _, c := range s.mu.clients {
		if c.blocked.Load() {
			blocked++
		}
	}
	s.mu.Unlock()
	field(b, "connected_clients", n)
	field(b, "maxclients", s.cfg.Get("maxclients"))
	field(b, "blocked_clients", blocked)
}

// infoMemory writes Redis 7's memory fields with the definitions of
// memstats.go, then the engine's and jemallocprof's own figures.
func infoMemory(s *Server, m *lsm.Metrics, b *strings.Builder) {
	f := s.memFigures(m)
	field(b, "used_memory", f.used)
	field(b, "used_memory_human", humanBytes(f.used))
	field(b, "used_memory_rss", f.rss)
	field(b, "used_memory_rss_human", humanBytes(f.rss))
	field(b, "used_memory_peak", f.peak)
	field(b, "used_memory_peak_human", humanBytes(f.peak))
	field(b, "used_memory_peak_perc", fmt.Sprintf("%.2f%%", 100*ratio(f.used, f.peak)))
	field(b, "used_memory_overhead", f.overhead)
	field(b, "used_memory_startup", f.startup)
	field(b, "used_memory_dataset", f.dataset)
	field(b, "used_memory_dataset_perc", fmt.Sprintf("%.2f%%", f.datasetPerc()))
	field(b, "allocator_allocated", f.heapObjects+f.offHeap)
	field(b, "allocator_active", f.heapActive+f.offHeap)
	field(b, "allocator_resident", f.resident+f.offHeap)
	field(b, "total_system_memory", f.totalSystem)
	field(b, "total_system_memory_human", humanBytes(f.totalSystem))
	// No scripting: Redis 7's script memory fields are zero.
	field(b, "used_memory_lua", 0)
	field(b, "used_memory_lua_human", humanBytes(0))
	field(b, "used_memory_scripts", 0)
	field(b, "used_memory_scripts_human", humanBytes(0))
	field(b, "number_of_cached_scripts", 0)
	field(b, "maxmemory", 0)
	field(b, "maxmemory_human", humanBytes(0))
	field(b, "maxmemory_policy", "noeviction")
	field(b, "allocator_frag_ratio", fmt.Sprintf("%.2f", ratio(f.heapActive, f.heapObjects)))
	field(b, "allocator_frag_bytes", f.heapActive-f.heapObjects)
	field(b, "allocator_rss_ratio", fmt.Sprintf("%.2f", ratio(f.resident, f.heapActive)))
	field(b, "allocator_rss_bytes", f.resident-f.heapActive)
	field(b, "rss_overhead_ratio", fmt.Sprintf("%.2f", ratio(f.rss, f.resident+f.offHeap)))
	field(b, "rss_overhead_bytes", f.rss-f.resident-f.offHeap)
	field(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", f.fragmentation()))
	field(b, "mem_fragmentation_bytes", f.rss-f.used)
	field(b, "mem_not_counted_for_evict", 0)
	field(b, "mem_replication_backlog", 0)
	field(b, "mem_clients_slaves", 0)
	field(b, "mem_clients_normal", f.clients)
	field(b, "mem_aof_buffer", f.wal)
	field(b, "mem_allocator", jemallocprof.Allocator())
	field(b, "active_defrag_running", 0)
	field(b, "lazyfree_pending_objects", 0)
	field(b, "lazyfreed_objects", 0)
	// The engine's view, then every purpose jemallocprof counts.
	field(b, "memtable_bytes", m.MemTable.Size)
	field(b, "memtable_capacity_bytes", m.MemTable.Capacity)
	field(b, "block_cache_bytes", m.BlockCache.Bytes)
	for _, st := range f.tracked {
		name := "tracked_" + st.Purpose.String()
		field(b, name, st.Live)
		field(b, name+"_peak", st.Peak)
		field(b, name+"_allocs", st.Allocs)
		field(b, name+"_live_allocs", st.LiveAllocs)
		field(b, name+"_largest", st.Largest)
	}
	field(b, "tracked_total", f.trackedTotal)
	field(b, "tracked_total_human", humanBytes(f.trackedTotal))
	field(b, "heap_profiling", yesNo(jemallocprof.ProfilingEnabled()))
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func infoPersistence(s *Server, m *lsm.Metrics, b *strings.Builder) {
	field(b, "loading", 0)
	field(b, "aof_enabled", boolInt(s.cfg.Bool("appendonly")))
	field(b, "appendfsync", s.cfg.Get("appendfsync"))
	field(b, "rdb_bgsave_in_progress", boolInt(s.saving.Load()))
	field(b, "rdb_last_save_time", s.lastSave.Load())
	status := "ok"
	if !s.lastSaveOK.Load() {
		status = "err"
	}
	field(b, "rdb_last_bgsave_status", status)
	field(b, "wal_mode", m.WAL.Mode)
	field(b, "flushes", m.Flush.Count)
	if m.BackgroundError != nil {
		field(b, "engine_read_only", 1)
		field(b, "engine_error", strings.ReplaceAll(m.BackgroundError.Error(), "\n", " "))
	} else {
		field(b, "engine_read_only", 0)
	}
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func infoStats(s *Server, m *lsm.Metrics, b *strings.Builder) {
	st := &s.stats
	field(b, "total_connections_received", st.connections.Load())
	field(b, "total_commands_processed", st.commands.Load())
	field(b, "total_net_output_bytes", st.netOutput.Load())
	field(b, "rejected_connections", st.rejected.Load())
	field(b, "expired_keys", st.expiredKeys.Load())
	if n, err := s.ks.PendingExpiries(time.Now(), maxPendingExpiriesCount); err == nil {
		// Keys past their expiry that the active cycle has yet to delete
		// (they are already invisible); counted up to a cap.
		field(b, "expired_keys_pending", n)
	}
	// Space the in-engine GC reclaimed: entries of dead keys (uuid ranges
	// deleted by range tombstones, expired strings dropped by the
	// compaction filter) that compactions did not rewrite, and tables
	// deleted whole without being read (counted in INFO engine's
	// tables_deleted_without_read).
	c := &m.Compact
	field(b, "gc_reclaimed_bytes", c.RangeDelDroppedBytes+c.FilterDroppedBytes+c.BytesDeletedWithoutRead)
	field(b, "gc_dropped_entries", c.RangeDelDropped+c.FilterDropped)
	field(b, "keyspace_hits", st.keyspaceHits.Load())
	field(b, "keyspace_misses", st.keyspaceMiss.Load())
	channels, patterns, shard := s.pubsubCounts()
	field(b, "pubsub_channels", channels)
	field(b, "pubsub_patterns", patterns)
	field(b, "pubsubshard_channels", shard)
}

// maxPendingExpiriesCount caps INFO's count of the expiry backlog.
const maxPendingExpiriesCount = 100000

func infoReplication(s *Server, m *lsm.Metrics, b *strings.Builder) {
	field(b, "role", "master")
	field(b, "connected_slaves", 0)
}

func infoCPU(s *Server, m *lsm.Metrics, b *strings.Builder) {
	sys, user := cpuTimes()
	field(b, "used_cpu_sys", fmt.Sprintf("%.6f", sys))
	field(b, "used_cpu_user", fmt.Sprintf("%.6f", user))
}

func infoKeyspace(s *Server, m *lsm.Metrics, b *strings.Builder) {
	for db := 0; db < int(s.cfg.Int("databases")); db++ {
		st := s.ks.DB(db).Stats()
		if st.Keys == 0 {
			continue
		}
		fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db, st.Keys, st.Expires, st.AvgTTL)
	}
}

func infoEngine(s *Server, m *lsm.Metrics, b *strings.Builder) {
	for level, l := range m.Levels {
		fmt.Fprintf(b, "level%d:files=%d,bytes=%d,score=%.2f\r\n", level, l.NumFiles, l.Size, l.Score)
	}
	field(b, "memtables", m.MemTable.Count)
	field(b, "immutable_memtables", m.MemTable.Immutables)
	field(b, "flush_count", m.Flush.Count)
	field(b, "flush_bytes", m.Flush.Bytes)
	field(b, "wal_records", m.WAL.Records)
	field(b, "wal_bytes", m.WAL.Bytes)
	field(b, "wal_writes", m.WAL.Writes)
	field(b, "wal_syncs", m.WAL.Syncs)
	field(b, "wal_sync_usec", m.WAL.SyncTime.Microseconds())
	field(b, "base_level", m.BaseLevel)
	field(b, "compactions", m.Compact.Count)
	field(b, "compaction_moves", m.Compact.Moves)
	field(b, "compaction_delete_only", m.Compact.DeleteOnly)
	field(b, "compaction_bytes_read", m.Compact.BytesRead)
	field(b, "compaction_bytes_written", m.Compact.BytesWritten)
	field(b, "compaction_pending_bytes", m.Compact.PendingBytes)
	field(b, "tables_deleted_without_read", m.Compact.TablesDeletedWithoutRead)
	field(b, "write_amp", fmt.Sprintf("%.2f", m.WriteAmp))
	field(b, "write_stalls", m.Stall.Count)
	field(b, "write_slowdowns", m.Stall.Slowdowns)
	field(b, "block_cache_hits", m.BlockCache.Hits)
	field(b, "block_cache_misses", m.BlockCache.Misses)
	field(b, "open_tables", m.TableCache.Open)
}
