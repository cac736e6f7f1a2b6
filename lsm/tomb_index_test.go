package lsm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// TestTombIndexMatchesBruteForce: the index and the memtable's
// index-plus-tail return exactly the tombstones a linear scan finds, for
// short, wide, empty and nested tombstones.
func TestTombIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	key := func() []byte { return fmt.Appendf(nil, "%03d", r.IntN(200)) }
	for round := range 50 {
		var ts []tombstone
		var mt memTombs
		n := r.IntN(300)
		for i := range n {
			a, b := key(), key()
			if r.IntN(20) == 0 {
				a, b = []byte("000"), []byte("150") // wide
			}
			t := tombstone{start: a, end: b, seq: base.SeqNum(i + 1)}
			ts = append(ts, t)
			mt.add(a, b, t.seq)
		}
		x := newTombIndex(ts)
		names := func(f func(fn func(t *tombstone))) []base.SeqNum {
			var out []base.SeqNum
			f(func(t *tombstone) { out = append(out, t.seq) })
			slices.Sort(out)
			return out
		}
		for q := range 100 {
			lo, hi := key(), key()
			if q%10 == 0 {
				lo = nil
			}
			if q%7 == 0 {
				hi = nil
			}
			var want []base.SeqNum
			for _, t := range ts {
				if (hi == nil || string(t.start) < string(hi)) && string(t.end) > string(lo) {
					want = append(want, t.seq)
				}
			}
			slices.Sort(want)
			if got := names(func(fn func(*tombstone)) { x.visit(lo, hi, fn) }); !slices.Equal(got, want) {
				t.Fatalf("round %d: visit(%q, %q) = %v, want %v", round, lo, hi, got, want)
			}
			if got := names(func(fn func(*tombstone)) { mt.visit(lo, hi, fn) }); !slices.Equal(got, want) {
				t.Fatalf("round %d: memtable visit(%q, %q) = %v, want %v", round, lo, hi, got, want)
			}
			k := key()
			want = want[:0]
			for _, t := range ts {
				if t.covers(k, 0) {
					want = append(want, t.seq)
				}
			}
			slices.Sort(want)
			if got := names(func(fn func(*tombstone)) { x.covering(k, fn) }); !slices.Equal(got, want) {
				t.Fatalf("round %d: covering(%q) = %v, want %v", round, k, got, want)
			}
			if got := names(func(fn func(*tombstone)) { mt.covering(k, fn) }); !slices.Equal(got, want) {
				t.Fatalf("round %d: memtable covering(%q) = %v, want %v", round, k, got, want)
			}
		}
	}
}

// BenchmarkGetWithManyRangeDels: point reads in a memtable holding 100,000
// small range tombstones (one per deleted complex key).
func BenchmarkGetWithManyRangeDels(b *testing.B) {
	var mt memTombs
	for i := range 100000 {
		mt.add(fmt.Appendf(nil, "d%08d", i), fmt.Appendf(nil, "d%08d\xff", i), base.SeqNum(i+1))
	}
	key := []byte("d00050000x")
	b.ResetTimer()
	for range b.N {
		n := 0
		mt.covering(key, func(*tombstone) { n++ })
		if n != 1 {
			b.Fatal(n)
		}
	}
}
