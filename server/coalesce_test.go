package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// observeCoalescing counts the coalesced runs and the commands in them
// while the test runs.
func observeCoalescing(t *testing.T) (runs, cmds *atomic.Int64) {
	l := observeRuns(t)
	return &l.runs, &l.cmds
}

// runLog counts coalesced runs, in all and by command name.
type runLog struct {
	runs, cmds atomic.Int64
	mu         sync.Mutex
	byName     map[string]int // runs by upper-case name
}

// observeRuns logs the coalesced runs while the test runs.
func observeRuns(t *testing.T) *runLog {
	l := &runLog{byName: map[string]int{}}
	coalescedRun = func(name []byte, k int) {
		l.runs.Add(1)
		l.cmds.Add(int64(k))
		l.mu.Lock()
		l.byName[strings.ToUpper(string(name))]++
		l.mu.Unlock()
	}
	t.Cleanup(func() { coalescedRun = nil })
	return l
}

// named returns the number of runs of the command name.
func (l *runLog) named(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byName[name]
}

// TestCoalescedPops: pipelines holding runs of identical LPOPs and RPOPs
// answer as the same commands sent one at a time to another server (list
// emptied mid-run, a missing key, another type, runs past a batch's
// bound, runs broken by a count or another spelling), and the runs were
// coalesced.
func TestCoalescedPops(t *testing.T) {
	runs, _ := observeCoalescing(t)
	push := func(key string, n int) []string {
		args := []string{"RPUSH", key}
		for i := range n {
			args = append(args, fmt.Sprint("e", i))
		}
		return args
	}
	pipelines := [][][]string{
		// More pops than elements: nil once the list is gone.
		cat([][]string{push("l", 5)}, repeat(8, "RPOP", "l"), [][]string{{"EXISTS", "l"}}),
		cat([][]string{push("l", 10)}, repeat(4, "LPOP", "l"), repeat(3, "RPOP", "l"),
			[][]string{{"LPOP", "l", "2"}}, repeat(3, "LPOP", "l"), [][]string{{"LRANGE", "l", "0", "-1"}}),
		// Another spelling, another key, a missing key, another type.
		cat([][]string{push("l", 6)}, repeat(2, "rpop", "l"), repeat(2, "RPOP", "l"), repeat(2, "RPOP", "m"),
			repeat(2, "rpop", "l"), [][]string{{"SET", "s", "x"}}, repeat(3, "RPOP", "s"), [][]string{{"LLEN", "l"}}),
		// Longer than a key batch: the run goes on in the next batch.
		cat([][]string{push("q", 200)}, repeat(150, "LPOP", "q"), [][]string{{"LLEN", "q"}}, repeat(60, "RPOP", "q"),
			[][]string{{"LLEN", "q"}}),
	}
	batched, p := comparePipelines(t, pipelines)
	if runs.Load() == 0 {
		t.Fatal("no run of pops was coalesced")
	}

	// Each coalesced command counts as a command.
	bc := dialRaw(t, batched.addr)
	before := infoField(t, bc, "stats", "total_commands_processed")
	n0 := runs.Load()
	p.send(t, cat([][]string{push("k", 40)}, repeat(40, "RPOP", "k"))...)
	if runs.Load() == n0 {
		t.Fatal("the pops of the last pipeline were not coalesced")
	}
	if after := infoField(t, bc, "stats", "total_commands_processed"); after != before+1+41 { // the INFO, RPUSH, 40 RPOPs
		t.Fatalf("total_commands_processed went %d -> %d over 41 commands and an INFO", before, after)
	}
}

