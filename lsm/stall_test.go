package lsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs"
)

// TestWriteStalls: with compactions held back, L0 grows past the slowdown
// threshold (writes are delayed) and up to the stop threshold (writes
// wait); flushes keep running meanwhile, and once compactions resume the
// writer finishes with every write intact.
func TestWriteStalls(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10, L0CompactionThreshold: 2,
		L0SlowdownWritesThreshold: 3, L0StopWritesThreshold: 5})
	defer d.Close()
	// Hold background compactions back, as a slow disk would.
	d.mu.Lock()
	d.mu.compact.manual = true
	d.mu.Unlock()
	resume := func() {
		d.mu.Lock()
		d.mu.compact.manual = false
		d.maybeScheduleCompactionLocked()
		d.mu.cond.Broadcast()
		d.mu.Unlock()
	}
	defer resume() // on failure too, or the stalled writer keeps Close waiting

	const n = 3000
	value := make([]byte, 1000)
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := d.Set(fmt.Appendf(nil, "k%05d", i), value, nil); err != nil {
				done <- err
				return
			}
			// Let flushes keep pace (L0 then grows one table at a time, with
			// commits in between), as slowdowns assume: a writer far ahead
			// of its flushes waits on the memtables instead and may see L0
			// jump past the slowdown band.
			d.mu.Lock()
			for len(d.mu.mem.queue) > 1 && !d.mu.closed && d.mu.bgErr == nil {
				d.mu.cond.Wait()
			}
			d.mu.Unlock()
		}
		done <- nil
	}()
	// Wait until the writer is stopped: L0 at the stop threshold.
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := d.Metrics()
		if m.Stall.Count > 0 && m.Levels[0].NumFiles >= 5 {
			if m.Stall.Slowdowns == 0 {
				t.Fatalf("writes stopped without slowing down first:\n%s", m)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("writer finished (%v) without stalling:\n%s", err, m)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stall:\n%s", m)
		}
		time.Sleep(time.Millisecond)
	}
	// Let compactions run again: the stall must end.
	resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 97 {
		if _, err := d.Get(fmt.Appendf(nil, "k%05d", i)); err != nil {
			t.Fatalf("k%05d: %v", i, err)
		}
	}
	if m := d.Metrics(); m.Stall.Duration <= 0 || m.Compact.Count == 0 {
		t.Fatalf("stall duration or compactions not counted:\n%s", m)
	}
}
