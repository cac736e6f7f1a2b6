package lsm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/sstable"
)

// tableCache keeps the readers of open tables, at most MaxOpenFiles of
// them. Every use of a reader holds a reference; a reader is closed when it
// has been evicted (least recently used first, or because its table became
// obsolete) and its last reference is released, so eviction never closes a
// table under a running read.
type tableCache struct {
	d     *DB
	limit int
	clock atomic.Int64 // use counter for the approximate LRU
	mu    sync.RWMutex
	m     map[base.FileNum]*tableCacheEntry
}

type tableCacheEntry struct {
	num    base.FileNum
	file   *FileMetadata // the file whose cached field may point here
	once   sync.Once
	reader *sstable.Reader
	err    error
	// refs counts the cache's own reference (while in the map) plus each
	// user's; the reader closes when it reaches zero.
	refs     atomic.Int32
	lastUsed atomic.Int64
	// removed is set once the entry has left the map (evicted, dropped,
	// the cache closed): the lock-free path of acquire then ignores it.
	removed atomic.Bool

	// The table's range tombstones, read once.
	tsOnce sync.Once
	tsIdx  *tombIndex
	tsErr  error
}

func newTableCache(d *DB, limit int) *tableCache {
	return &tableCache{d: d, limit: limit, m: make(map[base.FileNum]*tableCacheEntry)}
}

// unref drops a reference; the last one closes the reader and returns
// the close error.
func (e *tableCacheEntry) unref() error {
	if e.refs.Add(-1) == 0 && e.reader != nil {
		return e.reader.Close()
	}
	return nil
}

// markRemoved records that e left the map and makes its file forget it,
// so that a closed reader is not kept alive by the file's metadata.
func (e *tableCacheEntry) markRemoved() {
	e.removed.Store(true)
	if e.file != nil {
		e.file.cached.CompareAndSwap(e, nil)
	}
}

