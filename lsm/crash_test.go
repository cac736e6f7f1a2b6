package lsm

// Crash tests on the in-memory filesystem: writers run, a crash is simulated
// with vfs.MemFS.CrashClone at chosen instants (mid-flight, during a flush,
// during recovery), and the DB reopened on the clone must hold every write
// acknowledged as durable before the crash, no half-applied batch, and
// nothing that was never written.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/wal"
)

// faultKeysPerBatch is the number of keys each test batch writes. Every
// batch writes its own keys, k/<batch id>/<j>, whose values start with
// "<batch id>/<j>/": a batch can be checked for atomicity on its own even
// when batches run concurrently.
const faultKeysPerBatch = 4

func faultKey(bid string, j int) []byte { return fmt.Appendf(nil, "k/%s/%d", bid, j) }

func faultValue(bid string, j, pad int) []byte {
	v := fmt.Appendf(nil, "%s/%d/", bid, j)
	for i := 0; i < pad; i++ {
		v = append(v, byte('a'+(i+j)%26))
	}
	return v
}

// faultBatch builds the batch with id bid.
func faultBatch(d *DB, bid string, pad int) *Batch {
	b := d.NewBatch()
	for j := 0; j < faultKeysPerBatch; j++ {
		b.Set(faultKey(bid, j), faultValue(bid, j, pad))
	}
	return b
}

// faultState is the content of a DB as batches: batch id -> number of its
// keys present.
type faultState map[string]int

// readFaultState reads every key of d and checks each against the batch
// that wrote it: key and value well formed and matching, the batch attempted
// (attempted(bid) reports whether a batch was ever applied; nil accepts
// every id) and, for every batch present, all of its keys present.
func readFaultState(t testing.TB, d *DB, pad int, attempted func(string) bool) faultState {
	t.Helper()
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatalf("NewIter: %v", err)
	}
	st := faultState{}
	for ok := it.First(); ok; ok = it.Next() {
		k, v := string(it.Key()), it.Value()
		parts := strings.Split(k, "/")
		if len(parts) != 3 || parts[0] != "k" {
			t.Fatalf("unexpected key %q", k)
		}
		bid := parts[1]
		j, err := strconv.Atoi(parts[2])
		if err != nil || j < 0 || j >= faultKeysPerBatch {
			t.Fatalf("unexpected key %q", k)
		}
		if want := faultValue(bid, j, pad); string(v) != string(want) {
			t.Fatalf("key %q: value %.40q... (%d bytes), want %.40q... (%d bytes)", k, v, len(v), want, len(want))
		}
		if attempted != nil && !attempted(bid) {
			t.Fatalf("key %q of batch %s that was never written", k, bid)
		}
		st[bid]++
	}
	if err := it.Close(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	for bid, n := range st {
		if n != faultKeysPerBatch {
			t.Fatalf("batch %s half applied: %d of %d keys present", bid, n, faultKeysPerBatch)
		}
	}
	return st
}

// requireBatches fails unless every batch of want is present in st.
func requireBatches(t testing.TB, st faultState, want map[string]bool, what string) {
	t.Helper()
	var missing []string
	for bid := range want {
		if st[bid] == 0 {
			missing = append(missing, bid)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Fatalf("%s: %d acknowledged batches lost, e.g. %v (present: %d batches)", what, len(missing), missing[:min(5, len(missing))], len(st))
	}
}

// requirePerWriterPrefix checks that the batches of each writer present in
// st form a prefix of what that writer wrote: recovery restores a prefix of
// the commit order, and a writer's batch i+1 is committed after batch i is
// acknowledged. Batch ids are w<writer>.<index>.
func requirePerWriterPrefix(t testing.TB, st faultState) {
	t.Helper()
	count := map[string]int{}
	last := map[string]int{}
	for bid := range st {
		w, idx, ok := strings.Cut(bid, ".")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			t.Fatalf("bad batch id %q", bid)
		}
		count[w]++
		if c, seen := last[w]; !seen || i > c {
			last[w] = i
		}
	}
	for w, n := range count {
		if last[w]+1 != n {
			t.Fatalf("writer %s: %d batches present but the last is #%d: a hole in the commit order", w, n, last[w])
		}
	}
}

