package lsm

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/sstable"
)

// compactionKind says how a compaction is carried out.
type compactionKind int

const (
	// compactionDefault merges its inputs into new tables.
	compactionDefault compactionKind = iota
	// compactionMove moves one table to the next level by a version edit:
	// nothing overlaps it there, so no data needs rewriting.
	compactionMove
	// compactionDeleteOnly deletes tables wholly covered by a newer range
	// tombstone, without reading them.
	compactionDeleteOnly
)

func (k compactionKind) String() string {
	switch k {
	case compactionMove:
		return "move"
	case compactionDeleteOnly:
		return "delete-only"
	}
	return "default"
}

// compaction describes one unit of background work.
type compaction struct {
	kind        compactionKind
	startLevel  int
	outputLevel int
	// inputs[0] are the start level's files, inputs[1] the output level's.
	inputs [2][]*FileMetadata
	// deletions lists the tables of a delete-only compaction, by level.
	deletions map[int][]*FileMetadata
	// The user-key range of the inputs (inclusive).
	smallest, largest []byte
	// bottommost is true when no level below the output holds data in the
	// compaction's range: tombstones can be dropped there.
	bottommost bool
	score      float64
	manual     bool
	// loads counts the data blocks the merge loaded from the block cache
	// and from the files, and cached the output blocks it put into the
	// cache (Options.CacheCompactedBlocks); for the debug log.
	loads  sstable.BlockLoads
	cached uint64
}

func (c *compaction) String() string {
	if c.kind == compactionDeleteOnly {
		n := 0
		for _, fs := range c.deletions {
			n += len(fs)
		}
		return fmt.Sprintf("delete-only of %d tables", n)
	}
	return fmt.Sprintf("%s L%d->L%d (%d+%d files, score %.2f)", c.kind, c.startLevel, c.outputLevel,
		len(c.inputs[0]), len(c.inputs[1]), c.score)
}

func (c *compaction) allInputs() []*FileMetadata {
	return append(append([]*FileMetadata(nil), c.inputs[0]...), c.inputs[1]...)
}

// levelTargets computes the dynamic level sizes of v: the base level L0
// compacts into, and each level's target size. The bottom level holds most
// data; each level above is LevelMultiplier times smaller, up to the first
// level whose target drops to LBaseMaxBytes.
func (d *DB) levelTargets(v *version) (baseLevel int, maxBytes [numLevels]uint64) {
	o := d.opts
	first := -1
	var dbSize uint64
	for level := 1; level < numLevels; level++ {
		if sz := v.sizes[level]; sz > 0 {
			if first < 0 {
				first = level
			}
			dbSize += sz
		}
	}
	mult := uint64(o.LevelMultiplier)
	baseLevel = numLevels - 1
	if first > 0 {
		bottomSize := dbSize - dbSize/mult
		cur := bottomSize
		for baseLevel > 1 && cur > uint64(o.LBaseMaxBytes) {
			cur /= mult
			baseLevel--
		}
		// Never leave data stranded above the base level.
		baseLevel = min(baseLevel, first)
	}
	size := uint64(o.LBaseMaxBytes)
	for level := baseLevel; level < numLevels; level++ {
		maxBytes[level] = size
		size *= mult
	}
	return baseLevel, maxBytes
}

// levelScoresLocked returns each level's compaction score: for L0 the
// file count over the trigger, for others the size over the target. Sizes
// are compensated: the bytes a level's range tombstones cover below it
// count, once no newer tombstones arrive over them (compensation.go), and
// for L0 covering LBaseMaxBytes is a full score. A score of 1 or more asks
// for a compaction. Requires d.mu.
func (d *DB) levelScoresLocked(v *version) (scores [numLevels]float64, baseLevel int) {
	baseLevel, maxBytes := d.levelTargets(v)
	covered := d.coverageCreditsLocked(v).perLevel
	scores[0] = max(float64(len(v.levels[0]))/float64(d.opts.L0CompactionThreshold),
		float64(covered[0])/float64(d.opts.LBaseMaxBytes))
	for level := 1; level < numLevels-1; level++ {
		if maxBytes[level] > 0 {
			scores[level] = float64(v.sizes[level]+covered[level]) / float64(maxBytes[level])
		}
	}
	return scores, baseLevel
}

