package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
)

// quietOptions keep background compactions from running by themselves, so
// a test decides which compactions happen.
func quietOptions(fs vfs.FS) *Options {
	return &Options{FS: fs, MemTableSize: 64 << 10, L0CompactionThreshold: 1000,
		L0SlowdownWritesThreshold: 1000, L0StopWritesThreshold: 1000}
}

// TestCompactionFilterNoResurrection: a key's old version sits in L6; its
// new version is dropped by the filter while being compacted into L1. The
// key must stay deleted after that and after every later compaction.
func TestCompactionFilterNoResurrection(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	var dropped atomic.Int64
	o.CompactionFilter = func(key, value []byte) bool {
		if bytes.HasPrefix(value, []byte("expired")) {
			dropped.Add(1)
			return true
		}
		return false
	}
	d := openMem(t, o.FS, o)
	defer d.Close()
	k := []byte("k")
	d.Set(k, []byte("old"), nil)
	d.Set([]byte("other"), []byte("x"), nil)
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := d.Metrics().Levels[6].NumFiles; n != 1 {
		t.Fatalf("want the old version in L6, have:\n%s", d.Metrics())
	}
	d.Set(k, []byte("expired-new"), nil)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		if v, err := d.Get(k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: key resurfaced: %q %v\n%s", step, v, err, d.Metrics())
		}
		it, _ := d.NewIter(nil)
		for ok := it.First(); ok; ok = it.Next() {
			if bytes.Equal(it.Key(), k) {
				t.Fatalf("%s: iterator shows the key", step)
			}
		}
		it.Close()
	}
	// Compact one level at a time, checking after each step.
	d.mu.Lock()
	d.mu.compact.manual = true
	d.mu.Unlock()
	for level := 0; level < numLevels-1; level++ {
		d.mu.Lock()
		err := d.compactLevelLocked(level, nil, nil)
		d.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if level == 0 {
			// The filter saw the new version at L1, above the old one.
			if dropped.Load() == 0 {
				t.Fatalf("the filter never dropped the new version")
			}
			if d.Metrics().Levels[1].NumFiles == 0 {
				t.Fatalf("the filter's tombstone did not stay in L1:\n%s", d.Metrics())
			}
		}
		check(fmt.Sprintf("after compacting L%d", level))
	}
	d.mu.Lock()
	d.mu.compact.manual = false
	d.mu.Unlock()
	// At the bottom both the tombstone and the old version are gone.
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	check("after a full compaction")
	if got := mustGet(t, d, "other"); got != "x" {
		t.Fatalf("unrelated key: %q", got)
	}
}

// countingOpens counts opens of table files through errorfs.
type countingOpens struct{ tables atomic.Int64 }

func (c *countingOpens) MaybeError(op errorfs.Op, path string) error {
	if op == errorfs.OpOpen && strings.HasSuffix(path, ".sst") {
		c.tables.Add(1)
	}
	return nil
}

