package server

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// step feeds a workersAuto n equal samples and returns the thread counts it
// chose, applying each as the tick loop does.
func step(a *workersAuto, n int, s workersSample) []int {
	var out []int
	for range n {
		a.cur = a.next(s)
		out = append(out, a.cur)
	}
	return out
}

func TestWorkersAutoDecisions(t *testing.T) {
	pipelined := workersSample{commands: 16000, flushes: 1000, busy: 1.2, idle: 0.1, window: true}
	oneByOne := workersSample{commands: 1200, flushes: 1200, busy: 0.8, idle: 0.3, window: true}
	saturated := workersSample{commands: 1200, flushes: 1200, busy: 0.97, idle: 0.8, window: true}
	quiet := workersSample{commands: 100, flushes: 100, busy: 0.01, idle: 1.9, window: true}

	a := newWorkersAuto(4)
	// after feeds n samples s and checks the thread count they end at.
	after := func(n int, s workersSample, want int, what string) {
		t.Helper()
		if got := step(a, n, s); got[n-1] != want {
			t.Fatalf("%s: %d threads, want %d", what, got[n-1], want)
		}
	}
	// each feeds n samples s and checks the thread count after each one.
	each := func(n int, s workersSample, want func(i int) int, what string) {
		t.Helper()
		for i, got := range step(a, n, s) {
			if got != want(i) {
				t.Fatalf("%s, tick %d: %d threads, want %d", what, i, got, want(i))
			}
		}
	}
	lastOne := func(n int) func(int) int {
		return func(i int) int {
			if i == n-1 {
				return 1
			}
			return 4
		}
	}

	// Unpipelined traffic: one thread after a whole window, not before.
	each(workersWindow, oneByOne, lastOne(workersWindow), "unpipelined traffic")
	// Too little traffic changes nothing; pipelining goes back at once.
	after(3*workersWindow, quiet, 1, "quiet server")
	after(1, pipelined, 4, "pipelined traffic")
	// Between 1.5 and 2 commands per flush: no move either way.
	mixed := workersSample{commands: 1700, flushes: 1000, busy: 0.8, idle: 0.3, window: true}
	after(3*workersWindow, mixed, 4, "1.7 commands per flush")
	// Flushes or compactions behind the writes: the default at once, and
	// kept while they are, however quiet or unpipelined the traffic.
	after(workersWindow, oneByOne, 1, "unpipelined after mixed")
	behind := oneByOne
	behind.behind = true
	quietBehind := quiet
	quietBehind.behind = true
	after(1, quietBehind, 4, "engine behind on a quiet server")
	after(3*workersWindow, behind, 4, "engine behind, unpipelined traffic")
	after(workersWindow, oneByOne, 1, "unpipelined again")
	// CPU figures not yet over a whole window on one thread: no judgement.
	partial := saturated
	partial.window = false
	after(1, partial, 1, "saturation over part of a window")

	// Saturated but with less than half a CPU idle on the machine (the
	// clients have the rest): one thread stays.
	crowded := saturated
	crowded.idle = 0.2
	after(3*workersWindow, crowded, 1, "saturated thread on a busy machine")
	// One thread saturated with CPUs idle: back to the default, and one
	// thread waits for the hold (1 s), which doubles the next time.
	after(1, saturated, 4, "saturated single thread")
	each(workersHold, oneByOne, lastOne(workersHold), "unpipelined through the hold")
	step(a, 1, saturated)
	if a.cur != 4 || a.hold != 2*workersHold {
		t.Fatalf("saturated again: %d threads, hold %d ticks, want 4 and %d", a.cur, a.hold, 2*workersHold)
	}
	for range 10 {
		step(a, a.hold+workersWindow, oneByOne)
		step(a, 1, saturated)
	}
	if a.hold != workersMaxHold {
		t.Fatalf("hold after repeated saturation: %d ticks, want the longest, %d", a.hold, workersMaxHold)
	}
	// Served on one thread for a while without saturating: the hold
	// falls back to 1 s.
	after(a.hold+workersWindow, oneByOne, 1, "after the longest hold")
	step(a, workersSettled, oneByOne)
	step(a, 1, saturated)
	if a.hold != workersHold {
		t.Fatalf("hold after settling on one thread: %d ticks, want %d", a.hold, workersHold)
	}
	// Slow commands (fewer than workersMinCommands a tick) saturating the
	// one thread: back to the default too.
	after(a.hold+workersWindow, oneByOne, 1, "before slow commands")
	slow := saturated
	slow.commands, slow.flushes = 40, 40
	after(1, slow, 4, "one thread saturated by slow commands")
}