// pendingCompactionBytes estimates the bytes compactions must rewrite to
// bring every level within its target.
func (d *DB) pendingCompactionBytes(v *version) uint64 {
	_, maxBytes := d.levelTargets(v)
	var n uint64
	if len(v.levels[0]) >= d.opts.L0CompactionThreshold {
		n += v.sizes[0]
	}
	for level := 1; level < numLevels-1; level++ {
		if sz := v.sizes[level]; maxBytes[level] > 0 && sz > maxBytes[level] {
			n += sz - maxBytes[level]
		}
	}
	return n
}

// pickCompaction chooses the next compaction for v, or nil. Requires d.mu
// (for the compaction pointers and the compacting marks).
func (d *DB) pickCompactionLocked(v *version) *compaction {
	if c := d.pickDeleteOnlyLocked(v); c != nil {
		return c
	}
	scores, baseLevel := d.levelScoresLocked(v)
	best, bestScore := -1, 1.0
	for level := 0; level < numLevels-1; level++ {
		if scores[level] >= bestScore && !levelBusy(v.levels[level]) {
			best, bestScore = level, scores[level]
		}
	}
	if best < 0 {
		return d.pickReclaimLocked(v, baseLevel)
	}
	c := &compaction{startLevel: best, score: bestScore}
	if best == 0 {
		c.outputLevel = baseLevel
		// Every L0 file: they may overlap and must reach the base level
		// oldest first, so all of them go at once.
		c.inputs[0] = append([]*FileMetadata(nil), v.levels[0]...)
	} else {
		c.outputLevel = best + 1
		c.inputs[0] = []*FileMetadata{d.nextFileToCompactLocked(v, best)}
	}
	if !d.setupInputs(v, c) {
		return nil
	}
	return c
}

// pickReclaimLocked is asked when no level needs a compaction: it picks
// the one that reclaims the most bytes under credited tombstones
// (compensation.go) in its output level, provided they are at least half
// the bytes it reads there, or nil. A level's score counts the bytes its
// tombstones cover against the level's target size, so a few tables
// mostly deleted, in a small DB or at the edges of a deleted range (a
// table that also holds the first keys of the next wave), would otherwise
// wait for unrelated writes. Requires d.mu.
func (d *DB) pickReclaimLocked(v *version, baseLevel int) *compaction {
	cr := d.coverageCreditsLocked(v)
	if len(cr.tables) == 0 {
		return nil
	}
	var best *compaction
	var bestGain uint64
	consider := func(start, output int, inputs []*FileMetadata, gain uint64) {
		if gain <= bestGain || levelBusy(inputs) {
			return
		}
		lo, hi := keyRange(inputs)
		if 2*gain >= overlapBytes(v.levels[output], lo, hi) {
			best, bestGain = &compaction{startLevel: start, outputLevel: output, inputs: [2][]*FileMetadata{inputs}}, gain
		}
	}
	// L0 goes down whole: its tables' credits in the base level, each
	// base table counted at most once, unless one of them is held back.
	inBase := map[*FileMetadata]uint64{}
	for _, f := range v.levels[0] {
		if cr.held[f] {
			inBase = nil
			break
		}
	}
	for _, ct := range cr.tables {
		if ct.level == 0 && inBase != nil {
			for _, p := range ct.parts {
				if p.level == baseLevel {
					inBase[p.g] = min(inBase[p.g]+p.bytes, p.g.Size)
				}
			}
		}
	}
	var gain uint64
	for _, n := range inBase {
		gain += n
	}
	if gain > 0 {
		consider(0, baseLevel, slices.Clone(v.levels[0]), gain)
	}
	for _, ct := range cr.tables {
		if ct.level == 0 || ct.level == numLevels-1 {
			continue
		}
		var gain uint64
		for _, p := range ct.parts {
			if p.level == ct.level+1 {
				gain += p.bytes
			}
		}
		if gain > 0 {
			consider(ct.level, ct.level+1, []*FileMetadata{ct.f}, gain)
		}
	}
	if best == nil || !d.setupInputs(v, best) {
		return nil
	}
	return best
}

