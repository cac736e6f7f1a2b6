package sstable

import (
	"encoding/binary"
	"unsafe"

	"github.com/strata-db/strata/internal/base"
)

// compareInternal orders internal keys with the user-key order cmp: user key
// ascending, then trailer descending.
func compareInternal(cmp func(a, b []byte) int, a, b base.InternalKey) int {
	if c := cmp(a.UserKey, b.UserKey); c != 0 {
		return c
	}
	switch {
	case a.Trailer > b.Trailer:
		return -1
	case a.Trailer < b.Trailer:
		return 1
	}
	return 0
}

// blockIter iterates over the entries of one decoded block whose keys are
// encoded internal keys. It validates everything it reads: a malformed
// block makes it invalid with a corruption error, never a panic.
//
// The key returned by the iterator lives in a buffer owned by the iterator;
// values alias the block.
type blockIter struct {
	cmp         func(a, b []byte) int
	data        []byte // the whole block
	restartsOff int    // offset of the restart array = end of the entries
	numRestarts int
	// sum, when set, narrows searches over the restart points (the index
	// block of a table read with the bytewise comparer).
	sum *restartSummary

	offset     int // offset of the current entry
	nextOffset int // offset of the entry after the current one
	keyBuf     []byte
	ikey       base.InternalKey
	val        []byte
	valid      bool
	err        error
}

// init points the iterator at a block after checking its restart array.
// The key buffer is kept across blocks so that steady-state iteration does
// not allocate.
func (i *blockIter) init(cmp func(a, b []byte) int, data []byte) error {
	if err := checkBlock(data); err != nil {
		*i = blockIter{cmp: cmp, keyBuf: i.keyBuf[:0]}
		return err
	}
	i.initChecked(cmp, data)
	return nil
}

// checkBlock validates a block's restart array. A data block is checked
// once, when it is read from the file, before it enters the block cache.
func checkBlock(data []byte) error {
	if len(data) < 4 {
		return base.CorruptionErrorf("sstable: block of %d bytes is too short", len(data))
	}
	n := uint64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if 4*n+4 > uint64(len(data)) {
		return base.CorruptionErrorf("sstable: block restart count %d exceeds block size %d", n, len(data))
	}
	restartsOff := len(data) - 4 - 4*int(n)
	if n == 0 && restartsOff != 0 {
		return base.CorruptionErrorf("sstable: block has entries but no restart points")
	}
	prev := -1
	for j := 0; j < int(n); j++ {
		r := int(binary.LittleEndian.Uint32(data[restartsOff+4*j:]))
		if (j == 0 && r != 0) || r <= prev || r >= restartsOff {
			return base.CorruptionErrorf("sstable: malformed restart array (restart %d at %d)", j, r)
		}
		prev = r
	}
	return nil
}

// initChecked positions i on a block that checkBlock accepted: only the
// restart count is read.
func (i *blockIter) initChecked(cmp func(a, b []byte) int, data []byte) {
	n := int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	*i = blockIter{cmp: cmp, keyBuf: i.keyBuf[:0], data: data, restartsOff: len(data) - 4 - 4*n, numRestarts: n}
}

func (i *blockIter) restart(j int) int {
	return int(binary.LittleEndian.Uint32(i.data[i.restartsOff+4*j:]))
}

// corrupt makes the iterator invalid with a corruption error.
func (i *blockIter) corrupt(format string, args ...any) bool {
	if i.err == nil {
		i.err = base.CorruptionErrorf(format, args...)
	}
	i.valid = false
	return false
}

// decodeAt decodes the entry at off, whose key shares a prefix with the
// key currently in keyBuf. At a restart point the caller empties keyBuf
// first, so a non-zero shared length there is caught as corruption.
func (i *blockIter) decodeAt(off int) bool {
	if off >= i.restartsOff {
		i.valid = false
		return false
	}
	p := i.data[off:i.restartsOff]
	shared, n1 := binary.Uvarint(p)
	if n1 <= 0 {
		return i.corrupt("sstable: bad entry header at offset %d", off)
	}
	unshared, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		return i.corrupt("sstable: bad entry header at offset %d", off)
	}
	vlen, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		return i.corrupt("sstable: bad entry header at offset %d", off)
	}
	h := uint64(n1 + n2 + n3)
	if shared > uint64(len(i.keyBuf)) || unshared > uint64(len(p))-h || vlen > uint64(len(p))-h-unshared {
		return i.corrupt("sstable: entry at offset %d overflows its block", off)
	}
	ks := int(h)
	ke := ks + int(unshared)
	i.keyBuf = append(i.keyBuf[:shared], p[ks:ke]...)
	if len(i.keyBuf) < base.TrailerLen {
		return i.corrupt("sstable: key of %d bytes at offset %d", len(i.keyBuf), off)
	}
	i.ikey = base.DecodeInternalKey(i.keyBuf)
	i.val = p[ke : ke+int(vlen) : ke+int(vlen)]
	i.offset = off
	i.nextOffset = off + ke + int(vlen)
	i.valid = true
	return true
}

