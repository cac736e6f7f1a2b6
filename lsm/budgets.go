package lsm

import (
	"errors"
	"fmt"
)

// ErrNoBlockCache is returned by SetBlockCacheSize when the DB was opened
// without a block cache (a negative Options.BlockCacheSize): the readers
// of open tables have none to use.
var ErrNoBlockCache = errors.New("lsm: the block cache was disabled at Open")

// SetBlockCacheSize changes the block cache's byte budget at run time. A
// smaller budget evicts least recently used blocks at once; blocks that
// iterators still hold stay valid (and counted as pinned) until released.
// Zero keeps nothing cached. It fails for a negative size and when the DB
// has no block cache.
func (d *DB) SetBlockCacheSize(n int64) error {
	if n < 0 {
		return fmt.Errorf("lsm: negative block cache size %d", n)
	}
	if d.blockCache == nil {
		return ErrNoBlockCache
	}
	d.blockCache.SetCapacity(n)
	return nil
}

// SetMemTableSize sets the arena size of the memtables created from now
// on; the mutable memtable keeps its size until it rotates. A spare arena
// of another size is freed, as are the arenas of the old size when their
// memtables go. The bounds are those of Options.MemTableSize.
func (d *DB) SetMemTableSize(n int) error {
	if n < minMemTableSize || n > maxMemTableSize {
		return fmt.Errorf("lsm: MemTableSize %d out of range [%d, %d]", n, minMemTableSize, maxMemTableSize)
	}
	d.memTableSize.Store(int64(n))
	d.spare.setSize(n)
	return nil
}
