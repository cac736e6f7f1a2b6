package iterator

import (
	"bytes"
	"sort"

	"github.com/strata-db/strata/internal/base"
)

// sliceIter is an InternalIterator over parallel slices of keys and values.
// The bounds are resolved once, at construction, into the index range
// [start, end): every entry inside it lies within [lower, upper), so
// positioning never compares against the bounds again.
//
// pos is the current index. The iterator is valid iff start <= pos < end;
// pos == start-1 means exhausted backwards and pos == end exhausted forwards.
type sliceIter struct {
	keys       []base.InternalKey
	values     [][]byte
	start, end int
	pos        int
}

var _ base.InternalIterator = (*sliceIter)(nil)

// NewSlice returns an InternalIterator over entries already sorted by
// base.InternalCompare, honouring bounds [lower, upper) on user keys (nil
// means unbounded). values may be nil, in which case every value is empty;
// otherwise it must have one element per key.
//
// The iterator aliases keys and values: the caller must not modify them
// while the iterator is in use. It is meant for tests and for small
// in-memory sources. It never fails: Error and Close always return nil.
func NewSlice(keys []base.InternalKey, values [][]byte, lower, upper []byte) base.InternalIterator {
	if values != nil && len(values) != len(keys) {
		panic("iterator: NewSlice with len(values) != len(keys)")
	}
	it := &sliceIter{keys: keys, values: values, end: len(keys)}
	if lower != nil {
		it.start = it.searchGE(lower, 0, len(keys))
	}
	if upper != nil {
		it.end = it.searchGE(upper, it.start, len(keys))
	}
	it.pos = it.end
	return it
}

// searchGE returns the smallest index i in [lo, hi) whose user key is >= k,
// or hi if there is none.
func (it *sliceIter) searchGE(k []byte, lo, hi int) int {
	return lo + sort.Search(hi-lo, func(i int) bool {
		return bytes.Compare(it.keys[lo+i].UserKey, k) >= 0
	})
}

func (it *sliceIter) SeekGE(key []byte) bool {
	// Keys below the lower bound are clamped by the search range itself:
	// searching from start can never land before it.
	it.pos = it.searchGE(key, it.start, it.end)
	return it.pos < it.end
}

func (it *sliceIter) SeekLT(key []byte) bool {
	it.pos = it.searchGE(key, it.start, it.end) - 1
	return it.pos >= it.start
}

func (it *sliceIter) First() bool {
	it.pos = it.start
	return it.pos < it.end
}

func (it *sliceIter) Last() bool {
	it.pos = it.end - 1
	return it.pos >= it.start
}

func (it *sliceIter) Next() bool {
	if it.pos < it.end {
		it.pos++
	}
	return it.pos < it.end
}

func (it *sliceIter) Prev() bool {
	if it.pos >= it.start {
		it.pos--
	}
	return it.pos >= it.start
}

func (it *sliceIter) Valid() bool { return it.pos >= it.start && it.pos < it.end }

func (it *sliceIter) Key() base.InternalKey { return it.keys[it.pos] }

func (it *sliceIter) Value() []byte {
	if it.values == nil {
		return nil
	}
	return it.values[it.pos]
}

func (it *sliceIter) Error() error { return nil }

func (it *sliceIter) Close() error { return nil }
