package sstable

import "github.com/strata-db/strata/internal/base"

// EstimateDiskUsage estimates the bytes of the table's data blocks that
// hold user keys in [start, end) (a nil end is unbounded), from the index
// block alone: no data block is read. By the index invariant the keys in
// the range lie in the blocks from the first whose index key is >= start
// to the first whose index key is >= end. The blocks between those two
// lie wholly inside the range and count fully; the two at the edges may
// hold keys outside it and count half each (one block holding the whole
// range counts half). An index that fails to decode gives 0: readers of
// the table report the corruption.
func (r *Reader) EstimateDiskUsage(start, end []byte) uint64 {
	if r.closed {
		return 0
	}
	var it blockIter
	it.initFrom(&r.index)
	if !it.seekGE(base.MakeSearchKey(start, base.SeqNumMax)) {
		return 0 // every key is below start
	}
	first, n := decodeBlockHandle(it.val)
	if n == 0 {
		return 0
	}
	firstLen := first.Length + blockTrailerLen
	if end == nil || !it.seekGE(base.MakeSearchKey(end, base.SeqNumMax)) {
		// The range runs past the last block's index key: up to the end
		// of the last block.
		if it.err != nil || !it.last() {
			return 0
		}
		last, n := decodeBlockHandle(it.val)
		if n == 0 || last.Offset < first.Offset {
			return 0
		}
		return last.Offset + last.Length + blockTrailerLen - first.Offset - firstLen/2
	}
	last, n := decodeBlockHandle(it.val)
	if n == 0 || last.Offset < first.Offset {
		return 0
	}
	if last.Offset == first.Offset {
		return firstLen / 2
	}
	return last.Offset - first.Offset - firstLen/2 + (last.Length+blockTrailerLen)/2
}