// checkCrashClone opens the DB on a crashed filesystem, checks its content
// and that the recovered state itself survives another crash right after a
// clean close. It returns the state found.
func checkCrashClone(t testing.TB, fs *vfs.MemFS, o Options, pad int, attempted func(string) bool, mustHave map[string]bool, what string) faultState {
	t.Helper()
	o.FS = fs
	d, err := Open("db", &o)
	if err != nil {
		t.Fatalf("%s: reopening after the crash: %v\n%s", what, err, fs)
	}
	st := readFaultState(t, d, pad, attempted)
	requireBatches(t, st, mustHave, what)
	if err := d.Close(); err != nil {
		t.Fatalf("%s: close after recovery: %v", what, err)
	}
	// Everything recovered is durable now: a crash keeping no unsynced byte
	// must not lose any of it.
	o.FS = fs.CrashClone(vfs.CrashCloneOptions{Seed: 1, UnsyncedDataPercent: 0})
	d, err = Open("db", &o)
	if err != nil {
		t.Fatalf("%s: second reopen: %v", what, err)
	}
	st2 := readFaultState(t, d, pad, attempted)
	if len(st2) != len(st) {
		t.Fatalf("%s: recovered %d batches, but only %d survive a crash after a clean close", what, len(st), len(st2))
	}
	if err := d.Close(); err != nil {
		t.Fatalf("%s: close: %v", what, err)
	}
	return st
}

// crashLog records what concurrent writers attempted and which of their
// batches were acknowledged as durable.
type crashLog struct {
	mu        sync.Mutex
	cond      sync.Cond
	attempted map[string]bool
	durable   map[string]bool // acknowledged with a synced WAL
	acks      int
	running   int
}

func newCrashLog() *crashLog {
	l := &crashLog{attempted: map[string]bool{}, durable: map[string]bool{}}
	l.cond.L = &l.mu
	return l
}

func (l *crashLog) wasAttempted(bid string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attempted[bid]
}

// waitAcks waits until n batches are acknowledged (or every writer has
// stopped) and returns a copy of the durable set. The copy is taken before
// the caller crashes the filesystem, so every batch in it was acknowledged
// before the crash.
func (l *crashLog) waitAcks(n int) map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.acks < n && l.running > 0 {
		l.cond.Wait()
	}
	return maps.Clone(l.durable)
}

func TestCrashConcurrentWriters(t *testing.T) {
	type config struct {
		name      string
		mode      WALMode
		syncEvery int // 1 in syncEvery batches use lsm.Sync (1 = all)
	}
	configs := []config{
		{"always", WALSyncAlways, 1},
		{"no+sync", WALSyncNo, 3},
		{"everysec+sync", WALSyncEverySec, 4},
	}
	seeds := []uint64{1, 2, 3}
	crashPoints := 6
	if testing.Short() {
		seeds = seeds[:2]
		crashPoints = 4
	}
	for _, c := range configs {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				runCrashConcurrent(t, Options{WALMode: c.mode, MemTableSize: 64 << 10}, c.syncEvery, seed, crashPoints)
			})
		}
	}
}

