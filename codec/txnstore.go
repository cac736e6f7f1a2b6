package codec

import (
	"bytes"
	"errors"
	"slices"
	"sort"
	"sync"
)

// TxnStore is a Store over a base Store that buffers every committed batch
// instead of writing it to the base. It makes MULTI/EXEC atomic: the queued
// commands run against the TxnStore, reading their own writes, and EXEC then
// commits Pending() to the base as one batch.
//
//	txn := codec.NewTxnStore(base)
//	// ... run the commands against txn ...
//	if b := txn.Pending(); b != nil {
//		err = base.Commit(b)
//	}
//
// # Semantics
//
// Reads through a TxnStore return what the base would return had every
// batch committed to the TxnStore been committed to the base directly, in
// the same order: Set, Delete and DeleteRange interleave freely (a Set after
// a DeleteRange over its key is visible; a DeleteRange hides both base keys
// and earlier pending Sets).
//
// # Representation
//
// The pending state is an immutable value (txnState): a persistent treap of
// point entries (a Set, or a Delete as a tombstone) and a sorted list of
// disjoint, non-touching range deletions. Invariants:
//
//  1. A point entry decides its key: it is newer than every range deletion
//     covering it, since a DeleteRange drops the point entries inside it.
//  2. A key without a point entry is absent when a range deletion covers it
//     and is read from the base otherwise.
//  3. No tombstone lies inside a range deletion (it would be redundant).
//  4. A txnState handed out (to an iterator, a snapshot or Pending) is
//     never modified: the next Commit builds a new one (copying only the
//     paths it changes) and swaps it in, so iterators and snapshots hold a
//     frozen pending state for free. Until a state is handed out, Commits
//     modify the nodes made since the last hand-out in place, and Get reads
//     the tree under the lock: a run of commands that commit one after the
//     other (a key batch, EXEC) copies no paths.
//
// # Concurrency and the base
//
// A TxnStore is safe for concurrent use. Reads of the base go to base.Get
// and base.NewIter live: the caller holds the locks that keep the base
// still for the life of the transaction. NewSnapshot pairs the current
// pending state with base.NewSnapshot().
//
// # Cost
//
// With n pending point entries and r range deletions: Get is O(log n +
// log r) plus one base.Get; Commit is O(log n) expected per Set or Delete
// and O(log n + r) per DeleteRange; an iterator seek is O(log n) plus one
// base seek, and a step is amortised O(1) plus one base step, a base key
// hidden by a range deletion costing one base seek for the whole deletion.
// Iterators never materialise the base. Pending is O(n + r).
type TxnStore struct {
	base Store
	mu   struct {
		sync.Mutex
		state txnState // the current pending state
		gen   uint64   // the generation of the nodes Commit may modify (see pwriter)
		// shared says state was handed out since gen began: the next
		// Commit starts a new generation (invariant 4).
		shared bool
		// ahead is the base range last read ahead (Prefetch).
		ahead readAhead
		// nodes allocates the pending tree's nodes.
		nodes nodeSlab
	}
}

// readAhead holds the base's entries of [lower, upper), read with one
// iterator, for the Gets that follow (Prefetch): keys and vals are sorted,
// and a key of the range that is not among them is absent from the base.
// keys and vals are copies in buf; lower and upper have storage of their
// own. The next Prefetch reuses all of it.
type readAhead struct {
	lower, upper []byte
	keys, vals   [][]byte
	buf          copyBuf
	cut          bool // the read stopped at maxBytes: [lower, upper) is the part read
}

// Covers reports whether the range kept by the last Prefetch covers
// [lower, upper).
func (t *TxnStore) Covers(lower, upper []byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &t.mu.ahead
	return a.upper != nil && bytes.Compare(a.lower, lower) <= 0 && bytes.Compare(upper, a.upper) <= 0
}

// UsedAhead returns the number of entries the last Prefetch kept if a
// read from edge onwards (down from edge when reverse) continues it: its
// range ended at edge on that side (its lower bound for a reverse read,
// else its upper bound) and was read whole, not cut at maxBytes. It
// returns 0 otherwise. A caller that has used up one read ahead may
// read further the next time.
func (t *TxnStore) UsedAhead(edge []byte, reverse bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &t.mu.ahead
	bound := a.upper
	if reverse {
		bound = a.lower
	}
	if a.upper == nil || a.cut || !bytes.Equal(bound, edge) {
		return 0
	}
	return len(a.keys)
}

