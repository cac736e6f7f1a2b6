package server

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// holdOpened makes the first key batch that opens a combining slot wait,
// holding its stripe, until want clients have queued in a slot, and then
// run then (if set). It returns a channel closed once that batch has
// opened its slot.
func holdOpened(t *testing.T, want int, then ...func()) <-chan struct{} {
	t.Helper()
	opened, queued := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	n := 0
	combineOpened = func(*client) {
		once.Do(func() {
			close(opened)
			select {
			case <-queued:
			case <-time.After(10 * time.Second):
				t.Errorf("%d clients did not queue behind the key batch", want)
			}
			for _, f := range then {
				f()
			}
		})
	}
	combineQueued = func(*client) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == want {
			close(queued)
		}
	}
	t.Cleanup(func() { combineOpened, combineQueued = nil, nil })
	return opened
}

// waitOpened waits for holdOpened's channel, failing the test if no key
// batch opens a slot.
func waitOpened(t *testing.T, opened <-chan struct{}) {
	t.Helper()
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("no key batch opened a combining slot")
	}
}

// elems returns n commands cmd key prefix1 .. prefixn.
func elems(n int, cmd, key, prefix string) [][]string {
	out := make([][]string, n)
	for i := range out {
		out[i] = []string{cmd, key, fmt.Sprintf("%s%d", prefix, i+1)}
	}
	return out
}

// sendAsync sends cmds as one pipeline from another goroutine; the channel
// yields the replies.
func sendAsync(t *testing.T, p *pipeClient, cmds [][]string) <-chan []resp.Value {
	ch := make(chan []resp.Value, 1)
	go func() { ch <- p.send(t, cmds...) }()
	return ch
}

// checkCombined checks the replies of a holder and of the client it
// served (rb, nil if that client's pipeline was never sent: the test sends
// it from a hook the holder ran before committing with its slot open).
func checkCombined(t *testing.T, holder []resp.Value, rb <-chan []resp.Value, wantHolder, wantServed string) {
	t.Helper()
	if got := replyText(holder); got != wantHolder {
		t.Errorf("holder's replies %s, want %s", got, wantHolder)
	}
	if rb == nil {
		t.Fatal("the holder committed with its slot closed")
	}
	if got := replyText(<-rb); got != wantServed {
		t.Errorf("served client's replies %s, want %s", got, wantServed)
	}
}

