package sstable

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

const benchKeys = 100000

func benchKey(i int) []byte { return fmt.Appendf(nil, "user:%08d", i) }

func buildBenchTable(b *testing.B, c Compression) *memFile {
	b.Helper()
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Compression: c})
	val := make([]byte, 100)
	for i := 0; i < benchKeys; i++ {
		if err := w.Add(base.MakeInternalKey(benchKey(i), base.SeqNum(i+1), base.InternalKeyKindSet), val); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return f.reopen()
}

func BenchmarkWriter(b *testing.B) {
	keys := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	val := make([]byte, 100)
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(int64(benchKeys * (len(keys[0]) + 8 + len(val))))
			b.ReportAllocs()
			for b.Loop() {
				w := NewWriter(&memFile{}, WriterOptions{Compression: c})
				for i, k := range keys {
					if err := w.Add(base.MakeInternalKey(k, base.SeqNum(i+1), base.InternalKeyKindSet), val); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		b.Run(c.String(), func(b *testing.B) {
			r, err := NewReader(buildBenchTable(b, c), ReaderOptions{Cache: NewCache(64 << 20), FileNum: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			keys := make([][]byte, 4096)
			for i := range keys {
				keys[i] = benchKey((i * 7919) % benchKeys)
				r.Get(nil, keys[i], base.SeqNumMax) // warm the cache
			}
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v, _, found, err := r.Get(buf[:0], keys[i&4095], base.SeqNumMax)
				if err != nil || !found || len(v) != 100 {
					b.Fatal("miss")
				}
				i++
			}
		})
	}
}

func BenchmarkIterNext(b *testing.B) {
	for _, c := range []Compression{NoCompression, FastCompression} {
		b.Run(c.String(), func(b *testing.B) {
			r, err := NewReader(buildBenchTable(b, c), ReaderOptions{Cache: NewCache(64 << 20), FileNum: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			it, _ := r.NewIter(nil, nil)
			for ok := it.First(); ok; ok = it.Next() { // warm the cache
			}
			it.First()
			b.ReportAllocs()
			for b.Loop() {
				if !it.Next() {
					it.First()
				}
			}
			it.Close()
		})
	}
}

// BenchmarkGetLarge reads random keys of a table of 1M keys (about 35,000
// data blocks, an index of as many entries) with every block cached: the
// lookups' cost is the index and block searches over memory that does not
// fit the CPU caches, as in a server whose working set is larger than them.
func BenchmarkGetLarge(b *testing.B) {
	const n = 1 << 20
	r, keys := largeTable(b, n)
	defer r.Close()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v, _, found, err := r.Get(buf[:0], keys[i&(n-1)], base.SeqNumMax)
		if err != nil || !found || len(v) != 100 {
			b.Fatal("miss")
		}
		i++
	}
}

// largeTable builds a table of n keys with 100-byte values, opens it with
// a cache that holds it whole and reads every block into that cache; keys
// are its keys in a scattered order.
func largeTable(b *testing.B, n int) (*Reader, [][]byte) {
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Compression: FastCompression})
	val := make([]byte, 100)
	key := func(i int) []byte { return fmt.Appendf(nil, "m\x00key:%012d", i) }
	for i := 0; i < n; i++ {
		if err := w.Add(base.MakeInternalKey(key(i), base.SeqNum(i+1), base.InternalKeyKindSet), val); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := NewReader(f.reopen(), ReaderOptions{Cache: NewCache(1 << 30), FileNum: 1})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = key(int(uint64(i) * 0x9E3779B97F4A7C15 % uint64(n)))
		r.Get(nil, keys[i], base.SeqNumMax) // load every block into the cache
	}
	return r, keys
}

// BenchmarkGetManyLarge is BenchmarkGetLarge with the lookups made 16 at a
// time through GetMany; it reports ns per key, as BenchmarkGetLarge does.
func BenchmarkGetManyLarge(b *testing.B) {
	const n = 1 << 20
	r, keys := largeTable(b, n)
	defer r.Close()
	const batch = 16
	ls := make([]Lookup, batch)
	for i := range ls {
		ls[i].R, ls[i].Seq, ls[i].Dst = r, base.SeqNumMax, make([]byte, 0, 256)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%batch == 0 {
			for j := range ls {
				ls[j].Key = keys[(i+j)&(n-1)]
			}
			GetMany(ls)
			for j := range ls {
				if l := &ls[j]; l.Err != nil || !l.Found || len(l.Value) != 100 {
					b.Fatal("miss")
				}
			}
		}
		i++
	}
}

// BenchmarkBloom checks keys a filter holds (all of its probes are tested)
// against a filter of 8M keys (10 MiB, more than the CPU's L2), as a
// lookup does at each level, in the two layouts.
func BenchmarkBloom(b *testing.B) {
	const n = 8 << 20
	hashes := make([]uint64, n)
	for i := range hashes {
		hashes[i] = bloomHash(fmt.Appendf(nil, "key%09d", i))
	}
	for _, l := range []struct {
		name   string
		build  func([]uint64, int) []byte
		decode func([]byte) (bloomFilter, error)
	}{{"bloom512", buildBloom, decodeBloom}, {"bloom64", buildBloomV1, decodeBloomV1}} {
		f, err := l.decode(l.build(hashes, 10))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(l.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if !f.mayContain(hashes[(uint64(i)*0x9E3779B97F4A7C15)>>41]) {
					b.Fatal("false negative")
				}
				i++
			}
		})
	}
}
