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

// copyComplexData would add to b a copy of the elements of m (in srcDB) under
// a freshly allocated uuid in dstDB and return the new metadata. COPY of a
// complex key and MOVE of one to another database need it: data keys carry
// the database number, so the elements must be rewritten. Not implemented
// until uuid allocation (persistent, never reused) and the types exist.
func copyComplexData(_ Batch, _ uint8, _ *Metadata, _ uint8) (Metadata, error) {
	return Metadata{}, ErrNotImplemented
}
