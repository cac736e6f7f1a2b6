package server

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// pipeClient is a client of a running server driven through a pipeConn:
// each pipeline arrives in one read, so the key batches it forms do not
// depend on how a socket splits it.
type pipeClient struct {
	conn *pipeConn
}

func newPipeClient(t testing.TB, s *Server) *pipeClient {
	t.Helper()
	pc := newPipeConn()
	pc.keep = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serveConn(pc)
	}()
	t.Cleanup(func() {
		close(pc.in)
		<-done
	})
	return &pipeClient{conn: pc}
}

// send sends cmds as one pipeline and returns their replies, which the
// server writes at once.
func (p *pipeClient) send(t testing.TB, cmds ...[]string) []resp.Value {
	t.Helper()
	var b []byte
	for _, c := range cmds {
		b = appendCommand(b, c...)
	}
	p.conn.in <- b
	<-p.conn.written
	br := bufio.NewReader(bytes.NewReader(p.conn.last))
	out := make([]resp.Value, len(cmds))
	for i := range out {
		v, err := resp.ReadReply(br)
		if err != nil {
			t.Fatalf("reply %d of %d: %v (replies %q)", i, len(cmds), err, p.conn.last)
		}
		out[i] = v
	}
	if br.Buffered() > 0 {
		t.Fatalf("more replies than commands: %q", p.conn.last)
	}
	return out
}

// repeat returns n copies of cmd.
func repeat(n int, cmd ...string) [][]string {
	out := make([][]string, n)
	for i := range out {
		out[i] = cmd
	}
	return out
}

// replyText renders replies compactly for comparisons.
func replyText(vs []resp.Value) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch v.Kind {
		case resp.KindInteger:
			fmt.Fprintf(&b, ":%d", v.Int)
		case resp.KindBulk:
			if v.Nil {
				b.WriteString("nil")
			} else {
				b.WriteString(v.Str)
			}
		case resp.KindArray:
			b.WriteByte('[')
			b.WriteString(replyText(v.Elems))
			b.WriteByte(']')
		default:
			fmt.Fprintf(&b, "%c%s", v.Kind, v.Str)
		}
	}
	return b.String()
}

func walRecords(s *Server) uint64 { return s.db.Metrics().WAL.Records }

