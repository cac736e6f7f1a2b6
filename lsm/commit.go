package lsm

import (
	"fmt"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/memtable"
	"github.com/strata-db/strata/wal"
)

// Apply commits the batch atomically. It returns once the batch is visible
// to readers and as durable as the WAL mode (or o.Sync) requires.
//
// The commit pipeline:
//  1. Under commit.mu: reserve room in the mutable memtable (rotating it,
//     or waiting for a flush, when full), assign the batch's sequence
//     numbers, append it to the WAL (a copy into the WAL's buffer; no I/O)
//     and enqueue it for publication. Sequence order = WAL order = queue
//     order.
//  2. Without locks: wait until the WAL group holding the batch has been
//     written (and synced when required), writing it here if no group was
//     in flight (wal.Waiter: a lone writer does its own write call, no
//     handoff), then insert the records into the memtable, concurrently
//     with other batches. With WriteOptions.NoWait (and no sync asked for)
//     the record is appended deferred and this step does not wait: the
//     caller calls WaitLogged before it acknowledges the write.
//  3. Publish in order: the visible sequence number only moves past a batch
//     once every earlier batch has been applied too.
//
// The batch's buffer counts as jemallocprof.Batch while it is in the
// pipeline (Track/Untrack: two atomic additions, no allocation).
func (d *DB) Apply(b *Batch, o *WriteOptions) error {
	if b.Empty() {
		return nil
	}
	n := cap(b.data)
	jemallocprof.Track(jemallocprof.Batch, n)
	err := d.apply(b, o)
	jemallocprof.Untrack(jemallocprof.Batch, n)
	return err
}

func (d *DB) apply(b *Batch, o *WriteOptions) error {
	if o == nil {
		o = NoSync
	}
	b.published, b.applied, b.applyErr = false, false, nil

	d.commit.mu.Lock()
	if err := d.makeRoomForWrite(b); err != nil {
		d.commit.mu.Unlock()
		return err
	}
	b.setSeq(d.commit.nextSeq)
	d.commit.nextSeq += base.SeqNum(b.count)
	logged := d.commit.log != nil
	sync := o.Sync || d.opts.WALMode == WALSyncAlways
	deferred := logged && o.NoWait && !sync
	var err error
	switch {
	case deferred:
		err = d.commit.log.AppendDeferred(b.data)
	case logged:
		// An error is also returned by Wait below.
		b.wal.Owner = b
		_ = d.commit.log.Append(b.data, sync, &b.wal)
	}
	d.pub.mu.Lock()
	d.pub.queue = append(d.pub.queue, b)
	if cap(d.pub.queue) > cap(d.pub.buf) {
		d.pub.buf = d.pub.queue[:0:cap(d.pub.queue)]
	}
	d.pub.mu.Unlock()
	d.commit.mu.Unlock()

	// Without the commit mutex: another batch can join the WAL group while
	// this one is written, or this goroutine writes the group itself.
	if logged && !deferred {
		err = b.wal.Wait()
	}
	aerr := b.applyErr
	if err == nil && !b.applied {
		aerr = b.mem.apply(b)
	}
	if err != nil {
		err = fmt.Errorf("lsm: writing WAL: %w", err)
		d.setBackgroundError(err)
	} else if aerr != nil {
		// Reserve guarantees room; failing here breaks an invariant.
		err = fmt.Errorf("lsm: applying batch to memtable: %w", aerr)
		d.setBackgroundError(err)
	}
	m := b.mem
	m.Applied()
	// Still one of m's writers: m cannot be flushed and released yet.
	d.maybePrefault(m)
	m.writers.Done()
	d.publish(b)
	if n := m.rangeDels.Load(); n > 0 {
		if n >= tombCheckMin {
			d.maybeCheckTombstonePressure(m)
		}
		d.armTombIdleCheck()
	}
	return err
}

// MarkLog notes where the WAL stands, for a WaitLogged to come: that call
// then waits only if records were appended since. A caller marks before
// its NoWait commits and waits before it acknowledges them; lw is reused
// across marks by one goroutine.
func (d *DB) MarkLog(lw *LogWaiter) {
	lw.w = d.curLog.Load()
	if lw.w != nil {
		lw.pos = lw.w.Size()
	}
}

// WaitLogged returns once every batch committed between MarkLog(lw) and the
// call, those committed with WriteOptions.NoWait included, has been written
// to the WAL, or returns the error that kept one from it (the DB turns
// read-only). It may write the WAL's pending records itself. It costs a few
// atomic loads when nothing was appended since the mark or everything is
// written, and nothing with the WAL disabled or under WALSyncAlways (where
// every commit waited for its own sync).
//
// It may wait for, and fail with, records other callers appended since the
// mark: it waits for the whole log as it stands. A rotation installs a new
// WAL only once the old one's Close has written every record, so waiting
// on the current WAL covers the earlier ones.
func (d *DB) WaitLogged(lw *LogWaiter) error {
	w := d.curLog.Load()
	if w == nil || d.opts.WALMode == WALSyncAlways || (w == lw.w && w.Size() == lw.pos) {
		return nil
	}
	if err := w.WaitWritten(&lw.wt); err != nil {
		err = fmt.Errorf("lsm: writing WAL: %w", err)
		// At once: the writer reports its failure asynchronously (OnError),
		// and the caller's next command must find the DB read-only.
		d.setBackgroundError(err)
		return err
	}
	return nil
}

