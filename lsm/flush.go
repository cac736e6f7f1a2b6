package lsm

import (
	"fmt"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/sstable"
)

// Flush makes every write committed before the call durable in an L0
// table, and waits. With the WAL disabled this is the way to make writes
// survive a crash.
func (d *DB) Flush() error {
	done, err := d.AsyncFlush()
	if err != nil {
		return err
	}
	<-done
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.bgErr
}

// AsyncFlush rotates the mutable memtable (if it holds anything) and
// schedules its flush; the returned channel is closed once every memtable
// up to it is flushed or the flush failed.
func (d *DB) AsyncFlush() (<-chan struct{}, error) {
	d.commit.mu.Lock()
	defer d.commit.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mu.closed {
		return nil, ErrClosed
	}
	if d.mu.bgErr != nil {
		return nil, d.mu.bgErr
	}
	m := d.mu.mem.mutable
	if m.Empty() {
		// Nothing new: wait for the memtables already queued, if any.
		q := d.mu.mem.queue
		if len(q) == 1 {
			ch := make(chan struct{})
			close(ch)
			return ch, nil
		}
		return q[len(q)-2].flushed, nil
	}
	if err := d.rotateMemTableLocked(0); err != nil {
		d.setBackgroundErrorLocked(err)
		return nil, d.mu.bgErr
	}
	return m.flushed, nil
}

// maybeScheduleFlushLocked wakes the flush loop if a memtable waits.
// Requires d.mu.
func (d *DB) maybeScheduleFlushLocked() {
	if len(d.mu.mem.queue) > 1 {
		select {
		case d.flushCh <- struct{}{}:
		default:
		}
	}
}

// flushLoop flushes immutable memtables, oldest first, until the DB closes.
func (d *DB) flushLoop() {
	defer d.bgWG.Done()
	for {
		select {
		case <-d.closing:
			return
		case <-d.flushCh:
		}
		for d.flushOne() {
		}
	}
}

// flushOne flushes the oldest immutable memtable; it reports whether there
// may be more to do.
func (d *DB) flushOne() bool {
	d.mu.Lock()
	if len(d.mu.mem.queue) < 2 || d.mu.bgErr != nil {
		d.mu.Unlock()
		return false
	}
	m := d.mu.mem.queue[0]
	nextLogNum := d.mu.mem.queue[1].logNum
	d.mu.flush.running = true
	d.mu.Unlock()

	// Every batch that reserved room in m has been assigned its place in the
	// WAL; wait for them to finish inserting.
	m.writers.Wait()
	err := d.flushMemTable(m, nextLogNum)

	d.mu.Lock()
	d.mu.flush.running = false
	if err != nil {
		m.flushErr = err
		d.setBackgroundErrorLocked(err)
		// Wake everyone waiting on any queued memtable: nothing more will be
		// flushed.
		for _, q := range d.mu.mem.queue[:len(d.mu.mem.queue)-1] {
			select {
			case <-q.flushed:
			default:
				close(q.flushed)
			}
		}
		d.mu.cond.Broadcast()
		d.mu.Unlock()
		return false
	}
	close(m.flushed)
	d.mu.cond.Broadcast()
	d.maybeScheduleCompactionLocked()
	d.mu.Unlock()
	d.deleteObsoleteFiles()
	return true
}

// flushMemTable writes m to a new L0 table and installs it with a version
// edit that also retires m's WAL.
func (d *DB) flushMemTable(m *memTable, nextLogNum base.FileNum) error {
	ve := &versionEdit{logNumber: nextLogNum, lastSeqNum: base.SeqNum(m.maxSeq.Load())}
	var bytes int64
	if !m.Empty() {
		// Entries hidden by a tombstone of the same memtable need not reach
		// the disk, unless a reader could still see them: a snapshot taken
		// between the two, or one taken later with a sequence number below
		// the tombstone's (only if the tombstone is not yet visible).
		d.mu.Lock()
		snaps := d.mu.snapshots.seqs()
		d.mu.Unlock()
		meta, err := d.writeL0Table(m, snaps, base.SeqNum(d.visibleSeq.Load()))
		if err != nil {
			return err
		}
		if meta != nil {
			ve.newFiles = append(ve.newFiles, newFileEntry{level: 0, meta: meta})
			bytes = int64(meta.Size)
		}
	}
	return d.vs.logAndApply(ve, func(*version) {
		// Under d.mu: drop m from the memtable queue in the same step that
		// publishes its table, so readers never miss its data.
		d.mu.mem.queue = d.mu.mem.queue[1:]
		d.mu.flush.count++
		d.mu.flush.bytes += bytes
		d.updateReadStateLocked()
		// The queue's reference: the arena goes once no reader holds it.
		m.unref()
	})
}

