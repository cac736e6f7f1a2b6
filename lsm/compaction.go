package lsm

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/iterator"
	"github.com/strata-db/strata/sstable"
)

// compactionState is the DB's compaction bookkeeping (guarded by d.mu).
type compactionState struct {
	running int
	// manual is set while Compact runs: background picks stand aside.
	manual bool
	// compactPointer[level] is the largest key of the level's last
	// compaction: the next one starts after it.
	compactPointer [numLevels][]byte

	count, moves, deleteOnly int64
	// Point entries a compaction dropped because a range tombstone covered
	// them, or the compaction filter asked (counted in key+value bytes).
	rangeDelDropped, rangeDelDroppedBytes int64
	filterDropped, filterDroppedBytes     int64
	bytesDeletedWithoutRead               int64
	bytesRead, bytesWritten               int64
	tablesRead, tablesWritten             int64
	tablesDeletedWithoutRead              int64
	duration                              time.Duration
	levelBytesIn, levelWritten            [numLevels]int64
}

// maybeScheduleCompactionLocked starts background compactions while there
// is work and room for another job. Requires d.mu.
func (d *DB) maybeScheduleCompactionLocked() {
	for d.mu.compact.running < d.opts.MaxConcurrentCompactions && !d.mu.closed &&
		d.mu.bgErr == nil && !d.mu.compact.manual {
		c := d.pickCompactionLocked(d.vs.current)
		if c == nil {
			return
		}
		d.startCompactionLocked(c)
		d.bgWG.Add(1)
		go func() {
			defer d.bgWG.Done()
			err := d.runCompaction(c)
			d.mu.Lock()
			d.finishCompactionLocked(c, err)
			d.maybeScheduleCompactionLocked()
			d.mu.Unlock()
		}()
	}
}

func (d *DB) startCompactionLocked(c *compaction) {
	d.mu.compact.running++
	for _, f := range c.allInputs() {
		f.compacting = true
	}
	for _, fs := range c.deletions {
		for _, f := range fs {
			f.compacting = true
		}
	}
	if c.kind != compactionDeleteOnly && c.startLevel > 0 {
		d.mu.compact.compactPointer[c.startLevel] = append([]byte(nil), c.largest...)
	}
}

func (d *DB) finishCompactionLocked(c *compaction, err error) {
	d.mu.compact.running--
	for _, f := range c.allInputs() {
		f.compacting = false
	}
	for _, fs := range c.deletions {
		for _, f := range fs {
			f.compacting = false
		}
	}
	if err != nil {
		d.setBackgroundErrorLocked(fmt.Errorf("lsm: compaction %s: %w", c, err))
	}
	d.mu.cond.Broadcast()
}

// runCompaction carries out c and installs its result.
func (d *DB) runCompaction(c *compaction) error {
	start := time.Now()
	ve := &versionEdit{}
	var outputs []*FileMetadata
	switch c.kind {
	case compactionDeleteOnly:
		n := 0
		var size int64
		for level, fs := range c.deletions {
			for _, f := range fs {
				ve.deleteFile(level, f.FileNum)
				n++
				size += int64(f.Size)
			}
		}
		defer func() {
			d.mu.Lock()
			d.mu.compact.deleteOnly++
			d.mu.compact.tablesDeletedWithoutRead += int64(n)
			d.mu.compact.bytesDeletedWithoutRead += size
			d.mu.Unlock()
		}()
	case compactionMove:
		f := c.inputs[0][0]
		ve.deleteFile(c.startLevel, f.FileNum)
		ve.newFiles = append(ve.newFiles, newFileEntry{level: c.outputLevel, meta: f})
		defer func() {
			d.mu.Lock()
			d.mu.compact.moves++
			d.mu.Unlock()
		}()
	default:
		var err error
		outputs, err = d.mergeInputs(c)
		if err != nil {
			return err
		}
		for i, fs := range c.inputs {
			level := c.startLevel
			if i == 1 {
				level = c.outputLevel
			}
			for _, f := range fs {
				ve.deleteFile(level, f.FileNum)
			}
		}
		for _, f := range outputs {
			ve.newFiles = append(ve.newFiles, newFileEntry{level: c.outputLevel, meta: f})
		}
	}
	err := d.vs.logAndApply(ve, func(*version) { d.updateReadStateLocked() })
	if err != nil {
		// The outputs stay: a MANIFEST write whose sync failed may still
		// be durable and name them. The next Open deletes every table its
		// recovered version does not name.
		return err
	}
	d.mu.Lock()
	d.mu.compact.count++
	d.mu.compact.duration += time.Since(start)
	d.mu.Unlock()
	d.logCompaction(c, outputs, time.Since(start))
	d.signalObsolete()
	return nil
}