// A LogWaiter is a caller's mark and handle for MarkLog and WaitLogged;
// the zero value is ready (WaitLogged without a mark waits for the whole
// log). One goroutine uses it at a time.
type LogWaiter struct {
	wt  wal.Waiter
	w   *wal.Writer
	pos int64
}

// Unmark clears the mark: the next WaitLogged waits for the whole log (for
// records another goroutine appended before the caller's mark).
func (lw *LogWaiter) Unmark() { lw.w = nil }

// publish marks b applied and waits until it is visible.
func (d *DB) publish(b *Batch) {
	last := uint64(b.seq) + uint64(b.count) - 1
	d.pub.mu.Lock()
	b.published = true
	advanced := false
	for len(d.pub.queue) > 0 && d.pub.queue[0].published {
		h := d.pub.queue[0]
		d.pub.queue[0] = nil
		d.pub.queue = d.pub.queue[1:]
		d.visibleSeq.Store(uint64(h.seq) + uint64(h.count) - 1)
		advanced = true
	}
	if len(d.pub.queue) == 0 {
		// Reuse the backing array from its start: no allocation per commit
		// in steady state.
		d.pub.queue = d.pub.buf[:0]
	}
	if advanced {
		d.pub.cond.Broadcast()
	}
	for d.visibleSeq.Load() < last {
		d.pub.cond.Wait()
	}
	d.pub.mu.Unlock()
}

// makeRoomForWrite reserves room for b in the mutable memtable, rotating the
// memtable (and the WAL) when it is full and stalling while too many
// memtables wait for flush. Requires commit.mu.
func (d *DB) makeRoomForWrite(b *Batch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var stallStart time.Time
	slowed := false
	for {
		if d.mu.closed {
			return ErrClosed
		}
		if d.mu.bgErr != nil {
			return d.mu.bgErr
		}
		if stop, slow := d.writeStallLocked(); stop {
			// Too much work waits for compaction: stop writes until it
			// catches up (a compaction or flush finishing signals cond).
			if stallStart.IsZero() {
				stallStart = time.Now()
				d.mu.stalls++
			}
			d.maybeScheduleCompactionLocked()
			d.mu.cond.Wait()
			continue
		} else if slow > 0 && !slowed {
			// Slow writes before stopping them: delay this commit a little
			// without holding d.mu, so flushes and compactions proceed.
			slowed = true
			d.mu.slowdowns++
			d.mu.Unlock()
			time.Sleep(slow)
			d.mu.Lock()
			continue
		}
		m := d.mu.mem.mutable
		if m.Reserve(b.memSize) {
			m.writers.Add(1)
			b.mem = m
			if !m.spareChecked && m.Size() > m.Capacity()/2 {
				// Half full: make sure an arena will be ready for the
				// next rotation.
				m.spareChecked = true
				d.maybePrepareSpareLocked()
			}
			if !stallStart.IsZero() {
				d.mu.stallWaitNs += int64(time.Since(stallStart))
			}
			return nil
		}
		if len(d.mu.mem.queue) >= d.opts.MemTableStopWritesThreshold {
			// Too many memtables wait for flush: stop writes until one is
			// flushed (or the flush fails, which sets bgErr).
			if stallStart.IsZero() {
				stallStart = time.Now()
				d.mu.stalls++
			}
			d.maybeScheduleFlushLocked()
			d.mu.cond.Wait()
			continue
		}
		if err := d.rotateMemTableLocked(b.memSize); err != nil {
			d.setBackgroundErrorLocked(err)
			return d.mu.bgErr
		}
	}
}

// rotateMemTableLocked makes the mutable memtable immutable, starts a new
// WAL for the new one and schedules a flush. Requires commit.mu and d.mu.
func (d *DB) rotateMemTableLocked(minSize int) error {
	// A batch larger than a memtable gets a memtable of its own, with room
	// for the arena's fixed overhead and its filter.
	size := int(d.memTableSize.Load())
	if need := memtable.ArenaSizeFor(minSize + memtable.MinArenaSize); minSize > 0 && need > size {
		size = need
	}
	var logNum = d.commit.logNum
	if d.commit.log != nil {
		logNum = d.vs.allocFileNum()
		f, err := d.fs.Create(d.fs.PathJoin(d.dirname, base.MakeFilename(base.FileTypeLog, logNum)))
		if err != nil {
			return fmt.Errorf("lsm: creating WAL: %w", err)
		}
		if err := d.dirFile.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("lsm: syncing directory: %w", err)
		}
		old := d.commit.log
		// Closing writes and syncs every record appended so far, so the old
		// WAL is complete before the new one receives anything.
		if err := old.Close(); err != nil {
			f.Close()
			return fmt.Errorf("lsm: closing WAL: %w", err)
		}
		d.commit.log = wal.NewWriter(f, logNum, d.walWriterOptions())
		d.commit.logNum = logNum
		d.setWALForStats(d.commit.log, old.Metrics())
	}
	d.mu.mem.mutable.markImmutableLocked()
	m := d.newMemTable(size, logNum)
	d.mu.mem.queue = append(d.mu.mem.queue, m)
	d.mu.mem.mutable = m
	d.updateReadStateLocked()
	d.maybeScheduleFlushLocked()
	return nil
}

