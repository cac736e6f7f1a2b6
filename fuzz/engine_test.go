package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/lsm"
)

// engineKeys is the key space of FuzzEngine: few keys, so that overwrites,
// deletes and range deletions meet existing data, with edge cases of byte
// order (the empty key, a key and its successor, 0xff keys).
var engineKeys = func() []string {
	keys := []string{"", "a", "a\x00", "b", "\xff", "\xff\xff"}
	for i := range 26 {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	slices.Sort(keys)
	return keys
}()

// engineOptions keep everything tiny so that a short script flushes many
// small tables, triggers L0 compactions into several levels and opens and
// evicts tables. Every write is synced (appendfsync always), so a crash
// loses nothing that was acknowledged.
func engineOptions(fs vfs.FS) *lsm.Options {
	return &lsm.Options{
		FS: fs, WALMode: lsm.WALSyncAlways, MemTableSize: 64 << 10, BlockSize: 64, BlockRestartInterval: 2,
		L0CompactionThreshold: 2, L0SlowdownWritesThreshold: 8, L0StopWritesThreshold: 12,
		LBaseMaxBytes: 1 << 10, TargetFileSize: 1 << 10, LevelMultiplier: 2, MaxOpenFiles: 16, BlockCacheSize: 4 << 10,
	}
}

// Engine operations: the first byte of each operation, modulo opCount.
const (
	opSet = iota
	opDelete
	opDeleteRange
	opBatch
	opFlush
	opCompact
	opSnapshot
	opSnapshotRead
	opIter
	opGet
	opReopen
	opCrash
	opCount
)

var opNames = [opCount]string{"set", "delete", "delete-range", "batch", "flush", "compact", "snapshot",
	"snapshot-read", "iter", "get", "reopen", "crash"}

// script reads operations and their arguments from the fuzz input; past
// its end every byte is 0.
type script struct{ data []byte }

func (s *script) next() byte {
	if len(s.data) == 0 {
		return 0
	}
	b := s.data[0]
	s.data = s.data[1:]
	return b
}

func (s *script) key() []byte { return []byte(engineKeys[int(s.next())%len(engineKeys)]) }

// bound returns a key, or nil (unbounded) for a byte past the key space.
func (s *script) bound() []byte {
	b := int(s.next())
	if b%(len(engineKeys)+1) == len(engineKeys) {
		return nil
	}
	return []byte(engineKeys[b%(len(engineKeys)+1)])
}

// kv is the model: the sorted map the engine must agree with.
type kv map[string]string

// scan returns the model's pairs in [lower, upper) in order, as "k=v".
func (m kv) scan(lower, upper []byte) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if (lower == nil || k >= string(lower)) && (upper == nil || k < string(upper)) {
			out = append(out, fmt.Sprintf("%q=%q", k, m[k]))
		}
	}
	return out
}

func (m kv) deleteRange(start, end []byte) {
	for k := range m {
		if k >= string(start) && k < string(end) {
			delete(m, k)
		}
	}
}

// engineReader is what the DB and its snapshots share.
type engineReader interface {
	Get(key []byte) ([]byte, error)
	NewIter(o *lsm.IterOptions) (*lsm.Iterator, error)
}

type modelSnapshot struct {
	snap *lsm.Snapshot
	m    kv
}

// engineRun drives one DB with a script and checks it against the model.
type engineRun struct {
	t     *testing.T
	fs    *vfs.MemFS
	db    *lsm.DB
	m     kv
	snaps []modelSnapshot
	trace []string
	vals  int
}

func (e *engineRun) fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("%s\nafter:\n  %s", fmt.Sprintf(format, args...), strings.Join(e.trace, "\n  "))
}

func (e *engineRun) open() {
	db, err := lsm.Open("db", engineOptions(e.fs))
	if err != nil {
		e.fatalf("open: %v", err)
	}
	e.db = db
}

// value returns a fresh value of a length drawn from the script: every
// write is distinguishable from every other.
func (e *engineRun) value(s *script) []byte {
	e.vals++
	v := fmt.Appendf(nil, "v%d-", e.vals)
	return append(v, bytes.Repeat([]byte{'a' + byte(e.vals%26)}, int(s.next())%160)...)
}

// writer receives writes: an lsm.Batch, or the DB itself through dbWriter.
type writer interface {
	Set(key, value []byte)
	Delete(key []byte)
	DeleteRange(start, end []byte)
}

// dbWriter applies each write to the DB at once, keeping the first error.
type dbWriter struct {
	db  *lsm.DB
	err error
}

func (w *dbWriter) Set(key, value []byte)         { w.err = w.db.Set(key, value, nil) }
func (w *dbWriter) Delete(key []byte)             { w.err = w.db.Delete(key, nil) }
func (w *dbWriter) DeleteRange(start, end []byte) { w.err = w.db.DeleteRange(start, end, nil) }

