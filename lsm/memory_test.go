package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/jemallocprof"
)

// The memory accounting tests compare jemallocprof's process-wide figures
// against a baseline taken before the DB opens. Tests of this package do
// not run in parallel, and every DB a test opens is closed by its end, so
// the difference is this DB's.

// engineMemPurposes are the purposes the engine allocates under.
var engineMemPurposes = []jemallocprof.Purpose{
	jemallocprof.MemtableActive, jemallocprof.MemtableImmutable, jemallocprof.MemtableSpare,
	jemallocprof.BlockCache, jemallocprof.IteratorPinned, jemallocprof.WAL, jemallocprof.Batch,
}

func memBaseline() []jemallocprof.Stats { return jemallocprof.Snapshot() }

// liveSince returns the live bytes of p above the baseline.
func liveSince(base []jemallocprof.Stats, p jemallocprof.Purpose) int64 {
	return jemallocprof.Live(p) - base[p].Live
}

// checkNoLeak fails unless every engine purpose is back at its baseline,
// in bytes and in live allocations, and (invariants build, pure Go) no
// recently freed buffer is still referenced: a closed DB must not keep
// slices of its arenas and blocks (in the jemalloc build they would point
// into reused memory).
func checkNoLeak(t *testing.T, base []jemallocprof.Stats) {
	t.Helper()
	now := jemallocprof.Snapshot()
	for _, p := range engineMemPurposes {
		if now[p].Live != base[p].Live || now[p].LiveAllocs != base[p].LiveAllocs {
			t.Errorf("%s: %d bytes in %d allocations live, baseline %d in %d", p,
				now[p].Live, now[p].LiveAllocs, base[p].Live, base[p].LiveAllocs)
		}
	}
	if n, b, ok := jemallocprof.FreedReachable(); ok && n > 0 {
		t.Errorf("%d freed buffers (%d bytes) are still referenced", n, b)
	}
}

// holdBackground waits for running compactions to finish and keeps new
// background compactions from starting (as a manual Compact does) until
// the returned function is called, so a test can compare figures that
// compactions would otherwise move in between.
func holdBackground(d *DB) (release func()) {
	d.mu.Lock()
	for (d.mu.compact.running > 0 || d.mu.compact.manual) && d.mu.bgErr == nil {
		d.mu.cond.Wait()
	}
	d.mu.compact.manual = true
	d.mu.Unlock()
	// The obsolete-file loop may still be deleting a finished
	// compaction's inputs and evicting their blocks from the cache: run
	// it here, which waits for that and deletes what is left.
	d.deleteObsoleteFiles()
	// A spare arena being allocated ahead of time is counted before
	// it is the spare: wait for it.
	waitSparePrepared(d)
	return func() {
		d.mu.Lock()
		d.mu.compact.manual = false
		d.mu.cond.Broadcast()
		d.maybeScheduleCompactionLocked()
		d.mu.Unlock()
	}
}

// checkMemtableAndCache checks the two exact identities: the tracked
// memtable bytes are the arenas Metrics reports (queued and zombie), and
// the tracked block-cache bytes are the cache's own byte figure. It needs
// no flush or compaction in flight (holdBackground, after Flush).
func checkMemtableAndCache(t *testing.T, d *DB, base []jemallocprof.Stats, what string) *Metrics {
	t.Helper()
	m := d.Metrics()
	mem := liveSince(base, jemallocprof.MemtableActive) + liveSince(base, jemallocprof.MemtableImmutable)
	if arenas := int64(m.MemTable.Capacity + m.MemTable.ZombieCapacity); mem != arenas {
		t.Fatalf("%s: %d memtable bytes tracked, arenas %d (%d queued + %d zombie)", what, mem, arenas,
			m.MemTable.Capacity, m.MemTable.ZombieCapacity)
	}
	if active := liveSince(base, jemallocprof.MemtableActive); active != int64(cap(d.mu.mem.mutable.arena)) {
		t.Fatalf("%s: %d active memtable bytes tracked, the mutable arena has %d", what, active, cap(d.mu.mem.mutable.arena))
	}
	if spare := liveSince(base, jemallocprof.MemtableSpare); spare != int64(m.MemTable.SpareCapacity) {
		t.Fatalf("%s: %d spare arena bytes tracked, Metrics says %d", what, spare, m.MemTable.SpareCapacity)
	}
	if cached := liveSince(base, jemallocprof.BlockCache); cached != m.BlockCache.Bytes {
		t.Fatalf("%s: %d block cache bytes tracked, the cache holds %d", what, cached, m.BlockCache.Bytes)
	}
	if m.Memory.Purposes[jemallocprof.BlockCache].Live != jemallocprof.Live(jemallocprof.BlockCache) {
		t.Fatalf("%s: Metrics.Memory is not jemallocprof's figure", what)
	}
	return m
}

