package sstable

import (
	"unsafe"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
)

// tableIter is the two-level iterator over a table: an iterator over the
// index block picks a data block, loaded on demand (through the cache),
// and a block iterator walks it. It honours the bounds [lower, upper) and
// never loads a block that the index proves to be outside them.
//
// Index invariant (see FORMAT.md): the index key of block i is >= every
// key of block i and < every key of block i+1.
type tableIter struct {
	r            *Reader
	lower, upper []byte
	index        blockIter
	data         blockIter
	handle       Handle // pins the block data iterates over
	handleOff    uint64 // offset of that block
	// belowUpper: there is no upper bound, or the loaded block's index
	// key, and so every key of the block, is below it; its entries need no
	// check against the bound.
	belowUpper bool
	err        error
	// noFill: blocks not in the cache are read without being inserted
	// (NewCompactionIter). owned says that handle is such a block, whose
	// only reference the iterator holds; when the iterator moves on, its
	// buffer becomes spare, into which the next block read from the file
	// is decoded. A compaction reads every block of its inputs once: a
	// new buffer per block cost it a quarter of its CPU (the allocator
	// zeroes it, and the kernel often faults its pages in again).
	noFill bool
	owned  bool
	spare  []byte
	loads  *BlockLoads // counts a compaction's loads (noFill), or nil
}

var _ base.InternalIterator = (*tableIter)(nil)

func (t *tableIter) init(r *Reader, lower, upper []byte) {
	t.r, t.lower, t.upper, t.err, t.noFill, t.belowUpper = r, lower, upper, nil, false, upper == nil
	t.loads = nil
	t.index.initFrom(&r.index)
	t.data = blockIter{keyBuf: t.data.keyBuf[:0]}
}

// fail records err (if it is the first) and invalidates the iterator.
func (t *tableIter) fail(err error) bool {
	if t.err == nil {
		t.err = err
	}
	t.data.valid = false
	return false
}

// exhausted invalidates the iterator, picking up any error the index or
// data iterator met.
func (t *tableIter) exhausted() bool {
	if t.index.err != nil {
		return t.fail(t.index.err)
	}
	if t.data.err != nil {
		return t.fail(t.data.err)
	}
	t.data.valid = false
	return false
}

// loadBlock loads the data block the index iterator is positioned at.
func (t *tableIter) loadBlock() bool {
	h, n := decodeBlockHandle(t.index.val)
	if n == 0 || n != len(t.index.val) {
		return t.fail(base.MarkCorruption(errBadHandle))
	}
	// One comparison per block instead of one per entry (a scan of a
	// list's 100 elements compared each with the bound).
	t.belowUpper = t.upper == nil || t.r.cmp(t.index.ikey.UserKey, t.upper) < 0
	if t.handle.v != nil && t.handleOff == h.Offset {
		return true // still loaded: a seek within the current block
	}
	t.releaseBlock()
	var hd Handle
	var err error
	if t.noFill {
		hd, t.owned, err = t.r.readDataBlockNoFill(h, &t.spare)
		if l := t.loads; l != nil && err == nil {
			if t.owned {
				l.Read++
			} else {
				l.Cached++
				l.CachedBytes += int64(cap(hd.Get())) + entryOverhead
			}
		}
	} else {
		hd, err = t.r.readDataBlock(h)
	}
	if err != nil {
		return t.fail(err)
	}
	t.handle, t.handleOff = hd, h.Offset
	b := hd.Get()
	if len(b) > 0 {
		prefetchSearch(b)
	}
	t.data.initChecked(t.r.cmp, b)
	return true
}

// prefetchSearch starts loading what a search in block b (not empty) reads
// after its end. initChecked reads the block's end (its restart points),
// then the search reads a restart key, then the scan an entry: three
// misses one after the other in a block the CPU caches lost. With the
// default restart interval a 4 KiB block has two restart points, at its
// start and near its middle: starting those loads alongside the end's
// saves ~4% of BenchmarkGetLarge.
func prefetchSearch(b []byte) {
	base.Prefetch(unsafe.Pointer(&b[0]))
	base.Prefetch(unsafe.Pointer(&b[len(b)/2]))
}

func (t *tableIter) checkUpper() bool {
	if !t.belowUpper && t.r.cmp(t.data.ikey.UserKey, t.upper) >= 0 {
		t.data.valid = false
		return false
	}
	return true
}

func (t *tableIter) checkLower() bool {
	if t.lower != nil && t.r.cmp(t.data.ikey.UserKey, t.lower) < 0 {
		t.data.valid = false
		return false
	}
	return true
}

// skipForward moves to the first entry of the next non-empty block.
func (t *tableIter) skipForward() bool {
	for {
		if t.data.err != nil {
			return t.fail(t.data.err)
		}
		// Every key of the next block is > this index key, which
		// loadBlock compared with the bound.
		if !t.belowUpper && t.r.cmp(t.index.ikey.UserKey, t.upper) >= 0 {
			return t.exhausted()
		}
		if !t.index.next() || !t.loadBlock() {
			return t.exhausted()
		}
		if t.data.first() {
			return t.checkUpper()
		}
	}
}

// skipBackward moves to the last entry of the previous non-empty block.
func (t *tableIter) skipBackward() bool {
	for {
		if t.data.err != nil {
			return t.fail(t.data.err)
		}
		if !t.index.prev() {
			return t.exhausted()
		}
		// Every key of this block is <= its index key.
		if t.lower != nil && t.r.cmp(t.index.ikey.UserKey, t.lower) < 0 {
			return t.exhausted()
		}
		if !t.loadBlock() {
			return false
		}
		if t.data.last() {
			return t.checkLower()
		}
	}
}

