package lsm

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/memtable"
)

// memTable is a memtable plus the engine's bookkeeping around it.
//
// Its arena comes from jemallocprof (off the Go heap in the jemalloc
// build), or is the DB's spare, and is released when the last reference
// goes: the memtable queue holds one from creation until the memtable's
// flush is installed (or the DB closes), and every read state listing it
// holds one, so an iterator or a Get that still reads the arena keeps it
// alive after the flush. Released, it becomes the DB's spare or is freed
// (spare_arena.go).
type memTable struct {
	*memtable.MemTable
	arena []byte
	refs  atomic.Int32
	// purpose is MemtableActive while the memtable takes writes and
	// MemtableImmutable once rotated. Written under d.mu; read by the last
	// unref, which follows the rotation.
	purpose jemallocprof.Purpose
	// acct is the DB's count of live arenas (for Metrics); spare the
	// DB's spare arena, which the last unref may replenish.
	acct  *memAccounting
	spare *spareArena
	// logNum is the WAL that holds this memtable's writes (0 with the WAL
	// disabled). Once the memtable is flushed, that WAL is obsolete.
	logNum base.FileNum
	// writers counts batches that reserved room here and are still applying
	// their records. A flush waits for it. Adds happen only under the commit
	// mutex while the memtable is mutable, so they precede any Wait.
	writers sync.WaitGroup
	// spareChecked is set (under d.mu) once the memtable was half full
	// and the DB considered allocating a spare arena ahead of time
	// (spare_arena.go).
	spareChecked bool
	// maxSeq is the largest sequence number applied.
	maxSeq atomic.Uint64
	// rangeDels counts the range tombstones applied, so that point reads
	// skip the tombstone list of memtables that have none.
	rangeDels atomic.Int64
	// tombCheckAt is the rangeDels count at which the next check of
	// whether the tombstones are worth an early flush runs (tomb_flush.go);
	// 0 means tombCheckMin.
	tombCheckAt atomic.Int64
	// tombChecked is the rangeDels count the last check claimed;
	// tombIdle asks for a check of the tombstones since then, however few
	// (the delayed check of tomb_flush.go).
	tombChecked atomic.Int64
	tombIdle    atomic.Bool
	// tombs indexes the range tombstones for reads (tomb_index.go).
	tombs memTombs
	// prefaulted is the arena offset up to which the background prefault
	// has made pages resident (prefault.go).
	prefaulted atomic.Uint64
	// flushed is closed once the memtable is in an L0 table (or the flush
	// failed, then flushErr says why).
	flushed  chan struct{}
	flushErr error
}

// memAccounting counts a DB's live memtable arenas: those in the queue and
// the zombies, flushed or dropped but still referenced by a read state.
type memAccounting struct {
	count atomic.Int64
	bytes atomic.Int64
}

// newMemTable returns a memtable with an arena of size bytes, the DB's
// spare if it has one of that size, otherwise a new one, with one
// reference for the caller.
func (d *DB) newMemTable(size int, logNum base.FileNum) *memTable {
	arena := d.spare.take(size)
	if arena == nil {
		arena = jemallocprof.Alloc(jemallocprof.MemtableActive, size)
	}
	m := &memTable{
		MemTable: memtable.New(arena),
		arena:    arena,
		purpose:  jemallocprof.MemtableActive,
		acct:     &d.memAcct,
		spare:    &d.spare,
		logNum:   logNum,
		flushed:  make(chan struct{}),
	}
	m.refs.Store(1)
	m.acct.count.Add(1)
	m.acct.bytes.Add(int64(cap(arena)))
	return m
}

func (m *memTable) ref() { m.refs.Add(1) }

// unref drops a reference; the last one keeps the arena as the DB's
// spare or frees it. Nothing may read the memtable afterwards.
func (m *memTable) unref() {
	switch n := m.refs.Add(-1); {
	case n == 0:
		arena := m.arena
		m.arena, m.MemTable = nil, nil
		m.acct.count.Add(-1)
		m.acct.bytes.Add(-int64(cap(arena)))
		if !m.spare.offer(m.purpose, arena) {
			jemallocprof.Free(m.purpose, arena)
		}
	case n < 0:
		panic("lsm: memtable unreferenced too many times")
	}
}

// markImmutableLocked relabels the arena when the memtable stops taking
// writes. Requires d.mu.
func (m *memTable) markImmutableLocked() {
	if m.purpose == jemallocprof.MemtableActive {
		jemallocprof.Move(jemallocprof.MemtableActive, jemallocprof.MemtableImmutable, cap(m.arena))
		m.purpose = jemallocprof.MemtableImmutable
	}
}

// apply inserts every record of the batch, numbering them from b.seq.
// Point records go in through AddBatch, a run of up to applyRun at a time,
// so that their skiplist searches overlap (memtable/batch.go).
func (m *memTable) apply(b *Batch) error {
	a := applier{m: m}
	if err := a.records(b); err != nil {
		return err
	}
	return a.done()
}

