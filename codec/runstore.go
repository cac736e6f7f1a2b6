package codec

import "sync"

// RunStore is a Store over a base Store that gathers the batches committed
// to it into one base batch, committed when the run ends
// (Keyspace.InRun, CommitTransaction). It serves a run of pipelined writes
// to distinct keys (a connection's SETs or INCRs, server/keybatch.go): the
// run's writes reach the engine as one batch, so they take the commit
// pipeline once and share the memtable's batched inserts, whose skiplist
// searches overlap (memtable/batch.go), where one insert at a time is a
// chain of cache misses.
//
// Reads go to the base and never see the gathered writes. So a run must
// not read what it wrote: its commands write distinct keys, each held
// under its lock stripe by the run's owner, and each reads only its own
// key's records (as every single-key command does). TxnStore is the store
// for transactions that read their own writes.
//
// A RunStore is safe for concurrent use, like any Store, though a run is
// one connection's.
type RunStore struct {
	base  Store
	merge func(dst, src Batch)
	mu    sync.Mutex
	run   Batch // the gathered writes; nil before the first commit
	empty bool  // run holds nothing (it is kept for reuse)
}

var _ Store = (*RunStore)(nil)

// BatchRecycler is a Store that takes back a batch it made, once the
// caller is done with it (committed or not), to hand out again from
// NewBatch: a TxnStore's pending batch, one per key batch round or EXEC,
// then allocates nothing. The engine's adapter implements it.
type BatchRecycler interface {
	RecycleBatch(b Batch)
}

// BatchMerger is a Store whose batches can be concatenated: MergeBatch
// appends src's writes, in order, to dst, both batches of the store, and
// leaves src unchanged. The engine's adapter implements it.
type BatchMerger interface {
	MergeBatch(dst, src Batch)
}

// NewRunStore returns a RunStore over base, or nil if base cannot merge
// batches (see BatchMerger).
func NewRunStore(base Store) *RunStore {
	m, ok := base.(BatchMerger)
	if !ok {
		return nil
	}
	return &RunStore{base: base, merge: m.MergeBatch, empty: true}
}

// Get implements Store: the base's value.
func (r *RunStore) Get(key []byte) ([]byte, error) { return r.base.Get(key) }

// GetAppend reads through the base's GetAppend, if it has one.
func (r *RunStore) GetAppend(dst, key []byte) ([]byte, error) {
	return getAppend(r.base, dst, key)
}

// PrefetchKey passes the hint on to the base (see DB.Prefetch).
func (r *RunStore) PrefetchKey(key []byte) { prefetch(r.base, key) }

// NewIter implements Store: the base's iterator.
func (r *RunStore) NewIter(lower, upper []byte) (Iterator, error) {
	return r.base.NewIter(lower, upper)
}

// NewSnapshot implements Store: the base's snapshot.
func (r *RunStore) NewSnapshot() Snapshot { return r.base.NewSnapshot() }

// NewBatch implements Store: a base batch, which Commit copies from.
func (r *RunStore) NewBatch() Batch { return r.base.NewBatch() }

// Commit implements Store: it appends b's writes to the run. b may be
// reused afterwards.
func (r *RunStore) Commit(b Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.run == nil {
		r.run = r.base.NewBatch()
	}
	r.merge(r.run, b)
	r.empty = false
	return nil
}

// commitPending commits the run's writes to the base as one batch and
// empties the run for reuse (even if the commit failed: the writes are
// dropped then, as a failed commit applies nothing).
func (r *RunStore) commitPending() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.empty {
		return nil
	}
	err := r.base.Commit(r.run)
	r.empty = true
	r.run = reuse(r.run, maxKeptRun)
	return err
}

// maxKeptRun bounds the run batch a RunStore keeps for the next run: a
// connection keeps its RunStore, so a large run's buffer is dropped rather
// than held for the connection's life (a run of small SETs takes a few
// KiB).
const maxKeptRun = 16 << 10
