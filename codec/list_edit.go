package codec

import "bytes"

// List commands that rewrite slots: LSET overwrites one; LTRIM cuts both
// ends with range deletions; LINSERT and LREM change the middle and shift
// the shorter side of the change so the slots stay contiguous. The layout is
// in list.go.

// LSet implements LSET: overwrites the element at index (negative from the
// tail). ErrNoSuchKey for a missing key, ErrIndexOutOfRange for an index
// outside the list.
func (d *DB) LSet(key []byte, index int64, elem []byte) error {
	_, err := update(d, key, TypeList, func(o *object) (struct{}, error) {
		if !o.live {
			return struct{}{}, ErrNoSuchKey
		}
		n := int64(o.m.Count)
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return struct{}{}, ErrIndexOutOfRange
		}
		o.setSlot(o.m.Head+uint64(index), elem)
		return struct{}{}, nil
	})
	return err
}

// LTrim implements LTRIM: keeps the elements from start to stop inclusive
// (negative from the tail) and removes the rest, each cut end by one range
// deletion when it is long (removeSlots). Trimming everything deletes the
// key. A missing key is left alone.
func (d *DB) LTrim(key []byte, start, stop int64) error {
	_, err := update(d, key, TypeList, func(o *object) (struct{}, error) {
		if !o.live {
			return struct{}{}, nil
		}
		from, to, ok := listRange(int64(o.m.Count), start, stop)
		if !ok {
			o.clear()
			return struct{}{}, nil
		}
		head, tail := o.m.Head+uint64(from), o.m.Head+uint64(to)
		o.removeSlots(o.m.Head, head)
		o.removeSlots(tail, o.m.Tail)
		o.m.Head, o.m.Tail, o.m.Count = head, tail, tail-head
		return struct{}{}, nil
	})
	return err
}

// clear empties the list; finish then deletes the key with its whole data
// range, so no slot needs deleting. Nothing may be pushed afterwards.
func (o *object) clear() {
	o.m.Head, o.m.Count = o.m.Tail, 0
	o.dirty = true
}

// LInsert implements LINSERT: inserts elem before (or after) the first
// element equal to pivot, searching from the head. It returns the new
// length, -1 if pivot is not in the list, 0 if the key does not exist.
func (d *DB) LInsert(key []byte, before bool, pivot, elem []byte) (int64, error) {
	return update(d, key, TypeList, func(o *object) (int64, error) {
		if !o.live {
			return 0, nil
		}
		at := uint64(0)
		found := false
		err := o.scanSlots(o.m.Head, o.m.Tail, false, func(idx uint64, e []byte) bool {
			if bytes.Equal(e, pivot) {
				at, found = idx-o.m.Head, true
				return false
			}
			return true
		})
		if err != nil || !found {
			return -1, err
		}
		if !before {
			at++
		}
		if err := o.insert(at, elem); err != nil {
			return 0, err
		}
		return int64(o.m.Count), nil
	})
}

// insert puts elem at position at (0 <= at <= Count), moving the elements
// before it one slot towards the head, or those from it one slot towards
// the tail, whichever are fewer (unless that end of the slot space is
// reached).
func (o *object) insert(at uint64, elem []byte) error {
	headFree, tailFree := o.m.Head > 0, o.m.Tail < ^uint64(0)
	switch {
	case !headFree && !tailFree:
		return ErrListSlotsExhausted
	case headFree && (at <= o.m.Count-at || !tailFree):
		if err := o.moveSlots(o.m.Head, o.m.Head+at, -1); err != nil {
			return err
		}
		o.m.Head--
	default:
		if err := o.moveSlots(o.m.Head+at, o.m.Tail, 1); err != nil {
			return err
		}
		o.m.Tail++
	}
	o.setSlot(o.m.Head+at, elem)
	o.m.Count++
	return nil
}

// moveSlots rewrites each committed slot of [from, to) into slot+delta.
func (o *object) moveSlots(from, to uint64, delta int) error {
	return o.scanSlots(from, to, false, func(idx uint64, e []byte) bool {
		o.setSlot(idx+uint64(delta), bytes.Clone(e))
		return true
	})
}

// LRem implements LREM: removes the first count elements equal to elem
// from the head (count > 0), the last -count from the tail (count < 0), or
// all of them (count 0). It returns the number removed; an emptied list is
// deleted.
//
// The removed elements lie between positions first and last. Either the
// elements after first move towards the head, or those up to last move
// towards the tail: LRem rewrites the smaller of the two spans.
func (d *DB) LRem(key []byte, count int64, elem []byte) (int64, error) {
	return update(d, key, TypeList, func(o *object) (int64, error) {
		if !o.live {
			return 0, nil
		}
		fromTail := count < 0
		limit := uint64(count)
		if fromTail {
			limit = -limit // math.MinInt64 gives 2^63: more than any list
		}
		var first, last, k uint64
		err := o.scanSlots(o.m.Head, o.m.Tail, fromTail, func(idx uint64, e []byte) bool {
			if !bytes.Equal(e, elem) {
				return true
			}
			pos := idx - o.m.Head
			if k == 0 {
				first, last = pos, pos
			}
			first, last = min(first, pos), max(last, pos)
			k++
			return limit == 0 || k < limit
		})
		if err != nil || k == 0 {
			return 0, err
		}
		if k == o.m.Count {
			o.clear()
			return int64(k), nil
		}
		removed := func(idx uint64, e []byte) bool {
			pos := idx - o.m.Head
			return pos >= first && pos <= last && bytes.Equal(e, elem)
		}
		head, tail := o.m.Head, o.m.Tail
		if o.m.Count-first <= last+1 {
			// Keep the head: compact [first, Count) towards it.
			w := head + first
			err = o.scanSlots(head+first, tail, false, func(idx uint64, e []byte) bool {
				if !removed(idx, e) {
					if w != idx {
						o.setSlot(w, bytes.Clone(e))
					}
					w++
				}
				return true
			})
			o.removeSlots(w, tail)
			o.m.Tail = w
		} else {
			// Keep the tail: compact [0, last] towards it. w counts down
			// and may wrap below 0 when Head is 0; only w+1 is used then.
			w := head + last
			err = o.scanSlots(head, head+last+1, true, func(idx uint64, e []byte) bool {
				if !removed(idx, e) {
					if w != idx {
						o.setSlot(w, bytes.Clone(e))
					}
					w--
				}
				return true
			})
			o.removeSlots(head, w+1)
			o.m.Head = w + 1
		}
		if err != nil {
			return 0, err
		}
		o.m.Count -= k
		return int64(k), nil
	})
}
