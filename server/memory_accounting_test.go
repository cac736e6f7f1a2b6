package server

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/server/resp"
)

// pipelineSets writes total bytes of values through c as SETs of valueLen
// bytes, 100 to a pipeline, keys "acct:<i>"; it returns the number of keys.
func pipelineSets(t *testing.T, c *rawConn, total, valueLen int) int {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	val := make([]byte, valueLen)
	n := total / valueLen
	for i := 0; i < n; i += 100 {
		c.out = c.out[:0]
		batch := min(100, n-i)
		for j := range batch {
			for k := range val {
				val[k] = byte('a' + r.IntN(26))
			}
			c.out = appendCommand(c.out, "SET", "acct:"+strconv.Itoa(i+j), string(val))
		}
		if _, err := c.conn.Write(c.out); err != nil {
			t.Fatal(err)
		}
		for range batch {
			v, err := resp.ReadReply(c.br)
			if err != nil || v.Str != "OK" {
				t.Fatalf("SET: %v %v", v, err)
			}
		}
	}
	return n
}

// trackedAndHeap returns the tracked total and the bytes the process's
// allocators hold (the Go heap's live objects after a collection, plus
// what jemalloc has allocated in that build), read so that both describe
// the same moment: a buffer freed between the collection and the reading
// of the counters (a block evicted as a compaction's inputs are deleted)
// would count in the heap but no longer in the tracked total. It retries
// until no Alloc, Free, Track or Untrack happened around the collection.
func trackedAndHeap(t *testing.T) (tracked, heap int64) {
	t.Helper()
	var ms runtime.MemStats
	for range 100 {
		before := jemallocprof.Snapshot()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		native, _ := jemallocprof.NativeAllocated()
		if slices.Equal(before, jemallocprof.Snapshot()) {
			return jemallocprof.TotalLive(), int64(ms.HeapAlloc) + native
		}
	}
	t.Fatal("the tracked counters changed around each of 100 collections")
	return 0, 0
}

// TestServerMemoryAccounting: after writing 256 MiB through the server
// (32 MiB under -short or the race detector) and reading every key back,
// the tracked memtable bytes equal the arenas' sizes the engine reports,
// and the tracked total agrees within 10% with what the server added to
// the heap: the Go heap's live bytes, plus in the jemalloc build what
// jemalloc holds (issue 6).
func TestServerMemoryAccounting(t *testing.T) {
	total, memtable := 256<<20, "64mb"
	if raceEnabled || testing.Short() {
		// Smaller memtables, so that tables and the block cache are
		// exercised too.
		total, memtable = 32<<20, "8mb"
	}
	// The heap may hold what earlier tests left: compare what this
	// server adds.
	tracked0, heap0 := trackedAndHeap(t)
	ts := startServer(t, t.TempDir(), "--memtable-size", memtable, "--block-cache-size", "64mb")
	c := dialRaw(t, ts.addr)
	n := pipelineSets(t, c, total, 1000)

	db := ts.s.Engine()
	matched := false
	var last string
	for range 100 {
		before := jemallocprof.Live(jemallocprof.MemtableActive) + jemallocprof.Live(jemallocprof.MemtableImmutable)
		m := db.Metrics()
		after := jemallocprof.Live(jemallocprof.MemtableActive) + jemallocprof.Live(jemallocprof.MemtableImmutable)
		arenas := int64(m.MemTable.Capacity + m.MemTable.ZombieCapacity)
		if before == after && after == arenas {
			matched = true
			break
		}
		// A flush finished between the reads: read again.
		last = fmt.Sprintf("tracked %d/%d, arenas %d (memtables %d, zombies %d)", before, after, arenas, m.MemTable.Count, m.MemTable.Zombies)
		runtime.Gosched()
	}
	if !matched {
		t.Fatalf("tracked memtable bytes never matched the arenas: %s", last)
	}

	// Reads of every key fill the block cache, the other large budget.
	// They start once flushes and compactions are done, so that the cache
	// ends full of blocks of the tables that stay (blocks a compaction
	// read leave the cache when its inputs are deleted).
	waitUntil(t, 5*time.Minute, "flushes and compactions to finish", func() bool {
		m := db.Metrics()
		return m.Compact.Running == 0 && !m.Flush.Running
	})
	for i := 0; i < n; i += 100 {
		c.out = c.out[:0]
		for j := i; j < min(i+100, n); j++ {
			c.out = appendCommand(c.out, "GET", "acct:"+strconv.Itoa(j))
		}
		if _, err := c.conn.Write(c.out); err != nil {
			t.Fatal(err)
		}
		for j := i; j < min(i+100, n); j++ {
			if v, err := resp.ReadReply(c.br); err != nil || len(v.Str) != 1000 {
				t.Fatalf("GET: %v %v", v, err)
			}
		}
	}
	if bc := db.Metrics().BlockCache; bc.Bytes == 0 || bc.Bytes != jemallocprof.Live(jemallocprof.BlockCache) {
		t.Fatalf("after the reads the cache holds %d bytes, %d tracked", bc.Bytes, jemallocprof.Live(jemallocprof.BlockCache))
	}

	tracked, heap := trackedAndHeap(t)
	tracked -= tracked0
	heap -= heap0
	t.Logf("tracked %d bytes, heap %d bytes (%.1f%%)", tracked, heap, 100*float64(tracked)/float64(heap))
	if d := heap - tracked; d < -heap/10 || d > heap/10 {
		t.Fatalf("tracked total %d and heap %d differ by more than 10%%:\n%s", tracked, heap, db.Metrics())
	}
	// Nothing still references what was freed: blocks of the compactions'
	// inputs, evicted when their tables went, nor anything else
	// (invariants build, pure Go).
	if n, b, ok := jemallocprof.FreedReachable(); ok && n > 0 {
		t.Fatalf("%d freed buffers (%d bytes) are still referenced", n, b)
	}
}