// restartKey returns the key stored at restart point j without touching
// the iterator's position.
func (i *blockIter) restartKey(j int) (base.InternalKey, bool) {
	off := i.restart(j)
	p := i.data[off:i.restartsOff]
	shared, n1 := binary.Uvarint(p)
	if n1 <= 0 || shared != 0 {
		return base.InternalKey{}, false
	}
	unshared, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		return base.InternalKey{}, false
	}
	_, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		return base.InternalKey{}, false
	}
	h := uint64(n1 + n2 + n3)
	if unshared > uint64(len(p))-h || unshared < base.TrailerLen {
		return base.InternalKey{}, false
	}
	return base.DecodeInternalKey(p[h : h+unshared]), true
}

// searchRestarts returns the index of the first restart point whose key is
// >= target, or numRestarts if there is none. ok is false on corruption.
func (i *blockIter) searchRestarts(target base.InternalKey) (int, bool) {
	lo, hi := i.restartBounds(target)
	return i.searchRestartsIn(lo, hi, target)
}

// restartBounds returns the range of restart points [lo, hi] the first
// restart key >= target lies in: the summary's bounds when the block has
// one, else every restart point.
func (i *blockIter) restartBounds(target base.InternalKey) (lo, hi int) {
	if i.sum != nil {
		return i.sum.bounds(target.UserKey)
	}
	return 0, i.numRestarts
}

// prefetchRestarts starts loading what a search within [lo, hi]
// (restartBounds) reads first: the restart offsets, and with fetchKeys the
// keys at them (which needs the offsets, so a second call). Only narrow
// ranges are worth it: a summary's bounds hold one or two restart points.
func (i *blockIter) prefetchRestarts(lo, hi int, fetchKeys bool) {
	if hi-lo > 4 {
		return
	}
	lo = max(lo-1, 0) // seekGE scans from the restart point before
	hi = min(hi, i.numRestarts-1)
	for j := lo; j <= hi; j++ {
		if fetchKeys {
			base.Prefetch(unsafe.Pointer(&i.data[i.restart(j)]))
		} else {
			base.Prefetch(unsafe.Pointer(&i.data[i.restartsOff+4*j]))
		}
	}
}

// searchRestartsIn is searchRestarts within [lo, hi] (restartBounds).
func (i *blockIter) searchRestartsIn(lo, hi int, target base.InternalKey) (int, bool) {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k, ok := i.restartKey(m)
		if !ok {
			return 0, i.corrupt("sstable: malformed key at restart point %d", m)
		}
		if compareInternal(i.cmp, k, target) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, true
}

// first positions at the first entry.
func (i *blockIter) first() bool {
	if i.err != nil {
		return false
	}
	i.keyBuf = i.keyBuf[:0]
	return i.decodeAt(0)
}

// last positions at the last entry.
func (i *blockIter) last() bool {
	if i.err != nil || i.numRestarts == 0 {
		i.valid = false
		return false
	}
	return i.scanTo(i.numRestarts-1, i.restartsOff)
}

// scanTo decodes forward from restart point j and stops at the last entry
// that starts before end.
func (i *blockIter) scanTo(j, end int) bool {
	i.keyBuf = i.keyBuf[:0]
	if !i.decodeAt(i.restart(j)) {
		return false
	}
	for i.nextOffset < end {
		if !i.decodeAt(i.nextOffset) {
			return false
		}
	}
	return true
}

// next moves to the following entry.
func (i *blockIter) next() bool {
	if !i.valid {
		return false
	}
	return i.decodeAt(i.nextOffset)
}

