package sstable

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
)

// Cache is a block cache shared by the readers of a DB: decompressed
// blocks keyed by (file number, block offset), a byte budget split across
// shards, LRU eviction within each shard. It is safe for concurrent use.
//
// Blocks are handed out through refcounted handles. The cache holds one
// reference to every resident block and each Handle holds another; an
// evicted block stays valid for the holders of handles until they Release
// them. Pinned bytes (blocks with outstanding handles) are therefore known
// exactly, for the memory accounting of the engine.
//
// # Memory accounting
//
// Block buffers come from jemallocprof (off the Go heap in the jemalloc
// build). A block is born under jemallocprof.IteratorPinned (the reader
// that loaded it holds it), moves to BlockCache when it enters the cache
// and back to IteratorPinned when it leaves it, both under the shard lock
// together with the shard's byte count; the release of its last reference
// frees it. The cache's own bookkeeping is Go heap: per resident block an
// entry and the refcounted value handles point to (entryOverhead bytes,
// their size classes), and each shard's index (cacheIndex). Both are
// declared under BlockCache with Track as they come and go, and charged
// to the budget like the blocks. So at every moment the tracked
// BlockCache bytes of all caches equal the sum of their Metrics().Bytes,
// and IteratorPinned counts exactly the blocks alive only because a
// handle holds them (the small value struct a handle keeps after its
// block's eviction is not counted).
type Cache struct {
	shards []cacheShard
	mask   uint64
	// bytes is the sum of the shards' resident bytes, and capacity of
	// their budgets (RoomFor, Capacity).
	bytes, capacity atomic.Int64
}

// CacheMetrics is a snapshot of the cache's counters.
type CacheMetrics struct {
	Hits      int64
	Misses    int64
	Bytes     int64 // resident blocks, their entries and the shards' indexes
	Count     int64 // resident blocks
	Evictions int64
}

// String renders the metrics on one line.
func (m CacheMetrics) String() string {
	return fmt.Sprintf("hits=%d misses=%d bytes=%d count=%d evictions=%d",
		m.Hits, m.Misses, m.Bytes, m.Count, m.Evictions)
}

type cacheKey struct {
	fileNum base.FileNum
	offset  uint64
}

// cacheValue is one decompressed block. refs counts the cache's own
// reference (while resident) and one per Handle. buf comes from allocBlock
// and is freed by the release of the last reference, when the block is no
// longer resident, hence under IteratorPinned.
type cacheValue struct {
	buf  []byte
	refs atomic.Int32
}

// allocBlock allocates a block buffer of n bytes, counted as pinned by the
// reader about to fill it. Its contents are unspecified (AllocUninit):
// every caller writes all n bytes, a block read, decoded or copied whole,
// before it reads any.
func allocBlock(n int) []byte { return jemallocprof.AllocUninit(jemallocprof.IteratorPinned, n) }

// newValue wraps a buffer from allocBlock in a value with one reference,
// the caller's.
func newValue(buf []byte) *cacheValue {
	v := &cacheValue{buf: buf}
	v.refs.Store(1)
	return v
}

func (v *cacheValue) acquire() { v.refs.Add(1) }

func (v *cacheValue) release() {
	switch n := v.refs.Add(-1); {
	case n == 0:
		buf := v.buf
		v.buf = nil
		jemallocprof.Free(jemallocprof.IteratorPinned, buf)
	case n < 0:
		panic("sstable: cache value released too many times")
	}
}

// Handle is a reference to a block. The zero Handle is empty. Release must
// be called exactly once for every non-empty handle.
type Handle struct {
	v *cacheValue
}

// Get returns the block. It is valid until Release: the memory may be
// returned to the allocator then.
func (h Handle) Get() []byte {
	if h.v == nil {
		return nil
	}
	return h.v.buf
}

// take ends a handle that holds the only reference to its block, one not
// in the cache (readDataBlockNoFill's), and hands its buffer to the
// caller, who then owns it as a buffer from allocBlock.
func (h Handle) take() []byte {
	v := h.v
	if !v.refs.CompareAndSwap(1, 0) {
		panic("sstable: taking a block buffer that is shared")
	}
	buf := v.buf
	v.buf = nil
	return buf
}

// Release drops the handle's reference.
func (h Handle) Release() {
	if h.v != nil {
		h.v.release()
	}
}

// cacheEntry is a resident block: in its shard's index and LRU list.
type cacheEntry struct {
	key   cacheKey
	hash  uint64
	value *cacheValue
	// size is what the block is charged: its buffer's capacity plus
	// entryOverhead.
	size       int64
	prev, next *cacheEntry // LRU list; the sentinel's next is the most recent
	hnext      *cacheEntry // next entry in the index bucket
}

// entryOverhead is the Go heap a resident block's bookkeeping takes: its
// entry and its value, each rounded up to its size class.
var entryOverhead = heapObjectSize(unsafe.Sizeof(cacheEntry{})) + heapObjectSize(unsafe.Sizeof(cacheValue{}))