// TestCombine: a client whose key batch finds the key's stripe held by
// another key batch is served by it. The holder runs the waiting client's
// pipeline after its own, in order, and commits both at once; each client
// gets its own replies.
func TestCombine(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	// Each client's last write was to q: their next pipelines start key
	// batches on it.
	a.send(t, []string{"RPUSH", "q", "a0"})
	b.send(t, []string{"RPUSH", "q", "b0"})

	opened := holdOpened(t, 1)
	before := walRecords(ts.s)
	ra := sendAsync(t, a, elems(4, "RPUSH", "q", "a"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, elems(5, "RPUSH", "q", "b"))
	checkCombined(t, <-ra, rb, ":3 :4 :5 :6", ":7 :8 :9 :10 :11")
	if n := walRecords(ts.s) - before; n != 1 {
		t.Errorf("two pipelines combined: %d commits, want 1", n)
	}
	got := replyText(dialRaw(t, ts.addr).mustDo(t, "LRANGE", "q", "0", "-1").Elems)
	if want := "a0 b0 a1 a2 a3 a4 b1 b2 b3 b4 b5"; got != want {
		t.Errorf("LRANGE q = %s, want %s", got, want)
	}
}

// TestCombineHintsElements: the holder hints the element of each command
// it is about to run for a served client, as the client's own loop hints
// its next command's (prefetchNext): every HSETNX after the first of each
// pipeline is hinted once, with its key. (HSETNX: runs of single-member
// SADDs coalesce, coalesce.go.)
func TestCombineHintsElements(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"HSETNX", "s", "a0", "v"})
	b.send(t, []string{"HSETNX", "s", "b0", "v"})
	hsetnx := func(prefix string, n int) [][]string {
		cmds := elems(n, "HSETNX", "s", prefix)
		for i := range cmds {
			cmds[i] = append(cmds[i], "v")
		}
		return cmds
	}
	var mu sync.Mutex
	var hints []string
	prefetchHinted = func(key, elem []byte) {
		mu.Lock()
		defer mu.Unlock()
		hints = append(hints, string(key)+":"+string(elem))
	}
	defer func() { prefetchHinted = nil }()

	opened := holdOpened(t, 1)
	ra := sendAsync(t, a, hsetnx("a", 4))
	waitOpened(t, opened)
	rb := sendAsync(t, b, hsetnx("b", 5))
	for _, r := range []<-chan []resp.Value{ra, rb} {
		for _, v := range <-r {
			if v.Int != 1 {
				t.Fatalf("an HSETNX of a new field answered %v", v)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(hints)
	if got, want := strings.Join(hints, " "), "s:a2 s:a3 s:a4 s:b2 s:b3 s:b4 s:b5"; got != want {
		t.Fatalf("hints %s, want %s", got, want)
	}
}

// TestCombineStopsAtOtherCommands: the holder runs a waiting client's
// commands only while they are writes its own key batch would have taken;
// the client runs the rest itself, in order, once woken.
func TestCombineStopsAtOtherCommands(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"INCR", "n"})
	b.send(t, []string{"INCR", "n"})

	opened := holdOpened(t, 1)
	ra := sendAsync(t, a, repeat(3, "INCR", "n"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, [][]string{{"INCR", "n"}, {"INCRBY", "n", "10"}, {"GET", "n"}, {"INCR", "n"}, {"INCR", "other"}})
	checkCombined(t, <-ra, rb, ":3 :4 :5", ":6 :16 16 :17 :1")
}

// TestCombineRounds: when more is queued than one round takes, the holder
// commits and goes on in another round on the stripe it still holds.
// Every reply is right and no write is lost (queueINCRs).
func TestCombineRounds(t *testing.T) {
	ts := startServer(t, t.TempDir())
	const clients = 6 // with the holder, more than maxCombined commands
	_, commits := queueINCRs(t, ts, clients, maxKeyBatch)
	// Rounds also end after combineRoundTime, so their number depends on
	// the machine's speed; but each serves a client at least, the first
	// the holder and one client.
	if commits < 2 || commits > clients {
		t.Errorf("%d commits for %d key batches queued at once: want 2 to %d", commits, clients+1, clients)
	}
}

// TestCombineCommitFailure: when a combined batch's commit fails, every
// command in it, the holder's and the served clients', is answered with
// the error, and none of them took effect.
func TestCombineCommitFailure(t *testing.T) {
	fault := errorfs.NewToggle(syscall.ENOSPC, pathFilter(".log", errorfs.OpWrite))
	ts, err := openFaultServer(t, t.TempDir(), fault)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"SADD", "s", "x"})
	b.send(t, []string{"SADD", "s", "y"})
	opened := holdOpened(t, 1)
	fault.On()
	ra := sendAsync(t, a, elems(3, "SADD", "s", "a"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, elems(4, "SADD", "s", "b"))
	for name, vs := range map[string][]resp.Value{"holder": <-ra, "served client": <-rb} {
		for i, v := range vs {
			if v.Kind != resp.KindError || !strings.Contains(v.Str, syscall.ENOSPC.Error()) {
				t.Errorf("%s: reply %d: %s, want an error naming %q", name, i, replyText([]resp.Value{v}), syscall.ENOSPC)
			}
		}
	}
	fault.Off()
	if v := dialRaw(t, ts.addr).mustDo(t, "SCARD", "s"); v.Int != 2 {
		t.Errorf("SCARD s = %d after the failed batch, want 2", v.Int)
	}
}

