package codec

import "errors"

// EntryOverhead is what the engine stores per entry besides its key and
// value: the internal key's 8-byte trailer (sequence number and kind).
const EntryOverhead = 8

// DefaultUsageSamples is MEMORY USAGE's default number of sampled
// elements, as in Redis.
const DefaultUsageSamples = 5

// MemoryUsage estimates MEMORY USAGE for key: the bytes of the engine
// entries that hold it, each counted as key + value + EntryOverhead. That
// is its metadata record (with a string's value inline), its expiry index
// entry if it has a TTL, and for hashes, sets, lists and sorted sets their
// element entries (a sorted set has two per member: member -> score and
// the score index). Elements are sampled as Redis samples them: the first
// samples elements in key order give the average size of one, which is
// multiplied by the element count; samples <= 0 reads them all. found is
// false for a missing or expired key.
//
// The figure is the logical size, before block compression and without
// the index and filter blocks of the tables the entries end up in.
func (d *DB) MemoryUsage(key []byte, samples int) (bytes int64, found bool, err error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	mk := MetaKey(d.num, key)
	raw, err := snap.Get(mk)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	m, err := DecodeMetadata(raw)
	if err != nil {
		return 0, false, err
	}
	if m.ExpiredAt(d.ks.nowMs()) {
		return 0, false, nil
	}
	bytes = int64(len(mk) + len(raw) + EntryOverhead)
	if m.ExpireAt != 0 {
		bytes += int64(expiryPrefixLen+1+len(key)) + EntryOverhead
	}
	if !m.Type.IsComplex() || m.Count == 0 {
		return bytes, true, nil
	}
	it, _, err := subIter(snap, d.num, m.UUID, subElement)
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var sum, n int64
	for ok := it.First(); ok && (samples <= 0 || n < int64(samples)); ok = it.Next() {
		e := int64(len(it.Key()) + len(it.Value()) + EntryOverhead)
		if m.Type == TypeZSet {
			// The score index entry: prefix | score(8) | member, no value.
			e += int64(len(it.Key())+8) + EntryOverhead
		}
		sum += e
		n++
	}
	if err := it.Error(); err != nil {
		return 0, false, err
	}
	if n > 0 {
		bytes += int64(float64(sum) / float64(n) * float64(m.Count))
	}
	return bytes, true, nil
}
