package sstable

import (
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// TestCacheIndexModel runs random adds and removes against a map and
// checks lookups, the count and the array's bounds: at least one bucket
// per entry, no more than four per entry (eight, with the size class's
// rounding) above the minimum, none at all when empty, and bytes that
// are the array's.
func TestCacheIndexModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var x cacheIndex
	model := map[cacheKey]*cacheEntry{}
	var keys []cacheKey
	check := func(step int) {
		t.Helper()
		if x.count != len(model) {
			t.Fatalf("step %d: count %d, model %d", step, x.count, len(model))
		}
		n := len(x.buckets)
		switch {
		case x.count == 0 && n != 0:
			t.Fatalf("step %d: empty index keeps %d buckets", step, n)
		case x.count > 0 && (n < x.count || (n >= 2*minCacheBuckets && n > 8*x.count)):
			t.Fatalf("step %d: %d buckets for %d entries", step, n, x.count)
		}
		if x.bytes() != int64(8*n) {
			t.Fatalf("step %d: bytes %d for %d buckets", step, x.bytes(), n)
		}
	}
	for step := range 20000 {
		// Grow for the first half, shrink for the second.
		grow := step < 10000
		if len(keys) > 0 && (rng.IntN(3) == 0 || !grow && rng.IntN(4) != 0) {
			i := rng.IntN(len(keys))
			k := keys[i]
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			x.remove(model[k])
			delete(model, k)
		} else {
			k := cacheKey{base.FileNum(rng.IntN(50)), uint64(rng.IntN(1 << 20))}
			if model[k] != nil {
				continue
			}
			e := &cacheEntry{key: k, hash: hashKey(k)}
			x.add(e)
			model[k] = e
			keys = append(keys, k)
		}
		check(step)
		if step%97 == 0 {
			for k, e := range model {
				if got := x.find(k, hashKey(k)); got != e {
					t.Fatalf("step %d: find(%v) = %p, want %p", step, k, got, e)
				}
			}
			missing := cacheKey{base.FileNum(99), uint64(step)}
			if x.find(missing, hashKey(missing)) != nil {
				t.Fatalf("step %d: found a key never added", step)
			}
		}
	}
	for _, k := range keys {
		x.remove(model[k])
		delete(model, k)
	}
	check(-1)
}
