package lsm

import (
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/memtable"
)

// memTable is a memtable plus the engine's bookkeeping around it.
type memTable struct {
	*memtable.MemTable
	// logNum is the WAL that holds this memtable's writes (0 with the WAL
	// disabled). Once the memtable is flushed, that WAL is obsolete.
	logNum base.FileNum
	// writers counts batches that reserved room here and are still applying
	// their records. A flush waits for it. Adds happen only under the commit
	// mutex while the memtable is mutable, so they precede any Wait.
	writers sync.WaitGroup
	// maxSeq is the largest sequence number applied.
	maxSeq atomic.Uint64
	// rangeDels counts the range tombstones applied, so that point reads
	// skip the tombstone list of memtables that have none.
	rangeDels atomic.Int64
	// tombs indexes the range tombstones for reads (tomb_index.go).
	tombs memTombs
	// flushed is closed once the memtable is in an L0 table (or the flush
	// failed, then flushErr says why).
	flushed  chan struct{}
	flushErr error
}

func newMemTable(size int, logNum base.FileNum) *memTable {
	return &memTable{
		MemTable: memtable.New(make([]byte, size)),
		logNum:   logNum,
		flushed:  make(chan struct{}),
	}
}

// apply inserts every record of the batch, numbering them from b.seq.
func (m *memTable) apply(b *Batch) error {
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
		if err := m.Add(base.MakeInternalKey(key, seq, kind), value); err != nil {
			return err
		}
		if kind == base.InternalKeyKindRangeDelete {
			m.tombs.add(key, value, seq)
			m.rangeDels.Add(1)
		}
		seq++
	}
	last := uint64(seq - 1)
	for {
		cur := m.maxSeq.Load()
		if last <= cur || m.maxSeq.CompareAndSwap(cur, last) {
			break
		}
	}
	return nil
}

// readState is what a reader needs: the memtables (newest first) and the
// current version, pinned together by one reference count so that no file a
// reader may touch is deleted under it.
type readState struct {
	refs      atomic.Int32
	memtables []*memTable // newest first
	version   *version
}

func (s *readState) unref() {
	if s.refs.Add(-1) == 0 {
		s.version.unref()
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
	for i, m := range q {
		s.memtables[len(q)-1-i] = m
	}
	s.refs.Store(1)
	d.rs.mu.Lock()
	old := d.rs.val.Swap(s)
	d.rs.mu.Unlock()
	if old != nil {
		old.unref()
	}
}