// pipelineConcurrently runs clients connections to addr at once, each
// sending pipelines pipelines of depth commands (cmd gives client i's d-th
// command of pipeline p) and handing each reply to reply, on the client's
// own goroutine, which stops at the first error either returns.
func pipelineConcurrently(t *testing.T, addr string, clients, pipelines, depth int,
	cmd func(i, p, d int) []string, reply func(i, p, d int, v resp.Value) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		cc := dialRaw(t, addr) // here: it may fail the test
		wg.Go(func() {
			for p := range pipelines {
				cc.out = cc.out[:0]
				for d := range depth {
					cc.out = appendCommand(cc.out, cmd(i, p, d)...)
				}
				if _, err := cc.conn.Write(cc.out); err != nil {
					errs <- err
					return
				}
				for d := range depth {
					v, err := resp.ReadReply(cc.br)
					if err == nil {
						err = reply(i, p, d, v)
					}
					if err != nil {
						errs <- fmt.Errorf("client %d, pipeline %d, reply %d: %w", i, p, d, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestCoalescedPopsConcurrent: clients pipelining LPOPs and RPOPs of one
// list at once (their runs coalesced by their own batches and by the
// holders that combine them) get every element exactly once, a reply per
// command, and nil only once the list is empty.
func TestCoalescedPopsConcurrent(t *testing.T) {
	runs, _ := observeCoalescing(t)
	ts := startServer(t, t.TempDir())
	const (
		clients   = 8
		pipelines = 20
		depth     = 16
		elements  = clients * pipelines * depth * 3 / 4 // a quarter of the pops find it empty
	)
	c := dialRaw(t, ts.addr)
	for i := 0; i < elements; i += 500 {
		args := []string{"RPUSH", "q"}
		for j := i; j < min(i+500, elements); j++ {
			args = append(args, fmt.Sprint(j))
		}
		c.mustDo(t, args...)
	}
	got := make([][]string, clients) // each client's elements
	nils := make([]int, clients)
	pipelineConcurrently(t, ts.addr, clients, pipelines, depth,
		func(i, _, _ int) []string { return []string{[]string{"LPOP", "RPOP"}[i%2], "q"} },
		func(i, _, _ int, v resp.Value) error {
			switch {
			case v.Kind != resp.KindBulk:
				return fmt.Errorf("reply %v", v)
			case v.Nil:
				nils[i]++
			case nils[i] > 0:
				return fmt.Errorf("got %s after a nil: the list came back", v.Str)
			default:
				got[i] = append(got[i], v.Str)
			}
			return nil
		})
	seen := map[string]bool{}
	total := 0
	for i := range clients {
		total += len(got[i]) + nils[i]
		for _, e := range got[i] {
			if seen[e] {
				t.Fatalf("element %s popped twice", e)
			}
			seen[e] = true
		}
	}
	if total != clients*pipelines*depth || len(seen) != elements {
		t.Fatalf("%d replies, %d distinct elements; want %d replies, %d elements", total, len(seen), clients*pipelines*depth, elements)
	}
	if n := c.mustDo(t, "EXISTS", "q").Int; n != 0 {
		t.Fatalf("EXISTS q = %d after every element was popped", n)
	}
	if runs.Load() == 0 {
		t.Fatal("no run was coalesced")
	}
}

// TestCoalescedPopsReplyBound: a run of pops of large elements coalesces
// no more than fit the reply buffer's bound (codec.DB.PopFit): no write to
// the connection carries much more than 64 KiB plus one element, as
// without coalescing. (Found in review: 64 pops of 200 KiB went out as
// one 12.5 MiB write.)
func TestCoalescedPopsReplyBound(t *testing.T) {
	ts := startServer(t, t.TempDir())
	p := newPipeClient(t, ts.s)
	big := strings.Repeat("x", 200<<10)
	for range 64 {
		p.send(t, []string{"RPUSH", "q", big})
	}
	p.send(t, []string{"RPUSH", "q", "a", "b", "c", "d"}) // small ones first
	runs, cmds := observeCoalescing(t)
	var b []byte
	for range 68 {
		b = appendCommand(b, "RPOP", "q")
	}
	p.conn.in <- b
	want := 64*(len(big)+len("$204800\r\n\r\n")) + 4*len("$1\r\na\r\n")
	total, largest := 0, 0
	for total < want {
		n := <-p.conn.written
		total, largest = total+n, max(largest, n)
	}
	if largest > len(big)+replyBudget+1024 {
		t.Fatalf("a write of %d bytes: a coalesced run passed the reply buffer's bound", largest)
	}
	if runs.Load() == 0 {
		t.Fatal("the small elements' pops were not coalesced")
	}
	t.Logf("%d runs of %d pops in all; largest write %d bytes", runs.Load(), cmds.Load(), largest)
}

// TestCoalescedPopsServedCommitFailure: a holder's and a served client's
// coalesced runs in a failed combined commit each answer every command
// with the error, and the list is left as it was.
func TestCoalescedPopsServedCommitFailure(t *testing.T) {
	fault := errorfs.NewToggle(syscall.ENOSPC, pathFilter(".log", errorfs.OpWrite))
	ts, err := openFaultServer(t, t.TempDir(), fault)
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := observeCoalescing(t)
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	push := []string{"RPUSH", "q"}
	for i := range 20 {
		push = append(push, fmt.Sprint("e", i))
	}
	a.send(t, push)
	b.send(t, []string{"LLEN", "q"}, []string{"RPUSH", "q", "z"}) // b's last key is q
	opened := holdOpened(t, 1)
	fault.On()
	ra := sendAsync(t, a, repeat(3, "RPOP", "q"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, repeat(6, "RPOP", "q"))
	for name, vs := range map[string][]resp.Value{"holder": <-ra, "served": <-rb} {
		for i, v := range vs {
			if v.Kind != resp.KindError || !strings.Contains(v.Str, syscall.ENOSPC.Error()) {
				t.Errorf("%s reply %d: %s, want an error naming %q", name, i, replyText([]resp.Value{v}), syscall.ENOSPC)
			}
		}
	}
	fault.Off()
	if runs.Load() == 0 {
		t.Fatal("no run was coalesced")
	}
	if v := dialRaw(t, ts.addr).mustDo(t, "LLEN", "q"); v.Int != 21 {
		t.Errorf("LLEN q = %d after the failed commit, want 21", v.Int)
	}
}

// TestCoalescedSlowLog: each command of a coalesced run has its own slow
// log entry, with its own arguments.
func TestCoalescedSlowLog(t *testing.T) {
	ts := startServer(t, t.TempDir())
	l := observeRuns(t)
	c := dialRaw(t, ts.addr)
	c.mustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.mustDo(t, "CONFIG", "SET", "slowlog-max-len", "1000")
	p := newPipeClient(t, ts.s)
	p.send(t, append([][]string{{"RPUSH", "qq", "a", "b", "c"}}, repeat(5, "RPOP", "qq")...)...)
	var sadds [][]string
	for i := range 5 {
		sadds = append(sadds, []string{"SADD", "s", fmt.Sprint("m", i)})
	}
	p.send(t, append([][]string{{"SADD", "s", "x"}}, sadds...)...)
	if l.named("RPOP") == 0 || l.named("SADD") == 0 {
		t.Fatalf("runs coalesced: %v", l.byName)
	}
	entries := map[string]int{}
	for _, e := range c.mustDo(t, "SLOWLOG", "GET", "100").Elems {
		entries[replyText(e.Elems[3].Elems)]++
	}
	if n := entries["RPOP qq"]; n != 5 {
		t.Errorf("%d slow log entries of RPOP qq, want 5", n)
	}
	for i := range 5 {
		if n := entries[fmt.Sprint("SADD s m", i)]; n != 1 {
			t.Errorf("%d slow log entries of SADD s m%d, want 1 (%v)", n, i, entries)
		}
	}
}

// TestCoalescedAdds: pipelines holding runs of single-element SADDs, HSETs,
// ZADDs and pushes of one key answer as the same commands sent one at a
// time to another server, and leave the same contents: elements named
// twice in a run, elements the key holds already, a missing key, another
// type, runs past a batch's bound, and runs broken by another spelling,
// another key, more elements, a ZADD flag or a score that is not a float.
func TestCoalescedAdds(t *testing.T) {
	l := observeRuns(t)
	run := func(n int, cmd, key string, args func(i int) []string) (out [][]string) {
		for i := range n {
			out = append(out, append([]string{cmd, key}, args(i)...))
		}
		return out
	}
	mod := func(m int) func(i int) []string {
		return func(i int) []string { return []string{fmt.Sprint("e", i%m)} }
	}
	pipelines := [][][]string{
		// Sets: repeats within the run, members already there, another
		// spelling, another key, two members at once, another type.
		cat(one("SADD", "s", "e1", "e3"), run(10, "SADD", "s", mod(6)), run(3, "sadd", "s", mod(9)),
			run(2, "SADD", "s", mod(30)), run(3, "SADD", "t", mod(2)), one("SADD", "s", "x", "y"), run(4, "SADD", "s", mod(20)),
			one("SET", "str", "v"), run(3, "SADD", "str", mod(3)), one("SCARD", "s"), one("SMEMBERS", "s")),
		// Longer than a key batch and than smallMap's array.
		cat(run(150, "SADD", "big", mod(70)), one("SCARD", "big")),
		// Hashes: a field set twice keeps its last value.
		cat(one("HSET", "h", "e0", "old"), run(12, "HSET", "h", func(i int) []string { return []string{fmt.Sprint("e", i%5), fmt.Sprint("v", i)} }),
			one("HGETALL", "h"), run(2, "HSET", "str", mod(2)), one("HLEN", "h")),
		// Sorted sets: scores updated within the run, a flag, a bad score,
		// inf, a member already there.
		cat(one("ZADD", "z", "5", "e2"), run(8, "ZADD", "z", func(i int) []string { return []string{fmt.Sprint(i % 3), fmt.Sprint("e", i%4)} }),
			one("ZADD", "z", "nx", "e9"), one("ZADD", "z", "1", "e8"), one("ZADD", "z", "x1", "e7"), one("ZADD", "z", "2", "e6"),
			one("ZADD", "z", "inf", "e5"), one("ZADD", "z", "-inf", "e4"), one("ZADD", "z", "nan", "e4"),
			run(3, "ZADD", "str", func(i int) []string { return []string{"1", "m"} }),
			one("ZRANGE", "z", "0", "-1", "WITHSCORES"), one("ZCARD", "z")),
		// Lists: lengths after each element, both ends, the X forms on a
		// missing and an existing list, another type.
		cat(run(5, "LPUSH", "l", mod(100)), run(4, "RPUSH", "l", mod(100)), run(3, "LPUSHX", "nol", mod(100)),
			run(3, "RPUSHX", "l", mod(100)), run(3, "LPUSHX", "l", mod(100)), run(2, "RPUSH", "str", mod(2)),
			run(100, "RPUSH", "l2", mod(1000)), one("LRANGE", "l", "0", "-1"), one("LLEN", "l2")),
	}
	comparePipelines(t, pipelines)
	for _, name := range []string{"SADD", "HSET", "ZADD", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"} {
		if l.named(name) == 0 {
			t.Errorf("no run of %s was coalesced", name)
		}
	}
}

// TestCoalescedAddsConcurrent: clients pipelining SADDs, HSETs, ZADDs and
// LPUSHes to one key per type at once (coalesced by their own batches and
// by the holders that combine them) get a reply per command: each member
// or field is reported added exactly once, as many as the key holds, and
// the lengths LPUSH reports are each reported once, from 1 to the final
// length.
func TestCoalescedAddsConcurrent(t *testing.T) {
	l := observeRuns(t)
	ts := startServer(t, t.TempDir())
	const (
		clients   = 8
		pipelines = 20
		depth     = 16
		members   = 500
	)
	// Client i's kind is i%4; two clients per kind, on overlapping
	// members.
	kinds := []struct{ name, key, card string }{
		{"SADD", "s", "SCARD"}, {"HSET", "h", "HLEN"}, {"ZADD", "z", "ZCARD"}, {"LPUSH", "l", "LLEN"},
	}
	member := func(i, p, d int) string { return fmt.Sprint("m", (i*7919+p*depth+d)%members) }
	added := make([]map[string]int, clients) // per client: member -> times reported added
	lengths := make([][]int64, clients)
	for i := range added {
		added[i] = map[string]int{}
	}
	pipelineConcurrently(t, ts.addr, clients, pipelines, depth,
		func(i, p, d int) []string {
			k := kinds[i%4]
			switch k.name {
			case "SADD":
				return []string{k.name, k.key, member(i, p, d)}
			case "HSET":
				return []string{k.name, k.key, member(i, p, d), fmt.Sprint(i)}
			case "ZADD":
				return []string{k.name, k.key, fmt.Sprint(d), member(i, p, d)}
			}
			return []string{k.name, k.key, fmt.Sprint(i, ":", p, ":", d)}
		},
		func(i, p, d int, v resp.Value) error {
			switch {
			case v.Kind != resp.KindInteger:
				return fmt.Errorf("reply %v", v)
			case kinds[i%4].name == "LPUSH":
				lengths[i] = append(lengths[i], v.Int)
			case v.Int == 1:
				added[i][member(i, p, d)]++
			}
			return nil
		})
	c := dialRaw(t, ts.addr)
	for kind, k := range kinds[:3] {
		reported := map[string]int{}
		for i := kind; i < clients; i += 4 {
			for m, n := range added[i] {
				reported[m] += n
			}
		}
		for m, n := range reported {
			if n != 1 {
				t.Errorf("%s: member %s reported added %d times", k.name, m, n)
			}
		}
		if card := c.mustDo(t, k.card, k.key).Int; int64(len(reported)) != card {
			t.Errorf("%s: %d members reported added, %s %d", k.name, len(reported), k.card, card)
		}
	}
	seen := map[int64]int{}
	for i := 3; i < clients; i += 4 {
		for _, n := range lengths[i] {
			seen[n]++
		}
	}
	llen := c.mustDo(t, "LLEN", "l").Int
	if want := int64(clients / 4 * pipelines * depth); llen != want {
		t.Errorf("LLEN %d, want %d", llen, want)
	}
	for n := int64(1); n <= llen; n++ {
		if seen[n] != 1 {
			t.Errorf("length %d reported %d times", n, seen[n])
		}
	}
	for _, k := range kinds {
		if l.named(k.name) == 0 {
			t.Errorf("no run of %s was coalesced: %v", k.name, l.byName)
		}
	}
}

// TestCoalescedGets: pipelines holding runs of GETs of many keys (each its
// own key: command.coalesceKeys) answer as the same commands sent one at a
// time to another server: keys present, missing, of another type, empty,
// with a TTL, repeated; runs longer than maxKeyedRun; runs broken by a
// write to a key a later GET reads, by another spelling and by a GET of
// the wrong arity. Each GET counts as a command and as a keyspace hit or
// miss, and gets its own slow log entry.
func TestCoalescedGets(t *testing.T) {
	l := observeRuns(t)
	var pl [][]string
	for i := range 30 {
		pl = append(pl, []string{"SET", fmt.Sprint("k", i), fmt.Sprint("v", i)})
	}
	pl = append(pl, []string{"SET", "empty", ""}, []string{"SET", "ttl", "t", "EX", "1000"},
		[]string{"RPUSH", "list", "x"}, []string{"HSET", "hash", "f", "v"})
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprint("k", (i*7)%45))
	}
	pipelines := [][][]string{
		pl,
		commandsOf("GET", 1, "k1", "nokey", "list", "empty", "k1", "ttl", "hash", "k2", "k29"),
		commandsOf("GET", 1, many...),
		cat(commandsOf("GET", 1, "k3", "k4"), one("SET", "k4", "new"), one("DEL", "k5"), commandsOf("GET", 1, "k4", "k5", "k6")),
		cat(commandsOf("GET", 1, "k7", "k8"), one("get", "k9"), one("GET", "k10", "extra"), commandsOf("GET", 1, "k11", "list")),
	}
	comparePipelines(t, pipelines)
	if l.named("GET") == 0 {
		t.Fatalf("no run of GET was coalesced: %v", l.byName)
	}

	// Counters and the slow log.
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	c.mustDo(t, "SET", "a", "1")
	c.mustDo(t, "SET", "b", "2")
	c.mustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.mustDo(t, "CONFIG", "SET", "slowlog-max-len", "1000")
	stat := func(name string) int64 {
		t.Helper()
		return infoField(t, c, "stats", name)
	}
	hits, misses, cmds := stat("keyspace_hits"), stat("keyspace_misses"), stat("total_commands_processed")
	runs := l.named("GET")
	p := newPipeClient(t, ts.s)
	p.send(t, commandsOf("GET", 1, "a", "x", "b", "y", "a", "z")...)
	if l.named("GET") == runs {
		t.Fatal("the pipeline of GETs was not coalesced")
	}
	if h, m := stat("keyspace_hits")-hits, stat("keyspace_misses")-misses; h != 3 || m != 3 {
		t.Errorf("keyspace hits %d, misses %d; want 3 and 3", h, m)
	}
	// The INFOs in between count too.
	if n := stat("total_commands_processed") - cmds; n != 6+3 {
		t.Errorf("%d commands processed, want 9", n)
	}
	entries := map[string]int{}
	for _, e := range c.mustDo(t, "SLOWLOG", "GET", "100").Elems {
		entries[replyText(e.Elems[3].Elems)]++
	}
	for k, want := range map[string]int{"a": 2, "b": 1, "x": 1, "y": 1, "z": 1} {
		if n := entries["GET "+k]; n != want {
			t.Errorf("%d slow log entries of GET %s, want %d (%v)", n, k, want, entries)
		}
	}
}

// TestCoalescedSets: pipelines holding runs of plain SETs (a keyed run,
// one MSET) answer as the same commands sent one at a time to another
// server, and leave the same contents: a key set twice in a run keeps its
// last value, a key of another type is replaced, a TTL is cleared, and a
// SET with an option, another spelling or a read breaks the run. A SET of
// a run modifies a key another client watches, as any SET does.
func TestCoalescedSets(t *testing.T) {
	l := observeRuns(t)
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprint("m", i%25), fmt.Sprint("v", i))
	}
	pipelines := [][][]string{
		cat(one("HSET", "h", "f", "v"), one("RPUSH", "l", "x"), one("SET", "ttl", "t", "EX", "100")),
		cat(commandsOf("SET", 2, "a", "1", "b", "2", "a", "3", "h", "4", "ttl", "5", "l", "6"),
			one("GET", "a"), one("TYPE", "h"), one("TTL", "ttl"), one("GET", "l"), one("DBSIZE")),
		cat(commandsOf("SET", 2, many...), one("DBSIZE"), one("MGET", "m0", "m14", "m24")),
		cat(commandsOf("SET", 2, "c", "1", "d", "2"), one("SET", "c", "x", "NX"), commandsOf("SET", 2, "e", "3"), one("set", "f", "4"), commandsOf("SET", 2, "g", "5"),
			one("GET", "c"), commandsOf("SET", 2, "c", "9"), one("GET", "c"), one("SET", "d", "y", "GET"), one("DBSIZE")),
	}
	comparePipelines(t, pipelines)
	if l.named("SET") == 0 {
		t.Fatalf("no run of SET was coalesced: %v", l.byName)
	}

	w, p, got := watchedKeyedRun(t, l, "SET", commandsOf("SET", 2, "j", "1", "k", "1", "i", "1"))
	if got != "+OK +OK +OK" {
		t.Fatalf("SET j k i: %s", got)
	}
	// SETs of one key in a row run in a key batch (combine.go), not as a
	// keyed run.
	runs := l.named("SET")
	if got := replyText(p.send(t, commandsOf("SET", 2, "hot", "1", "hot", "2", "hot", "3")...)); got != "+OK +OK +OK" {
		t.Fatalf("SETs of one key: %s", got)
	}
	if l.named("SET") != runs {
		t.Error("SETs of one key in a row ran as a keyed run")
	}
	wantExecAborted(t, w, "a coalesced SET of the watched key")
}

// watchedKeyedRun starts a server where one connection, returned, WATCHes
// k (set to 0), then sends cmds, which must run as a keyed run of name
// (coalesce.go), from another connection, returned with the replies' text.
func watchedKeyedRun(t *testing.T, l *runLog, name string, cmds [][]string) (*rawConn, *pipeClient, string) {
	t.Helper()
	ts := startServer(t, t.TempDir())
	w := dialRaw(t, ts.addr)
	w.mustDo(t, "SET", "k", "0")
	w.mustDo(t, "WATCH", "k")
	runs := l.named(name)
	p := newPipeClient(t, ts.s)
	got := replyText(p.send(t, cmds...))
	if l.named(name) == runs {
		t.Fatalf("the pipeline of %ss was not coalesced", name)
	}
	return w, p, got
}

// wantExecAborted runs MULTI, GET k, EXEC on w, which WATCHes k, and wants
// the null reply of an aborted transaction: what happened modified k.
func wantExecAborted(t *testing.T, w *rawConn, what string) {
	t.Helper()
	w.mustDo(t, "MULTI")
	w.mustDo(t, "GET", "k")
	if v := w.mustDo(t, "EXEC"); !isNull(v) {
		t.Fatalf("EXEC after %s: %s, want a null reply", what, replyText([]resp.Value{v}))
	}
}

// TestCoalescedIncrs: pipelines of INCRs, DECRs, INCRBYs and DECRBYs of
// several keys (keyed runs: codec.DB.IncrByEach) answer as the same
// commands sent one at a time to another server: keys named twice, a key
// that holds no integer, a hash, an overflow, a TTL kept, an increment that
// is not an integer and DECRBY's most negative one (which end a run and
// run alone), and the runs were coalesced. A WATCHed key a run increments
// fails the EXEC.
func TestCoalescedIncrs(t *testing.T) {
	l := observeRuns(t)
	pipelines := [][][]string{
		cat(one("SET", "n", "41"), one("SET", "text", "12a"), one("HSET", "h", "f", "v"),
			one("SET", "big", "9223372036854775806"), one("SET", "ttl", "5", "EX", "100")),
		cat(commandsOf("INCR", 1, "a", "n", "a", "text", "h", "big", "big", "ttl", "new", "n"),
			one("GET", "a"), one("GET", "n"), one("GET", "big"), one("TTL", "ttl"), one("DBSIZE")),
		cat(commandsOf("DECR", 1, "a", "n", "a", "b", "h"), one("MGET", "a", "n", "b")),
		cat(commandsOf("INCRBY", 2, "n", "5", "a", "-3", "n", "abc", "c", "2", "d", "9223372036854775807", "d", "1", "e", "7"),
			one("MGET", "n", "a", "c", "d", "e")),
		cat(commandsOf("DECRBY", 2, "n", "2", "x", "-9223372036854775808", "y", "1", "n", "-4", "text", "1"),
			commandsOf("incr", 1, "p", "q"), commandsOf("INCR", 1, "p", "q"), one("MGET", "n", "x", "y", "p", "q"), one("DBSIZE")),
	}
	comparePipelines(t, pipelines)
	for _, name := range []string{"INCR", "DECR", "INCRBY", "DECRBY"} {
		if l.named(name) == 0 {
			t.Errorf("no run of %s was coalesced: %v", name, l.byName)
		}
	}

	w, _, got := watchedKeyedRun(t, l, "INCR", commandsOf("INCR", 1, "j", "k", "i"))
	if got != ":1 :1 :1" {
		t.Fatalf("INCR j k i: %s", got)
	}
	wantExecAborted(t, w, "a coalesced INCR of the watched key")
}

// TestCombinedSetsNotKeyed: a holder running a waiting client's plain
// SETs (combine.go) runs them one by one, never as a keyed run, which would
// take keys whose stripes the holder does not hold: the waiting client's
// SET of another key after its SETs of the hot key runs alone, after the
// holder's round, and the key count stays exact.
func TestCombinedSetsNotKeyed(t *testing.T) {
	l := observeRuns(t)
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"SET", "hot", "x"})
	b.send(t, []string{"SET", "hot", "x"})
	opened := holdOpened(t, 1)
	ra := sendAsync(t, a, commandsOf("SET", 2, "hot", "a1", "hot", "a2", "hot", "a3"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, commandsOf("SET", 2, "hot", "b1", "hot", "b2", "other", "x"))
	for _, r := range []<-chan []resp.Value{ra, rb} {
		if got := replyText(<-r); got != "+OK +OK +OK" {
			t.Fatalf("replies %s", got)
		}
	}
	if n := l.named("SET"); n != 0 {
		t.Errorf("%d keyed runs of SET while a holder combined SETs of one key", n)
	}
	c := dialRaw(t, ts.addr)
	if got := replyText([]resp.Value{c.mustDo(t, "DBSIZE"), c.mustDo(t, "GET", "other")}); got != ":2 x" {
		t.Errorf("DBSIZE, GET other: %s, want :2 x", got)
	}
}

// TestCoalescedGetsLarge: a run of GETs of values past codec's
// manyRecordMax (read in their turn, codec.ErrReadLater), more of them
// than replyBudget holds (sent in the middle of the run), mixed with small
// values, missing keys and another type, answers each GET with its value,
// in order, over a real connection.
func TestCoalescedGetsLarge(t *testing.T) {
	l := observeRuns(t)
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	want := map[string]string{"k1": "v1", "k2": ""}
	for i := range 6 {
		k := fmt.Sprint("big", i)
		want[k] = strings.Repeat(fmt.Sprint(i), 30000+i)
		c.mustDo(t, "SET", k, want[k])
	}
	c.mustDo(t, "SET", "k1", "v1")
	c.mustDo(t, "SET", "k2", "")
	c.mustDo(t, "RPUSH", "list", "x")
	keys := []string{"big0", "k1", "big1", "big2", "nokey", "big3", "k2", "big4", "big5", "big0", "list", "k1"}
	var b []byte
	for _, k := range keys {
		b = appendCommand(b, "GET", k)
	}
	runs := l.named("GET")
	c.conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(b); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		v, err := resp.ReadReply(c.br)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		w, ok := want[k]
		switch {
		case k == "list":
			if v.Kind != resp.KindError || !strings.HasPrefix(v.Str, "WRONGTYPE") {
				t.Errorf("GET list: %v", v)
			}
		case !ok:
			if !isNull(v) {
				t.Errorf("GET %s: %v, want a null reply", k, v)
			}
		case v.Str != w:
			t.Errorf("GET %s: %d bytes, want %d", k, len(v.Str), len(w))
		}
	}
	if l.named("GET") == runs {
		t.Error("the GETs were not coalesced")
	}
}

// commandsOf returns commands named name, each with per arguments taken in
// turn from args: commandsOf("SET", 2, "a", "1", "b", "2") is SET a 1, SET
// b 2.
func commandsOf(name string, per int, args ...string) (out [][]string) {
	for i := 0; i+per <= len(args); i += per {
		out = append(out, append([]string{name}, args[i:i+per]...))
	}
	return out
}

// cat joins pipelines.
func cat(parts ...[][]string) (out [][]string) {
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// one is a pipeline of one command.
func one(cmd ...string) [][]string { return [][]string{cmd} }
