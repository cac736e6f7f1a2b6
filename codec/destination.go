package codec

// The destination of a STORE command (ZRANGESTORE, ZUNIONSTORE, ... and
// the set equivalents): its value is replaced whole, whatever type it held,
// by a new incarnation, or the key is deleted when the result is empty, as
// Redis's setKey and dbDelete do. The caller holds the locks of the
// destination and of every source, has read the sources, and commits b.

// replaceComplex adds to b the replacement of key's value by a new
// incarnation of type t with count elements, which fill writes under the
// uuid it is given (with DataKey(d.num, uuid, ...)). count 0 deletes the
// key instead (fill is not called). It reports whether b got any write.
func (d *DB) replaceComplex(b *writeBatch, key []byte, t Type, count uint64, now int64, fill func(uuid uint64)) (bool, error) {
	s, err := d.load(key, now)
	if err != nil {
		return false, err
	}
	if count == 0 {
		deleteStored(b, d.num, key, &s)
		return s.exists, nil
	}
	u, err := d.ks.newUUID()
	if err != nil {
		return false, err
	}
	fill(u)
	m := Metadata{Type: t, UUID: u, Count: count}
	if t == TypeList {
		m.Head, m.Tail = ListInitialIndex, ListInitialIndex+count
	}
	putMeta(b, d.num, key, &s, &m)
	return true, nil
}

// storeZSet replaces key by a sorted set of distinct members with their
// scores and commits b.
func (d *DB) storeZSet(b *writeBatch, key []byte, members [][]byte, scores []float64, now int64) error {
	wrote, err := d.replaceComplex(b, key, TypeZSet, uint64(len(members)), now, func(u uint64) {
		for i, m := range members {
			b.Set(DataKey(d.num, u, subElement, m), AppendScore(make([]byte, 0, ScoreLen), scores[i]))
			b.Set(DataKey(d.num, u, subScore, scoreField(scores[i], m)), nil)
		}
	})
	if err != nil || !wrote {
		return err
	}
	return b.commit()
}
