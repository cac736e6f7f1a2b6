package lsm

import (
	"fmt"
	"sync"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/sstable"
)

// tableCache keeps the readers of open tables. A reader is opened on first
// use and closed when its table becomes obsolete (no version, hence no read
// state, can reach it any more) or when the DB closes.
type tableCache struct {
	d  *DB
	mu sync.RWMutex
	m  map[base.FileNum]*tableCacheEntry
}

type tableCacheEntry struct {
	once   sync.Once
	reader *sstable.Reader
	err    error

	// The table's range tombstones, read once.
	tsOnce sync.Once
	ts     []tombstone
	tsErr  error
}

func newTableCache(d *DB) *tableCache {
	return &tableCache{d: d, m: make(map[base.FileNum]*tableCacheEntry)}
}

// get returns the reader of f, opening it if needed.
func (c *tableCache) get(f *FileMetadata) (*sstable.Reader, error) {
	c.mu.RLock()
	e := c.m[f.FileNum]
	c.mu.RUnlock()
	if e == nil {
		c.mu.Lock()
		if e = c.m[f.FileNum]; e == nil {
			e = &tableCacheEntry{}
			c.m[f.FileNum] = e
		}
		c.mu.Unlock()
	}
	e.once.Do(func() { e.reader, e.err = c.open(f.FileNum) })
	if e.err != nil {
		// Do not cache failures: a later read retries the open.
		c.mu.Lock()
		if c.m[f.FileNum] == e {
			delete(c.m, f.FileNum)
		}
		c.mu.Unlock()
	}
	return e.reader, e.err
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
		f.Close()
		return nil, fmt.Errorf("lsm: opening table %s: %w", name, err)
	}
	return r, nil
}

// tombstones returns the range tombstones of f, read once and cached.
func (c *tableCache) tombstones(f *FileMetadata) ([]tombstone, error) {
	r, err := c.get(f)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	e := c.m[f.FileNum]
	c.mu.RUnlock()
	if e == nil {
		// Evicted meanwhile (the table became obsolete): read directly.
		it, err := r.NewRangeDelIter()
		if err != nil {
			return nil, err
		}
		return readTombstones(it)
	}
	e.tsOnce.Do(func() {
		it, err := r.NewRangeDelIter()
		if err != nil {
			e.tsErr = err
			return
		}
		e.ts, e.tsErr = readTombstones(it)
	})
	return e.ts, e.tsErr
}

// evict closes the reader of an obsolete table and drops its cached blocks.
func (c *tableCache) evict(num base.FileNum) {
	c.mu.Lock()
	e := c.m[num]
	delete(c.m, num)
	c.mu.Unlock()
	if e != nil {
		e.once.Do(func() {})
		if e.reader != nil {
			e.reader.Close()
		}
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

func (c *tableCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var firstErr error
	for num, e := range c.m {
		e.once.Do(func() {})
		if e.reader != nil {
			if err := e.reader.Close(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		delete(c.m, num)
	}
	return firstErr
}
