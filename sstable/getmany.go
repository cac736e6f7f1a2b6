package sstable

import (
	"sync"
	"unsafe"

	"github.com/strata-db/strata/internal/base"
)

// A Lookup is one point lookup of GetMany: Get's arguments (a table, a
// user key, a sequence number and a buffer to append the value to) and its
// results.
type Lookup struct {
	R   *Reader
	Key []byte
	Seq base.SeqNum
	Dst []byte
	// MaxValue, when > 0, is the longest value copied: a longer one is
	// found but not copied (Large), for a caller that reads it later by
	// itself rather than hold many large values at once.
	MaxValue int

	Value []byte // Dst with the value appended when Found (and not Large), else Dst
	Kind  base.InternalKeyKind
	Found bool
	Large bool
	Err   error

	step   lookupStep
	search base.InternalKey // Key at Seq, as the searches compare it
	bloomH uint64
	handle blockHandle // the data block the index picked
	block  Handle
	start  int // where the scan in the block starts
	lo, hi int // the index's restart points the search is within
}

// getManyIters are GetMany's iterators, which keep their key buffers.
var getManyIters = sync.Pool{New: func() any { return new(blockIter) }}

type lookupStep uint8

const (
	lookupDone lookupStep = iota
	lookupFilter
	lookupIndex
	lookupBlock
	lookupSeek
	lookupScan
)

// GetMany does Get for every lookup, in steps taken for all of them before
// the next: the filters, the index searches (three steps), the block
// cache, the searches in the blocks (two steps). One lookup in a large working set is a chain
// of cache misses, each waiting for the one before (filter line, index
// entries, block cache entry, block): interleaving the chains of many keys
// makes their misses overlap. Each step starts the loads the next needs.
//
// The lookups may name different readers; each must stay open until
// GetMany returns.
func GetMany(ls []Lookup) {
	for i := range ls {
		l := &ls[i]
		l.Value, l.Kind, l.Found, l.Large, l.Err = l.Dst, 0, false, false, nil
		l.step = lookupDone
		if l.R.closed {
			l.Err = ErrReaderClosed
			continue
		}
		l.step, l.search = lookupFilter, base.MakeSearchKey(l.Key, l.Seq)
		if l.R.hasFilter {
			l.bloomH = bloomHash(l.Key)
			l.R.filter.prefetch(l.bloomH)
		}
	}
	it := getManyIters.Get().(*blockIter)
	defer func() {
		// No alias of a block stays in the pool.
		*it = blockIter{keyBuf: it.keyBuf[:0]}
		getManyIters.Put(it)
	}()
	for i := range ls {
		l := &ls[i]
		if l.step != lookupFilter {
			continue
		}
		l.step = lookupDone
		r := l.R
		if r.hasFilter && !r.filter.mayContain(l.bloomH) {
			continue
		}
		// The index search, in three steps: the restart points its
		// summary leaves, their offsets, their keys.
		it.initFrom(&r.index)
		l.lo, l.hi = it.restartBounds(l.search)
		it.prefetchRestarts(l.lo, l.hi, false)
		l.step = lookupIndex
	}
	for i := range ls {
		if l := &ls[i]; l.step == lookupIndex {
			it.initFrom(&l.R.index)
			it.prefetchRestarts(l.lo, l.hi, true)
		}
	}
	for i := range ls {
		l := &ls[i]
		if l.step != lookupIndex {
			continue
		}
		l.step = lookupDone
		r := l.R
		it.initFrom(&r.index)
		if start, ok := it.seekGEStartIn(l.lo, l.hi, l.search); !ok || !it.seekGEFrom(start, l.search) {
			l.Err = it.err
			continue
		}
		h, n := decodeBlockHandle(it.val)
		if n == 0 || n != len(it.val) {
			l.Err = base.MarkCorruption(errBadHandle)
			continue
		}
		l.handle, l.step = h, lookupBlock
		if r.cache != nil {
			r.cache.prefetch(r.fileNum, h.Offset)
		}
	}
	for i := range ls {
		l := &ls[i]
		if l.step != lookupBlock {
			continue
		}
		hd, err := l.R.readDataBlock(l.handle)
		if err != nil {
			l.Err, l.step = err, lookupDone
			continue
		}
		l.block, l.step = hd, lookupSeek
		if b := hd.Get(); len(b) > 0 {
			// The block's end (its restart array), which the next step
			// reads first, then what its search reads.
			base.Prefetch(unsafe.Pointer(&b[len(b)-1]))
			prefetchSearch(b)
		}
	}
	for i := range ls {
		l := &ls[i]
		if l.step != lookupSeek {
			continue
		}
		it.initChecked(l.R.cmp, l.block.Get())
		start, ok := it.seekGEStart(l.search)
		if !ok {
			l.Err, l.step = it.err, lookupDone
			l.block.Release()
			l.block = Handle{}
			continue
		}
		l.start, l.step = start, lookupScan
	}
	for i := range ls {
		l := &ls[i]
		if l.step != lookupScan {
			continue
		}
		l.step = lookupDone
		r := l.R
		it.initChecked(r.cmp, l.block.Get())
		switch {
		case it.seekGEFrom(l.start, l.search):
			if r.cmp(it.ikey.UserKey, l.Key) == 0 {
				l.Kind, l.Found = it.ikey.Kind(), true
				if l.MaxValue > 0 && len(it.val) > l.MaxValue {
					l.Large = true
				} else {
					l.Value = append(l.Dst, it.val...)
				}
			}
		case it.err != nil:
			l.Err = it.err
		default:
			// Every entry of the block is before the key: the answer is
			// the next block's first entry (tableIter.skipForward), which
			// Get finds.
			l.Value, l.Kind, l.Found, l.Err = r.Get(l.Dst, l.Key, l.Seq)
			if l.Found && l.MaxValue > 0 && len(l.Value)-len(l.Dst) > l.MaxValue {
				l.Value, l.Large = l.Dst, true
			}
		}
		l.block.Release()
		l.block = Handle{}
	}
}
