package codec

import (
	"errors"
	"fmt"
	"slices"
)

// Sets: member -> empty value under subElement of the key's uuid; the count
// in metadata is the number of members. Members are kept in byte order, so
// every set can be walked as a sorted stream: union and difference are
// merges of such streams (setalgebra.go).

// Set errors (Redis's texts).
var (
	// ErrSPopCount: SPOP with a count that is negative or not an integer.
	ErrSPopCount = errors.New("ERR value is out of range, must be positive")
)

// SAdd implements SADD: returns the number of members added.
func (d *DB) SAdd(key []byte, members [][]byte) (int64, error) {
	return update(d, key, TypeSet, func(o *object) (int64, error) { return o.addElements(members, 1, nil) })
}

// SAddEach runs SADD key members[i] for each i, one after the other, as
// one update, and sets added[i] to whether members[i] was added (a member
// named twice is added by its first). The server runs a pipeline of
// single-member SADDs of one key this way (server/coalesce.go).
func (d *DB) SAddEach(key []byte, members [][]byte, added []bool) error {
	_, err := update(d, key, TypeSet, func(o *object) (int64, error) { return o.addElements(members, 1, added) })
	return err
}

// SRem implements SREM: returns the number of members removed. A set left
// empty is deleted.
func (d *DB) SRem(key []byte, members [][]byte) (int64, error) {
	return update(d, key, TypeSet, func(o *object) (int64, error) { return o.removeElements(members) })
}

// SCard implements SCARD, from the metadata's count.
func (d *DB) SCard(key []byte) (int64, error) { return d.length(key, TypeSet) }

// SIsMember implements SISMEMBER.
func (d *DB) SIsMember(key, member []byte) (bool, error) {
	return read(d, key, TypeSet, func(v *view) (bool, error) {
		_, found, err := v.get(subElement, member)
		return found, err
	})
}

// SMIsMember implements SMISMEMBER: one answer per member.
func (d *DB) SMIsMember(key []byte, members [][]byte) ([]bool, error) {
	return read(d, key, TypeSet, func(v *view) ([]bool, error) {
		out := make([]bool, len(members))
		for i, m := range members {
			_, found, err := v.get(subElement, m)
			if err != nil {
				return nil, err
			}
			out[i] = found
		}
		return out, nil
	})
}

// SMembers implements SMEMBERS: every member, in byte order.
func (d *DB) SMembers(key []byte) ([][]byte, error) {
	return read(d, key, TypeSet, func(v *view) ([][]byte, error) {
		if !v.live {
			return nil, nil
		}
		return v.allMembers()
	})
}

// eachMember calls fn with every member of a live view, in byte order. The
// slice passed is valid only during the call.
func (v *view) eachMember(fn func(m []byte) error) error {
	it, prefix, err := v.iter(subElement)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key()[len(prefix):]); err != nil {
			return err
		}
	}
	return it.Error()
}

// SPop implements SPOP: removes and returns count distinct random members
// (all of them, deleting the key, when count >= the size), in random order.
// SPOP without a count is SPopOne. The members are chosen by ordinal in one
// pass over the set (random.go), without loading it whole, and removed in
// one batch.
func (d *DB) SPop(key []byte, count int64) ([][]byte, error) {
	return d.spop(key, count, true)
}

// SPopOne implements SPOP without a count: SPop of one member, whose
// lookup of the key is a write's, never counted.
func (d *DB) SPopOne(key []byte) ([][]byte, error) { return d.spop(key, 1, false) }

func (d *DB) spop(key []byte, count int64, withCount bool) ([][]byte, error) {
	if count < 0 {
		return nil, ErrSPopCount
	}
	return update(d, key, TypeSet, func(o *object) ([][]byte, error) {
		if !o.live || count == 0 {
			return nil, nil
		}
		if uint64(count) >= o.m.Count {
			// Everything goes: the key is deleted by one range deletion.
			// Redis answers this case of SPOP with a count with
			// SMEMBERS's code, which counts a read lookup of the key.
			if withCount {
				d.countLookup(true)
			}
			members, err := o.view().allMembers()
			if err != nil {
				return nil, err
			}
			o.m.Count, o.dirty = 0, true
			return members, nil
		}
		es, err := o.view().randomElements(count)
		if err != nil {
			return nil, err
		}
		members := make([][]byte, len(es))
		for i, e := range es {
			members[i] = e.field
			o.del(subElement, e.field)
		}
		o.m.Count -= uint64(len(es))
		return members, nil
	})
}

// allMembers copies every member of a live view.
func (v *view) allMembers() ([][]byte, error) {
	out := make([][]byte, 0, v.m.Count)
	err := v.eachMember(func(m []byte) error {
		out = append(out, append([]byte(nil), m...))
		return nil
	})
	return out, err
}

// SRandMember implements SRANDMEMBER with a count (see
// view.randomElements); SRANDMEMBER without one is count 1.
func (d *DB) SRandMember(key []byte, count int64) ([][]byte, error) {
	return read(d, key, TypeSet, func(v *view) ([][]byte, error) {
		es, err := v.randomElements(count)
		if err != nil {
			return nil, err
		}
		members := make([][]byte, len(es))
		for i, e := range es {
			members[i] = e.field
		}
		return members, nil
	})
}

