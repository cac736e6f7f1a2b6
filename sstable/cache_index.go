package sstable

import (
	"slices"
	"unsafe"
)

// cacheIndex is a cache shard's table from key to entry: chained hashing
// through the entries' hnext field, over a bucket array. It stands in for
// a Go map so that its memory is known and given back: the array doubles
// when there are more entries than buckets, halves when fewer than a
// quarter are used, and is dropped when the shard empties (a map never
// shrinks, and its size is not visible). bytes reports the array's size,
// which the shard charges to its budget. Not safe for concurrent use: the
// shard's lock guards it.
type cacheIndex struct {
	// buckets has whatever length the heap's size class gave the array
	// (a bucket is picked by multiplying, not masking, so any length
	// works and none of the array is wasted); nil when count is 0.
	buckets []*cacheEntry
	count   int
	// arrayBytes is what the heap set aside for buckets (less an 8-byte
	// header it adds to arrays of pointers of more than 512 bytes).
	arrayBytes int64
}

// minCacheBuckets is the smallest bucket array.
const minCacheBuckets = 16

// heapObjectSize is what the Go heap sets aside for an object of n bytes
// without pointers: its size class, as the growth of a slice reports it.
// It allocates: for package variables, not per call.
func heapObjectSize(n uintptr) int64 {
	return int64(cap(slices.Grow([]byte(nil), int(n))))
}

// bytes returns the bucket array's size.
func (x *cacheIndex) bytes() int64 { return x.arrayBytes }

// bucket maps the high half of a hash onto the array.
func (x *cacheIndex) bucket(h uint64) int { return bucketIn(h, len(x.buckets)) }

// bucketIn maps the high half of a hash onto an array of n buckets.
func bucketIn(h uint64, n int) int { return int((h >> 32) * uint64(n) >> 32) }

// find returns the entry for k, whose hash is h, or nil.
func (x *cacheIndex) find(k cacheKey, h uint64) *cacheEntry {
	if x.count == 0 {
		return nil
	}
	for e := x.buckets[x.bucket(h)]; e != nil; e = e.hnext {
		if e.key == k {
			return e
		}
	}
	return nil
}

// add inserts e, whose key is not present, growing the array if needed.
func (x *cacheIndex) add(e *cacheEntry) {
	if x.count >= len(x.buckets) {
		x.resize(max(2*len(x.buckets), minCacheBuckets))
	}
	b := x.bucket(e.hash)
	e.hnext = x.buckets[b]
	x.buckets[b] = e
	x.count++
}

// remove unlinks e, which is present, shrinking the array if it is
// mostly empty.
func (x *cacheIndex) remove(e *cacheEntry) {
	p := &x.buckets[x.bucket(e.hash)]
	for *p != e {
		p = &(*p).hnext
	}
	*p = e.hnext
	e.hnext = nil
	x.count--
	switch {
	case x.count == 0:
		x.buckets, x.arrayBytes = nil, 0
	case len(x.buckets) >= 2*minCacheBuckets && x.count < len(x.buckets)/4:
		x.resize(len(x.buckets) / 2)
	}
}

// resize rehashes every entry into an array of at least n buckets.
func (x *cacheIndex) resize(n int) {
	old := x.buckets
	b := slices.Grow([]*cacheEntry(nil), n)
	x.buckets = b[:cap(b)]
	x.arrayBytes = int64(cap(b)) * int64(unsafe.Sizeof((*cacheEntry)(nil)))
	for _, e := range old {
		for e != nil {
			next := e.hnext
			b := x.bucket(e.hash)
			e.hnext = x.buckets[b]
			x.buckets[b] = e
			e = next
		}
	}
}
