package memtable

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// TestDirtyArena: New does not need a zeroed arena. The engine recycles
// the arena of a flushed memtable for the next one, so an arena may hold
// anything: a fill pattern (0xff makes every stale link an out-of-range
// offset, 0xdb is the poison of freed buffers), random bytes, or the
// nodes of an earlier memtable, whose links are plausible offsets. Each
// memtable built on such an arena must match the model: iterators both
// ways with bounds, Get through the filter and the index, the range
// tombstones, and the skiplists' structure.
func TestDirtyArena(t *testing.T) {
	fill := func(b []byte, c byte) {
		for i := range b {
			b[i] = c
		}
	}
	for _, size := range []int{8 << 10, 1 << 20} { // without and with filter and index
		for _, pattern := range []string{"0xff", "0xdb", "random"} {
			t.Run(fmt.Sprintf("%d/%s", size, pattern), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(size), 7))
				arena := make([]byte, size)
				switch pattern {
				case "0xff":
					fill(arena, 0xff)
				case "0xdb":
					fill(arena, 0xdb)
				default:
					for i := range arena {
						arena[i] = byte(rng.Uint32())
					}
				}
				// The same arena for several memtables in turn: after
				// the first, it holds the previous one's nodes.
				for gen := range 4 {
					checkOnArena(t, rng, arena, gen)
				}
			})
		}
	}
}

// checkOnArena builds a memtable on arena, adds random point entries and
// range tombstones and checks it against the model.
func checkOnArena(t *testing.T, rng *rand.Rand, arena []byte, gen int) {
	t.Helper()
	m := New(arena)
	if !m.Empty() || m.NewRangeDelIter() != nil {
		t.Fatalf("gen %d: a new memtable is not empty", gen)
	}
	empty := m.NewIter(nil, nil)
	if empty.First() || empty.Last() || empty.SeekGE([]byte("a")) || empty.SeekLT([]byte("z")) {
		t.Fatalf("gen %d: an iterator over a new memtable found %s", gen, empty.Key())
	}
	if err := empty.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := m.Get([]byte("a"), base.SeqNumMax); ok {
		t.Fatalf("gen %d: Get found a key in a new memtable", gen)
	}
	var points, dels []itertest.Entry
	present := map[string]bool{}
	// Fewer entries in a small arena, so that they fit.
	n := min(300, len(arena)/100)
	for range n {
		kind := base.InternalKeyKindSet
		switch r := rng.IntN(8); {
		case r == 0:
			kind = base.InternalKeyKindDelete
		case r == 1:
			kind = base.InternalKeyKindRangeDelete
		}
		k := base.MakeInternalKey(randUserKey(rng), base.SeqNum(1+rng.IntN(200)), kind)
		v := fmt.Appendf(nil, "g%d-%d", gen, rng.IntN(1000))
		if kind == base.InternalKeyKindRangeDelete {
			v = append(randUserKey(rng), 'z')
		}
		err := m.Add(k, v)
		if present[k.String()] {
			if !errors.Is(err, ErrRecordExists) {
				t.Fatalf("gen %d: Add(%s) of a duplicate = %v", gen, k, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("gen %d: Add(%s) = %v", gen, k, err)
		}
		present[k.String()] = true
		e := itertest.Entry{Key: k.Clone(), Value: v}
		if kind == base.InternalKeyKindRangeDelete {
			dels = append(dels, e)
		} else {
			points = append(points, e)
		}
	}
	sortEntries(points)
	sortEntries(dels)
	if m.Count() != len(points)+len(dels) {
		t.Fatalf("gen %d: Count = %d, want %d", gen, m.Count(), len(points)+len(dels))
	}
	checkStructure(t, &m.points)
	checkStructure(t, &m.rangeDels)
	for range 30 {
		checkRandomOps(t, rng, m, points)
	}
	checkGets(t, rng, m, points)
	it := m.NewRangeDelIter()
	if it == nil {
		if len(dels) > 0 {
			t.Fatalf("gen %d: no range tombstones, want %d", gen, len(dels))
		}
		return
	}
	got, err := itertest.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, dels, func(a, b itertest.Entry) bool {
		return base.InternalCompare(a.Key, b.Key) == 0 && bytes.Equal(a.Value, b.Value)
	}) {
		t.Fatalf("gen %d: range tombstones %v, want %v", gen, got, dels)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}
