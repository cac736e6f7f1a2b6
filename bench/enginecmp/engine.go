package main

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/strata-db/strata/lsm"
)

// config holds the settings both engines are given.
type config struct {
	memTableSize   int
	blockCacheSize int64
	bloomBits      int
	blockSize      int
}

// cfg is the configuration of both engines; -cache sets blockCacheSize.
var cfg = config{
	memTableSize:   64 << 20,
	blockCacheSize: 64 << 20,
	bloomBits:      10,
	blockSize:      4096,
}

// engine is the part of a key-value store the workloads use. Writes are
// acknowledged after the WAL write, without a sync.
type engine interface {
	set(key, value []byte) error
	// get appends the value of key to dst; found is false for an absent key.
	get(dst, key []byte) (val []byte, found bool, err error)
	// scan iterates over every key forward and returns the number of
	// entries and their key and value bytes.
	scan() (entries, bytes int, err error)
	// flush writes the memtables to tables.
	flush() error
	// quiet reports whether no flush or compaction is running and no level
	// asks for one (every compaction score below 1).
	quiet() bool
	// deleteRange deletes the keys in [start, end) without a sync.
	deleteRange(start, end []byte) error
	// compact compacts the keys in [first, end) to the bottom of the LSM
	// and waits.
	compact(first, end []byte) error
	// amp returns the engine's table write counters.
	amp() ampCounters
	// metrics returns the engine's own metrics report.
	metrics() string
	close() error
}

// engineSpec names an engine and opens it in a fresh directory.
type engineSpec struct {
	name string
	open func(dir string, c config) (engine, error)
}

var engines = []engineSpec{
	{"strata", openStrata},
	{"pebble", openPebble},
}

// Strata.

type strataEngine struct{ db *lsm.DB }

func openStrata(dir string, c config) (engine, error) {
	db, err := lsm.Open(dir, &lsm.Options{
		WALMode:         lsm.WALSyncNo,
		MemTableSize:    c.memTableSize,
		BlockCacheSize:  c.blockCacheSize,
		BloomBitsPerKey: c.bloomBits,
		BlockSize:       c.blockSize,
	})
	if err != nil {
		return nil, err
	}
	return &strataEngine{db}, nil
}

// set does not wait for the WAL write (lsm.NoWait), as Pebble's NoSync does
// not.
func (e *strataEngine) set(k, v []byte) error { return e.db.Set(k, v, lsm.NoWait) }

func (e *strataEngine) get(dst, k []byte) ([]byte, bool, error) {
	v, err := e.db.GetAppend(dst, k)
	if errors.Is(err, lsm.ErrNotFound) {
		return dst, false, nil
	}
	return v, err == nil, err
}

func (e *strataEngine) scan() (int, int, error) {
	it, err := e.db.NewIter(nil)
	if err != nil {
		return 0, 0, err
	}
	n, b := 0, 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
		b += len(it.Key()) + len(it.Value())
	}
	return n, b, it.Close()
}

func (e *strataEngine) flush() error { return e.db.Flush() }

func (e *strataEngine) quiet() bool {
	m := e.db.Metrics()
	if m.Flush.Running || m.MemTable.Immutables > 0 || m.Compact.Running > 0 {
		return false
	}
	for _, l := range m.Levels {
		if l.Score >= 1 {
			return false
		}
	}
	return true
}

func (e *strataEngine) deleteRange(start, end []byte) error {
	return e.db.DeleteRange(start, end, lsm.NoSync)
}

// compact compacts everything: Strata's Compact takes an inclusive range,
// and nil bounds cover the whole key space.
func (e *strataEngine) compact(_, _ []byte) error { return e.db.Compact(nil, nil) }

func (e *strataEngine) amp() ampCounters {
	m := e.db.Metrics()
	return ampCounters{flushed: m.Flush.Bytes, compacted: m.Compact.BytesWritten, native: m.WriteAmp}
}

func (e *strataEngine) metrics() string { return e.db.Metrics().String() }

func (e *strataEngine) close() error { return e.db.Close() }

// Pebble.

type pebbleEngine struct {
	db    *pebble.DB
	cache *pebble.Cache
}