// writeL0Table writes the memtable's entries to a new table file. It
// returns nil metadata when the memtable held nothing.
//
// A point entry covered by a tombstone of m is left out (and counted as
// reclaimed) when the tombstone's sequence number is at most dropSeq and no
// snapshot in snaps lies between the entry and the tombstone.
func (d *DB) writeL0Table(m *memTable, snaps []base.SeqNum, dropSeq base.SeqNum) (meta *FileMetadata, err error) {
	num := d.vs.allocFileNum()
	name := d.fs.PathJoin(d.dirname, base.MakeFilename(base.FileTypeTable, num))
	f, err := d.fs.Create(name)
	if err != nil {
		return nil, fmt.Errorf("lsm: creating table %s: %w", num, err)
	}
	wo := d.tableWriterOptions()
	// Cache the new table's blocks only while they are a small part of
	// the cache (a quarter at most: 64 MiB of memtable in the default 256
	// MiB), so that a flush does not replace a read working set whole,
	// and not at all in a cache of no capacity.
	fill := d.opts.CacheFlushedBlocks && d.blockCache != nil && 4*int64(m.Size()) <= d.blockCache.Capacity()
	if fill {
		wo.FillCache, wo.CacheFileNum = d.blockCache, num
	}
	w := sstable.NewWriter(f, wo)
	defer func() {
		if err != nil {
			_ = d.fs.Remove(name)
			if fill {
				d.blockCache.EvictFile(num) // no reader will ask for them
			}
		}
	}()
	it := m.NewIter(nil, nil)
	hasTombs := m.rangeDels.Load() > 0
	var dropped, droppedBytes int64
	var yield bgYield
	for ok := it.First(); ok; ok = it.Next() {
		yield.tick()
		if hasTombs && droppableAtFlush(m, it.Key(), snaps, dropSeq) {
			dropped++
			droppedBytes += int64(len(it.Key().UserKey) + len(it.Value()))
			continue
		}
		if err = w.Add(it.Key(), it.Value()); err != nil {
			it.Close()
			w.Close()
			return nil, fmt.Errorf("lsm: writing table %s: %w", num, err)
		}
	}
	if err = it.Close(); err != nil {
		w.Close()
		return nil, err
	}
	if rit := m.NewRangeDelIter(); rit != nil {
		for ok := rit.First(); ok; ok = rit.Next() {
			k := rit.Key()
			if err = w.AddRangeDel(k.UserKey, rit.Value(), k.SeqNum()); err != nil {
				rit.Close()
				w.Close()
				return nil, fmt.Errorf("lsm: writing table %s: %w", num, err)
			}
		}
		if err = rit.Close(); err != nil {
			w.Close()
			return nil, err
		}
	}
	// Close writes the remaining blocks and the footer, syncs and closes f.
	if err = w.Close(); err != nil {
		return nil, fmt.Errorf("lsm: writing table %s: %w", num, err)
	}
	// Make the new directory entry durable before the MANIFEST names it.
	if err = d.dirFile.Sync(); err != nil {
		return nil, fmt.Errorf("lsm: syncing directory: %w", err)
	}
	if dropped > 0 {
		d.mu.Lock()
		d.mu.compact.rangeDelDropped += dropped
		d.mu.compact.rangeDelDroppedBytes += droppedBytes
		d.mu.Unlock()
	}
	wm := w.Metadata()
	if wm.NumEntries == 0 && wm.NumRangeDels == 0 {
		_ = d.fs.Remove(name)
		return nil, nil
	}
	return &FileMetadata{
		FileNum:      num,
		Size:         wm.Size,
		Smallest:     wm.Smallest.Clone(),
		Largest:      wm.Largest.Clone(),
		SmallestSeq:  wm.SmallestSeq,
		LargestSeq:   wm.LargestSeq,
		numRangeDels: wm.NumRangeDels,
	}, nil
}

func (d *DB) tableWriterOptions() sstable.WriterOptions {
	return sstable.WriterOptions{
		BlockSize:            d.opts.BlockSize,
		BlockRestartInterval: d.opts.BlockRestartInterval,
		BloomBitsPerKey:      d.opts.BloomBitsPerKey,
		Compression:          d.opts.Compression,
		Comparer:             base.DefaultComparer,
	}
}

// droppableAtFlush reports whether entry k of m is covered by a tombstone
// of m that every reader sees (see writeL0Table).
func droppableAtFlush(m *memTable, k base.InternalKey, snaps []base.SeqNum, dropSeq base.SeqNum) bool {
	kind := k.Kind()
	if kind != base.InternalKeyKindSet && kind != base.InternalKeyKindDelete {
		return false
	}
	seq := k.SeqNum()
	var cover base.SeqNum // the oldest tombstone newer than the entry that all see
	m.tombs.covering(k.UserKey, func(t *tombstone) {
		if t.seq > seq && t.seq <= dropSeq && (cover == 0 || t.seq < cover) {
			cover = t.seq
		}
	})
	if cover == 0 {
		return false
	}
	for _, s := range snaps {
		if s >= seq && s < cover {
			return false
		}
	}
	return true
}