func runCrashConcurrent(t *testing.T, o Options, syncEvery int, seed uint64, crashPoints int) {
	const writers = 4
	pad := 40 + int(seed%3)*30
	rng := rand.New(rand.NewPCG(seed, 7))
	mem := vfs.NewMem()
	o.FS = mem
	d, err := Open("db", &o)
	if err != nil {
		t.Fatal(err)
	}
	log := newCrashLog()
	log.running = writers
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		wrng := rand.New(rand.NewPCG(seed, uint64(w)))
		go func() {
			defer wg.Done()
			defer func() {
				log.mu.Lock()
				log.running--
				log.cond.Broadcast()
				log.mu.Unlock()
			}()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				bid := fmt.Sprintf("w%d.%06d", w, i)
				sync := o.WALMode == WALSyncAlways || wrng.IntN(syncEvery) == 0
				wo := NoSync
				if sync {
					wo = Sync
				}
				log.mu.Lock()
				log.attempted[bid] = true
				log.mu.Unlock()
				if err := d.Apply(faultBatch(d, bid, pad), wo); err != nil {
					t.Errorf("writer %d: batch %s: %v", w, bid, err)
					return
				}
				log.mu.Lock()
				log.acks++
				if sync {
					log.durable[bid] = true
				}
				log.cond.Broadcast()
				log.mu.Unlock()
			}
		}()
	}

	type crash struct {
		fs      *vfs.MemFS
		durable map[string]bool
		what    string
	}
	var crashes []crash
	target := 0
	for p := 0; p < crashPoints; p++ {
		// Up to ~2.5 memtables' worth of batches between crash points, and
		// an early one right after open.
		if p == 0 {
			target += 1 + rng.IntN(20)
		} else {
			target += 20 + rng.IntN(300)
		}
		durable := log.waitAcks(target)
		for k, pct := range []int{0, 50, 100} {
			cseed := int64(seed*1000) + int64(p*10+k)
			crashes = append(crashes, crash{
				fs:      mem.CrashClone(vfs.CrashCloneOptions{Seed: cseed, UnsyncedDataPercent: pct}),
				durable: durable,
				what:    fmt.Sprintf("crash %d (after %d acks, %d durable) seed=%d unsynced=%d%%", p, target, len(durable), cseed, pct),
			})
		}
	}
	close(stop)
	wg.Wait()
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if m := d.Metrics(); m.Flush.Count == 0 && log.acks > 1000 {
		t.Logf("no flush happened during the run")
	}
	for _, c := range crashes {
		st := checkCrashClone(t, c.fs, Options{WALMode: o.WALMode, MemTableSize: o.MemTableSize}, pad, log.wasAttempted, c.durable, c.what)
		requirePerWriterPrefix(t, st)
	}
}

// crashHook is an errorfs injector that injects nothing: while armed it
// takes a crash clone of the underlying MemFS before every every-th file
// operation, so that crashes land at each step of a flush or a recovery.
type crashHook struct {
	mem   *vfs.MemFS
	every int
	armed atomic.Bool

	mu     sync.Mutex
	n      int
	clones []*vfs.MemFS
	ops    []string
}

func (h *crashHook) MaybeError(op errorfs.Op, path string) error {
	if !h.armed.Load() {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	if h.n%h.every == 0 {
		h.clones = append(h.clones, h.mem.CrashClone(vfs.CrashCloneOptions{
			Seed: int64(h.n), UnsyncedDataPercent: (h.n * 37) % 101,
		}))
		h.ops = append(h.ops, fmt.Sprintf("before op %d (%s %s)", h.n, op, path))
	}
	return nil
}

// writeFaultBatches applies n batches w<prefix>.<i> and returns their ids.
func writeFaultBatches(t testing.TB, d *DB, prefix string, n, pad int, wo *WriteOptions) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		bid := fmt.Sprintf("%s.%06d", prefix, i)
		if err := d.Apply(faultBatch(d, bid, pad), wo); err != nil {
			t.Fatalf("batch %s: %v", bid, err)
		}
		ids[bid] = true
	}
	return ids
}

