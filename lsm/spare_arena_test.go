package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/jemallocprof"
)

// mutableArena returns the first byte of the mutable memtable's arena,
// which identifies the arena.
func mutableArena(d *DB) *byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &d.mu.mem.mutable.arena[0]
}

// spareArenaOf returns the first byte of d's spare arena, nil if none.
func spareArenaOf(d *DB) *byte {
	d.spare.mu.Lock()
	defer d.spare.mu.Unlock()
	if d.spare.arena == nil {
		return nil
	}
	return &d.spare.arena[0]
}

// arenaAllocs is the number of memtable arenas allocated so far in the
// process, by rotations and ahead of time (taking the spare is a Move,
// not an allocation).
func arenaAllocs() int64 {
	s := jemallocprof.Snapshot()
	return s[jemallocprof.MemtableActive].Allocs + s[jemallocprof.MemtableSpare].Allocs
}

// waitSparePrepared waits until no spare arena is being allocated ahead
// of time.
func waitSparePrepared(d *DB) {
	for {
		d.spare.mu.Lock()
		preparing := d.spare.preparing
		d.spare.mu.Unlock()
		if !preparing {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// setAndFlush writes one key and flushes, which rotates the memtable and
// releases the old one once its table is installed.
func setAndFlush(t *testing.T, d *DB, k string) {
	t.Helper()
	if err := d.Set([]byte(k), []byte("v-"+k), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestSpareArenaReused: once a flushed memtable is released its arena is
// the spare, and the next rotation takes it instead of allocating: two
// arenas take turns for every later memtable.
func TestSpareArenaReused(t *testing.T) {
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	if spareArenaOf(d) != nil || d.Metrics().MemTable.SpareCapacity != 0 {
		t.Fatal("a spare arena right after Open")
	}
	arenas := [2]*byte{mutableArena(d)}
	// The first rotation finds no spare and allocates; the flushed
	// memtable's arena becomes the spare.
	a0 := arenaAllocs()
	setAndFlush(t, d, "k0")
	if arenaAllocs() != a0+1 {
		t.Fatalf("the first rotation made %d allocations, want 1", arenaAllocs()-a0)
	}
	arenas[1] = mutableArena(d)
	if arenas[1] == arenas[0] || spareArenaOf(d) != arenas[0] {
		t.Fatalf("after the first flush: mutable %p, spare %p; the first arena was %p", arenas[1], spareArenaOf(d), arenas[0])
	}
	m := d.Metrics()
	if spare := liveSince(base, jemallocprof.MemtableSpare); spare < 64<<10 || spare != int64(m.MemTable.SpareCapacity) {
		t.Fatalf("spare: %d bytes tracked, Metrics says %d", spare, m.MemTable.SpareCapacity)
	}
	if m.MemTable.Count != 1 || m.MemTable.Zombies != 0 || !strings.Contains(m.String(), fmt.Sprintf("spare: %d bytes", m.MemTable.SpareCapacity)) {
		t.Fatalf("the spare is counted as a memtable, or not shown:\n%s", m)
	}
	a1 := arenaAllocs()
	for i := 1; i <= 6; i++ {
		setAndFlush(t, d, fmt.Sprint("k", i))
		if got, want := mutableArena(d), arenas[(i+1)%2]; got != want {
			t.Fatalf("rotation %d: the mutable arena is %p, want the spare %p", i+1, got, want)
		}
		if got, want := spareArenaOf(d), arenas[i%2]; got != want {
			t.Fatalf("rotation %d: the spare is %p, want %p", i+1, got, want)
		}
	}
	if n := arenaAllocs() - a1; n != 0 {
		t.Fatalf("%d arenas allocated by rotations that had a spare", n)
	}
	for i := range 7 {
		if got := mustGet(t, d, fmt.Sprint("k", i)); got != fmt.Sprint("v-k", i) {
			t.Fatalf("k%d = %q", i, got)
		}
	}
	release := holdBackground(d)
	checkMemtableAndCache(t, d, base, "after the rotations")
	release()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// checkNoLeak covers memtable_spare: Close freed the spare.
	checkNoLeak(t, base)
}

// TestSpareArenaKeptOnce: an arena still read after its flush is kept
// alive; it is not the spare while read, and when the reader lets go of
// it and a spare is already held, it is freed. An arena of another size
// (a memtable made for a batch larger than the memtable size, or one from
// before SetMemTableSize) is never kept, and leaves the spare in place.
func TestSpareArenaKeptOnce(t *testing.T) {
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	if err := d.Set([]byte("pinned"), []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	pinned, pinnedCap := mutableArena(d), int64(d.Metrics().MemTable.Capacity)
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	setAndFlush(t, d, "a")
	if spareArenaOf(d) != nil || d.Metrics().MemTable.Zombies != 1 {
		t.Fatalf("with its arena still read: spare %p, %d zombies", spareArenaOf(d), d.Metrics().MemTable.Zombies)
	}
	second := mutableArena(d)
	setAndFlush(t, d, "b")
	if spareArenaOf(d) != second {
		t.Fatalf("the second arena is not the spare: %p, want %p", spareArenaOf(d), second)
	}
	if !it.First() || string(it.Key()) != "pinned" {
		t.Fatal("the iterator lost its memtable")
	}
	imm := liveSince(base, jemallocprof.MemtableImmutable)
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if spareArenaOf(d) != second || liveSince(base, jemallocprof.MemtableImmutable) != imm-pinnedCap {
		t.Fatalf("after the reader let go: spare %p (want %p), the pinned arena %p still counted", spareArenaOf(d), second, pinned)
	}

	// A batch larger than a memtable gets one of its own; it takes
	// nothing from the spare, and is freed once flushed.
	b := d.NewBatch()
	for i := range 1000 {
		b.Set(fmt.Appendf(nil, "big%04d", i), bytes.Repeat([]byte{'b'}, 100))
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	if spareArenaOf(d) != second {
		t.Fatal("the large batch's memtable took the spare")
	}
	setAndFlush(t, d, "c") // the large memtable is flushed and freed
	setAndFlush(t, d, "d")
	if sp := d.Metrics().MemTable.SpareCapacity; sp != uint64(liveSince(base, jemallocprof.MemtableSpare)) || sp > 64<<10+8<<10 {
		t.Fatalf("spare of %d bytes after the large memtable went", sp)
	}

	// SetMemTableSize frees a spare of the old size at once, and the
	// memtables of the old size are freed when they go.
	if err := d.SetMemTableSize(128 << 10); err != nil {
		t.Fatal(err)
	}
	if spareArenaOf(d) != nil || liveSince(base, jemallocprof.MemtableSpare) != 0 {
		t.Fatalf("SetMemTableSize kept a spare of the old size: %d bytes", liveSince(base, jemallocprof.MemtableSpare))
	}
	setAndFlush(t, d, "e") // the last 64 KiB memtable goes
	if spareArenaOf(d) != nil {
		t.Fatal("a 64 KiB arena kept after SetMemTableSize(128 KiB)")
	}
	big := mutableArena(d)
	setAndFlush(t, d, "f")
	if spareArenaOf(d) != big || d.Metrics().MemTable.SpareCapacity < 128<<10 {
		t.Fatalf("the 128 KiB arena is not the spare: %p, want %p", spareArenaOf(d), big)
	}
	for _, k := range []string{"pinned", "a", "b", "big0999", "c", "d", "e", "f"} {
		if mustGet(t, d, k) == "<nil>" {
			t.Fatalf("%s lost", k)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)
}

// TestSpareArenaReleasedAfterClose: a memtable an iterator still reads
// when the DB closes is freed when the iterator closes, not kept as a
// spare nobody will take.
func TestSpareArenaReleasedAfterClose(t *testing.T) {
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	setAndFlush(t, d, "a")
	if err := d.Set([]byte("b"), []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if liveSince(base, jemallocprof.MemtableSpare) != 0 {
		t.Fatal("Close left the spare")
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil || n != 2 {
		t.Fatalf("iterator after Close: %d keys, %v", n, err)
	}
	checkNoLeak(t, base)
}

// TestSpareArenaContents: memtables on recycled arenas (in the invariants
// build poisoned with 0xdb, otherwise holding the previous memtable's
// nodes) answer exactly: random sets, deletes and range deletions through
// small memtables, checked against the model with data in the memtables,
// while readers check that every value they see belongs to its key.
func TestSpareArenaContents(t *testing.T) {
	rounds := 24
	if testing.Short() || raceEnabled {
		rounds = 10
	}
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	allocs0 := arenaAllocs()
	const keys = 2000
	keyN := func(i int) []byte { return fmt.Appendf(nil, "k%04d", i) }
	rng := rand.New(rand.NewPCG(3, 4))
	key := func() []byte { return keyN(rng.IntN(keys)) }
	fail := func(format string, args ...any) { t.Helper(); t.Fatalf(format, args...) }

	// Readers: a value is its key, "=", and letters; a value of another
	// key, or garbage, means an arena was reused while still read.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	errc := make(chan error, 2)
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rr := rand.New(rand.NewPCG(uint64(r), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				var prefix []byte
				belongs := func(k, v []byte) bool {
					prefix = append(append(prefix[:0], k...), '=')
					return bytes.HasPrefix(v, prefix)
				}
				k := keyN(rr.IntN(keys))
				if v, err := d.Get(k); err == nil && !belongs(k, v) {
					errc <- fmt.Errorf("Get(%s) = %q", k, v)
					return
				} else if err != nil && err != ErrNotFound {
					errc <- err
					return
				}
				it, err := d.NewIter(nil)
				if err != nil {
					errc <- err
					return
				}
				var last []byte
				n := 0
				for ok := it.SeekGE(k); ok && n < 50; ok = it.Next() {
					if bytes.Compare(it.Key(), last) <= 0 || !belongs(it.Key(), it.Value()) {
						errc <- fmt.Errorf("iterator after %q: %q=%q", last, it.Key(), it.Value())
						it.Close()
						return
					}
					last = append(last[:0], it.Key()...)
					n++
				}
				if err := it.Close(); err != nil {
					errc <- err
					return
				}
				// Readers that never pause would pin most flushed
				// arenas past the next rotation.
				time.Sleep(50 * time.Microsecond)
			}
		}()
	}

	m := model{}
	b := d.NewBatch()
	apply := func() {
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
		b.Reset()
	}
	for round := range rounds {
		// About two memtables of writes per round.
		for range 600 {
			switch r := rng.IntN(30); {
			case r == 0:
				lo := rng.IntN(keys)
				hi := lo + 1 + rng.IntN(20)
				b.DeleteRange(keyN(lo), keyN(hi))
				for i := lo; i < hi; i++ {
					delete(m, string(keyN(i)))
				}
			case r < 5:
				k := key()
				b.Delete(k)
				delete(m, string(k))
			default:
				k := key()
				v := append(append([]byte(nil), k...), '=')
				for n := 50 + rng.IntN(150); n > 0; n-- {
					v = append(v, byte('a'+rng.IntN(26)))
				}
				b.Set(k, v)
				m[string(k)] = string(v)
			}
			if b.Count() == 8 {
				apply()
			}
		}
		if b.Count() > 0 {
			apply()
		}
		for i := range keys {
			k := keyN(i)
			got, err := d.Get(k)
			want, ok := m[string(k)]
			checkGet(t, fail, fmt.Sprintf("round %d:", round), k, got, err, want, ok)
		}
		checkAll(t, fail, d, m)
		for range 20 {
			checkIter(t, fail, rng, d.NewIter, m, key)
		}
	}
	close(stop)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	mt := d.Metrics()
	allocs := arenaAllocs() - allocs0
	t.Logf("%d flushes, %d arenas allocated", mt.Flush.Count, allocs)
	if mt.Flush.Count < int64(rounds) || allocs >= mt.Flush.Count {
		t.Fatalf("%d flushes allocated %d arenas: want rotations to reuse them", mt.Flush.Count, allocs)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)
}

// TestSpareArenaPrepared: with no arena on its way back (the first
// memtable after Open), the spare is allocated in the background once the
// mutable memtable is half full, so that the rotation takes it instead of
// allocating under the commit mutex. While a flushed memtable's arena
// will come back, none is allocated.
func TestSpareArenaPrepared(t *testing.T) {
	base := memBaseline()
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	spareAllocs := func() int64 { return jemallocprof.Snapshot()[jemallocprof.MemtableSpare].Allocs }
	s0, a0 := spareAllocs(), arenaAllocs()
	val := bytes.Repeat([]byte{'p'}, 100)
	// fill writes keys until the mutable memtable is more than half full.
	fill := func(prefix string) {
		t.Helper()
		for i := 0; ; i++ {
			d.mu.Lock()
			m := d.mu.mem.mutable
			half := m.Size() > m.Capacity()/2
			d.mu.Unlock()
			if half {
				break
			}
			if err := d.Set(fmt.Appendf(nil, "%s%04d", prefix, i), val, nil); err != nil {
				t.Fatal(err)
			}
		}
		// The check runs as a commit reserves room.
		if err := d.Set([]byte(prefix+"-last"), val, nil); err != nil {
			t.Fatal(err)
		}
		waitSparePrepared(d)
	}
	fill("a")
	prepared := spareArenaOf(d)
	if prepared == nil || spareAllocs() != s0+1 || arenaAllocs() != a0+1 {
		t.Fatalf("no spare prepared at half full: spare %p, %d allocations", prepared, arenaAllocs()-a0)
	}
	first := mutableArena(d)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if mutableArena(d) != prepared || arenaAllocs() != a0+1 || spareArenaOf(d) != first {
		t.Fatalf("the rotation did not take the prepared spare: mutable %p, want %p; %d allocations; spare %p, want %p",
			mutableArena(d), prepared, arenaAllocs()-a0, spareArenaOf(d), first)
	}
	// An iterator keeps the next flushed arena from coming back: at half
	// full of the memtable after it, a spare is prepared again...
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	fill("b")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if spareArenaOf(d) != nil || arenaAllocs() != a0+1 {
		t.Fatalf("with the flushed arena still read: spare %p, %d allocations", spareArenaOf(d), arenaAllocs()-a0)
	}
	fill("c")
	if spareArenaOf(d) == nil || spareAllocs() != s0+2 {
		t.Fatalf("no spare prepared while the flushed arena is read: %d spare allocations", spareAllocs()-s0)
	}
	// ...and the read arena, released, is freed: one spare at most.
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	release := holdBackground(d)
	m := checkMemtableAndCache(t, d, base, "after the reader let go")
	release()
	if m.MemTable.Zombies != 0 || m.MemTable.SpareCapacity == 0 || liveSince(base, jemallocprof.MemtableImmutable) != 0 {
		t.Fatalf("after the reader let go: %s", m)
	}
	// With an immutable memtable of the memtable size waiting for flush,
	// none is prepared: its arena will be the spare. (A stand-in for one:
	// a real flush cannot be held.)
	taken := d.spare.take(64 << 10)
	if taken == nil {
		t.Fatal("no spare to take")
	}
	jemallocprof.Free(jemallocprof.MemtableActive, taken)
	d.mu.Lock()
	q := d.mu.mem.queue
	d.mu.mem.queue = []*memTable{{arena: make([]byte, 64<<10)}, d.mu.mem.mutable}
	d.maybePrepareSpareLocked()
	d.mu.mem.queue = q
	d.mu.Unlock()
	d.spare.mu.Lock()
	preparing := d.spare.preparing
	d.spare.mu.Unlock()
	if preparing {
		t.Fatal("a spare prepared while an immutable memtable's arena is on its way back")
	}
	d.mu.Lock()
	d.maybePrepareSpareLocked() // the real queue: none on its way back
	d.mu.Unlock()
	waitSparePrepared(d)
	if spareArenaOf(d) == nil || spareAllocs() != s0+3 {
		t.Fatalf("no spare prepared with none on its way back: %d spare allocations", spareAllocs()-s0)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, base)
}