// prev moves to the preceding entry by rescanning from the restart point
// before it.
func (i *blockIter) prev() bool {
	if !i.valid {
		return false
	}
	cur := i.offset
	if cur == 0 {
		i.valid = false
		return false
	}
	// The last restart point strictly before cur.
	lo, hi := 0, i.numRestarts
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if i.restart(m) < cur {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return i.scanTo(lo-1, cur)
}

// seekGE positions at the first entry >= target.
func (i *blockIter) seekGE(target base.InternalKey) bool {
	start, ok := i.seekGEStart(target)
	return ok && i.seekGEFrom(start, target)
}

// seekGEStart is seekGE's first half: it finds the restart point the scan
// starts from, starts loading the entries the scan will read, and returns
// the scan's start offset (ok false when the iterator is invalid). A seek
// on many blocks can take every first half before any second half, so that
// their scans' misses overlap (GetMany).
func (i *blockIter) seekGEStart(target base.InternalKey) (start int, ok bool) {
	lo, hi := i.restartBounds(target)
	return i.seekGEStartIn(lo, hi, target)
}

// seekGEStartIn is seekGEStart with the restart search within [lo, hi]
// (restartBounds).
func (i *blockIter) seekGEStartIn(lo, hi int, target base.InternalKey) (start int, ok bool) {
	if i.err != nil || i.numRestarts == 0 {
		i.valid = false
		return 0, false
	}
	j, ok := i.searchRestartsIn(lo, hi, target)
	if !ok {
		return 0, false
	}
	if j > 0 {
		j-- // the entries between restart j-1 and j may be >= target
	}
	start = i.restart(j)
	i.prefetchScan(start, j)
	return start, true
}

// seekGEFrom is seekGE's second half: the scan from the restart point at
// start, which seekGEStart returned, to the first entry >= target.
func (i *blockIter) seekGEFrom(start int, target base.InternalKey) bool {
	i.keyBuf = i.keyBuf[:0]
	for ok := i.decodeAt(start); ok; ok = i.decodeAt(i.nextOffset) {
		if compareInternal(i.cmp, i.ikey, target) >= 0 {
			return true
		}
	}
	return false
}

// scanPrefetch is how far past a restart point prefetchScan loads: most
// of a scan between two restart points of a 4 KiB block with the default
// interval of 16.
const scanPrefetch = 1024

// prefetchScan starts loading the cache lines of the entries a seek's scan
// from off, restart point j, is about to decode: up to the next restart
// point's entry, where the scan ends at the latest, and at most
// scanPrefetch bytes. The scan reads them one after the other, each a miss
// when the block is not in the CPU caches (a lookup in a large working
// set): started together, the misses overlap instead of adding up
// (BenchmarkGetLarge: about 15% less per lookup). In an index block, every
// entry a restart point, that is a line or two.
func (i *blockIter) prefetchScan(off, j int) {
	end := min(off+scanPrefetch, i.restartsOff)
	if j+1 < i.numRestarts {
		end = min(end, i.restart(j+1)+1)
	}
	for off += cacheLine; off < end; off += cacheLine {
		base.Prefetch(unsafe.Pointer(&i.data[off]))
	}
}

// cacheLine is the size prefetchScan steps by.
const cacheLine = 64

// seekLT positions at the last entry < target.
func (i *blockIter) seekLT(target base.InternalKey) bool {
	if i.err != nil || i.numRestarts == 0 {
		i.valid = false
		return false
	}
	j, ok := i.searchRestarts(target)
	if !ok {
		return false
	}
	if j == 0 {
		i.valid = false // every entry is >= target
		return false
	}
	// The answer lies in [restart(j-1), restart(j)): find its offset, then
	// decode up to it.
	end := i.restartsOff
	if j < i.numRestarts {
		end = i.restart(j)
	}
	i.keyBuf = i.keyBuf[:0]
	found := -1
	for ok := i.decodeAt(i.restart(j - 1)); ok && i.offset < end; ok = i.decodeAt(i.nextOffset) {
		if compareInternal(i.cmp, i.ikey, target) >= 0 {
			break
		}
		found = i.offset
	}
	if i.err != nil {
		return false
	}
	if found < 0 {
		i.valid = false
		return false
	}
	return i.scanTo(j-1, found+1)
}

// initFrom points the iterator at the block of an already validated
// prototype, keeping its own key buffer.
func (i *blockIter) initFrom(proto *blockIter) {
	*i = blockIter{
		cmp:         proto.cmp,
		data:        proto.data,
		restartsOff: proto.restartsOff,
		numRestarts: proto.numRestarts,
		sum:         proto.sum,
		keyBuf:      i.keyBuf[:0],
	}
}
