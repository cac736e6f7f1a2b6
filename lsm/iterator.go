package lsm

import (
	"bytes"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/iterator"
)

// Iterator iterates over the user keys of a consistent view of the DB (the
// newest visible version of each key; deleted keys are skipped), within
// [LowerBound, UpperBound).
//
// Contract: Key and Value are valid until the next positioning call; an
// Iterator is not safe for concurrent use; Close must be called and returns
// the first error met.
type Iterator struct {
	rs   *readState
	iter base.InternalIterator
	// frags are the range tombstones visible to the iterator.
	frags        *fragments
	seq          base.SeqNum
	lower, upper []byte

	// dir is +1 when iter is positioned at the entry that yields the
	// current key (forward), -1 when iter is positioned before every entry
	// of the current key and the key and value are saved (reverse).
	dir   int
	valid bool
	err   error

	key, value []byte // current key and value (aliases iter or the bufs)
	keyBuf     []byte
	valBuf     []byte
}

// NewIter returns an iterator over the current state of the DB.
func (d *DB) NewIter(o *IterOptions) (*Iterator, error) {
	return d.newIter(o, base.SeqNum(d.visibleSeq.Load()))
}

func (d *DB) newIter(o *IterOptions, seq base.SeqNum) (*Iterator, error) {
	if o == nil {
		o = &IterOptions{}
	}
	it := &Iterator{seq: seq}
	if o.LowerBound != nil {
		it.lower = append([]byte{}, o.LowerBound...)
	}
	if o.UpperBound != nil {
		it.upper = append([]byte{}, o.UpperBound...)
	}
	rs := d.loadReadState()
	it.rs = rs
	var children []base.InternalIterator
	for _, m := range rs.memtables {
		children = append(children, m.NewIter(it.lower, it.upper))
	}
	v := rs.version
	for i := len(v.levels[0]) - 1; i >= 0; i-- {
		f := v.levels[0][i]
		if !f.overlapsRange(it.lower, it.upper) {
			continue
		}
		ti, err := d.tableCache.newIter(f, it.lower, it.upper)
		if err != nil {
			closeAll(children)
			rs.unref()
			return nil, err
		}
		children = append(children, ti)
	}
	for level := 1; level < numLevels; level++ {
		files := v.levels[level]
		if len(files) == 0 {
			continue
		}
		children = append(children, iterator.NewLevel(v.levelFiles[level], func(i int, lower, upper []byte) (base.InternalIterator, error) {
			return d.tableCache.newIter(files[i], lower, upper)
		}, it.lower, it.upper))
	}
	ts, err := d.collectTombstones(rs, it.lower, it.upper)
	if err != nil {
		closeAll(children)
		rs.unref()
		return nil, err
	}
	it.frags = fragment(ts, seq)
	it.iter = iterator.NewMerging(children...)
	return it, nil
}

// overlapsRange reports whether the file may hold keys in [lower, upper).
func (f *FileMetadata) overlapsRange(lower, upper []byte) bool {
	if upper != nil && bytes.Compare(f.Smallest.UserKey, upper) >= 0 {
		return false
	}
	if lower != nil && f.endsBefore(lower) {
		return false
	}
	return true
}

func closeAll(its []base.InternalIterator) {
	for _, it := range its {
		it.Close()
	}
}

// First moves to the first key.
func (it *Iterator) First() bool {
	it.dir = +1
	it.iter.First()
	return it.findNextEntry(nil, false)
}

// Last moves to the last key.
func (it *Iterator) Last() bool {
	it.dir = -1
	it.iter.Last()
	return it.findPrevEntry()
}

// SeekGE moves to the first key >= key.
func (it *Iterator) SeekGE(key []byte) bool {
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	it.dir = +1
	it.iter.SeekGE(key)
	return it.findNextEntry(nil, false)
}

// SeekLT moves to the last key < key.
func (it *Iterator) SeekLT(key []byte) bool {
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	it.dir = -1
	it.iter.SeekLT(key)
	return it.findPrevEntry()
}

// Next moves to the next key.
func (it *Iterator) Next() bool {
	if !it.valid {
		return false
	}
	if it.dir < 0 {
		// iter is before the current key's entries: step onto them.
		it.dir = +1
		if !it.iter.Valid() {
			if it.iter.Error() != nil {
				return it.fail(it.iter.Error())
			}
			it.iter.First()
		} else {
			it.iter.Next()
		}
	} else {
		// iter is on the entry findNextEntry returned, the current key's:
		// step past it without comparing.
		it.keyBuf = append(it.keyBuf[:0], it.key...)
		it.iter.Next()
	}
	// Skip the remaining versions of the current key. keyBuf is nil when
	// that key is the empty key, hence the explicit flag.
	return it.findNextEntry(it.keyBuf, true)
}