func (d *DB) walWriterOptions() wal.WriterOptions {
	o := wal.WriterOptions{SyncInterval: d.opts.WALSyncInterval, OnWritten: applyWALGroup}
	// A failed write or sync turns the DB read-only at once, even a timed
	// sync (everysec) that no commit waits for. Asynchronously: the
	// flusher calls this while a memtable rotation may hold d.mu and wait
	// for the flusher to finish (Close).
	o.OnError = func(err error) {
		go d.setBackgroundError(fmt.Errorf("lsm: writing WAL: %w", err))
	}
	switch d.opts.WALMode {
	case WALSyncAlways:
		o.SyncPolicy = wal.SyncAlways
		// Every commit waits for a sync: spare the syncs the metadata
		// commits of a growing file.
		o.ZeroAhead = true
	case WALSyncNo:
		o.SyncPolicy = wal.SyncNo
	default:
		o.SyncPolicy = wal.SyncEverySec
	}
	return o
}

// setWALForStats publishes the current WAL writer to Metrics and adds the
// closed writer's final counters.
func (d *DB) setWALForStats(cur *wal.Writer, closed wal.WriterMetrics) {
	d.walStats.mu.Lock()
	defer d.walStats.mu.Unlock()
	d.curLog.Store(cur)
	c := &d.walStats.closed
	c.Records += closed.Records
	c.Bytes += closed.Bytes
	c.Writes += closed.Writes
	c.Syncs += closed.Syncs
	c.SyncLatency += closed.SyncLatency
}

// Write stall settings for the bytes compactions still have to rewrite.
const (
	pendingCompactionBytesSlowdown = 64 << 30
	pendingCompactionBytesStop     = 256 << 30
	maxSlowdownDelay               = 10 * time.Millisecond
)

// BackgroundBehind reports whether the engine's background work is behind
// the writes: a memtable waits for its flush, L0 holds enough tables for a
// compaction, or levels are over their targets. A server deciding how many
// threads to run asks it (server/workers.go).
func (d *DB) BackgroundBehind() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.vs.current
	if len(d.mu.mem.queue) > 1 || len(v.levels[0]) >= d.opts.L0CompactionThreshold {
		return true
	}
	return d.pendingBytesLocked(v) > 0
}

// pendingBytesLocked is pendingCompactionBytes of v, computed once per
// version (a version never changes; the cached pointer keeps v from being
// reused by another version while cached). Requires d.mu.
func (d *DB) pendingBytesLocked(v *version) uint64 {
	if d.mu.pending.v != v {
		d.mu.pending.v, d.mu.pending.bytes = v, d.pendingCompactionBytes(v)
	}
	return d.mu.pending.bytes
}

// writeStallLocked says whether writes must stop, or how long the next
// commit is delayed, given L0's file count and the pending compaction
// bytes. Requires d.mu.
func (d *DB) writeStallLocked() (stop bool, slow time.Duration) {
	v := d.vs.current
	l0 := len(v.levels[0])
	if l0 >= d.opts.L0StopWritesThreshold {
		return true, 0
	}
	pending := d.pendingBytesLocked(v)
	if pending >= pendingCompactionBytesStop {
		return true, 0
	}
	if l0 >= d.opts.L0SlowdownWritesThreshold {
		// The closer to the stop threshold, the longer the delay.
		over := l0 - d.opts.L0SlowdownWritesThreshold + 1
		span := d.opts.L0StopWritesThreshold - d.opts.L0SlowdownWritesThreshold + 1
		slow = maxSlowdownDelay * time.Duration(over) / time.Duration(span)
	}
	if pending >= pendingCompactionBytesSlowdown {
		slow = max(slow, time.Millisecond)
	}
	return false, slow
}

// applyWALGroup is the WAL writers' OnWritten: the goroutine that wrote a
// group applies the group's batches to their memtables before it releases
// them, through one applier, and their owners find them applied (apply).
// Most commits carry a record or two (a SET, an INCR), and one insert into
// a full memtable is a chain of dependent cache misses; sharing AddBatch
// runs across the group overlaps the misses of up to applyRun records. The
// owners wait for the group's write anyway, so this adds no wake-up.
//
// An error fails every batch of the group (it breaks an invariant and
// turns the DB read-only, as in apply).
func applyWALGroup(group []*wal.Waiter) {
	var a applier
	var err error
	for _, wt := range group {
		if b, ok := wt.Owner.(*Batch); ok && err == nil {
			err = a.add(b)
		}
	}
	if err == nil {
		err = a.done()
	}
	for _, wt := range group {
		if b, ok := wt.Owner.(*Batch); ok {
			b.applied, b.applyErr = true, err
		}
	}
}