// write passes a write of the given kind (opSet, opDelete or
// opDeleteRange), its arguments drawn from s, to b and to m.
func (e *engineRun) write(kind byte, s *script, b writer, m kv) string {
	switch kind {
	case opSet:
		k, v := s.key(), e.value(s)
		b.Set(k, v)
		m[string(k)] = string(v)
		return fmt.Sprintf("set %q", k)
	case opDelete:
		k := s.key()
		b.Delete(k)
		delete(m, string(k))
		return fmt.Sprintf("delete %q", k)
	default:
		start, end := s.key(), s.key()
		b.DeleteRange(start, end)
		m.deleteRange(start, end)
		return fmt.Sprintf("delete-range [%q, %q)", start, end)
	}
}

func (e *engineRun) closeSnapshots() {
	for _, s := range e.snaps {
		if err := s.snap.Close(); err != nil {
			e.fatalf("snapshot close: %v", err)
		}
	}
	e.snaps = nil
}

func (e *engineRun) checkGet(r engineReader, m kv, k []byte) {
	e.t.Helper()
	got, err := r.Get(k)
	want, ok := m[string(k)]
	switch {
	case ok && (err != nil || string(got) != want):
		e.fatalf("get %q = %q, %v; want %q", k, got, err, want)
	case !ok && !errors.Is(err, lsm.ErrNotFound):
		e.fatalf("get %q = %q, %v; want not found", k, got, err)
	}
}

// checkIter compares an iterator with bounds to the model: forward from
// First, backward from Last, and forward from SeekGE(seek).
func (e *engineRun) checkIter(r engineReader, m kv, lower, upper, seek []byte) {
	e.t.Helper()
	it, err := r.NewIter(&lsm.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		e.fatalf("new iter: %v", err)
	}
	collect := func(ok bool, step func() bool) []string {
		var out []string
		for ; ok; ok = step() {
			out = append(out, fmt.Sprintf("%q=%q", it.Key(), it.Value()))
		}
		return out
	}
	want := m.scan(lower, upper)
	fwd := collect(it.First(), it.Next)
	back := collect(it.Last(), it.Prev)
	slices.Reverse(back)
	from := lower
	if lower == nil || bytes.Compare(seek, lower) > 0 {
		from = seek
	}
	wantSeek := m.scan(from, upper)
	seeked := collect(it.SeekGE(seek), it.Next)
	if err := it.Error(); err != nil {
		e.fatalf("iter [%q, %q): %v", lower, upper, err)
	}
	if err := it.Close(); err != nil {
		e.fatalf("iter close: %v", err)
	}
	if !slices.Equal(fwd, want) || !slices.Equal(back, want) || !slices.Equal(seeked, wantSeek) {
		e.fatalf("iter [%q, %q):\n forward  %v\n backward %v\n want     %v\n SeekGE(%q) %v, want %v",
			lower, upper, fwd, back, want, seek, seeked, wantSeek)
	}
}

// step runs one operation of the script.
func (e *engineRun) step(s *script) {
	op := s.next() % opCount
	e.trace = append(e.trace, opNames[op])
	note := func(format string, args ...any) { e.trace[len(e.trace)-1] = fmt.Sprintf(format, args...) }
	var err error
	switch op {
	case opSet, opDelete, opDeleteRange:
		w := &dbWriter{db: e.db}
		note("%s", e.write(op, s, w, e.m))
		err = w.err
	case opBatch:
		b := new(lsm.Batch)
		var parts []string
		for n := 1 + s.next()%4; n > 0; n-- {
			parts = append(parts, e.write(s.next()%3, s, b, e.m))
		}
		note("batch {%s}", strings.Join(parts, "; "))
		err = e.db.Apply(b, nil)
	case opFlush:
		err = e.db.Flush()
	case opCompact:
		start, end := s.bound(), s.bound()
		note("compact [%q, %q]", start, end)
		err = e.db.Compact(start, end)
	case opSnapshot:
		if len(e.snaps) < 3 {
			e.snaps = append(e.snaps, modelSnapshot{e.db.NewSnapshot(), maps.Clone(e.m)})
		}
	case opSnapshotRead:
		if len(e.snaps) > 0 {
			sn := e.snaps[int(s.next())%len(e.snaps)]
			e.checkGet(sn.snap, sn.m, s.key())
			e.checkIter(sn.snap, sn.m, s.bound(), s.bound(), s.key())
		}
	case opIter:
		lower, upper, seek := s.bound(), s.bound(), s.key()
		note("iter [%q, %q) seek %q", lower, upper, seek)
		e.checkIter(e.db, e.m, lower, upper, seek)
	case opGet:
		e.checkGet(e.db, e.m, s.key())
	case opReopen:
		e.closeSnapshots()
		if err := e.db.Close(); err != nil {
			e.fatalf("close: %v", err)
		}
		e.open()
		e.checkIter(e.db, e.m, nil, nil, nil)
	case opCrash:
		// Every acknowledged write was synced: whatever share of unsynced
		// data the crash keeps, the model survives as it is.
		seed, percent := int64(s.next()), int(s.next())%101
		note("crash (seed %d) keeping up to %d%% of unsynced data", seed, percent)
		crashed := e.fs.CrashClone(vfs.CrashCloneOptions{Seed: seed, UnsyncedDataPercent: percent})
		e.closeSnapshots()
		e.db.Close()
		e.fs = crashed
		e.open()
		e.checkIter(e.db, e.m, nil, nil, nil)
	}
	if err != nil {
		e.fatalf("%s: %v", e.trace[len(e.trace)-1], err)
	}
}

