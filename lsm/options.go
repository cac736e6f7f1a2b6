package lsm

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/sstable"
)

// WALMode selects how the write-ahead log is used. The names follow Redis's
// persistence settings: appendonly yes + appendfsync always|everysec|no, and
// appendonly no (the WAL disabled).
type WALMode int

const (
	// WALDefault is the zero value and means WALSyncEverySec.
	WALDefault WALMode = iota
	// WALSyncAlways syncs the WAL before any write is acknowledged (one sync
	// per commit group).
	WALSyncAlways
	// WALSyncEverySec writes every batch to the WAL before acknowledging it
	// and syncs about once a second in the background.
	WALSyncEverySec
	// WALSyncNo writes every batch to the WAL before acknowledging it and
	// leaves syncing to the operating system (and to WriteOptions.Sync).
	WALSyncNo
	// WALDisabled keeps writes only in the memtable until a flush: a crash
	// loses everything written since the last completed flush. Flush (or
	// FLUSHMEMTABLE at the server) makes earlier writes durable.
	WALDisabled
)

var walModeNames = map[WALMode]string{
	WALDefault: "default", WALSyncAlways: "always", WALSyncEverySec: "everysec",
	WALSyncNo: "no", WALDisabled: "disabled",
}

func (m WALMode) String() string {
	if s, ok := walModeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("WALMode(%d)", int(m))
}

// Options returns a copy of the options the DB was opened with, defaults
// filled in (later SetMemTableSize and SetBlockCacheSize calls are not
// reflected).
func (d *DB) Options() Options { return *d.opts }

// ParseCompression parses a compression name for Options.Compression and
// BottommostCompression (sstable.ParseCompression), so that the engine's
// users need not import sstable.
func ParseCompression(s string) (sstable.Compression, error) { return sstable.ParseCompression(s) }

// ParseWALMode parses "always", "everysec", "no" or "disabled".
func ParseWALMode(s string) (WALMode, error) {
	for m, name := range walModeNames {
		if name == strings.ToLower(s) && m != WALDefault {
			return m, nil
		}
	}
	return 0, fmt.Errorf("lsm: unknown WAL mode %q", s)
}

// Defaults, in one place.
const (
	DefaultMemTableSize                = 64 << 20
	DefaultMemTableStopWritesThreshold = 4
	DefaultBlockSize                   = 4096
	DefaultBlockRestartInterval        = 8
	DefaultBloomBitsPerKey             = 10
	DefaultBlockCacheSize              = 64 << 20
	DefaultWALSyncInterval             = time.Second
	DefaultTargetFileSize              = 32 << 20
	DefaultLBaseMaxBytes               = 64 << 20
	DefaultLevelMultiplier             = 10
	DefaultL0CompactionThreshold       = 4
	DefaultL0SlowdownWritesThreshold   = 12
	DefaultL0StopWritesThreshold       = 20
	DefaultMaxConcurrentCompactions    = 1
	DefaultMaxOpenFiles                = 1000
	minMemTableSize                    = 64 << 10
	maxMemTableSize                    = 4<<30 - 1
)

