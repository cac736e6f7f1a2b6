package sstable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
	"github.com/strata-db/strata/jemallocprof"
)

// testBlock returns a block buffer from allocBlock filled with c.
func testBlock(c byte, n int) []byte {
	b := allocBlock(n)
	for i := range b {
		b[i] = c
	}
	return b
}

// cachedSmallTable opens smallTable(t, comp) as file fileNum through c.
// The caller closes the reader.
func cachedSmallTable(t *testing.T, comp Compression, c *Cache, fileNum base.FileNum) ([]itertest.Entry, *Reader) {
	t.Helper()
	es, f := smallTable(t, comp)
	r, err := NewReader(f, ReaderOptions{Cache: c, FileNum: fileNum})
	if err != nil {
		t.Fatal(err)
	}
	return es, r
}

func TestCacheHitsAndMisses(t *testing.T) {
	c := NewCache(1 << 20)
	es, r := cachedSmallTable(t, FastCompression, c, 3)
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

// TestCompactionIterDoesNotFill: a compaction iterator reads every entry,
// uses the blocks the cache holds, and inserts none it read from the file;
// it decodes them into one buffer, not one each, and nothing stays pinned
// once it is closed.
func TestCompactionIterDoesNotFill(t *testing.T) {
	c := NewCache(1 << 20)
	es, r := cachedSmallTable(t, FastCompression, c, 3)
	defer r.Close()
	blocks := int64(r.Properties().NumDataBlocks)
	if blocks < 3 {
		t.Fatalf("the table has %d data blocks; the test needs 3", blocks)
	}
	pinned := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Live
	collect := func(it base.InternalIterator) []itertest.Entry {
		t.Helper()
		got, err := itertest.Collect(it)
		it.Close()
		if err != nil || len(got) != len(es)-1 {
			t.Fatalf("%d entries, %v", len(got), err)
		}
		return got
	}
	allocs := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Allocs
	it, _ := r.NewCompactionIter(nil, nil, nil)
	first := collect(it)
	if m := c.Metrics(); m.Count != 0 || m.Misses != blocks || m.Hits != 0 {
		t.Fatalf("after a compaction iterator over a cold cache: %s, %d blocks", m, blocks)
	}
	// Each block is decoded into the previous one's buffer, unless it is
	// larger: a new buffer then.
	if n := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Allocs - allocs; n > 2 {
		t.Fatalf("the compaction iterator allocated %d block buffers for %d blocks", n, blocks)
	}
	if p := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Live; p != pinned {
		t.Fatalf("%d bytes still pinned after the iterator's Close", p-pinned)
	}
	// A reader's iterator fills the cache; a compaction iterator then
	// finds every block there.
	it, _ = r.NewIter(nil, nil)
	if got := collect(it); !equalEntries(got, first) {
		t.Fatal("the iterators disagree")
	}
	it, _ = r.NewCompactionIter(nil, nil, nil)
	if got := collect(it); !equalEntries(got, first) {
		t.Fatal("the compaction iterator read other entries from the cache")
	}
	if m := c.Metrics(); m.Count != blocks || m.Hits != blocks {
		t.Fatalf("after a reader's pass and a compaction's: %s, %d blocks", m, blocks)
	}
}

func equalEntries(a, b []itertest.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Key.UserKey, b[i].Key.UserKey) || a[i].Key.Trailer != b[i].Key.Trailer || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
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
				buf := testBlock(byte(off), 1+rng.IntN(4096))
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
	pinned := c.insert(1, 0, testBlock('p', 4096))
	if pinned.v.refs.Load() != 2 {
		t.Fatalf("refs %d, want 2 (cache + handle)", pinned.v.refs.Load())
	}
	for i := 1; i <= 10; i++ {
		c.insert(2, uint64(i), testBlock(0, 4096)).Release()
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
	v := pinned.v
	pinned.Release()
	if v.refs.Load() != 0 || v.buf != nil {
		t.Fatalf("refs %d after release, buffer kept: %v", v.refs.Load(), v.buf != nil)
	}
	// A block larger than the budget is handed out but not cached.
	big := c.insert(3, 0, testBlock(0, 32<<10))
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

// memFigures are the tracked block bytes: cached and pinned.
type memFigures struct{ cached, pinned int64 }

func trackedBlocks() memFigures {
	return memFigures{jemallocprof.Live(jemallocprof.BlockCache), jemallocprof.Live(jemallocprof.IteratorPinned)}
}

// checkTracked fails unless the tracked figures moved from base by exactly
// the cache's resident bytes and the given pinned bytes.
func checkTracked(t *testing.T, what string, base memFigures, c *Cache, pinned int64) {
	t.Helper()
	got := trackedBlocks()
	if d := got.cached - base.cached; d != c.Metrics().Bytes {
		t.Fatalf("%s: tracked block_cache grew by %d, cache holds %d bytes", what, d, c.Metrics().Bytes)
	}
	if d := got.pinned - base.pinned; d != pinned {
		t.Fatalf("%s: tracked iterator_pinned grew by %d, want %d", what, d, pinned)
	}
}

func TestCacheAccounting(t *testing.T) {
	base := trackedBlocks()
	// Room for four 4 KiB blocks with their entries and a minimal index,
	// in one shard.
	c := NewCache(4*(4096+entryOverhead) + minIndexBytes)
	hs := make([]Handle, 0, 4)
	for i := range 4 {
		hs = append(hs, c.insert(1, uint64(i), testBlock(1, 4096)))
	}
	// Resident and pinned at once: counted as cached only.
	checkTracked(t, "four cached, held", base, c, 0)
	// Evicting the two oldest while held moves them to pinned.
	c.insert(1, 10, testBlock(2, 4096)).Release()
	c.insert(1, 11, testBlock(2, 4096)).Release()
	checkTracked(t, "two evicted, held", base, c, 2*4096)
	hs[0].Release()
	hs[1].Release()
	checkTracked(t, "evicted ones released", base, c, 0)
	// A block over the shard's budget is never cached: pinned while held.
	big := c.insert(1, 99, testBlock(3, 32<<10))
	checkTracked(t, "oversized block held", base, c, 32<<10)
	big.Release()
	checkTracked(t, "oversized block released", base, c, 0)

	// Shrinking evicts down to the new budget; the held blocks 2 and 3
	// turn pinned if they go.
	c.SetCapacity(8 << 10)
	if m := c.Metrics(); m.Bytes > 8<<10 || c.Capacity() != 8<<10 {
		t.Fatalf("after SetCapacity(8 KiB): %s, capacity %d", m, c.Capacity())
	}
	var pinned int64
	for _, off := range []uint64{2, 3} {
		if h := c.get(1, off); h.v != nil {
			h.Release()
		} else {
			pinned += 4096
		}
	}
	checkTracked(t, "after shrinking", base, c, pinned)
	hs[2].Release()
	hs[3].Release()
	checkTracked(t, "held blocks released", base, c, 0)
	c.SetCapacity(0)
	if m := c.Metrics(); m.Bytes != 0 || m.Count != 0 {
		t.Fatalf("after SetCapacity(0): %s", m)
	}
	h := c.insert(1, 5, testBlock(4, 100))
	if c.get(1, 5).v != nil {
		t.Fatal("a cache with no budget kept a block")
	}
	h.Release()
	c.SetCapacity(16 << 10)
	c.insert(1, 6, testBlock(5, 4096)).Release()
	checkTracked(t, "grown again", base, c, 0)
	c.SetCapacity(0)
	if m := c.Metrics(); m.Bytes != 0 || m.Count != 0 {
		t.Fatalf("after emptying: %s", m)
	}
	checkTracked(t, "after emptying", base, c, 0)
}

// TestReaderAccounting reads a table through a small cache and without
// one, with iterators held across evictions: every block is tracked while
// alive and nothing is left once the iterators close.
func TestReaderAccounting(t *testing.T) {
	for _, comp := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		t.Run(comp.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			entries := randomEntries(rng, 2000)
			start := trackedBlocks()
			for _, cache := range []*Cache{NewCache(8 << 10), nil} {
				f, _, err := buildTable(entries, WriterOptions{BlockSize: 512, Compression: comp})
				if err != nil {
					t.Fatal(err)
				}
				r, err := NewReader(f, ReaderOptions{Cache: cache, FileNum: 1})
				if err != nil {
					t.Fatal(err)
				}
				var its []base.InternalIterator
				for range 3 {
					it, _ := r.NewIter(nil, nil)
					if !it.First() {
						t.Fatal("empty table")
					}
					its = append(its, it)
				}
				// Walk one iterator through everything: the cache churns
				// while the others hold their first block.
				got, err := itertest.Collect(its[0])
				if err != nil || len(got) != len(entries) {
					t.Fatalf("scan: %d entries, %v", len(got), err)
				}
				held := trackedBlocks()
				var cached int64
				if cache != nil {
					cached = cache.Metrics().Bytes
				}
				// Without a cache every held block is pinned.
				if held.cached-start.cached != cached || (cache == nil && held.pinned <= start.pinned) {
					t.Fatalf("while held: %+v (start %+v), cache bytes %d", held, start, cached)
				}
				for _, it := range its {
					if err := it.Close(); err != nil {
						t.Fatal(err)
					}
				}
				if cache != nil {
					cache.SetCapacity(0)
				}
				if got := trackedBlocks(); got != start {
					t.Fatalf("after closing (cache %v): %+v, want %+v", cache != nil, got, start)
				}
				r.Close()
			}
		})
	}
}

