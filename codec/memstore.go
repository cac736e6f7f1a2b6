package codec

import (
	"bytes"
	"errors"
	"slices"
	"sync"
)

// MemStore is an in-memory Store: a sorted slice of entries behind a mutex,
// replaced copy-on-write by every commit. Iterators hold the slice current
// when they were created, so each reads a stable snapshot, as engine
// iterators do. It is meant for tests and for the model test, not for size.
type MemStore struct {
	mu struct {
		sync.Mutex
		entries []memEntry // sorted by key, never modified in place
	}
}

type memEntry struct {
	key, value []byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{} }

func (s *MemStore) snapshot() []memEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.entries
}

func search(entries []memEntry, k []byte) (int, bool) {
	return slices.BinarySearchFunc(entries, k, func(e memEntry, k []byte) int {
		return bytes.Compare(e.key, k)
	})
}

// Get implements Store.
func (s *MemStore) Get(key []byte) ([]byte, error) {
	entries := s.snapshot()
	i, ok := search(entries, key)
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(entries[i].value), nil
}

// Len returns the number of keys stored (tests use it to check that nothing
// is left behind).
func (s *MemStore) Len() int { return len(s.snapshot()) }

// Keys returns a copy of every key in order (for tests).
func (s *MemStore) Keys() [][]byte {
	entries := s.snapshot()
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = bytes.Clone(e.key)
	}
	return out
}

// NewIter implements Store.
func (s *MemStore) NewIter(lower, upper []byte) (Iterator, error) {
	return newMemIter(s.snapshot(), lower, upper), nil
}

// NewSnapshot implements Store: the current entries slice, which commits
// never modify, is the snapshot.
func (s *MemStore) NewSnapshot() Snapshot { return &memSnapshot{entries: s.snapshot()} }

type memSnapshot struct {
	entries []memEntry
	closed  bool
}

func (s *memSnapshot) Get(key []byte) ([]byte, error) {
	if s.closed {
		return nil, errSnapshotClosed
	}
	i, ok := search(s.entries, key)
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(s.entries[i].value), nil
}

func (s *memSnapshot) NewIter(lower, upper []byte) (Iterator, error) {
	if s.closed {
		return nil, errSnapshotClosed
	}
	return newMemIter(s.entries, lower, upper), nil
}

func (s *memSnapshot) Close() error {
	if s.closed {
		return errSnapshotClosed
	}
	s.closed = true
	return nil
}

var errSnapshotClosed = errors.New("codec: snapshot used or closed after Close")

func newMemIter(entries []memEntry, lower, upper []byte) *memIter {
	lo, hi := 0, len(entries)
	if lower != nil {
		lo, _ = search(entries, lower)
	}
	if upper != nil {
		hi, _ = search(entries, upper)
	}
	if hi < lo {
		hi = lo
	}
	return &memIter{entries: entries[lo:hi], pos: -1}
}

type memOp struct {
	kind     byte // 's' set, 'd' delete, 'r' range delete
	key, val []byte
}

type memBatch struct {
	ops       []memOp
	committed bool
}

// NewBatch implements Store.
func (s *MemStore) NewBatch() Batch { return &memBatch{} }

func (b *memBatch) Set(k, v []byte) {
	b.ops = append(b.ops, memOp{'s', bytes.Clone(k), bytes.Clone(v)})
}
func (b *memBatch) Delete(k []byte) { b.ops = append(b.ops, memOp{'d', bytes.Clone(k), nil}) }
func (b *memBatch) DeleteRange(start, end []byte) {
	b.ops = append(b.ops, memOp{'r', bytes.Clone(start), bytes.Clone(end)})
}

// MergeBatch implements BatchMerger: src's operations, which are never
// modified after they are added, are appended to dst.
func (s *MemStore) MergeBatch(dst, src Batch) {
	d := dst.(*memBatch)
	d.ops = append(d.ops, src.(*memBatch).ops...)
}

var errForeignBatch = errors.New("codec: batch was not created by this MemStore or was already committed")

// Commit implements Store.
func (s *MemStore) Commit(b Batch) error {
	mb, ok := b.(*memBatch)
	if !ok || mb.committed {
		return errForeignBatch
	}
	mb.committed = true
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := slices.Clone(s.mu.entries)
	for _, op := range mb.ops {
		switch op.kind {
		case 's':
			i, found := search(entries, op.key)
			if found {
				entries[i].value = op.val
			} else {
				entries = slices.Insert(entries, i, memEntry{op.key, op.val})
			}
		case 'd':
			if i, found := search(entries, op.key); found {
				entries = slices.Delete(entries, i, i+1)
			}
		case 'r':
			lo, _ := search(entries, op.key)
			hi, _ := search(entries, op.val)
			if lo < hi {
				entries = slices.Delete(entries, lo, hi)
			}
		}
	}
	s.mu.entries = entries
	return nil
}

// memIter iterates a snapshot slice already cut to the iterator's bounds.
type memIter struct {
	entries []memEntry
	pos     int // -1 or len(entries) when invalid
	closed  bool
}

func (it *memIter) Valid() bool { return it.pos >= 0 && it.pos < len(it.entries) }

func (it *memIter) SeekGE(k []byte) bool {
	it.pos, _ = search(it.entries, k)
	return it.Valid()
}

func (it *memIter) SeekLT(k []byte) bool {
	i, _ := search(it.entries, k)
	it.pos = i - 1
	return it.Valid()
}

func (it *memIter) First() bool { it.pos = 0; return it.Valid() }
func (it *memIter) Last() bool  { it.pos = len(it.entries) - 1; return it.Valid() }

func (it *memIter) Next() bool {
	if it.Valid() {
		it.pos++
	}
	return it.Valid()
}

func (it *memIter) Prev() bool {
	if it.Valid() {
		it.pos--
	}
	return it.Valid()
}

func (it *memIter) Key() []byte {
	if !it.Valid() {
		return nil
	}
	return it.entries[it.pos].key
}

func (it *memIter) Value() []byte {
	if !it.Valid() {
		return nil
	}
	return it.entries[it.pos].value
}

func (it *memIter) Error() error { return nil }

func (it *memIter) Close() error {
	if it.closed {
		return errors.New("codec: iterator closed twice")
	}
	it.closed = true
	it.entries = nil
	it.pos = -1
	return nil
}
