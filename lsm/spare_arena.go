package lsm

import (
	"sync"

	"github.com/strata-db/strata/jemallocprof"
)

// A memtable arena is expensive to allocate: the allocator zeroes it and
// the kernel faults its pages in, 130-200 ms for 64 MiB, and a rotation
// allocates under commit.mu and d.mu, so every writer waits for it.
// memtable.New needs no zeroed arena (memtable invariant 10), so the DB
// recycles arenas, as Pebble does: when the last reference to a memtable
// goes, its arena becomes the DB's spare, and the next memtable takes it
// instead of allocating.
//
// Rules:
//
//  1. A DB holds at most one spare, of the memtable size (SetMemTableSize)
//     at the time it was kept. A released arena is freed as before when a
//     spare is already held, when its length is another size (a memtable
//     made for a batch larger than the memtable size, or one from before
//     a SetMemTableSize), and once the DB has released its memory (Close,
//     or a failed Open).
//  2. The spare holds no data and is not a memtable: it is counted under
//     jemallocprof.MemtableSpare, moved there from the memtable's purpose
//     and back to MemtableActive when taken, and not in d.memAcct.
//     Metrics().MemTable.SpareCapacity reports it.
//  3. SetMemTableSize frees a spare of the old size; Close frees the spare
//     after the queue's references are gone, so Close leaves no arena of
//     its own behind.
//  4. spareArena.mu is a leaf lock: the last unref runs on any goroutine
//     (a reader, the flush, Close), some of them holding d.mu. Frees
//     happen after it is released.
//  5. In the invariants build a kept arena is filled with 0xdb, the
//     poison of freed buffers, so that a use of a memtable after its last
//     unref still reads garbage, and the next memtable starts on a dirty
//     arena.

// spareArena is a DB's spare memtable arena.
type spareArena struct {
	mu sync.Mutex
	// arena is the spare (nil: none), of length size.
	arena []byte
	// size is the length of arena a spare may have: the DB's memtable
	// size. released is set once the DB has released its memory: no
	// arena is kept after that.
	size     int
	released bool
}

// offer keeps arena, counted under purpose p, as the spare if it may; it
// reports whether it did. The caller frees an arena not kept.
func (s *spareArena) offer(p jemallocprof.Purpose, arena []byte) bool {
	if jemallocprof.Invariants {
		// Before it can be taken, and even if it is not kept (then Free
		// fills it again).
		poison(arena[:cap(arena)])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arena != nil || s.released || len(arena) != s.size {
		return false
	}
	jemallocprof.Move(p, jemallocprof.MemtableSpare, cap(arena))
	s.arena = arena
	return true
}

// take returns the spare, counted under jemallocprof.MemtableActive, if
// there is one of length size, and nil otherwise. A memtable of another
// size (one made for a batch larger than the memtable size) leaves the
// spare for the next one.
func (s *spareArena) take(size int) []byte {
	s.mu.Lock()
	arena := s.arena
	if len(arena) != size {
		s.mu.Unlock()
		return nil
	}
	s.arena = nil
	jemallocprof.Move(jemallocprof.MemtableSpare, jemallocprof.MemtableActive, cap(arena))
	s.mu.Unlock()
	return arena
}

// setSize sets the length a spare may have, freeing a spare of another
// length.
func (s *spareArena) setSize(n int) {
	s.mu.Lock()
	s.size = n
	var stale []byte
	if s.arena != nil && len(s.arena) != n {
		stale, s.arena = s.arena, nil
	}
	s.mu.Unlock()
	if stale != nil {
		jemallocprof.Free(jemallocprof.MemtableSpare, stale)
	}
}

// release frees the spare and keeps no arena from now on.
func (s *spareArena) release() {
	s.mu.Lock()
	arena := s.arena
	s.arena, s.released = nil, true
	s.mu.Unlock()
	if arena != nil {
		jemallocprof.Free(jemallocprof.MemtableSpare, arena)
	}
}

// capacity returns the allocated size of the spare, 0 if there is none.
func (s *spareArena) capacity() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cap(s.arena)
}

// poison fills b with 0xdb, doubling the copied span each step.
func poison(b []byte) {
	if len(b) == 0 {
		return
	}
	b[0] = 0xdb
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
