package codec

import "github.com/strata-db/strata/internal/base"

// ErrNotFound is returned by Store.Get when a key is absent. It is the
// engine's own sentinel, so an adapter over lsm.DB passes errors through.
var ErrNotFound = base.ErrNotFound

// Store is the storage seam: the small part of an ordered key/value engine
// that the Redis semantics need. The lsm engine satisfies it through a thin
// adapter in package server; MemStore satisfies it in memory for tests.
//
// Keys are compared bytewise. Implementations are safe for concurrent use.
type Store interface {
	Reader
	// NewSnapshot returns a frozen view of the store as of now: reads of
	// several keys through it agree with one another (a command reading a
	// key's metadata and then its elements sees one state). Close it.
	NewSnapshot() Snapshot
	// NewBatch returns an empty batch for this store.
	NewBatch() Batch
	// Commit applies every operation of b atomically, in the order they were
	// added. A batch is committed at most once.
	Commit(b Batch) error
}

// Iterator walks keys in ascending order within the bounds it was created
// with.
//
// Every positioning method returns the same answer as Valid afterwards.
// SeekGE(k) positions at the first key >= k, SeekLT(k) at the last key < k.
// Next and Prev may only be called on a valid iterator. Key and Value are
// valid only until the next positioning call or Close: callers copy what they
// keep. An iterator that meets an error becomes invalid and reports it from
// Error; an exhausted iterator is invalid with a nil Error. An iterator is not
// safe for concurrent use, and Close must be called exactly once.
type Iterator interface {
	SeekGE(k []byte) bool
	First() bool
	Last() bool
	SeekLT(k []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() []byte
	Value() []byte
	Error() error
	Close() error
}

// Batch collects writes that Store.Commit applies atomically. Set, Delete
// and DeleteRange copy their arguments: the caller may reuse its buffers
// once they return (object.kb relies on it). A batch is not safe for
// concurrent use.
type Batch interface {
	Set(k, v []byte)
	Delete(k []byte)
	// DeleteRange deletes every key in [start, end).
	DeleteRange(start, end []byte)
}

// Reader is the read half of a Store, shared by snapshots.
type Reader interface {
	// Get returns the value of key, or ErrNotFound. The returned slice is a
	// fresh copy that the caller may keep and modify.
	Get(key []byte) ([]byte, error)
	// NewIter returns an iterator over the keys in [lower, upper); a nil
	// bound is unbounded. The iterator reads a consistent snapshot.
	NewIter(lower, upper []byte) (Iterator, error)
}

// Snapshot is a Reader frozen at the moment it was created. Close releases
// it (the engine keeps the versions it pins until then); Close is called
// exactly once.
type Snapshot interface {
	Reader
	Close() error
}
