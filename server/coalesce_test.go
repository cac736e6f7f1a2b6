package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// observeCoalescing counts the coalesced runs and the commands in them
// while the test runs.
func observeCoalescing(t *testing.T) (runs, cmds *atomic.Int64) {
	runs, cmds = new(atomic.Int64), new(atomic.Int64)
	coalescedRun = func(k int) {
		runs.Add(1)
		cmds.Add(int64(k))
	}
	t.Cleanup(func() { coalescedRun = nil })
	return runs, cmds
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
	cat := func(parts ...[][]string) (out [][]string) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
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
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		cc := dialRaw(t, ts.addr) // here: it may fail the test
		wg.Go(func() {
			name := []string{"LPOP", "RPOP"}[i%2]
			for range pipelines {
				cc.out = cc.out[:0]
				for range depth {
					cc.out = appendCommand(cc.out, name, "q")
				}
				if _, err := cc.conn.Write(cc.out); err != nil {
					errs <- err
					return
				}
				for k := range depth {
					v, err := resp.ReadReply(cc.br)
					switch {
					case err != nil || v.Kind != resp.KindBulk:
						errs <- fmt.Errorf("client %d, reply %d: %v %v", i, k, v, err)
						return
					case v.Nil:
						nils[i]++
					case nils[i] > 0:
						errs <- fmt.Errorf("client %d got %s after a nil: the list came back", i, v.Str)
						return
					default:
						got[i] = append(got[i], v.Str)
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

// TestCoalescedPopsSlowLog: each command of a coalesced run has its own
// slow log entry, with its arguments.
func TestCoalescedPopsSlowLog(t *testing.T) {
	ts := startServer(t, t.TempDir())
	runs, _ := observeCoalescing(t)
	c := dialRaw(t, ts.addr)
	c.mustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.mustDo(t, "CONFIG", "SET", "slowlog-max-len", "1000")
	p := newPipeClient(t, ts.s)
	p.send(t, append([][]string{{"RPUSH", "qq", "a", "b", "c"}}, repeat(5, "RPOP", "qq")...)...)
	if runs.Load() == 0 {
		t.Fatal("no run was coalesced")
	}
	n := 0
	for _, e := range c.mustDo(t, "SLOWLOG", "GET", "100").Elems {
		if replyText(e.Elems[3].Elems) == "RPOP qq" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d slow log entries of RPOP qq, want 5", n)
	}
}
