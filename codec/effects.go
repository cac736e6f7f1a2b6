package codec

import (
	"bytes"
	"errors"
	"sync"
)

// effects is what a batch changes besides the keys it writes, applied to
// the keyspace only once the batch has committed (Keyspace.committed): the
// change to the key counts (counts.go), and the smallest expiry-index
// entry it set, which the expiry cursor must hear of (expire_cursor.go).
//
// A transaction keyspace's batches commit into a TxnStore, invisible to
// everyone else until EXEC commits the whole transaction; their effects
// are gathered in its txnEffects and applied to the parent keyspace by
// CommitTransaction, after that commit.
type effects struct {
	// minExpiry is the smallest expiry-index key set, nil if none. In a
	// batch it aliases the key given to Set; merged effects own a copy.
	minExpiry []byte
	counts    countDelta
}

// setKey notes a Set of key k in the batch.
func (e *effects) setKey(k []byte) {
	if len(k) > 0 && k[0] == FamilyExpiry && (e.minExpiry == nil || bytes.Compare(k, e.minExpiry) < 0) {
		e.minExpiry = k
	}
}

// merge adds o, which happened after e, copying what it keeps.
func (e *effects) merge(o *effects) {
	if o.minExpiry != nil && (e.minExpiry == nil || bytes.Compare(o.minExpiry, e.minExpiry) < 0) {
		e.minExpiry = bytes.Clone(o.minExpiry)
	}
	e.counts.merge(&o.counts)
}

func (e *effects) reset() {
	e.minExpiry = nil
	e.counts.reset()
}

// txnEffects gathers the effects of a transaction keyspace's committed
// batches.
type txnEffects struct {
	store pendingStore
	mu    struct {
		sync.Mutex
		e effects
	}
}

// pendingStore is the store under a transaction keyspace: it commits what
// the transaction buffered to its base (TxnStore, RunStore).
type pendingStore interface {
	commitPending() error
}

// committed applies the effects of a batch that has just committed. The
// caller still holds the stripes of the keys the batch wrote.
func (ks *Keyspace) committed(e *effects) {
	if ks.txn != nil {
		ks.txn.mu.Lock()
		ks.txn.mu.e.merge(e)
		ks.txn.mu.Unlock()
		return
	}
	ks.counts.apply(&e.counts)
	if e.minExpiry != nil {
		ks.expiry.report(e.minExpiry)
	}
}

var errNotTransaction = errors.New("codec: CommitTransaction on a keyspace not made by InTransaction")

// CommitTransaction commits everything a transaction keyspace (made by
// InTransaction) buffered to the store under its TxnStore, as one batch,
// and then applies its effects to the keyspace it was made from. Nothing
// is applied when the commit fails. The caller still holds the stripes of
// the keys the transaction touched (see InTransaction).
func (t *Keyspace) CommitTransaction() error {
	if t.txn == nil {
		return errNotTransaction
	}
	if err := t.txn.store.commitPending(); err != nil {
		return err
	}
	// The effects' storage stays for a keyspace that serves run after run
	// (Renew).
	t.txn.mu.Lock()
	defer t.txn.mu.Unlock()
	t.parent.committed(&t.txn.mu.e)
	t.txn.mu.e.reset()
	return nil
}

// Renew readies a keyspace made by InRun for its next run, once the last
// one ended with CommitTransaction: it drops the effects of a run whose
// commit failed and takes its parent's current database mapping. A connection keeps one run keyspace, so that a
// run allocates nothing.
func (t *Keyspace) Renew() {
	t.txn.mu.Lock()
	t.txn.mu.e.reset()
	t.txn.mu.Unlock()
	t.dbMap.Store(t.parent.dbMap.Load())
}
