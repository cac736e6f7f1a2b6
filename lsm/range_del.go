package lsm

import (
	"bytes"
	"slices"

	"github.com/strata-db/strata/internal/base"
)

// tombstone is one range deletion: it deletes every point key in
// [start, end) whose sequence number is below seq.
type tombstone struct {
	start, end []byte
	seq        base.SeqNum
}

// covers reports whether the tombstone deletes key at entrySeq.
func (t tombstone) covers(key []byte, entrySeq base.SeqNum) bool {
	return entrySeq < t.seq && bytes.Compare(t.start, key) <= 0 && bytes.Compare(key, t.end) < 0
}

// readTombstones drains a range-deletion iterator into owned tombstones.
func readTombstones(it base.InternalIterator) ([]tombstone, error) {
	if it == nil {
		return nil, nil
	}
	var out []tombstone
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		out = append(out, tombstone{
			start: append([]byte(nil), k.UserKey...),
			end:   append([]byte(nil), it.Value()...),
			seq:   k.SeqNum(),
		})
	}
	err := it.Close()
	return out, err
}

// fragments is a set of range tombstones cut into non-overlapping,
// sorted pieces; each piece keeps the largest sequence number of the
// tombstones over it. Whether a key is deleted at entrySeq only depends on
// that largest sequence number, since every tombstone considered is
// visible to the reader.
type fragments struct {
	starts, ends [][]byte
	seqs         []base.SeqNum
}

// fragment builds the fragments of the tombstones visible at readSeq.
func fragment(ts []tombstone, readSeq base.SeqNum) *fragments {
	var bounds [][]byte
	var vis []tombstone
	for _, t := range ts {
		if t.seq > readSeq || bytes.Compare(t.start, t.end) >= 0 {
			continue
		}
		vis = append(vis, t)
		bounds = append(bounds, t.start, t.end)
	}
	f := &fragments{}
	if len(vis) == 0 {
		return f
	}
	slices.SortFunc(bounds, bytes.Compare)
	bounds = slices.CompactFunc(bounds, bytes.Equal)
	slices.SortFunc(vis, func(a, b tombstone) int { return bytes.Compare(a.start, b.start) })
	// Sweep the pieces [bounds[i], bounds[i+1]) keeping the active set.
	var active []tombstone
	next := 0
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		for next < len(vis) && bytes.Compare(vis[next].start, lo) <= 0 {
			active = append(active, vis[next])
			next++
		}
		active = slices.DeleteFunc(active, func(t tombstone) bool { return bytes.Compare(t.end, lo) <= 0 })
		var maxSeq base.SeqNum
		for _, t := range active {
			maxSeq = max(maxSeq, t.seq)
		}
		if maxSeq == 0 {
			continue
		}
		// Merge with the previous piece when contiguous with the same seq.
		if n := len(f.seqs); n > 0 && f.seqs[n-1] == maxSeq && bytes.Equal(f.ends[n-1], lo) {
			f.ends[n-1] = hi
			continue
		}
		f.starts = append(f.starts, lo)
		f.ends = append(f.ends, hi)
		f.seqs = append(f.seqs, maxSeq)
	}
	return f
}

// deleted reports whether key at entrySeq is covered by a tombstone.
func (f *fragments) deleted(key []byte, entrySeq base.SeqNum) bool {
	if f == nil || len(f.starts) == 0 {
		return false
	}
	// The last piece starting at or before key.
	i, found := slices.BinarySearchFunc(f.starts, key, bytes.Compare)
	if !found {
		i--
	}
	if i < 0 || bytes.Compare(key, f.ends[i]) >= 0 {
		return false
	}
	return entrySeq < f.seqs[i]
}

// collectTombstones gathers the range tombstones of every memtable and of
// every table that may hold keys in [lower, upper) (nil = unbounded).
func (d *DB) collectTombstones(rs *readState, lower, upper []byte) ([]tombstone, error) {
	var out []tombstone
	collect := func(t *tombstone) { out = append(out, *t) }
	for _, m := range rs.memtables {
		if m.rangeDels.Load() > 0 {
			m.tombs.visit(lower, upper, collect)
		}
	}
	for _, files := range rs.version.levels {
		for _, f := range files {
			if f.numRangeDels == 0 || !f.overlapsRange(lower, upper) {
				continue
			}
			x, err := d.tableCache.tombIndex(f)
			if err != nil {
				return nil, err
			}
			x.visit(lower, upper, collect)
		}
	}
	return out, nil
}

// maxCoveringSeq returns the largest sequence number (<= readSeq) of the
// tombstones in rs that cover key, or 0. It runs on every point read, so
// it copies nothing and looks only where a covering tombstone can be: the
// memtables that hold any, the L0 tables whose bounds include key and at
// most one table per deeper level.
func (d *DB) maxCoveringSeq(rs *readState, key []byte, readSeq base.SeqNum) (base.SeqNum, error) {
	var best base.SeqNum
	note := func(t *tombstone) {
		if t.seq <= readSeq && t.seq > best {
			best = t.seq
		}
	}
	for _, m := range rs.memtables {
		if m.rangeDels.Load() > 0 {
			m.tombs.covering(key, note)
		}
	}
	consider := func(f *FileMetadata) error {
		if f.numRangeDels == 0 || !f.overlaps(key, key) {
			return nil
		}
		x, err := d.tableCache.tombIndex(f)
		x.covering(key, note)
		return err
	}
	v := rs.version
	for _, f := range v.levels[0] {
		if err := consider(f); err != nil {
			return 0, err
		}
	}
	for level := 1; level < numLevels; level++ {
		files := v.levels[level]
		if i := searchLevel(files, key); i < len(files) {
			if err := consider(files[i]); err != nil {
				return 0, err
			}
		}
	}
	return best, nil
}

// memEntrySeq returns the sequence number of the newest entry of key at or
// below seq in m (0 if none). Only used when a tombstone covers key.
func memEntrySeq(m *memTable, key []byte, seq base.SeqNum) base.SeqNum {
	return newestEntrySeq(m.NewIter(key, keyUpperBound(key)), key, seq)
}

// newestEntrySeq scans it (bounded to key) for the newest entry of key at
// or below seq, closes it and returns that entry's sequence number (0 if
// none).
func newestEntrySeq(it base.InternalIterator, key []byte, seq base.SeqNum) base.SeqNum {
	defer it.Close()
	for ok := it.SeekGE(key); ok; ok = it.Next() {
		k := it.Key()
		if !bytes.Equal(k.UserKey, key) {
			break
		}
		if k.SeqNum() <= seq {
			return k.SeqNum()
		}
	}
	return 0
}

// keyUpperBound returns the smallest key greater than key: key + 0x00.
func keyUpperBound(key []byte) []byte {
	return append(append(make([]byte, 0, len(key)+1), key...), 0)
}
