package lsm

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"github.com/strata-db/strata/jemallocprof"
)

// A fresh memtable arena has no pages behind it: its first write to each
// 4 KiB page faults one in, and the kernel zeroes it. On a shared VM that
// costs 130-200 ms per 64 MiB arena, paid by the writers inside their
// inserts (7% of the server's CPU under LPUSH -P 16 while a fresh arena
// fills, most of it with a hot key's stripe held). So the DB keeps the
// pages just ahead of the writers resident: once the writers come within
// prefaultLead/2 of the resident end, a background goroutine populates the
// next prefaultLead bytes, prefaultChunk at a time (madvise
// MADV_POPULATE_WRITE through jemallocprof.Prefault, which changes no
// byte and is safe next to the writers).
//
// Rules:
//
//  1. Only the mutable memtable is prefaulted, only when its arena holds
//     at least prefaultMinArena bytes (a smaller one faults little in all,
//     and the rotations of small test memtables stay exact: a running
//     prefault holds a reference, which delays the arena's return as the
//     spare by up to one chunk's populate), and only ahead of its
//     writers: the process's resident memory grows with the data as
//     before, plus at most prefaultLead. An arena recycled from a flushed
//     memtable (spare_arena.go) is resident already; populating it again
//     costs a walk of its page tables.
//  2. One prefault runs at a time in a DB. It holds a reference on its
//     memtable and counts as background work, which Close waits for; it
//     stops when the DB closes or the memtable is no longer mutable.
//  3. When the kernel does not know the advice (before Linux 5.14, or
//     another OS), the DB stops prefaulting and writes fault pages in as
//     before. Another error (ENOMEM near a memory limit) ends only that
//     prefault.
//  4. The writer that starts a prefault has not published its batch yet,
//     so it only tries d.mu (TryLock): commits are published in order, and
//     a rotation holds d.mu while it closes the old WAL.
const (
	prefaultLead  = 4 << 20
	prefaultChunk = 1 << 20
	// prefaultMinArena is the least arena size that is prefaulted.
	prefaultMinArena = 4 * prefaultLead
)

// maybePrefault starts the background prefault of m's arena if its
// writers have come within prefaultLead/2 of its resident end (rule 1).
// Called after a batch was applied to m, by one of m's writers (so that m
// is not released meanwhile).
func (d *DB) maybePrefault(m *memTable) {
	end := m.prefaulted.Load()
	if m.Capacity() < prefaultMinArena || end >= uint64(m.Capacity()) || uint64(m.Size())+prefaultLead/2 < end {
		return
	}
	if d.prefaultOff.Load() || !d.prefaultRunning.CompareAndSwap(false, true) {
		return
	}
	// A writer that has not published yet must not wait for d.mu (a
	// rotation holds it while it closes the old WAL, and every later
	// commit would wait behind this one): if it is busy, a later write
	// starts the prefault.
	if !d.mu.TryLock() {
		d.prefaultRunning.Store(false)
		return
	}
	if d.mu.closed || d.mu.mem.mutable != m {
		d.mu.Unlock()
		d.prefaultRunning.Store(false)
		return
	}
	m.ref()
	d.bgWG.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.bgWG.Done()
		defer m.unref()
		defer d.prefaultRunning.Store(false)
		d.prefault(m)
	}()
}

// prefault populates m's arena up to prefaultLead past its writers, a
// chunk at a time, while m is mutable and the DB open. The caller holds a
// reference on m.
func (d *DB) prefault(m *memTable) {
	page := uint64(os.Getpagesize())
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(m.arena))))
	// The nodes' part of the arena (its front); the index and filter
	// behind it were zeroed by memtable.New, so they are resident.
	nodes := uint64(m.Capacity())
	for {
		from := m.prefaulted.Load()
		to := min(uint64(m.Size())+prefaultLead, nodes)
		if from >= to {
			return
		}
		to = min(to, from+prefaultChunk)
		if to < nodes {
			// End on a page boundary: Prefault leaves a page only partly
			// in its range alone, so the next chunk starts on a whole page.
			to = (base+to)&^(page-1) - base
			if to <= from {
				return
			}
		}
		d.mu.Lock()
		stop := d.mu.closed || d.mu.mem.mutable != m
		d.mu.Unlock()
		if stop {
			return
		}
		if err := jemallocprof.Prefault(m.arena[from:to]); err != nil {
			if errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) {
				d.prefaultOff.Store(true) // rule 3
			}
			return // another error (ENOMEM near a memory limit): a later write tries again
		}
		m.prefaulted.Store(to)
	}
}
