package codec

import (
	"bytes"
	"errors"
)

// txnIter merges a base iterator with a frozen pending state. A pending
// point entry shadows the base key it equals (a tombstone hides it); a base
// key under a pending range deletion is skipped with one seek of the base
// past the deletion.
//
// After a forward positioning both sources sit at their first key >= the
// current key, after a backward one at their last key <= it. When both sit
// at the current key, the pending entry is the current one. Next after a
// backward move (and Prev after a forward one) re-seeks both sources.
type txnIter struct {
	base   Iterator
	pend   ptreeIter
	dels   []span
	lower  []byte
	upper  []byte
	dir    int8 // +1 after a forward positioning, -1 after a backward one
	valid  bool
	inPend bool // the current entry is the pending tree's
	err    error
	closed bool
	keyBuf []byte // the current key, copied for a change of direction
}

// newTxnIter returns an iterator over base and st within [lower, upper).
// With nothing pending it is the base iterator itself.
func newTxnIter(base Reader, st txnState, lower, upper []byte) (Iterator, error) {
	bit, err := base.NewIter(lower, upper)
	if err != nil || st.empty() {
		return bit, err
	}
	return &txnIter{
		base:  bit,
		pend:  ptreeIter{root: st.root, lower: lower, upper: upper},
		dels:  st.dels,
		lower: lower,
		upper: upper,
	}, nil
}

func (it *txnIter) SeekGE(k []byte) bool {
	if it.err != nil {
		return false
	}
	if it.lower != nil && bytes.Compare(k, it.lower) < 0 {
		k = it.lower
	}
	it.dir = +1
	it.pend.seekGE(k) // before the base, which may own k (k == Key())
	it.base.SeekGE(k)
	return it.findForward()
}

func (it *txnIter) SeekLT(k []byte) bool {
	if it.err != nil {
		return false
	}
	if it.upper != nil && bytes.Compare(k, it.upper) > 0 {
		k = it.upper
	}
	it.dir = -1
	it.pend.seekLT(k)
	it.base.SeekLT(k)
	return it.findBackward()
}

func (it *txnIter) First() bool {
	if it.err != nil {
		return false
	}
	it.dir = +1
	it.pend.first()
	it.base.First()
	return it.findForward()
}

func (it *txnIter) Last() bool {
	if it.err != nil {
		return false
	}
	it.dir = -1
	it.pend.last()
	it.base.Last()
	return it.findBackward()
}

func (it *txnIter) Next() bool {
	if !it.valid {
		return false
	}
	if it.dir < 0 {
		// The first key > the current one is the first key >= key+"\x00".
		it.keyBuf = append(append(it.keyBuf[:0], it.Key()...), 0)
		return it.SeekGE(it.keyBuf)
	}
	if it.inPend {
		k := it.pend.node().key
		it.pend.next()
		if it.base.Valid() && bytes.Equal(it.base.Key(), k) {
			it.base.Next()
		}
	} else {
		it.base.Next()
	}
	return it.findForward()
}

func (it *txnIter) Prev() bool {
	if !it.valid {
		return false
	}
	if it.dir > 0 {
		it.keyBuf = append(it.keyBuf[:0], it.Key()...)
		return it.SeekLT(it.keyBuf)
	}
	if it.inPend {
		k := it.pend.node().key
		it.pend.prev()
		if it.base.Valid() && bytes.Equal(it.base.Key(), k) {
			it.base.Prev()
		}
	} else {
		it.base.Prev()
	}
	return it.findBackward()
}

// findForward settles on the smallest visible key at or after the sources'
// positions.
func (it *txnIter) findForward() bool {
	for {
		for it.base.Valid() {
			sp, ok := covering(it.dels, it.base.Key())
			if !ok {
				break
			}
			it.base.SeekGE(sp.end)
		}
		if err := it.base.Error(); err != nil {
			return it.fail(err)
		}
		n := it.pend.node()
		if n == nil && !it.base.Valid() {
			it.valid = false
			return false
		}
		c := -1 // < 0: the pending entry comes first
		if n == nil {
			c = +1
		} else if it.base.Valid() {
			c = bytes.Compare(n.key, it.base.Key())
		}
		if c > 0 {
			it.valid, it.inPend = true, false
			return true
		}
		if !n.tomb {
			it.valid, it.inPend = true, true
			return true
		}
		if c == 0 {
			it.base.Next()
		}
		it.pend.next()
	}
}

// findBackward settles on the largest visible key at or before the sources'
// positions.
func (it *txnIter) findBackward() bool {
	for {
		for it.base.Valid() {
			sp, ok := covering(it.dels, it.base.Key())
			if !ok {
				break
			}
			it.base.SeekLT(sp.start)
		}
		if err := it.base.Error(); err != nil {
			return it.fail(err)
		}
		n := it.pend.node()
		if n == nil && !it.base.Valid() {
			it.valid = false
			return false
		}
		c := +1 // > 0: the pending entry comes first
		if n == nil {
			c = -1
		} else if it.base.Valid() {
			c = bytes.Compare(n.key, it.base.Key())
		}
		if c < 0 {
			it.valid, it.inPend = true, false
			return true
		}
		if !n.tomb {
			it.valid, it.inPend = true, true
			return true
		}
		if c == 0 {
			it.base.Prev()
		}
		it.pend.prev()
	}
}

func (it *txnIter) fail(err error) bool {
	if it.err == nil {
		it.err = err
	}
	it.valid = false
	return false
}

func (it *txnIter) Valid() bool { return it.valid }

func (it *txnIter) Key() []byte {
	switch {
	case !it.valid:
		return nil
	case it.inPend:
		return it.pend.node().key
	default:
		return it.base.Key()
	}
}

func (it *txnIter) Value() []byte {
	switch {
	case !it.valid:
		return nil
	case it.inPend:
		return it.pend.node().value
	default:
		return it.base.Value()
	}
}

func (it *txnIter) Error() error { return it.err }

func (it *txnIter) Close() error {
	if it.closed {
		return errors.New("codec: iterator closed twice")
	}
	it.closed = true
	it.valid = false
	it.pend = ptreeIter{}
	return it.base.Close()
}
