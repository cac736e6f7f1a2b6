package lsm

import (
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/iterator"
)

// EntryKind is the kind of a stored entry as ScanInternal reports it.
type EntryKind uint8

// Entry kinds.
const (
	EntryDelete      = EntryKind(base.InternalKeyKindDelete)
	EntrySet         = EntryKind(base.InternalKeyKindSet)
	EntryRangeDelete = EntryKind(base.InternalKeyKindRangeDelete)
)

// ScanInternal calls fn for every entry physically stored in [lower, upper)
// — every version, point tombstones, and entries that range tombstones hide
// — in memtables and tables, in internal key order. Range tombstones are
// not reported. It is for tests and tools that check what the engine still
// holds (the GC checks count the data keys of dead keys this way); ordinary
// reads use NewIter.
func (d *DB) ScanInternal(lower, upper []byte, fn func(userKey []byte, seq uint64, kind EntryKind, value []byte) error) error {
	rs := d.loadReadState()
	defer rs.unref()
	var children []base.InternalIterator
	for _, m := range rs.memtables {
		children = append(children, m.NewIter(lower, upper))
	}
	for level := range rs.version.levels {
		for _, f := range rs.version.levels[level] {
			if !f.overlapsRange(lower, upper) {
				continue
			}
			ti, err := d.tableCache.newIter(f, lower, upper)
			if err != nil {
				closeAll(children)
				return err
			}
			children = append(children, ti)
		}
	}
	it := iterator.NewMerging(children...)
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if err := fn(k.UserKey, uint64(k.SeqNum()), EntryKind(k.Kind()), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}