// stripeKeys returns n keys prefix0, prefix1, ... of database 0 whose lock
// stripes differ, skipping a name whose stripe an earlier one has: a run
// ends at a key whose stripe it holds already, and the stripes' hash seed
// is random, so tests that count a run's commits choose their keys by it.
func stripeKeys(s *Server, prefix string, n int) []string {
	locks := s.ks.Locks()
	seen := make(map[int]bool, n)
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		st := locks.Stripe(codec.AppendMetaKey(nil, 0, []byte(k)))
		if !seen[st] {
			seen[st] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// TestKeyBatchCommitsOnce checks that pipelined writes to one key are
// committed together, one engine batch (one WAL record) for the batch, and
// that pipelined writes to distinct keys are too, as a run.
func TestKeyBatchCommitsOnce(t *testing.T) {
	ts := startServer(t, t.TempDir())
	p := newPipeClient(t, ts.s)
	p.send(t, []string{"RPUSH", "other", "x"}) // reserve uuids: later commits are the commands'

	before := walRecords(ts.s)
	got := replyText(p.send(t, repeat(16, "LPUSH", "q", "v")...))
	if want := ":1 :2 :3 :4 :5 :6 :7 :8 :9 :10 :11 :12 :13 :14 :15 :16"; got != want {
		t.Fatalf("replies %s, want %s", got, want)
	}
	// The first command runs alone (nothing says the key is hot yet); the
	// other fifteen form one batch.
	if n := walRecords(ts.s) - before; n != 2 {
		t.Errorf("16 pipelined LPUSH on one key: %d commits, want 2", n)
	}

	// The next pipeline continues on the same key: one batch.
	before = walRecords(ts.s)
	got = replyText(p.send(t, repeat(4, "LPUSH", "q", "v")...))
	if want := ":17 :18 :19 :20"; got != want {
		t.Fatalf("replies %s, want %s", got, want)
	}
	if n := walRecords(ts.s) - before; n != 1 {
		t.Errorf("pipeline continuing a hot key: %d commits, want 1", n)
	}

	// Distinct keys, after a batchable write: one run, one commit. (SETs
	// with an option: plain SETs coalesce into one MSET instead, below.)
	before = walRecords(ts.s)
	var sets [][]string
	for _, k := range stripeKeys(ts.s, "k", 8) {
		sets = append(sets, []string{"SET", k, "v", "KEEPTTL"})
	}
	p.send(t, sets...)
	if n := walRecords(ts.s) - before; n != 1 {
		t.Errorf("8 SETs of distinct keys: %d commits, want 1 (a run)", n)
	}
	// After a read, the first write runs alone and the rest form a run.
	before = walRecords(ts.s)
	p.send(t, append([][]string{{"GET", "k0"}}, sets...)...)
	if n := walRecords(ts.s) - before; n != 2 {
		t.Errorf("GET then 8 SETs of distinct keys: %d commits, want 2", n)
	}
	// Plain SETs after a read: one keyed run (coalesce.go), one commit.
	before = walRecords(ts.s)
	var plain [][]string
	for _, c := range sets {
		plain = append(plain, c[:3])
	}
	p.send(t, append([][]string{{"GET", "k0"}}, plain...)...)
	if n := walRecords(ts.s) - before; n != 1 {
		t.Errorf("GET then 8 plain SETs of distinct keys: %d commits, want 1", n)
	}
	// A key written twice ends the run before its second write, which
	// starts the next one: the second write reads the first.
	c := stripeKeys(ts.s, "c", 3)
	before = walRecords(ts.s)
	got = replyText(p.send(t, []string{"APPEND", c[0], "x"}, []string{"APPEND", c[1], "x"}, []string{"APPEND", c[0], "x"}, []string{"APPEND", c[2], "x"}))
	if got != ":1 :1 :2 :1" {
		t.Errorf("APPEND c1 c2 c1 c3: %s, want :1 :1 :2 :1", got)
	}
	if n := walRecords(ts.s) - before; n != 2 {
		t.Errorf("APPEND c1 c2 c1 c3: %d commits, want 2 (two runs)", n)
	}
	// INCRs of keys that are not the last one's run as one keyed run
	// (codec.DB.IncrByEach), which reads a key's earlier increment.
	before = walRecords(ts.s)
	got = replyText(p.send(t, []string{"INCR", "i1"}, []string{"INCR", "i2"}, []string{"INCR", "i1"}, []string{"INCR", "i3"}))
	if got != ":1 :1 :2 :1" {
		t.Errorf("INCR i1 i2 i1 i3: %s, want :1 :1 :2 :1", got)
	}
	if n := walRecords(ts.s) - before; n != 1 {
		t.Errorf("INCR i1 i2 i1 i3: %d commits, want 1 (a keyed run)", n)
	}

	v := dialRaw(t, ts.addr).mustDo(t, "LLEN", "q")
	if v.Int != 20 {
		t.Errorf("LLEN q = %d, want 20", v.Int)
	}
}

// TestKeyBatchBounds checks that a batch ends at maxKeyBatch commands and
// at maxKeyBatchBytes of arguments, and that a command larger than that
// runs alone: a batch holds copies of its writes until its commit.
func TestKeyBatchBounds(t *testing.T) {
	ts := startServer(t, t.TempDir())
	p := newPipeClient(t, ts.s)
	p.send(t, []string{"RPUSH", "q", "x"})
	before := walRecords(ts.s)
	p.send(t, repeat(maxKeyBatch+1, "RPUSH", "q", "v")...)
	if n := walRecords(ts.s) - before; n != 2 {
		t.Errorf("%d pipelined writes to a hot key: %d commits, want 2", maxKeyBatch+1, n)
	}

	// How many bytes fit depends on how reads split a pipeline, so the
	// byte bound is checked on the decision itself.
	for _, tc := range []struct {
		n, bytes, size int
		fits           bool
	}{
		{0, 0, 10, true},
		{0, 0, maxKeyBatchBytes, true},
		{0, 0, maxKeyBatchBytes + 1, false},
		{3, 200 << 10, 56 << 10, true},
		{3, 200 << 10, 57 << 10, false},
		{maxKeyBatch - 1, 100, 10, true},
		{maxKeyBatch, 100, 10, false},
	} {
		b := keyBatch{n: tc.n, bytes: tc.bytes}
		if got := b.fits(tc.size); got != tc.fits {
			t.Errorf("%d commands of %d bytes, next of %d: fits %v, want %v", tc.n, tc.bytes, tc.size, got, tc.fits)
		}
	}
}

// TestKeyBatchSemantics runs pipelines that mix batched writes with reads,
// other keys, wrong types and options, and compares the replies with
// those of the same commands sent one at a time.
func TestKeyBatchSemantics(t *testing.T) {
	pipelines := [][][]string{
		{
			{"RPUSH", "l", "a"}, {"RPUSH", "l", "b"}, {"LPOP", "l"}, {"RPUSH", "l", "c", "d"},
			{"RPOP", "l"}, {"LSET", "l", "0", "B"}, {"LINSERT", "l", "AFTER", "B", "X"},
			{"LRANGE", "l", "0", "-1"}, {"RPUSH", "l", "e"}, {"LREM", "l", "0", "X"}, {"LTRIM", "l", "0", "5"},
			{"LRANGE", "l", "0", "-1"},
		},
		{
			{"SET", "s", "1"}, {"INCR", "s"}, {"INCRBY", "s", "5"}, {"APPEND", "s", "x"}, {"INCR", "s"},
			{"GETSET", "s", "10"}, {"DECRBY", "s", "3"}, {"SETNX", "s", "0"}, {"GET", "s"},
			{"SET", "s", "v", "GET"}, {"GETDEL", "s"}, {"GETDEL", "s"}, {"SETRANGE", "s", "3", "z"}, {"GET", "s"},
		},
		{
			{"SET", "w", "str"}, {"LPUSH", "w", "x"}, {"SADD", "w", "m"}, {"SET", "w", "again"},
			{"HSET", "w", "f", "1"}, {"DEL", "w"}, {"HSET", "w", "f", "1", "g", "2"}, {"HINCRBY", "w", "f", "4"},
			{"HDEL", "w", "g"}, {"HGETALL", "w"},
		},
		{
			{"ZADD", "z", "1", "a"}, {"ZADD", "z", "2", "b"}, {"ZINCRBY", "z", "5", "a"}, {"ZREM", "z", "b"},
			{"ZADD", "z", "0", "c"}, {"ZRANGE", "z", "0", "-1", "WITHSCORES"},
			{"SADD", "t", "a", "b"}, {"SADD", "t", "b", "c"}, {"SREM", "t", "a"}, {"SREM", "t", "zz"},
			{"SCARD", "t"},
		},
		{
			// Runs: writes to distinct keys, a key repeated, types
			// overwritten, TTLs, a read in the middle.
			{"SET", "ra", "1"}, {"SET", "rb", "2"}, {"INCR", "rc"}, {"SET", "ra", "x"}, {"APPEND", "rb", "y"},
			{"INCRBY", "rc", "5"}, {"LPUSH", "rl", "1", "2"}, {"HSET", "rh", "f", "v"}, {"SADD", "rs", "m"},
			{"SET", "rh", "overwritten"}, {"EXPIRE", "rb", "100"}, {"SET", "rd", "v", "PX", "100000"},
			{"GET", "ra"}, {"SET", "rl", "s"}, {"SETNX", "ra", "no"}, {"GETSET", "rc", "0"}, {"DECR", "rc"},
			{"GETDEL", "rd"}, {"SET", "rd", "again"}, {"DBSIZE"}, {"GET", "rb"}, {"GET", "rc"}, {"GET", "rh"},
			{"GET", "rl"}, {"TYPE", "rs"}, {"HSET", "rs", "f", "v"}, {"INCR", "ra"}, {"GET", "rd"},
		},
		{
			{"SET", "e", "v"}, {"EXPIRE", "e", "100"}, {"PERSIST", "e"}, {"PEXPIRE", "e", "100000"},
			{"SET", "e", "v2", "KEEPTTL"}, {"EXPIRE", "e", "0"}, {"EXISTS", "e"},
			{"SELECT", "1"}, {"SET", "e", "db1"}, {"SET", "e", "db1b"}, {"SELECT", "0"}, {"GET", "e"},
			{"SELECT", "1"}, {"GET", "e"}, {"SELECT", "0"},
		},
	}
	comparePipelines(t, pipelines)
}

// comparePipelines sends each pipeline to a server in one write and its
// commands one at a time to another, and checks that the replies agree.
// It returns the first server and its client.
func comparePipelines(t *testing.T, pipelines [][][]string) (*testServer, *pipeClient) {
	t.Helper()
	batched := startServer(t, t.TempDir())
	single := startServer(t, t.TempDir())
	p := newPipeClient(t, batched.s)
	c := dialRaw(t, single.addr)
	for i, pl := range pipelines {
		got := replyText(p.send(t, pl...))
		var want []resp.Value
		for _, cmd := range pl {
			want = append(want, c.mustDo(t, cmd...))
		}
		if w := replyText(want); got != w {
			t.Errorf("pipeline %d:\n got %s\nwant %s", i, got, w)
		}
	}
	return batched, p
}

// TestKeyBatchCommitFailure checks that when the commit of a key batch or
// of a run fails, every command in it is answered with the error: none was
// applied.
func TestKeyBatchCommitFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []string   // runs alone, before the fault
		batch  [][]string // a key batch or a run, whose commit fails
		check  [][]string // after the fault
		want   string
	}{
		// Two elements each: pushes of one element coalesce (below).
		{"key batch", []string{"RPUSH", "q", "a"}, repeat(3, "RPUSH", "q", "b", "c"), [][]string{{"LLEN", "q"}}, ":1"},
		// Coalesced (coalesce.go): one pop of three, each command failed.
		{"coalesced pops", []string{"RPUSH", "q", "a", "b", "c", "d"}, repeat(3, "RPOP", "q"), [][]string{{"LLEN", "q"}}, ":4"},
		{"coalesced adds", []string{"SADD", "s", "a"}, [][]string{{"SADD", "s", "b"}, {"SADD", "s", "a"}, {"SADD", "s", "c"}},
			[][]string{{"SCARD", "s"}}, ":1"},
		{"coalesced pushes", []string{"RPUSH", "q", "a"}, repeat(3, "LPUSH", "q", "b"), [][]string{{"LLEN", "q"}}, ":1"},
		{"run", []string{"SET", "a", "0"}, [][]string{{"SET", "b", "1"}, {"INCR", "c"}, {"SET", "a", "1"}},
			[][]string{{"GET", "a"}, {"EXISTS", "b", "c"}, {"DBSIZE"}}, "0 :0 :1"},
		// A keyed run of counters (codec.DB.IncrByEach): one commit.
		{"keyed counter run", []string{"SET", "a", "5"}, [][]string{{"INCR", "a"}, {"INCR", "b"}, {"INCR", "a"}},
			[][]string{{"GET", "a"}, {"EXISTS", "b"}, {"DBSIZE"}}, "5 :0 :1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fault := errorfs.NewToggle(syscall.ENOSPC, pathFilter(".log", errorfs.OpWrite))
			ts, err := openFaultServer(t, t.TempDir(), fault)
			if err != nil {
				t.Fatal(err)
			}
			p := newPipeClient(t, ts.s)
			if v := p.send(t, tc.before); v[0].Kind == resp.KindError {
				t.Fatalf("%v: %s", tc.before, replyText(v))
			}
			fault.On()
			before := walRecords(ts.s)
			for i, v := range p.send(t, tc.batch...) {
				if v.Kind != resp.KindError || !strings.Contains(v.Str, syscall.ENOSPC.Error()) {
					t.Errorf("reply %d: %s, want an error naming %q", i, replyText([]resp.Value{v}), syscall.ENOSPC)
				}
			}
			if n := walRecords(ts.s) - before; n > 1 {
				t.Errorf("%d commits attempted, want the batch's one", n)
			}
			fault.Off()
			c := dialRaw(t, ts.addr)
			var got []resp.Value
			for _, cmd := range tc.check {
				got = append(got, c.mustDo(t, cmd...))
			}
			if g := replyText(got); g != tc.want {
				t.Errorf("%v after the failed batch: %s, want %s", tc.check, g, tc.want)
			}
		})
	}
}

