package sstable

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// TestGetManyAgainstGet checks GetMany against Get on random tables (some
// large enough for an index summary, some with tiny blocks, with and
// without a cache): random batches of lookups over several tables, at
// random sequence numbers, of keys present, absent, deleted, and repeated
// within a batch, plus a lookup in a closed table.
func TestGetManyAgainstGet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var readers []*Reader
	var keys [][]byte
	for i := 0; i < 6; i++ {
		entries := randomEntries(rng, 1+rng.IntN(3000))
		opts := WriterOptions{
			BlockSize:            16 + rng.IntN(600),
			BlockRestartInterval: 1 + rng.IntN(16),
			Compression:          FastCompression,
		}
		var cache *Cache
		if i%3 != 0 {
			cache = NewCache(int64(rng.IntN(64 << 10)))
		}
		r := openTable(t, entries, opts, ReaderOptions{Cache: cache, FileNum: base.FileNum(i + 1)})
		readers = append(readers, r)
		for _, e := range entries {
			keys = append(keys, e.Key.UserKey)
		}
	}
	summaries := 0
	for _, r := range readers {
		if r.index.sum != nil {
			summaries++
		}
	}
	if summaries == 0 {
		t.Fatal("no table has an index summary: the test no longer covers its steps")
	}
	closed, _, err := buildTable(randomEntries(rng, 10), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := NewReader(closed, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cr.Close()

	for round := 0; round < 2000; round++ {
		ls := make([]Lookup, 1+rng.IntN(24))
		for i := range ls {
			l := &ls[i]
			l.R = readers[rng.IntN(len(readers))]
			switch x := rng.IntN(10); {
			case x < 6:
				l.Key = keys[rng.IntN(len(keys))]
			case x < 9:
				l.Key = randomUserKey(rng)
			default:
				l.Key = ls[rng.IntN(i+1)].Key
			}
			l.Seq = base.SeqNum(rng.IntN(4000))
			if rng.IntN(4) == 0 {
				l.Seq = base.SeqNumMax
			}
			l.Dst = []byte("dst:")
			if rng.IntN(3) == 0 {
				l.MaxValue = 1 + rng.IntN(40)
			}
		}
		if round%100 == 0 {
			ls[0].R = cr
		}
		GetMany(ls)
		for i := range ls {
			l := &ls[i]
			v, kind, found, err := l.R.Get([]byte("dst:"), l.Key, l.Seq)
			if large := found && l.MaxValue > 0 && len(v)-len("dst:") > l.MaxValue; large != l.Large {
				t.Fatalf("lookup %d of %q: Large %v with a value of %d bytes and a limit of %d", i, l.Key, l.Large, len(v)-4, l.MaxValue)
			} else if large {
				v = []byte("dst:") // not copied
			}
			if (err == nil) != (l.Err == nil) || found != l.Found || (found && (kind != l.Kind || !bytes.Equal(v, l.Value))) {
				t.Fatalf("round %d, lookup %d of %q at %d: GetMany %q %v %v %v, Get %q %v %v %v",
					round, i, l.Key, l.Seq, l.Value, l.Kind, l.Found, l.Err, v, kind, found, err)
			}
			if !found && string(l.Value) != "dst:" {
				t.Fatalf("lookup %d: Value %q without a find", i, l.Value)
			}
		}
	}
}

// TestGetManyAllocs checks that GetMany allocates nothing once its
// iterator is pooled and the lookups' buffers are large enough.
func TestGetManyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's pools drop items")
	}
	entries := randomEntries(rand.New(rand.NewPCG(7, 8)), 2000)
	r := openTable(t, entries, WriterOptions{BlockSize: 256}, ReaderOptions{Cache: NewCache(1 << 20), FileNum: 1})
	ls := make([]Lookup, 16)
	for i := range ls {
		ls[i] = Lookup{R: r, Key: entries[i*100].Key.UserKey, Seq: base.SeqNumMax, Dst: make([]byte, 0, 256)}
	}
	GetMany(ls)
	if n := testing.AllocsPerRun(100, func() { GetMany(ls) }); n != 0 {
		t.Fatalf("GetMany of %d keys: %v allocations", len(ls), n)
	}
}

// TestGetManyConcurrent runs GetMany from several goroutines over one
// table with a small cache, so that blocks are inserted and evicted and
// the shards' indexes grow and shrink while lookups prefetch through the
// buckets the shards publish (under -race in make test).
func TestGetManyConcurrent(t *testing.T) {
	entries := randomEntries(rand.New(rand.NewPCG(11, 12)), 3000)
	r := openTable(t, entries, WriterOptions{BlockSize: 128}, ReaderOptions{Cache: NewCache(16 << 10), FileNum: 1})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 13))
			ls := make([]Lookup, 16)
			for range 300 {
				for i := range ls {
					ls[i] = Lookup{R: r, Key: entries[rng.IntN(len(entries))].Key.UserKey, Seq: base.SeqNumMax, Dst: ls[i].Dst[:0]}
				}
				GetMany(ls)
				for i := range ls {
					l := &ls[i]
					v, _, found, err := r.Get(nil, l.Key, l.Seq)
					if err != nil || l.Err != nil || found != l.Found || !bytes.Equal(v, l.Value) {
						t.Errorf("%q: GetMany %q %v %v, Get %q %v %v", l.Key, l.Value, l.Found, l.Err, v, found, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// openTable builds a table of entries with wo and opens it with ro; the
// reader closes when the test ends.
func openTable(t *testing.T, entries []itertest.Entry, wo WriterOptions, ro ReaderOptions) *Reader {
	t.Helper()
	f, _, err := buildTable(entries, wo)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(f, ro)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
