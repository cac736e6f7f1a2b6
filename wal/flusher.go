package wal

import "time"

// flushLoop is the flusher goroutine. Appenders with a Waiter write their
// groups themselves (see Waiter); the flusher leads the groups nobody waits
// for (records appended without a Waiter, a timed sync left after the last
// group) and, each SyncInterval, writes the records AppendDeferred left
// pending, and under SyncEverySec syncs.
func (w *Writer) flushLoop() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.opts.SyncPolicy != SyncAlways {
		t := time.NewTicker(w.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-w.lead:
			w.writeGroup(nil, false)
		case <-tick:
			// Under SyncEverySec a timed sync; under SyncNo only a write
			// of what AppendDeferred left pending.
			doSync := w.opts.SyncPolicy == SyncEverySec
			w.mu.Lock()
			if w.mu.leading {
				// A group is in flight (or about to be): under
				// SyncEverySec the next one syncs, led by its first
				// waiter or, if none comes, by the flusher (handOff).
				w.mu.syncReq = w.mu.syncReq || doSync
				w.mu.Unlock()
				continue
			}
			if !doSync && len(w.mu.fill) == 0 {
				w.mu.Unlock()
				continue
			}
			w.mu.leading = true
			w.mu.Unlock()
			w.writeGroup(nil, doSync)
		case <-w.quit:
			return
		}
	}
}
