package lsm

import (
	"bytes"
	"slices"
	"time"
)

// Range tombstones in a memtable reclaim nothing until a flush puts them in
// a table where compactions see them. Deleting keys writes little (one
// tombstone per key, whatever its size), so a memtable can sit for minutes
// holding tombstones over gigabytes of tables: a wave of expired keys stays
// on disk until unrelated writes fill the memtable. RocksDB offers a blunt
// fix (memtable_max_range_deletions flushes after a count); Strata weighs
// what a flush would reclaim. As range tombstones arrive in the mutable
// memtable, the commit path now and then (tombCheckMin tombstones, then
// every eighth more, and within tombCheckIdle of the last ones, however
// few) has a background goroutine add up the bytes of tables that
// delete-only compactions could drop without reading once the memtable's
// tombstones are in a table: those lying wholly inside its coalesced
// tombstone spans, and those it completes the cover of with the tombstones
// already in tables.
// When that exceeds what the flush costs (the memtable's bytes, and at
// least an eighth of a full memtable, so tiny tables are not flushed for
// tiny gains) the memtable is rotated and flushed early.

// tombCheckMin is the number of range tombstones in a memtable before the
// first check.
const tombCheckMin = 64

// tombCheckIdle is how long tombstones may wait in the mutable memtable
// unchecked: the checks that come with every eighth more tombstones miss
// the last ones of a burst (the end of a wave's expiry, which completes the
// cover of its first tables).
const tombCheckIdle = time.Second