// TestCombineServesBlockedClients: a combined batch ends at a command that
// readies a blocked client's key, which is served at once with the element
// that command pushed; the clients left waiting run their writes after it.
func TestCombineServesBlockedClients(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"RPUSH", "q", "x"}, []string{"LPOP", "q"})
	b.send(t, []string{"RPUSH", "q", "y"}, []string{"LPOP", "q"})
	ctl, blocked := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
	blocked.conn.Write(appendCommand(nil, "BLPOP", "q", "0"))
	waitUntil(t, 10*time.Second, "the client to block", func() bool { return blockedClients(t, ctl) == 1 })

	opened := holdOpened(t, 1)
	ra := sendAsync(t, a, elems(3, "RPUSH", "q", "a"))
	waitOpened(t, opened)
	rb := sendAsync(t, b, elems(3, "RPUSH", "q", "b"))
	v, err := resp.ReadReply(blocked.br)
	if err != nil {
		t.Fatal(err)
	}
	if got := replyText(v.Elems); got != "q a1" {
		t.Errorf("BLPOP got %s, want q a1", got)
	}
	<-ra
	<-rb
	got := replyText(ctl.mustDo(t, "LRANGE", "q", "0", "-1").Elems)
	rest := strings.Fields(got)
	slices.Sort(rest)
	if strings.Join(rest, " ") != "a2 a3 b1 b2 b3" {
		t.Errorf("LRANGE q = %s, want a2 a3 b1 b2 b3 in some order", got)
	}
}

