package lsm

import (
	"runtime"
	"time"
)

// Background work yields the processor.
//
// A flush or a compaction is a loop of CPU work (merging, encoding,
// compressing blocks) whose writes land in the page cache and rarely
// block. On a server running its Go code on one thread (the workers
// setting), such a loop holds the only processor until the runtime
// preempts it, 10 ms at a time, and every connection's command waits
// behind it. A bgYield in the loop gives the processor up once
// bgYieldQuantum of work has passed, judged on the clock every
// bgYieldCheck entries (entries of large values may take longer between
// two readings), so that the commands runnable meanwhile run first and
// the loop resumes after them. The table's finish (filter, index, sync)
// does not yield. With more threads it costs a clock reading per
// bgYieldCheck entries and a yield per quantum.

const (
	// bgYieldQuantum is how long a background loop runs between yields.
	bgYieldQuantum = 500 * time.Microsecond
	// bgYieldCheck is how many entries pass between clock readings.
	bgYieldCheck = 128
)

// bgYield paces a background loop: the loop calls tick once per entry. The
// zero value starts its first quantum at its first clock reading.
type bgYield struct {
	n     int
	since time.Time
	// now and yield replace time.Now and runtime.Gosched in tests.
	now   func() time.Time
	yield func()
}

func (y *bgYield) tick() {
	y.n++
	if y.n < bgYieldCheck {
		return
	}
	y.n = 0
	clock, yield := time.Now, runtime.Gosched
	if y.now != nil {
		clock, yield = y.now, y.yield
	}
	now := clock()
	switch {
	case y.since.IsZero():
		y.since = now
	case now.Sub(y.since) >= bgYieldQuantum:
		yield()
		y.since = clock()
	}
}
