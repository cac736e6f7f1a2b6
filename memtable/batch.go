package memtable

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"github.com/strata-db/strata/internal/base"
)

// Batched inserts.
//
// A search from the head of a full 64 MiB memtable is a chain of ~35
// dependent loads, most of them cache misses on the lower levels: the CPU
// waits for one node before it knows the next, so an insert costs
// microseconds of memory latency while the core idles. The searches of
// different keys are independent, though. AddBatch runs the searches of up
// to batchWidth entries in lock-step, one step of each in turn, and
// prefetches the node each search will compare next: while one search
// waits for its node, the loads of the others are in flight, so a batch
// pays for its misses roughly batchWidth at a time. The entries are then
// linked one by one as Add links them.

// batchWidth is how many searches AddBatch interleaves: enough to cover
// the memory latency with the others' work, few enough that the prefetched
// lines are still in L1 when their search comes round again.
const batchWidth = 16

// Entry is one entry of AddBatch.
type Entry struct {
	Key   base.InternalKey
	Value []byte
}

// AddBatch adds the entries in order, with the result of an Add of each in
// turn: it stops at the first entry that fails, returning the number added
// before it and Add's error. The point entries' places in the skiplist are
// searched for together (see above). It is safe for concurrent use as Add
// is.
func (m *MemTable) AddBatch(es []Entry) (int, error) {
	added := 0
	for added < len(es) {
		// A run of point entries, at most batchWidth long.
		n := 0
		for added+n < len(es) && n < batchWidth && isPoint(es[added+n].Key.Kind()) {
			n++
		}
		if n <= 1 {
			e := &es[added]
			if err := m.Add(e.Key, e.Value); err != nil {
				return added, err
			}
			added++
			continue
		}
		k, err := m.addPoints(es[added : added+n])
		added += k
		if err != nil {
			return added, err
		}
	}
	return added, nil
}

func isPoint(k base.InternalKeyKind) bool {
	return k == base.InternalKeyKindSet || k == base.InternalKeyKindDelete
}

// pendingAdd is the state of one entry's search in addPoints.
type pendingAdd struct {
	height int
	hash   uint64
	// The search: prev sorts before the key on level; cand is prev's
	// successor there, prefetched, about to be compared; bound is the
	// splice's next on the level above, known to sort after the key.
	level             int
	prev, cand, bound uint32
	state             searchState
	sp                splice
}

type searchState uint8

const (
	searching searchState = iota
	placed                // sp is filled in
	exists                // an entry with the same key and trailer exists
)

// addPoints adds 2 to batchWidth point entries; see AddBatch.
func (m *MemTable) addPoints(es []Entry) (int, error) {
	s := &m.points
	for i := range es {
		if uint64(len(es[i].Key.UserKey))+uint64(len(es[i].Value)) > m.arena.capacity() {
			// Add's answer for it, after the entries before it.
			return m.addEach(es)
		}
	}
	// Keys added in ascending order after the last one take the hints
	// (spliceFromHints), which beat any search.
	var probe splice
	if _, ok := s.spliceFromHints(es[0].Key, 1, &probe); ok {
		return m.addEach(es)
	}
	var ps [batchWidth]pendingAdd
	p := ps[:len(es)]
	for i := range es {
		p[i].height = randomHeight()
		p[i].hash = KeyHash(es[i].Key.UserKey)
		// The filter's and the index's lines are as far apart as the
		// nodes: they load during the searches.
		m.filter.prefetch(p[i].hash)
		m.index.prefetch(p[i].hash)
	}
	clustered := false
	if ascending(es) && mayCluster(es[0].Key.UserKey, es[len(es)-1].Key.UserKey) {
		// The first search tells whether the run is clustered.
		if s.findSplice(es[0].Key, &p[0].sp) {
			return 0, ErrRecordExists
		}
		p[0].state = placed
		clustered = s.brackets(&p[0].sp, clusterLevels, es[len(es)-1].Key)
	}
	if !clustered {
		// New versions of keys the index holds go in next to their newest
		// version without a search (spliceBefore). (Not in a clustered
		// run: its finger searches need every level of the previous
		// entry's splice.)
		for i := range p {
			if p[i].state != searching {
				continue
			}
			if nd := m.newest(p[i].hash, es[i].Key.UserKey, p[i].height); nd != 0 {
				found, ok := s.spliceBefore(nd, es[i].Key, &p[i].sp)
				switch {
				case found:
					p[i].state = exists
				case ok:
					p[i].state = placed
				}
			}
		}
		s.findSplices(es, p)
	}
	for i := range es {
		e := &es[i]
		if clustered && i > 0 && s.findSpliceNear(e.Key, &p[i-1].sp, &p[i].sp) {
			p[i].state = exists
		}
		if p[i].state == exists {
			m.count.Add(int64(i))
			return i, ErrRecordExists
		}
		// In the filter before the node is linked (filter.go).
		m.filter.add(p[i].hash)
		nd, err := s.link(e.Key, e.Value, p[i].height, &p[i].sp)
		if err != nil {
			m.count.Add(int64(i))
			return i, err
		}
		m.index.add(&m.arena, p[i].hash, e.Key.UserKey, nd)
	}
	m.count.Add(int64(len(es)))
	return len(es), nil
}

