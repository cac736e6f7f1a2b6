// Package memtable holds the engine's in-memory table: the newest writes,
// sorted by internal key, until they are flushed to an sstable.
//
// # Purpose
//
// A MemTable is two lock-free skiplists in one caller-supplied arena: the
// point entries (SET and DEL) and the range tombstones (RANGEDEL, key = start
// key, value = end key). The engine applies committed batches to the active
// memtable, reads it with Get and NewIter, and when it is full makes it
// immutable and flushes it with NewIter and NewRangeDelIter.
//
// # Usage
//
//	m := memtable.New(make([]byte, 64<<20))
//	if !m.Reserve(batchBytes) { /* rotate to a new memtable */ }
//	err := m.Add(base.MakeInternalKey([]byte("k"), 7, base.InternalKeyKindSet), []byte("v"))
//	m.Applied() // the batch is in: give back what its reservation over-estimated
//	v, kind, ok := m.Get([]byte("k"), 7)
//	it := m.NewIter(nil, nil)
//	for ok := it.First(); ok; ok = it.Next() { ... }
//	_ = it.Close()
//
// where batchBytes is the sum of MaxEntrySize over the batch's entries.
//
// # Concurrency contract
//
//  1. Add and AddBatch are safe for concurrent use with other Adds and with
//     readers: nodes
//     are linked with compare-and-swap, never under a lock. Two Adds of the
//     same user key and trailer race on level 0; exactly one wins, the
//     other gets ErrRecordExists.
//  2. Get, NewIter and NewRangeDelIter never block and never wait for an
//     Add. A reader sees every Add that returned before the read began,
//     and may or may not see Adds in flight. Iterators see entries added
//     after their creation; the engine hides them by sequence number.
//  3. An iterator is not safe for concurrent use (base.InternalIterator).
//  4. Reserve, Applied, Size, Capacity, Count and Empty are safe at any
//     time. Reserve is the engine's admission control: if every Add is
//     covered by a reservation no Add fails with ErrArenaFull. An Add not
//     covered by a reservation draws on unreserved space and may use up
//     space that a concurrent reservation counted on. Reservations assume
//     the tallest tower for every entry; Applied, called once per
//     successful Reserve after the batch's Adds return, gives the excess
//     back whenever no reserved batch is left in flight.
//  5. Keys and values returned by Get and by iterators alias the arena;
//     they stay valid while the arena lives and must not be modified.
//
// # Batched inserts and huge pages
//
// A search of a full memtable is a chain of dependent cache misses.
// AddBatch runs the searches of up to 16 point entries in lock-step with
// software prefetches, so that their misses overlap (batch.go); an
// ascending run of close keys (a list's consecutive slots) is placed
// instead with finger searches, each from the previous entry's splice. The
// engine applies every batch through it. New asks Linux to back the arena with
// transparent huge pages (hugepages_linux.go), so that a node visited is
// rarely also a TLB miss.
//
// # Backward iteration
//
// Level 0 of each skiplist is doubly linked: Prev follows a prev link,
// maintained with compare-and-swap by the inserters (see skiplist.add), so
// Prev costs O(1) like Next. While inserts are in flight a prev link may
// still point at an older predecessor, so Prev can step over an entry being
// inserted; it never goes out of order, and once no insert is in flight
// every prev link is exact.
//
// # Arena layout
//
// The arena is one byte slice addressed by uint32 offsets; allocation bumps
// a cursor with compare-and-swap. Its layout:
//
//	[align prefix][points head][points tail][rangedel head][rangedel tail][entry]...[point index][point filter]
//
// Arenas of 16 KiB and more reserve their last ReservedSize bytes for two
// structures Get consults before it searches the skiplist (whose ~35
// dependent cache misses in a full 64 MiB memtable made point reads cost
// microseconds): the point filter (filter.go, 1/64 of the arena), a
// blocked bloom filter of the point entries' user keys, so that a key the
// memtable does not hold costs one cache line; and the point index
// (index.go, about 1/16), an open-addressing table from user key to its
// newest node, so that a key it holds costs a probe or two. Capacity is
// the arena's length less ReservedSize.
//
// and each entry is one node (see node.go):
//
//	trailer u64 | keySize u32 | valueSize u32 | height u32 | prev u32 |
//	next[0..height) u32 | user key | value | padding to 4 bytes
//
// # Invariants
//
//  1. Offset 0 is never allocated and means "no node". The prefix before
//     the first node is 1 to 4 bytes, so that every node starts on a
//     4-byte boundary in memory, as the atomic link words require.
//  2. Every allocation is rounded up to 4 bytes. One entry uses exactly
//     align4(24 + 4*height + len(userKey) + len(value)) bytes, at most
//     MaxEntrySize(len(userKey), len(value)) (height 20).
//  3. Size is the allocation cursor: the exact number of bytes in use,
//     never more than Capacity. A failed allocation does not move it. An
//     Add refused with ErrRecordExists before allocating uses no bytes; one
//     that loses a race for the same key keeps its unlinked node counted.
//  4. A node's trailer, sizes, height, key and value are written before the
//     node is published by the compare-and-swap that links it on level 0,
//     and never change afterwards. Only link words change, and only with
//     atomic operations.
//  5. Nodes are never removed or moved. On every level the next links
//     visit nodes in strictly increasing InternalCompare order; the head
//     sentinel sorts before and the tail sentinel after every entry.
//  6. A node's prev link always points at a node that sorts before it (or
//     the head), and only ever moves to a later node.
//  7. Tower heights are random with P(height > h) = e^-h, capped at 20.
//  8. A point entry's user key is in the filter before its node is
//     linked; the filter never loses a bit, so it has no false negatives.
//  9. Once an Add of a point entry returns, the index slot of its user
//     key holds that entry or one with a higher trailer, or the index is
//     saturated (index.go).
//  10. Nothing relies on a zeroed arena: New clears the index and the
//     filter, a node's header, key and value are written at allocation,
//     and each link (prev, next on each level) is set before the node is
//     reachable through it; New sets the head's next links and the
//     tail's prev link (the head's prev link is never read). The engine
//     reuses a released arena as it is (TestDirtyArena).
package memtable
