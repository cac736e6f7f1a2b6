package server

import (
	"context"
	"strings"
	"testing"

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

	a := &workersAuto{cur: 4, max: 4}
	// Unpipelined traffic: one thread after a whole window, not before.
	got := step(a, workersWindow, oneByOne)
	for i, n := range got[:workersWindow-1] {
		if n != 4 {
			t.Fatalf("tick %d of unpipelined traffic: %d threads, want 4 until a window has passed", i, n)
		}
	}
	if got[workersWindow-1] != 1 {
		t.Fatalf("after a window of unpipelined traffic: %d threads, want 1", got[workersWindow-1])
	}
	// Too little traffic changes nothing; pipelining goes back at once.
	if got := step(a, 3*workersWindow, quiet); got[len(got)-1] != 1 {
		t.Fatalf("quiet server: %d threads, want 1 kept", got[len(got)-1])
	}
	if got := step(a, 1, pipelined); got[0] != 4 {
		t.Fatalf("pipelined traffic: %d threads, want 4 at once", got[0])
	}
	// Between 1.5 and 2 commands per flush: no move either way.
	mixed := workersSample{commands: 1700, flushes: 1000, busy: 0.8, idle: 0.3, window: true}
	if got := step(a, 3*workersWindow, mixed); got[len(got)-1] != 4 {
		t.Fatalf("1.7 commands per flush: %d threads, want 4 kept", got[len(got)-1])
	}
	// Flushes or compactions behind the writes: the default at once, and
	// kept while they are, however quiet or unpipelined the traffic.
	step(a, workersWindow, oneByOne)
	if a.cur != 1 {
		t.Fatalf("unpipelined after mixed: %d threads, want 1", a.cur)
	}
	behind := oneByOne
	behind.behind = true
	quietBehind := quiet
	quietBehind.behind = true
	if got := step(a, 1, quietBehind); got[0] != 4 {
		t.Fatalf("engine behind on a quiet server: %d threads, want 4 at once", got[0])
	}
	if got := step(a, 3*workersWindow, behind); got[len(got)-1] != 4 {
		t.Fatalf("engine behind, unpipelined traffic: %d threads, want 4 kept", got[len(got)-1])
	}
	step(a, workersWindow, oneByOne)
	if a.cur != 1 {
		t.Fatalf("unpipelined again: %d threads", a.cur)
	}
	// CPU figures not yet over a whole window on one thread: no judgement.
	partial := saturated
	partial.window = false
	if got := step(a, 1, partial); got[0] != 1 {
		t.Fatal("saturation judged over part of a window")
	}

	// Saturated but with less than half a CPU idle on the machine (the
	// clients have the rest): one thread stays.
	crowded := saturated
	crowded.idle = 0.2
	if got := step(a, 3*workersWindow, crowded); got[len(got)-1] != 1 {
		t.Fatalf("saturated thread on a busy machine: %d threads, want 1", got[len(got)-1])
	}
	// One thread saturated with CPUs idle: back to the default, and one
	// thread waits for the hold (1 s), which doubles the next time.
	if got := step(a, 1, saturated); got[0] != 4 {
		t.Fatalf("saturated single thread: %d threads, want 4", got[0])
	}
	held := step(a, workersHold, oneByOne)
	for i, n := range held[:workersHold-1] {
		if n != 4 {
			t.Fatalf("tick %d of the hold: %d threads, want 4", i, n)
		}
	}
	if held[workersHold-1] != 1 {
		t.Fatalf("at the end of the hold (unpipelined for longer than a window): %d threads, want 1", held[workersHold-1])
	}
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
	step(a, a.hold+workersWindow, oneByOne)
	if a.cur != 1 {
		t.Fatalf("after the longest hold: %d threads, want 1", a.cur)
	}
	step(a, workersSettled, oneByOne)
	step(a, 1, saturated)
	if a.hold != workersHold {
		t.Fatalf("hold after settling on one thread: %d ticks, want %d", a.hold, workersHold)
	}
	// Slow commands (fewer than workersMinCommands a tick) saturating the
	// one thread: back to the default too.
	step(a, a.hold+workersWindow, oneByOne)
	if a.cur != 1 {
		t.Fatalf("before slow commands: %d threads, want 1", a.cur)
	}
	slow := saturated
	slow.commands, slow.flushes = 40, 40
	if got := step(a, 1, slow); got[0] != 4 {
		t.Fatalf("one thread saturated by slow commands: %d threads, want 4", got[0])
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
