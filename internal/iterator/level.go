package iterator

import (
	"bytes"
	"sort"

	"github.com/strata-db/strata/internal/base"
)

// LevelFile describes one file of a sorted, non-overlapping level.
type LevelFile struct {
	Smallest, Largest base.InternalKey // inclusive bounds of the file's keys
}

// levelIter iterates a level of non-overlapping files with at most one file
// open at a time. See doc.go for the contract.
//
// # Invariants
//
//  1. Only files with index in [first, limit) can hold entries inside
//     [lower, upper); the rest are never opened. Both ends are found by
//     binary search at construction.
//  2. iter is the open file's iterator, or nil; index is its file index
//     (-1 when none is open). Opening another file closes iter first.
//  3. valid is true iff iter is positioned at an entry. Every entry it
//     returns lies within [lower, upper) because the bounds were passed to
//     newIter.
//  4. Once err is set the iterator is invalid and stays so: errors are
//     sticky, and no file is opened any more.
type levelIter struct {
	files        []LevelFile
	newIter      func(i int, lower, upper []byte) (base.InternalIterator, error)
	lower, upper []byte
	first, limit int

	index int
	iter  base.InternalIterator
	valid bool
	err   error
}

var _ base.InternalIterator = (*levelIter)(nil)

// NewLevel iterates a level of non-overlapping files sorted by key. It opens
// at most one file at a time with newIter(i, lower, upper), lazily, only
// when a position needs that file, and closes the previous file's iterator
// when it moves on. Files wholly outside [lower, upper) are never opened.
// SeekGE and SeekLT pick their file by binary search on the file bounds. An
// error from newIter or from a file's iterator makes the level iterator
// invalid with that error.
func NewLevel(
	files []LevelFile,
	newIter func(i int, lower, upper []byte) (base.InternalIterator, error),
	lower, upper []byte,
) base.InternalIterator {
	l := &levelIter{files: files, newIter: newIter, lower: lower, upper: upper, index: -1, limit: len(files)}
	if lower != nil {
		l.first = l.searchLargestGE(lower, 0, len(files))
	}
	if upper != nil {
		l.limit = l.searchSmallestGE(upper, l.first, len(files))
	}
	return l
}

// searchLargestGE returns the first file in [lo, hi) whose largest user key
// is >= k: the first file that may hold a user key >= k. Files are sorted,
// so the predicate is monotone.
func (l *levelIter) searchLargestGE(k []byte, lo, hi int) int {
	return lo + sort.Search(hi-lo, func(i int) bool {
		return bytes.Compare(l.files[lo+i].Largest.UserKey, k) >= 0
	})
}

// searchSmallestGE returns the first file in [lo, hi) whose smallest user
// key is >= k; the file before it is the last that may hold a user key < k.
func (l *levelIter) searchSmallestGE(k []byte, lo, hi int) int {
	return lo + sort.Search(hi-lo, func(i int) bool {
		return bytes.Compare(l.files[lo+i].Smallest.UserKey, k) >= 0
	})
}

// open makes file i the open file, reusing its iterator if it is already
// open. It returns false if the level iterator failed.
func (l *levelIter) open(i int) bool {
	if l.err != nil {
		return false
	}
	if l.index == i && l.iter != nil {
		return true
	}
	if !l.closeFile() {
		return false
	}
	it, err := l.newIter(i, l.lower, l.upper)
	if err != nil {
		l.fail(err)
		return false
	}
	l.iter, l.index = it, i
	return true
}

// closeFile closes the open file, if any.
func (l *levelIter) closeFile() bool {
	l.valid = false
	if l.iter == nil {
		return true
	}
	err := l.iter.Close()
	l.iter, l.index = nil, -1
	if err != nil {
		l.fail(err)
		return false
	}
	return true
}

func (l *levelIter) fail(err error) {
	if l.err == nil {
		l.err = err
	}
	l.valid = false
}

// settle records the result of a positioning call on the open file. It
// returns true if the file is positioned at an entry, false if it is
// exhausted or failed (then l.err is set).
func (l *levelIter) settle(ok bool) bool {
	l.valid = ok
	if !ok {
		if err := l.iter.Error(); err != nil {
			l.fail(err)
		}
	}
	return ok
}

// skipForward moves past exhausted files until one yields an entry.
func (l *levelIter) skipForward(ok bool) bool {
	for !ok && l.err == nil {
		i := l.index + 1
		if i >= l.limit {
			return false
		}
		if !l.open(i) {
			return false
		}
		ok = l.settle(l.iter.First())
	}
	return ok
}

// skipBackward moves before exhausted files until one yields an entry.
func (l *levelIter) skipBackward(ok bool) bool {
	for !ok && l.err == nil {
		i := l.index - 1
		if i < l.first {
			return false
		}
		if !l.open(i) {
			return false
		}
		ok = l.settle(l.iter.Last())
	}
	return ok
}

func (l *levelIter) SeekGE(key []byte) bool {
	l.valid = false
	if l.err != nil {
		return false
	}
	if l.lower != nil && bytes.Compare(key, l.lower) < 0 {
		key = l.lower
	}
	if l.upper != nil && bytes.Compare(key, l.upper) >= 0 {
		return false
	}
	i := l.searchLargestGE(key, l.first, l.limit)
	if i >= l.limit || !l.open(i) {
		return false
	}
	return l.skipForward(l.settle(l.iter.SeekGE(key)))
}

func (l *levelIter) SeekLT(key []byte) bool {
	l.valid = false
	if l.err != nil {
		return false
	}
	if l.upper != nil && bytes.Compare(key, l.upper) > 0 {
		key = l.upper
	}
	if l.lower != nil && bytes.Compare(key, l.lower) <= 0 {
		return false
	}
	i := l.searchSmallestGE(key, l.first, l.limit) - 1
	if i < l.first || !l.open(i) {
		return false
	}
	return l.skipBackward(l.settle(l.iter.SeekLT(key)))
}

func (l *levelIter) First() bool {
	l.valid = false
	if l.first >= l.limit || !l.open(l.first) {
		return false
	}
	// The file was opened with the lower bound, so First is SeekGE(lower).
	return l.skipForward(l.settle(l.iter.First()))
}

func (l *levelIter) Last() bool {
	l.valid = false
	if l.first >= l.limit || !l.open(l.limit-1) {
		return false
	}
	return l.skipBackward(l.settle(l.iter.Last()))
}

func (l *levelIter) Next() bool {
	if !l.valid {
		return false
	}
	return l.skipForward(l.settle(l.iter.Next()))
}

func (l *levelIter) Prev() bool {
	if !l.valid {
		return false
	}
	return l.skipBackward(l.settle(l.iter.Prev()))
}

func (l *levelIter) Valid() bool { return l.valid }

func (l *levelIter) Key() base.InternalKey { return l.iter.Key() }

func (l *levelIter) Value() []byte { return l.iter.Value() }

func (l *levelIter) Error() error { return l.err }

// Close closes the open file, if any, and returns the first error the
// iterator met.
func (l *levelIter) Close() error {
	l.closeFile()
	return l.err
}
