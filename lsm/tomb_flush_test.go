package lsm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
)

// waitFor polls cond until it holds, failing the test after a generous
// deadline: the condition is reached by a background goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// loadTables writes tables of 10 keys of 4 KiB each, one flush per table,
// keys "u<table><key>", incompressible values.
func loadTables(t *testing.T, d *DB, tables int) {
	r := rand.New(rand.NewPCG(1, 1))
	val := make([]byte, 4096)
	for tbl := range tables {
		for i := range 10 {
			for j := range val {
				val[j] = byte(r.Uint32())
			}
			if err := d.Set(fmt.Appendf(nil, "u%03d%02d", tbl, i), val, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTombstonesFlushMemTableEarly: a wave of per-key range deletions over
// many tables is flushed without waiting for the memtable to fill, so the
// covered tables are deleted with no Flush call and no other writes.
func TestTombstonesFlushMemTableEarly(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MemTableSize = 1 << 20
	d := openMem(t, o.FS, o)
	defer d.Close()
	loadTables(t, d, 40)
	for k := range 400 {
		start := fmt.Appendf(nil, "u%03d%02d", k/10, k%10)
		end := fmt.Appendf(nil, "u%03d%02d", (k+1)/10, (k+1)%10)
		if k%10 == 9 {
			end = fmt.Appendf(nil, "u%03d", k/10+1)
		}
		if err := d.DeleteRange(start, end, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "early flushes to settle", func() bool {
		m := d.Metrics()
		return m.Flush.ForTombstones > 0 && m.MemTable.Immutables == 0 && !d.tombCheckRunning.Load()
	})
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	// The last tombstones (fewer than a check needs, or covering less
	// than the threshold) may wait in the memtable; most tables are gone.
	m := d.Metrics()
	if n := m.Compact.TablesDeletedWithoutRead; n < 30 {
		t.Fatalf("only %d of 40 tables deleted without read after early flushes:\n%s", n, m)
	}
	if got := mustGet(t, d, "u01203"); got != "<nil>" {
		t.Fatalf("deleted key reads %q", got)
	}
}

// TestTombstonesCompletingCoverFlushEarly: per-key tombstones over every
// other key of 40 tables are flushed; the rest, arriving in the memtable
// with no other writes, complete the cover of every table together with
// the flushed ones (a wave expiring in name order ends so), and the
// memtable is flushed early so that delete-only compactions take them.
func TestTombstonesCompletingCoverFlushEarly(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MemTableSize = 1 << 20
	d := openMem(t, o.FS, o)
	defer d.Close()
	loadTables(t, d, 40)
	del := func(k int) {
		start := fmt.Appendf(nil, "u%03d%02d", k/10, k%10)
		end := fmt.Appendf(nil, "u%03d%02d", (k+1)/10, (k+1)%10)
		if k%10 == 9 {
			end = fmt.Appendf(nil, "u%03d", k/10+1)
		}
		if err := d.DeleteRange(start, end, nil); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 400; k += 2 {
		del(k)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if m := d.Metrics(); m.Compact.TablesDeletedWithoutRead != 0 || m.Flush.ForTombstones != 0 {
		t.Fatalf("half the tombstones dropped tables or flushed early:\n%s", m)
	}
	for k := 1; k < 400; k += 2 {
		del(k)
	}
	// Early flushes follow the checks (at every eighth more tombstones,
	// and within tombCheckIdle of the last, however few): at the end at
	// most the tombstones of three tables (less than an eighth of the
	// memtable) may wait in the memtable.
	waitFor(t, "early flushes and delete-only compactions", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.maybeScheduleCompactionLocked()
		return d.mu.flush.forTombstones > 0 && d.mu.compact.tablesDeletedWithoutRead >= 37
	})
}

// TestTombstonesIdleCheck: the last tombstones of a burst, too few for the
// next check (due at every eighth more), are checked within tombCheckIdle:
// they cover four tables (160 KiB, more than an eighth of the memtable),
// and the memtable is flushed early.
func TestTombstonesIdleCheck(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MemTableSize = 1 << 20
	d := openMem(t, o.FS, o)
	defer d.Close()
	loadTables(t, d, 40)
	// 1,000 tombstones over nothing (checked at 64, 128, ... and 1,000;
	// the next check is due at 1,125), then one for each key of tables 36
	// to 39.
	deleteOverNothing(t, d, 1000)
	waitFor(t, "the checks of the first tombstones", func() bool { return !d.tombCheckRunning.Load() && d.tombChecks.Load() > 0 })
	for k := 360; k < 400; k++ {
		start := fmt.Appendf(nil, "u%03d%02d", k/10, k%10)
		end := fmt.Appendf(nil, "u%03d%02d", (k+1)/10, (k+1)%10)
		if k%10 == 9 {
			end = fmt.Appendf(nil, "u%03d", k/10+1)
		}
		if err := d.DeleteRange(start, end, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the delayed check's early flush", func() bool {
		m := d.Metrics()
		return m.Flush.ForTombstones > 0 && m.MemTable.Immutables == 0
	})
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	if m := d.Metrics(); m.Compact.TablesDeletedWithoutRead != 4 {
		t.Fatalf("%d tables deleted without read, want 4:\n%s", m.Compact.TablesDeletedWithoutRead, m)
	}
}

// TestTombstonesOverNothingDoNotFlush: tombstones that cover no table do
// not rotate the memtable, however many there are.
func TestTombstonesOverNothingDoNotFlush(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MemTableSize = 1 << 20
	d := openMem(t, o.FS, o)
	defer d.Close()
	loadTables(t, d, 5)
	d.mu.Lock()
	m := d.mu.mem.mutable
	d.mu.Unlock()
	deleteOverNothing(t, d, 1000)
	// Checks run at 64 tombstones and every eighth more after that, as the
	// background check keeps up (on a loaded machine it may check less
	// often), and within tombCheckIdle of the last tombstone: wait until a
	// check has seen all 1000, or until the memtable was flushed for them.
	waitFor(t, "a tombstone check of all 1000", func() bool {
		return m.tombChecked.Load() >= 1000 || d.Metrics().Flush.ForTombstones > 0
	})
	if n := d.Metrics().Flush.ForTombstones; n != 0 {
		t.Fatalf("%d early flushes for tombstones that cover nothing", n)
	}
}

// TestMemTombsSorted: sorted merges the index with the unindexed tail into
// the order of starts, at every size (so with and without a tail).
func TestMemTombsSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var m memTombs
	var starts []string
	for i := range 500 {
		k := fmt.Appendf(nil, "k%06d", r.IntN(100000))
		m.add(k, append(k, 0), base.SeqNum(i+1))
		starts = append(starts, string(k))
		slices.Sort(starts)
		got := m.sorted()
		if len(got) != len(starts) {
			t.Fatalf("%d tombstones, sorted returned %d", len(starts), len(got))
		}
		for j, ts := range got {
			if string(ts.start) != starts[j] {
				t.Fatalf("after %d adds, position %d: %q, want %q", i+1, j, ts.start, starts[j])
			}
		}
		if i%7 == 0 {
			m.visit(nil, nil, func(*tombstone) {}) // reads refresh the index too
		}
	}
}

// deleteOverNothing writes n one-key range tombstones over x00000...,
// where loadTables puts no key.
func deleteOverNothing(t *testing.T, d *DB, n int) {
	t.Helper()
	for k := range n {
		if err := d.DeleteRange(fmt.Appendf(nil, "x%05d", k), fmt.Appendf(nil, "x%05d", k+1), nil); err != nil {
			t.Fatal(err)
		}
	}
}
