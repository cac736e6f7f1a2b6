package codec

import (
	"sync/atomic"
)

// tombStore is a Store that treats point deletions as an LSM engine does:
// a deleted key stays behind as a tombstone that every iterator passing it
// steps over, until compact drops them all. It counts the tombstones
// iterators step over, the work the expiry cursor is there to avoid.
// Range deletions delete at once (the engine skips a range tombstone in
// one step).
type tombStore struct {
	mem     *MemStore // values carry a leading 1; a tombstone is the single byte 0
	skipped atomic.Int64
}

func newTombStore() *tombStore { return &tombStore{mem: NewMemStore()} }

func (s *tombStore) Get(k []byte) ([]byte, error) { return tombGet(s.mem, k) }

func (s *tombStore) NewIter(lower, upper []byte) (Iterator, error) {
	return tombNewIter(s, s.mem, lower, upper)
}

func (s *tombStore) NewSnapshot() Snapshot {
	return &tombSnapshot{s: s, snap: s.mem.NewSnapshot()}
}

func (s *tombStore) NewBatch() Batch { return &tombBatch{b: s.mem.NewBatch()} }

func (s *tombStore) Commit(b Batch) error { return s.mem.Commit(b.(*tombBatch).b) }

// compact drops every tombstone.
func (s *tombStore) compact() {
	b := s.mem.NewBatch()
	for _, k := range s.mem.Keys() {
		if v, _ := s.mem.Get(k); len(v) == 1 && v[0] == 0 {
			b.Delete(k)
		}
	}
	if err := s.mem.Commit(b); err != nil {
		panic(err)
	}
}

func tombGet(r Reader, k []byte) ([]byte, error) {
	v, err := r.Get(k)
	if err != nil {
		return nil, err
	}
	if v[0] == 0 {
		return nil, ErrNotFound
	}
	return v[1:], nil
}

func tombNewIter(s *tombStore, r Reader, lower, upper []byte) (Iterator, error) {
	it, err := r.NewIter(lower, upper)
	if err != nil {
		return nil, err
	}
	return &tombIter{s: s, it: it}, nil
}

type tombSnapshot struct {
	s    *tombStore
	snap Snapshot
}

func (t *tombSnapshot) Get(k []byte) ([]byte, error) { return tombGet(t.snap, k) }
func (t *tombSnapshot) NewIter(lower, upper []byte) (Iterator, error) {
	return tombNewIter(t.s, t.snap, lower, upper)
}
func (t *tombSnapshot) Close() error { return t.snap.Close() }

type tombBatch struct{ b Batch }

func (b *tombBatch) Set(k, v []byte)               { b.b.Set(k, append([]byte{1}, v...)) }
func (b *tombBatch) Delete(k []byte)               { b.b.Set(k, []byte{0}) }
func (b *tombBatch) DeleteRange(start, end []byte) { b.b.DeleteRange(start, end) }

// tombIter hides tombstones, counting each one it steps over.
type tombIter struct {
	s  *tombStore
	it Iterator
}

func (t *tombIter) skip(ok bool, next func() bool) bool {
	for ok && t.it.Value()[0] == 0 {
		t.s.skipped.Add(1)
		ok = next()
	}
	return ok
}

func (t *tombIter) SeekGE(k []byte) bool { return t.skip(t.it.SeekGE(k), t.it.Next) }
func (t *tombIter) First() bool          { return t.skip(t.it.First(), t.it.Next) }
func (t *tombIter) Next() bool           { return t.skip(t.it.Next(), t.it.Next) }
func (t *tombIter) Last() bool           { return t.skip(t.it.Last(), t.it.Prev) }
func (t *tombIter) SeekLT(k []byte) bool { return t.skip(t.it.SeekLT(k), t.it.Prev) }
func (t *tombIter) Prev() bool           { return t.skip(t.it.Prev(), t.it.Prev) }
func (t *tombIter) Valid() bool          { return t.it.Valid() }
func (t *tombIter) Key() []byte          { return t.it.Key() }
func (t *tombIter) Value() []byte        { return t.it.Value()[1:] }
func (t *tombIter) Error() error         { return t.it.Error() }
func (t *tombIter) Close() error         { return t.it.Close() }
