package wal

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
)

// File is what a Writer needs of a log file. vfs.File satisfies it.
type File interface {
	io.Writer
	io.Closer
	Sync() error
}

// Writer appends records to one log file with group commit. It is safe for
// concurrent use. See the package documentation for the contract.
type Writer struct {
	f      File
	logNum uint32
	opts   WriterOptions

	// mu guards the group being filled by appenders, the leadership and
	// the sticky error.
	mu struct {
		sync.Mutex
		// room is signalled when a leader takes the fill buffer or the
		// writer fails or closes; appenders blocked by back-pressure wait
		// on it.
		room sync.Cond
		// idle is signalled when leading becomes false; Close waits on it.
		idle sync.Cond
		// fill holds the framed bytes appended since the last group was
		// taken, to be written at log offset size-len(fill).
		fill []byte
		// waiters are the Waiters of the records in fill (and of Sync
		// calls), in append order.
		waiters []*Waiter
		// syncReq is set when the next group must be synced: a record in
		// fill or a Sync call asked for it, or a timed sync is due.
		syncReq bool
		// leading is set while some goroutine is responsible for writing
		// the next group: a leader is writing one, or leadership has been
		// handed to a waiter or to the flusher, which has not yet taken
		// the group. While it is clear, fill and waiters are empty.
		leading bool
		// size is the log offset after the last appended byte.
		size int64
		// err is the first write or sync error: sticky.
		err    error
		closed bool
	}

	// Owned by the leader (one goroutine at a time; leadership passes under
	// mu): the buffer and waiters of the group being written, and how far
	// the file has been written and synced.
	spare   []byte
	group   []*Waiter
	written int64
	synced  int64
	// yieldSkip is the number of groups whose leader skips the yield
	// before taking the group (see writeGroup).
	yieldSkip int
	// zf is the file as an io.WriterAt when ZeroAhead applies, else nil;
	// zeroEnd is where the zeros written ahead of the log end.
	zf      io.WriterAt
	zeroEnd int64

	size atomic.Int64 // mirror of mu.size for Size
	// writtenA mirrors written, advanced only by groups written without
	// error: WaitWritten's lock-free check.
	writtenA atomic.Int64
	// lead hands leadership to the flusher goroutine (capacity 1: at most
	// one handoff is outstanding, as there is one leader at a time).
	lead    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	metrics writerCounters
}