// heapInUse is what the process's allocators hold after a collection: Go
// heap objects plus, in the jemalloc build, what jemalloc has allocated.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	native, _ := jemallocprof.NativeAllocated()
	return int64(ms.HeapAlloc) + native
}

// TestCacheBookkeepingCounted: caching blocks costs the heap their
// entries and the index as well as the blocks, and the tracked
// block_cache bytes say so. 50,000 blocks of 64 bytes are allocated first
// (what that costs, with the invariants build's record of every buffer,
// is left out), then put in a cache: the heap's growth from that must be
// the tracked bookkeeping. Counting the blocks alone left it all out.
func TestCacheBookkeepingCounted(t *testing.T) {
	const blocks = 50000
	bufs := make([][]byte, blocks)
	h0 := heapInUse()
	for i := range bufs {
		bufs[i] = allocBlock(64)
	}
	h1, t1 := heapInUse(), trackedBlocks()
	blockCap := int64(cap(bufs[0]))
	c := NewCache(64 << 20)
	for i, b := range bufs {
		c.insert(base.FileNum(i%7), uint64(i), b).Release()
		bufs[i] = nil
	}
	h2, t2 := heapInUse(), trackedBlocks()
	runtime.KeepAlive(bufs) // its array stays: it was in h1 too
	bookkeeping := c.Metrics().Bytes - blocks*blockCap
	if t2.pinned != t1.pinned-blocks*blockCap || t2.cached != t1.cached+c.Metrics().Bytes {
		t.Fatalf("tracked %+v with the blocks allocated, %+v once cached; %s", t1, t2, c.Metrics())
	}
	heap := h2 - h1
	t.Logf("%d blocks of 64 bytes: allocated %d, cache bookkeeping tracked %d, heap %d", blocks, h1-h0, bookkeeping, heap)
	// The shards and their locks are a fixed few KiB: the 3% is slack for
	// the heap's own noise.
	if d := heap - bookkeeping; d < -heap*3/100 || d > heap*3/100 {
		t.Fatalf("tracked bookkeeping %d, the heap grew by %d", bookkeeping, heap)
	}
	for f := range 7 {
		c.EvictFile(base.FileNum(f))
	}
	if m := c.Metrics(); m.Bytes != 0 || m.Count != 0 || trackedBlocks().cached != t1.cached {
		t.Fatalf("after evicting every file: %s, tracked %+v (%+v with nothing cached)", m, trackedBlocks(), t1)
	}
	runtime.KeepAlive(c)
}

