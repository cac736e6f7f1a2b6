package codec

// Hooks for the complex types (hash, list, set, zset). Strings live entirely
// in their metadata; a complex key's elements live in its data range
// [d|db|uuid, d|db|uuid+1). The functions below are the places the
// type-specific code plugs into the keyspace operations; each states what is
// done already and what is left.

// dropComplexData adds to b the deletion of every element of the key
// incarnation m: one range deletion over its uuid range, so DEL of a huge key
// is O(1). Complete: the layout puts all of an incarnation's data in that
// range, whatever the type.
func dropComplexData(b Batch, db uint8, m *Metadata) {
	r := DataRange(db, m.UUID)
	b.DeleteRange(r.Start, r.End)
}

// copyComplexData adds to b a copy of every element of the incarnation m
// (in database srcDB) under a fresh uuid in database dstDB, and returns the
// copy's metadata. COPY and MOVE use it: data keys carry the database
// number, so the elements are rewritten (O(elements), as COPY is in Redis).
// The caller holds the key's lock, so the latest state is read.
func (ks *Keyspace) copyComplexData(b Batch, srcDB uint8, m *Metadata, dstDB uint8) (Metadata, error) {
	u, err := ks.newUUID()
	if err != nil {
		return Metadata{}, err
	}
	r := DataRange(srcDB, m.UUID)
	it, err := ks.store.NewIter(r.Start, r.End)
	if err != nil {
		return Metadata{}, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := DataKey(dstDB, u, 0, nil)
		k = append(k[:dataPrefixLen], it.Key()[dataPrefixLen:]...)
		b.Set(k, append([]byte(nil), it.Value()...))
	}
	if err := it.Error(); err != nil {
		return Metadata{}, err
	}
	c := *m
	c.UUID = u
	return c, nil
}
