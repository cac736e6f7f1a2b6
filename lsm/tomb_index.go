package lsm

import (
	"bytes"
	"slices"
	"sort"
	"sync"

	"github.com/strata-db/strata/internal/base"
)

// Range tombstones are common in Strata: every DEL, overwrite or expiry of
// a complex key deletes its uuid range. A memtable or a table can hold
// hundreds of thousands, so reads must not look at each one: a point read
// needs the tombstones covering one key, an iterator those overlapping its
// bounds. tombIndex answers both in O(log n + answers).

// tombIndex is a set of tombstones sorted by start key, with a segment
// tree of the largest end key over each span of that order: a query walks
// down only into spans whose largest end lies past the query's lower bound.
type tombIndex struct {
	ts     []tombstone
	size   int      // leaves: a power of two >= len(ts)
	maxEnd [][]byte // tree nodes, root at 1; nil for an empty span
}

func newTombIndex(ts []tombstone) *tombIndex {
	x := &tombIndex{ts: slices.Clone(ts)}
	slices.SortStableFunc(x.ts, func(a, b tombstone) int { return bytes.Compare(a.start, b.start) })
	x.size = 1
	for x.size < len(x.ts) {
		x.size <<= 1
	}
	x.maxEnd = make([][]byte, 2*x.size)
	for i, t := range x.ts {
		x.maxEnd[x.size+i] = t.end
	}
	for n := x.size - 1; n >= 1; n-- {
		a, b := x.maxEnd[2*n], x.maxEnd[2*n+1]
		if a == nil || (b != nil && bytes.Compare(b, a) > 0) {
			a = b
		}
		x.maxEnd[n] = a
	}
	return x
}

// visit calls fn for every tombstone with start < hi and end > lo (nil hi:
// unbounded; nil lo: every non-empty tombstone).
func (x *tombIndex) visit(lo, hi []byte, fn func(t *tombstone)) {
	if x == nil || len(x.ts) == 0 {
		return
	}
	k := len(x.ts)
	if hi != nil {
		k, _ = slices.BinarySearchFunc(x.ts, hi, func(t tombstone, hi []byte) int { return bytes.Compare(t.start, hi) })
	}
	x.walk(1, 0, x.size, k, lo, fn)
}

// covering calls fn for every tombstone with start <= key < end.
func (x *tombIndex) covering(key []byte, fn func(t *tombstone)) {
	if x == nil || len(x.ts) == 0 {
		return
	}
	k := sort.Search(len(x.ts), func(i int) bool { return bytes.Compare(x.ts[i].start, key) > 0 })
	x.walk(1, 0, x.size, k, key, fn)
}

func (x *tombIndex) walk(node, nlo, nhi, k int, lo []byte, fn func(t *tombstone)) {
	if nlo >= k || x.maxEnd[node] == nil || bytes.Compare(x.maxEnd[node], lo) <= 0 {
		return
	}
	if nhi-nlo == 1 {
		fn(&x.ts[nlo])
		return
	}
	mid := (nlo + nhi) / 2
	x.walk(2*node, nlo, mid, k, lo, fn)
	x.walk(2*node+1, mid, nhi, k, lo, fn)
}

// memTombs indexes a memtable's range tombstones as they are applied. The
// index is rebuilt once enough tombstones have arrived since the last build
// (about the square root of the total), and the newer ones are scanned
// directly, so applying stays O(1) and a read costs O(log n + sqrt n) at
// worst.
type memTombs struct {
	mu  sync.Mutex
	all []tombstone // in the order applied
	// lo and hi bound every tombstone applied so far: the smallest start
	// and the largest end (nil when there are none).
	lo, hi []byte
	idx    *tombIndex // over all[:built]
	built  int
}

func (m *memTombs) add(start, end []byte, seq base.SeqNum) {
	t := tombstone{start: append([]byte(nil), start...), end: append([]byte(nil), end...), seq: seq}
	m.mu.Lock()
	m.all = append(m.all, t)
	if m.lo == nil || bytes.Compare(t.start, m.lo) < 0 {
		m.lo = t.start
	}
	if m.hi == nil || bytes.Compare(t.end, m.hi) > 0 {
		m.hi = t.end
	}
	m.mu.Unlock()
}

// bounds returns the smallest start and the largest end of the tombstones
// applied so far (nil, nil when there are none).
func (m *memTombs) bounds() (lo, hi []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lo, m.hi
}

// visit is tombIndex.visit over every tombstone applied so far.
func (m *memTombs) visit(lo, hi []byte, fn func(t *tombstone)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshLocked()
	m.idx.visit(lo, hi, fn)
	for i := m.built; i < len(m.all); i++ {
		t := &m.all[i]
		if (hi == nil || bytes.Compare(t.start, hi) < 0) && bytes.Compare(t.end, lo) > 0 {
			fn(t)
		}
	}
}

// covering is tombIndex.covering over every tombstone applied so far.
func (m *memTombs) covering(key []byte, fn func(t *tombstone)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshLocked()
	m.idx.covering(key, fn)
	for i := m.built; i < len(m.all); i++ {
		if t := &m.all[i]; bytes.Compare(t.start, key) <= 0 && bytes.Compare(key, t.end) < 0 {
			fn(t)
		}
	}
}

// sorted returns every tombstone applied so far ordered by start: the
// index's sorted array (immutable once built) merged with the unindexed
// tail, so only the tail (about sqrt n) is sorted.
func (m *memTombs) sorted() []tombstone {
	m.mu.Lock()
	m.refreshLocked()
	var indexed []tombstone
	if m.idx != nil {
		indexed = m.idx.ts
	}
	tail := slices.Clone(m.all[m.built:])
	m.mu.Unlock()
	byStart := func(a, b tombstone) int { return bytes.Compare(a.start, b.start) }
	slices.SortFunc(tail, byStart)
	out := make([]tombstone, 0, len(indexed)+len(tail))
	for len(indexed) > 0 && len(tail) > 0 {
		if byStart(tail[0], indexed[0]) < 0 {
			out, tail = append(out, tail[0]), tail[1:]
		} else {
			out, indexed = append(out, indexed[0]), indexed[1:]
		}
	}
	return append(append(out, indexed...), tail...)
}

// refreshLocked rebuilds the index once the unindexed tail has grown to
// about twice the square root of the total.
func (m *memTombs) refreshLocked() {
	if pending := len(m.all) - m.built; pending > 0 && pending*pending >= 4*len(m.all) {
		m.idx = newTombIndex(m.all)
		m.built = len(m.all)
	}
}