// filterMayDrop reports whether the compaction filter may drop a key of f.
func (d *DB) filterMayDrop(f *FileMetadata) bool {
	if d.opts.CompactionFilter == nil {
		return false
	}
	scope := d.opts.CompactionFilterScope
	return scope == nil || scope(f.Smallest.UserKey, f.Largest.UserKey)
}

func levelBusy(files []*FileMetadata) bool {
	for _, f := range files {
		if f.compacting {
			return true
		}
	}
	return false
}

// nextFileToCompactLocked picks the file after the level's compaction
// pointer (round-robin over the key space, as LevelDB does).
//
// A table whose tombstones cover more bytes below it than its own size goes
// first (the most covering one, by the credited coverage), so dead data is
// reclaimed early, unless it is partial (its credit, over every level below
// it, is less than half of what its merge reads in the next level). A
// table whose tombstones cover data that deletions are still arriving
// over, or a partial one, is passed over while there are others: merged
// now, it would rewrite what the next tombstones delete (compensation.go),
// or read the tables below mostly to write them again; left in place, it
// can still complete, with the tombstones that follow, the cover of whole
// tables that delete-only compactions drop unread.
func (d *DB) nextFileToCompactLocked(v *version, level int) *FileMetadata {
	files := v.levels[level]
	var best *FileMetadata
	var bestCov uint64
	cr := d.coverageCreditsLocked(v)
	for f, c := range cr.perFile {
		if c > f.Size && c > bestCov && !cr.partial[f] && slices.Contains(files, f) {
			best, bestCov = f, c
		}
	}
	if best != nil {
		return best
	}
	ptr := d.mu.compact.compactPointer[level]
	var wrapped, held *FileMetadata
	for _, f := range files {
		switch {
		case cr.held[f] || cr.partial[f]:
			if held == nil {
				held = f
			}
		case ptr == nil || bytes.Compare(f.Smallest.UserKey, ptr) > 0:
			return f
		case wrapped == nil:
			wrapped = f
		}
	}
	if wrapped != nil {
		return wrapped
	}
	return held
}

// setupInputs adds the overlapping output-level files, decides between a
// move and a merge, and computes bottommost. It returns false if an input
// is already being compacted.
func (d *DB) setupInputs(v *version, c *compaction) bool {
	c.smallest, c.largest = keyRange(c.inputs[0])
	c.inputs[1] = overlapping(v.levels[c.outputLevel], c.smallest, c.largest)
	if levelBusy(c.inputs[0]) || levelBusy(c.inputs[1]) {
		return false
	}
	if len(c.inputs[1]) > 0 {
		lo, hi := keyRange(c.allInputs())
		c.smallest, c.largest = lo, hi
	}
	c.bottommost = true
	for level := c.outputLevel + 1; level < numLevels; level++ {
		if len(overlapping(v.levels[level], c.smallest, c.largest)) > 0 {
			c.bottommost = false
			break
		}
	}
	if len(c.inputs[0]) == 1 && len(c.inputs[1]) == 0 && !c.manual {
		f := c.inputs[0][0]
		// A move keeps the table as it is: fine unless the output is the
		// bottommost level and the table carries tombstones, or data a
		// filter may drop, which only a rewrite reclaims.
		if !c.bottommost || (!d.filterMayDrop(f) && f.numRangeDels == 0) {
			c.kind = compactionMove
		}
	}
	return true
}

// overlapBytes is the size of the files of a level below L0 (sorted,
// disjoint) that may hold keys in [start, end].
func overlapBytes(files []*FileMetadata, start, end []byte) uint64 {
	var n uint64
	for k := searchLevel(files, start); k < len(files) && bytes.Compare(files[k].Smallest.UserKey, end) <= 0; k++ {
		n += files[k].Size
	}
	return n
}

