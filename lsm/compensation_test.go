package lsm

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// bottomTables fills the bottom level with n keys k00000.. of 1 KiB
// incompressible values (about 60 to a 64 KiB table).
func bottomTables(t *testing.T, d *DB, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(2, 2))
	val := make([]byte, 1024)
	for i := range n {
		for k := 0; k+8 <= len(val); k += 8 {
			binary.LittleEndian.PutUint64(val[k:], rng.Uint64())
		}
		if err := d.Set(fmt.Appendf(nil, "k%05d", i), val, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
}

// deleteEveryOther deletes every other key in [from, to), from on, each
// by its own range tombstone [k_i, k_i+1).
func deleteEveryOther(t *testing.T, d *DB, from, to int) {
	t.Helper()
	deleteRuns(t, d, from, to, 1, 2)
}

// deleteRuns deletes, in [from, to), run keys of every period, each by its
// own range tombstone [k_i, k_i+1) (adjacent: each run is one span).
func deleteRuns(t *testing.T, d *DB, from, to, run, period int) {
	t.Helper()
	for i := from; i < to; i++ {
		if (i-from)%period < run {
			if err := d.DeleteRange(fmt.Appendf(nil, "k%05d", i), fmt.Appendf(nil, "k%05d", i+1), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCoverageCountsTablesOnce: a table of per-key tombstones over half of
// the bottom level's keys, in runs of ten, credits each bottom table once,
// with about half its bytes (its index places them), not half a table per
// run of tombstones.
func TestCoverageCountsTablesOnce(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.TargetFileSize = 64 << 10
	d := openMem(t, o.FS, o)
	defer d.Close()
	bottomTables(t, d, 600)
	deleteRuns(t, d, 0, 600, 10, 20)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.vs.current
	bottom := v.sizes[numLevels-1]
	cr := d.coverageCreditsLocked(v)
	if len(v.levels[0]) != 1 || len(cr.tables) != 1 {
		t.Fatalf("want one covering table in L0, have %d (%d L0 tables)", len(cr.tables), len(v.levels[0]))
	}
	ct := cr.tables[0]
	seen := map[*FileMetadata]bool{}
	for _, p := range ct.parts {
		if seen[p.g] {
			t.Errorf("table %s counted twice", p.g)
		}
		seen[p.g] = true
		if p.bytes < p.g.Size/4 || p.bytes > p.g.Size*3/4 {
			t.Errorf("half of table %s (%d bytes) credited with %d bytes", p.g, p.g.Size, p.bytes)
		}
	}
	if got := cr.perLevel[0]; got < bottom/3 || got > bottom*2/3 {
		t.Errorf("L0 credited with %d bytes over a bottom level of %d, half of which is deleted", got, bottom)
	}
}

// TestCoverageHeldWhileDeletionsArrive: while a memtable holds tombstones
// over the tables that flushed tombstones cover in part, those get no
// credit (merging them now would rewrite what the next tombstones delete);
// once the rest is flushed, delete-only compactions take every table the
// tombstones cover whole, without reading one.
func TestCoverageHeldWhileDeletionsArrive(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.TargetFileSize = 64 << 10
	// A memtable large enough that the tombstones completing the cover
	// (600 KiB of tables) are not worth an early flush (tomb_flush.go).
	o.MemTableSize = 64 << 20
	d := openMem(t, o.FS, o)
	defer d.Close()
	bottomTables(t, d, 600)
	tables := len(d.loadVersionForTest().levels[numLevels-1])
	// The even keys, flushed while background compactions stand aside,
	// then (in the memtable) the odd ones.
	d.mu.Lock()
	d.mu.compact.manual = true
	d.mu.Unlock()
	deleteEveryOther(t, d, 0, 600)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	deleteEveryOther(t, d, 1, 600)
	d.mu.Lock()
	d.mu.compact.manual = false
	cr := d.coverageCreditsLocked(d.vs.current)
	held := len(cr.held)
	d.mu.Unlock()
	if len(cr.tables) != 0 || cr.perLevel[0] != 0 || held != 1 {
		t.Fatalf("with deletions in the memtable over the same tables: %d tables credited (L0 %d bytes), %d held; want none credited, one held",
			len(cr.tables), cr.perLevel[0], held)
	}
	before := d.Metrics().Compact
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	if m := d.Metrics(); m.Compact.Count != before.Count {
		t.Fatalf("compacted while deletions were arriving:\n%s", m)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics()
	if m.Compact.TablesDeletedWithoutRead != int64(tables) || m.Compact.BytesRead != before.BytesRead {
		t.Fatalf("%d of %d tables deleted without being read, %d bytes read:\n%s",
			m.Compact.TablesDeletedWithoutRead, tables, m.Compact.BytesRead-before.BytesRead, m)
	}
}

// loadVersionForTest returns the current version (for reading its shape).
func (d *DB) loadVersionForTest() *version {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.vs.current
}
