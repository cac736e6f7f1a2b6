package lsm

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/iterator"
)

// FileMetadata describes one sstable of the LSM.
type FileMetadata struct {
	FileNum     base.FileNum
	Size        uint64
	Smallest    base.InternalKey // inclusive
	Largest     base.InternalKey // inclusive (a range tombstone end is exclusive: trailer SeqNumMax,RANGEDEL)
	SmallestSeq base.SeqNum
	LargestSeq  base.SeqNum

	// numRangeDels is the number of range tombstones in the table.
	numRangeDels uint64

	// compacting is set while a compaction uses the file as input (guarded
	// by DB.mu).
	compacting bool

	// refs counts the versions that contain the file. When it drops to zero
	// the file is obsolete and may be deleted.
	refs atomic.Int32

	// cached is the table cache's entry for the file once opened: reads
	// take it without the cache's lock (tableCache.acquire).
	cached atomic.Pointer[tableCacheEntry]
}

func (f *FileMetadata) String() string {
	return fmt.Sprintf("%s:[%s-%s]", f.FileNum, f.Smallest, f.Largest)
}

// largestExclusive reports whether the file's largest bound is the
// exclusive end of a range tombstone (trailer SeqNumMax,RANGEDEL): the file
// holds nothing at that user key itself.
func (f *FileMetadata) largestExclusive() bool {
	return f.Largest.Trailer == base.MakeTrailer(base.SeqNumMax, base.InternalKeyKindRangeDelete)
}

// endsBefore reports whether every key of the file is below user key k.
func (f *FileMetadata) endsBefore(k []byte) bool {
	c := bytes.Compare(f.Largest.UserKey, k)
	return c < 0 || (c == 0 && f.largestExclusive())
}

// overlaps reports whether the file's user-key range intersects [start, end]
// (inclusive; nil means unbounded).
func (f *FileMetadata) overlaps(start, end []byte) bool {
	if end != nil && bytes.Compare(f.Smallest.UserKey, end) > 0 {
		return false
	}
	if start != nil && f.endsBefore(start) {
		return false
	}
	return true
}

// version is an immutable set of tables per level. Readers reference a
// version so that its files are not deleted while they read.
//
// Invariants:
//  1. L0 files are ordered by LargestSeq ascending (newest last); they may
//     overlap.
//  2. Files of L1..L6 are ordered by Smallest and do not overlap.
type version struct {
	levels [numLevels][]*FileMetadata
	// Derived once when the version is installed (versions are
	// immutable): each level's byte size, and levels 1-6 as the level
	// iterator wants them.
	sizes      [numLevels]uint64
	levelFiles [numLevels][]iterator.LevelFile
	refs       atomic.Int32
	// tombs indexes the range tombstones of the version's tables, for
	// delete-only compactions (built on first use).
	tombOnce sync.Once
	tombs    *tombIndex
	// cov estimates the bytes each table's tombstones cover below it
	// (compensation.go).
	covOnce sync.Once
	cov     *coverage
	// onZero is called once when the last reference is dropped.
	onZero func(*version)
}

func (v *version) ref() { v.refs.Add(1) }

func (v *version) unref() {
	switch n := v.refs.Add(-1); {
	case n == 0:
		if v.onZero != nil {
			v.onZero(v)
		}
	case n < 0:
		panic("lsm: version reference count below zero")
	}
}

// numFiles returns the number of tables in the version.
func (v *version) numFiles() int {
	n := 0
	for _, l := range v.levels {
		n += len(l)
	}
	return n
}

// String lists the files of each non-empty level.
func (v *version) String() string {
	var b strings.Builder
	for level, files := range v.levels {
		if len(files) == 0 {
			continue
		}
		fmt.Fprintf(&b, "L%d:\n", level)
		for _, f := range files {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

// apply returns a new version: v with the edit's deletions and additions.
func (v *version) apply(ve *versionEdit) (*version, error) {
	nv := &version{}
	for level := range v.levels {
		deleted := ve.deletedFiles[level]
		for _, f := range v.levels[level] {
			if _, ok := deleted[f.FileNum]; ok {
				continue
			}
			nv.levels[level] = append(nv.levels[level], f)
		}
	}
	for _, nf := range ve.newFiles {
		nv.levels[nf.level] = append(nv.levels[nf.level], nf.meta)
	}
	slices.SortFunc(nv.levels[0], func(a, b *FileMetadata) int {
		if a.LargestSeq != b.LargestSeq {
			if a.LargestSeq < b.LargestSeq {
				return -1
			}
			return 1
		}
		return int(int64(a.FileNum) - int64(b.FileNum))
	})
	for level := 1; level < numLevels; level++ {
		files := nv.levels[level]
		slices.SortFunc(files, func(a, b *FileMetadata) int {
			return base.InternalCompare(a.Smallest, b.Smallest)
		})
		for i := 1; i < len(files); i++ {
			if base.InternalCompare(files[i-1].Largest, files[i].Smallest) >= 0 {
				return nil, base.CorruptionErrorf("lsm: L%d files %s and %s overlap", level, files[i-1], files[i])
			}
		}
	}
	return nv, nil
}
