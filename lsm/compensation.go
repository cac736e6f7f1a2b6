package lsm

import "bytes"

// Range tombstones hide data in lower levels that only a compaction pushing
// the tombstones down to it reclaims. Sizes alone never ask for that: a
// table of tombstones is small. So, as Pebble does with its compensated
// sizes, each table holding tombstones is credited with an estimate of the
// bytes they cover below it, and level scores count those bytes. A level
// whose tombstones cover much is compacted sooner, and its most-covering
// table first: the in-engine GC of the uuid ranges of deleted and expired
// keys.

// coverage is the estimate for one version (versions are immutable).
type coverage struct {
	perFile  map[*FileMetadata]uint64
	perLevel [numLevels]uint64
}

// versionCoverage computes, once per version, the bytes of lower-level
// tables that each table's tombstones cover: whole tables inside a span of
// adjacent or overlapping tombstones count fully, tables straddling a
// span's edge half.
func (d *DB) versionCoverage(v *version) *coverage {
	v.covOnce.Do(func() {
		cov := &coverage{perFile: map[*FileMetadata]uint64{}}
		for level, files := range v.levels {
			for _, f := range files {
				if f.numRangeDels == 0 {
					continue
				}
				ts, err := d.tableCache.tombstones(f)
				if err != nil || len(ts) == 0 {
					continue // readers report the error
				}
				var covered uint64
				for _, sp := range coalesce(ts) {
					if level == 0 {
						// Older L0 tables (unsorted; a handful) count too.
						for _, g := range files {
							if g != f && g.LargestSeq < f.SmallestSeq && g.overlapsRange(sp.start, sp.end) {
								covered += g.Size / 2
							}
						}
					}
					for lower := level + 1; lower < numLevels; lower++ {
						lf := v.levels[lower]
						for i := searchLevel(lf, sp.start); i < len(lf) && bytes.Compare(lf[i].Smallest.UserKey, sp.end) < 0; i++ {
							g := lf[i]
							if bytes.Compare(g.Smallest.UserKey, sp.start) >= 0 && g.endsBefore(sp.end) {
								covered += g.Size
							} else {
								covered += g.Size / 2
							}
						}
					}
				}
				if covered > 0 {
					cov.perFile[f] = covered
					cov.perLevel[level] += covered
				}
			}
		}
		v.cov = cov
	})
	return v.cov
}

// span is a key range [start, end).
type span struct{ start, end []byte }

// coalesce merges tombstones sorted by start (as tableCache.tombstones
// returns them) into maximal spans of overlapping or adjacent ones (each
// deleted key's uuid range ends where the next one starts).
func coalesce(ts []tombstone) []span {
	var out []span
	for _, t := range ts {
		if bytes.Compare(t.start, t.end) >= 0 {
			continue
		}
		if n := len(out); n > 0 && bytes.Compare(t.start, out[n-1].end) <= 0 {
			if bytes.Compare(t.end, out[n-1].end) > 0 {
				out[n-1].end = t.end
			}
			continue
		}
		out = append(out, span{t.start, t.end})
	}
	return out
}
