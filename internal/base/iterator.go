package base

// InternalIterator iterates over internal keys in InternalCompare order. It
// is the contract shared by the memtable, sstable blocks and tables, and the
// merging and level iterators built on them.
//
// # Positioning
//
// Every positioning method returns true if the iterator is positioned at an
// entry afterwards (the same answer as Valid). SeekGE and SeekLT take user
// keys: SeekGE(k) positions at the first entry whose user key is >= k (the
// newest version of k if k exists); SeekLT(k) at the last entry whose user
// key is < k. Next and Prev may only be called on a valid iterator.
//
// # Bounds
//
// An iterator is created with optional bounds [lower, upper) on user keys
// (nil means unbounded) and never returns an entry outside them.
//
// # Lifetime of keys and values
//
// The slices returned by Key().UserKey and Value() are valid only until the
// next positioning call or Close. Callers copy what they keep.
//
// # Errors
//
// An iterator that hits an error becomes invalid and reports the error from
// Error. An exhausted iterator is invalid with a nil Error.
//
// # Concurrency
//
// An iterator is not safe for concurrent use. Close must be called exactly
// once; it returns the first error the iterator met.
type InternalIterator interface {
	SeekGE(key []byte) bool
	SeekLT(key []byte) bool
	First() bool
	Last() bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() InternalKey
	Value() []byte
	Error() error
	Close() error
}