// An applier inserts the records of one or more batches into memtables,
// carrying its run of point records from one batch to the next: a WAL
// group's commits of one or two records each (applyWALGroup) share
// AddBatch calls, as the records of one large batch do.
type applier struct {
	m      *memTable // the memtable of the run and of maxSeq
	run    [applyRun]memtable.Entry
	n      int
	maxSeq base.SeqNum // the highest sequence number added to m
}

// add inserts b's records into b.mem (see records).
func (a *applier) add(b *Batch) error {
	if b.mem != a.m {
		if err := a.done(); err != nil {
			return err
		}
		a.m = b.mem
	}
	return a.records(b)
}

// records inserts b's records into a.m, numbering them from b.seq; some
// may wait in the run for the next flush.
func (a *applier) records(b *Batch) error {
	r, err := newBatchReader(b.data)
	if err != nil {
		return err
	}
	seq := b.seq
	for {
		kind, key, value, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		ikey := base.MakeInternalKey(key, seq, kind)
		seq++
		if kind != base.InternalKeyKindRangeDelete {
			a.run[a.n] = memtable.Entry{Key: ikey, Value: value}
			if a.n++; a.n == len(a.run) {
				if err := a.flush(); err != nil {
					return err
				}
			}
			continue
		}
		if err := a.flush(); err != nil {
			return err
		}
		if bytes.Compare(key, value) >= 0 {
			// An empty or inverted range deletes nothing. Kept, it would
			// fail the flush (sstable.ErrEmptyRange) and turn the DB
			// read-only; the record keeps its sequence number.
			continue
		}
		if err := a.m.Add(ikey, value); err != nil {
			return err
		}
		a.m.tombs.add(key, value, ikey.SeqNum())
		a.m.rangeDels.Add(1)
	}
	if seq > b.seq {
		a.maxSeq = max(a.maxSeq, seq-1)
	}
	return nil
}

// flush inserts the run.
func (a *applier) flush() error {
	if a.n == 0 {
		return nil
	}
	_, err := a.m.AddBatch(a.run[:a.n])
	clear(a.run[:a.n])
	a.n = 0
	return err
}

// done flushes the run and raises the memtable's maxSeq to what was added.
func (a *applier) done() error {
	if err := a.flush(); err != nil {
		return err
	}
	if a.m == nil {
		return nil
	}
	last := uint64(a.maxSeq)
	for {
		cur := a.m.maxSeq.Load()
		if last <= cur || a.m.maxSeq.CompareAndSwap(cur, last) {
			break
		}
	}
	a.maxSeq = 0
	return nil
}

// applyRun is the longest run of point records apply hands to AddBatch.
const applyRun = 16

// readState is what a reader needs: the memtables (newest first) and the
// current version, pinned together by one reference count so that no file a
// reader may touch is deleted and no arena it may read is freed under it.
type readState struct {
	refs      atomic.Int32
	memtables []*memTable // newest first
	version   *version
	// hints are the memtables' MemTables, in the same order, for
	// DB.Prefetch, which takes no reference: a memTable's MemTable field
	// is cleared when it is released, but these stay what they were (a
	// MemTable's own fields never change after New).
	hints []*memtable.MemTable
}

func (s *readState) unref() {
	if s.refs.Add(-1) == 0 {
		s.version.unref()
		for _, m := range s.memtables {
			m.unref()
		}
	}
}

// tryRef adds a reference unless the count already dropped to zero (the
// state was replaced and released: it must not come back to life).
func (s *readState) tryRef() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// loadReadState returns the current read state with a reference the caller
// must drop with unref. It takes no lock: a state replaced between the load
// and the reference is either still referenced by someone (then it is as
// good as if the load had come just before the replacement) or released
// (tryRef fails and the new one is loaded; it is published before the old
// one's reference is dropped, so the loop ends).
func (d *DB) loadReadState() *readState {
	for {
		if s := d.rs.val.Load(); s.tryRef() {
			return s
		}
	}
}

// updateReadStateLocked publishes a read state for the current memtables and
// version. Requires d.mu.
func (d *DB) updateReadStateLocked() {
	s := &readState{version: d.vs.current}
	s.version.ref()
	q := d.mu.mem.queue
	s.memtables = make([]*memTable, len(q))
	s.hints = make([]*memtable.MemTable, len(q))
	for i, m := range q {
		m.ref()
		s.memtables[len(q)-1-i] = m
		s.hints[len(q)-1-i] = m.MemTable
	}
	s.refs.Store(1)
	d.rs.mu.Lock()
	old := d.rs.val.Swap(s)
	d.rs.mu.Unlock()
	if old != nil {
		old.unref()
	}
}
