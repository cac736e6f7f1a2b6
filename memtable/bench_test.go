package memtable

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/base"

	"github.com/strata-db/strata/internal/benchcpu"
)

// benchKeys returns n distinct random 16-byte user keys.
func benchKeys(n int) [][]byte {
	rng := rand.New(rand.NewPCG(7, 7))
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "%016x", rng.Uint64())
	}
	return keys
}

func filled(tb testing.TB, keys [][]byte, value []byte) *MemTable {
	m := New(make([]byte, ArenaSizeFor(len(keys)*MaxEntrySize(16, len(value))+MinArenaSize)))
	for i, k := range keys {
		if err := m.Add(base.MakeInternalKey(k, base.SeqNum(i+1), base.InternalKeyKindSet), value); err != nil {
			tb.Fatal(err)
		}
	}
	return m
}

// TestZeroAllocs checks that Add, AddBatch, Get, Prefetch and every iterator
// step allocate nothing.
func TestZeroAllocs(t *testing.T) {
	keys := benchKeys(2000)
	value := []byte("value")
	m := New(make([]byte, 1<<20))
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		if err := m.Add(base.MakeInternalKey(keys[i], base.SeqNum(i+1), base.InternalKeyKindSet), value); err != nil {
			t.Fatal(err)
		}
		i++
	}); n != 0 {
		t.Errorf("Add: %.1f allocations", n)
	}
	var es [16]Entry
	if n := testing.AllocsPerRun(50, func() {
		for j := range es {
			es[j] = Entry{Key: base.MakeInternalKey(keys[i], base.SeqNum(i+1), base.InternalKeyKindSet), Value: value}
			i++
		}
		if _, err := m.AddBatch(es[:]); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AddBatch: %.1f allocations", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, ok := m.Get(keys[i%1000], base.SeqNumMax); !ok {
			t.Fatal("not found")
		}
		i++
	}); n != 0 {
		t.Errorf("Get: %.1f allocations", n)
	}
	if n := testing.AllocsPerRun(1000, func() { m.Prefetch(KeyHash(keys[i%1000])); i++ }); n != 0 {
		t.Errorf("Prefetch: %.1f allocations", n)
	}
	it := m.NewIter(nil, nil)
	it.First()
	if n := testing.AllocsPerRun(1000, func() {
		if !it.Next() {
			it.First()
		}
		_, _ = it.Key(), it.Value()
	}); n != 0 {
		t.Errorf("Next: %.1f allocations", n)
	}
	it.Last()
	if n := testing.AllocsPerRun(1000, func() {
		if !it.Prev() {
			it.Last()
		}
	}); n != 0 {
		t.Errorf("Prev: %.1f allocations", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		it.SeekGE(keys[i%1000])
		it.SeekLT(keys[i%1000])
		i++
	}); n != 0 {
		t.Errorf("seeks: %.1f allocations", n)
	}
	_ = it.Close()
}

func BenchmarkAdd(b *testing.B) {
	keys := benchKeys(1 << 16)
	value := make([]byte, 64)
	newTable := func() *MemTable {
		return New(make([]byte, ArenaSizeFor(len(keys)*MaxEntrySize(16, len(value))+MinArenaSize)))
	}
	m := newTable()
	b.ReportAllocs()
	b.SetBytes(int64(16 + len(value)))
	for i := 0; b.Loop(); i++ {
		if i == len(keys) {
			b.StopTimer()
			m, i = newTable(), 0
			b.StartTimer()
		}
		if err := m.Add(base.MakeInternalKey(keys[i], base.SeqNum(i+1), base.InternalKeyKindSet), value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddParallel measures concurrent inserts into one memtable, as
// the commit pipeline does when it applies several batches at once.
func BenchmarkAddParallel(b *testing.B) {
	value := make([]byte, 64)
	// Towers average 4/3 links: height 4 leaves ample room for b.N entries.
	m := New(make([]byte, ArenaSizeFor(b.N*int(entrySize(4, 16, len(value)))+MinArenaSize)))
	var next atomic.Uint64
	b.ReportAllocs()
	b.SetBytes(int64(16 + len(value)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ukey [16]byte
		for pb.Next() {
			i := next.Add(1)
			binary.BigEndian.PutUint64(ukey[:], mix64(i))
			binary.BigEndian.PutUint64(ukey[8:], i)
			if err := m.Add(base.MakeInternalKey(ukey[:], base.SeqNum(i), base.InternalKeyKindSet), value); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// mix64 is a bijective integer hash (the splitmix64 finalizer).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// benchSizes are the memtable sizes the read benchmarks run at: one that
// fits in the CPU caches and one that does not.
var benchSizes = []int{1 << 10, 1 << 16}

func BenchmarkGet(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			m := filled(b, keys, make([]byte, 64))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, _, ok := m.Get(keys[i%len(keys)], base.SeqNumMax); !ok {
					b.Fatal("not found")
				}
			}
		})
	}
}

func BenchmarkIterNext(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			m := filled(b, benchKeys(n), make([]byte, 64))
			it := m.NewIter(nil, nil)
			it.First()
			b.ReportAllocs()
			for b.Loop() {
				if !it.Next() {
					it.First()
				}
			}
		})
	}
}