// FitAhead answers, from the range kept by the last Prefetch, what a
// Prefetch of [lower, upper) with maxBytes would report, without reading
// the base: the entries a read from upper's end (reverse) or lower's
// would take up to the one that takes it past maxBytes of keys and values,
// and whether it stopped so. ok is false when the kept range does not
// hold the answer: it must start where the read would (contain upper's
// end for a reverse read, lower for a forward one) and reach either the
// other end of [lower, upper) or an entry past maxBytes.
func (t *TxnStore) FitAhead(lower, upper []byte, reverse bool, maxBytes int) (n int, cut, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &t.mu.ahead
	if bytes.Compare(lower, upper) >= 0 {
		return 0, false, true // an empty range, which Prefetch reads nothing of
	}
	if a.upper == nil {
		return 0, false, false
	}
	// whole: the kept range reaches the read's far end too.
	var whole bool
	if reverse {
		if bytes.Compare(upper, a.upper) > 0 || bytes.Compare(upper, a.lower) <= 0 {
			return 0, false, false
		}
		whole = bytes.Compare(a.lower, lower) <= 0
	} else {
		if bytes.Compare(lower, a.lower) < 0 || bytes.Compare(lower, a.upper) >= 0 {
			return 0, false, false
		}
		whole = bytes.Compare(upper, a.upper) <= 0
	}
	i := sort.Search(len(a.keys), func(i int) bool { return bytes.Compare(a.keys[i], lower) >= 0 })
	j := sort.Search(len(a.keys), func(i int) bool { return bytes.Compare(a.keys[i], upper) >= 0 })
	size := 0
	for k := range j - i {
		e := i + k
		if reverse {
			e = j - 1 - k
		}
		if size += len(a.keys[e]) + len(a.vals[e]); size > maxBytes {
			return k + 1, true, true
		}
	}
	if !whole {
		return 0, false, false
	}
	return j - i, false, true
}

// find answers a base read of key from the range: in reports whether key
// lies in it.
func (r *readAhead) find(key []byte) (v []byte, found, in bool) {
	if r.upper == nil || bytes.Compare(key, r.lower) < 0 || bytes.Compare(key, r.upper) >= 0 {
		return nil, false, false
	}
	i := sort.Search(len(r.keys), func(i int) bool { return bytes.Compare(r.keys[i], key) >= 0 })
	if i < len(r.keys) && bytes.Equal(r.keys[i], key) {
		return r.vals[i], true, true
	}
	return nil, false, true
}

// The first allocations of a read ahead (scan).
const (
	scanBufSize = 4 << 10
	scanEntries = 16
)

// scan reads the iterator's entries into r from its start (its end when reverse)
// until one takes the keys and values read past maxBytes, which it keeps,
// and then narrows r to the part read: it reports whether it stopped so.
func (r *readAhead) scan(it Iterator, reverse bool, maxBytes int) (cut bool) {
	// Room for a pipeline's worth of small entries (a key batch's pops)
	// from the start, not after a growth per doubling.
	if r.buf == nil {
		r.buf = make(copyBuf, 0, min(max(maxBytes, 0), scanBufSize))
	}
	r.buf = r.buf[:0]
	if r.keys == nil {
		r.keys, r.vals = make([][]byte, 0, scanEntries), make([][]byte, 0, scanEntries)
	}
	r.keys, r.vals = r.keys[:0], r.vals[:0]
	n := 0
	var ok bool
	if reverse {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	for ; ok; ok = stepIter(it, reverse) {
		k := r.buf.copy(it.Key())
		r.keys = append(r.keys, k)
		r.vals = append(r.vals, r.buf.copy(it.Value()))
		if n += len(k) + len(it.Value()); n > maxBytes {
			if reverse {
				r.lower = append(r.lower[:0], k...)
			} else {
				r.upper = append(append(r.upper[:0], k...), 0)
			}
			return true
		}
	}
	return false
}

var _ Store = (*TxnStore)(nil)

// txnState is one immutable version of the pending writes.
type txnState struct {
	root *pnode // point entries; see txnstore_tree.go
	dels []span // range deletions, sorted, disjoint and non-touching
}

func (s txnState) empty() bool { return s.root == nil && len(s.dels) == 0 }

// span is a range deletion of [start, end), start < end.
type span struct{ start, end []byte }

// NewTxnStore returns a TxnStore with nothing pending over base.
func NewTxnStore(base Store) *TxnStore { return &TxnStore{base: base} }

// state hands out the current pending state, which no Commit will modify.
func (t *TxnStore) state() txnState {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mu.shared = true
	return t.mu.state
}

// Empty reports whether nothing is pending.
func (t *TxnStore) Empty() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.state.empty()
}

