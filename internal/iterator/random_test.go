package iterator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// modelEntry is one entry of the model: a sorted slice of every entry of
// every child, ordered by (internal key, child), filtered by the bounds.
type modelEntry struct {
	key   base.InternalKey
	value []byte
	child int
}

var randomUserKeys = []string{"", "a", "aa", "b", "c", "cc", "d", "e", "f", "g"}

func randomUserKey(rng *rand.Rand) []byte {
	return []byte(randomUserKeys[rng.IntN(len(randomUserKeys))])
}

func randomBound(rng *rand.Rand) []byte {
	if rng.IntN(3) == 0 {
		return nil
	}
	return randomUserKey(rng)
}

// randomSource returns up to 15 distinct entries sorted by InternalCompare.
// Sequence numbers come from a small range, so identical internal keys in
// different children are common.
func randomSource(rng *rand.Rand, child int) source {
	seen := map[string]bool{}
	var keys []base.InternalKey
	for range rng.IntN(16) {
		k := base.MakeInternalKey(randomUserKey(rng), base.SeqNum(1+rng.IntN(4)), base.InternalKeyKind(rng.IntN(3)))
		if !seen[k.String()] {
			seen[k.String()] = true
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, base.InternalCompare)
	s := source{keys: keys}
	for i := range keys {
		s.values = append(s.values, fmt.Appendf(nil, "c%d.%d", child, i))
	}
	return s
}

// randomLevel splits a source into files at random points.
func randomLevel(rng *rand.Rand, s source) *testLevel {
	l := &testLevel{}
	for start := 0; start < len(s.keys); {
		end := start + 1 + rng.IntN(4)
		end = min(end, len(s.keys))
		l.files = append(l.files, LevelFile{Smallest: s.keys[start], Largest: s.keys[end-1]})
		l.sources = append(l.sources, source{keys: s.keys[start:end], values: s.values[start:end]})
		start = end
	}
	return l
}

func buildModel(sources []source, lower, upper []byte) []modelEntry {
	var m []modelEntry
	for c, s := range sources {
		for i, k := range s.keys {
			if lower != nil && bytes.Compare(k.UserKey, lower) < 0 ||
				upper != nil && bytes.Compare(k.UserKey, upper) >= 0 {
				continue
			}
			m = append(m, modelEntry{key: k, value: s.values[i], child: c})
		}
	}
	slices.SortStableFunc(m, func(a, b modelEntry) int {
		if c := base.InternalCompare(a.key, b.key); c != 0 {
			return c
		}
		return a.child - b.child
	})
	return m
}

// checkAgainstModel runs random operations on it and on the model and
// compares every result. It returns the trace for failure messages.
func checkAgainstModel(t *testing.T, rng *rand.Rand, it base.InternalIterator, model []modelEntry, desc string) {
	t.Helper()
	pos := -1 // -1 or len(model): invalid
	valid := func() bool { return pos >= 0 && pos < len(model) }
	var trace []string
	for range 60 {
		var op string
		var got bool
		switch r := rng.IntN(10); {
		case valid() && r < 3:
			op, got = "next", it.Next()
			pos++
		case valid() && r < 6:
			op, got = "prev", it.Prev()
			pos--
		case r < 7:
			op, got = "first", it.First()
			pos = 0
		case r < 8:
			op, got = "last", it.Last()
			pos = len(model) - 1
		case r < 9:
			k := randomUserKey(rng)
			op, got = "seek-ge "+string(k), it.SeekGE(k)
			pos, _ = slices.BinarySearchFunc(model, k, func(e modelEntry, k []byte) int {
				if bytes.Compare(e.key.UserKey, k) < 0 {
					return -1
				}
				return 1
			})
		default:
			k := randomUserKey(rng)
			op, got = "seek-lt "+string(k), it.SeekLT(k)
			pos, _ = slices.BinarySearchFunc(model, k, func(e modelEntry, k []byte) int {
				if bytes.Compare(e.key.UserKey, k) < 0 {
					return -1
				}
				return 1
			})
			pos--
		}
		want := "."
		if valid() {
			want = fmt.Sprintf("%s:%s", model[pos].key, model[pos].value)
		}
		trace = append(trace, op+" -> "+want)
		gotStr := "."
		if it.Valid() {
			gotStr = fmt.Sprintf("%s:%s", it.Key(), it.Value())
		}
		if got != it.Valid() || gotStr != want || it.Error() != nil {
			t.Fatalf("%s\ntrace:\n  %s\ngot %s (returned %v, err %v)", desc, strings.Join(trace, "\n  "), gotStr, got, it.Error())
		}
	}
}

// TestRandomized compares the merging iterator, over random mixes of slice
// and level children with random bounds, and each level iterator on its
// own, with a sorted merge of all entries.
func TestRandomized(t *testing.T) {
	runs := 2000
	if testing.Short() {
		runs = 200
	}
	for seed := range runs {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		lower, upper := randomBound(rng), randomBound(rng)
		n := rng.IntN(6)
		sources := make([]source, n)
		children := make([]base.InternalIterator, n)
		var levels []*testLevel
		var desc strings.Builder
		fmt.Fprintf(&desc, "seed %d lower=%q upper=%q\n", seed, lower, upper)
		for c := range n {
			sources[c] = randomSource(rng, c)
			if rng.IntN(2) == 0 {
				children[c] = sources[c].iter(lower, upper)
				fmt.Fprintf(&desc, "child %d slice: %v\n", c, sources[c].keys)
				continue
			}
			l := randomLevel(rng, sources[c])
			levels = append(levels, l)
			children[c] = NewLevel(l.files, l.newIter(nil), lower, upper)
			fmt.Fprintf(&desc, "child %d level: %v\n", c, l.files)

			// The level iterator alone against its own model.
			alone := NewLevel(l.files, l.newIter(nil), lower, upper)
			checkAgainstModel(t, rng, alone, buildModel(sources[c:c+1], lower, upper), desc.String()+"(level alone)")
			if err := alone.Close(); err != nil {
				t.Fatal(err)
			}
		}
		it := NewMerging(children...)
		checkAgainstModel(t, rng, it, buildModel(sources, lower, upper), desc.String())
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		for _, l := range levels {
			if l.open != 0 || l.maxOpen > 1 {
				t.Fatalf("%s: %d files left open, at most %d open at once", desc.String(), l.open, l.maxOpen)
			}
		}
	}
}
