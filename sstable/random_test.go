package sstable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// modelIter is the trivial model of a bounded table iterator: a sorted
// slice and a position.
type modelIter struct {
	entries []itertest.Entry // only those within bounds
	lower   []byte
	upper   []byte
	pos     int // -1 or len = invalid
}

func (m *modelIter) valid() bool { return m.pos >= 0 && m.pos < len(m.entries) }

func (m *modelIter) seekGE(k []byte) {
	if m.lower != nil && bytes.Compare(k, m.lower) < 0 {
		k = m.lower
	}
	m.pos, _ = slices.BinarySearchFunc(m.entries, k, func(e itertest.Entry, k []byte) int {
		if bytes.Compare(e.Key.UserKey, k) < 0 {
			return -1
		}
		return 1
	})
}

func (m *modelIter) seekLT(k []byte) {
	if m.upper != nil && bytes.Compare(k, m.upper) > 0 {
		k = m.upper
	}
	i, _ := slices.BinarySearchFunc(m.entries, k, func(e itertest.Entry, k []byte) int {
		if bytes.Compare(e.Key.UserKey, k) < 0 {
			return -1
		}
		return 1
	})
	m.pos = i - 1
}

func randomEntries(rng *rand.Rand, n int) []itertest.Entry {
	var es []itertest.Entry
	seq := base.SeqNum(1)
	seen := map[string]bool{}
	for len(es) < n {
		kl := 1 + rng.IntN(6)
		k := make([]byte, kl)
		for i := range k {
			k[i] = byte('a' + rng.IntN(4))
		}
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		for v := 1 + rng.IntN(3); v > 0; v-- {
			kind := base.InternalKeyKindSet
			if rng.IntN(5) == 0 {
				kind = base.InternalKeyKindDelete
			}
			seq += base.SeqNum(1 + rng.IntN(3))
			var val []byte
			if kind == base.InternalKeyKindSet {
				val = fmt.Appendf(nil, "%s@%d%s", k, seq, bytes.Repeat([]byte{'x'}, rng.IntN(40)))
			}
			es = append(es, itertest.Entry{Key: base.MakeInternalKey(k, seq, kind), Value: val})
		}
	}
	slices.SortFunc(es, func(a, b itertest.Entry) int { return base.InternalCompare(a.Key, b.Key) })
	return es
}

func randomUserKey(rng *rand.Rand) []byte {
	k := make([]byte, rng.IntN(7))
	for i := range k {
		k[i] = byte('a' + rng.IntN(5))
	}
	return k
}

func TestRandomAgainstModel(t *testing.T) {
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		for trial := 0; trial < 8; trial++ {
			seed := uint64(trial)*1000 + uint64(c)
			t.Run(fmt.Sprintf("%s/seed=%d", c, seed), func(t *testing.T) {
				testRandomTable(t, rand.New(rand.NewPCG(seed, seed)), c)
			})
		}
	}
}

func testRandomTable(t *testing.T, rng *rand.Rand, c Compression) {
	entries := randomEntries(rng, 1+rng.IntN(400))
	opts := WriterOptions{
		BlockSize:            16 + rng.IntN(600),
		BlockRestartInterval: 1 + rng.IntN(8),
		Compression:          c,
	}
	f, meta, err := buildTable(entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	if meta.NumEntries != uint64(len(entries)) ||
		base.InternalCompare(meta.Smallest, entries[0].Key) != 0 ||
		base.InternalCompare(meta.Largest, entries[len(entries)-1].Key) != 0 {
		t.Fatalf("metadata %s", meta)
	}
	var cache *Cache
	if rng.IntN(2) == 0 {
		cache = NewCache(int64(rng.IntN(8 << 10)))
	}
	r, err := NewReader(f, ReaderOptions{Cache: cache, FileNum: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Full scans both ways.
	it, _ := r.NewIter(nil, nil)
	got, err := itertest.Collect(it)
	if err != nil || len(got) != len(entries) {
		t.Fatalf("collect: %d entries, %v", len(got), err)
	}
	for i := range got {
		if base.InternalCompare(got[i].Key, entries[i].Key) != 0 || !bytes.Equal(got[i].Value, entries[i].Value) {
			t.Fatalf("entry %d: %s, want %s", i, got[i].Key, entries[i].Key)
		}
	}
	it.Close()

	// Random operations with random bounds.
	for round := 0; round < 40; round++ {
		var lower, upper []byte
		if rng.IntN(2) == 0 {
			lower = randomUserKey(rng)
		}
		if rng.IntN(2) == 0 {
			upper = randomUserKey(rng)
		}
		m := &modelIter{lower: lower, upper: upper, pos: -1}
		for _, e := range entries {
			if (lower == nil || bytes.Compare(e.Key.UserKey, lower) >= 0) && (upper == nil || bytes.Compare(e.Key.UserKey, upper) < 0) {
				m.entries = append(m.entries, e)
			}
		}
		it, err := r.NewIter(lower, upper)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for step := 0; step < 60; step++ {
			var op string
			switch x := rng.IntN(10); {
			case x == 0:
				op = "first"
				it.First()
				m.pos = 0
			case x == 1:
				op = "last"
				it.Last()
				m.pos = len(m.entries) - 1
			case x == 2:
				k := randomUserKey(rng)
				op = "seek-ge " + string(k)
				it.SeekGE(k)
				m.seekGE(k)
			case x == 3:
				k := randomUserKey(rng)
				op = "seek-lt " + string(k)
				it.SeekLT(k)
				m.seekLT(k)
			case x < 7:
				if !m.valid() {
					continue
				}
				op = "next"
				it.Next()
				m.pos++
			default:
				if !m.valid() {
					continue
				}
				op = "prev"
				it.Prev()
				m.pos--
			}
			ops = append(ops, op)
			if it.Valid() != m.valid() {
				t.Fatalf("bounds [%q,%q) ops %v: valid=%v, model %v (err %v)", lower, upper, ops, it.Valid(), m.valid(), it.Error())
			}
			if m.valid() {
				e := m.entries[m.pos]
				if base.InternalCompare(it.Key(), e.Key) != 0 || !bytes.Equal(it.Value(), e.Value) {
					t.Fatalf("bounds [%q,%q) ops %v: at %s, model %s", lower, upper, ops, it.Key(), e.Key)
				}
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Get at random sequence numbers, for present and absent keys.
	for i := 0; i < 300; i++ {
		var uk []byte
		if rng.IntN(3) > 0 {
			uk = entries[rng.IntN(len(entries))].Key.UserKey
		} else {
			uk = randomUserKey(rng)
		}
		seq := base.SeqNum(rng.IntN(int(meta.LargestSeq) + 2))
		var want *itertest.Entry
		for j := range entries {
			if bytes.Equal(entries[j].Key.UserKey, uk) && entries[j].Key.SeqNum() <= seq {
				want = &entries[j]
				break
			}
		}
		v, kind, found, err := r.Get(nil, uk, seq)
		if err != nil {
			t.Fatal(err)
		}
		if found != (want != nil) {
			t.Fatalf("Get(%q, %d): found=%v, want %v", uk, seq, found, want != nil)
		}
		if found && (kind != want.Key.Kind() || !bytes.Equal(v, want.Value)) {
			t.Fatalf("Get(%q, %d) = %s %q, want %s", uk, seq, kind, v, want.Key)
		}
		if want != nil && !r.MayContain(uk) {
			t.Fatalf("bloom filter false negative for %q", uk)
		}
	}
}