// tryRef takes a reference unless the count already reached zero (the
// reader is closed or closing).
func (e *tableCacheEntry) tryRef() bool {
	for {
		r := e.refs.Load()
		if r <= 0 {
			return false
		}
		if e.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// acquire returns the reader of f with a reference; release drops it.
// The entry remembered in f is taken without a lock while it is in the
// cache; the map and its lock serve a table's first use and the reopening
// of an evicted one.
func (c *tableCache) acquire(f *FileMetadata) (*tableCacheEntry, error) {
	if e := f.cached.Load(); e != nil {
		if !e.removed.Load() && e.tryRef() {
			if !e.removed.Load() {
				e.lastUsed.Store(c.clock.Add(1))
				return e, nil // opened successfully before it was remembered
			}
			c.logClose(e.num, e.unref())
		}
		f.cached.CompareAndSwap(e, nil)
	}
	for {
		c.mu.RLock()
		e := c.m[f.FileNum]
		c.mu.RUnlock()
		if e == nil {
			c.mu.Lock()
			if e = c.m[f.FileNum]; e == nil {
				e = &tableCacheEntry{num: f.FileNum, file: f}
				e.refs.Store(1) // the cache's reference
				e.lastUsed.Store(c.clock.Add(1))
				c.m[f.FileNum] = e
				c.evictLocked(e)
			}
			c.mu.Unlock()
		}
		// Take a reference unless the entry was just evicted and closed.
		if r := e.refs.Load(); r <= 0 || !e.refs.CompareAndSwap(r, r+1) {
			continue
		}
		e.lastUsed.Store(c.clock.Add(1))
		e.once.Do(func() { e.reader, e.err = c.open(e.num) })
		if e.err != nil {
			err := e.err
			c.drop(e) // do not cache failures: a later read retries
			e.unref() // the reader failed to open: nothing to close
			return nil, err
		}
		if e.file == f {
			f.cached.Store(e)
			if e.removed.Load() {
				f.cached.CompareAndSwap(e, nil) // removed meanwhile: do not keep it
			}
		}
		return e, nil
	}
}

// evictLocked drops least recently used entries past the limit, never
// keep (the entry being added). Requires c.mu held for writing.
func (c *tableCache) evictLocked(keep *tableCacheEntry) {
	for len(c.m) > c.limit {
		var victim *tableCacheEntry
		for _, e := range c.m {
			if e != keep && (victim == nil || e.lastUsed.Load() < victim.lastUsed.Load()) {
				victim = e
			}
		}
		if victim == nil {
			return
		}
		delete(c.m, victim.num)
		victim.markRemoved()
		c.logClose(victim.num, victim.unref())
	}
}

// drop removes e from the map (if still there) and releases the cache's
// reference.
func (c *tableCache) drop(e *tableCacheEntry) {
	c.mu.Lock()
	if c.m[e.num] != e {
		c.mu.Unlock()
		return
	}
	delete(c.m, e.num)
	e.markRemoved()
	c.mu.Unlock()
	c.logClose(e.num, e.unref())
}

// logClose logs a failure to close a table that was only read: nothing is
// lost, but the operator should know.
func (c *tableCache) logClose(num base.FileNum, err error) {
	if err != nil {
		c.d.opts.Logger.Warn("closing table", "table", num, "err", err)
	}
}

func (c *tableCache) open(num base.FileNum) (*sstable.Reader, error) {
	d := c.d
	name := base.MakeFilename(base.FileTypeTable, num)
	f, err := d.fs.Open(d.fs.PathJoin(d.dirname, name))
	if err != nil {
		return nil, fmt.Errorf("lsm: opening table %s: %w", name, err)
	}
	r, err := sstable.NewReader(f, sstable.ReaderOptions{Cache: d.blockCache, FileNum: num, Comparer: base.DefaultComparer})
	if err != nil {
		// NewReader closes f on error.
		return nil, fmt.Errorf("lsm: opening table %s: %w", name, err)
	}
	return r, nil
}

// newIter returns an iterator over f that holds a reference on its reader
// until Close.
func (c *tableCache) newIter(f *FileMetadata, lower, upper []byte) (base.InternalIterator, error) {
	return c.newIterWith(f, (*sstable.Reader).NewIter, lower, upper)
}

// newCompactionIter is newIter for a compaction's input: blocks read from
// the file are not inserted into the block cache (sstable
// NewCompactionIter), and loads counts the blocks loaded.
func (c *tableCache) newCompactionIter(f *FileMetadata, loads *sstable.BlockLoads) (base.InternalIterator, error) {
	return c.newIterWith(f, func(r *sstable.Reader, lower, upper []byte) (base.InternalIterator, error) {
		return r.NewCompactionIter(lower, upper, loads)
	}, nil, nil)
}

func (c *tableCache) newIterWith(f *FileMetadata, newIter func(r *sstable.Reader, lower, upper []byte) (base.InternalIterator, error), lower, upper []byte) (base.InternalIterator, error) {
	e, err := c.acquire(f)
	if err != nil {
		return nil, err
	}
	it, err := newIter(e.reader, lower, upper)
	if err != nil {
		c.logClose(e.num, e.unref())
		return nil, err
	}
	return &refIter{InternalIterator: it, e: e}, nil
}

// refIter releases its table reference on Close.
type refIter struct {
	base.InternalIterator
	e *tableCacheEntry
}

func (it *refIter) Close() error {
	err := it.InternalIterator.Close()
	if it.e != nil {
		if cerr := it.e.unref(); err == nil {
			err = cerr
		}
		it.e = nil
	}
	return err
}

// get looks key up in f.
func (c *tableCache) get(dst []byte, f *FileMetadata, key []byte, seq base.SeqNum) ([]byte, base.InternalKeyKind, bool, error) {
	e, err := c.acquire(f)
	if err != nil {
		return nil, 0, false, err
	}
	defer func() { c.logClose(e.num, e.unref()) }()
	return e.reader.Get(dst, key, seq)
}

// tombIndex returns the index of f's range tombstones (nil when it has
// none), read and built once per opening of the table.
func (c *tableCache) tombIndex(f *FileMetadata) (*tombIndex, error) {
	if f.numRangeDels == 0 {
		return nil, nil
	}
	e, err := c.acquire(f)
	if err != nil {
		return nil, err
	}
	defer func() { c.logClose(e.num, e.unref()) }()
	e.tsOnce.Do(func() {
		it, err := e.reader.NewRangeDelIter()
		if err != nil {
			e.tsErr = err
			return
		}
		ts, err := readTombstones(it)
		if e.tsErr = err; err == nil {
			e.tsIdx = newTombIndex(ts)
		}
	})
	return e.tsIdx, e.tsErr
}

// tombstones returns f's range tombstones, sorted by start key.
func (c *tableCache) tombstones(f *FileMetadata) ([]tombstone, error) {
	x, err := c.tombIndex(f)
	if x == nil {
		return nil, err
	}
	return x.ts, err
}

// evict forgets the reader of an obsolete table (closing it once unused)
// and drops its cached blocks.
func (c *tableCache) evict(num base.FileNum) {
	c.mu.Lock()
	e := c.m[num]
	delete(c.m, num)
	if e != nil {
		e.markRemoved()
	}
	c.mu.Unlock()
	if e != nil {
		c.logClose(num, e.unref())
	}
	if c.d.blockCache != nil {
		c.d.blockCache.EvictFile(num)
	}
}

func (c *tableCache) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// close releases every entry; readers still referenced close when their
// users release them.
func (c *tableCache) close() error {
	c.mu.Lock()
	entries := c.m
	c.m = make(map[base.FileNum]*tableCacheEntry)
	c.mu.Unlock()
	var firstErr error
	for _, e := range entries {
		e.markRemoved()
		if err := e.unref(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