// minIndexBytes is the size of a shard's smallest index array.
var minIndexBytes = func() int64 {
	var x cacheIndex
	x.resize(minCacheBuckets)
	return x.bytes()
}()

type cacheShard struct {
	mu struct {
		sync.Mutex
		// All fields are guarded by mu.
		index cacheIndex
		lru   cacheEntry // sentinel
		// bytes are the resident entries' sizes plus the index's array,
		// all declared under jemallocprof.BlockCache.
		bytes     int64
		capacity  int64
		hits      int64
		misses    int64
		evictions int64
	}
	// buckets is the index's bucket array as of its last change, for
	// prefetch: each change publishes a new slice header (the array is
	// only read by the prefetch, which never dereferences its entries).
	buckets atomic.Pointer[[]*cacheEntry]
	// total is the cache's sum of the shards' bytes, which the shard
	// changes with its own.
	total *atomic.Int64
	_     [64]byte // keep shards' locks on different cache lines
}

// NewCache returns a cache holding at most capacityBytes of blocks.
func NewCache(capacityBytes int64) *Cache {
	capacityBytes = max(capacityBytes, 0)
	// Enough shards to spread lock contention, but each shard keeps at
	// least 1 MiB so that the budget is not fragmented into uselessness.
	n := 4 * runtime.GOMAXPROCS(0)
	n = min(n, int(capacityBytes>>20))
	n = max(n, 1)
	n = 1 << (bits.Len(uint(n)) - 1) // round down to a power of two
	c := &Cache{shards: make([]cacheShard, n), mask: uint64(n - 1)}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.lru.next, s.mu.lru.prev = &s.mu.lru, &s.mu.lru
		s.mu.capacity = capacityBytes / int64(n)
		s.total = &c.bytes
	}
	c.capacity.Store(capacityBytes / int64(n) * int64(n))
	return c
}

// hashKey mixes a key: its low bits pick the shard, its high bits the
// index bucket.
func hashKey(k cacheKey) uint64 {
	h := uint64(k.fileNum)*0x9e3779b97f4a7c15 ^ k.offset*0xbf58476d1ce4e5b9
	return h ^ h>>31
}

func (c *Cache) shard(h uint64) *cacheShard { return &c.shards[h&c.mask] }

// prefetch starts loading the index bucket a get of the block would read
// first (GetMany). It reads the shard's published array, never the index
// itself: no lock, and an array replaced meanwhile costs a useless load.
func (c *Cache) prefetch(fileNum base.FileNum, offset uint64) {
	h := hashKey(cacheKey{fileNum, offset})
	if b := c.shard(h).buckets.Load(); b != nil && len(*b) > 0 {
		base.Prefetch(unsafe.Pointer(&(*b)[bucketIn(h, len(*b))]))
	}
}

// get returns a handle on the cached block, or an empty handle on a miss.
func (c *Cache) get(fileNum base.FileNum, offset uint64) Handle {
	return c.getAt(fileNum, offset, false)
}

// getLast is get for a reader that will not ask for the block again (a
// compaction's input): a hit leaves the block the next to be evicted
// rather than the last, so that blocks inserted meanwhile (the
// compaction's output) evict it before blocks readers used.
func (c *Cache) getLast(fileNum base.FileNum, offset uint64) Handle {
	return c.getAt(fileNum, offset, true)
}

func (c *Cache) getAt(fileNum base.FileNum, offset uint64, last bool) Handle {
	k := cacheKey{fileNum, offset}
	h := hashKey(k)
	s := c.shard(h)
	s.mu.Lock()
	e := s.mu.index.find(k, h)
	if e == nil {
		s.mu.misses++
		s.mu.Unlock()
		return Handle{}
	}
	s.mu.hits++
	s.unlinkLocked(e)
	if last {
		s.pushBackLocked(e)
	} else {
		s.pushFrontLocked(e)
	}
	e.value.acquire()
	s.mu.Unlock()
	return Handle{e.value}
}

// insert adds a block, whose buffer comes from allocBlock, and returns a
// handle on it. A block that does not fit a shard's budget (with its
// entry and the smallest index) is not cached; the handle then owns the
// only reference and the block stays counted as pinned.
func (c *Cache) insert(fileNum base.FileNum, offset uint64, buf []byte) Handle {
	v := newValue(buf) // the returned handle's reference
	k := cacheKey{fileNum, offset}
	h := hashKey(k)
	size := int64(cap(buf)) + entryOverhead
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	// The index may have to grow for one more entry: that is charged too.
	if size+minIndexBytes > s.mu.capacity {
		return Handle{v}
	}
	if old := s.mu.index.find(k, h); old != nil {
		s.removeLocked(old)
	}
	s.evictLocked(s.mu.capacity - size)
	v.acquire() // the cache's reference
	e := &cacheEntry{key: k, hash: h, value: v, size: size}
	s.indexLocked(func(x *cacheIndex) { x.add(e) })
	s.pushFrontLocked(e)
	s.mu.bytes += size
	s.total.Add(size)
	jemallocprof.Track(jemallocprof.BlockCache, int(entryOverhead))
	jemallocprof.Move(jemallocprof.IteratorPinned, jemallocprof.BlockCache, cap(buf))
	// A grown index may have taken the shard past its budget.
	s.evictLocked(s.mu.capacity)
	return Handle{v}
}