// SMove implements SMOVE: moves member from src to dst in one batch and
// reports whether src held it. As in Redis, a missing src answers false
// before dst's type is checked, and a move onto the same key only reports
// membership.
func (d *DB) SMove(src, dst, member []byte) (bool, error) {
	unlock := d.lockKeys(src, dst)
	defer unlock()
	now := d.ks.nowMs()
	b := d.ks.newBatch()
	from, err := d.openObject(b, src, TypeSet, now)
	if err != nil || !from.live {
		return false, err
	}
	if equalKeys(src, dst) {
		_, found, err := from.get(subElement, member)
		return found, err
	}
	to, err := d.openObject(b, dst, TypeSet, now)
	if err != nil {
		return false, err
	}
	_, found, err := from.get(subElement, member)
	if err != nil || !found {
		return false, err
	}
	from.del(subElement, member)
	from.m.Count--
	_, there, err := to.get(subElement, member)
	if err != nil {
		return false, err
	}
	if !there {
		if err := to.create(); err != nil {
			return false, err
		}
		to.set(subElement, member, nil)
		to.m.Count++
	}
	from.finish()
	to.finish()
	return true, b.commit()
}

// SScan implements SSCAN: Items are members.
func (d *DB) SScan(key []byte, cursor uint64, match []byte, count int) (ScanResult, error) {
	return read(d, key, TypeSet, func(v *view) (ScanResult, error) {
		return v.scanElements(d.ks, cursor, match, count, func(out [][]byte, m, _ []byte) ([][]byte, error) {
			return append(out, append([]byte(nil), m...)), nil
		})
	})
}

// SetOp names a set operation: SINTER, SUNION or SDIFF and their *STORE
// forms.
type SetOp uint8

// The set operations.
const (
	SetInter SetOp = iota
	SetUnion
	SetDiff
)

// openSets opens keys as sets on r. A missing key is an empty set; a key of
// another type is ErrWrongType, whichever key is missing (Redis 7 checks
// every type before answering an intersection with a missing key).
func (d *DB) openSets(r Reader, keys [][]byte, now int64) ([]*view, error) {
	sets := make([]*view, len(keys))
	for i, k := range keys {
		v, err := d.openView(r, k, TypeSet, now)
		d.countOpened(err == nil && v.live, err)
		if err != nil {
			return nil, err
		}
		sets[i] = v
	}
	return sets, nil
}

// SetCombine implements SINTER, SUNION and SDIFF: the result of op over
// keys, read from one snapshot. Members come in byte order.
func (d *DB) SetCombine(op SetOp, keys [][]byte) ([][]byte, error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	sets, err := d.openSets(snap, keys, d.ks.nowMs())
	if err != nil {
		return nil, err
	}
	var out [][]byte
	err = combineSets(op, sets, func(m []byte) error {
		out = append(out, append([]byte(nil), m...))
		return nil
	})
	return out, err
}

// SInterCard implements SINTERCARD: the size of the intersection of keys,
// counting no further than limit (0: no limit).
func (d *DB) SInterCard(keys [][]byte, limit int64) (int64, error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	sets, err := d.openSets(snap, keys, d.ks.nowMs())
	if err != nil {
		return 0, err
	}
	var n int64
	err = combineSets(SetInter, sets, func([]byte) error {
		n++
		if limit > 0 && n >= limit {
			return errStopCombine
		}
		return nil
	})
	if errors.Is(err, errStopCombine) {
		err = nil
	}
	return n, err
}

// SetStore implements SINTERSTORE, SUNIONSTORE and SDIFFSTORE: the result
// of op over keys replaces dst, whatever dst held (its TTL too); an empty
// result deletes dst. dst may be one of the keys. Every key is locked, the
// sources are read from the store under the locks, and the new incarnation
// of dst with the removal of the old one is one batch. Returns the size of
// the result.
func (d *DB) SetStore(op SetOp, dst []byte, keys [][]byte) (int64, error) {
	unlock := d.lockKeys(append(slices.Clip(keys), dst)...)
	defer unlock()
	now := d.ks.nowMs()
	sets, err := d.openSets(d.ks.store, keys, now)
	if err != nil {
		return 0, err
	}
	b := d.ks.newBatch()
	o, err := d.openReplacement(b, dst, TypeSet, now)
	if err != nil {
		return 0, err
	}
	err = combineSets(op, sets, func(m []byte) error {
		if err := o.create(); err != nil {
			return err
		}
		o.set(subElement, m, nil)
		o.m.Count++
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := int64(o.m.Count)
	o.finish()
	if !o.dirty {
		return 0, nil
	}
	return n, b.commit()
}

// String returns the command name of the operation.
func (op SetOp) String() string {
	switch op {
	case SetInter:
		return "SINTER"
	case SetUnion:
		return "SUNION"
	case SetDiff:
		return "SDIFF"
	}
	return fmt.Sprintf("SetOp(%d)", uint8(op))
}