// TestRunsConcurrent: clients pipeline INCRs over a few shared keys, in
// different orders, so that runs meet each other's stripes (a run takes a
// busy stripe only by ending first), while other clients hold several of
// the keys at once (MSET-free: INCRBY in EXEC, and MGET): nothing
// deadlocks and no increment is lost.
func TestRunsConcurrent(t *testing.T) {
	ts := startServer(t, t.TempDir())
	const (
		clients   = 6
		pipelines = 40
		depth     = 16
		keys      = 5
	)
	var wg sync.WaitGroup
	errs := make(chan error, clients+1)
	for i := range clients {
		wg.Go(func() {
			c := dialRaw(t, ts.addr)
			for j := range pipelines {
				if err := c.pipelineInts(depth, func(k int) []string {
					return []string{"INCR", fmt.Sprintf("n%d", (i*7+j*3+k*(i+1))%keys)}
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		c := dialRaw(t, ts.addr)
		for range pipelines {
			if err := c.multiExec([]string{"INCRBY", "n0", "0"}, []string{"INCRBY", "n4", "0"}); err != nil {
				errs <- err
				return
			}
			if v, err := c.do("MGET", "n1", "n2", "n3"); err != nil || v.Kind != resp.KindArray {
				errs <- fmt.Errorf("MGET: %v %v", v, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	var total int64
	for k := range keys {
		v := c.mustDo(t, "GET", fmt.Sprintf("n%d", k))
		n, err := strconv.ParseInt(v.Str, 10, 64)
		if err != nil {
			t.Fatalf("n%d = %q", k, v.Str)
		}
		total += n
	}
	if want := int64(clients * pipelines * depth); total != want {
		t.Errorf("the counters add up to %d, want %d", total, want)
	}
}

// TestKeyBatchServesBlockedClients checks that a client blocked on a key is
// served right after the command that readied it, as in Redis, not after
// the rest of the batch.
func TestKeyBatchServesBlockedClients(t *testing.T) {
	ts := startServer(t, t.TempDir())
	p := newPipeClient(t, ts.s)
	// The key is hot for p: the next pipeline's writes to it are batched.
	p.send(t, []string{"RPUSH", "q", "x"}, []string{"RPOP", "q"})

	ctl := dialRaw(t, ts.addr)
	b := dialRaw(t, ts.addr)
	b.conn.Write(appendCommand(nil, "BLPOP", "q", "0"))
	waitUntil(t, 10*time.Second, "the client to block", func() bool { return blockedClients(t, ctl) == 1 })

	got := replyText(p.send(t, []string{"LPUSH", "q", "a"}, []string{"LPUSH", "q", "b"}, []string{"LPUSH", "q", "c"}))
	if got != ":1 :1 :2" {
		t.Errorf("LPUSH replies %s, want :1 :1 :2 (the blocked client takes a at once)", got)
	}
	v, err := resp.ReadReply(b.br)
	if err != nil {
		t.Fatal(err)
	}
	if got := replyText([]resp.Value{v}); got != "[q a]" {
		t.Errorf("BLPOP got %s, want [q a]", got)
	}
	if got := replyText([]resp.Value{ctl.mustDo(t, "LRANGE", "q", "0", "-1")}); got != "[c b]" {
		t.Errorf("list %s, want [c b]", got)
	}
}

// TestKeyBatchConcurrent runs batches on two hot lists while other clients
// move elements between them (LMOVE locks both keys) and run
// transactions: everything completes (no deadlock) and no element is lost
// or duplicated.
func TestKeyBatchConcurrent(t *testing.T) {
	ts := startServer(t, t.TempDir())
	const (
		pushers   = 4
		pipelines = 30
		depth     = 16
	)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialRaw(t, ts.addr)
			key := []string{"L1", "L2"}[i%2]
			for range pipelines {
				if err := c.pipelineInts(depth, func(int) []string { return []string{"RPUSH", key, "e"} }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialRaw(t, ts.addr)
			src, dst := "L1", "L2"
			if i == 1 {
				src, dst = dst, src
			}
			for range pipelines * 4 {
				if _, err := c.do("LMOVE", src, dst, "LEFT", "RIGHT"); err != nil {
					errs <- err
					return
				}
				if err := c.multiExec([]string{"RPUSH", src, "t"}, []string{"RPOP", src}); err != nil {
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
	c := dialRaw(t, ts.addr)
	total := c.mustDo(t, "LLEN", "L1").Int + c.mustDo(t, "LLEN", "L2").Int
	if want := int64(pushers * pipelines * depth); total != want {
		t.Errorf("%d elements in the lists, want %d", total, want)
	}
}

// TestBatchableCommands checks the table: every batchable command exists,
// writes, and has exactly one key, at position 1.
func TestBatchableCommands(t *testing.T) {
	for name := range batchableCommands {
		cmd := commandTable[name]
		if cmd == nil {
			t.Errorf("%s: no such command", name)
			continue
		}
		if !cmd.batchable {
			t.Errorf("%s: not marked batchable", name)
		}
		if cmd.flags&flagWrite == 0 || cmd.flags&flagMovableKeys != 0 || cmd.subs != nil {
			t.Errorf("%s: flags %v, want a plain write", name, cmd.flagList())
		}
		if cmd.firstKey != 1 || cmd.lastKey != 1 {
			t.Errorf("%s: keys %d..%d, want 1..1", name, cmd.firstKey, cmd.lastKey)
		}
	}
}

// TestKeyBatchKeepsKeyCounts: a batch commits like EXEC, applying the key
// counts (and expiry-index reports) of its commands: a TTL set and a key
// emptied inside batches show in INFO keyspace and DBSIZE.
func TestKeyBatchKeepsKeyCounts(t *testing.T) {
	ts := startServer(t, t.TempDir())
	p := newPipeClient(t, ts.s)
	c := dialRaw(t, ts.addr)
	p.send(t, []string{"LPUSH", "q", "a"}, []string{"LPUSH", "q", "b"}, []string{"PEXPIRE", "q", "100000"})
	info := c.mustDo(t, "INFO", "keyspace").Str
	if !strings.Contains(info, "db0:keys=1,expires=1,") {
		t.Fatalf("after a batch setting a TTL, INFO keyspace says:\n%s", info)
	}
	p.send(t, []string{"LPOP", "q"}, []string{"LPOP", "q"})
	if n := c.mustDo(t, "DBSIZE").Int; n != 0 {
		t.Fatalf("DBSIZE %d after a batch emptied the only key, want 0", n)
	}

	// Runs: new keys, TTLs, an overwrite and a deletion.
	p.send(t, []string{"SET", "a", "1", "EX", "100"}, []string{"SET", "b", "1"}, []string{"INCR", "c"},
		[]string{"PEXPIRE", "b", "100000"}, []string{"SET", "d", "1"})
	info = c.mustDo(t, "INFO", "keyspace").Str
	if !strings.Contains(info, "db0:keys=4,expires=2,") {
		t.Fatalf("after runs adding 4 keys, 2 with a TTL, INFO keyspace says:\n%s", info)
	}
	p.send(t, []string{"SET", "a", "2"}, []string{"GETDEL", "b"}, []string{"SET", "e", "1"}, []string{"PERSIST", "c"})
	info = c.mustDo(t, "INFO", "keyspace").Str
	if !strings.Contains(info, "db0:keys=4,expires=0,") {
		t.Fatalf("after a run overwriting a, deleting b and adding e, INFO keyspace says:\n%s", info)
	}
}
