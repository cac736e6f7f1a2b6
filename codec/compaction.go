package codec

import "bytes"

// CompactionDrop is the codec's half of the engine's compaction filter: it
// reports whether the point key/value being written by a compaction may be
// dropped at nowMs. Only metadata of strings that expired at or before nowMs
// qualify: such a key is already invisible (lazy expiry), and a string has
// no data to orphan. Metadata of an expired complex key is kept so that the
// expiry cycle deletes it together with its data range; its index entry, if
// any, is left for the cycle too (a missing record just makes it stale).
// Undecodable values are kept: corruption is reported by reads, never
// silently dropped.
func CompactionDrop(key, value []byte, nowMs int64) bool {
	at, ok := stringExpiry(key, value)
	return ok && at <= nowMs
}

// CompactionDropFunc is CompactionDrop reading the time from now, and only
// for the records that have an expiry: a compaction rewrites millions of
// entries, and a clock reading costs more than the rest of the check.
func CompactionDropFunc(now func() int64) func(key, value []byte) bool {
	return func(key, value []byte) bool {
		at, ok := stringExpiry(key, value)
		return ok && at <= now()
	}
}

// stringExpiry returns the expire-at of a string's metadata record; ok is
// false for other records, undecodable ones and strings without expiry.
func stringExpiry(key, value []byte) (at int64, ok bool) {
	if len(key) < metaPrefixLen || key[0] != FamilyMeta || len(value) < metaHeaderLen || Type(value[0]) != TypeString {
		return 0, false
	}
	m, err := DecodeMetadata(value)
	if err != nil || m.ExpireAt == 0 {
		return 0, false
	}
	return m.ExpireAt, true
}

// CompactionScope is the engine's lsm.Options.CompactionFilterScope for
// CompactionDrop: it reports whether the user keys [smallest, largest]
// may hold metadata, the only family CompactionDrop ever drops. Tables of
// element data and of the expiry index are out of scope, so they move
// into the bottom level without being rewritten.
func CompactionScope(smallest, largest []byte) bool {
	return bytes.Compare(smallest, []byte{FamilyMeta + 1}) < 0 && bytes.Compare(largest, []byte{FamilyMeta}) >= 0
}

// SplitTables is the engine's lsm.Options.SplitOutput for Strata's
// keyspace: a table never holds keys of two families. Element data is
// appended at ever larger uuids and deleted by whole uuid ranges, while
// metadata and the expiry index change everywhere: kept apart, tables of
// new data move down the levels without rewrites and tables of dead data
// are dropped whole by delete-only compactions.
func SplitTables(prev, key []byte) bool {
	return len(prev) == 0 || len(key) == 0 || prev[0] != key[0]
}
