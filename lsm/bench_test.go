package lsm

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/benchcpu"
)

// The engine's micro-benchmarks: 16-byte keys, 100-byte values, the WAL on
// without per-write sync, on the OS filesystem. The read benchmarks preload
// benchPreload keys and flush them to a table first. bench/enginecmp runs
// the same workloads at a larger scale against Pebble.

const (
	benchValueLen = 100
	// benchPreload is the number of keys the read benchmarks load.
	benchPreload = 200_000
	// benchValuePool is the number of distinct values.
	benchValuePool = 1 << 14
)

// benchKeyAt writes the 16-byte key of n into buf (16 hex digits of n, so
// the byte order is the numeric order) and returns it.
func benchKeyAt(buf *[16]byte, n uint64) []byte {
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], n)
	hex.Encode(buf[:], be[:])
	return buf[:]
}

// benchValues returns benchValuePool values of 100 bytes, each half random
// and half a repeat of that half, so a block compresses to about half its
// size (like LevelDB's db_bench). Key n gets value n % benchValuePool, so
// neighbouring keys hold different values.
func benchValues() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, benchValuePool*benchValueLen)
	vals := make([][]byte, benchValuePool)
	for i := range vals {
		v := buf[i*benchValueLen : (i+1)*benchValueLen : (i+1)*benchValueLen]
		for j := range benchValueLen / 2 {
			v[j] = byte(' ' + rng.IntN(95))
		}
		copy(v[benchValueLen/2:], v[:benchValueLen/2])
		vals[i] = v
	}
	return vals
}

