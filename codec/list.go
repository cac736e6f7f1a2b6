package codec

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/strata-db/strata/internal/base"
)

// Lists. Element i (0-based from the head) of a list lives in slot Head+i:
//
//	d | db | uuid | subElement | slot(8, big-endian) -> element
//
// The metadata's Head and Tail bound the occupied slots [Head, Tail), so
// Count == Tail-Head always. A push at the head writes slot Head-1, one at
// the tail slot Tail; a pop deletes the end slot. Slots sort numerically,
// so an index is one seek away (LINDEX, LSET, LRANGE are O(log n + reply))
// and a run of slots is one range deletion (LTRIM, big pops). LINSERT and
// LREM in the middle rewrite the shorter side of the change, O(n).
//
// This file holds the layout, the end operations (push, pop, move: the
// functions the blocking commands call) and the reads; list_edit.go holds
// the commands that rewrite slots (LSET, LINSERT, LREM, LTRIM).

// List errors (Redis's texts).
var (
	// ErrIndexOutOfRange: LSET at an index outside the list.
	ErrIndexOutOfRange = errors.New("ERR index out of range")
	// ErrListSlotsExhausted: a push would move Head below 0 or Tail past
	// 2^64-1. A list starts in the middle of the slot space, so this takes
	// 2^63 net pushes at one end; it guards the arithmetic, not a real limit.
	ErrListSlotsExhausted = errors.New("ERR list slot space exhausted")
)

// rangeDeleteMin is the number of adjacent slots from which a removal is one
// range deletion instead of point deletions: a range tombstone costs every
// later read of the range a little, a point tombstone per element costs the
// write. LTRIM of a big list and pops of big counts take the range.
const rangeDeleteMin = 8

// popRangeDeleteMin is rangeDeleteMin for pops. A queue's pops come one
// after another, each adding its range tombstone to the memtable, where
// every later read of any key searches them until a flush and compaction
// drop them; a run of single pops the server coalesces (at most 64,
// server/coalesce.go) writes the point tombstones the pops one at a time
// would have.
const popRangeDeleteMin = 128

// listSlotKey returns the data key of slot idx of incarnation uuid.
func listSlotKey(db uint8, uuid, idx uint64) []byte {
	return appendSlotKey(make([]byte, 0, dataPrefixLen+1+8), db, uuid, idx)
}

// appendSlotKey appends listSlotKey(db, uuid, idx) to dst.
func appendSlotKey(dst []byte, db uint8, uuid, idx uint64) []byte {
	dst = append(dst, FamilyData, db)
	dst = binary.BigEndian.AppendUint64(dst, uuid)
	dst = append(dst, subElement)
	return binary.BigEndian.AppendUint64(dst, idx)
}