// FuzzEngine interprets the input as a script of engine operations: sets,
// deletes, range deletions (empty and inverted ones included), atomic
// batches of them, flushes, manual compactions, snapshots and reads through
// them, bounded iterators read forward, backward and from a seek, point
// reads, close and reopen, and crashes (a CrashClone of the in-memory FS
// keeping a random share of unsynced data) followed by recovery. After
// every operation that reads and after every reopen, the engine must agree
// with a sorted map; tiny memtables, blocks, files and level targets make
// flushes and compactions common.
func FuzzEngine(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 400 {
			data = data[:400] // each operation costs I/O: keep scripts short
		}
		e := &engineRun{t: t, fs: vfs.NewMem(), m: kv{}}
		e.open()
		s := &script{data: data}
		for len(s.data) > 0 {
			e.step(s)
		}
		e.checkIter(e.db, e.m, nil, nil, nil)
		e.closeSnapshots()
		if err := e.db.Close(); err != nil {
			e.fatalf("close: %v", err)
		}
	})
}

// engineScript encodes operations for seeds: each is an op code followed
// by its argument bytes; keyIndex names keys.
func engineScript(ops ...[]byte) []byte { return bytes.Join(ops, nil) }

func keyIndex(k string) byte { return byte(slices.Index(engineKeys, k)) }

func engineSeeds(testing.TB) []seed {
	k := keyIndex
	set := func(key string, size byte) []byte { return []byte{opSet, k(key), size} }
	var fill [][]byte
	for i := range 20 {
		fill = append(fill, set(fmt.Sprintf("k%02d", i), 150))
	}
	filled := engineScript(fill...)
	flush := []byte{opFlush}
	all := []byte{opIter, byte(len(engineKeys)), byte(len(engineKeys)), k("")}
	return []seed{
		{"set_get", []any{engineScript(set("k00", 5), []byte{opGet, k("k00")}, []byte{opGet, k("k01")})}},
		{"flush_compact", []any{engineScript(filled, flush, filled, flush, filled, flush,
			[]byte{opCompact, byte(len(engineKeys)), byte(len(engineKeys))}, all)}},
		{"range_delete_across_flush", []any{engineScript(filled, flush, []byte{opDeleteRange, k("k03"), k("k15")}, flush,
			[]byte{opGet, k("k05")}, []byte{opIter, k("k02"), k("k17"), k("k10")}, []byte{opCompact, k("k00"), k("k20")}, all)}},
		{"inverted_and_empty_ranges", []any{engineScript(filled, []byte{opDeleteRange, k("k10"), k("k02")},
			[]byte{opDeleteRange, k("k05"), k("k05")}, flush, all)}},
		{"snapshot_across_compaction", []any{engineScript(filled, []byte{opSnapshot}, []byte{opDeleteRange, k(""), k("\xff\xff")},
			flush, []byte{opCompact, byte(len(engineKeys)), byte(len(engineKeys))}, []byte{opSnapshotRead, 0, k("k07"), k("a"), k("k09"), k("k04")}, all)}},
		{"batch", []any{engineScript([]byte{opBatch, 3, 0, k("a"), 9, 1, k("b"), 2, k("a"), k("b")}, all)}},
		{"reopen", []any{engineScript(filled, flush, set("k01", 3), []byte{opDelete, k("k02")}, []byte{opReopen}, all)}},
		{"crash", []any{engineScript(filled, flush, set("k01", 3), []byte{opDeleteRange, k("k05"), k("k08")},
			[]byte{opCrash, 7, 50}, set("b", 1), []byte{opCrash, 8, 100}, all)}},
		{"edge_keys", []any{engineScript(set("", 1), set("\xff\xff", 1), set("a\x00", 1), flush,
			[]byte{opDeleteRange, k("a"), k("a\x00")}, []byte{opIter, k("a"), byte(len(engineKeys)), k("\xff")}, all)}},
	}
}