// memKey is the 16-byte key of n.
func memKey(buf *[16]byte, n uint64) []byte {
	binary.BigEndian.PutUint64(buf[:8], n*0x9e3779b97f4a7c15) // spread over the key space
	binary.BigEndian.PutUint64(buf[8:], n)
	return buf[:]
}

// TestMemoryAccountingComplete writes a good amount of data (256 MiB, 32
// MiB under the race detector) through small memtables with the WAL on,
// while readers run Gets and iterators, and checks that every engine
// buffer is tracked: memtable bytes equal the arenas, cached bytes equal
// the cache's figure, arenas and blocks that iterators hold after a flush
// or eviction stay counted until released, and Close leaves nothing.
func TestMemoryAccountingComplete(t *testing.T) {
	total := 256 << 20
	if raceEnabled || testing.Short() {
		total = 32 << 20
	}
	const valueLen, batchLen, writers = 1000, 64, 2
	base := memBaseline()
	d, err := Open(t.TempDir(), &Options{
		FS: vfs.Default, WALMode: WALSyncNo, MemTableSize: 1 << 20,
		BlockCacheSize: 2 << 20, TargetFileSize: 2 << 20, LBaseMaxBytes: 8 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	perWriter := total / writers / valueLen
	var written sync.WaitGroup
	var stop = make(chan struct{})
	var readers sync.WaitGroup
	errc := make(chan error, writers+2)
	for w := range writers {
		written.Add(1)
		go func() {
			defer written.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			val := make([]byte, valueLen)
			var kb [16]byte
			b := d.NewBatch()
			for i := range perWriter {
				for j := range val {
					val[j] = byte(rng.Uint32())
				}
				b.Set(memKey(&kb, uint64(i*writers+w)), val[:valueLen/2+rng.IntN(valueLen/2)])
				if b.Count() == batchLen || i == perWriter-1 {
					if err := d.Apply(b, nil); err != nil {
						errc <- err
						return
					}
					b.Reset()
				}
			}
		}()
	}
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			var kb [16]byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := d.Get(memKey(&kb, uint64(rng.IntN(perWriter*writers)))); err != nil && err != ErrNotFound {
					errc <- err
					return
				}
				it, err := d.NewIter(nil)
				if err != nil {
					errc <- err
					return
				}
				n := 0
				for ok := it.SeekGE(memKey(&kb, uint64(rng.IntN(perWriter*writers)))); ok && n < 200; ok = it.Next() {
					n++
				}
				if err := it.Close(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	written.Wait()
	close(stop)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}

	// An iterator opened now pins the mutable memtable; after the flush
	// its arena is a zombie, still counted until the iterator closes.
	if err := d.Set([]byte("zombie"), []byte("arena"), nil); err != nil {
		t.Fatal(err)
	}
	zit, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !zit.SeekGE([]byte("zombie")) || string(zit.Value()) != "arena" {
		t.Fatal("zombie key not found")
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	release := holdBackground(d)
	// However slowly the readers ran (a loaded machine, the race
	// detector), and whatever the compactions since then evicted with
	// their inputs, one full scan with compactions held reads every table
	// through the 2 MiB cache: it fills and churns for certain.
	sit, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for ok := sit.First(); ok; ok = sit.Next() {
	}
	if err := sit.Close(); err != nil {
		t.Fatal(err)
	}
	m := checkMemtableAndCache(t, d, base, "after writing")
	t.Logf("after writing %d MiB:\n%s", total>>20, m)
	if m.MemTable.Zombies < 1 || m.Flush.Count < int64(total/(1<<20))/2 {
		t.Fatalf("want a zombie memtable and many flushes: %s", m)
	}
	if m.BlockCache.Bytes == 0 || m.BlockCache.Evictions == 0 {
		t.Fatalf("the readers should have filled and churned the cache: %s", m.BlockCache)
	}
	// A block the zombie iterator does not hold: iterators positioned in
	// tables pin one block each; evicting everything leaves exactly those.
	pit, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !pit.First() {
		t.Fatal("empty DB")
	}
	pinnedBefore := liveSince(base, jemallocprof.IteratorPinned)
	if err := d.SetBlockCacheSize(0); err != nil {
		t.Fatal(err)
	}
	checkMemtableAndCache(t, d, base, "cache emptied")
	if pinned := liveSince(base, jemallocprof.IteratorPinned); pinned <= pinnedBefore {
		t.Fatalf("evicting blocks held by an iterator: pinned %d, before %d", pinned, pinnedBefore)
	}
	// Its key is still readable from the evicted block.
	first := append([]byte(nil), pit.Key()...)
	if !pit.Next() || bytes.Compare(pit.Key(), first) <= 0 {
		t.Fatal("iterator broken after its block was evicted")
	}
	if err := pit.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zit.Close(); err != nil {
		t.Fatal(err)
	}
	m = checkMemtableAndCache(t, d, base, "iterators closed")
	if m.MemTable.Zombies != 0 || liveSince(base, jemallocprof.IteratorPinned) != 0 {
		t.Fatalf("after closing the iterators: %d zombies, %d pinned bytes", m.MemTable.Zombies,
			liveSince(base, jemallocprof.IteratorPinned))
	}
	if err := d.SetBlockCacheSize(2 << 20); err != nil {
		t.Fatal(err)
	}
	release()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)
}

// TestIteratorOutlivesClose: an iterator still open when the DB closes
// keeps its arenas and blocks until it closes, and frees them then.
func TestIteratorOutlivesClose(t *testing.T) {
	base := memBaseline()
	d, err := Open(t.TempDir(), &Options{FS: vfs.Default, MemTableSize: 64 << 10, BlockCacheSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var kb [16]byte
	for i := range 2000 {
		if err := d.Set(memKey(&kb, uint64(i)), bytes.Repeat([]byte{'v'}, 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n == 1000 {
			break
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if liveSince(base, jemallocprof.MemtableActive)+liveSince(base, jemallocprof.MemtableImmutable) == 0 {
		t.Fatal("the open iterator's memtables were freed by Close")
	}
	for ok := it.Next(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil || n != 2000 {
		t.Fatalf("iterator after Close: %d keys, %v", n, err)
	}
	checkNoLeak(t, base)
}

// TestReplayFreesMemtables: the memtables Open fills while replaying a WAL
// are freed once written to tables.
func TestReplayFreesMemtables(t *testing.T) {
	fs := vfs.NewMem()
	d := openMem(t, fs, &Options{MemTableSize: 64 << 10, MemTableStopWritesThreshold: 1000})
	var kb [16]byte
	for i := range 3000 {
		if err := d.Set(memKey(&kb, uint64(i)), bytes.Repeat([]byte{'r'}, 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	crashed := fs.CrashClone(vfs.CrashCloneOptions{UnsyncedDataPercent: 100})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	base := memBaseline()
	d = openMem(t, crashed, &Options{MemTableSize: 64 << 10})
	if got := liveSince(base, jemallocprof.MemtableActive) + liveSince(base, jemallocprof.MemtableImmutable); got != 64<<10 {
		t.Fatalf("after replay: %d memtable bytes live, want only the new mutable arena", got)
	}
	if got := mustGet(t, d, string(memKey(&kb, 2999))); got != strings.Repeat("r", 100) {
		t.Fatalf("replayed key: %q", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)
}

// TestMemTableArenaRounded: a memtable size that is not a whole size
// class of the allocator (here not a whole number of pages) gets an arena
// rounded up by Alloc; Metrics reports that allocated size, so the
// tracked bytes still equal Capacity and no phantom zombie appears.
func TestMemTableArenaRounded(t *testing.T) {
	const size = 100<<10 + 1
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: size})
	defer d.Close()
	for i := range 2 {
		if err := d.Set([]byte("k"), []byte("v"), nil); err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		release := holdBackground(d)
		m := checkMemtableAndCache(t, d, base, fmt.Sprintf("after flush %d", i))
		release()
		if m.MemTable.Capacity <= size || m.MemTable.Zombies != 0 || m.MemTable.ZombieCapacity != 0 {
			t.Fatalf("after flush %d: capacity %d for a %d-byte memtable, zombies %d (%d bytes)",
				i, m.MemTable.Capacity, size, m.MemTable.Zombies, m.MemTable.ZombieCapacity)
		}
	}
}

func TestSetMemTableSize(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	for _, n := range []int{0, minMemTableSize - 1, maxMemTableSize + 1, -5} {
		if err := d.SetMemTableSize(n); err == nil {
			t.Fatalf("SetMemTableSize(%d) accepted", n)
		}
	}
	if err := d.SetMemTableSize(256 << 10); err != nil {
		t.Fatal(err)
	}
	// The mutable memtable keeps its size; the next one gets the new size.
	if c := d.Metrics().MemTable.Capacity; c != 64<<10 {
		t.Fatalf("capacity %d before rotation", c)
	}
	if err := d.Set([]byte("a"), []byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if c := d.Metrics().MemTable.Capacity; c != 256<<10 {
		t.Fatalf("capacity %d after rotation, want 256 KiB", c)
	}
	// Writes fill the larger memtable before rotating.
	var kb [16]byte
	for i := range 1500 {
		if err := d.Set(memKey(&kb, uint64(i)), bytes.Repeat([]byte{'m'}, 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	m := d.Metrics()
	if m.Flush.Count != 1 || m.MemTable.Size < 128<<10 {
		t.Fatalf("the 256 KiB memtable did not take the writes: %d flushes, %d bytes used", m.Flush.Count, m.MemTable.Size)
	}
}

func TestSetBlockCacheSize(t *testing.T) {
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10, BlockCacheSize: 4 << 20})
	var kb [16]byte
	for i := range 5000 {
		if err := d.Set(memKey(&kb, uint64(i)), bytes.Repeat([]byte{'c'}, 200), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	scan := func() {
		t.Helper()
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		if err := it.Close(); err != nil || n != 5000 {
			t.Fatalf("scan: %d keys, %v", n, err)
		}
	}
	release := holdBackground(d)
	defer release()
	scan()
	full := d.Metrics().BlockCache
	if full.Bytes < 512<<10 {
		t.Fatalf("only %d bytes cached after a scan", full.Bytes)
	}
	if err := d.SetBlockCacheSize(256 << 10); err != nil {
		t.Fatal(err)
	}
	m := checkMemtableAndCache(t, d, base, "shrunk")
	if m.BlockCache.Bytes > 256<<10 || m.BlockCache.Bytes == 0 {
		t.Fatalf("after shrinking to 256 KiB: %s", m.BlockCache)
	}
	scan()
	if b := d.Metrics().BlockCache.Bytes; b > 256<<10 {
		t.Fatalf("a scan grew the cache past its new budget: %d", b)
	}
	if err := d.SetBlockCacheSize(8 << 20); err != nil {
		t.Fatal(err)
	}
	scan()
	scan()
	// (Counted in blocks: the index the cache's shards keep may have
	// another size after shrinking and growing.)
	if m := d.Metrics().BlockCache; m.Count < full.Count {
		t.Fatalf("after growing the budget: %s, had %s", m, full)
	}
	if err := d.SetBlockCacheSize(-1); err == nil {
		t.Fatal("negative size accepted")
	}
	checkMemtableAndCache(t, d, base, "grown")
	release()
	release = func() {}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)

	nd := openMem(t, vfs.NewMem(), &Options{BlockCacheSize: -1})
	defer nd.Close()
	if err := nd.SetBlockCacheSize(1 << 20); err != ErrNoBlockCache {
		t.Fatalf("SetBlockCacheSize without a cache: %v", err)
	}
}

func TestMetricsShowMemory(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	m := d.Metrics()
	if m.Memory.Allocator != jemallocprof.Allocator() || m.Memory.OffHeap != jemallocprof.OffHeap {
		t.Fatalf("memory metrics: %+v", m.Memory)
	}
	if m.Memory.Purposes[jemallocprof.MemtableActive].Live < 64<<10 {
		t.Fatalf("the mutable arena is not counted: %+v", m.Memory.Purposes[jemallocprof.MemtableActive])
	}
	s := m.String()
	for _, p := range jemallocprof.Purposes() {
		row := fmt.Sprintf("%18s | %12d |", p, m.Memory.Purposes[p].Live)
		if !strings.Contains(s, row) {
			t.Fatalf("String() lacks the row %q:\n%s", row, s)
		}
	}
	if !strings.Contains(s, "allocator "+jemallocprof.Allocator()) || !strings.Contains(s, "zombies: 0 (0 bytes)") {
		t.Fatalf("String():\n%s", s)
	}
}