// maybeCheckTombstonePressure starts a check of the mutable memtable's
// tombstones when enough have arrived in m since the last one. Called after
// a commit into m, when m may already be flushed: only m's own counters are
// read here, never its arena. One check runs at a time.
func (d *DB) maybeCheckTombstonePressure(m *memTable) {
	if !m.tombCheckDue() || !d.tombCheckRunning.CompareAndSwap(false, true) {
		return
	}
	d.mu.Lock()
	if d.mu.closed {
		d.mu.Unlock()
		d.tombCheckRunning.Store(false)
		return
	}
	d.bgWG.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.bgWG.Done()
		for {
			// Check the mutable memtable (m, unless it has been rotated
			// meanwhile), holding a reference: a flushed memtable's
			// arena is freed once the last reference goes.
			d.mu.Lock()
			m = d.mu.mem.mutable
			closed := d.mu.closed
			if !closed {
				m.ref()
			}
			d.mu.Unlock()
			if closed {
				d.tombCheckRunning.Store(false)
				return
			}
			if m.claimTombCheck() {
				if d.memTombstonesWorthFlushing(m) {
					d.flushForTombstones(m)
				}
				d.tombChecks.Add(1)
			}
			m.unref()
			d.tombCheckRunning.Store(false)
			// A commit may have found the check busy and left: look
			// again, so none is forgotten once writes stop.
			d.mu.Lock()
			var next *memTable
			next, closed = d.mu.mem.mutable, d.mu.closed
			d.mu.Unlock()
			if closed || !next.tombCheckDue() || !d.tombCheckRunning.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// armTombIdleCheck makes sure a check of the mutable memtable runs within
// tombCheckIdle if it then holds tombstones no check has seen. At most one
// such delayed check waits at a time.
func (d *DB) armTombIdleCheck() {
	if !d.tombIdleArmed.CompareAndSwap(false, true) {
		return
	}
	d.mu.Lock()
	if d.mu.closed {
		d.mu.Unlock()
		return // stays armed: nothing more runs
	}
	d.bgWG.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.bgWG.Done()
		t := time.NewTimer(tombCheckIdle)
		defer t.Stop()
		select {
		case <-d.closing:
			return
		case <-t.C:
		}
		d.tombIdleArmed.Store(false)
		d.mu.Lock()
		m, closed := d.mu.mem.mutable, d.mu.closed
		d.mu.Unlock()
		if closed {
			return
		}
		if m.rangeDels.Load() > m.tombChecked.Load() {
			m.tombIdle.Store(true)
			d.maybeCheckTombstonePressure(m)
		}
	}()
}

// tombCheckDue reports whether enough tombstones arrived for a check, or
// the delayed check asks for one.
func (m *memTable) tombCheckDue() bool {
	n := m.rangeDels.Load()
	return n >= max(m.tombCheckAt.Load(), tombCheckMin) || (m.tombIdle.Load() && n > m.tombChecked.Load())
}

// claimTombCheck moves the next check point past the tombstones there are
// now (an eighth more, at least tombCheckMin); false if not due or another
// caller claimed it.
func (m *memTable) claimTombCheck() bool {
	n, cur := m.rangeDels.Load(), m.tombCheckAt.Load()
	due := n >= max(cur, tombCheckMin) || (m.tombIdle.Load() && n > m.tombChecked.Load())
	if due && m.tombCheckAt.CompareAndSwap(cur, n+max(tombCheckMin, n/8)) {
		m.tombIdle.Store(false)
		m.tombChecked.Store(n)
		return true
	}
	return false
}

// memTombstonesWorthFlushing reports whether the tables that m's range
// tombstones would let delete-only compactions drop outweigh the cost of
// flushing m now: the tables they cover whole, and those they complete the
// cover of together with the tombstones already in tables (a wave of keys
// expiring in name order leaves its last tables to the last tombstones,
// which would otherwise wait in the memtable for unrelated writes).
func (d *DB) memTombstonesWorthFlushing(m *memTable) bool {
	ts := m.tombs.sorted()
	spans := coalesce(ts)
	threshold := max(uint64(m.Size()), uint64(d.opts.MemTableSize)/8)

	rs := d.loadReadState()
	defer rs.unref()
	if coveredTableBytes(rs.version, spans, threshold) >= threshold {
		return true
	}
	return d.completedTableBytes(rs.version, ts, spans, threshold) >= threshold
}

// completedTableBytes adds up the sizes of v's tables that overlap spans
// (the coalesced ts, a memtable's tombstones sorted by start) and that ts
// and the tombstones in v's tables cover together, stopping once the sum
// reaches limit. The memtable's tombstones are newer than every table.
func (d *DB) completedTableBytes(v *version, ts []tombstone, spans []span, limit uint64) uint64 {
	x := d.versionTombstones(v)
	if x == nil || len(spans) == 0 {
		return 0
	}
	both := make([]tombstone, 0, len(x.ts)+len(ts))
	a, b := x.ts, ts
	for len(a) > 0 && len(b) > 0 {
		if bytes.Compare(b[0].start, a[0].start) < 0 {
			both, b = append(both, b[0]), b[1:]
		} else {
			both, a = append(both, a[0]), a[1:]
		}
	}
	union := newTombIndex(append(append(both, a...), b...))
	var covered uint64
	seen := map[*FileMetadata]bool{}
	// count adds f if the union covers it and the tables' tombstones alone
	// do not (then a delete-only compaction takes it anyway); it reports
	// whether limit is reached.
	count := func(f *FileMetadata) bool {
		if seen[f] {
			return false
		}
		seen[f] = true
		if coveredByTombstones(f, union, nil) && !coveredByTombstones(f, x, nil) {
			covered += f.Size
		}
		return covered >= limit
	}
	for level, files := range v.levels {
		if level == 0 {
			// L0 tables overlap each other (a handful).
			for _, f := range files {
				if spansOverlap(spans, f) && count(f) {
					return covered
				}
			}
			continue
		}
		for _, sp := range spans {
			for i := searchLevel(files, sp.start); i < len(files) && bytes.Compare(files[i].Smallest.UserKey, sp.end) < 0; i++ {
				if count(files[i]) {
					return covered
				}
			}
		}
	}
	return covered
}

// coveredTableBytes adds up the sizes of v's tables lying wholly inside one
// of spans (sorted, disjoint), stopping once the sum reaches limit. Every
// table is older than a memtable's tombstones, so no sequence check is
// needed.
func coveredTableBytes(v *version, spans []span, limit uint64) uint64 {
	var covered uint64
	inside := func(f *FileMetadata, sp span) bool {
		return bytes.Compare(f.Smallest.UserKey, sp.start) >= 0 && f.endsBefore(sp.end)
	}
	for level, files := range v.levels {
		if len(files) == 0 {
			continue
		}
		if level == 0 {
			// L0 tables overlap each other; each is found by search.
			for _, f := range files {
				i, _ := slices.BinarySearchFunc(spans, f.Smallest.UserKey, func(sp span, k []byte) int {
					if bytes.Compare(sp.end, k) <= 0 {
						return -1
					}
					return 1
				})
				if i < len(spans) && inside(f, spans[i]) {
					covered += f.Size
				}
			}
		} else {
			for _, sp := range spans {
				for i := searchLevel(files, sp.start); i < len(files) && bytes.Compare(files[i].Smallest.UserKey, sp.end) < 0; i++ {
					if inside(files[i], sp) {
						covered += files[i].Size
					}
				}
			}
		}
		if covered >= limit {
			break
		}
	}
	return covered
}

// flushForTombstones rotates m, if it is still the mutable memtable, so its
// tombstones are flushed.
func (d *DB) flushForTombstones(m *memTable) {
	d.commit.mu.Lock()
	defer d.commit.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mu.closed || d.mu.bgErr != nil || d.mu.mem.mutable != m || m.Empty() {
		return
	}
	if err := d.rotateMemTableLocked(0); err != nil {
		d.setBackgroundErrorLocked(err)
		return
	}
	d.mu.flush.forTombstones++
}