// keyRange returns the smallest and largest user keys of files.
func keyRange(files []*FileMetadata) (smallest, largest []byte) {
	for i, f := range files {
		if i == 0 || bytes.Compare(f.Smallest.UserKey, smallest) < 0 {
			smallest = f.Smallest.UserKey
		}
		if i == 0 || bytes.Compare(f.Largest.UserKey, largest) > 0 {
			largest = f.Largest.UserKey
		}
	}
	return smallest, largest
}

// overlapping returns the files that may hold keys in [start, end].
func overlapping(files []*FileMetadata, start, end []byte) []*FileMetadata {
	var out []*FileMetadata
	for _, f := range files {
		if f.overlaps(start, end) {
			out = append(out, f)
		}
	}
	return out
}

// pickDeleteOnlyLocked finds tables wholly covered by newer range
// tombstones stored in other tables (one tombstone, or adjacent and
// overlapping ones together: a wave of expired keys deletes consecutive uuid
// ranges), with no open snapshot that could still see their data. Such
// tables are deleted without being read.
func (d *DB) pickDeleteOnlyLocked(v *version) *compaction {
	x := d.versionTombstones(v)
	if x == nil {
		return nil
	}
	snaps := d.mu.snapshots.seqs()
	var c *compaction
	for level, files := range v.levels {
		for _, f := range files {
			if f.compacting || !coveredByTombstones(f, x, snaps) {
				continue
			}
			if c == nil {
				c = &compaction{kind: compactionDeleteOnly, deletions: map[int][]*FileMetadata{}}
			}
			c.deletions[level] = append(c.deletions[level], f)
		}
	}
	return c
}

// versionTombstones returns the index of every range tombstone stored in
// v's tables, built once per version (versions are immutable); nil when
// there are none.
func (d *DB) versionTombstones(v *version) *tombIndex {
	v.tombOnce.Do(func() {
		var ts []tombstone
		for _, files := range v.levels {
			for _, f := range files {
				if f.numRangeDels == 0 {
					continue
				}
				fts, err := d.tableCache.tombstones(f)
				if err != nil {
					continue // the table's readers report the error
				}
				ts = append(ts, fts...)
			}
		}
		if len(ts) > 0 {
			v.tombs = newTombIndex(ts)
		}
	})
	return v.tombs
}

// coveredByTombstones reports whether tombstones newer than every entry of
// f together cover f's whole key range, and no snapshot sits between f's
// entries and them. Greedy interval cover over the tombstones sorted by
// start: O(log n + tombstones inside f's range).
func coveredByTombstones(f *FileMetadata, x *tombIndex, snaps []base.SeqNum) bool {
	var newest base.SeqNum
	var reach []byte
	x.covering(f.Smallest.UserKey, func(t *tombstone) {
		if t.seq > f.LargestSeq && (reach == nil || bytes.Compare(t.end, reach) > 0) {
			reach = t.end
			newest = max(newest, t.seq)
		}
	})
	if reach == nil {
		return false
	}
	past := func(r []byte) bool { // every key of f is below r
		c := bytes.Compare(f.Largest.UserKey, r)
		return c < 0 || (c == 0 && f.largestExclusive())
	}
	k := sort.Search(len(x.ts), func(i int) bool { return bytes.Compare(x.ts[i].start, f.Smallest.UserKey) > 0 })
	for !past(reach) {
		ext := reach
		for ; k < len(x.ts) && bytes.Compare(x.ts[k].start, reach) <= 0; k++ {
			if t := &x.ts[k]; t.seq > f.LargestSeq && bytes.Compare(t.end, ext) > 0 {
				ext = t.end
				newest = max(newest, t.seq)
			}
		}
		if bytes.Equal(ext, reach) {
			return false // a gap
		}
		reach = ext
	}
	for _, s := range snaps {
		if s >= f.SmallestSeq && s < newest {
			return false
		}
	}
	return true
}