// logCompaction reports a finished compaction at debug level: its kind and
// levels, its input tables by level (a delete-only compaction's are the
// deleted ones) and its outputs, as []*FileMetadata attributes, with the
// bytes read and written.
func (d *DB) logCompaction(c *compaction, outputs []*FileMetadata, dur time.Duration) {
	ctx := context.Background()
	if !d.opts.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("kind", c.kind.String()), slog.Duration("duration", dur)}
	var read, written uint64
	if c.kind == compactionDeleteOnly {
		for level := range numLevels {
			if fs := c.deletions[level]; len(fs) > 0 {
				attrs = append(attrs, slog.Any(fmt.Sprintf("deleted.L%d", level), fs))
			}
		}
	} else {
		attrs = append(attrs, slog.Int("from", c.startLevel), slog.Int("to", c.outputLevel),
			slog.Any("inputs.start", c.inputs[0]), slog.Any("inputs.output", c.inputs[1]), slog.Any("outputs", outputs))
		if c.kind == compactionDefault {
			for _, f := range c.allInputs() {
				read += f.Size
			}
			for _, f := range outputs {
				written += f.Size
			}
		}
	}
	attrs = append(attrs, slog.Uint64("read", read), slog.Uint64("written", written))
	if c.kind == compactionDefault {
		attrs = append(attrs, slog.Int64("blocks.from_cache", c.loads.Cached), slog.Int64("blocks.from_files", c.loads.Read),
			slog.Uint64("blocks.cached", c.cached))
	}
	d.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "compaction", attrs...)
}

// snapshotStripes maps a sequence number to its snapshot stripe: the
// number of open snapshots below it. Two versions of a key in the same
// stripe are seen by exactly the same readers, so only the newer matters.
type snapshotStripes []base.SeqNum

func (s snapshotStripes) stripe(seq base.SeqNum) int {
	i, _ := slices.BinarySearch(s, seq)
	// s[i-1] < seq <= s[i]: a snapshot at s[i] sees seq.
	return i
}

// compactionFragment is a piece of the inputs' range tombstones with every
// sequence number over it, newest first.
type compactionFragment struct {
	start, end []byte
	seqs       []base.SeqNum
	// elide is set when no table below the output level overlaps the
	// piece (always at the bottommost level): its tombstones hide nothing
	// older there, and those every reader sees need not be written.
	elide bool
}

// fragmentAll cuts tombstones into non-overlapping sorted pieces keeping
// all their sequence numbers. It sweeps the sorted bounds once, keeping the
// tombstones open at the current bound: O(n log n) plus the output, which
// matters when a compaction carries a whole wave of per-key tombstones.
func fragmentAll(ts []tombstone) []compactionFragment {
	var bounds [][]byte
	var live []tombstone
	for _, t := range ts {
		if bytes.Compare(t.start, t.end) < 0 {
			bounds = append(bounds, t.start, t.end)
			live = append(live, t)
		}
	}
	if len(bounds) == 0 {
		return nil
	}
	slices.SortFunc(bounds, bytes.Compare)
	bounds = slices.CompactFunc(bounds, bytes.Equal)
	slices.SortFunc(live, func(a, b tombstone) int { return bytes.Compare(a.start, b.start) })
	var out []compactionFragment
	var open []tombstone // start <= lo < end
	next := 0
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		open = slices.DeleteFunc(open, func(t tombstone) bool { return bytes.Compare(t.end, lo) <= 0 })
		for next < len(live) && bytes.Compare(live[next].start, lo) <= 0 {
			open = append(open, live[next])
			next++
		}
		if len(open) == 0 {
			continue
		}
		// Every open tombstone ends at a bound after lo, so at or after hi.
		seqs := make([]base.SeqNum, 0, len(open))
		for _, t := range open {
			seqs = append(seqs, t.seq)
		}
		slices.SortFunc(seqs, func(a, b base.SeqNum) int { return int(int64(b) - int64(a)) })
		out = append(out, compactionFragment{start: lo, end: hi, seqs: slices.Compact(seqs)})
	}
	return out
}