// Clustered runs.
//
// A run whose keys are ascending and close together (a list's consecutive
// slots, which a key batch of LPUSH or RPOP writes) gains nothing from
// interleaving: the searches all walk the same path. addPoints places
// each entry after the first with a finger search from the previous
// entry's splice instead (findSpliceNear), a few steps on nodes the
// previous search left in cache.

// clusterLevels is how high the first entry's splice may have to be
// climbed for the last entry to lie inside it: a bracket on level l spans
// about e^l nodes, so 4 admits runs over a few dozen entries.
const clusterLevels = 4

// clusterSpan bounds how far apart, as numbers, the last 8 bytes of a
// run's first and last keys may be for the run to be tried as clustered.
const clusterSpan = 1 << 16

// mayCluster reports whether an ascending run from first to last is worth
// the serial search of its first entry that decides whether it is
// clustered: its end keys have the same length and differ only in their
// last 8 bytes, less than clusterSpan apart as big-endian numbers (a
// list's slots; sequential keys). A run of keys further apart (a key
// batch's random set members or hash fields, a sorted set's two indexes)
// goes straight to the interleaved searches.
func mayCluster(first, last []byte) bool {
	n := len(first)
	if n != len(last) || n < 8 || !bytes.Equal(first[:n-8], last[:n-8]) {
		return false
	}
	return binary.BigEndian.Uint64(last[n-8:])-binary.BigEndian.Uint64(first[n-8:]) < clusterSpan
}

// ascending reports whether es is sorted, each key after the one before.
func ascending(es []Entry) bool {
	for i := 1; i < len(es); i++ {
		if base.InternalCompare(es[i-1].Key, es[i].Key) >= 0 {
			return false
		}
	}
	return true
}

// brackets reports whether key sorts before sp.next on some level below
// levels: whether a finger search from sp for key stays low.
func (s *skiplist) brackets(sp *splice, levels int, key base.InternalKey) bool {
	for level := range levels {
		if nx := sp.next[level]; nx == s.tail || s.compare(nx, key.UserKey, key.Trailer) > 0 {
			return true
		}
	}
	return false
}

// findSpliceNear fills sp on every level for key, which sorts after the key
// whose splice prev is. prev may be stale (found before that key and
// others were linked), but nodes are never removed: each prev.prev[l]
// still sorts before key, and each prev.next[l] after the earlier key. The
// search starts on the lowest level whose old successor sorts after key;
// the levels above keep prev's bracket, which link corrects if it went
// stale. It reports whether an entry equal to key exists.
func (s *skiplist) findSpliceNear(key base.InternalKey, prev, sp *splice) (found bool) {
	listHeight := int(s.height.Load())
	top := 0
	for ; top < listHeight; top++ {
		nx := prev.next[top]
		if nx == s.tail {
			break
		}
		c := s.compare(nx, key.UserKey, key.Trailer)
		if c == 0 {
			return true
		}
		if c > 0 {
			break
		}
	}
	if top == listHeight {
		return s.findSplice(key, sp)
	}
	*sp = *prev
	p, n := prev.prev[top], prev.next[top]
	for level := top; level >= 0; level-- {
		p, n, found = s.findSpliceForLevel(key.UserKey, key.Trailer, level, p, n)
		if found {
			return true
		}
		sp.prev[level], sp.next[level] = p, n
	}
	return false
}

// addEach adds es one Add at a time, stopping at the first error.
func (m *MemTable) addEach(es []Entry) (int, error) {
	for i := range es {
		if err := m.Add(es[i].Key, es[i].Value); err != nil {
			return i, err
		}
	}
	return len(es), nil
}

// findSplices searches for the splice of every entry, one step of each
// search in turn (see the top of this file). A step compares one node, the
// one the previous step of that search prefetched, and either moves right
// on the level or goes down a level; either way it prefetches the node it
// will compare next.
func (s *skiplist) findSplices(es []Entry, p []pendingAdd) {
	listHeight := int(s.height.Load())
	for i := range p {
		q := &p[i]
		if q.state != searching {
			continue
		}
		for level := listHeight; level < q.height; level++ {
			q.sp.prev[level], q.sp.next[level] = s.head, s.tail
		}
		q.level, q.prev, q.bound = listHeight-1, s.head, s.tail
		q.cand = s.a.next(s.head, q.level)
		s.prefetchNode(q.cand)
	}
	active := 0
	for i := range p {
		if p[i].state == searching {
			active++
		}
	}
	for active > 0 {
		for i := range p {
			q := &p[i]
			if q.state != searching {
				continue
			}
			if q.cand != q.bound {
				c := s.compare(q.cand, es[i].Key.UserKey, es[i].Key.Trailer)
				if c < 0 {
					q.prev = q.cand
					q.cand = s.a.next(q.prev, q.level)
					s.prefetchNode(q.cand)
					continue
				}
				if c == 0 {
					q.state = exists
					active--
					continue
				}
			}
			// prev < key <= cand on this level.
			q.sp.prev[q.level], q.sp.next[q.level] = q.prev, q.cand
			if q.level == 0 {
				q.state = placed
				active--
				continue
			}
			q.bound = q.cand
			q.level--
			q.cand = s.a.next(q.prev, q.level)
			s.prefetchNode(q.cand)
		}
	}
}

// prefetchNode prefetches the line where node nd starts, which compare
// reads first. (Prefetching the line after it too, where a key may end,
// measured slower: it doubles the misses in flight.)
func (s *skiplist) prefetchNode(nd uint32) {
	base.Prefetch(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s.a.buf)), nd))
}
