package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAddEach: SAddEach, HSetEach and ZAddEach answer, element by
// element, what one SADD, HSET or ZADD per element answers, run one after
// the other, and leave the same stored records (metadata, elements, score
// index). Runs name elements twice, elements the key holds already, and
// more elements than smallMap keeps without a map.
func TestAddEach(t *testing.T) {
	type kind struct {
		name string
		// each runs the elements as one call and returns added.
		each func(d *DB, key []byte, elems [][]byte, rng *rand.Rand) ([]bool, error)
		// one runs one element as one command and returns whether it was
		// added.
		one func(d *DB, key []byte, elem []byte, rng *rand.Rand) (bool, error)
	}
	value := func(rng *rand.Rand) []byte { return fmt.Appendf(nil, "v%d", rng.IntN(4)) }
	score := func(rng *rand.Rand) float64 { return float64(rng.IntN(5)) }
	kinds := []kind{
		{"SADD", func(d *DB, key []byte, elems [][]byte, _ *rand.Rand) ([]bool, error) {
			added := make([]bool, len(elems))
			return added, d.SAddEach(key, elems, added)
		}, func(d *DB, key, elem []byte, _ *rand.Rand) (bool, error) {
			n, err := d.SAdd(key, [][]byte{elem})
			return n == 1, err
		}},
		{"HSET", func(d *DB, key []byte, elems [][]byte, rng *rand.Rand) ([]bool, error) {
			var pairs [][]byte
			for _, e := range elems {
				pairs = append(pairs, e, value(rng))
			}
			added := make([]bool, len(elems))
			return added, d.HSetEach(key, pairs, added)
		}, func(d *DB, key, elem []byte, rng *rand.Rand) (bool, error) {
			n, err := d.HSet(key, [][]byte{elem, value(rng)})
			return n == 1, err
		}},
		{"ZADD", func(d *DB, key []byte, elems [][]byte, rng *rand.Rand) ([]bool, error) {
			scores := make([]float64, len(elems))
			for i := range scores {
				scores[i] = score(rng)
			}
			added := make([]bool, len(elems))
			return added, d.ZAddEach(key, scores, elems, added)
		}, func(d *DB, key, elem []byte, rng *rand.Rand) (bool, error) {
			res, err := d.ZAdd(key, ZAddOptions{}, []float64{score(rng)}, [][]byte{elem})
			return res.Added == 1, err
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for seed := range uint64(200) {
				each, one := newFixture(t), newFixture(t)
				rngEach, rngOne := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
				key := b("k")
				// Some elements present before the run, or none (a new key).
				for _, f := range []*fixture{each, one} {
					rng := rand.New(rand.NewPCG(seed, 2))
					for range rng.IntN(3) * 5 {
						if _, err := k.one(f.db, key, fmt.Appendf(nil, "e%d", rng.IntN(30)), rng); err != nil {
							t.Fatal(err)
						}
					}
				}
				// A run of 1 to 40 elements drawn from 30: repeats, and past
				// smallMapFew distinct elements.
				elems := make([][]byte, 1+rngEach.IntN(40))
				for i := range elems {
					elems[i] = fmt.Appendf(nil, "e%d", rngEach.IntN(30))
				}
				rngOne.IntN(40)
				for range elems {
					rngOne.IntN(30)
				}
				// The run reads its elements one at a time (MemStore), all
				// together (manyGetter), or together through a transaction
				// (a key batch's TxnStore) whose pending writes decide some.
				db := each.db
				var txks *Keyspace
				switch seed % 3 {
				case 1:
					db = New(&manyStore{MemStore: each.store}, &Options{Now: each.clock.Now}).DB(0)
				case 2:
					base := New(&manyStore{MemStore: each.store}, &Options{Now: each.clock.Now})
					txks = base.InTransaction(NewTxnStore(base.Store()))
					db = txks.DB(0)
					if len(elems) > 1 { // a pending write the run reads
						if _, err := k.one(db, key, elems[len(elems)-1], rand.New(rand.NewPCG(seed, 3))); err != nil {
							t.Fatal(err)
						}
						if _, err := k.one(one.db, key, elems[len(elems)-1], rand.New(rand.NewPCG(seed, 3))); err != nil {
							t.Fatal(err)
						}
					}
				}
				added, err := k.each(db, key, elems, rngEach)
				if err != nil {
					t.Fatal(err)
				}
				if txks != nil {
					if err := txks.CommitTransaction(); err != nil {
						t.Fatal(err)
					}
				}
				for i, e := range elems {
					want, err := k.one(one.db, key, e, rngOne)
					if err != nil {
						t.Fatal(err)
					}
					if added[i] != want {
						t.Fatalf("seed %d: element %d (%s) of %q: added %v, one at a time %v", seed, i, e, elems, added[i], want)
					}
				}
				if got, want := storeDump(t, each.store), storeDump(t, one.store); got != want {
					t.Fatalf("seed %d: stored records differ\n each: %s\n  one: %s", seed, got, want)
				}
			}
		})
		t.Run(k.name+"/WrongType", func(t *testing.T) {
			f := newFixture(t)
			f.set("s", "x")
			before := storeDump(t, f.store)
			if _, err := k.each(f.db, b("s"), bs("a", "b"), rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrWrongType) {
				t.Fatalf("err = %v, want ErrWrongType", err)
			}
			if after := storeDump(t, f.store); after != before {
				t.Fatalf("a refused run changed the store:\n%s\n%s", before, after)
			}
		})
	}
}

// storeDump renders every record of s, in key order.
func storeDump(t *testing.T, s *MemStore) string {
	t.Helper()
	var out bytes.Buffer
	for _, k := range s.Keys() {
		v, err := s.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%x=%x ", k, v)
	}
	return out.String()
}

// TestSmallMap: first is true exactly once per distinct key, and get
// finds what put last gave each key, across the switch from the array to
// the map.
func TestSmallMap(t *testing.T) {
	var f smallMap[struct{}]
	seen := map[string]bool{}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 200 {
		x := fmt.Appendf(nil, "%d", rng.IntN(60))
		if got, want := f.first(x), !seen[string(x)]; got != want {
			t.Fatalf("step %d, %s: first = %v, want %v", i, x, got, want)
		}
		seen[string(x)] = true
	}
	if f.more == nil {
		t.Fatal("60 distinct values never moved to the map")
	}

	var m smallMap[int]
	want := map[string]int{}
	for i := range 300 {
		k := fmt.Appendf(nil, "%d", rng.IntN(40))
		if got, ok := m.get(k); ok != (want[string(k)] != 0) || got != want[string(k)] {
			t.Fatalf("step %d, %s: get = %d %v, want %d", i, k, got, ok, want[string(k)])
		}
		m.put(k, i+1)
		want[string(k)] = i + 1
	}
	if m.more == nil {
		t.Fatal("40 distinct keys never moved to the map")
	}
}
