package sstable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

func TestCacheHitsAndMisses(t *testing.T) {
	es, f := smallTable(t, FastCompression)
	c := NewCache(1 << 20)
	r, err := NewReader(f, ReaderOptions{Cache: c, FileNum: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	blocks := int64(r.Properties().NumDataBlocks)
	for pass := 1; pass <= 2; pass++ {
		it, _ := r.NewIter(nil, nil)
		got, err := itertest.Collect(it)
		it.Close()
		if err != nil || len(got) != len(es)-1 {
			t.Fatalf("pass %d: %d entries, %v", pass, len(got), err)
		}
		m := c.Metrics()
		if m.Misses != blocks || m.Hits != (int64(pass)-1)*blocks || m.Count != blocks {
			t.Fatalf("pass %d: %s, %d blocks", pass, m, blocks)
		}
	}
	c.EvictFile(4)
	if m := c.Metrics(); m.Count != blocks {
		t.Fatalf("evicting another file: %s", m)
	}
	c.EvictFile(3)
	if m := c.Metrics(); m.Count != 0 || m.Bytes != 0 {
		t.Fatalf("after EvictFile: %s", m)
	}
}

func TestCacheBudgetUnderChurn(t *testing.T) {
	const capacity = 64 << 10
	c := NewCache(capacity)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < 2000; i++ {
				fn, off := base.FileNum(rng.IntN(4)), uint64(rng.IntN(200))
				if h := c.get(fn, off); h.v != nil {
					if len(h.Get()) == 0 || h.Get()[0] != byte(off) {
						t.Errorf("block (%d,%d) has wrong contents", fn, off)
					}
					h.Release()
					continue
				}
				buf := bytes.Repeat([]byte{byte(off)}, 1+rng.IntN(4096))
				c.insert(fn, off, buf).Release()
				if m := c.Metrics(); m.Bytes > capacity {
					t.Errorf("%d bytes cached, budget %d", m.Bytes, capacity)
				}
			}
		}(g)
	}
	wg.Wait()
	m := c.Metrics()
	if m.Evictions == 0 || m.Hits == 0 || m.Bytes > capacity {
		t.Fatalf("%s", m)
	}
}

func TestCachePinnedBlockSurvivesEviction(t *testing.T) {
	c := NewCache(16 << 10)
	pinned := c.insert(1, 0, bytes.Repeat([]byte{'p'}, 4096))
	if pinned.v.refs.Load() != 2 {
		t.Fatalf("refs %d, want 2 (cache + handle)", pinned.v.refs.Load())
	}
	for i := 1; i <= 10; i++ {
		c.insert(2, uint64(i), make([]byte, 4096)).Release()
	}
	if h := c.get(1, 0); h.v != nil {
		t.Fatal("block not evicted")
	}
	if got := pinned.Get(); len(got) != 4096 || bytes.Count(got, []byte{'p'}) != 4096 {
		t.Fatal("pinned block changed after eviction")
	}
	if pinned.v.refs.Load() != 1 {
		t.Fatalf("refs %d after eviction, want 1", pinned.v.refs.Load())
	}
	pinned.Release()
	if pinned.v.refs.Load() != 0 {
		t.Fatalf("refs %d after release", pinned.v.refs.Load())
	}
	// A block larger than the budget is handed out but not cached.
	big := c.insert(3, 0, make([]byte, 32<<10))
	if len(big.Get()) != 32<<10 || c.get(3, 0).v != nil {
		t.Fatal("oversized block")
	}
	big.Release()
}

func TestConcurrentReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	entries := randomEntries(rng, 500)
	f, _, err := buildTable(entries, WriterOptions{BlockSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(8 << 10) // small: constant eviction
	r, err := NewReader(f, ReaderOptions{Cache: c, FileNum: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for i := 0; i < 200; i++ {
				e := entries[rng.IntN(len(entries))]
				v, kind, found, err := r.Get(nil, e.Key.UserKey, e.Key.SeqNum())
				if err != nil || !found || kind != e.Key.Kind() || !bytes.Equal(v, e.Value) {
					t.Errorf("Get(%s) = %q %v %v", e.Key, v, found, err)
					return
				}
				if i%50 == 0 {
					it, _ := r.NewIter(nil, nil)
					got, err := itertest.Collect(it)
					it.Close()
					if err != nil || len(got) != len(entries) {
						t.Errorf("scan: %d entries, %v", len(got), err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if m := c.Metrics(); m.Hits == 0 || m.Misses == 0 {
		t.Fatalf("%s", m)
	}
}

func TestCacheMetricsString(t *testing.T) {
	m := CacheMetrics{Hits: 1, Misses: 2, Bytes: 3, Count: 4, Evictions: 5}
	if got, want := m.String(), "hits=1 misses=2 bytes=3 count=4 evictions=5"; got != want {
		t.Fatal(fmt.Sprintf("%q", got))
	}
}