// BlockCost returns what a block of n bytes costs the cache's budget: its
// buffer's size class and its entry (as insert charges it).
func BlockCost(n int) int64 {
	return int64(jemallocprof.SizeClass(max(n, 1))) + entryOverhead
}

// RoomFor reports whether the cache has room for a block of n bytes
// without evicting one. It reads no lock: the shards may be changing, and
// the answer is a hint.
func (c *Cache) RoomFor(n int) bool {
	return c.bytes.Load()+BlockCost(n) <= c.capacity.Load()
}

// indexLocked changes the index with fn and accounts for any change in
// the size of its array.
func (s *cacheShard) indexLocked(fn func(*cacheIndex)) {
	before := s.mu.index.bytes()
	fn(&s.mu.index)
	if b := s.mu.index.buckets; len(b) == 0 {
		if s.buckets.Load() != nil {
			s.buckets.Store(nil)
		}
	} else if p := s.buckets.Load(); p == nil || len(*p) != len(b) || &(*p)[0] != &b[0] {
		s.buckets.Store(&b)
	}
	if after := s.mu.index.bytes(); after != before {
		s.mu.bytes += after - before
		s.total.Add(after - before)
		jemallocprof.Untrack(jemallocprof.BlockCache, int(before))
		jemallocprof.Track(jemallocprof.BlockCache, int(after))
	}
}

// evictLocked evicts least recently used blocks until the shard holds at
// most limit bytes, or nothing.
func (s *cacheShard) evictLocked(limit int64) {
	for s.mu.bytes > limit && s.mu.lru.prev != &s.mu.lru {
		s.removeLocked(s.mu.lru.prev)
		s.mu.evictions++
	}
}

// SetCapacity changes the byte budget and evicts, least recently used
// first, down to it. The number of shards stays what NewCache chose;
// each gets an equal share of the new budget. Blocks pinned by handles
// stay valid until released (counted as pinned, no longer as cached).
func (c *Cache) SetCapacity(capacityBytes int64) {
	capacityBytes = max(capacityBytes, 0)
	per := capacityBytes / int64(len(c.shards))
	c.capacity.Store(per * int64(len(c.shards)))
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.mu.capacity = per
		s.evictLocked(per)
		s.mu.Unlock()
	}
}

// Capacity returns the byte budget (the sum of the shards' shares).
func (c *Cache) Capacity() int64 { return c.capacity.Load() }

// EvictFile drops every block of a file, for when the table is deleted.
// Blocks pinned by handles stay valid until released.
func (c *Cache) EvictFile(fileNum base.FileNum) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for e := s.mu.lru.next; e != &s.mu.lru; {
			next := e.next
			if e.key.fileNum == fileNum {
				s.removeLocked(e)
			}
			e = next
		}
		s.mu.Unlock()
	}
}

// Metrics returns a snapshot of the counters.
func (c *Cache) Metrics() CacheMetrics {
	var m CacheMetrics
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		m.Hits += s.mu.hits
		m.Misses += s.mu.misses
		m.Bytes += s.mu.bytes
		m.Count += int64(s.mu.index.count)
		m.Evictions += s.mu.evictions
		s.mu.Unlock()
	}
	return m
}

// removeLocked drops e from the shard; its block is counted as pinned
// until its last handle is released (at once if there is none).
func (s *cacheShard) removeLocked(e *cacheEntry) {
	s.unlinkLocked(e)
	s.indexLocked(func(x *cacheIndex) { x.remove(e) })
	s.mu.bytes -= e.size
	s.total.Add(-e.size)
	jemallocprof.Untrack(jemallocprof.BlockCache, int(entryOverhead))
	jemallocprof.Move(jemallocprof.BlockCache, jemallocprof.IteratorPinned, int(e.size-entryOverhead))
	e.value.release()
}

func (s *cacheShard) unlinkLocked(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (s *cacheShard) pushBackLocked(e *cacheEntry) {
	e.prev = s.mu.lru.prev
	e.next = &s.mu.lru
	e.prev.next = e
	s.mu.lru.prev = e
}

func (s *cacheShard) pushFrontLocked(e *cacheEntry) {
	e.next = s.mu.lru.next
	e.prev = &s.mu.lru
	e.next.prev = e
	s.mu.lru.next = e
}