// TestCPUWindow: the figures cover exactly workersWindow ticks back, only
// once the window holds them since its reset, and not when an idle time is
// unknown.
func TestCPUWindow(t *testing.T) {
	var w cpuWindow
	t0 := time.Unix(1000, 0)
	// Busy time growing faster each tick (i*i ms), so that a window one
	// tick off gives other figures; idle 3 ms per tick.
	reading := func(i int) cpuReading {
		return cpuReading{at: t0.Add(time.Duration(i) * workersTick),
			busy: time.Duration(i*i) * time.Millisecond, idle: time.Duration(3*i) * time.Millisecond}
	}
	span := float64(workersWindow) * workersTick.Seconds()
	check := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			busy, idle, ok := w.add(reading(i))
			if i-from < workersWindow {
				if ok {
					t.Fatalf("reading %d, %d since the reset: figures over part of a window", i, i-from+1)
				}
				continue
			}
			b, o := reading(i), reading(i-workersWindow)
			wantBusy, wantIdle := (b.busy-o.busy).Seconds()/span, (b.idle-o.idle).Seconds()/span
			if !ok || math.Abs(busy-wantBusy) > 1e-9 || math.Abs(idle-wantIdle) > 1e-9 {
				t.Fatalf("reading %d: busy %.4f idle %.4f ok %v, want %.4f and %.4f", i, busy, idle, ok, wantBusy, wantIdle)
			}
		}
	}
	check(0, 30)
	w.reset()
	check(40, 60)
	w.reset()
	for i := range workersWindow + 2 {
		r := reading(100 + i)
		r.idle = -1
		if _, _, ok := w.add(r); ok {
			t.Fatal("figures with the idle time unknown")
		}
	}
}

// TestFlushesCounted: the commands of one pipelined batch count one reply
// flush, each unpipelined command one: what the automatic workers choice
// measures pipelining by.
func TestFlushesCounted(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := ts.client(t, 2)
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	st := &ts.s.stats
	commands, flushes := st.commands.Load(), st.flushes.Load()
	for range 5 {
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if dc, df := st.commands.Load()-commands, st.flushes.Load()-flushes; dc != 5 || df != 5 {
		t.Fatalf("5 unpipelined commands: %d commands, %d flushes", dc, df)
	}
	// One write of 20 commands: the server parses them all from one read
	// (HasCommand) and flushes once.
	raw := dialRaw(t, ts.addr)
	commands, flushes = st.commands.Load(), st.flushes.Load()
	if err := raw.pipelineInts(20, func(int) []string { return []string{"EXISTS", "k"} }); err != nil {
		t.Fatal(err)
	}
	if dc, df := st.commands.Load()-commands, st.flushes.Load()-flushes; dc != 20 || df != 1 {
		t.Fatalf("20 pipelined commands in one write: %d commands, %d flushes, want 20 and 1", dc, df)
	}
	// Replies of 100 KB are flushed one by one (more than 64 KiB is
	// buffered), but only the flush that ends the batch counts.
	if err := c.Set(ctx, "big", strings.Repeat("x", 100<<10), 0).Err(); err != nil {
		t.Fatal(err)
	}
	var req []byte
	for range 5 {
		req = appendCommand(req, "GETRANGE", "big", "0", "-1") // not coalesced as GETs are
	}
	commands, flushes = st.commands.Load(), st.flushes.Load()
	if _, err := raw.conn.Write(req); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if v, err := resp.ReadReply(raw.br); err != nil || len(v.Str) != 100<<10 {
			t.Fatalf("GETRANGE big: %d bytes, %v", len(v.Str), err)
		}
	}
	if dc, df := st.commands.Load()-commands, st.flushes.Load()-flushes; dc != 5 || df != 1 {
		t.Fatalf("5 pipelined GETRANGEs of 100 KB: %d commands, %d flushes, want 5 and 1", dc, df)
	}
}
