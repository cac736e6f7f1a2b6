package sstable

import (
	"fmt"

	"github.com/strata-db/strata/internal/base"
)

// Defaults, applied by EnsureDefaults to fields left at zero.
const (
	DefaultBlockSize            = 4096
	DefaultBlockRestartInterval = 16
	DefaultBloomBitsPerKey      = 10
)

// WriterOptions configure a Writer. The zero value of every field means
// its default.
type WriterOptions struct {
	// BlockSize is the uncompressed size at which a data block is cut.
	BlockSize int
	// BlockRestartInterval is the number of keys between restart points in
	// data blocks.
	BlockRestartInterval int
	// BloomBitsPerKey sizes the table's bloom filter; negative means no
	// filter.
	BloomBitsPerKey int
	// Compression of the table's blocks.
	Compression Compression
	// Comparer orders user keys; its Separator and Successor shorten index
	// keys.
	Comparer *base.Comparer
	// FillCache, when set, gets a copy of every data block the writer
	// writes, under CacheFileNum (the number a Reader of the table will
	// be given) and the block's offset, as a Reader would cache it on its
	// first read: reads of the new table's keys find their blocks cached
	// (RocksDB's prepopulate_block_cache). CacheFileNum must be the
	// table's own number: the cache is keyed by it. A table that is not
	// finished leaves blocks of a file no Reader opens: the caller evicts
	// them (Cache.EvictFile).
	FillCache    *Cache
	CacheFileNum base.FileNum
	// FillCacheIf, when set with FillCache, is asked as each data block
	// of n bytes is written whether to cache it (a compaction caches its
	// output where its inputs were cached).
	FillCacheIf func(n int) bool
}

// EnsureDefaults fills in zero fields and returns the options.
func (o WriterOptions) EnsureDefaults() WriterOptions {
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockRestartInterval <= 0 {
		o.BlockRestartInterval = DefaultBlockRestartInterval
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = DefaultBloomBitsPerKey
	}
	o.Compression = o.Compression.resolve()
	if o.Comparer == nil {
		o.Comparer = base.DefaultComparer
	}
	return o
}

// Validate reports options that cannot be used.
func (o WriterOptions) Validate() error {
	if o.Compression >= numCompressions {
		return fmt.Errorf("sstable: invalid compression %d", uint8(o.Compression))
	}
	if o.BloomBitsPerKey > 64 {
		return fmt.Errorf("sstable: BloomBitsPerKey %d is larger than 64", o.BloomBitsPerKey)
	}
	return nil
}

// String renders the options after defaults.
func (o WriterOptions) String() string {
	d := o.EnsureDefaults()
	return fmt.Sprintf("block-size=%d restart-interval=%d bloom-bits-per-key=%d compression=%s comparer=%s",
		d.BlockSize, d.BlockRestartInterval, d.BloomBitsPerKey, d.Compression, d.Comparer.Name)
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Cache holds decompressed data blocks; nil means no block cache.
	Cache *Cache
	// FileNum names the table in the cache, together with block offsets.
	// Every table sharing a cache needs its own number.
	FileNum base.FileNum
	// Comparer must have the name recorded in the table; nil means
	// base.DefaultComparer.
	Comparer *base.Comparer
}