// seekGEInternal positions at the first entry >= key, then checks the
// upper bound.
func (t *tableIter) seekGEInternal(key base.InternalKey) bool {
	if t.err != nil {
		return false
	}
	if !t.index.seekGE(key) || !t.loadBlock() {
		return t.exhausted()
	}
	if t.data.seekGE(key) {
		return t.checkUpper()
	}
	return t.skipForward()
}

// SeekGE implements base.InternalIterator.
func (t *tableIter) SeekGE(key []byte) bool {
	if t.lower != nil && t.r.cmp(key, t.lower) < 0 {
		key = t.lower
	}
	return t.seekGEInternal(base.MakeSearchKey(key, base.SeqNumMax))
}

// SeekLT implements base.InternalIterator.
func (t *tableIter) SeekLT(key []byte) bool {
	if t.err != nil {
		return false
	}
	if t.upper != nil && t.r.cmp(key, t.upper) > 0 {
		key = t.upper
	}
	search := base.MakeSearchKey(key, base.SeqNumMax)
	if !t.index.seekGE(search) {
		// Every key of the table is < search.
		if t.index.err != nil {
			return t.exhausted()
		}
		return t.lastInternal()
	}
	if !t.loadBlock() {
		return false
	}
	if t.data.seekLT(search) {
		return t.checkLower()
	}
	return t.skipBackward()
}

// First implements base.InternalIterator.
func (t *tableIter) First() bool {
	if t.lower != nil {
		return t.SeekGE(t.lower)
	}
	if t.err != nil {
		return false
	}
	if !t.index.first() || !t.loadBlock() {
		return t.exhausted()
	}
	if t.data.first() {
		return t.checkUpper()
	}
	return t.skipForward()
}

// Last implements base.InternalIterator.
func (t *tableIter) Last() bool {
	if t.upper != nil {
		return t.SeekLT(t.upper)
	}
	if t.err != nil {
		return false
	}
	return t.lastInternal()
}

func (t *tableIter) lastInternal() bool {
	if !t.index.last() || !t.loadBlock() {
		return t.exhausted()
	}
	if t.data.last() {
		return t.checkLower()
	}
	return t.skipBackward()
}

// Next implements base.InternalIterator.
func (t *tableIter) Next() bool {
	if !t.Valid() {
		return false
	}
	if t.data.next() {
		return t.checkUpper()
	}
	return t.skipForward()
}

// Prev implements base.InternalIterator.
func (t *tableIter) Prev() bool {
	if !t.Valid() {
		return false
	}
	if t.data.prev() {
		return t.checkLower()
	}
	return t.skipBackward()
}

// Valid implements base.InternalIterator.
func (t *tableIter) Valid() bool { return t.err == nil && t.data.valid }

// Key implements base.InternalIterator.
func (t *tableIter) Key() base.InternalKey { return t.data.ikey }

// Value implements base.InternalIterator.
func (t *tableIter) Value() []byte { return t.data.val }

// Error implements base.InternalIterator.
func (t *tableIter) Error() error { return t.err }

// releaseBlock lets go of the block the iterator holds: an owned one's
// buffer becomes the spare (freeing the previous spare, if any).
func (t *tableIter) releaseBlock() {
	if t.owned {
		if t.spare != nil {
			jemallocprof.Free(jemallocprof.IteratorPinned, t.spare)
		}
		t.spare = t.handle.take()
		t.owned = false
	} else {
		t.handle.Release()
	}
	t.handle = Handle{}
}

// Close releases the pinned block (and the spare) and returns the first
// error met.
func (t *tableIter) Close() error {
	t.releaseBlock()
	if t.spare != nil {
		jemallocprof.Free(jemallocprof.IteratorPinned, t.spare)
		t.spare = nil
	}
	// Drop every alias of the block: a closed iterator kept in a pool
	// must not keep freed memory alive (or point into it, in the
	// jemalloc build).
	t.data.data, t.data.val = nil, nil
	t.data.valid = false
	return t.err
}

// blockIterAdapter exposes one in-memory block (the range-deletion block)
// as a base.InternalIterator without bounds.
type blockIterAdapter struct {
	bi blockIter
}

var _ base.InternalIterator = (*blockIterAdapter)(nil)

func (a *blockIterAdapter) SeekGE(key []byte) bool {
	return a.bi.seekGE(base.MakeSearchKey(key, base.SeqNumMax))
}
func (a *blockIterAdapter) SeekLT(key []byte) bool {
	return a.bi.seekLT(base.MakeSearchKey(key, base.SeqNumMax))
}
func (a *blockIterAdapter) First() bool           { return a.bi.first() }
func (a *blockIterAdapter) Last() bool            { return a.bi.last() }
func (a *blockIterAdapter) Next() bool            { return a.bi.next() }
func (a *blockIterAdapter) Prev() bool            { return a.bi.prev() }
func (a *blockIterAdapter) Valid() bool           { return a.bi.valid }
func (a *blockIterAdapter) Key() base.InternalKey { return a.bi.ikey }
func (a *blockIterAdapter) Value() []byte         { return a.bi.val }
func (a *blockIterAdapter) Error() error          { return a.bi.err }
func (a *blockIterAdapter) Close() error          { a.bi.valid = false; return a.bi.err }