// TestCrashDuringFlush crashes before each file operation of a flush: with
// the WAL on, nothing acknowledged may be lost; with the WAL off, the flush
// is atomic: the clone holds all of the flushed memtable or none of it.
func TestCrashDuringFlush(t *testing.T) {
	for _, mode := range []WALMode{WALSyncAlways, WALSyncNo, WALDisabled} {
		t.Run(mode.String(), func(t *testing.T) {
			const pad = 200
			mem := vfs.NewMem()
			hook := &crashHook{mem: mem, every: 1}
			o := Options{WALMode: mode, MemTableSize: 1 << 20, FS: errorfs.Wrap(mem, hook)}
			d, err := Open("db", &o)
			if err != nil {
				t.Fatal(err)
			}
			before := writeFaultBatches(t, d, "a", 50, pad, Sync)
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			during := writeFaultBatches(t, d, "b", 400, pad, Sync)
			all := maps.Clone(before)
			maps.Copy(all, during)
			hook.armed.Store(true)
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			hook.armed.Store(false)
			after := mem.CrashClone(vfs.CrashCloneOptions{Seed: 99, UnsyncedDataPercent: 0})
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if len(hook.clones) < 5 {
				t.Fatalf("only %d file operations during the flush", len(hook.clones))
			}
			attempted := func(bid string) bool { return all[bid] }
			sawOld, sawNew := false, false
			for i, c := range hook.clones {
				what := "crash " + hook.ops[i]
				if mode != WALDisabled {
					checkCrashClone(t, c, Options{WALMode: mode, MemTableSize: 64 << 10}, pad, attempted, all, what)
					continue
				}
				st := checkCrashClone(t, c, Options{WALMode: mode, MemTableSize: 64 << 10}, pad, attempted, before, what)
				switch len(st) {
				case len(before):
					sawOld = true
				case len(all):
					sawNew = true
				default:
					t.Fatalf("%s: %d batches present: neither the state before the flush (%d) nor after it (%d)", what, len(st), len(before), len(all))
				}
			}
			if mode == WALDisabled && !sawOld {
				t.Fatalf("no crash point saw the state before the flush: the hook missed the flush")
			}
			_ = sawNew
			checkCrashClone(t, after, Options{WALMode: mode, MemTableSize: 64 << 10}, pad, attempted, all, "crash after Flush returned")
		})
	}
}

