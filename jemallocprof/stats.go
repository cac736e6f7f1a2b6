package jemallocprof

import "sync/atomic"

// Stats are one purpose's figures at the moment Snapshot read them.
type Stats struct {
	Purpose Purpose
	// Live is the number of bytes allocated and not yet freed.
	Live int64
	// LiveAllocs is the number of allocations not yet freed.
	LiveAllocs int64
	// Allocs is the number of allocations since the process started.
	Allocs int64
	// Peak is the highest Live ever reached.
	Peak int64
	// Largest is the largest single allocation ever made.
	Largest int64
}

// counters are one purpose's atomics, padded to a cache line of their own
// so that purposes updated by different cores do not false-share.
type counters struct {
	live       atomic.Int64
	liveAllocs atomic.Int64
	allocs     atomic.Int64
	peak       atomic.Int64
	largest    atomic.Int64
	_          [24]byte
}

var table [NumPurposes]counters

// allocated counts the bytes live from Alloc, whatever their purpose now
// (Track's bytes are not in it): in the jemalloc build, what is off the
// Go heap.
var allocated struct {
	live atomic.Int64
	_    [56]byte
}

// counted and uncounted are Alloc's and Free's bookkeeping.
func counted(p Purpose, n int) {
	table[p].add(int64(n))
	allocated.live.Add(int64(n))
}

func uncounted(p Purpose, n int) {
	table[p].sub(int64(n))
	allocated.live.Add(-int64(n))
}

func (c *counters) add(n int64) {
	c.liveAllocs.Add(1)
	c.allocs.Add(1)
	live := c.live.Add(n)
	raise(&c.peak, live)
	raise(&c.largest, n)
}

func (c *counters) sub(n int64) {
	c.liveAllocs.Add(-1)
	c.live.Add(-n)
}

// raise sets v to n if n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}

// Track counts n bytes allocated elsewhere (by the Go runtime, by bufio)
// under p, as one allocation. Untrack with the same n undoes it.
func Track(p Purpose, n int) {
	if n > 0 {
		table[p].add(int64(n))
	}
}

// Untrack undoes one Track(p, n).
func Untrack(p Purpose, n int) {
	if n > 0 {
		table[p].sub(int64(n))
	}
}

// Move re-labels one live allocation of n bytes from one purpose to
// another without touching the memory (a memtable turning immutable).
// The destination's total allocation count is not increased.
func Move(from, to Purpose, n int) {
	if n <= 0 || from == to {
		return
	}
	table[from].sub(int64(n))
	c := &table[to]
	c.liveAllocs.Add(1)
	raise(&c.peak, c.live.Add(int64(n)))
	raise(&c.largest, int64(n))
}

// Snapshot returns every purpose's figures in Purposes order. Each field
// is read atomically; the set is not one instant but each figure is exact.
func Snapshot() []Stats {
	out := make([]Stats, NumPurposes)
	for i := range out {
		c := &table[i]
		out[i] = Stats{
			Purpose:    Purpose(i),
			Live:       c.live.Load(),
			LiveAllocs: c.liveAllocs.Load(),
			Allocs:     c.allocs.Load(),
			Peak:       c.peak.Load(),
			Largest:    c.largest.Load(),
		}
	}
	return out
}

// Live returns the bytes live under p.
func Live(p Purpose) int64 { return table[p].live.Load() }

// AllocLive returns the bytes live from Alloc under every purpose
// together: TotalLive without what Track declared. In the jemalloc build
// it is what jemallocprof holds outside the Go heap.
func AllocLive() int64 { return allocated.live.Load() }

// TotalLive returns the bytes live under every purpose together.
func TotalLive() int64 {
	var n int64
	for i := range table {
		n += table[i].live.Load()
	}
	return n
}
