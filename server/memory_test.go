package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/jemallocprof"
)

func TestMemoryUsageCommand(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	c.expectDo(t, "(nil)", "MEMORY", "USAGE", "missing")
	c.expectDo(t, "+OK", "SET", "s", "hello")
	want, _, err := ts.s.ks.DB(0).MemoryUsage([]byte("s"), 5)
	if err != nil || want <= int64(len("hello")) {
		t.Fatalf("codec usage %d %v", want, err)
	}
	c.expectDo(t, ":"+strconv.FormatInt(want, 10), "MEMORY", "USAGE", "s")
	c.expectDo(t, ":"+strconv.FormatInt(want, 10), "memory", "usage", "s", "SAMPLES", "0")

	args := []string{"HSET", "h"}
	for i := range 50 {
		args = append(args, "f"+strconv.Itoa(i), strings.Repeat("v", i))
	}
	c.mustDo(t, args...)
	all := c.mustDo(t, "MEMORY", "USAGE", "h", "SAMPLES", "0").Int
	few := c.mustDo(t, "MEMORY", "USAGE", "h").Int
	if all <= 50*10 || few <= 0 || few == all {
		t.Fatalf("hash usage: all=%d sampled=%d", all, few)
	}
	// The key lives in its database only.
	c.expectDo(t, "+OK", "SELECT", "1")
	c.expectDo(t, "(nil)", "MEMORY", "USAGE", "h")
	c.expectDo(t, "+OK", "SELECT", "0")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"MEMORY", "USAGE", "h", "SAMPLES", "x"}, "-ERR value is not an integer or out of range"},
		{[]string{"MEMORY", "USAGE", "h", "SAMPLES", "-1"}, "-ERR syntax error"},
		{[]string{"MEMORY", "USAGE", "h", "SAMPLES"}, "-ERR syntax error"},
		{[]string{"MEMORY", "USAGE", "h", "FOO", "1"}, "-ERR syntax error"},
		{[]string{"MEMORY", "USAGE"}, "-ERR wrong number of arguments for 'memory|usage' command"},
		{[]string{"MEMORY"}, "-ERR wrong number of arguments for 'memory' command"},
		{[]string{"MEMORY", "STATS", "x"}, "-ERR wrong number of arguments for 'memory|stats' command"},
		{[]string{"MEMORY", "DOCTOR", "x"}, "-ERR wrong number of arguments for 'memory|doctor' command"},
		{[]string{"MEMORY", "PURGE", "x"}, "-ERR wrong number of arguments for 'memory|purge' command"},
		{[]string{"MEMORY", "MALLOC-STATS", "x"}, "-ERR wrong number of arguments for 'memory|malloc-stats' command"},
		{[]string{"MEMORY", "NOPE"}, "-ERR unknown subcommand 'NOPE'. Try MEMORY HELP."},
	} {
		c.expectDo(t, tc.want, tc.args...)
	}
}

func TestMemoryStatsDoctorPurgeHelp(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	// An empty instance gets Redis's "empty" answer.
	if got := c.mustDo(t, "MEMORY", "DOCTOR").Str; got != doctorEmpty {
		t.Fatalf("doctor on an empty instance: %q", got)
	}
	c.mustDo(t, "SET", "k", "v")

	for _, proto := range []string{"2", "3"} {
		c.mustDo(t, "HELLO", proto)
		v := c.mustDo(t, "MEMORY", "STATS")
		stats := map[string]string{}
		for i := 0; i+1 < len(v.Elems); i += 2 { // a map in RESP3, a flat array in RESP2
			stats[v.Elems[i].Str] = v.Elems[i+1].String()
		}
		for _, name := range []string{"peak.allocated", "total.allocated", "startup.allocated", "clients.normal",
			"keys.count", "dataset.bytes", "fragmentation", "tracked.client_query", "tracked.memtable_active", "tracked.total"} {
			if _, ok := stats[name]; !ok {
				t.Fatalf("RESP%s MEMORY STATS lacks %s: %v", proto, name, stats)
			}
		}
		for _, p := range jemallocprof.Purposes() {
			if _, ok := stats["tracked."+p.String()]; !ok {
				t.Fatalf("RESP%s MEMORY STATS lacks tracked.%s: %v", proto, p, stats)
			}
		}
		if stats["keys.count"] != ":1" {
			t.Fatalf("keys.count = %s", stats["keys.count"])
		}
		if proto == "3" && !strings.HasPrefix(stats["fragmentation"], ",") {
			t.Fatalf("RESP3 fragmentation is not a double: %s", stats["fragmentation"])
		}
		if n, _ := strconv.ParseInt(strings.TrimPrefix(stats["tracked.client_query"], ":"), 10, 64); n < 16<<10 {
			t.Fatalf("tracked.client_query = %s", stats["tracked.client_query"])
		}
	}
	c.mustDo(t, "HELLO", "2")

	// A client holding a big half-sent command is diagnosed.
	big := dialRaw(t, ts.addr)
	req := appendCommand(nil, "SET", "big", strings.Repeat("x", 2<<20))
	if _, err := big.conn.Write(req[:len(req)/2]); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the big query buffer", func() bool { return clientBytes() >= 1<<20 })
	if got := c.mustDo(t, "MEMORY", "DOCTOR").Str; !strings.HasPrefix(got, doctorIntro) || !strings.Contains(got, "Big client buffers") {
		t.Fatalf("doctor with a big client buffer: %q", got)
	}
	big.conn.Close()

	c.expectDo(t, "+OK", "MEMORY", "PURGE")
	ms := c.mustDo(t, "MEMORY", "MALLOC-STATS").Str
	for _, want := range []string{"heap_alloc:", "heap profiling:"} {
		if !strings.Contains(ms, want) {
			t.Fatalf("MALLOC-STATS lacks %q:\n%s", want, ms)
		}
	}
	// Every purpose is listed: INFO memory's tracked_* fields and
	// MALLOC-STATS's table (MEMORY STATS above, /metrics in status_test).
	info := c.mustDo(t, "INFO", "memory").Str
	for _, p := range jemallocprof.Purposes() {
		if !strings.Contains(ms, " "+p.String()+" ") {
			t.Fatalf("MALLOC-STATS lacks the purpose %s:\n%s", p, ms)
		}
		for _, suffix := range []string{"", "_peak", "_allocs", "_live_allocs", "_largest"} {
			if !strings.Contains(info, "\r\ntracked_"+p.String()+suffix+":") {
				t.Fatalf("INFO memory lacks tracked_%s%s:\n%s", p, suffix, info)
			}
		}
	}
	help := c.mustDo(t, "MEMORY", "HELP")
	if len(help.Elems) != 14 || !strings.HasPrefix(help.Elems[0].Str, "MEMORY <subcommand>") {
		t.Fatalf("MEMORY HELP: %v", help)
	}
	// COMMAND INFO describes MEMORY USAGE's key.
	ci := c.mustDo(t, "COMMAND", "INFO", "memory|usage").Elems[0]
	if ci.Elems[1].Int != -3 || ci.Elems[3].Int != 2 || ci.Elems[4].Int != 2 || ci.Elems[5].Int != 1 {
		t.Fatalf("COMMAND INFO memory|usage: %v", ci)
	}
}

