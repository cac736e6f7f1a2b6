package lsm

import (
	"bytes"
	"sort"
)

// Range tombstones hide data in lower levels that only a compaction pushing
// the tombstones down to it reclaims. Sizes alone never ask for that: a
// table of tombstones is small. So, as Pebble does with its compensated
// sizes, each table holding tombstones is credited with an estimate of the
// bytes they cover below it, and level scores count those bytes. A level
// whose tombstones cover much is compacted sooner, and its most-covering
// table first: the in-engine GC of the uuid ranges of deleted and expired
// keys.
//
// The estimate counts each lower table once per covering table: all of
// it when one span of adjacent tombstones holds it whole, else the bytes
// its index places inside the spans (sstable.Reader.EstimateDiskUsage).
// (Counting half a table for every span touching it made a table of
// scattered per-key tombstones, a wave of keys expiring in name order,
// count the tables below it hundreds of times over.)
//
// A table earns no credit, and is held back from compactions while its
// level has others to compact, as long as deletions are still arriving
// over a table it covers: while a table at a higher level or a memtable
// holds tombstones overlapping that table (L0 tables do not hold back each
// other: they are compacted together). A wave of expiring keys is deleted
// over seconds, a part of its tombstones in each flush, with new data.
// Pushing the first part down would rewrite the wave's tables for the
// keys the later parts delete anyway, and, the tombstones being dropped at
// the bottom, leave holes between the remaining keys that the later
// tombstones do not span, so no delete-only compaction could ever take
// the rest: at full size the server rewrote the expiring waves several
// times over (compactions read 8.8 GB for 2 GB written by clients, 4.0 GB
// without expiry, and made one delete-only compaction). Once the
// deletions there stop, the tables the tombstones cover whole are gone by
// delete-only compactions, and what they cover in part (a table that also
// holds the first keys of the next wave) is credited.

// coverage is the estimate for one version (versions are immutable): the
// tables holding tombstones over older data, each with the lower tables
// they overlap.
type coverage struct {
	tables []coveringTable
}

// coveringTable is a table f at level whose tombstones cover parts of
// older tables.
type coveringTable struct {
	f     *FileMetadata
	level int
	parts []coveredPart
}

// coveredPart is an older table g at level and the bytes of it under the
// covering table's tombstones. newer says a table at a higher level than
// the covering one has tombstones overlapping g.
type coveredPart struct {
	g     *FileMetadata
	level int
	bytes uint64
	newer bool
}

// tombTable is a table with tombstones, for versionCoverage: its level and
// its tombstones coalesced into spans.
type tombTable struct {
	f     *FileMetadata
	level int
	spans []span
}

// versionCoverage computes, once per version, the bytes of older tables
// that each table's tombstones cover.
func (d *DB) versionCoverage(v *version) *coverage {
	v.covOnce.Do(func() {
		var tts []tombTable
		for level, files := range v.levels {
			for _, f := range files {
				if f.numRangeDels == 0 {
					continue
				}
				ts, err := d.tableCache.tombstones(f)
				if err != nil || len(ts) == 0 {
					continue // readers report the error
				}
				if spans := coalesce(ts); len(spans) > 0 {
					tts = append(tts, tombTable{f: f, level: level, spans: spans})
				}
			}
		}
		cov := &coverage{}
		for i := range tts {
			t := &tts[i]
			ct := coveringTable{f: t.f, level: t.level}
			add := func(g *FileMetadata, level int) {
				n := d.coveredBytes(g, t.spans)
				if n == 0 {
					return
				}
				p := coveredPart{g: g, level: level, bytes: n}
				for j := range tts {
					if u := &tts[j]; u.level < t.level && spansOverlap(u.spans, g) {
						p.newer = true
						break
					}
				}
				ct.parts = append(ct.parts, p)
			}
			if t.level == 0 {
				// Older L0 tables (unsorted; a handful) count too.
				for _, g := range v.levels[0] {
					if g != t.f && g.LargestSeq < t.f.SmallestSeq && spansOverlap(t.spans, g) {
						add(g, 0)
					}
				}
			}
			lo, hi := t.spans[0].start, t.spans[len(t.spans)-1].end
			for lower := t.level + 1; lower < numLevels; lower++ {
				lf := v.levels[lower]
				for k := searchLevel(lf, lo); k < len(lf) && bytes.Compare(lf[k].Smallest.UserKey, hi) < 0; k++ {
					if spansOverlap(t.spans, lf[k]) {
						add(lf[k], lower)
					}
				}
			}
			if len(ct.parts) > 0 {
				cov.tables = append(cov.tables, ct)
			}
		}
		v.cov = cov
	})
	return v.cov
}