// TestCacheIndexCharged: the index's array is part of what the cache
// holds: Bytes is the resident entries' charges plus the array, through
// growth and shrinking.
func TestCacheIndexCharged(t *testing.T) {
	c := NewCache(1 << 20) // one shard
	s := &c.shards[0]
	check := func(what string, n int) {
		t.Helper()
		want := int64(n)*(64+entryOverhead) + s.mu.index.bytes()
		if m := c.Metrics(); m.Count != int64(n) || m.Bytes != want {
			t.Fatalf("%s: %s, want %d blocks in %d bytes (%d buckets)", what, m, n, want, len(s.mu.index.buckets))
		}
	}
	for i := range 1000 {
		c.insert(1, uint64(i), allocBlock(64)).Release()
	}
	check("grown", 1000)
	if len(s.mu.index.buckets) < 1000 {
		t.Fatalf("%d buckets for 1000 entries", len(s.mu.index.buckets))
	}
	c.SetCapacity(10 * (64 + entryOverhead))
	if n := c.Metrics().Count; n == 0 || n > 10 {
		t.Fatalf("%d blocks left in room for 10", n)
	}
	check("shrunk", int(c.Metrics().Count))
	if n := len(s.mu.index.buckets); n >= 2*minCacheBuckets && n > 8*int(c.Metrics().Count) {
		t.Fatalf("%d buckets left for %d entries", n, c.Metrics().Count)
	}
	c.SetCapacity(0)
	check("emptied", 0)
	if s.mu.index.buckets != nil {
		t.Fatal("an empty cache keeps its index array")
	}
}

