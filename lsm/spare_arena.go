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
//  6. When no arena is on its way back, the spare is allocated ahead of
//     time, in the background: once the mutable memtable is half full,
//     if no spare is held or being made and no immutable memtable of the
//     memtable size waits for flush (its arena would come back and find
//     the slot taken). That covers the first rotation after Open and
//     arenas still read after their flush. One allocation at a time; it
//     is background work, which Close waits for, and the arena is kept
//     under the same rules as a released one.

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
	// preparing is set while a background allocation of a spare runs.
	preparing bool
}

// wantsLocked reports whether an arena of length size may become the
// spare now. Requires s.mu.
func (s *spareArena) wantsLocked(size int) bool {
	return s.arena == nil && !s.released && size == s.size
}

// offer keeps arena, counted under purpose p, as the spare if it may; it
// reports whether it did. The caller frees an arena not kept.
func (s *spareArena) offer(p jemallocprof.Purpose, arena []byte) bool {
	// Before it can be taken, and even if it is not kept (then Free fills
	// it again). Only in the invariants build.
	jemallocprof.Poison(arena[:cap(arena)])
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.wantsLocked(len(arena)) {
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

// startPreparing reports whether a spare of length size should be
// allocated ahead of time, and if so notes that one is being made: the
// caller then calls prepare.
func (s *spareArena) startPreparing(size int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.preparing || !s.wantsLocked(size) {
		return false
	}
	s.preparing = true
	return true
}

// prepare allocates a spare of length size and keeps it, unless a
// released arena became the spare meanwhile (or the size changed, or the
// DB released its memory): then it frees it, or does not allocate at all
// if that was settled before it started.
func (s *spareArena) prepare(size int) {
	s.mu.Lock()
	wanted := s.wantsLocked(size)
	if !wanted {
		s.preparing = false
	}
	s.mu.Unlock()
	if !wanted {
		return
	}
	arena := jemallocprof.Alloc(jemallocprof.MemtableSpare, size)
	s.mu.Lock()
	s.preparing = false
	keep := s.wantsLocked(size)
	if keep {
		s.arena = arena
	}
	s.mu.Unlock()
	if !keep {
		jemallocprof.Free(jemallocprof.MemtableSpare, arena)
	}
}

// maybePrepareSpareLocked starts the background allocation of a spare if
// rule 6 asks for one. Requires d.mu.
func (d *DB) maybePrepareSpareLocked() {
	if d.mu.closed {
		return
	}
	size := int(d.memTableSize.Load())
	for _, m := range d.mu.mem.queue {
		if m != d.mu.mem.mutable && len(m.arena) == size {
			return // its arena comes back after its flush
		}
	}
	if !d.spare.startPreparing(size) {
		return
	}
	d.bgWG.Add(1)
	go func() {
		defer d.bgWG.Done()
		d.spare.prepare(size)
	}()
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