// NewWriter returns a Writer appending to f, which must be empty, as log
// number logNum. It starts the flusher goroutine (records appended without
// a Waiter, timed syncs); Close stops it.
func NewWriter(f File, logNum base.FileNum, opts WriterOptions) *Writer {
	w := &Writer{
		f:      f,
		logNum: chunkLogNum(logNum),
		opts:   opts.EnsureDefaults(),
		lead:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	w.mu.room.L = &w.mu.Mutex
	w.mu.idle.L = &w.mu.Mutex
	if zf, ok := f.(io.WriterAt); ok && w.opts.ZeroAhead {
		w.zf = zf
	}
	go w.flushLoop()
	return w
}

// Append copies p into the log as one record. Records are logged in the
// order of the Append calls. Append does no I/O: it waits only for
// back-pressure, while more than a bounded amount (4 MiB) is pending.
//
// If wt is not nil, the caller must then call wt.Wait, which returns once
// the record has been written to the file and, if sync is true or the
// policy is SyncAlways, synced. The caller may do other work in between
// (the engine releases its commit lock), but nothing that waits for this
// log: wt.Wait may have to write the group holding the record (and later
// records) itself. If wt is nil the record is written by the next group or
// by the flusher goroutine, and nothing reports when.
//
// Append returns the writer's sticky error, or ErrClosed, without logging
// the record; wt.Wait then returns the same error at once.
func (w *Writer) Append(p []byte, sync bool, wt *Waiter) error {
	if wt != nil {
		wt.reset()
	}
	w.mu.Lock()
	if err := w.appendRecordLocked(p); err != nil {
		w.mu.Unlock()
		if wt != nil {
			wt.err = err
		}
		return err
	}
	if sync {
		w.mu.syncReq = true
	}
	if wt != nil {
		w.registerLocked(wt)
	} else {
		w.leadLocked()
	}
	w.mu.Unlock()
	return nil
}

// appendRecordLocked is what Append and AppendDeferred share: it waits for
// room, fails with the sticky error (or ErrClosed) without logging p, or
// frames p into the group being filled. Requires w.mu.
func (w *Writer) appendRecordLocked(p []byte) error {
	// Someone leads whenever this much is pending (an Append leads or has
	// a waiter; AppendDeferred hands off at deferHandoff), so the wait ends.
	for len(w.mu.fill) >= maxPending && w.mu.err == nil && !w.mu.closed {
		w.mu.room.Wait()
	}
	if err := w.errLocked(); err != nil {
		return err
	}
	w.appendLocked(p)
	w.metrics.records.Add(1)
	return nil
}

// leadLocked hands the next group to the flusher unless some goroutine is
// already responsible for it. Requires w.mu.
func (w *Writer) leadLocked() {
	if !w.mu.leading {
		w.mu.leading = true
		w.lead <- struct{}{}
	}
}

// deferHandoff is the amount of deferred records after which
// AppendDeferred hands them to the flusher rather than waiting for a
// group led by someone else: a bound on what one write call carries late.
const deferHandoff = minBufSize

// AppendDeferred copies p into the log as one record, as Append with no
// Waiter does, but does not start a write for it: the record goes out with
// the next group, which an Append with a Waiter, a WaitWritten, a Sync or
// Close leads, or which the flusher takes once deferred records reach 64
// KiB or at its next tick (SyncInterval, under every policy). A server that
// commits each command of a pipeline this way and calls WaitWritten once
// before it sends the replies writes the pipeline's records with one write
// call. Under SyncAlways it is Append with no Waiter.
//
// It returns the sticky error, or ErrClosed, without logging the record.
func (w *Writer) AppendDeferred(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.appendRecordLocked(p); err != nil {
		return err
	}
	if w.opts.SyncPolicy == SyncAlways || len(w.mu.fill) >= deferHandoff {
		w.leadLocked()
	}
	return nil
}

// WaitWritten returns once every record appended before the call has been
// written to the file (synced too, under SyncAlways), or returns the error
// that kept one from it. It may write the pending group itself, as the
// leader of a group; wt is the caller's Waiter for that, which must not be
// in use by an Append. It is cheap when nothing is pending: two atomic
// loads. A writer that was closed after writing everything reports
// success.
func (w *Writer) WaitWritten(wt *Waiter) error {
	if w.writtenA.Load() >= w.size.Load() {
		return nil
	}
	wt.reset()
	w.mu.Lock()
	if w.mu.err != nil {
		err := w.mu.err
		w.mu.Unlock()
		return err
	}
	if w.writtenA.Load() >= w.mu.size {
		w.mu.Unlock()
		return nil
	}
	if w.mu.closed && !w.mu.leading {
		// Close has written everything, or failed (err above).
		w.mu.Unlock()
		return nil
	}
	// What is not written is in the group being filled or in the one in
	// flight: joining the group being filled waits for both.
	w.registerLocked(wt)
	w.mu.Unlock()
	return wt.Wait()
}

// Write appends p as one record and waits for it (Append, then Wait).
func (w *Writer) Write(p []byte, sync bool) error {
	var wt Waiter
	if err := w.Append(p, sync, &wt); err != nil {
		return err
	}
	return wt.Wait()
}

// errLocked returns the error an Append or Sync must fail with, if any.
func (w *Writer) errLocked() error {
	if w.mu.err != nil {
		return w.mu.err
	}
	if w.mu.closed {
		return ErrClosed
	}
	return nil
}

// minBufSize is the smallest buffer the writer allocates.
const minBufSize = 64 << 10

// framedSizeBound bounds the bytes appendLocked adds for a record of n
// bytes: the record, a header per chunk and at most a header's worth of
// block-tail padding per chunk.
func framedSizeBound(n int) int {
	return n + 2*HeaderSize*(n/(BlockSize-HeaderSize)+2)
}

// reserveBuf returns buf with room for n more bytes. A buffer that must
// grow is replaced by a larger one from jemallocprof (counted as WAL, off
// the Go heap in the jemalloc build) and the old one is freed.
func reserveBuf(buf []byte, n int) []byte {
	if cap(buf)-len(buf) >= n {
		return buf
	}
	nb := jemallocprof.Alloc(jemallocprof.WAL, max(2*cap(buf), len(buf)+n, minBufSize))[:len(buf)]
	copy(nb, buf)
	jemallocprof.Free(jemallocprof.WAL, buf)
	return nb
}

// appendLocked frames p into chunks at the end of the fill buffer.
func (w *Writer) appendLocked(p []byte) {
	buf := reserveBuf(w.mu.fill, framedSizeBound(len(p)))
	capBefore := cap(buf)
	off := int(w.mu.size % BlockSize) // offset within the current block
	first := true
	for {
		if avail := BlockSize - off; avail < HeaderSize {
			// Too short for a header: pad the block tail with zeros.
			buf = append(buf, zeroPad[:avail]...)
			off = 0
		}
		n := min(len(p), BlockSize-off-HeaderSize)
		last := n == len(p)
		t := chunkMiddle
		switch {
		case first && last:
			t = chunkFull
		case first:
			t = chunkFirst
		case last:
			t = chunkLast
		}
		start := len(buf)
		buf = append(buf, zeroPad[:HeaderSize]...)
		buf = append(buf, p[:n]...)
		putHeader(buf[start:], t, w.logNum)
		off += HeaderSize + n
		p = p[n:]
		first = false
		if last {
			break
		}
	}
	if cap(buf) != capBefore {
		// append reallocated on the Go heap: framedSizeBound is wrong,
		// and Free would be handed a buffer Alloc never returned.
		panic("wal: record framing outgrew its reserved buffer")
	}
	w.mu.size += int64(len(buf) - len(w.mu.fill))
	w.size.Store(w.mu.size)
	w.mu.fill = buf
}

var zeroPad [HeaderSize]byte

// Sync forces everything appended so far to be written and synced, and
// waits for it. Under every policy.
func (w *Writer) Sync() error {
	var wt Waiter
	w.mu.Lock()
	if err := w.errLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	w.mu.syncReq = true
	w.registerLocked(&wt)
	w.mu.Unlock()
	return wt.Wait()
}

// Close writes and syncs everything pending, whatever the policy, stops the
// flusher and closes the file. It returns the sticky error if the writer
// had failed, or the error of the final write, sync or close. Close waits
// for the group in flight, so every Waiter of an earlier Append must be
// able to reach Wait without waiting for Close.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.mu.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.mu.closed = true
	w.mu.room.Broadcast()
	for w.mu.leading {
		w.mu.idle.Wait()
	}
	// Nothing is pending (leading is clear) and Append refuses new
	// records: Close leads the last pass, which only syncs.
	w.mu.leading = true
	w.mu.Unlock()
	close(w.quit)
	<-w.done
	w.writeGroup(nil, true)

	// The flusher is gone and no leader is left: both buffers can go.
	w.mu.Lock()
	err := w.mu.err
	jemallocprof.Free(jemallocprof.WAL, w.mu.fill)
	jemallocprof.Free(jemallocprof.WAL, w.spare)
	w.mu.fill, w.spare = nil, nil
	w.mu.Unlock()
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = errWrap("close", cerr)
	}
	return err
}

// Size returns the number of log bytes, framing included, appended so far.
func (w *Writer) Size() int64 { return w.size.Load() }

// Metrics returns a snapshot of the writer's counters.
func (w *Writer) Metrics() WriterMetrics { return w.metrics.snapshot() }