// TestCrashDuringRecovery crashes before file operations of an Open that
// replays WALs into several L0 tables (the recovery-time flush): every
// acknowledged batch must survive any such crash.
func TestCrashDuringRecovery(t *testing.T) {
	const pad = 200
	mem := vfs.NewMem()
	d, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	acked := writeFaultBatches(t, d, "r", 600, pad, Sync)
	// Crash with the data only in the WAL (about 0.6 MiB of it).
	crashed := mem.CrashClone(vfs.CrashCloneOptions{Seed: 5, UnsyncedDataPercent: 30})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	attempted := func(bid string) bool { return acked[bid] }

	// A small memtable makes recovery write several tables. Compactions
	// stay out of the way (their file operations depend on timing, and the
	// crash points are spread over a count of the recovery's operations).
	o := Options{WALMode: WALSyncAlways, MemTableSize: 64 << 10,
		L0CompactionThreshold: 1000, L0SlowdownWritesThreshold: 1000, L0StopWritesThreshold: 1000}
	// A dry run counts the file operations of the recovery, to spread about
	// 25 crash points over them.
	counter := &crashHook{mem: crashed, every: 1 << 30}
	counter.armed.Store(true)
	o.FS = errorfs.Wrap(crashed.CrashClone(vfs.CrashCloneOptions{UnsyncedDataPercent: 100}), counter)
	d, err = Open("db", &o)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	points := 25
	if testing.Short() {
		points = 15
	}
	hook := &crashHook{mem: crashed, every: max(1, counter.n/points)}
	hook.armed.Store(true)
	o.FS = errorfs.Wrap(crashed, hook)
	d, err = Open("db", &o)
	if err != nil {
		t.Fatal(err)
	}
	hook.armed.Store(false)
	if n := d.Metrics().Levels[0].NumFiles; n < 3 {
		t.Fatalf("recovery wrote %d tables, want several", n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if len(hook.clones) < points/2 {
		t.Fatalf("only %d crash points during recovery (%d operations)", len(hook.clones), counter.n)
	}
	for i, c := range hook.clones {
		checkCrashClone(t, c, Options{WALMode: WALSyncAlways, MemTableSize: 64 << 10}, pad, attempted, acked, "crash during recovery "+hook.ops[i])
	}
}

// TestCrashWALDisabled checks the contract of the disabled WAL: after a
// crash exactly the writes made before the last completed Flush survive.
func TestCrashWALDisabled(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			const pad = 60
			rng := rand.New(rand.NewPCG(seed, 11))
			mem := vfs.NewMem()
			o := Options{FS: mem, WALMode: WALDisabled, MemTableSize: 64 << 10}
			d, err := Open("db", &o)
			if err != nil {
				t.Fatal(err)
			}
			written := map[string]bool{}
			flushed := map[string]bool{}
			n := 0
			write := func(count int) {
				for i := 0; i < count; i++ {
					bid := fmt.Sprintf("d.%06d", n)
					n++
					written[bid] = true
					if err := d.Apply(faultBatch(d, bid, pad), NoSync); err != nil {
						t.Fatal(err)
					}
				}
			}
			attempted := func(bid string) bool { return written[bid] }
			for round := 0; round < 5; round++ {
				// Sometimes several memtables' worth: rotations and
				// background flushes before the explicit one.
				write(rng.IntN(600))
				if err := d.Flush(); err != nil {
					t.Fatal(err)
				}
				maps.Copy(flushed, written)
				// Less than a memtable: no rotation, so none of these can
				// reach a table before the crash.
				write(1 + rng.IntN(40))
				for k, pct := range []int{0, 100} {
					cseed := int64(seed*100) + int64(round*10+k)
					c := mem.CrashClone(vfs.CrashCloneOptions{Seed: cseed, UnsyncedDataPercent: pct})
					what := fmt.Sprintf("round %d seed=%d unsynced=%d%%", round, cseed, pct)
					st := checkCrashClone(t, c, Options{WALMode: WALDisabled, MemTableSize: 64 << 10}, pad, attempted, flushed, what)
					if len(st) != len(flushed) {
						var extra []string
						for bid := range st {
							if !flushed[bid] {
								extra = append(extra, bid)
							}
						}
						slices.Sort(extra)
						t.Fatalf("%s: %d batches present, %d flushed; written after the flush: %v", what, len(st), len(flushed), extra[:min(5, len(extra))])
					}
				}
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCrashWALZeroAhead: under WALSyncAlways the WAL writer keeps zeros
// written past the log's end (wal.WriterOptions.ZeroAhead), so the log file
// is longer than the log. Every acknowledged batch survives a crash that
// keeps no unsynced byte, and one that keeps them all, the recovery taking
// the zeros for the log's end; under everysec no zeros are written.
func TestCrashWALZeroAhead(t *testing.T) {
	const pad = 50
	for _, mode := range []WALMode{WALSyncAlways, WALSyncEverySec} {
		t.Run(mode.String(), func(t *testing.T) {
			mem := vfs.NewMem()
			o := Options{FS: mem, WALMode: mode}
			d, err := Open("db", &o)
			if err != nil {
				t.Fatal(err)
			}
			acked := writeFaultBatches(t, d, "z", 300, pad, Sync)
			logBytes := int64(d.Metrics().WAL.Bytes)
			var logSize int64
			names, err := mem.List("db")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				if strings.HasSuffix(name, ".log") {
					fi, err := mem.Stat(mem.PathJoin("db", name))
					if err != nil {
						t.Fatal(err)
					}
					logSize += fi.Size()
				}
			}
			if ahead := logSize - logBytes; mode == WALSyncAlways && (ahead <= 0 || ahead > wal.ZeroAheadLead) ||
				mode != WALSyncAlways && ahead != 0 {
				t.Fatalf("log files hold %d bytes for %d bytes of log", logSize, logBytes)
			}
			attempted := func(bid string) bool { return acked[bid] }
			for _, pct := range []int{0, 100} {
				c := mem.CrashClone(vfs.CrashCloneOptions{Seed: int64(pct), UnsyncedDataPercent: pct})
				st := checkCrashClone(t, c, Options{WALMode: mode}, pad, attempted, acked, fmt.Sprintf("unsynced=%d%%", pct))
				if len(st) != len(acked) {
					t.Fatalf("unsynced=%d%%: %d batches recovered, %d acknowledged", pct, len(st), len(acked))
				}
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
