// Package iterator builds the engine's read path out of internal iterators
// (base.InternalIterator): a slice iterator for small in-memory sources, a
// merging iterator that combines sorted sources into one sorted stream, and
// a level iterator that walks the files of one sorted level while keeping at
// most one of them open.
//
// # Usage
//
// A read of the LSM tree merges, newest source first, the memtables, each L0
// file, and one level iterator per deeper level:
//
//	it := iterator.NewMerging(memIter, l0a, l0b,
//		iterator.NewLevel(files1, openTable, lower, upper),
//		iterator.NewLevel(files2, openTable, lower, upper))
//	defer it.Close()
//	for ok := it.SeekGE(start); ok; ok = it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if err := it.Error(); err != nil { ... }
//
// The merging iterator does not de-duplicate or hide anything: every version
// of every key, tombstones included, comes out in base.InternalCompare order.
// Resolving versions against a snapshot is the job of the layer above.
//
// # Merging iterator
//
// The children sit in a binary heap ordered by (internal key, child index):
// a min-heap while moving forward, a max-heap while moving backward. The top
// of the heap is the current entry, so Key and Value pass the current
// child's slices through without copying. Next advances only the top child
// and sifts it down: O(log n) comparisons and no allocation.
//
// Changing direction is the subtle part. Moving forward, every child other
// than the current one sits at its first entry after the current entry;
// moving backward, at its last entry before it. Prev after Next therefore
// first steps every other child back across the current entry (a child that
// was exhausted restarts from Last), rebuilds the heap as a max-heap, and
// only then moves the current child. Next after Prev is the mirror image.
//
// Identical internal keys from different children come out earlier child
// first going forward (so a backward pass is the exact reverse of a forward
// pass). In the engine sequence numbers are unique, so this only matters to
// tests and to sources that overlap by construction.
//
// # Level iterator
//
// A level's files are sorted and do not overlap, so a position is always
// inside a single file. The level iterator binary-searches the file bounds
// (LevelFile.Smallest and Largest, both inclusive) to pick the file for a
// seek, opens it with newIter only then, and when that file runs out moves
// to its neighbour, closing the file it leaves. Files wholly outside
// [lower, upper) are never opened. Adjacent files may share a user key (one
// holding its newer versions, the next its older ones); the searches are
// written for that case.
//
// # Bounds
//
// NewSlice and NewLevel take bounds [lower, upper) on user keys and never
// return an entry outside them; both clamp seek keys to the bounds.
// NewMerging takes none: its children are expected to be bounded already.
//
// # Errors
//
// An error from a child (or from newIter, or from closing a file) makes the
// iterator invalid; Error returns it from then on and every positioning call
// returns false. Errors are sticky on purpose: after a failure the iterator
// might have skipped entries, and a read path must never serve a result that
// silently lacks them. Close still closes every child and returns the first
// error met.
//
// # Invariants
//
//  1. Children are sorted by base.InternalCompare and honour their bounds;
//     the iterators here do not re-check either.
//  2. Key and Value slices are valid until the next positioning call or
//     Close, as base.InternalIterator says, because they are the child's.
//  3. The merging iterator owns its children and the level iterator owns the
//     iterators newIter returns: Close closes them.
//  4. None of these iterators is safe for concurrent use.
package iterator