// coveredBytes estimates the bytes of g under spans (sorted, disjoint):
// all of g when one span holds it whole, else the spans' shares of it
// according to its index, at most its size. If g cannot be opened, half
// of it (its readers report the error).
func (d *DB) coveredBytes(g *FileMetadata, spans []span) uint64 {
	i := firstSpanAfter(spans, g.Smallest.UserKey)
	var n uint64
	var e *tableCacheEntry
	defer func() {
		if e != nil {
			d.tableCache.logClose(e.num, e.unref())
		}
	}()
	for ; i < len(spans) && !g.endsBefore(spans[i].start); i++ {
		sp := spans[i]
		if bytes.Compare(g.Smallest.UserKey, sp.start) >= 0 && g.endsBefore(sp.end) {
			return g.Size
		}
		if e == nil {
			var err error
			if e, err = d.tableCache.acquire(g); err != nil {
				e = nil
				return g.Size / 2
			}
		}
		n += e.reader.EstimateDiskUsage(sp.start, sp.end)
	}
	return min(n, g.Size)
}

// firstSpanAfter returns the index of the first of spans (sorted,
// disjoint) ending after key.
func firstSpanAfter(spans []span, key []byte) int {
	return sort.Search(len(spans), func(i int) bool { return bytes.Compare(spans[i].end, key) > 0 })
}

// spansOverlap reports whether one of spans (sorted, disjoint) overlaps
// g's key range.
func spansOverlap(spans []span, g *FileMetadata) bool {
	i := firstSpanAfter(spans, g.Smallest.UserKey)
	return i < len(spans) && !g.endsBefore(spans[i].start)
}

// credits is the coverage of a version that counts now: that of the
// tables holding tombstones none of whose parts newer tombstones overlap,
// in the version or in a memtable.
type credits struct {
	tables []coveringTable // the credited tables
	// perFile is each covering table's credited bytes; perLevel their sum
	// per level, without the partial tables'.
	perFile  map[*FileMetadata]uint64
	perLevel [numLevels]uint64
	// held marks the tables with a part held back: deletions are still
	// arriving over data they cover.
	held map[*FileMetadata]bool
	// partial marks the tables of levels 1 and below whose credited bytes
	// are less than half of what merging them into the next level reads
	// there: their merge would mostly rewrite live data (and their
	// tombstones, left in place, may complete with the next ones the cover
	// of whole tables). Their credit does not raise their level's score,
	// and round-robin passes them over while the level has other tables.
	partial map[*FileMetadata]bool
}

// prepareVersion computes what picking compactions reads of v, its index
// of tombstones and its coverage, before v is installed and without d.mu:
// every commit takes d.mu, and with a wave of expiring keys' tombstones in
// the tables these take milliseconds.
func (d *DB) prepareVersion(v *version) {
	d.versionTombstones(v)
	d.versionCoverage(v)
}

// coverageCreditsLocked returns the credits of v. Requires d.mu (the
// memtable queue).
func (d *DB) coverageCreditsLocked(v *version) *credits {
	cr := &credits{}
	cov := d.versionCoverage(v)
	if len(cov.tables) == 0 {
		return cr
	}
	// Each memtable's tombstones by their bounds: cheap, and coarse only
	// while a memtable holds deletions far apart.
	var mem []span
	for _, m := range d.mu.mem.queue {
		if m.rangeDels.Load() > 0 {
			if lo, hi := m.tombs.bounds(); lo != nil {
				mem = append(mem, span{lo, hi})
			}
		}
	}
	cr.perFile = make(map[*FileMetadata]uint64, len(cov.tables))
	cr.held = map[*FileMetadata]bool{}
	cr.partial = map[*FileMetadata]bool{}
	for _, ct := range cov.tables {
		var n uint64
		for _, p := range ct.parts {
			if p.newer || memOverlaps(mem, p.g) {
				// Compacting the table would rewrite that part too.
				cr.held[ct.f] = true
				break
			}
			n += p.bytes
		}
		if cr.held[ct.f] {
			continue
		}
		cr.tables = append(cr.tables, ct)
		cr.perFile[ct.f] = n
		if ct.level > 0 && ct.level < numLevels-1 && 2*n < overlapBytes(v.levels[ct.level+1], ct.f.Smallest.UserKey, ct.f.Largest.UserKey) {
			cr.partial[ct.f] = true
			continue
		}
		cr.perLevel[ct.level] += n
	}
	return cr
}

// memOverlaps reports whether one of the memtables' tombstone bounds
// overlaps g.
func memOverlaps(mem []span, g *FileMetadata) bool {
	for _, sp := range mem {
		if g.overlapsRange(sp.start, sp.end) {
			return true
		}
	}
	return false
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