// scanSlots calls fn with each slot of [from, to) of incarnation uuid in r
// and its element, ascending or (reverse) descending, until fn returns false.
// The element is valid only during the call. A slot missing inside the range
// is corruption: Count == Tail-Head means every slot is occupied.
func scanSlots(r Reader, db uint8, uuid, from, to uint64, reverse bool, fn func(idx uint64, elem []byte) bool) error {
	if from >= to {
		return nil
	}
	it, err := r.NewIter(listSlotKey(db, uuid, from), listSlotKey(db, uuid, to))
	if err != nil {
		return err
	}
	want, step, ok := from, uint64(1), it.First()
	if reverse {
		want, step, ok = to-1, ^uint64(0), it.Last() // step -1
	}
	n := to - from
	for ; ok; ok = stepIter(it, reverse) {
		k := it.Key()
		if len(k) != dataPrefixLen+1+8 || binary.BigEndian.Uint64(k[dataPrefixLen+1:]) != want {
			it.Close()
			return base.CorruptionErrorf("codec: list %d slot %d missing (found key %q)", uuid, want, k)
		}
		n--
		if !fn(want, it.Value()) {
			return it.Close()
		}
		want += step
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != 0 {
		err = base.CorruptionErrorf("codec: list %d slot %d missing", uuid, want)
	}
	return err
}

func stepIter(it Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// popReadAhead is how many slots a pop inside a transaction reads ahead
// from its end of the list (TxnStore.Prefetch) at first: a pipeline's
// worth, but no more than popReadAheadBytes of elements (a list of large
// elements is read a few at a time, always at least the one popped). When
// the pops have used up what was read, and it was read whole, the next
// read continues it with twice as many, up to popReadAheadMax: a key batch
// that combines the pops of several clients (server/combine.go) pops far
// more than one pipeline's worth, and each read ahead builds an iterator
// over every level. A read cut at popReadAheadBytes does not grow.
const (
	popReadAhead      = 16
	popReadAheadMax   = 256
	popReadAheadBytes = 64 << 10
)

// readAheadRange returns the slots a pop of [from, to) from the list m
// reads ahead from its end (left: the head) in t: k1 and k2 are the slot
// keys of from and to.
func readAheadRange(t *TxnStore, m *Metadata, from, to uint64, k1, k2 []byte, left bool) (lo, hi uint64) {
	edge := k2
	if left {
		edge = k1
	}
	w := max(to-from, min(max(popReadAhead, 2*uint64(t.UsedAhead(edge, !left))), popReadAheadMax))
	if left {
		return from, min(m.Tail, from+w)
	}
	return max(m.Head, to-w), to
}

// pointReadMax is the number of slots up to which collectSlots reads with
// point lookups rather than an iterator: an LPOP, RPOP or LMOVE reads one
// slot, and a Get (bloom filters, no merging iterator to build) is the
// cheaper way to read a few keys.
const pointReadMax = 4

// collectSlots returns copies of the elements in slots [from, to), reversed
// when reverse is set. kb, if not nil, is scratch space for the keys it
// reads (Get does not keep its key); a write's object lends its own.
func collectSlots(r Reader, db uint8, uuid, from, to uint64, reverse bool, kb []byte) ([][]byte, error) {
	return collectSlotsBy(r, db, uuid, from, to, reverse, kb, to-from <= pointReadMax)
}

// collectSlotsBy is collectSlots with the choice of point reads (points)
// or a scan made by the caller: point reads for a range a TxnStore has
// read ahead.
func collectSlotsBy(r Reader, db uint8, uuid, from, to uint64, reverse bool, kb []byte, points bool) ([][]byte, error) {
	out := make([][]byte, 0, to-from)
	if points {
		k := kb[:0]
		if k == nil {
			k = make([]byte, 0, dataPrefixLen+1+8)
		}
		for i := range to - from {
			idx := from + i
			if reverse {
				idx = to - 1 - i
			}
			k = appendSlotKey(k[:0], db, uuid, idx)
			e, ok, err := getValue(r, k)
			if err == nil && !ok {
				err = base.CorruptionErrorf("codec: list %d slot %d missing", uuid, idx)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	err := scanSlots(r, db, uuid, from, to, reverse, func(_ uint64, e []byte) bool {
		out = append(out, bytes.Clone(e))
		return true
	})
	return out, err
}

// Slot operations on a list opened for writing. Reads see the committed
// state, not the batch: a command reads what it needs before it writes over
// it, or reads slots it does not write.

func (o *object) slotKey(idx uint64) []byte { return listSlotKey(o.db, o.m.UUID, idx) }

func (o *object) setSlot(idx uint64, elem []byte) {
	o.b.Set(appendSlotKey(o.kb[:0], o.db, o.m.UUID, idx), elem)
	o.dirty = true
}

// scanSlots walks slots [from, to) of the committed list (see scanSlots).
func (o *object) scanSlots(from, to uint64, reverse bool, fn func(idx uint64, elem []byte) bool) error {
	return scanSlots(o.ks.store, o.db, o.m.UUID, from, to, reverse, fn)
}

// removeSlots deletes slots [from, to): point deletions for a few, one range
// deletion for a run of rangeDeleteMin or more. Bounds are the caller's.
func (o *object) removeSlots(from, to uint64) { o.removeSlotsFrom(from, to, rangeDeleteMin) }

// removeSlotsFrom is removeSlots with one range deletion from rangeMin
// slots on.
func (o *object) removeSlotsFrom(from, to, rangeMin uint64) {
	switch {
	case from >= to:
		return
	case to-from < rangeMin:
		for i := from; i < to; i++ {
			o.b.Delete(appendSlotKey(o.kb[:0], o.db, o.m.UUID, i))
		}
	default:
		o.b.DeleteRange(o.slotKey(from), o.slotKey(to))
	}
	o.dirty = true
}

// push adds elems one by one at the head (left) or the tail, creating the
// list if needed: LPUSH a b c leaves c b a at the head, as in Redis.
func (o *object) push(left bool, elems [][]byte) error {
	if err := o.create(); err != nil {
		return err
	}
	n := uint64(len(elems))
	if (left && o.m.Head < n) || (!left && o.m.Tail > ^uint64(0)-n) {
		return ErrListSlotsExhausted
	}
	for _, e := range elems {
		if left {
			o.m.Head--
			o.setSlot(o.m.Head, e)
		} else {
			o.setSlot(o.m.Tail, e)
			o.m.Tail++
		}
	}
	o.m.Count += n
	return nil
}

// pop removes up to count elements from the head (left) or the tail and
// returns them in the order they were popped (RPOP returns the last element
// first). The slots are deleted even when the list empties, because a move
// onto the same list may push again before finish.
func (o *object) pop(left bool, count uint64) ([][]byte, error) {
	if !o.live {
		return nil, nil
	}
	n := min(count, o.m.Count)
	from, to := o.m.Head, o.m.Head+n
	if !left {
		from, to = o.m.Tail-n, o.m.Tail
	}
	points := n <= pointReadMax
	if t, ok := o.ks.store.(*TxnStore); ok && n > 0 {
		// In a key batch (or EXEC) the next commands likely pop the
		// next slots: read them with one seek (TxnStore.Prefetch), not
		// one lookup each. A range read ahead already (by the pops
		// before, or PopFit) is read slot by slot from there.
		k1 := appendSlotKey(o.kb[:0], o.db, o.m.UUID, from)
		k2 := appendSlotKey(o.kb[len(k1):len(k1)], o.db, o.m.UUID, to)
		covered := t.Covers(k1, k2)
		if !covered && n < popReadAhead {
			lo, hi := readAheadRange(t, &o.m, from, to, k1, k2, left)
			if _, _, err := t.Prefetch(listSlotKey(o.db, o.m.UUID, lo), listSlotKey(o.db, o.m.UUID, hi), !left, popReadAheadBytes); err != nil {
				return nil, err
			}
			covered = true
		}
		points = points || covered
	}
	elems, err := collectSlotsBy(o.ks.store, o.db, o.m.UUID, from, to, !left, o.kb[:0], points)
	if err != nil {
		return nil, err
	}
	o.removeSlotsFrom(from, to, popRangeDeleteMin)
	if left {
		o.m.Head = to
	} else {
		o.m.Tail = from
	}
	o.m.Count -= n
	return elems, nil
}

// Push implements LPUSH and RPUSH (left: at the head), and with existing
// LPUSHX and RPUSHX, which push only onto a list that exists. It returns the
// list's length afterwards (0 when existing refused a missing key).
func (d *DB) Push(key []byte, elems [][]byte, left, existing bool) (int64, error) {
	return update(d, key, TypeList, func(o *object) (int64, error) {
		if existing && !o.live {
			return 0, nil
		}
		if err := o.push(left, elems); err != nil {
			return 0, err
		}
		return int64(o.m.Count), nil
	})
}

// PopFit returns how many pops of one element from key's head (left) or
// tail, at most limit, run one after the other, take elements whose sizes
// (each plus its slot key's, which bounds a reply's framing) stay within
// budget bytes, and at least one:
// how many single pops the server may run as one (server/coalesce.go)
// without their replies passing its buffer's bound. A missing key, or one
// of another type, answers limit: those pops answer nil or an error. It
// reads the elements, which the pops then find in the caches.
func (d *DB) PopFit(key []byte, left bool, limit, budget int) (int, error) {
	unlock := d.lockKeys(key)
	defer unlock()
	v, err := d.openView(d.ks.store, key, TypeList, d.nowMs())
	switch {
	case errors.Is(err, ErrWrongType):
		return limit, nil
	case err != nil:
		return 0, err
	case !v.live:
		return limit, nil
	}
	n := min(uint64(max(limit, 0)), v.m.Count)
	from, to := v.m.Head, v.m.Head+n
	if !left {
		from, to = v.m.Tail-n, v.m.Tail
	}
	if t, ok := d.ks.store.(*TxnStore); ok && n > 0 {
		// The entries up to the one that takes a read of the range past
		// budget, from what was read ahead (by the pops before it in the
		// transaction), else from a read ahead that the pops then use.
		k1, k2 := listSlotKey(v.db, v.m.UUID, from), listSlotKey(v.db, v.m.UUID, to)
		fit, cut, covered := t.FitAhead(k1, k2, !left, budget)
		if !covered {
			lo, hi := readAheadRange(t, &v.m, from, to, k1, k2, left)
			if _, _, err := t.Prefetch(listSlotKey(v.db, v.m.UUID, lo), listSlotKey(v.db, v.m.UUID, hi), !left, max(budget, popReadAheadBytes)); err != nil {
				return 0, err
			}
			if fit, cut, covered = t.FitAhead(k1, k2, !left, budget); !covered {
				// Large elements: the read stopped short of the range.
				var err error
				if fit, cut, err = t.Prefetch(k1, k2, !left, budget); err != nil {
					return 0, err
				}
			}
		}
		if cut && fit > 1 {
			fit-- // the entry that passed the budget
		}
		return max(fit, 1), nil
	}
	fit, size, keyLen := 0, 0, len(listSlotKey(v.db, v.m.UUID, 0))
	err = scanSlots(v.r, v.db, v.m.UUID, from, to, !left, func(_ uint64, e []byte) bool {
		if size += len(e) + keyLen; size > budget && fit > 0 {
			return false
		}
		fit++
		return true
	})
	return max(fit, 1), err
}

// Pop implements LPOP and RPOP (left: from the head) and is the pop of
// BLPOP and BRPOP: it removes up to count elements and returns them in the
// order popped. found is false when the key does not exist (the server
// replies nil then); with count 0 an existing list gives an empty, non-nil
// elems and stays unchanged. An emptied list is deleted. ErrWrongType if the
// key holds another type.
//
// A blocked client calls Pop after a notification for key; found false
// means another client took the elements first and it should block again.
func (d *DB) Pop(key []byte, left bool, count int) (elems [][]byte, found bool, err error) {
	elems, err = update(d, key, TypeList, func(o *object) ([][]byte, error) {
		if !o.live {
			return nil, nil
		}
		found = true
		return o.pop(left, uint64(max(count, 0)))
	})
	return elems, found && err == nil, err
}

// LMove implements LMOVE and RPOPLPUSH, and is the move of BLMOVE and
// BRPOPLPUSH: it pops one element from src (fromLeft: its head) and pushes
// it onto dst (toLeft: its head), atomically, in one batch under both keys'
// locks. found is false, and nothing changes, when src does not exist (dst
// is not examined then, as in Redis). ErrWrongType if src, or dst when src
// exists, holds another type. src and dst may be the same list (a rotation).
func (d *DB) LMove(src, dst []byte, fromLeft, toLeft bool) (elem []byte, found bool, err error) {
	unlock := d.lockKeys(src, dst)
	defer unlock()
	now := d.ks.nowMs()
	b := d.ks.newBatch()
	so, err := d.openObject(b, src, TypeList, now)
	if err != nil || !so.live || so.m.Count == 0 {
		return nil, false, err
	}
	do := so
	if !equalKeys(src, dst) {
		if do, err = d.openObject(b, dst, TypeList, now); err != nil {
			return nil, false, err
		}
	}
	elems, err := so.pop(fromLeft, 1)
	if err != nil {
		return nil, false, err
	}
	if err := do.push(toLeft, elems); err != nil {
		return nil, false, err
	}
	so.finish()
	if do != so {
		do.finish()
	}
	if err := b.commit(); err != nil {
		return nil, false, err
	}
	return elems[0], true, nil
}

// LMPop implements LMPOP and is the pop of BLMPOP (and, with count 1, of a
// BLPOP or BRPOP on several keys): the first of keys, in the order given,
// that holds a non-empty list loses up to count elements from its head
// (left) or tail. It returns that key and the elements, or found=false if
// no key holds a list. A key of another type met before a list is
// ErrWrongType, as in Redis. All keys are locked for the call, so the
// choice is atomic.
func (d *DB) LMPop(keys [][]byte, left bool, count int) (key []byte, elems [][]byte, found bool, err error) {
	unlock := d.lockKeys(keys...)
	defer unlock()
	now := d.ks.nowMs()
	for _, k := range keys {
		b := d.ks.newBatch()
		o, err := d.openObject(b, k, TypeList, now)
		if err != nil {
			return nil, nil, false, err
		}
		if !o.live || o.m.Count == 0 {
			continue
		}
		if elems, err = o.pop(left, uint64(max(count, 0))); err != nil {
			return nil, nil, false, err
		}
		o.finish()
		if err := b.commit(); err != nil {
			return nil, nil, false, err
		}
		return k, elems, true, nil
	}
	return nil, nil, false, nil
}

// LLen implements LLEN: O(1), from the metadata.
func (d *DB) LLen(key []byte) (int64, error) { return d.length(key, TypeList) }

// listRange converts LRANGE/LTRIM's start and stop (inclusive, negative from
// the end) on a list of n elements into the positions [from, to), as Redis
// does; ok is false when the range is empty.
func listRange(n, start, stop int64) (from, to int64, ok bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop + 1, true
}

// LRange implements LRANGE: the elements from start to stop inclusive
// (negative indexes count from the tail). It seeks to the first slot, so it
// costs O(log n + returned). A missing key gives no elements.
func (d *DB) LRange(key []byte, start, stop int64) ([][]byte, error) {
	return read(d, key, TypeList, func(v *view) ([][]byte, error) {
		from, to, ok := listRange(v.count(), start, stop)
		if !ok {
			return nil, nil
		}
		return collectSlots(v.r, v.db, v.m.UUID, v.m.Head+uint64(from), v.m.Head+uint64(to), false, nil)
	})
}

// LRangeEach is LRange streamed to the caller, who writes the reply as it
// goes instead of collecting copies (LRANGE of a hundred elements made a
// hundred and one allocations): begin receives the number of elements, then
// each receives them in order, aliasing the engine's buffers, valid only
// during the call. After an error begin and some calls of each may have
// happened: the caller discards what they wrote.
func (d *DB) LRangeEach(key []byte, start, stop int64, begin func(n int), each func(elem []byte)) error {
	_, err := read(d, key, TypeList, func(v *view) (struct{}, error) {
		from, to, ok := listRange(v.count(), start, stop)
		if !ok {
			begin(0)
			return struct{}{}, nil
		}
		begin(int(to - from))
		first, end := v.m.Head+uint64(from), v.m.Head+uint64(to)
		if end-first <= pointReadMax {
			es, err := collectSlots(v.r, v.db, v.m.UUID, first, end, false, nil)
			for _, e := range es {
				each(e)
			}
			return struct{}{}, err
		}
		return struct{}{}, scanSlots(v.r, v.db, v.m.UUID, first, end, false, func(_ uint64, e []byte) bool {
			each(e)
			return true
		})
	})
	return err
}

// LIndex implements LINDEX: the element at index (negative from the tail),
// one point lookup. found is false for a missing key or an index outside
// the list.
func (d *DB) LIndex(key []byte, index int64) (elem []byte, found bool, err error) {
	elem, err = read(d, key, TypeList, func(v *view) ([]byte, error) {
		n := v.count()
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return nil, nil
		}
		es, err := collectSlots(v.r, v.db, v.m.UUID, v.m.Head+uint64(index), v.m.Head+uint64(index)+1, false, nil)
		if err != nil {
			return nil, err
		}
		found = true
		return es[0], nil
	})
	return elem, found && err == nil, err
}

// LPosOptions are LPOS's options after the server has parsed them.
type LPosOptions struct {
	// Rank selects the first match to report: 1 the first from the head, 2
	// the second, -1 the first from the tail, ... It must not be 0.
	Rank int64
	// Count is the number of matches to report; 0 means all of them.
	Count int64
	// MaxLen bounds the number of elements compared; 0 means no bound.
	MaxLen int64
}

// LPos implements LPOS: the positions (from the head) of matching elements,
// in the order found. The server replies the first or nil without COUNT
// (give Count 1), an array with it. A missing key has no matches.
func (d *DB) LPos(key, elem []byte, opt LPosOptions) ([]int64, error) {
	return read(d, key, TypeList, func(v *view) ([]int64, error) {
		if !v.live {
			return nil, nil
		}
		reverse, rank := opt.Rank < 0, opt.Rank
		if reverse {
			rank = -rank
		}
		var out []int64
		var matches, examined int64
		err := scanSlots(v.r, v.db, v.m.UUID, v.m.Head, v.m.Tail, reverse, func(idx uint64, e []byte) bool {
			if opt.MaxLen > 0 && examined >= opt.MaxLen {
				return false
			}
			examined++
			if !bytes.Equal(e, elem) {
				return true
			}
			if matches++; matches < rank {
				return true
			}
			out = append(out, int64(idx-v.m.Head))
			return opt.Count == 0 || int64(len(out)) < opt.Count
		})
		return out, err
	})
}