// TestConfigSetEngineBudgets: CONFIG SET block-cache-size empties or grows
// the cache at once, and memtable-size applies to the next memtable.
func TestConfigSetEngineBudgets(t *testing.T) {
	ts := startServer(t, t.TempDir(), "--memtable-size", "4mb", "--block-cache-size", "0")
	c := dialRaw(t, ts.addr)
	db := ts.s.Engine()
	n := pipelineSets(t, c, 2<<20, 1000)
	c.expectDo(t, "+OK", "FLUSHMEMTABLE")
	readAll := func() {
		for i := range n {
			c.mustDo(t, "GET", "acct:"+strconv.Itoa(i))
		}
	}
	readAll()
	if b := db.Metrics().BlockCache.Bytes; b != 0 {
		t.Fatalf("a zero budget cached %d bytes", b)
	}
	c.expectDo(t, "+OK", "CONFIG", "SET", "block-cache-size", "8mb")
	readAll()
	if b := db.Metrics().BlockCache.Bytes; b == 0 || b > 8<<20 {
		t.Fatalf("an 8 MiB budget holds %d bytes", b)
	}
	c.expectDo(t, "+OK", "CONFIG", "SET", "block-cache-size", "0")
	if b := db.Metrics().BlockCache.Bytes; b != 0 {
		t.Fatalf("shrinking to zero left %d bytes", b)
	}

	c.expectDo(t, "+OK", "CONFIG", "SET", "memtable-size", "1mb")
	if got := db.Metrics().MemTable.Capacity; got != 4<<20 {
		t.Fatalf("the mutable memtable changed size at once: %d", got)
	}
	c.mustDo(t, "SET", "next", "memtable")
	c.expectDo(t, "+OK", "FLUSHMEMTABLE")
	waitUntil(t, time.Minute, "the old memtables to go", func() bool {
		m := db.Metrics()
		return m.MemTable.Count == 1 && m.MemTable.Zombies == 0
	})
	if got := db.Metrics().MemTable.Capacity; got != 1<<20 {
		t.Fatalf("the next memtable has %d bytes, want 1 MiB", got)
	}
	c.expectDo(t, "-ERR CONFIG SET failed (possibly related to argument 'memtable-size') - argument must be between 65536 and 4294967295 inclusive", "CONFIG", "SET", "memtable-size", "1")
}