// keptSeqs returns the tombstone sequence numbers of a fragment an output
// must keep: the newest in each snapshot stripe, none in the oldest stripe
// when the fragment is elided (nothing older lies below it).
func (f *compactionFragment) keptSeqs(stripes snapshotStripes) []base.SeqNum {
	var out []base.SeqNum
	last := -1
	for _, s := range f.seqs {
		st := stripes.stripe(s)
		if st == last {
			continue
		}
		last = st
		if f.elide && st == 0 {
			continue
		}
		out = append(out, s)
	}
	return out
}

// coveredInStripe reports whether a tombstone newer than seq in the same
// snapshot stripe covers the entry.
func (f *compactionFragment) coveredInStripe(seq base.SeqNum, stripes snapshotStripes) bool {
	st := stripes.stripe(seq)
	for _, s := range f.seqs {
		if s > seq && stripes.stripe(s) == st {
			return true
		}
	}
	return false
}

// mergeInputs merges the inputs of c into new tables of the output level.
func (d *DB) mergeInputs(c *compaction) (outputs []*FileMetadata, err error) {
	d.mu.Lock()
	stripes := snapshotStripes(d.mu.snapshots.seqs())
	// The tables below the output level (immutable slices). Nothing can
	// enter the compaction's key range there while it runs: data reaches
	// those levels through the output level, whose tables in the range
	// are the compaction's own.
	var below [][]*FileMetadata
	if c.outputLevel > 0 {
		for level := c.outputLevel + 1; level < numLevels; level++ {
			if files := d.vs.current.levels[level]; len(files) > 0 {
				below = append(below, files)
			}
		}
	}
	d.mu.Unlock()
	slices.Sort(stripes)
	newest := len(stripes) // the stripe no snapshot bounds

	var iters []base.InternalIterator
	var ts []tombstone
	var bytesIn int64
	warm := &warmth{cache: d.blockCache}
	defer func() {
		for _, it := range iters {
			if cerr := it.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	for _, f := range c.allInputs() {
		it, err := d.tableCache.newCompactionIter(f, &warm.loads)
		if err != nil {
			return nil, err
		}
		iters = append(iters, it)
		fts, err := d.tableCache.tombstones(f)
		if err != nil {
			return nil, err
		}
		ts = append(ts, fts...)
		bytesIn += int64(f.Size)
	}
	frags := fragmentAll(ts)
	for i := range frags {
		frags[i].elide = c.bottommost || !levelsOverlap(below, frags[i].start, frags[i].end)
	}
	merged := iterator.NewMerging(iters...)
	iters = []base.InternalIterator{merged}

	w := &compactionWriter{d: d, c: c, stripes: stripes, frags: frags, below: below, belowIdx: make([]int, len(below)), inputBytes: bytesIn}
	if d.opts.CacheCompactedBlocks && d.blockCache != nil {
		w.warm = warm
	}
	defer func() { c.loads, c.cached = warm.loads, w.cached }()
	defer func() {
		if err != nil {
			w.abandon()
		}
	}()
	// curKey is the user key of the entries being merged; haveKey says
	// whether there is one (curKey alone cannot: the empty key is nil).
	var curKey []byte
	haveKey := false
	lastStripe := -1
	fragIdx := 0
	filter := d.opts.CompactionFilter
	var rdDropped, rdBytes, fDropped, fBytes int64
	var yield bgYield
	for ok := merged.First(); ok; ok = merged.Next() {
		yield.tick()
		k := merged.Key()
		newKey := !haveKey || !bytes.Equal(k.UserKey, curKey)
		if newKey {
			curKey, haveKey = append(curKey[:0], k.UserKey...), true
			lastStripe = -1
			for fragIdx < len(frags) && bytes.Compare(frags[fragIdx].end, curKey) <= 0 {
				fragIdx++
			}
		}
		seq := k.SeqNum()
		st := stripes.stripe(seq)
		if st == lastStripe {
			continue // shadowed by a newer version in the same stripe
		}
		lastStripe = st
		if fragIdx < len(frags) && bytes.Compare(frags[fragIdx].start, curKey) <= 0 &&
			frags[fragIdx].coveredInStripe(seq, stripes) {
			rdDropped++
			rdBytes += int64(len(k.UserKey) + len(merged.Value()))
			continue // deleted by a range tombstone no reader sees past
		}
		kind := k.Kind()
		if kind == base.InternalKeyKindDelete && c.bottommost && st == 0 {
			continue // nothing older remains below
		}
		value := merged.Value()
		if kind == base.InternalKeyKindSet && filter != nil && st == newest && filter(k.UserKey, value) {
			fDropped++
			fBytes += int64(len(k.UserKey) + len(value))
			if c.bottommost && st == 0 {
				continue
			}
			// Keep a tombstone so an older version below stays hidden.
			kind, value = base.InternalKeyKindDelete, nil
		}
		if err := w.add(base.MakeInternalKey(k.UserKey, seq, kind), value, newKey); err != nil {
			return nil, err
		}
	}
	if err := merged.Error(); err != nil {
		return nil, err
	}
	outputs, err = w.finish()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.mu.compact.rangeDelDropped += rdDropped
	d.mu.compact.rangeDelDroppedBytes += rdBytes
	d.mu.compact.filterDropped += fDropped
	d.mu.compact.filterDroppedBytes += fBytes
	d.mu.compact.bytesRead += bytesIn
	d.mu.compact.tablesRead += int64(len(c.allInputs()))
	d.mu.compact.levelBytesIn[c.outputLevel] += bytesIn
	for _, f := range outputs {
		d.mu.compact.bytesWritten += int64(f.Size)
		d.mu.compact.levelWritten[c.outputLevel] += int64(f.Size)
	}
	d.mu.compact.tablesWritten += int64(len(outputs))
	d.mu.Unlock()
	return outputs, nil
}

// levelsOverlap reports whether a table of one of levels (each sorted and
// disjoint) holds keys in [start, end).
func levelsOverlap(levels [][]*FileMetadata, start, end []byte) bool {
	for _, files := range levels {
		if i := searchLevel(files, start); i < len(files) && bytes.Compare(files[i].Smallest.UserKey, end) < 0 {
			return true
		}
	}
	return false
}

// compactionWriter writes a compaction's output tables, cutting a new one
// past TargetFileSize, or before a key when the gap since the previous key
// holds whole tables of the level below the output (see gapBytes), at a
// user key that no range tombstone spans, and giving each table the
// tombstone fragments of its key range.
type compactionWriter struct {
	d       *DB
	c       *compaction
	stripes snapshotStripes
	frags   []compactionFragment
	// nextFrag is the first fragment not yet written to a table.
	nextFrag int
	// below holds the tables of each non-empty level below the output
	// level; belowIdx, per level, the first one not wholly before the
	// current table's last content. lastKey is the last user key written
	// (valid when haveLast).
	below    [][]*FileMetadata
	belowIdx []int
	lastKey  []byte
	haveLast bool
	// fragScan is the first fragment gapBytes has not looked at; fragEnd
	// the largest end of the kept fragments before it (nil: none), which
	// the current table holds unless a cut came after them.
	fragScan int
	fragEnd  []byte
	// gapCuts counts the cuts made for gaps; inputBytes is the size of
	// the compaction's inputs.
	gapCuts    int64
	inputBytes int64

	// warm, if set, decides which output blocks go into the block cache
	// (Options.CacheCompactedBlocks).
	warm *warmth

	w       *sstable.Writer
	num     base.FileNum
	outputs []*FileMetadata
	created []base.FileNum // the tables opened, to remove if it fails
	cached  uint64         // output blocks put into the block cache
}

// warmth decides which of a compaction's output blocks go into the block
// cache (Options.CacheCompactedBlocks): those the cache has free room for,
// and others up to the size of the input blocks the compaction found
// cached. Those are dropped with their tables when it is done, and
// meanwhile they are the next blocks the cache evicts
// (sstable.Cache.getLast): the outputs take their place, and the place of
// free room, never that of blocks readers use. Input blocks are loaded
// just before the output blocks holding their keys are written, so a
// range the cache held is cached again, and a range read from the files
// only if there is room.
type warmth struct {
	cache *sstable.Cache
	loads sstable.BlockLoads
	spent int64 // the cost of the blocks cached in place of inputs
}

// fill reports whether the output block of n bytes being written goes
// into the cache.
func (w *warmth) fill(n int) bool {
	if w.cache.RoomFor(n) {
		return true
	}
	if cost := sstable.BlockCost(n); w.spent+cost <= w.loads.CachedBytes {
		w.spent += cost
		return true
	}
	return false
}

func (cw *compactionWriter) add(key base.InternalKey, value []byte, newKey bool) error {
	if newKey {
		cut := false
		if cw.w != nil {
			cut = cw.shouldCut(key.UserKey)
		} else if cw.gapCut(key.UserKey) {
			// Only tombstone fragments so far, far from this first key:
			// they get a table of their own.
			if err := cw.openTable(); err != nil {
				return err
			}
			cut = true
		}
		if cut && !cw.spanned(key.UserKey) {
			if err := cw.closeTable(key.UserKey); err != nil {
				return err
			}
			cw.haveLast, cw.fragEnd = false, nil
		}
	}
	if cw.w == nil {
		if err := cw.openTable(); err != nil {
			return err
		}
	}
	if newKey {
		cw.lastKey, cw.haveLast = append(cw.lastKey[:0], key.UserKey...), true
	}
	return cw.w.Add(key, value)
}

// shouldCut reports whether the current table should end before the new
// user key k: it is full, Options.SplitOutput asks for it, or the gap since
// the table's last content holds half a table's worth of data further
// down.
func (cw *compactionWriter) shouldCut(k []byte) bool {
	if cw.w.EstimatedSize() >= uint64(cw.d.opts.TargetFileSize) {
		return true
	}
	if split := cw.d.opts.SplitOutput; split != nil && cw.haveLast && split(cw.lastKey, k) {
		return true
	}
	return cw.gapCut(k)
}

// gapCut reports whether to cut before k for a gap (gapBytes), and counts
// the cut. Such cuts are bounded per compaction (a few, plus one per
// target file of input): sparse updates spread over a large keyspace leave
// a gap between every two keys, and cutting at each would scatter them
// into tiny tables.
func (cw *compactionWriter) gapCut(k []byte) bool {
	if cw.gapCuts >= 4+cw.inputBytes/cw.d.opts.TargetFileSize || cw.gapBytes(k) < uint64(cw.d.opts.TargetFileSize)/2 {
		return false
	}
	cw.gapCuts++
	return true
}

// gapBytes returns the bytes of the tables below the output level lying
// wholly between the current table's last content (its last key, or the
// end of the last tombstone fragment it holds) and k. An output table spanning such a gap would
// overlap them all, and compacting it one level down would rewrite them
// for nothing: a wave of new keys past old ones (sequential uuids), or a
// table of tombstones over old data followed by new data, would drag the
// live data between them through every compaction. Cutting there keeps
// each output to one side of the gap, so the new keys can later move down
// without a rewrite and the tombstones drop what they cover by themselves.
// Uniform random keys never leave such gaps: a table further down spans many
// of the output's keys.
func (cw *compactionWriter) gapBytes(k []byte) uint64 {
	if len(cw.below) == 0 {
		return 0
	}
	for ; cw.fragScan < len(cw.frags) && bytes.Compare(cw.frags[cw.fragScan].start, k) < 0; cw.fragScan++ {
		f := &cw.frags[cw.fragScan]
		if cw.fragScan >= cw.nextFrag && (cw.fragEnd == nil || bytes.Compare(f.end, cw.fragEnd) > 0) &&
			len(f.keptSeqs(cw.stripes)) > 0 {
			cw.fragEnd = f.end
		}
	}
	last := cw.fragEnd
	if cw.haveLast && (last == nil || bytes.Compare(cw.lastKey, last) > 0) {
		last = cw.lastKey
	}
	if last == nil {
		return 0
	}
	var n uint64
	for l, files := range cw.below {
		i := cw.belowIdx[l]
		for i < len(files) && bytes.Compare(files[i].Largest.UserKey, last) < 0 {
			i++
		}
		cw.belowIdx[l] = i
		for ; i < len(files) && bytes.Compare(files[i].Largest.UserKey, k) < 0; i++ {
			if bytes.Compare(files[i].Smallest.UserKey, last) >= 0 {
				n += files[i].Size
			}
		}
	}
	return n
}

// spanned reports whether a tombstone fragment covers k.
func (cw *compactionWriter) spanned(k []byte) bool {
	for i := cw.nextFrag; i < len(cw.frags); i++ {
		f := &cw.frags[i]
		if bytes.Compare(f.start, k) > 0 {
			return false
		}
		if bytes.Compare(k, f.end) < 0 && len(f.keptSeqs(cw.stripes)) > 0 {
			return true
		}
	}
	return false
}

func (cw *compactionWriter) openTable() error {
	d := cw.d
	cw.num = d.vs.allocFileNum()
	f, err := d.fs.Create(d.fs.PathJoin(d.dirname, base.MakeFilename(base.FileTypeTable, cw.num)))
	if err != nil {
		return fmt.Errorf("creating table %s: %w", cw.num, err)
	}
	cw.created = append(cw.created, cw.num)
	opts := d.tableWriterOptions()
	if cw.c.outputLevel == numLevels-1 || cw.c.bottommost {
		opts.Compression = d.opts.BottommostCompression
	}
	if cw.warm != nil {
		opts.FillCache, opts.CacheFileNum, opts.FillCacheIf = cw.d.blockCache, cw.num, cw.warm.fill
	}
	cw.w = sstable.NewWriter(f, opts)
	return nil
}

// closeTable finishes the current table; its range tombstones are the
// fragments starting before limit (nil: all remaining).
func (cw *compactionWriter) closeTable(limit []byte) error {
	for ; cw.nextFrag < len(cw.frags); cw.nextFrag++ {
		f := &cw.frags[cw.nextFrag]
		if limit != nil && bytes.Compare(f.start, limit) >= 0 {
			break
		}
		for _, s := range f.keptSeqs(cw.stripes) {
			if err := cw.w.AddRangeDel(f.start, f.end, s); err != nil {
				return err
			}
		}
	}
	if err := cw.w.Close(); err != nil {
		return fmt.Errorf("writing table %s: %w", cw.num, err)
	}
	wm := cw.w.Metadata()
	cw.w = nil
	cw.cached += wm.CachedBlocks
	if wm.NumEntries == 0 && wm.NumRangeDels == 0 {
		cw.d.removeFile(base.FileTypeTable, cw.num) // no data block: nothing cached
		return nil
	}
	cw.outputs = append(cw.outputs, &FileMetadata{
		FileNum: cw.num, Size: wm.Size,
		Smallest: wm.Smallest.Clone(), Largest: wm.Largest.Clone(),
		SmallestSeq: wm.SmallestSeq, LargestSeq: wm.LargestSeq,
		numRangeDels: wm.NumRangeDels,
	})
	return nil
}

func (cw *compactionWriter) finish() ([]*FileMetadata, error) {
	if cw.w == nil && cw.nextFrag < len(cw.frags) {
		// Only tombstones are left (or the inputs held nothing else).
		for i := cw.nextFrag; i < len(cw.frags); i++ {
			if len(cw.frags[i].keptSeqs(cw.stripes)) > 0 {
				if err := cw.openTable(); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	if cw.w != nil {
		if err := cw.closeTable(nil); err != nil {
			return nil, err
		}
	}
	if len(cw.outputs) > 0 {
		if err := cw.d.dirFile.Sync(); err != nil {
			return nil, fmt.Errorf("syncing directory: %w", err)
		}
	}
	return cw.outputs, nil
}

// abandon removes what a failed compaction wrote.
func (cw *compactionWriter) abandon() {
	if cw.w != nil {
		cw.w.Close()
		cw.w = nil
	}
	for _, num := range cw.created {
		_ = cw.d.fs.Remove(cw.d.fs.PathJoin(cw.d.dirname, base.MakeFilename(base.FileTypeTable, num)))
		if cw.warm != nil {
			cw.d.blockCache.EvictFile(num) // no reader will ask for its blocks
		}
	}
}