// pebbleReservedMemTables is the number of memtables whose arenas Pebble
// charges to its block cache while the read workloads run: the mutable one
// and the one kept for recycling. Pebble reserves every memtable arena in
// the block cache (Cache.Reserve), so a cache of blockCacheSize alone would
// leave no room for blocks at all when the memtables are 64 MiB.
const pebbleReservedMemTables = 2

func openPebble(dir string, c config) (engine, error) {
	// Give Pebble's cache the memtable reservations on top, so that about
	// blockCacheSize of it holds blocks during the reads, as Strata's does.
	cache := pebble.NewCache(c.blockCacheSize + pebbleReservedMemTables*int64(c.memTableSize))
	opts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                uint64(c.memTableSize),
		MemTableStopWritesThreshold: lsm.DefaultMemTableStopWritesThreshold,
		Levels:                      make([]pebble.LevelOptions, 7),
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(c.bloomBits)
		opts.Levels[i].BlockSize = c.blockSize
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		cache.Unref()
		return nil, err
	}
	return &pebbleEngine{db: db, cache: cache}, nil
}

func (e *pebbleEngine) set(k, v []byte) error { return e.db.Set(k, v, pebble.NoSync) }

func (e *pebbleEngine) get(dst, k []byte) ([]byte, bool, error) {
	v, closer, err := e.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, err
	}
	dst = append(dst, v...)
	return dst, true, closer.Close()
}

func (e *pebbleEngine) scan() (int, int, error) {
	it, err := e.db.NewIter(nil)
	if err != nil {
		return 0, 0, err
	}
	n, b := 0, 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
		b += len(it.Key()) + len(it.Value())
	}
	return n, b, it.Close()
}

func (e *pebbleEngine) flush() error { return e.db.Flush() }

func (e *pebbleEngine) quiet() bool {
	m := e.db.Metrics()
	if m.Compact.NumInProgress > 0 || m.Flush.NumInProgress > 0 {
		return false
	}
	for _, l := range m.Levels {
		if l.Score >= 1 {
			return false
		}
	}
	return true
}

func (e *pebbleEngine) deleteRange(start, end []byte) error {
	return e.db.DeleteRange(start, end, pebble.NoSync)
}

func (e *pebbleEngine) compact(first, end []byte) error { return e.db.Compact(first, end, true) }

// amp sums the per-level table writes. Pebble's own Total().WriteAmp()
// counts the WAL bytes as the input (and adds them to the output); that
// figure is kept as native.
func (e *pebbleEngine) amp() ampCounters {
	m := e.db.Metrics()
	var a ampCounters
	for _, l := range m.Levels {
		a.flushed += int64(l.BytesFlushed)
		a.compacted += int64(l.BytesCompacted)
	}
	t := m.Total()
	a.native = t.WriteAmp()
	return a
}

func (e *pebbleEngine) metrics() string { return e.db.Metrics().String() }

func (e *pebbleEngine) close() error {
	err := e.db.Close()
	e.cache.Unref()
	return err
}

// quiesce waits until e has been quiet (no flush or compaction running, no
// level score >= 1) for five polls in a row, or until timeout; it reports
// whether it got there.
func quiesce(e engine, timeout time.Duration) bool {
	quietPolls := 0
	for deadline := time.Now().Add(timeout); quietPolls < 5; time.Sleep(50 * time.Millisecond) {
		if !time.Now().Before(deadline) {
			return false
		}
		if e.quiet() {
			quietPolls++
		} else {
			quietPolls = 0
		}
	}
	return true
}

// ampCounters are an engine's table write counters: bytes written by
// flushes and by compactions (moves excluded), and the engine's own write
// amplification figure.
type ampCounters struct {
	flushed, compacted int64
	native             float64
}

// writeAmp is (flushed + compacted) / flushed, the same for both engines.
func (a ampCounters) writeAmp() float64 {
	if a.flushed == 0 {
		return 0
	}
	return float64(a.flushed+a.compacted) / float64(a.flushed)
}

// diskUsage returns the bytes of every file under dir and of its tables
// (*.sst) alone.
func diskUsage(dir string) (total, tables int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if strings.HasSuffix(path, ".sst") {
			tables += info.Size()
		}
		return nil
	})
	return total, tables, err
}