// BenchmarkIterNextWork steps through a memtable too large for the CPU
// caches with some work on each entry between steps, as a merging
// iterator and a reply have: the next node's load, started at each step
// (forwardTo), overlaps that work.
func BenchmarkIterNextWork(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 19} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			m := filled(b, benchKeys(n), make([]byte, 64))
			it := m.NewIter(nil, nil)
			it.First()
			var sum uint64
			for b.Loop() {
				if !it.Next() {
					it.First()
				}
				for range 8 {
					sum += KeyHash(it.(*iterator).key.UserKey)
				}
			}
			if sum == 1 {
				b.Log(sum) // keep the work
			}
		})
	}
}

func BenchmarkIterPrev(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			m := filled(b, benchKeys(n), make([]byte, 64))
			it := m.NewIter(nil, nil)
			it.Last()
			b.ReportAllocs()
			for b.Loop() {
				if !it.Prev() {
					it.Last()
				}
			}
		})
	}
}

func BenchmarkSeekGE(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			it := filled(b, keys, make([]byte, 64)).NewIter(nil, nil)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if !it.SeekGE(keys[i%len(keys)]) {
					b.Fatal("not found")
				}
			}
		})
	}
}

// BenchmarkAddFill inserts keys shaped like the engine benchmark's (16 hex
// digits, 100-byte values) into 64 MiB memtables, starting a new one when
// the arena is full: the memtable side of fillrandom and fillseq. Run it
// with a fixed -benchtime (e.g. 1000000x) so that every run averages over
// the same memtable sizes.
func BenchmarkAddFill(b *testing.B) {
	// updates: new versions of 100,000 random keys, in random order (a
	// hot keyspace's SETs, a collection's metadata key).
	for _, order := range []string{"random", "sequential", "updates"} {
		b.Run(order, func(b *testing.B) {
			value := make([]byte, 100)
			arena := make([]byte, 64<<20)
			m := New(arena)
			var kb [16]byte
			b.ReportAllocs()
			b.SetBytes(int64(len(kb) + len(value)))
			cpu := benchcpu.Process()
			for i := 0; b.Loop(); i++ {
				n := uint64(i)
				switch order {
				case "random":
					n = mix64(n) >> 24
				case "updates":
					n = mix64(mix64(n)%100000) >> 24
				}
				var be [8]byte
				binary.BigEndian.PutUint64(be[:], n)
				hex.Encode(kb[:], be[:])
				key := base.MakeInternalKey(kb[:], base.SeqNum(i+1), base.InternalKeyKindSet)
				err := m.Add(key, value)
				if err == ErrArenaFull {
					b.StopTimer()
					clear(arena)
					m = New(arena)
					b.StartTimer()
					err = m.Add(key, value)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, cpu)
		})
	}
}

// BenchmarkAddBatchFill is BenchmarkAddFill's random order through
// AddBatch, in batches of the given size: the engine applies a batch of
// several entries (MSET, a key batch) this way.
//
// batch=16-sorted sorts each batch, as a key batch's Pending does (the
// keys stay random: a set's members).
func BenchmarkAddBatchFill(b *testing.B) {
	for _, size := range []int{1, 4, 16, -16} {
		sorted := size < 0
		size = max(size, -size)
		name := fmt.Sprintf("batch=%d", size)
		if sorted {
			name += "-sorted"
		}
		b.Run(name, func(b *testing.B) {
			value := make([]byte, 100)
			arena := make([]byte, 64<<20)
			m := New(arena)
			keys := make([][16]byte, size)
			es := make([]Entry, size)
			b.ReportAllocs()
			b.SetBytes(int64(size * (16 + len(value))))
			cpu := benchcpu.Process()
			seq := 0
			for i := 0; b.Loop(); i++ {
				for j := range es {
					var be [8]byte
					binary.BigEndian.PutUint64(be[:], mix64(uint64(i*size+j))>>24)
					hex.Encode(keys[j][:], be[:])
					seq++
					es[j] = Entry{Key: base.MakeInternalKey(keys[j][:], base.SeqNum(seq), base.InternalKeyKindSet), Value: value}
				}
				if sorted {
					slices.SortFunc(es, func(x, y Entry) int { return base.InternalCompare(x.Key, y.Key) })
				}
				n, err := m.AddBatch(es)
				if err == ErrArenaFull {
					b.StopTimer()
					clear(arena)
					m = New(arena)
					b.StartTimer()
					_, err = m.AddBatch(es[n:])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, cpu)
		})
	}
}