// TestDeleteOnlyCompaction: a range tombstone over 100 tables removes them
// without reading any of them.
func TestDeleteOnlyCompaction(t *testing.T) {
	counter := &countingOpens{}
	fs := errorfs.Wrap(vfs.NewMem(), counter)
	d := openMem(t, fs, quietOptions(fs))
	defer d.Close()
	for tbl := 0; tbl < 100; tbl++ {
		for i := 0; i < 10; i++ {
			d.Set(fmt.Appendf(nil, "t%03d/%02d", tbl, i), []byte("value"), nil)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	d.Set([]byte("z-live"), []byte("kept"), nil)
	if n := d.Metrics().Levels[0].NumFiles; n != 100 {
		t.Fatalf("want 100 tables, have %d", n)
	}
	// Fresh reopen: no table is open in the table cache.
	d.Close()
	d = openMem(t, fs, quietOptions(fs))
	opensBefore := counter.tables.Load()
	if err := d.DeleteRange([]byte("t"), []byte("u"), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics()
	if m.Compact.TablesDeletedWithoutRead != 100 || m.Compact.DeleteOnly == 0 {
		t.Fatalf("delete-only compaction removed %d tables:\n%s", m.Compact.TablesDeletedWithoutRead, m)
	}
	// Only the table holding the tombstone was opened (to read it).
	if opened := counter.tables.Load() - opensBefore; opened > 1 {
		t.Fatalf("%d tables were opened; the covered ones must not be read", opened)
	}
	if m.Levels[0].NumFiles > 2 {
		t.Fatalf("covered tables remain:\n%s", m)
	}
	if got := mustGet(t, d, "t050/05"); got != "<nil>" {
		t.Fatalf("deleted key reads %q", got)
	}
	if got := mustGet(t, d, "z-live"); got != "kept" {
		t.Fatalf("live key reads %q", got)
	}
}

// TestRangeDeleteAcrossLevelsWithSnapshot: a tombstone spanning tables in
// several levels hides their keys now, a snapshot taken before it still
// sees them through compactions, and once the snapshot is gone a full
// compaction drops both the keys and the tombstone.
func TestRangeDeleteAcrossLevelsWithSnapshot(t *testing.T) {
	d := openMem(t, vfs.NewMem(), quietOptions(nil))
	defer d.Close()
	put := func(from, to int) {
		for i := from; i < to; i++ {
			d.Set(fmt.Appendf(nil, "key%03d", i), fmt.Appendf(nil, "v%d", i), nil)
		}
		d.Flush()
	}
	put(0, 100)
	d.Compact(nil, nil) // to L6
	put(100, 200)
	compactLevelForTest(t, d, 0) // to L1
	put(200, 300)                // stays in L0
	snap := d.NewSnapshot()
	if err := d.DeleteRange([]byte("key050"), []byte("key250"), nil); err != nil {
		t.Fatal(err)
	}
	count := func(get func([]byte) ([]byte, error)) int {
		n := 0
		for i := 0; i < 300; i++ {
			if _, err := get(fmt.Appendf(nil, "key%03d", i)); err == nil {
				n++
			}
		}
		return n
	}
	for round := 0; round < 2; round++ {
		if n := count(d.Get); n != 100 {
			t.Fatalf("round %d: %d keys visible, want 100", round, n)
		}
		if n := count(snap.Get); n != 300 {
			t.Fatalf("round %d: snapshot sees %d keys, want 300", round, n)
		}
		if err := d.Compact(nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	snap.Close()
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(d.Get); n != 100 {
		t.Fatalf("%d keys visible after the snapshot closed, want 100", n)
	}
	v := d.loadReadState()
	defer v.unref()
	for level, files := range v.version.levels {
		for _, f := range files {
			if f.numRangeDels != 0 {
				t.Fatalf("L%d table %s still holds %d range tombstones at the bottom", level, f.FileNum, f.numRangeDels)
			}
			if level != numLevels-1 {
				t.Fatalf("table %s left in L%d after a full compaction", f.FileNum, level)
			}
		}
	}
}

// TestCrashDuringCompaction crashes before file operations of compactions:
// every synced write survives and the DB reopens.
func TestCrashDuringCompaction(t *testing.T) {
	const pad = 100
	mem := vfs.NewMem()
	o := &Options{FS: mem, WALMode: WALSyncAlways, MemTableSize: 64 << 10, L0CompactionThreshold: 2,
		LBaseMaxBytes: 32 << 10, TargetFileSize: 16 << 10, LevelMultiplier: 2}
	d := openMem(t, mem, o)
	acked := writeFaultBatches(t, d, "a", 400, pad, Sync)
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	hook := &crashHook{mem: mem, every: 3}
	hook.armed.Store(true)
	// Route the DB's operations through the hook from now on by reopening.
	d.Close()
	o2 := *o
	o2.FS = errorfs.Wrap(mem, hook)
	d = openMem(t, o2.FS, &o2)
	for bid := range writeFaultBatches(t, d, "b", 200, pad, Sync) {
		acked[bid] = true
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	hook.armed.Store(false)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if len(hook.clones) < 20 {
		t.Fatalf("only %d crash points", len(hook.clones))
	}
	attempted := func(bid string) bool { return acked[bid] || strings.HasPrefix(bid, "b") }
	for i, c := range hook.clones {
		// Batches of the second phase acknowledged before the crash point
		// must be there; those after may be missing. Require the first
		// phase fully and everything of the second that made it in order.
		st := checkCrashClone(t, c, *o, pad, attempted, firstPhase(acked), "crash "+hook.ops[i])
		requirePerWriterPrefix(t, st)
	}
}

func firstPhase(acked map[string]bool) map[string]bool {
	out := map[string]bool{}
	for bid := range acked {
		if strings.HasPrefix(bid, "a") {
			out[bid] = true
		}
	}
	return out
}

// TestCompactionIOErrors fails the i-th file operation of a compaction for
// i = 0, 1, 2, ...: the error surfaces (the DB turns read-only), nothing
// acknowledged is lost, no file a version needs is deleted, and the DB
// reopens on the intact filesystem.
func TestCompactionIOErrors(t *testing.T) {
	const pad = 100
	for i := 0; ; i++ {
		mem := vfs.NewMem()
		inj := errorfs.OnIndex(-1)
		var armed atomic.Bool
		fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
			if armed.Load() {
				return inj.MaybeError(op, path)
			}
			return nil
		}))
		o := &Options{FS: fs, WALMode: WALSyncAlways, MemTableSize: 64 << 10, L0CompactionThreshold: 1000,
			L0SlowdownWritesThreshold: 1000, L0StopWritesThreshold: 1000}
		d := openMem(t, fs, o)
		acked := writeFaultBatches(t, d, "a", 300, pad, Sync)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		inj = errorfs.OnIndex(i)
		armed.Store(true)
		err := d.Compact(nil, nil)
		armed.Store(false)
		injected := inj.Injected() != nil
		if injected {
			if err == nil {
				// Failures the engine may tolerate: deleting obsolete files.
				if op := inj.Injected().Op; op != errorfs.OpRemove && op != errorfs.OpList && op != errorfs.OpClose {
					t.Fatalf("i=%d: injected %v but Compact succeeded", i, inj.Injected())
				}
			} else if werr := d.Set([]byte("x"), []byte("y"), nil); !errors.Is(werr, ErrReadOnly) {
				t.Fatalf("i=%d: after a failed compaction a write returned %v", i, werr)
			}
			// Reads keep working.
			t.Logf("i=%d injected %v, compact: %v", i, inj.Injected(), err)
			st := readFaultState(t, d, pad, func(bid string) bool { return acked[bid] })
			requireBatches(t, st, acked, fmt.Sprintf("i=%d reads after the error", i))
		} else if err != nil {
			t.Fatalf("i=%d: compact failed without an injection: %v", i, err)
		}
		d.Close()
		// Reopen on the intact filesystem: everything acknowledged is there.
		d2 := openMem(t, mem, &Options{WALMode: WALSyncAlways, MemTableSize: 64 << 10})
		st := readFaultState(t, d2, pad, func(bid string) bool { return acked[bid] })
		requireBatches(t, st, acked, fmt.Sprintf("i=%d after reopen", i))
		d2.Close()
		if !injected {
			if i < 5 {
				t.Fatalf("compaction finished after only %d file operations", i)
			}
			return
		}
	}
}

// TestFailedCompactionCachesNothing fails the i-th file operation of one
// compaction of two L0 tables, i = 0, 1, 2, ..., with CacheCompactedBlocks
// and room in the cache for the whole output, which nothing reads: a
// compaction that fails before its version edit (writing or reading a
// table, syncing the directory) leaves none of its tables' blocks in the
// cache; one that fails writing the MANIFEST keeps its finished tables
// (a MANIFEST write may be durable and name them), and one that succeeds
// leaves their blocks cached.
func TestFailedCompactionCachesNothing(t *testing.T) {
	for i := 0; ; i++ {
		mem := vfs.NewMem()
		inj := errorfs.OnIndex(-1)
		var armed atomic.Bool
		fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
			if armed.Load() {
				return inj.MaybeError(op, path)
			}
			return nil
		}))
		o := quietOptions(fs)
		o.CacheCompactedBlocks = true
		d := openMem(t, fs, o)
		for round := range 2 {
			for k := range 300 {
				if err := d.Set(fmt.Appendf(nil, "k%04d", k), fmt.Appendf(nil, "%d-%0100d", round, k), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if m := d.Metrics(); m.Levels[0].NumFiles != 2 || m.BlockCache.Count != 0 {
			t.Fatalf("before the compaction: %d L0 tables, %s", m.Levels[0].NumFiles, m.BlockCache)
		}
		inj = errorfs.OnIndex(i)
		armed.Store(true)
		d.mu.Lock()
		d.mu.compact.manual = true
		err := d.compactLevelLocked(0, nil, nil)
		d.mu.compact.manual = false
		d.mu.Unlock()
		armed.Store(false)
		cached := d.Metrics().BlockCache.Count
		injected := inj.Injected()
		switch {
		case injected == nil:
			if err != nil || cached == 0 {
				t.Fatalf("i=%d: the compaction returned %v and cached %d blocks", i, err, cached)
			}
			d.Close()
			if i < 5 {
				t.Fatalf("compaction finished after only %d file operations", i)
			}
			return
		case err != nil && !strings.Contains(injected.Path, "MANIFEST") && cached != 0:
			t.Fatalf("i=%d: %d blocks cached after a compaction that failed (%v)", i, cached, injected)
		}
		d.Close()
	}
}

// TestDeleteOnlyByAdjacentTombstones: tables covered only by a chain of
// adjacent tombstones (the uuid ranges of keys that expired together) are
// deleted without being read; a gap in the chain keeps its table.
func TestDeleteOnlyByAdjacentTombstones(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	d := openMem(t, o.FS, o)
	defer d.Close()
	for tbl := 0; tbl < 10; tbl++ {
		for i := 0; i < 10; i++ {
			d.Set(fmt.Appendf(nil, "u%03d%02d", tbl, i), []byte("value"), nil)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// One tombstone per key, [u00000, u00001), [u00001, u00002), ...,
	// except for a hole at table 7's key 3.
	for tbl := 0; tbl < 10; tbl++ {
		for i := 0; i < 10; i++ {
			if tbl == 7 && i == 3 {
				continue
			}
			k := tbl*100 + i
			if err := d.DeleteRange(fmt.Appendf(nil, "u%05d", k), fmt.Appendf(nil, "u%05d", k+1), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics()
	if m.Compact.TablesDeletedWithoutRead != 9 {
		t.Fatalf("delete-only compaction removed %d tables, want 9:\n%s", m.Compact.TablesDeletedWithoutRead, m)
	}
	if got := mustGet(t, d, "u00703"); got != "value" {
		t.Fatalf("the key in the gap reads %q", got)
	}
	if got := mustGet(t, d, "u00704"); got != "<nil>" {
		t.Fatalf("deleted key reads %q", got)
	}
}

// TestTombstonesTriggerCompaction: range tombstones covering half of the
// data in the bottom level (every other key's range, so no table is wholly
// covered) make their level score high enough to be compacted down without
// any other pressure, and the covered entries are reclaimed.
func TestTombstonesTriggerCompaction(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.LBaseMaxBytes = 256 << 10
	o.TargetFileSize = 64 << 10
	d := openMem(t, o.FS, o)
	defer d.Close()
	val := bytes.Repeat([]byte("v"), 200)
	const n = 4000
	for i := range n {
		d.Set(fmt.Appendf(nil, "k%05d", i), val, nil)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 2 {
		d.DeleteRange(fmt.Appendf(nil, "k%05d", i), fmt.Appendf(nil, "k%05d", i+1), nil)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.waitIdle(); err != nil {
		t.Fatal(err)
	}
	entries := 0
	d.ScanInternal(nil, nil, func(k []byte, seq uint64, kind EntryKind, v []byte) error {
		entries++
		return nil
	})
	if entries != n/2 {
		t.Fatalf("%d entries remain, want the %d live ones:\n%s", entries, n/2, d.Metrics())
	}
	if got := mustGet(t, d, "k00011"); got != string(val) {
		t.Fatalf("live key lost")
	}
}

// TestManualBottomRewriteKeepsLevelSorted: the bottom level's first and
// last tables hold range tombstones (a snapshot kept them), the tables
// between them do not. Compact rewrites only the tables with tombstones;
// its outputs must not span the untouched tables between them (they did
// when both were one compaction, and the level overlapped).
func TestManualBottomRewriteKeepsLevelSorted(t *testing.T) {
	o := quietOptions(nil)
	o.TargetFileSize = 4 << 10
	d := openMem(t, vfs.NewMem(), o)
	defer d.Close()
	val := make([]byte, 100)
	for i := 0; i < 300; i++ {
		d.Set(fmt.Appendf(nil, "key%03d", i), val, nil)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	snap := d.NewSnapshot()
	for _, r := range [][2]string{{"key010", "key012"}, {"key280", "key282"}} {
		if err := d.DeleteRange([]byte(r[0]), []byte(r[1]), nil); err != nil {
			t.Fatal(err)
		}
		if err := d.Compact([]byte(r[0]), []byte(r[1])); err != nil {
			t.Fatal(err)
		}
	}
	withDels := func() (n, total int) {
		v := d.loadReadState()
		defer v.unref()
		for level, files := range v.version.levels {
			for _, f := range files {
				if level != numLevels-1 {
					t.Fatalf("table %s left in L%d", f.FileNum, level)
				}
				total++
				if f.numRangeDels > 0 {
					n++
				}
			}
		}
		return n, total
	}
	if n, total := withDels(); n != 2 || total < 4 {
		t.Fatalf("setup: %d of %d bottom tables hold range tombstones, want 2 of at least 4:\n%s", n, total, d.Metrics())
	}
	snap.Close()
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := withDels(); n != 0 {
		t.Fatalf("%d bottom tables still hold range tombstones", n)
	}
	for i := 0; i < 300; i++ {
		_, err := d.Get(fmt.Appendf(nil, "key%03d", i))
		if deleted := (i >= 10 && i < 12) || (i >= 280 && i < 282); deleted != errors.Is(err, ErrNotFound) {
			t.Fatalf("key%03d: err %v, deleted %v", i, err, deleted)
		}
	}
}

// TestTombstonesOverNothingElided: a compaction that is not at the
// bottommost level drops the tombstones that no table below covers, and
// keeps the one over data below.
func TestTombstonesOverNothingElided(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	d := openMem(t, o.FS, o)
	defer d.Close()
	for i := range 100 {
		d.Set(fmt.Appendf(nil, "a%03d", i), []byte("below"), nil)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	d.Set([]byte("a050"), []byte("new"), nil)
	d.DeleteRange([]byte("a010"), []byte("a020"), nil) // over data below
	d.DeleteRange([]byte("z1"), []byte("z2"), nil)     // over nothing
	d.DeleteRange([]byte("z3"), []byte("z4"), nil)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	compactLevelForTest(t, d, 0) // into L1: not the bottommost
	rs := d.loadReadState()
	defer rs.unref()
	var kept []string
	for _, f := range rs.version.levels[1] {
		ts, err := d.tableCache.tombstones(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, t := range ts {
			kept = append(kept, fmt.Sprintf("[%s, %s)", t.start, t.end))
		}
	}
	if len(kept) != 1 || kept[0] != "[a010, a020)" {
		t.Fatalf("L1 keeps tombstones %v, want only [a010, a020)", kept)
	}
	if got := mustGet(t, d, "a015"); got != "<nil>" {
		t.Fatalf("a015 reads %q", got)
	}
	if got := mustGet(t, d, "a050"); got != "new" {
		t.Fatalf("a050 reads %q", got)
	}
}

// TestFilterScopeAllowsMoves: with a compaction filter, a table into the
// bottommost level moves without a rewrite when the filter's scope leaves
// it out, and is rewritten (so the filter sees its keys) when not.
func TestFilterScopeAllowsMoves(t *testing.T) {
	for _, scoped := range []bool{false, true} {
		o := &Options{FS: vfs.NewMem(), MemTableSize: 64 << 10, L0CompactionThreshold: 1,
			CompactionFilter: func(key, value []byte) bool {
				return bytes.HasPrefix(key, []byte("m")) && bytes.Equal(value, []byte("expired"))
			}}
		if scoped {
			o.CompactionFilterScope = func(smallest, largest []byte) bool {
				return bytes.Compare(smallest, []byte("n")) < 0 && bytes.Compare(largest, []byte("m")) >= 0
			}
		}
		d := openMem(t, o.FS, o)
		for i := range 100 {
			d.Set(fmt.Appendf(nil, "d%03d", i), []byte("data"), nil)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := d.waitIdle(); err != nil {
			t.Fatal(err)
		}
		moves := d.Metrics().Compact.Moves
		d.Set([]byte("m1"), []byte("expired"), nil)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := d.waitIdle(); err != nil {
			t.Fatal(err)
		}
		m := d.Metrics()
		if want := map[bool]int64{false: 0, true: 1}[scoped]; moves != want || m.Compact.Moves != want {
			t.Errorf("scoped %v: %d moves for the data table, %d after the metadata one; want %d", scoped, moves, m.Compact.Moves, want)
		}
		if got := mustGet(t, d, "m1"); got != "<nil>" || m.Compact.FilterDropped != 1 {
			t.Errorf("scoped %v: the filter dropped %d keys, m1 reads %q", scoped, m.Compact.FilterDropped, got)
		}
		d.Close()
	}
}

// compactLevelForTest compacts one level into the next, as a manual
// compaction does, with background compactions held off meanwhile.
func compactLevelForTest(t *testing.T, d *DB, level int) {
	t.Helper()
	d.mu.Lock()
	d.mu.compact.manual = true
	err := d.compactLevelLocked(level, nil, nil)
	d.mu.compact.manual = false
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompactionDoesNotFillCache: a compaction reads its inputs' blocks
// without inserting them into the block cache (sstable
// NewCompactionIter), and uses the blocks the cache already holds.
func TestCompactionDoesNotFillCache(t *testing.T) {
	d := openMem(t, vfs.NewMem(), quietOptions(nil))
	defer d.Close()
	value := strings.Repeat("v", 200)
	for round := range 2 {
		for i := range 400 {
			if err := d.Set(fmt.Appendf(nil, "k%04d", i), fmt.Appendf(nil, "%d-%s", round, value), nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// A read caches one block of the newer table.
	if got := mustGet(t, d, "k0000"); got != "1-"+value {
		t.Fatalf("k0000 = %.10q", got)
	}
	before := d.Metrics().BlockCache
	if before.Count == 0 {
		t.Fatalf("the read cached nothing: %s", before)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	after := d.Metrics().BlockCache
	if after.Misses-before.Misses < 4 {
		t.Fatalf("the compaction read %d blocks from the files (%s); the test needs its inputs to span blocks", after.Misses-before.Misses, after)
	}
	if after.Hits <= before.Hits {
		t.Fatalf("the compaction did not use the cached block: %s before, %s after", before, after)
	}
	if after.Count > before.Count {
		t.Fatalf("the compaction inserted %d blocks into the cache: %s before, %s after", after.Count-before.Count, before, after)
	}
	for i := range 400 {
		if got := mustGet(t, d, fmt.Sprintf("k%04d", i)); got != "1-"+value {
			t.Fatalf("k%04d = %.10q after the compaction", i, got)
		}
	}
}

// TestFlushFillsCache: with CacheFlushedBlocks, a flush caches the data
// blocks of the table it writes, so reading every key back misses nothing;
// the compaction that rewrites them caches none of its output; without the
// option, or with a cache of less than four memtables' worth, a flush
// caches nothing.
func TestFlushFillsCache(t *testing.T) {
	value := strings.Repeat("v", 200)
	for _, tc := range []struct {
		name       string
		fill       bool  // the option
		cacheBytes int64 // 0: the default
	}{{"fill", true, 0}, {"no-fill", false, 0}, {"fill-small-cache", true, 128 << 10}} {
		fill := tc.fill && tc.cacheBytes == 0 // a 64 KiB memtable is more than a quarter of 128 KiB
		t.Run(tc.name, func(t *testing.T) {
			o := quietOptions(nil)
			o.CacheFlushedBlocks = tc.fill
			o.BlockCacheSize = tc.cacheBytes
			d := openMem(t, vfs.NewMem(), o)
			defer d.Close()
			for i := range 400 {
				if err := d.Set(fmt.Appendf(nil, "k%04d", i), []byte(value), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			m := d.Metrics().BlockCache
			if fill != (m.Count >= 4) || (!fill && m.Count != 0) {
				t.Fatalf("after a flush: %s", m)
			}
			for i := range 400 {
				if got := mustGet(t, d, fmt.Sprintf("k%04d", i)); got != value {
					t.Fatalf("k%04d = %.10q", i, got)
				}
			}
			after := d.Metrics().BlockCache
			if fill && after.Misses != m.Misses {
				t.Fatalf("reading the flushed keys back missed %d blocks: %s", after.Misses-m.Misses, after)
			}
			if !fill && after.Misses == m.Misses {
				t.Fatalf("reading the flushed keys back missed nothing without the option: %s", after)
			}
			if err := d.Compact(nil, nil); err != nil {
				t.Fatal(err)
			}
			if c := d.Metrics().BlockCache; c.Count > after.Count {
				t.Fatalf("the compaction cached %d blocks: %s", c.Count-after.Count, c)
			}
		})
	}
}

// TestCompactionFillsCache: with CacheCompactedBlocks, a compaction caches
// as much of its output as the cache has room for besides the input
// blocks it found cached, and pushes out no block readers use. Table a
// (in L6, outside the compaction) and the z range of two L0 tables are
// read, so cached, a last; the k range of those tables is not. A
// compaction of the L0 tables with a 64 KiB cache (a and z fill most of
// it) must leave a and z cached (z's output in place of its inputs: all
// but at most its last block, whose size the inputs' cached bytes may
// not cover, as output and input blocks are cut at different keys),
// while k, four times the room, is read back with misses; with a large
// cache nothing misses, and without the option z misses too.
func TestCompactionFillsCache(t *testing.T) {
	value := strings.Repeat("v", 200)
	for _, tc := range []struct {
		name       string
		fill       bool
		cacheBytes int64
		kMisses    bool  // reading the k range back misses blocks
		zMisses    []int // the least and the most blocks of z it misses
	}{
		{"fill", true, 64 << 10, true, []int{0, 1}},
		{"fill-room", true, 0, false, []int{0, 0}},
		{"no-fill", false, 64 << 10, true, []int{4, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := quietOptions(nil)
			o.CacheCompactedBlocks = tc.fill
			o.BlockCacheSize = tc.cacheBytes
			d := openMem(t, vfs.NewMem(), o)
			defer d.Close()
			set := func(prefix string, n, round int) {
				for i := range n {
					if err := d.Set(fmt.Appendf(nil, "%s%04d", prefix, i), fmt.Appendf(nil, "%d-%s", round, value), nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			set("a", 100, 1)
			if err := d.Compact(nil, nil); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				set("k", 400, round)
				set("z", 100, round)
				if err := d.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			readRange := func(prefix string, n int) int64 {
				before := d.Metrics().BlockCache.Misses
				for i := range n {
					if got := mustGet(t, d, fmt.Sprintf("%s%04d", prefix, i)); got != "1-"+value {
						t.Fatalf("%s%04d = %.10q", prefix, i, got)
					}
				}
				return d.Metrics().BlockCache.Misses - before
			}
			readRange("z", 100)
			readRange("a", 100)
			if z, a := readRange("z", 100), readRange("a", 100); z+a > 0 {
				t.Fatalf("the cache is too small for a and z: %d and %d misses reading them again (%s)", a, z, d.Metrics().BlockCache)
			}
			if err := d.Compact([]byte("k"), []byte("zz")); err != nil {
				t.Fatal(err)
			}
			m := d.Metrics()
			if n := m.Levels[numLevels-1].NumFiles; n < 2 || m.Levels[0].NumFiles != 0 {
				t.Fatalf("after the compaction: %d tables in L6, %d in L0", n, m.Levels[0].NumFiles)
			}
			a, z := readRange("a", 100), readRange("z", 100)
			k := readRange("k", 400)
			if a > 0 || z < int64(tc.zMisses[0]) || z > int64(tc.zMisses[1]) || (k > 0) != tc.kMisses {
				t.Fatalf("reading back after the compaction missed %d blocks of a, %d of z, %d of k; want none of a, %v of z, misses of k %v (%s)",
					a, z, k, tc.zMisses, tc.kMisses, m.BlockCache)
			}
		})
	}
}
