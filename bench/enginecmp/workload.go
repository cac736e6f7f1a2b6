package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
)

// The workloads, named as in LevelDB's db_bench.
const (
	wFillSeq     = "fillseq"     // n Sets in key order, fresh DB
	wFillRandom  = "fillrandom"  // n Sets in random order (each key once), fresh DB
	wReadRandom  = "readrandom"  // n Gets of random present keys
	wReadMissing = "readmissing" // n Gets of random absent keys
	wScan        = "scan"        // one full forward scan
	wOverwrite   = "overwrite"   // n Sets of random present keys

	// On a DB of -bign keys of its own, so that compactions run.
	wFillRandomBig = "fillrandom10m" // -bign Sets in random order, fresh DB
	wReadRandomBig = "readrandom10m" // n Gets of random present keys
	wScanBig       = "scan10m"       // one full forward scan

	// On a DB of n keys of its own.
	wDeleteRange = "deleterange" // DeleteRange half the keys in ~1,000-key spans, then Compact
)

var allWorkloads = []string{
	wFillSeq, wFillRandom, wReadRandom, wReadMissing, wScan, wOverwrite,
	wFillRandomBig, wReadRandomBig, wScanBig, wDeleteRange,
}

// usesLoad reports whether w runs on the DB that fillrandom loads.
func usesLoad(w string) bool {
	return w == wFillRandom || w == wReadRandom || w == wReadMissing || w == wScan || w == wOverwrite
}

// usesBig reports whether w runs on the DB that fillrandom10m loads.
func usesBig(w string) bool { return w == wFillRandomBig || w == wReadRandomBig || w == wScanBig }

const (
	keyLen   = 16
	valueLen = 100
)

// keyAt writes the key of n into buf: 16 hex digits, so byte order is
// numeric order. The workloads store the even numbers 2i, i in [0, n); the
// odd ones are the absent keys, which sort among the present ones.
func keyAt(buf *[keyLen]byte, n uint64) []byte {
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], n)
	hex.Encode(buf[:], be[:])
	return buf[:]
}

// valuePoolSize is the number of distinct values; key k gets value
// k % valuePoolSize, so neighbouring keys hold different values.
const valuePoolSize = 1 << 14

// makeValues returns the value pool: each value is half random bytes and
// half a repeat of them, so a block compresses to about half its size (as
// db_bench's values do).
func makeValues() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, valuePoolSize*valueLen)
	vals := make([][]byte, valuePoolSize)
	for i := range vals {
		v := buf[i*valueLen : (i+1)*valueLen : (i+1)*valueLen]
		for j := range valueLen / 2 {
			v[j] = byte(' ' + rng.IntN(95))
		}
		copy(v[valueLen/2:], v[:valueLen/2])
		vals[i] = v
	}
	return vals
}

// fill Sets key 2*order(i) for i in [0, n), split round-robin among
// writers goroutines.
func fill(e engine, vals [][]byte, n, writers int, order func(i int) uint64) error {
	return parallel(writers, func(w int) error {
		var kb [keyLen]byte
		for i := w; i < n; i += writers {
			k := 2 * order(i)
			if err := e.set(keyAt(&kb, k), vals[k%valuePoolSize]); err != nil {
				return err
			}
		}
		return nil
	})
}

// readRandom Gets ops random keys among the n stored ones, present (2i) or
// absent (2i+1), split among readers goroutines, and checks every answer.
func readRandom(e engine, vals [][]byte, n, ops, readers int, seed uint64, present bool) error {
	return parallel(readers, func(r int) error {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		var kb [keyLen]byte
		var buf []byte
		for i := r; i < ops; i += readers {
			k := 2 * rng.Uint64N(uint64(n))
			if !present {
				k++
			}
			v, found, err := e.get(buf[:0], keyAt(&kb, k))
			switch {
			case err != nil:
				return err
			case found != present:
				return fmt.Errorf("key %x: found=%v, want %v", keyAt(&kb, k), found, present)
			case found && !bytes.Equal(v, vals[k%valuePoolSize]):
				return fmt.Errorf("key %x: wrong value %q", keyAt(&kb, k), v)
			}
			buf = v
		}
		return nil
	})
}

// scanAll scans the DB forward and checks that it holds n entries of
// keyLen+valueLen bytes.
func scanAll(e engine, n int) error {
	entries, bytes, err := e.scan()
	switch {
	case err != nil:
		return err
	case entries != n:
		return fmt.Errorf("scanned %d entries, want %d", entries, n)
	case bytes != n*(keyLen+valueLen):
		return fmt.Errorf("scanned %d bytes, want %d", bytes, n*(keyLen+valueLen))
	}
	return nil
}

// overwrite Sets ops random present keys among the n stored ones, split
// among writers goroutines, each to the value of the next key, so the
// length of every entry stays the same (scanAll still holds).
func overwrite(e engine, vals [][]byte, n, ops, writers int, seed uint64) error {
	return parallel(writers, func(w int) error {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		var kb [keyLen]byte
		for i := w; i < ops; i += writers {
			k := 2 * rng.Uint64N(uint64(n))
			if err := e.set(keyAt(&kb, k), vals[(k+1)%valuePoolSize]); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteSpans cuts the key indexes [0, n) into spans of 500 to 1,500 keys
// (about 1,000) and returns a random choice of them that covers half the
// keys (rounded up to a whole span), as [lo, hi) index pairs in random
// order, and the number of keys they cover.
func deleteSpans(n int, seed uint64) (spans [][2]int, deleted int) {
	rng := rand.New(rand.NewPCG(seed, 0xde1))
	var all [][2]int
	for lo := 0; lo < n; {
		hi := min(lo+500+rng.IntN(1001), n)
		all = append(all, [2]int{lo, hi})
		lo = hi
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, s := range all {
		if 2*deleted >= n {
			break
		}
		spans = append(spans, s)
		deleted += s[1] - s[0]
	}
	return spans, deleted
}

// deleteRanges issues one DeleteRange per span: keys 2*lo up to 2*hi
// (exclusive).
func deleteRanges(e engine, spans [][2]int) error {
	var lo, hi [keyLen]byte
	for _, s := range spans {
		if err := e.deleteRange(keyAt(&lo, 2*uint64(s[0])), keyAt(&hi, 2*uint64(s[1]))); err != nil {
			return err
		}
	}
	return nil
}

// parallel runs fn(0..k-1) in k goroutines and returns the first error.
func parallel(k int, fn func(i int) error) error {
	if k == 1 {
		return fn(0)
	}
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// randPerm returns a permutation of [0, n) drawn from seed.
func randPerm(n int, seed uint64) []int {
	return rand.New(rand.NewPCG(seed, 0x5eed)).Perm(n)
}