func benchOpen(b *testing.B) *DB {
	b.Helper()
	d, err := Open(b.TempDir(), &Options{WALMode: WALSyncNo})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func benchClose(b *testing.B, d *DB) {
	b.Helper()
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchPreloaded returns a DB holding the keys 2i for i in [0,
// benchPreload), flushed to tables. The odd keys are absent and sort among
// the present ones.
func benchPreloaded(b *testing.B) *DB {
	b.Helper()
	d := benchPreloadedMem(b)
	if err := d.Flush(); err != nil {
		b.Fatal(err)
	}
	return d
}

// benchPreloadedMem is benchPreloaded without the flush: the keys are in
// the memtable.
func benchPreloadedMem(b *testing.B) *DB {
	b.Helper()
	d := benchOpen(b)
	vals := benchValues()
	var kb [16]byte
	batch := d.NewBatch()
	for i := range uint64(benchPreload) {
		batch.Set(benchKeyAt(&kb, 2*i), vals[2*i%benchValuePool])
		if batch.Count() == 1000 {
			if err := d.Apply(batch, NoSync); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := d.Apply(batch, NoSync); err != nil {
		b.Fatal(err)
	}
	if m := d.Metrics(); m.Flush.Count != 0 {
		b.Fatalf("the keys did not stay in the memtable:\n%s", m)
	}
	return d
}

func BenchmarkFillSeq(b *testing.B) {
	d := benchOpen(b)
	vals := benchValues()
	var kb [16]byte
	b.SetBytes(16 + benchValueLen)
	b.ReportAllocs()
	cpu := benchcpu.Process()
	var i uint64
	for b.Loop() {
		if err := d.Set(benchKeyAt(&kb, i), vals[i%benchValuePool], NoSync); err != nil {
			b.Fatal(err)
		}
		i++
	}
	benchcpu.Report(b, cpu)
	benchClose(b, d)
}

func BenchmarkFillRandom(b *testing.B) {
	d := benchOpen(b)
	vals := benchValues()
	rng := rand.New(rand.NewPCG(3, 4))
	var kb [16]byte
	b.SetBytes(16 + benchValueLen)
	b.ReportAllocs()
	cpu := benchcpu.Process()
	for b.Loop() {
		n := rng.Uint64()
		if err := d.Set(benchKeyAt(&kb, n), vals[n%benchValuePool], NoSync); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, cpu)
	benchClose(b, d)
}

// BenchmarkReadRandomHit reads random present keys with GetAppend into a
// reused buffer, as a server reading into its reply buffer would.
func BenchmarkReadRandomHit(b *testing.B) {
	d := benchPreloaded(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var kb [16]byte
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		v, err := d.GetAppend(buf[:0], benchKeyAt(&kb, 2*rng.Uint64N(benchPreload)))
		if err != nil {
			b.Fatal(err)
		}
		buf = v
	}
	benchClose(b, d)
}

// BenchmarkReadRandomHitMany is BenchmarkReadRandomHit through GetMany, 16
// keys a call (a pipeline of GETs); it reports ns per key. The Mem
// variants read the same keys from the memtable, unflushed.
func BenchmarkReadRandomHitMany(b *testing.B) { benchReadMany(b, benchPreloaded(b), 16) }

func BenchmarkReadMemRandomHit(b *testing.B) { benchReadMany(b, benchPreloadedMem(b), 1) }

func BenchmarkReadMemRandomHitMany(b *testing.B) { benchReadMany(b, benchPreloadedMem(b), 16) }

// benchReadMany reads random present keys of d, n at a time (through Get
// when n is 1).
func benchReadMany(b *testing.B, d *DB, n int) {
	rng := rand.New(rand.NewPCG(5, 6))
	kbs := make([][16]byte, n)
	keys, vals, found := make([][]byte, n), make([][]byte, n), make([]bool, n)
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%n == 0 {
			for j := range keys {
				keys[j] = benchKeyAt(&kbs[j], 2*rng.Uint64N(benchPreload))
			}
			var err error
			if n == 1 {
				buf, err = d.GetAppend(buf[:0], keys[0])
			} else {
				buf, err = d.GetMany(buf[:0], keys, vals, found, 0)
				for j := range found {
					if !found[j] {
						b.Fatalf("%s not found", keys[j])
					}
				}
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
	benchClose(b, d)
}

// BenchmarkReadRandomMiss reads random absent keys that sort among the
// present ones, so only the bloom filters keep the lookups off the data
// blocks.
func BenchmarkReadRandomMiss(b *testing.B) {
	d := benchPreloaded(b)
	rng := rand.New(rand.NewPCG(7, 8))
	var kb [16]byte
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		_, err := d.GetAppend(buf[:0], benchKeyAt(&kb, 2*rng.Uint64N(benchPreload)+1))
		if !errors.Is(err, ErrNotFound) {
			b.Fatalf("want ErrNotFound, got %v", err)
		}
	}
	benchClose(b, d)
}

// BenchmarkScan scans the whole preloaded DB forward once per iteration
// and reports entries/s.
func BenchmarkScan(b *testing.B) { benchScan(b, benchPreloaded(b)) }

// BenchmarkScanMem is BenchmarkScan over a memtable (a list's LRANGE reads
// recent elements there).
func BenchmarkScanMem(b *testing.B) { benchScan(b, benchPreloadedMem(b)) }

func benchScan(b *testing.B, d *DB) {
	b.ReportAllocs()
	entries := 0
	for b.Loop() {
		it, err := d.NewIter(nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			_, _ = it.Key(), it.Value()
			n++
		}
		if err := it.Close(); err != nil {
			b.Fatal(err)
		}
		if n != benchPreload {
			b.Fatalf("scanned %d entries, want %d", n, benchPreload)
		}
		entries += n
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
	benchClose(b, d)
}

// BenchmarkCompactL0 measures a compaction: four L0 tables of 50,000
// random keys each (100-byte values, overlapping), compacted into the
// levels below by Compact. Only the compaction is timed; b.SetBytes is
// the user data it reads.
func BenchmarkCompactL0(b *testing.B) {
	// cached: the compaction caches its output (CacheCompactedBlocks), all
	// of it here: the cache has room for it.
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) { benchCompactL0(b, cached) })
	}
}

func benchCompactL0(b *testing.B, cached bool) {
	const tables, perTable = 4, 50_000
	vals := benchValues()
	rng := rand.New(rand.NewPCG(5, 6))
	var kb [16]byte
	b.SetBytes(tables * perTable * (16 + benchValueLen))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d, err := Open(b.TempDir(), &Options{WALMode: WALDisabled, L0CompactionThreshold: 1 << 20, L0SlowdownWritesThreshold: 1 << 20, L0StopWritesThreshold: 1 << 20,
			CacheCompactedBlocks: cached})
		if err != nil {
			b.Fatal(err)
		}
		for range tables {
			for range perTable {
				n := rng.Uint64()
				if err := d.Set(benchKeyAt(&kb, n), vals[n%benchValuePool], NoSync); err != nil {
					b.Fatal(err)
				}
			}
			if err := d.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := d.Compact(nil, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if cached && d.Metrics().BlockCache.Count == 0 {
			b.Fatal("the compaction cached nothing")
		}
		benchClose(b, d)
		b.StartTimer()
	}
}