// TestCompactionIterMatchesReaderIter: under random seeks and steps in
// both directions, with a cache that holds only some of the blocks (so
// that loads alternate between cached blocks and blocks decoded into the
// iterator's spare buffer), a compaction iterator sees what a reader's
// iterator sees, and nothing stays pinned once both are closed.
func TestCompactionIterMatchesReaderIter(t *testing.T) {
	for _, comp := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		c := NewCache(600) // a few of the table's 128-byte blocks
		es, r := cachedSmallTable(t, comp, c, 7)
		pinned := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Live
		want, _ := r.NewIter(nil, nil)
		got, _ := r.NewCompactionIter(nil, nil, nil)
		rng := rand.New(rand.NewPCG(uint64(comp), 11))
		for op := range 2000 {
			key := es[rng.IntN(len(es)-1)].Key.UserKey
			if rng.IntN(4) == 0 {
				key = append(bytes.Clone(key), 'x') // between two keys
			}
			var name string
			var okW, okG bool
			switch rng.IntN(6) {
			case 0:
				name, okW, okG = "First", want.First(), got.First()
			case 1:
				name, okW, okG = "Last", want.Last(), got.Last()
			case 2:
				name, okW, okG = "SeekGE "+string(key), want.SeekGE(key), got.SeekGE(key)
			case 3:
				name, okW, okG = "SeekLT "+string(key), want.SeekLT(key), got.SeekLT(key)
			case 4:
				name, okW, okG = "Next", want.Next(), got.Next()
			default:
				name, okW, okG = "Prev", want.Prev(), got.Prev()
			}
			if okW != okG {
				t.Fatalf("%v, op %d (%s): reader iterator %v, compaction iterator %v", comp, op, name, okW, okG)
			}
			if okW && (want.Key().Trailer != got.Key().Trailer || !bytes.Equal(want.Key().UserKey, got.Key().UserKey) || !bytes.Equal(want.Value(), got.Value())) {
				t.Fatalf("%v, op %d (%s): reader iterator at %s=%q, compaction iterator at %s=%q",
					comp, op, name, want.Key().UserKey, want.Value(), got.Key().UserKey, got.Value())
			}
			if !okW {
				// Both exhausted: start over, as a merge would not step
				// past the end.
				want.First()
				got.First()
			}
		}
		if err := got.Close(); err != nil {
			t.Fatal(err)
		}
		if err := want.Close(); err != nil {
			t.Fatal(err)
		}
		if m := c.Metrics(); m.Hits == 0 || m.Misses == 0 {
			t.Fatalf("%v: the cache was always or never hit (%s): the test covers one kind of load", comp, m)
		}
		r.Close()
		c.SetCapacity(0)
		if p := jemallocprof.Snapshot()[jemallocprof.IteratorPinned].Live; p != pinned {
			t.Fatalf("%v: %d bytes still pinned", comp, p-pinned)
		}
	}
}

