package memtable

import (
	"bytes"
	"fmt"

	"github.com/strata-db/strata/internal/base"
)

// iterator walks level 0 of a skiplist. Next follows next links and Prev
// follows prev links (see skiplist for how they are kept), so both are O(1);
// seeks descend the towers in O(log n). Keys and values alias the arena:
// no step allocates.
//
// An iterator reads without locks and sees entries added after its
// creation. While inserts are in flight, Prev may step over an entry that
// Next would show; it never returns entries out of order.
type iterator struct {
	list         *skiplist
	lower, upper []byte
	// nd is the current node, or 0 when the iterator is not positioned.
	nd    uint32
	key   base.InternalKey
	value []byte
}

var _ base.InternalIterator = (*iterator)(nil)

// searchTrailer, paired with a user key, sorts before every entry with that
// user key: seeks by user key use it.
const searchTrailer = ^base.Trailer(0)

func (it *iterator) SeekGE(key []byte) bool {
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	_, next := it.list.seek(key, searchTrailer)
	return it.forwardTo(next)
}

func (it *iterator) SeekLT(key []byte) bool {
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	prev, _ := it.list.seek(key, searchTrailer)
	return it.backwardTo(prev)
}

func (it *iterator) First() bool {
	if it.lower != nil {
		return it.SeekGE(it.lower)
	}
	return it.forwardTo(it.list.a.next(it.list.head, 0))
}

func (it *iterator) Last() bool {
	if it.upper != nil {
		return it.SeekLT(it.upper)
	}
	return it.backwardTo(it.list.a.prev(it.list.tail))
}

// Next moves to the next entry. On an unpositioned iterator it returns
// false (the contract allows Next only on a valid iterator).
func (it *iterator) Next() bool {
	if it.nd == 0 {
		return false
	}
	if invariants {
		from := it.key
		defer it.checkStep(from, -1)
	}
	return it.forwardTo(it.list.a.next(it.nd, 0))
}

// Prev moves to the previous entry. On an unpositioned iterator it returns
// false (the contract allows Prev only on a valid iterator).
func (it *iterator) Prev() bool {
	if it.nd == 0 {
		return false
	}
	if invariants {
		from := it.key
		defer it.checkStep(from, +1)
	}
	return it.backwardTo(it.list.a.prev(it.nd))
}

// checkStep panics unless a step from key from landed on a key that
// compares to it as want says (-1: from sorts before the new key).
func (it *iterator) checkStep(from base.InternalKey, want int) {
	if it.nd != 0 && base.InternalCompare(from, it.key) != want {
		panic(fmt.Sprintf("memtable: iterator stepped from %s to %s", from, it.key))
	}
}

func (it *iterator) Valid() bool { return it.nd != 0 }

func (it *iterator) Key() base.InternalKey { return it.key }

func (it *iterator) Value() []byte { return it.value }

// Error always returns nil: a memtable iterator cannot fail.
func (it *iterator) Error() error { return nil }

func (it *iterator) Close() error {
	it.invalidate()
	it.list = nil
	return nil
}

// forwardTo positions at nd, reached moving forward: past the upper bound or
// at the tail the iterator is exhausted.
func (it *iterator) forwardTo(nd uint32) bool {
	if nd == it.list.tail {
		return it.invalidate()
	}
	ukey := it.list.a.userKey(nd)
	if it.upper != nil && bytes.Compare(ukey, it.upper) >= 0 {
		return it.invalidate()
	}
	// The next step's node is a cache miss in a large memtable (nodes lie
	// in the arena in insertion order, not key order): start loading it
	// now, so that it arrives while the caller works on this entry.
	it.list.prefetchNode(it.list.a.next(nd, 0))
	return it.set(nd, ukey)
}

// backwardTo positions at nd, reached moving backward: before the lower
// bound or at the head the iterator is exhausted.
func (it *iterator) backwardTo(nd uint32) bool {
	if nd == it.list.head {
		return it.invalidate()
	}
	ukey := it.list.a.userKey(nd)
	if it.lower != nil && bytes.Compare(ukey, it.lower) < 0 {
		return it.invalidate()
	}
	it.list.prefetchNode(it.list.a.prev(nd)) // as in forwardTo
	return it.set(nd, ukey)
}

func (it *iterator) set(nd uint32, ukey []byte) bool {
	it.nd = nd
	it.key = base.InternalKey{UserKey: ukey, Trailer: it.list.a.trailer(nd)}
	it.value = it.list.a.value(nd)
	return true
}

func (it *iterator) invalidate() bool {
	it.nd = 0
	it.key = base.InternalKey{}
	it.value = nil
	return false
}
