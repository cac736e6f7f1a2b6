package iterator

import "github.com/strata-db/strata/internal/base"

// mergingIter merges sorted children into one sorted stream. See doc.go for
// the contract; the invariants below are what the code relies on.
//
// # Invariants
//
// Let (K, c) be the current entry: the key K of child c at the top of the
// heap. Entries are ordered by (internal key, child index).
//
//  1. A child is in the heap iff it is valid (levels[i].valid), and then
//     levels[i].key caches its Key().
//  2. Forward (heap.reverse == false): every valid child other than c is
//     positioned at its first entry after (K, c); every exhausted child has
//     all of its entries before (K, c). The heap is a min-heap.
//  3. Reverse (heap.reverse == true): every valid child other than c is
//     positioned at its last entry before (K, c); every exhausted child has
//     all of its entries after (K, c). The heap is a max-heap.
//  4. Once err is set the heap is empty and stays empty: errors are sticky.
//
// Next in the forward direction only advances c and restores heap order
// from the top (O(log n) comparisons, no allocation). Next after Prev must
// first re-establish invariant 2 from invariant 3: every other child is
// stepped past (K, c) — exhausted ones restart from First — and only then is
// c advanced. Prev after Next is the mirror image.
type mergingIter struct {
	levels []mergingLevel
	heap   mergingHeap
	err    error
}

var _ base.InternalIterator = (*mergingIter)(nil)

// NewMerging merges child iterators (each sorted by InternalCompare, each
// already bounded) into one sorted stream of all their entries. Nothing is
// de-duplicated: versions of one user key from different children all
// appear, newest trailer first, and identical internal keys come out in
// child order, earlier child first. The merging iterator takes ownership of
// the children: Close closes every one of them.
func NewMerging(children ...base.InternalIterator) base.InternalIterator {
	m := &mergingIter{levels: make([]mergingLevel, len(children))}
	for i, c := range children {
		m.levels[i] = mergingLevel{iter: c, index: i}
	}
	m.heap.items = make([]*mergingLevel, 0, len(children))
	return m
}

// posOp names an absolute positioning operation applied to every child.
type posOp uint8

const (
	opFirst posOp = iota
	opLast
	opSeekGE
	opSeekLT
)

// reposition applies op to every child and rebuilds the heap: forward for
// First and SeekGE, reverse for Last and SeekLT. Absolute positioning makes
// invariants 2 and 3 hold trivially: each child sits at its own first entry
// >= key (or last entry < key), so everything before it lies on the other
// side of the merged position.
func (m *mergingIter) reposition(op posOp, key []byte) bool {
	if m.err != nil {
		return false
	}
	m.heap.clear()
	for i := range m.levels {
		l := &m.levels[i]
		var ok bool
		switch op {
		case opFirst:
			ok = l.iter.First()
		case opLast:
			ok = l.iter.Last()
		case opSeekGE:
			ok = l.iter.SeekGE(key)
		case opSeekLT:
			ok = l.iter.SeekLT(key)
		}
		if !m.settle(l, ok) {
			return false
		}
	}
	m.heap.init(op == opLast || op == opSeekLT)
	return m.heap.len() > 0
}

// settle records a child's state after a positioning call that returned ok:
// a valid child caches its key and joins the heap; an exhausted child stays
// out; a failed child fails the whole iterator (and settle returns false).
func (m *mergingIter) settle(l *mergingLevel, ok bool) bool {
	l.valid = ok
	if ok {
		l.key = l.iter.Key()
		m.heap.push(l)
		return true
	}
	if err := l.iter.Error(); err != nil {
		m.fail(err)
		return false
	}
	return true
}

// fail makes the iterator invalid with err (invariant 4).
func (m *mergingIter) fail(err error) {
	m.err = err
	m.heap.clear()
}

func (m *mergingIter) First() bool { return m.reposition(opFirst, nil) }

func (m *mergingIter) Last() bool { return m.reposition(opLast, nil) }

func (m *mergingIter) SeekGE(key []byte) bool { return m.reposition(opSeekGE, key) }

func (m *mergingIter) SeekLT(key []byte) bool { return m.reposition(opSeekLT, key) }

func (m *mergingIter) Next() bool {
	if m.heap.len() == 0 {
		return false
	}
	if m.heap.reverse {
		return m.switchToForward()
	}
	l := m.heap.top()
	if l.iter.Next() {
		l.key = l.iter.Key()
		m.heap.fixTop()
		return true
	}
	l.valid = false
	if err := l.iter.Error(); err != nil {
		m.fail(err)
		return false
	}
	m.heap.popTop()
	return m.heap.len() > 0
}

func (m *mergingIter) Prev() bool {
	if m.heap.len() == 0 {
		return false
	}
	if !m.heap.reverse {
		return m.switchToReverse()
	}
	l := m.heap.top()
	if l.iter.Prev() {
		l.key = l.iter.Key()
		m.heap.fixTop()
		return true
	}
	l.valid = false
	if err := l.iter.Error(); err != nil {
		m.fail(err)
		return false
	}
	m.heap.popTop()
	return m.heap.len() > 0
}

// switchToForward turns invariant 3 into invariant 2 and then steps to the
// entry after the current one (K, c). Under invariant 3 a valid child needs
// a single Next and an exhausted child a First; the loop that follows skips
// anything still at or before (K, c), so the result is correct even for a
// child that sits further back.
func (m *mergingIter) switchToForward() bool {
	cur := m.heap.top()
	m.heap.clear()
	for i := range m.levels {
		l := &m.levels[i]
		if l == cur {
			continue
		}
		var ok bool
		if l.valid {
			ok = l.iter.Next()
		} else {
			ok = l.iter.First()
		}
		for ok {
			l.key = l.iter.Key()
			if compareLevels(l, cur) > 0 {
				break
			}
			ok = l.iter.Next()
		}
		if !m.settle(l, ok) {
			return false
		}
	}
	// Advance the current child last: its key is the reference above and
	// may be invalidated by moving it.
	if !m.settle(cur, cur.iter.Next()) {
		return false
	}
	m.heap.init(false)
	return m.heap.len() > 0
}

// switchToReverse is the mirror image of switchToForward.
func (m *mergingIter) switchToReverse() bool {
	cur := m.heap.top()
	m.heap.clear()
	for i := range m.levels {
		l := &m.levels[i]
		if l == cur {
			continue
		}
		var ok bool
		if l.valid {
			ok = l.iter.Prev()
		} else {
			ok = l.iter.Last()
		}
		for ok {
			l.key = l.iter.Key()
			if compareLevels(l, cur) < 0 {
				break
			}
			ok = l.iter.Prev()
		}
		if !m.settle(l, ok) {
			return false
		}
	}
	if !m.settle(cur, cur.iter.Prev()) {
		return false
	}
	m.heap.init(true)
	return m.heap.len() > 0
}

func (m *mergingIter) Valid() bool { return m.heap.len() > 0 }

func (m *mergingIter) Key() base.InternalKey { return m.heap.items[0].key }

func (m *mergingIter) Value() []byte { return m.heap.items[0].iter.Value() }

func (m *mergingIter) Error() error { return m.err }

// Close closes every child, even after an error, and returns the first
// error the iterator met: its own sticky error, else the first error a
// child's Close returned.
func (m *mergingIter) Close() error {
	err := m.err
	for i := range m.levels {
		l := &m.levels[i]
		if l.iter == nil {
			continue
		}
		if cerr := l.iter.Close(); cerr != nil && err == nil {
			err = cerr
		}
		l.iter = nil
		l.valid = false
	}
	m.heap.clear()
	if m.err == nil {
		m.err = err
	}
	return err
}
