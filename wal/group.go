package wal

import (
	"runtime"
	"sync"
	"time"
)

// A Waiter is an appender's handle on its record: Append registers it and
// Wait returns once the record is written (and synced when required). The
// zero value is ready to use; a Waiter may be reused once Wait has
// returned. A Waiter is used by one goroutine.
//
// Group commit with a leader: at any time at most one goroutine, the
// leader, writes a group, everything appended since the previous group,
// with one write call and at most one sync. An appender that finds no
// group in flight becomes the leader of the next one and writes it in its
// own Wait, so a lone writer never hands its record to another goroutine.
// The others wait; when the leader is done it releases its group and hands
// leadership to the first waiter of the group that formed meanwhile (or to
// the flusher goroutine, if no waiter is in it).
type Waiter struct {
	// wg is the waiter's semaphore: Append adds 1 for a waiter that is not
	// the leader, and a leader calls Done once, to release it (err set) or
	// to promote it (promoted set).
	wg sync.WaitGroup
	// w is the writer the record was appended to; nil when Append failed.
	w *Writer
	// err is the error that kept the record from the log.
	err error
	// leader is set by Append when no group was in flight: Wait writes
	// the group without waiting.
	leader bool
	// promoted is set by the previous leader: Wait writes the next group.
	promoted bool

	// Owner is the appender's own, for WriterOptions.OnWritten: the
	// writer never reads or clears it.
	Owner any
}

func (wt *Waiter) reset() {
	wt.w, wt.err, wt.leader, wt.promoted = nil, nil, false, false
}

// Wait returns once the record appended with this Waiter has been written
// to the file and, if it asked for it or the policy is SyncAlways, synced;
// or returns the error that prevented it. It may write the group holding
// the record itself. Wait must be called once after every Append given
// this Waiter, including a failed one (it then returns Append's error).
func (wt *Waiter) Wait() error {
	w := wt.w
	if w == nil {
		return wt.err
	}
	wt.w = nil
	if !wt.leader {
		wt.wg.Wait()
		if !wt.promoted {
			return wt.err
		}
	}
	w.writeGroup(wt, false)
	return wt.err
}

// yieldBackoff is the number of groups a leader writes without yielding
// after a yield that brought no other appender into the group.
const yieldBackoff = 64

// registerLocked adds wt to the waiters of the group being filled; wt
// becomes the leader if no goroutine is responsible for the next group.
// Requires w.mu.
func (w *Writer) registerLocked(wt *Waiter) {
	wt.w = w
	w.mu.waiters = append(w.mu.waiters, wt)
	if !w.mu.leading {
		w.mu.leading = true
		wt.leader = true
		return
	}
	wt.wg.Add(1)
}

// writeGroup takes the group being filled, writes it with one write call,
// syncs once if any record or Sync asked for it, the policy is SyncAlways
// or forceSync is set, releases the group's waiters and hands leadership
// on. The caller holds leadership; self is its own Waiter (nil for the
// flusher and Close), which is in the group and is not released.
func (w *Writer) writeGroup(self *Waiter, forceSync bool) {
	yielded := false
	if self != nil {
		if self.promoted || w.yieldSkip == 0 {
			// Yield once, so that the appenders already runnable join the
			// group before it is taken: on few cores (a server whose
			// connections each commit one command at a time) the leader
			// would otherwise write a group of one while they wait for
			// the processor.
			runtime.Gosched()
			yielded = true
		} else {
			w.yieldSkip--
		}
	}
	w.mu.Lock()
	buf := w.mu.fill
	w.mu.fill, w.spare = w.spare[:0], buf
	w.group, w.mu.waiters = w.mu.waiters, w.group[:0]
	doSync := w.mu.syncReq || forceSync ||
		(w.opts.SyncPolicy == SyncAlways && len(buf) > 0)
	w.mu.syncReq = false
	err := w.mu.err
	w.mu.room.Broadcast()
	w.mu.Unlock()

	if err == nil && len(buf) > 0 {
		n, werr := w.f.Write(buf)
		w.metrics.writes.Add(1)
		w.metrics.bytes.Add(int64(n))
		w.written += int64(n)
		if werr == nil && n < len(buf) {
			werr = errShortWrite
		}
		if werr != nil {
			err = errWrap("write", werr)
		}
	}
	if err == nil && doSync && w.synced < w.written {
		start := time.Now()
		serr := w.f.Sync()
		w.metrics.syncLatency.Add(int64(time.Since(start)))
		w.metrics.syncs.Add(1)
		if serr != nil {
			err = errWrap("sync", serr)
		} else {
			w.synced = w.written
		}
	}
	if err == nil {
		// After the sync, if any: under SyncAlways WaitWritten's check
		// means synced.
		w.writtenA.Store(w.written)
	}
	if err != nil {
		w.mu.Lock()
		first := w.mu.err == nil
		if first {
			w.mu.err = err
		}
		err = w.mu.err
		w.mu.room.Broadcast()
		w.mu.Unlock()
		if first && w.opts.OnError != nil {
			w.opts.OnError(err)
		}
	}
	if err == nil && w.opts.OnWritten != nil && len(w.group) > 0 {
		w.opts.OnWritten(w.group)
	}
	switch {
	case len(w.group) > 1 || (self != nil && self.promoted):
		// Other appenders are active: keep yielding.
		w.yieldSkip = 0
	case yielded:
		// Nobody came: a lone appender. Skip the yield for a while, so
		// that it costs a lone appender next to nothing, and try again.
		w.yieldSkip = yieldBackoff
	}
	for i, wt := range w.group {
		w.group[i] = nil
		if wt == self {
			wt.err = err
			continue
		}
		// The waiter's owner may reuse it as soon as Done returns: it is
		// not touched afterwards.
		wt.err = err
		wt.wg.Done()
	}
	w.group = w.group[:0]
	if w.zf != nil && err == nil {
		w.zeroAhead()
	}
	w.handOff()
}

// Writing zeros ahead of the log (WriterOptions.ZeroAhead).
const (
	// ZeroAheadLead is how far past the log's end the zeros reach.
	ZeroAheadLead = 1 << 20
	// zeroChunk is the most a group's leader writes: one write call of a
	// few microseconds, after its waiters are released, once every few
	// groups once the lead is reached.
	zeroChunk = 64 << 10
)

var zeros [zeroChunk]byte

// zeroAhead writes the next chunk of zeros past the log's end when the
// zeros reach less than ZeroAheadLead past it. The leader calls it after
// its group: the file's end, written, is its own, and no other write is in
// flight, so the zeros never land on a record. A failed write stops the
// zeroing for good, and changes nothing else: the zeros are an
// optimisation, and the reader takes zeros past the log's end for its end
// (a ZERO chunk type).
func (w *Writer) zeroAhead() {
	start := max(w.zeroEnd, w.written)
	if start-w.written >= ZeroAheadLead-zeroChunk {
		return
	}
	if _, err := w.zf.WriteAt(zeros[:], start); err != nil {
		w.zf = nil
		return
	}
	w.zeroEnd = start + zeroChunk
}

// handOff passes leadership on after a group: to the first waiter of the
// group formed meanwhile, to the flusher if that group has records but no
// waiter (or a sync is due), or to nobody if nothing is pending.
func (w *Writer) handOff() {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case len(w.mu.waiters) > 0:
		next := w.mu.waiters[0]
		next.promoted = true
		next.wg.Done()
	case len(w.mu.fill) > 0 || w.mu.syncReq:
		w.lead <- struct{}{}
	default:
		w.mu.leading = false
		w.mu.idle.Broadcast()
	}
}