// Get implements Store: the pending writes over the base. The tree is read
// under the lock, so Get does not hand the state out.
func (t *TxnStore) Get(key []byte) ([]byte, error) { return t.GetAppend(nil, key) }

// PrefetchKey passes the hint on to the base (see DB.Prefetch): a pending
// write of key is in memory already, and reading the base is what may
// miss the caches.
func (t *TxnStore) PrefetchKey(key []byte) { prefetch(t.base, key) }

// GetAppend is Get appending the value to dst instead of returning a copy
// of its own (the codec's buffered loads, as with the engine's store).
func (t *TxnStore) GetAppend(dst, key []byte) ([]byte, error) {
	t.mu.Lock()
	v, decided, err := pendingLookup(t.mu.state, key)
	if !decided {
		var found bool
		if v, found, decided = t.mu.ahead.find(key); !found && decided {
			err = ErrNotFound
		}
	}
	if decided {
		if err == nil {
			v = appendValue(dst, v)
		}
		t.mu.Unlock()
		return v, err
	}
	t.mu.Unlock()
	return getAppend(t.base, dst, key)
}

// GetMany is GetAppend for several keys (manyGetter, maxValue included):
// the base reads them all together (one at a time if it cannot), and then
// the pending writes and the read ahead decide the keys they know of. A value appended to dst
// stays where it is when a later append moves dst: earlier results keep
// the array they were read into.
func (t *TxnStore) GetMany(dst []byte, keys, vals [][]byte, found []bool, maxValue int) ([]byte, error) {
	if mg, ok := t.base.(manyGetter); ok {
		var err error
		if dst, err = mg.GetMany(dst, keys, vals, found, maxValue); err != nil {
			return dst, err
		}
	} else {
		for i, k := range keys {
			start := len(dst)
			v, err := getAppend(t.base, dst, k)
			switch {
			case errors.Is(err, ErrNotFound):
				vals[i], found[i] = nil, false
				continue
			case err != nil:
				return dst, err
			}
			if maxValue > 0 && len(v)-start > maxValue {
				vals[i], found[i] = nil, true // dst keeps its length
				continue
			}
			dst = v
			vals[i], found[i] = dst[start:len(dst):len(dst)], true
			if len(vals[i]) == 0 {
				vals[i] = []byte{} // found: not nil
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, k := range keys {
		v, decided, err := pendingLookup(t.mu.state, k)
		if !decided {
			var inAhead bool
			if v, inAhead, decided = t.mu.ahead.find(k); !inAhead && decided {
				err = ErrNotFound
			}
		}
		if !decided {
			continue
		}
		switch found[i] = err == nil; {
		case !found[i] || (maxValue > 0 && len(v) > maxValue):
			vals[i] = nil
		case len(v) == 0:
			vals[i] = []byte{} // found: not nil
		default:
			start := len(dst)
			dst = append(dst, v...)
			vals[i] = dst[start:len(dst):len(dst)]
		}
	}
	return dst, nil
}

// appendValue returns v appended to dst, or, when dst is nil, a copy of v
// (non-nil for an empty value, as a stored value is).
func appendValue(dst, v []byte) []byte {
	if dst == nil {
		return bytes.Clone(v)
	}
	return append(dst, v...)
}

// Prefetch reads the base's entries of [lower, upper) with one iterator
// and keeps them, replacing the range kept before: the Gets of keys in the
// range that follow are answered from them, pending writes first as
// always, without a base read each. A command that will read a run of
// neighbouring keys one at a time (a key batch of LPOPs or RPOPs) pays for
// one seek instead of one lookup per key.
//
// The read starts at upper's end when reverse is set, else at lower's, and
// stops after the entry that takes it past maxBytes of keys and values:
// the range kept is then the part read, from that end (Covers tells). It
// returns the number of entries kept and whether the read was so cut.
//
// The kept entries are valid because the base stays still for the life
// of the transaction (see above): only writers holding the locks the
// transaction holds could change them.
func (t *TxnStore) Prefetch(lower, upper []byte, reverse bool, maxBytes int) (kept int, cut bool, err error) {
	if bytes.Compare(lower, upper) >= 0 {
		return 0, false, nil
	}
	it, err := t.base.NewIter(lower, upper)
	if err != nil {
		return 0, false, err
	}
	// The buffers of the range kept before are reused: it is dropped
	// first, so that a Get meanwhile reads the base.
	t.mu.Lock()
	r := t.mu.ahead
	t.mu.ahead = readAhead{}
	t.mu.Unlock()
	r.lower = append(r.lower[:0], lower...)
	r.upper = append(r.upper[:0], upper...)
	// A reverse read first tries a forward one: stepping an LSM merge
	// forward is cheaper than stepping it back (each Prev looks past the
	// key's older versions), and when the whole range fits in maxBytes both
	// keep the same entries. Only a range past maxBytes is read again, from
	// upper down.
	if cut = r.scan(it, false, maxBytes); cut && reverse {
		r.upper = append(r.upper[:0], upper...)
		cut = r.scan(it, true, maxBytes)
		slices.Reverse(r.keys)
		slices.Reverse(r.vals)
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, false, err
	}
	kept, r.cut = len(r.keys), cut
	t.mu.Lock()
	t.mu.ahead = r
	t.mu.Unlock()
	return kept, cut, nil
}

// commitPending commits Pending() to the base (CommitTransaction), and
// gives the batch back to a base that recycles batches.
func (t *TxnStore) commitPending() error {
	b := t.Pending()
	if b == nil {
		return nil
	}
	err := t.base.Commit(b)
	if r, ok := t.base.(BatchRecycler); ok {
		r.RecycleBatch(b)
	}
	return err
}

// NewIter implements Store: a merge of the base and the pending writes. The
// pending part is frozen when the iterator is created; the base part is
// whatever base.NewIter guarantees.
func (t *TxnStore) NewIter(lower, upper []byte) (Iterator, error) {
	return newTxnIter(t.base, t.state(), lower, upper)
}

// NewSnapshot implements Store: a base snapshot and the pending writes, both
// as of now.
func (t *TxnStore) NewSnapshot() Snapshot {
	st := t.state()
	return &txnSnapshot{base: t.base.NewSnapshot(), state: st}
}

func txnGet(base Reader, st txnState, key []byte) ([]byte, error) {
	if v, decided, err := pendingGet(st, key); decided {
		return v, err
	}
	return base.Get(key)
}

// pendingGet reads key from the pending writes: a copy of its pending
// value, or ErrNotFound for a pending delete or a range deletion over it.
// decided is false when nothing pending touches key: the base decides.
func pendingGet(st txnState, key []byte) (v []byte, decided bool, err error) {
	v, decided, err = pendingLookup(st, key)
	if decided && err == nil {
		v = bytes.Clone(v)
	}
	return v, decided, err
}

// pendingLookup is pendingGet without the copy: the value is the tree's.
func pendingLookup(st txnState, key []byte) (v []byte, decided bool, err error) {
	if n := st.root.find(key); n != nil {
		if n.tomb {
			return nil, true, ErrNotFound
		}
		return n.value, true, nil
	}
	if _, ok := covering(st.dels, key); ok {
		return nil, true, ErrNotFound
	}
	return nil, false, nil
}

// covering returns the range deletion of dels that contains k, if any.
func covering(dels []span, k []byte) (span, bool) {
	i := sort.Search(len(dels), func(i int) bool { return bytes.Compare(dels[i].end, k) > 0 })
	if i < len(dels) && bytes.Compare(dels[i].start, k) <= 0 {
		return dels[i], true
	}
	return span{}, false
}

// addSpan returns a new list holding dels and [s, e) (s < e), coalescing
// the spans that overlap or touch it. dels is not modified.
func addSpan(dels []span, s, e []byte) []span {
	i := sort.Search(len(dels), func(i int) bool { return bytes.Compare(dels[i].end, s) >= 0 })
	j := sort.Search(len(dels), func(i int) bool { return bytes.Compare(dels[i].start, e) > 0 })
	if i < j {
		if bytes.Compare(dels[i].start, s) < 0 {
			s = dels[i].start
		}
		if bytes.Compare(dels[j-1].end, e) > 0 {
			e = dels[j-1].end
		}
	}
	out := make([]span, 0, len(dels)-(j-i)+1)
	out = append(out, dels[:i]...)
	out = append(out, span{s, e})
	return append(out, dels[j:]...)
}

type txnOpKind uint8

const (
	txnSet txnOpKind = iota
	txnDelete
	txnDeleteRange
)

type txnOp struct {
	kind     txnOpKind
	key, val []byte // for txnDeleteRange, the start and end
}

// txnBatch is the Batch of a TxnStore: a list of copied operations.
type txnBatch struct {
	owner *TxnStore
	ops   []txnOp
	// buf holds the copies of the ops' keys and values.
	buf       copyBuf
	committed bool
}

// NewBatch implements Store.
func (t *TxnStore) NewBatch() Batch { return &txnBatch{owner: t} }

// copyBuf holds copies of byte slices, appended one after the other. A
// copy is never written again, so when the buffer grows the earlier
// copies stay where they were, in the old array.
type copyBuf []byte

// copy returns a copy of p in the buffer (nil for nil).
func (c *copyBuf) copy(p []byte) []byte {
	if p == nil {
		return nil
	}
	if len(p) == 0 {
		return []byte{}
	}
	if cap(*c)-len(*c) < len(p) {
		*c = make([]byte, 0, max(256, 2*cap(*c), len(p)))
	}
	n := len(*c)
	*c = append(*c, p...)
	return (*c)[n:len(*c):len(*c)]
}

// Reset empties the batch for reuse (writeBatch.release recycles it after
// its commit). The copies a commit put in the pending state stay as they
// are: later copies go after them in buf.
func (b *txnBatch) Reset() {
	clear(b.ops)
	b.ops = b.ops[:0]
	b.committed = false
}

func (b *txnBatch) Set(k, v []byte) {
	b.ops = append(b.ops, txnOp{txnSet, b.buf.copy(k), b.buf.copy(v)})
}

func (b *txnBatch) Delete(k []byte) {
	b.ops = append(b.ops, txnOp{txnDelete, b.buf.copy(k), nil})
}

func (b *txnBatch) DeleteRange(start, end []byte) {
	b.ops = append(b.ops, txnOp{txnDeleteRange, b.buf.copy(start), b.buf.copy(end)})
}

var errTxnForeignBatch = errors.New("codec: batch was not created by this TxnStore or was already committed")

// Commit implements Store: it applies b's operations, in order, to the
// pending state, never to the base. Readers see all of them or none.
func (t *TxnStore) Commit(b Batch) error {
	tb, ok := b.(*txnBatch)
	if !ok || tb.owner != t || tb.committed {
		return errTxnForeignBatch
	}
	tb.committed = true
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.shared {
		t.mu.gen++
		t.mu.shared = false
	}
	w := pwriter{gen: t.mu.gen, nodes: &t.mu.nodes}
	st := t.mu.state
	for _, op := range tb.ops {
		switch op.kind {
		case txnSet:
			st.root = w.set(st.root, op.key, op.val, false)
		case txnDelete:
			if _, ok := covering(st.dels, op.key); ok {
				// The range deletion already hides the key once its
				// point entry is gone (invariant 3).
				if st.root.find(op.key) != nil {
					st.root = w.remove(st.root, op.key)
				}
			} else {
				st.root = w.set(st.root, op.key, nil, true)
			}
		case txnDeleteRange:
			if bytes.Compare(op.key, op.val) >= 0 {
				continue // an empty range deletes nothing
			}
			st.root = w.removeRange(st.root, op.key, op.val)
			st.dels = addSpan(st.dels, op.key, op.val)
		}
	}
	t.mu.state = st
	return nil
}

// Pending returns one batch of the base holding every pending write, or nil
// when nothing is pending. Committing it to the base has the effect of
// committing, in order, every batch committed to t: the range deletions come
// first, then the point writes in key order (invariant 1). The pending state
// is left as it is.
func (t *TxnStore) Pending() Batch {
	st := t.state()
	if st.empty() {
		return nil
	}
	b := t.base.NewBatch()
	for _, sp := range st.dels {
		b.DeleteRange(sp.start, sp.end)
	}
	st.root.walk(func(n *pnode) {
		if n.tomb {
			b.Delete(n.key)
		} else {
			b.Set(n.key, n.value)
		}
	})
	return b
}

// txnSnapshot is a TxnStore's Snapshot: a base snapshot and a pending state.
type txnSnapshot struct {
	base   Snapshot
	state  txnState
	closed bool
}

func (s *txnSnapshot) Get(key []byte) ([]byte, error) {
	if s.closed {
		return nil, errSnapshotClosed
	}
	return txnGet(s.base, s.state, key)
}

func (s *txnSnapshot) NewIter(lower, upper []byte) (Iterator, error) {
	if s.closed {
		return nil, errSnapshotClosed
	}
	return newTxnIter(s.base, s.state, lower, upper)
}

func (s *txnSnapshot) Close() error {
	if s.closed {
		return errSnapshotClosed
	}
	s.closed = true
	return s.base.Close()
}