func clientBytes() int64 {
	q, r := clientBufs()
	return q + r
}

func TestDiagnose(t *testing.T) {
	healthy := doctorInput{
		clients: 2, memtableBudget: 64 << 20, memtableBytes: 10 << 20, memtables: 1,
		blockCacheBudget: 64 << 20, blockCacheBytes: 32 << 20,
		fig: memFigures{used: 200 << 20, peak: 210 << 20, rss: 240 << 20, heapObjects: 190 << 20, heapActive: 195 << 20, clients: 64 << 10},
	}
	if got := diagnose(healthy); got != doctorFine {
		t.Fatalf("healthy: %q", got)
	}
	empty := healthy
	empty.empty = true
	if got := diagnose(empty); got != doctorEmpty {
		t.Fatalf("empty: %q", got)
	}
	for _, tc := range []struct {
		name   string
		change func(in *doctorInput)
		want   string
	}{
		{"memtables", func(in *doctorInput) { in.memtableBytes, in.memtables = 200<<20, 4 }, "Memtables over budget"},
		{"cache", func(in *doctorInput) { in.blockCacheBytes = 80 << 20 }, "Block cache over budget"},
		{"pinned", func(in *doctorInput) { in.pinnedBytes = 40 << 20 }, "Pinned blocks"},
		{"clients", func(in *doctorInput) { in.fig.clients = 1 << 20 }, "Big client buffers"},
		{"peak", func(in *doctorInput) { in.fig.peak = 400 << 20 }, "Peak memory"},
		{"alloc frag", func(in *doctorInput) { in.fig.heapActive = 230 << 20 }, "High allocator fragmentation"},
		{"rss", func(in *doctorInput) { in.fig.rss = 400 << 20 }, "High total RSS"},
	} {
		in := healthy
		tc.change(&in)
		got := diagnose(in)
		if !strings.HasPrefix(got, doctorIntro) || !strings.HasSuffix(got, doctorOutro) || !strings.Contains(got, " * "+tc.want) {
			t.Fatalf("%s: %q", tc.name, got)
		}
		if strings.Count(got, " * ") != 1 {
			t.Fatalf("%s: more than one issue: %q", tc.name, got)
		}
	}
}

// TestUsedMemoryCountsOffHeapOnce: used_memory adds to the Go heap what
// Alloc holds off it (jemalloc build), never what Track declares: client
// buffers, table metadata and batches are Go heap objects already. It
// once added every tracked byte, counting those twice.
func TestUsedMemoryCountsOffHeapOnce(t *testing.T) {
	before := offHeapLive()
	jemallocprof.Track(jemallocprof.TableMeta, 1<<20)
	tracked := offHeapLive()
	jemallocprof.Untrack(jemallocprof.TableMeta, 1<<20)
	b := jemallocprof.Alloc(jemallocprof.Other, 1<<20)
	allocated := offHeapLive()
	jemallocprof.Free(jemallocprof.Other, b)
	if tracked != before {
		t.Fatalf("a Track of 1 MiB moved the off-heap figure from %d to %d", before, tracked)
	}
	want := before
	if jemallocprof.OffHeap {
		want += int64(cap(b))
	}
	if allocated != want {
		t.Fatalf("with a 1 MiB Alloc the off-heap figure is %d, want %d", allocated, want)
	}
}
