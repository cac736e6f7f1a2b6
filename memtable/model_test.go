package memtable

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// modelIter is the reference iterator: a sorted slice of entries already
// restricted to the bounds.
type modelIter struct {
	entries []itertest.Entry
	pos     int // -1 or len(entries) when exhausted
}

func newModelIter(all []itertest.Entry, lower, upper []byte) *modelIter {
	var in []itertest.Entry
	for _, e := range all {
		if lower != nil && bytes.Compare(e.Key.UserKey, lower) < 0 {
			continue
		}
		if upper != nil && bytes.Compare(e.Key.UserKey, upper) >= 0 {
			continue
		}
		in = append(in, e)
	}
	return &modelIter{entries: in, pos: -1}
}

func (m *modelIter) valid() bool { return m.pos >= 0 && m.pos < len(m.entries) }
func (m *modelIter) SeekGE(k []byte) bool {
	m.pos, _ = slices.BinarySearchFunc(m.entries, k, func(e itertest.Entry, k []byte) int {
		if bytes.Compare(e.Key.UserKey, k) < 0 {
			return -1
		}
		return 1
	})
	return m.valid()
}
func (m *modelIter) SeekLT(k []byte) bool {
	m.SeekGE(k)
	m.pos--
	return m.valid()
}
func (m *modelIter) First() bool           { m.pos = 0; return m.valid() }
func (m *modelIter) Last() bool            { m.pos = len(m.entries) - 1; return m.valid() }
func (m *modelIter) Next() bool            { m.pos++; return m.valid() }
func (m *modelIter) Prev() bool            { m.pos--; return m.valid() }
func (m *modelIter) Valid() bool           { return m.valid() }
func (m *modelIter) Key() base.InternalKey { return m.entries[m.pos].Key }
func (m *modelIter) Value() []byte         { return m.entries[m.pos].Value }
func (m *modelIter) Error() error          { return nil }
func (m *modelIter) Close() error          { return nil }

func randUserKey(rng *rand.Rand) []byte {
	const alphabet = "abcd"
	k := make([]byte, rng.IntN(4))
	for i := range k {
		k[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return k
}

func sortEntries(es []itertest.Entry) {
	slices.SortFunc(es, func(a, b itertest.Entry) int { return base.InternalCompare(a.Key, b.Key) })
}

// TestRandomAgainstModel inserts random entries in rounds and, after each
// round, runs random operations on iterators with random bounds against the
// model, comparing every output line. It also checks Get against the model.
func TestRandomAgainstModel(t *testing.T) {
	seeds := uint64(12)
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			m := New(make([]byte, 1<<20))
			var model []itertest.Entry
			present := map[string]bool{}
			// Odd seeds add through AddBatch, in batches of random
			// sizes that may hold duplicates of each other, half of
			// them sorted.
			batched := seed%2 == 1
			for round := range 6 {
				var batch []Entry
				for range 100 {
					kind := base.InternalKeyKindSet
					if rng.IntN(4) == 0 {
						kind = base.InternalKeyKindDelete
					}
					k := base.MakeInternalKey(randUserKey(rng), base.SeqNum(1+rng.IntN(200)), kind)
					v := fmt.Appendf(nil, "v%d", rng.IntN(1000))
					if batched {
						batch = append(batch, Entry{Key: k, Value: v})
						continue
					}
					err := m.Add(k, v)
					if present[k.String()] {
						if !errors.Is(err, ErrRecordExists) {
							t.Fatalf("round %d: Add(%s) of a duplicate = %v", round, k, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("Add(%s) = %v", k, err)
					}
					present[k.String()] = true
					model = append(model, itertest.Entry{Key: k.Clone(), Value: v})
				}
				for len(batch) > 0 {
					b := batch[:min(len(batch), 1+rng.IntN(40))]
					if rng.IntN(2) == 0 {
						// An ascending run takes the clustered path
						// when its keys are close (batch.go).
						slices.SortFunc(b, func(x, y Entry) int { return base.InternalCompare(x.Key, y.Key) })
					}
					n, err := m.AddBatch(b)
					for _, e := range b[:n] {
						if present[e.Key.String()] {
							t.Fatalf("round %d: AddBatch added a duplicate of %s", round, e.Key)
						}
						present[e.Key.String()] = true
						model = append(model, itertest.Entry{Key: e.Key.Clone(), Value: e.Value})
					}
					switch {
					case err == nil && n != len(b):
						t.Fatalf("AddBatch of %d entries = %d, nil", len(b), n)
					case err != nil && (!errors.Is(err, ErrRecordExists) || !present[b[n].Key.String()]):
						t.Fatalf("AddBatch stopped at %s (%d of %d) with %v", b[n].Key, n, len(b), err)
					case err != nil:
						n++ // skip the duplicate
					}
					batch = batch[n:]
				}
				sortEntries(model)
				if m.Count() != len(model) {
					t.Fatalf("Count = %d, want %d", m.Count(), len(model))
				}
				for range 30 {
					checkRandomOps(t, rng, m, model)
				}
				checkGets(t, rng, m, model)
			}
		})
	}
}

func checkRandomOps(t *testing.T, rng *rand.Rand, m *MemTable, model []itertest.Entry) {
	t.Helper()
	var lower, upper []byte
	if rng.IntN(3) == 0 {
		lower = randUserKey(rng)
	}
	if rng.IntN(3) == 0 {
		upper = randUserKey(rng)
	}
	it := m.NewIter(lower, upper)
	ref := newModelIter(model, lower, upper)
	var ops []string
	for range 40 {
		var op string
		switch r := rng.IntN(10); {
		case r < 3 && ref.Valid():
			op = "next"
		case r < 6 && ref.Valid():
			op = "prev"
		case r < 7:
			op = "first"
		case r < 8:
			op = "last"
		case r < 9:
			op = "seek-ge " + string(randUserKey(rng))
		default:
			op = "seek-lt " + string(randUserKey(rng))
		}
		ops = append(ops, op)
		got, want := itertest.RunIterOps(it, op), itertest.RunIterOps(ref, op)
		if got != want {
			t.Fatalf("bounds [%q, %q), ops:\n%s\ngot %q, want %q", lower, upper, strings.Join(ops, "\n"), got, want)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

func checkGets(t *testing.T, rng *rand.Rand, m *MemTable, model []itertest.Entry) {
	t.Helper()
	for range 200 {
		ukey, seq := randUserKey(rng), base.SeqNum(rng.IntN(210))
		var want *itertest.Entry
		for i := range model {
			if bytes.Equal(model[i].Key.UserKey, ukey) && model[i].Key.SeqNum() <= seq {
				want = &model[i]
				break
			}
		}
		v, kind, ok := m.Get(ukey, seq)
		switch {
		case want == nil && ok:
			t.Fatalf("Get(%q, %d) = %s %q, want not found", ukey, seq, kind, v)
		case want != nil && (!ok || kind != want.Key.Kind() || !bytes.Equal(v, want.Value)):
			t.Fatalf("Get(%q, %d) = %s %q %t, want %s", ukey, seq, kind, v, ok, want.Key)
		}
	}
}