// TestCombineConcurrent: clients pipeline INCRs, HINCRBYs and RPUSHes to
// the same keys over real connections, so that key batches meet, combine,
// go on in rounds and fall back in every order. Every INCR reply is
// distinct and, per client, increasing, and nothing is lost.
func TestCombineConcurrent(t *testing.T) {
	ts := startServer(t, t.TempDir())
	const (
		clients   = 12
		pipelines = 40
		depth     = 16
	)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	replies := make([][]int64, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialRaw(t, ts.addr)
			for range pipelines {
				if err := c.pipelineInts(depth, func(int) []string { return []string{"INCR", "n"} }); err != nil {
					errs <- err
					return
				}
				for _, v := range c.ints {
					if k := len(replies[i]); k > 0 && v <= replies[i][k-1] {
						errs <- fmt.Errorf("client %d: INCR replied %d after %d", i, v, replies[i][k-1])
						return
					}
					replies[i] = append(replies[i], v)
				}
				if err := c.pipelineInts(depth, func(k int) []string { return []string{"HINCRBY", "h", fmt.Sprint(k % 3), "1"} }); err != nil {
					errs <- err
					return
				}
				if err := c.pipelineInts(depth, func(int) []string { return []string{"RPUSH", "l", "e"} }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var all []int64
	for _, r := range replies {
		all = append(all, r...)
	}
	slices.Sort(all)
	for i, v := range all {
		if v != int64(i+1) {
			t.Fatalf("INCR replies, sorted, have %d at %d", v, i)
		}
	}
	c := dialRaw(t, ts.addr)
	const total = clients * pipelines * depth
	if v := c.mustDo(t, "LLEN", "l"); v.Int != total {
		t.Errorf("LLEN l = %d, want %d", v.Int, total)
	}
	sum := 0
	for _, f := range []string{"0", "1", "2"} {
		v := c.mustDo(t, "HGET", "h", f)
		var n int
		fmt.Sscan(v.Str, &n)
		sum += n
	}
	if sum != total {
		t.Errorf("HINCRBY total %d, want %d", sum, total)
	}
}

// queueINCRs sends, from n clients at once, depth INCRs of key n each,
// queued behind a holder's key batch of depth INCRs, which waits (holding
// the stripe) until all have queued and then runs then. It checks that the
// replies are distinct, each client's increasing, and GET n their count,
// and returns how many clients were passed the stripe and how many commits
// the pipelines took.
func queueINCRs(t *testing.T, ts *testServer, n, depth int, then ...func()) (inherited, commits int64) {
	t.Helper()
	holder := newPipeClient(t, ts.s)
	holder.send(t, []string{"INCR", "n"})
	ps := make([]*pipeClient, n)
	for i := range ps {
		ps[i] = newPipeClient(t, ts.s)
		ps[i].send(t, []string{"INCR", "n"})
	}
	var passed atomic.Int64
	combineInherited = func(*client) { passed.Add(1) }
	t.Cleanup(func() { combineInherited = nil })
	opened := holdOpened(t, n, then...)
	before := walRecords(ts.s)
	rh := sendAsync(t, holder, repeat(depth, "INCR", "n"))
	waitOpened(t, opened)
	chans := make([]<-chan []resp.Value, n)
	for i, p := range ps {
		chans[i] = sendAsync(t, p, repeat(depth, "INCR", "n"))
	}
	var all []int64
	for i, ch := range append([]<-chan []resp.Value{rh}, chans...) {
		vs := <-ch
		for k, v := range vs {
			if v.Kind != resp.KindInteger || k > 0 && v.Int <= vs[k-1].Int {
				t.Fatalf("client %d: replies %s not increasing integers", i, replyText(vs))
			}
			all = append(all, v.Int)
		}
	}
	slices.Sort(all)
	first := int64(n + 2) // after the n+1 INCRs above
	for i, v := range all {
		if v != first+int64(i) {
			t.Fatalf("replies, sorted, have %d at %d: want %d", v, i, first+int64(i))
		}
	}
	if v := dialRaw(t, ts.addr).mustDo(t, "GET", "n"); v.Str != fmt.Sprint(first-1+int64(len(all))) {
		t.Errorf("GET n = %s, want %d", v.Str, first-1+int64(len(all)))
	}
	return passed.Load(), int64(walRecords(ts.s) - before)
}

// TestCombineHeir: a holder whose tenure ends with clients still queued
// passes the stripe, still locked, to the first of them, whose key batch
// runs its own commands and then the others'.
func TestCombineHeir(t *testing.T) {
	ts := startServer(t, t.TempDir())
	// More commands than a tenure's rounds take.
	n := maxCombined*maxCombineRounds/maxKeyBatch + 4
	if got, _ := queueINCRs(t, ts, n, maxKeyBatch); got == 0 {
		t.Errorf("%d clients queued with %d commands each: no client was passed the stripe", n, maxKeyBatch)
	}
}

// TestCombineLockWaiterNotPassedOver: a holder does not pass the stripe on
// while another command waits to lock it: it releases it, and that
// command runs.
func TestCombineLockWaiterNotPassedOver(t *testing.T) {
	ts := startServer(t, t.TempDir())
	n := maxCombined*maxCombineRounds/maxKeyBatch + 4
	stripe := ts.s.ks.Locks().Stripe(codec.AppendMetaKey(nil, 0, []byte("n")))
	other := dialRaw(t, ts.addr)
	done := make(chan resp.Value, 1)
	// EXPIRE n is a batchable write, but as a connection's first command
	// it runs alone, locking the stripe itself.
	waitLocker := func() {
		go func() { done <- other.mustDo(t, "EXPIRE", "n", "1000") }()
		waitUntil(t, 10*time.Second, "the command to wait for the stripe", func() bool {
			return ts.s.ks.Locks().Contended(stripe)
		})
	}
	if got, _ := queueINCRs(t, ts, n, maxKeyBatch, waitLocker); got != 0 {
		t.Errorf("the stripe was passed on %d times while a command waited to lock it", got)
	}
	if v := <-done; v.Int != 1 {
		t.Errorf("EXPIRE n = %s, want :1", replyText([]resp.Value{v}))
	}
}

// TestCombineQueuesDuringCommit: the slot stays open while the holder
// commits a round, so a client arriving then queues and is served in the
// next round instead of waiting for the stripe's lock.
func TestCombineQueuesDuringCommit(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a, b := newPipeClient(t, ts.s), newPipeClient(t, ts.s)
	a.send(t, []string{"INCR", "n"})
	b.send(t, []string{"INCR", "n"})
	queued := make(chan struct{})
	var once sync.Once
	combineQueued = func(*client) { close(queued) }
	var rb <-chan []resp.Value
	combineCommitting = func(*client) {
		once.Do(func() {
			rb = sendAsync(t, b, repeat(5, "INCR", "n"))
			select {
			case <-queued:
			case <-time.After(10 * time.Second):
				t.Error("a client arriving during the commit did not queue")
			}
		})
	}
	t.Cleanup(func() { combineQueued, combineCommitting = nil, nil })
	// a's key batch opens the slot; nobody queues until its commit.
	before := walRecords(ts.s)
	checkCombined(t, a.send(t, repeat(4, "INCR", "n")...), rb, ":3 :4 :5 :6", ":7 :8 :9 :10 :11")
	if n := walRecords(ts.s) - before; n != 2 {
		t.Errorf("%d commits, want 2 (the holder's round, then the queued client's)", n)
	}
}
