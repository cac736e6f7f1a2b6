// Package sstable implements Strata's sorted string tables: immutable,
// block-based files of internal keys that the LSM engine writes on flush
// and compaction and reads on every lookup below the memtable.
//
// # Usage
//
//	w := sstable.NewWriter(f, sstable.WriterOptions{Compression: sstable.ZstdCompression})
//	w.Add(base.MakeInternalKey([]byte("a"), 7, base.InternalKeyKindSet), []byte("v"))
//	w.AddRangeDel([]byte("b"), []byte("d"), 9)
//	err := w.Close()       // syncs and closes f
//	meta := w.Metadata()   // bounds, seqs, counts for the MANIFEST
//
//	r, err := sstable.NewReader(f2, sstable.ReaderOptions{Cache: cache, FileNum: 12})
//	v, kind, found, err := r.Get(buf[:0], []byte("a"), snapshotSeq)
//	it, _ := r.NewIter(lower, upper) // a base.InternalIterator
//	defer it.Close()
//
// # Layout
//
// A table is a sequence of blocks followed by a fixed-size footer (see
// FORMAT.md for the bytes): data blocks holding the point entries in
// order, a bloom filter over the user keys, a range-deletion block, the
// index block (one entry per data block), a properties block, and a
// metaindex naming the meta blocks. Every block carries a trailer with its
// compression type and a checksum, so that nothing is interpreted before
// it has been verified.
//
// Reading follows the two-level structure: the index block, held in memory
// by the Reader, maps a key to the one data block that may hold it; data
// blocks are read lazily and kept, decompressed, in the shared block Cache.
//
// # Concurrency
//
// A Writer is used by one goroutine. A Reader is safe for concurrent use:
// Get, MayContain, NewIter and NewRangeDelIter may run in parallel. Each
// iterator is used by one goroutine and must be closed before the Reader.
// The Cache is safe for concurrent use and is shared by every Reader of a
// DB; each table needs its own FileNum.
//
// # Invariants
//
//  1. Point keys in data blocks are strictly increasing in internal-key
//     order (user key ascending, trailer descending); Add rejects anything
//     else with ErrOutOfOrder. Range tombstones are strictly increasing by
//     start#seq in their own block.
//  2. The index key of data block i is >= every key of block i and < every
//     key of block i+1. Index keys are shortened with Comparer.Separator
//     (and Successor for the last block) and then carry the largest
//     trailer, so they sort before every real key with the same user key.
//  3. Every byte of a table except the magic number is covered by a
//     checksum: block trailers and the footer checksum. A mismatch, a bad
//     compression stream, a malformed restart array or an entry that
//     overflows its block is an error in the base.ErrCorruption class,
//     never a panic and never garbage.
//  4. Sizes read from the file are bounded before allocating: block
//     handles by the file size, decompressed blocks by maxDecodedBlockSize.
//  5. A block handed out by the Cache stays valid until its Handle is
//     released, even if it is evicted meanwhile, and not a moment longer:
//     data blocks live in jemallocprof buffers (off the Go heap in the
//     jemalloc build), freed by the release of their last reference.
//     Iterators pin exactly one data block at a time and release it when
//     they leave it or close; keys and values they return must not be
//     used past that. Cached blocks count as jemallocprof.BlockCache,
//     with the cache's entries and index, which its budget also bounds;
//     blocks alive only through handles count as IteratorPinned (see
//     Cache).
//  6. The filter never gives a false negative: MayContain(k) is true for
//     every user key k that has a point entry in the table.
//
// # What Get does not do
//
// Get returns the newest point entry visible at a sequence number and
// ignores range tombstones: the caller combines it with NewRangeDelIter,
// since a tombstone in one table may delete keys in another.
package sstable