// TestWriterFillsCache: a writer given FillCache caches every data block it
// writes under its file number, as a reader would cache it: the reader of
// that file then finds every block in the cache and reads the same entries
// as a reader without a cache; another file number finds none.
func TestWriterFillsCache(t *testing.T) {
	for _, comp := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		t.Run(comp.String(), func(t *testing.T) {
			c := NewCache(1 << 20)
			var es []itertest.Entry
			for i := range 200 {
				es = append(es, itertest.Entry{
					Key:   base.MakeInternalKey(fmt.Appendf(nil, "key%04d", i), base.SeqNum(i+1), base.InternalKeyKindSet),
					Value: fmt.Appendf(nil, "value-%d-%s", i, bytes.Repeat([]byte{byte('a' + i%26)}, i%40)),
				})
			}
			f, _, err := buildTable(es, WriterOptions{BlockSize: 256, BlockRestartInterval: 4, Compression: comp, FillCache: c, CacheFileNum: 9})
			if err != nil {
				t.Fatal(err)
			}
			plain, err := NewReader(f, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			blocks := int64(plain.Properties().NumDataBlocks)
			if m := c.Metrics(); blocks < 5 || m.Count != blocks || m.Hits != 0 || m.Misses != 0 {
				t.Fatalf("after writing %d data blocks: %s", blocks, m)
			}
			it, _ := plain.NewIter(nil, nil)
			want, err := itertest.Collect(it)
			it.Close()
			if err != nil || len(want) != len(es) {
				t.Fatalf("uncached reader: %d entries, %v", len(want), err)
			}
			r, err := NewReader(f, ReaderOptions{Cache: c, FileNum: 9})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			it, _ = r.NewIter(nil, nil)
			got, err := itertest.Collect(it)
			it.Close()
			if err != nil || !equalEntries(got, want) {
				t.Fatalf("the cached blocks read other entries (%v)", err)
			}
			for _, e := range es {
				v, _, found, err := r.Get(nil, e.Key.UserKey, base.SeqNumMax)
				if err != nil || !found || !bytes.Equal(v, e.Value) {
					t.Fatalf("Get %s: %q %v %v", e.Key.UserKey, v, found, err)
				}
			}
			if m := c.Metrics(); m.Misses != 0 || m.Hits < blocks {
				t.Fatalf("reading the table back: %s, %d blocks", m, blocks)
			}
			other, err := NewReader(f, ReaderOptions{Cache: c, FileNum: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			it, _ = other.NewIter(nil, nil)
			if _, err := itertest.Collect(it); err != nil {
				t.Fatal(err)
			}
			it.Close()
			if m := c.Metrics(); m.Misses != blocks {
				t.Fatalf("another file number: %s, want %d misses", m, blocks)
			}
		})
	}
}

// TestWriterFillCacheIf: with FillCacheIf, the writer asks once per data
// block, with the block's size, and caches the blocks it says yes to; the
// metadata counts them, and a reader finds those (and only those) cached.
func TestWriterFillCacheIf(t *testing.T) {
	c := NewCache(1 << 20)
	var es []itertest.Entry
	for i := range 200 {
		es = append(es, itertest.Entry{
			Key:   base.MakeInternalKey(fmt.Appendf(nil, "key%04d", i), base.SeqNum(i+1), base.InternalKeyKindSet),
			Value: fmt.Appendf(nil, "value-%d-%s", i, bytes.Repeat([]byte{'v'}, i%40)),
		})
	}
	asked, yes := 0, 0
	var sizes int64
	f, wm, err := buildTable(es, WriterOptions{BlockSize: 256, BlockRestartInterval: 4, FillCache: c, CacheFileNum: 9,
		FillCacheIf: func(n int) bool {
			asked++
			if n <= 0 {
				t.Errorf("asked about a block of %d bytes", n)
			}
			if asked%2 == 1 {
				yes++
				sizes += BlockCost(n)
				return true
			}
			return false
		}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(f, ReaderOptions{Cache: c, FileNum: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	blocks := int(r.Properties().NumDataBlocks)
	m := c.Metrics()
	if asked != blocks || wm.CachedBlocks != uint64(yes) || m.Count != int64(yes) || c.bytes.Load() != m.Bytes || m.Bytes < sizes {
		t.Fatalf("%d blocks, asked %d times, %d cached (metadata says %d): %s, Bytes %d, the blocks cost %d",
			blocks, asked, yes, wm.CachedBlocks, m, c.bytes.Load(), sizes)
	}
	it, _ := r.NewIter(nil, nil)
	if _, err := itertest.Collect(it); err != nil {
		t.Fatal(err)
	}
	it.Close()
	if m := c.Metrics(); m.Hits != int64(yes) || m.Misses != int64(blocks-yes) {
		t.Fatalf("reading the table: %s; %d of %d blocks were cached", m, yes, blocks)
	}
}

// TestCompactionIterCountsAndDemotes: a compaction iterator counts the
// blocks it loads from the cache (with what they cost it) and from the
// file, and leaves the cached ones the next to be evicted: shrinking the
// cache then evicts the compaction's input before blocks a reader used
// earlier.
func TestCompactionIterCountsAndDemotes(t *testing.T) {
	c := NewCache(512 << 10) // one shard
	_, older := cachedSmallTable(t, FastCompression, c, 3)
	defer older.Close()
	_, input := cachedSmallTable(t, FastCompression, c, 4)
	defer input.Close()
	blocks := int64(input.Properties().NumDataBlocks)
	var loads BlockLoads
	it, _ := input.NewCompactionIter(nil, nil, &loads)
	if _, err := itertest.Collect(it); err != nil {
		t.Fatal(err)
	}
	it.Close()
	if loads != (BlockLoads{Read: blocks}) {
		t.Fatalf("over a cold cache: %+v, %d blocks", loads, blocks)
	}
	for _, r := range []*Reader{older, input} { // input read last: the most recently used
		it, _ := r.NewIter(nil, nil)
		if _, err := itertest.Collect(it); err != nil {
			t.Fatal(err)
		}
		it.Close()
	}
	m := c.Metrics()
	if c.bytes.Load() != m.Bytes || m.Count != 2*blocks {
		t.Fatalf("both tables read: %s, Bytes %d", m, c.bytes.Load())
	}
	loads = BlockLoads{}
	it, _ = input.NewCompactionIter(nil, nil, &loads)
	if _, err := itertest.Collect(it); err != nil {
		t.Fatal(err)
	}
	it.Close()
	if loads.Cached != blocks || loads.Read != 0 || loads.CachedBytes <= 0 || loads.CachedBytes > m.Bytes/2 {
		t.Fatalf("over a warm cache: %+v, %d blocks, the cache holds %d bytes", loads, blocks, m.Bytes)
	}
	// Room for about one table's blocks: the input's go first.
	c.SetCapacity(m.Bytes - loads.CachedBytes + loads.CachedBytes/blocks)
	if got := c.Metrics(); got.Count < blocks || got.Count == 2*blocks || c.bytes.Load() != got.Bytes {
		t.Fatalf("after shrinking: %s, Bytes %d", got, c.bytes.Load())
	}
	it, _ = older.NewIter(nil, nil)
	if _, err := itertest.Collect(it); err != nil {
		t.Fatal(err)
	}
	it.Close()
	if got := c.Metrics(); got.Misses != m.Misses {
		t.Fatalf("the older table's blocks were evicted before the compaction's input: %s", got)
	}
	// RoomFor: none for a block the size of what is left, room once the
	// cache doubles.
	if n := int(c.Capacity() - c.bytes.Load()); c.RoomFor(n) {
		t.Fatalf("RoomFor(%d) with %d of %d bytes held", n, c.bytes.Load(), c.Capacity())
	}
	c.SetCapacity(2 * m.Bytes)
	if !c.RoomFor(4 << 10) {
		t.Fatalf("no room for a block with %d of %d bytes held", c.bytes.Load(), c.Capacity())
	}
}