// Prev moves to the previous key.
func (it *Iterator) Prev() bool {
	if !it.valid {
		return false
	}
	if it.dir > 0 {
		// Move iter before every entry of the current key.
		it.keyBuf = append(it.keyBuf[:0], it.key...)
		for ok := it.iter.Prev(); ok; ok = it.iter.Prev() {
			if bytes.Compare(it.iter.Key().UserKey, it.keyBuf) < 0 {
				break
			}
		}
		if err := it.iter.Error(); err != nil {
			return it.fail(err)
		}
		it.dir = -1
	}
	return it.findPrevEntry()
}

// findNextEntry advances iter to the newest visible version of the next
// user key (> skip, when skipping) that is not deleted.
func (it *Iterator) findNextEntry(skip []byte, skipping bool) bool {
	for ; it.iter.Valid(); it.iter.Next() {
		k := it.iter.Key()
		if k.SeqNum() > it.seq {
			continue
		}
		// Going forward, the merge never returns a user key below skip:
		// only its older versions are to be passed, and equality is the
		// cheaper test (lengths and last bytes first).
		if skipping && sameKey(k.UserKey, skip) {
			continue
		}
		kind := k.Kind()
		if kind == base.InternalKeyKindSet && it.frags.deleted(k.UserKey, k.SeqNum()) {
			kind = base.InternalKeyKindDelete
		}
		switch kind {
		case base.InternalKeyKindDelete:
			// Hide every older version of this key.
			it.keyBuf = append(it.keyBuf[:0], k.UserKey...)
			skip, skipping = it.keyBuf, true
		case base.InternalKeyKindSet:
			it.key, it.value = k.UserKey, it.iter.Value()
			it.valid = true
			return true
		}
	}
	if err := it.iter.Error(); err != nil {
		return it.fail(err)
	}
	it.valid = false
	return false
}

// findPrevEntry moves iter backwards past every entry of the previous user
// key that is not deleted, saving its newest visible version.
func (it *Iterator) findPrevEntry() bool {
	kind := base.InternalKeyKindDelete
	for ; it.iter.Valid(); it.iter.Prev() {
		k := it.iter.Key()
		if k.SeqNum() > it.seq {
			continue
		}
		if kind != base.InternalKeyKindDelete && bytes.Compare(k.UserKey, it.keyBuf) < 0 {
			// We have passed every entry of the saved key.
			break
		}
		kind = k.Kind()
		if kind == base.InternalKeyKindSet && it.frags.deleted(k.UserKey, k.SeqNum()) {
			kind = base.InternalKeyKindDelete
		}
		switch kind {
		case base.InternalKeyKindDelete:
			it.keyBuf = it.keyBuf[:0]
			it.valBuf = it.valBuf[:0]
		case base.InternalKeyKindSet:
			it.keyBuf = append(it.keyBuf[:0], k.UserKey...)
			it.valBuf = append(it.valBuf[:0], it.iter.Value()...)
		}
	}
	if err := it.iter.Error(); err != nil {
		return it.fail(err)
	}
	if kind == base.InternalKeyKindDelete {
		it.valid = false
		return false
	}
	it.key, it.value = it.keyBuf, it.valBuf
	it.valid = true
	return true
}

func (it *Iterator) fail(err error) bool {
	if it.err == nil {
		it.err = err
	}
	it.valid = false
	return false
}

// Valid reports whether the iterator is positioned at a key.
func (it *Iterator) Valid() bool { return it.valid }

// Key returns the current key.
func (it *Iterator) Key() []byte { return it.key }

// Value returns the current value.
func (it *Iterator) Value() []byte { return it.value }

// Error returns the first error the iterator met.
func (it *Iterator) Error() error { return it.err }

// Close releases the iterator and its view of the DB.
func (it *Iterator) Close() error {
	if it.rs == nil {
		return ErrClosed
	}
	err := it.iter.Close()
	it.rs.unref()
	it.rs = nil
	if it.err != nil {
		return it.err
	}
	return err
}

// sameKey is bytes.Equal testing the lengths and the last bytes first: the
// keys an iterator meets in turn share long prefixes (a collection's
// uuid) and differ, if at all, near their ends.
func sameKey(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if n := len(a); n > 0 && a[n-1] != b[n-1] {
		return false
	}
	return bytes.Equal(a, b)
}