// Options configures a DB. The zero value of every field means its default;
// call EnsureDefaults to fill them in and Validate to check them.
type Options struct {
	// FS is the filesystem every file operation goes through. Default: the
	// operating system's.
	FS vfs.FS

	// WALMode is the durability policy of the write-ahead log.
	WALMode WALMode
	// WALSyncInterval is the background sync period of WALSyncEverySec, and
	// under WALSyncNo the period at which records committed with NoWait
	// that nobody waited for are written.
	WALSyncInterval time.Duration

	// MemTableSize is the arena size of each memtable, in bytes.
	MemTableSize int
	// MemTableStopWritesThreshold is the number of memtables (the mutable one
	// included) at which writes wait for a flush to finish.
	MemTableStopWritesThreshold int

	// Table format settings for flushed tables.
	BlockSize int
	// BlockRestartInterval (default 8; LevelDB, RocksDB and Pebble use 16)
	// is the keys between a data block's restart points: a point read
	// decodes the keys from the restart point before its key, up to 7
	// here instead of up to 15 (BenchmarkReadRandomHitMany 10-20% faster,
	// 3 pairs), for about 1% more block bytes with keys like the server's
	// (4% once compressed, with redis-benchmark's repetitive values).
	BlockRestartInterval int
	BloomBitsPerKey      int // negative disables bloom filters
	Compression          sstable.Compression
	// BottommostCompression is the compression of tables compactions
	// write to the bottommost level, which holds most of the data;
	// DefaultCompression means Compression. ZstdCompression there trades
	// compaction CPU (zstd encodes a 4 KiB block about 5 times slower than
	// s2) and slower cache misses for a smaller footprint.
	BottommostCompression sstable.Compression

	// Leveled compaction. Level sizes are dynamic: the bottom level holds
	// most data and each level above is LevelMultiplier times smaller, down
	// to a base level of about LBaseMaxBytes; L0 flushes compact into the
	// base level.
	L0CompactionThreshold int   // L0 files that trigger a compaction
	LBaseMaxBytes         int64 // target size of the base level
	LevelMultiplier       int   // size ratio between adjacent levels
	TargetFileSize        int64 // size at which compaction outputs are cut
	// SplitOutput, if set, reports whether a table written by a compaction
	// must end between the user keys prev and key (prev < key): a boundary
	// between families of keys that are written and deleted differently,
	// like RocksDB's SST partitioner. Strata's keyspace splits at the
	// family byte, so the tables of element data (appended at ever larger
	// uuids, deleted by whole ranges) never share a table with metadata or
	// the expiry index: a table that straddled both would be merged again
	// by every compaction of new data and could never be dropped whole.
	// It must be cheap and safe for concurrent use.
	SplitOutput func(prev, key []byte) bool
	// MaxConcurrentCompactions bounds the background compactions (one suits
	// two cores: a flush and a compaction run side by side).
	MaxConcurrentCompactions int

	// Write stalls: past the slowdown threshold each commit is delayed a
	// little (more the further past it is); at the stop threshold writes
	// wait for compactions.
	L0SlowdownWritesThreshold int
	L0StopWritesThreshold     int

	// CompactionFilter, if set, is called for each point entry (SET) a
	// compaction writes that is the newest version no snapshot still
	// needs. Returning true drops it: the entry is written as a tombstone,
	// or dropped outright when the output is the bottommost level, so an
	// older version in a lower level can never resurface. It must be safe
	// for concurrent use and must not retain key or value.
	CompactionFilter func(key, value []byte) (drop bool)
	// CompactionFilterScope, if set, reports whether CompactionFilter may
	// drop any key in [smallest, largest] (user keys, inclusive); nil means
	// it may drop keys anywhere. A table out of the filter's scope moves
	// into the bottommost level as it is: otherwise it is rewritten there
	// so that the filter sees its keys (in Strata the filter drops only
	// expired strings' metadata, and the tables of element data, most of
	// the bytes, would be rewritten once more for nothing). It must be
	// cheap and safe for concurrent use.
	CompactionFilterScope func(smallest, largest []byte) bool

	// MaxOpenFiles bounds the tables kept open (readers with their index
	// and filter in memory); the least recently used close first.
	MaxOpenFiles int

	// BlockCacheSize is the byte budget of the shared block cache; negative
	// disables the cache.
	BlockCacheSize int64

	// CacheFlushedBlocks puts the data blocks of every table a flush
	// writes into the block cache as they are written (RocksDB's
	// prepopulate_block_cache = kFlushOnly): the keys written last, which
	// a read-after-write workload (a cache, a counter) reads next, are
	// then found in the cache instead of being read back and decompressed
	// from the new table. A flush caches its blocks only while the
	// memtable is at most a quarter of the cache's capacity. Compactions'
	// outputs are cached by CacheCompactedBlocks.
	CacheFlushedBlocks bool

	// CacheCompactedBlocks puts the data blocks a compaction writes into
	// the block cache as far as it has room for them besides the input
	// blocks the compaction found there (dropped with their tables when it
	// is done, and the next blocks evicted meanwhile). A compaction then
	// leaves the key ranges the cache held as warm as it found them, where
	// otherwise every read of them after it loads and decompresses their
	// blocks again, and fills free room with the rest; it pushes out no
	// block readers used.
	CacheCompactedBlocks bool

	// ReadOnly opens the DB without writing anything: no WAL replay into new
	// tables, no new files. (Reserved for tooling.)
	ReadOnly bool

	// ErrorIfExists refuses to open an existing DB; ErrorIfNotExists refuses
	// to create one.
	ErrorIfExists    bool
	ErrorIfNotExists bool

	// Logger receives the engine's structured logs. Default: discard.
	Logger *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults and returns o (a new
// Options if o is nil).
func (o *Options) EnsureDefaults() *Options {
	if o == nil {
		o = &Options{}
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.WALMode == WALDefault {
		o.WALMode = WALSyncEverySec
	}
	if o.WALSyncInterval == 0 {
		o.WALSyncInterval = DefaultWALSyncInterval
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	if o.MemTableStopWritesThreshold == 0 {
		o.MemTableStopWritesThreshold = DefaultMemTableStopWritesThreshold
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockRestartInterval == 0 {
		o.BlockRestartInterval = DefaultBlockRestartInterval
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = DefaultBloomBitsPerKey
	}
	if o.Compression == 0 {
		o.Compression = sstable.FastCompression
	}
	if o.BottommostCompression == 0 {
		o.BottommostCompression = o.Compression
	}
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = DefaultBlockCacheSize
	}
	if o.MaxOpenFiles == 0 {
		o.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if o.L0CompactionThreshold == 0 {
		o.L0CompactionThreshold = DefaultL0CompactionThreshold
	}
	if o.LBaseMaxBytes == 0 {
		o.LBaseMaxBytes = DefaultLBaseMaxBytes
	}
	if o.LevelMultiplier == 0 {
		o.LevelMultiplier = DefaultLevelMultiplier
	}
	if o.TargetFileSize == 0 {
		o.TargetFileSize = DefaultTargetFileSize
	}
	if o.MaxConcurrentCompactions == 0 {
		o.MaxConcurrentCompactions = DefaultMaxConcurrentCompactions
	}
	if o.L0SlowdownWritesThreshold == 0 {
		o.L0SlowdownWritesThreshold = DefaultL0SlowdownWritesThreshold
	}
	if o.L0StopWritesThreshold == 0 {
		o.L0StopWritesThreshold = DefaultL0StopWritesThreshold
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports the first invalid setting.
func (o *Options) Validate() error {
	switch {
	case o.MemTableSize < minMemTableSize || o.MemTableSize > maxMemTableSize:
		return fmt.Errorf("lsm: MemTableSize %d out of range [%d, %d]", o.MemTableSize, minMemTableSize, maxMemTableSize)
	case o.MemTableStopWritesThreshold < 2:
		return fmt.Errorf("lsm: MemTableStopWritesThreshold %d must be at least 2", o.MemTableStopWritesThreshold)
	case o.WALMode < WALDefault || o.WALMode > WALDisabled:
		return fmt.Errorf("lsm: invalid WALMode %d", int(o.WALMode))
	case o.WALSyncInterval < 0:
		return fmt.Errorf("lsm: negative WALSyncInterval")
	case o.BlockSize < 64 || o.BlockSize > 1<<20:
		return fmt.Errorf("lsm: BlockSize %d out of range [64, 1MiB]", o.BlockSize)
	case o.BlockRestartInterval < 1:
		return fmt.Errorf("lsm: BlockRestartInterval must be positive")
	case o.L0CompactionThreshold < 1:
		return fmt.Errorf("lsm: L0CompactionThreshold must be positive")
	case o.L0SlowdownWritesThreshold < o.L0CompactionThreshold || o.L0StopWritesThreshold < o.L0SlowdownWritesThreshold:
		return fmt.Errorf("lsm: need L0CompactionThreshold <= L0SlowdownWritesThreshold <= L0StopWritesThreshold, have %d, %d, %d",
			o.L0CompactionThreshold, o.L0SlowdownWritesThreshold, o.L0StopWritesThreshold)
	case o.LBaseMaxBytes < 1<<10 || o.TargetFileSize < 1<<10:
		return fmt.Errorf("lsm: LBaseMaxBytes and TargetFileSize must be at least 1 KiB")
	case o.LevelMultiplier < 2:
		return fmt.Errorf("lsm: LevelMultiplier must be at least 2")
	case o.MaxOpenFiles < 16:
		return fmt.Errorf("lsm: MaxOpenFiles %d must be at least 16", o.MaxOpenFiles)
	case o.MaxConcurrentCompactions < 1:
		return fmt.Errorf("lsm: MaxConcurrentCompactions must be positive")
	case o.ErrorIfExists && o.ErrorIfNotExists:
		return fmt.Errorf("lsm: ErrorIfExists and ErrorIfNotExists both set")
	}
	return nil
}

// String renders the options one per line, for logs and the OPTIONS file.
func (o *Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wal_mode=%s\n", o.WALMode)
	fmt.Fprintf(&b, "wal_sync_interval=%s\n", o.WALSyncInterval)
	fmt.Fprintf(&b, "memtable_size=%d\n", o.MemTableSize)
	fmt.Fprintf(&b, "memtable_stop_writes_threshold=%d\n", o.MemTableStopWritesThreshold)
	fmt.Fprintf(&b, "block_size=%d\n", o.BlockSize)
	fmt.Fprintf(&b, "block_restart_interval=%d\n", o.BlockRestartInterval)
	fmt.Fprintf(&b, "bloom_bits_per_key=%d\n", o.BloomBitsPerKey)
	fmt.Fprintf(&b, "compression=%s\n", o.Compression)
	fmt.Fprintf(&b, "bottommost_compression=%s\n", o.BottommostCompression)
	fmt.Fprintf(&b, "block_cache_size=%d\n", o.BlockCacheSize)
	fmt.Fprintf(&b, "l0_compaction_threshold=%d\n", o.L0CompactionThreshold)
	fmt.Fprintf(&b, "l0_slowdown_writes_threshold=%d\n", o.L0SlowdownWritesThreshold)
	fmt.Fprintf(&b, "l0_stop_writes_threshold=%d\n", o.L0StopWritesThreshold)
	fmt.Fprintf(&b, "lbase_max_bytes=%d\n", o.LBaseMaxBytes)
	fmt.Fprintf(&b, "level_multiplier=%d\n", o.LevelMultiplier)
	fmt.Fprintf(&b, "target_file_size=%d\n", o.TargetFileSize)
	fmt.Fprintf(&b, "max_concurrent_compactions=%d\n", o.MaxConcurrentCompactions)
	return b.String()
}

// WriteOptions control one write.
type WriteOptions struct {
	// Sync makes this write durable (WAL synced) before it is acknowledged,
	// whatever the WAL mode. With the WAL disabled it has no effect.
	Sync bool
	// NoWait makes the commit return once the batch is visible, without
	// waiting for its WAL record to be written: the record is left for the
	// next WAL write (wal.Writer.AppendDeferred), and the caller must call
	// DB.WaitLogged before it acknowledges the write to anyone who relies
	// on its durability. Until then other readers can see a write that a
	// crash would lose, as under Redis's appendfsync everysec. Ignored with
	// Sync or under WALSyncAlways, where a commit is synced before it is
	// visible.
	NoWait bool
}

// Sync, NoSync and NoWait are the common WriteOptions.
var (
	Sync   = &WriteOptions{Sync: true}
	NoSync = &WriteOptions{}
	// NoWait is NoSync without waiting for the WAL write (WaitLogged).
	NoWait = &WriteOptions{NoWait: true}
)

// IterOptions bound an iterator to user keys in [LowerBound, UpperBound);
// nil means unbounded.
type IterOptions struct {
	LowerBound []byte
	UpperBound []byte
}
