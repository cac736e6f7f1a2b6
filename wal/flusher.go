package wal

import (
	"runtime"
	"time"
)

// flushLoop is the flusher goroutine. Each pass takes everything appended
// since the previous pass (a group), writes it with one write call, syncs at
// most once, and then releases the group's waiters.
func (w *Writer) flushLoop() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.opts.SyncPolicy == SyncEverySec {
		t := time.NewTicker(w.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		timed := false
		select {
		case <-w.flushC:
			// Let the committers that are runnable append before the
			// group is taken: without it, on few cores, the flusher wakes
			// for each record and writes them one by one.
			runtime.Gosched()
		case <-tick:
			timed = true
		}
		if closing := w.flushGroup(timed); closing {
			return
		}
	}
}

// flushGroup runs one pass of the flusher. forceSync asks for a sync of
// anything written but unsynced. It reports whether the writer is closing,
// in which case this pass was the last one.
func (w *Writer) flushGroup(forceSync bool) (closing bool) {
	w.mu.Lock()
	closing = w.mu.closed
	w.flushBuf, w.mu.fill = w.mu.fill, w.flushBuf[:0]
	w.flushWaiters, w.mu.waiters = w.mu.waiters, w.flushWaiters[:0]
	doSync := w.mu.syncReq || closing || forceSync ||
		(w.opts.SyncPolicy == SyncAlways && len(w.flushBuf) > 0)
	w.mu.syncReq = false
	err := w.mu.err
	w.mu.room.Broadcast()
	w.mu.Unlock()

	if err == nil && len(w.flushBuf) > 0 {
		n, werr := w.f.Write(w.flushBuf)
		w.metrics.writes.Add(1)
		w.metrics.bytes.Add(int64(n))
		w.written += int64(n)
		if werr == nil && n < len(w.flushBuf) {
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
	for i := range w.flushWaiters {
		wt := &w.flushWaiters[i]
		if err != nil && wt.errp != nil {
			*wt.errp = err
		}
		wt.wg.Done()
		*wt = waiter{}
	}
	w.flushWaiters = w.flushWaiters[:0]
	return closing
}
