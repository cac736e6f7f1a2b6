package codec

// ZPOPMIN, ZPOPMAX and ZMPOP, and the functions the blocking commands
// (BZPOPMIN, BZPOPMAX, BZMPOP) call when a client is woken:
//
//	members, scores, err := db.ZPop(key, max, count)
//	key, members, scores, err := db.ZMPop(keys, max, count)
//
// Both take the keys' locks, pop in one batch and delete a key they empty.
// Nothing to pop (missing keys, count <= 0) is a nil result, not an error;
// a key of another type is ErrWrongType.

// ZPop implements ZPOPMIN (max false) and ZPOPMAX: it removes up to count
// members from the low (high) end of key and returns them in the order
// popped, with their scores. The type is checked even when count <= 0.
func (d *DB) ZPop(key []byte, max bool, count int) (members [][]byte, scores []float64, err error) {
	_, err = update(d, key, TypeZSet, func(o *object) (struct{}, error) {
		members, scores, err = popFrom(o, max, count)
		return struct{}{}, err
	})
	return members, scores, err
}

// ZMPop implements ZMPOP: it pops up to count members from the first of
// keys that exists, as ZPop does, and returns that key (nil when none
// exists). As in Redis, keys are examined in order and a key of another
// type is ErrWrongType only if no sorted set precedes it.
func (d *DB) ZMPop(keys [][]byte, max bool, count int) (key []byte, members [][]byte, scores []float64, err error) {
	unlock := d.lockKeys(keys...)
	defer unlock()
	now := d.ks.nowMs()
	b := d.ks.newBatch()
	for _, k := range keys {
		o, err := d.openObject(b, k, TypeZSet, now)
		if err != nil {
			return nil, nil, nil, err
		}
		if !o.live {
			continue
		}
		if members, scores, err = popFrom(o, max, count); err != nil {
			return nil, nil, nil, err
		}
		o.finish()
		if o.dirty {
			err = b.commit()
		}
		return k, members, scores, err
	}
	return nil, nil, nil, nil
}

// popFrom removes up to count members from one end of o.
func popFrom(o *object, max bool, count int) ([][]byte, []float64, error) {
	if !o.live || count <= 0 {
		return nil, nil, nil
	}
	spec := ZRangeSpec{By: ZByRank, Start: 0, Stop: int64(count) - 1, Rev: max}
	members, scores, err := collect(o, &spec)
	if err != nil {
		return nil, nil, err
	}
	w := newZWriter(o, len(members))
	for i, m := range members {
		w.remove(m, scores[i])
	}
	return members, scores, nil
}
