package server

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

func init() {
	diffFamilies = append(diffFamilies, &diffFamily{name: "multi", gen: genMultiCommand})
}

// genMultiCommand mixes transaction commands into string and hash ones. One
// connection drives both servers, so WATCH is broken only by the client's
// own writes (which Redis counts too) and by expiry.
func genMultiCommand(g *diffGen) []string {
	switch g.r.IntN(12) {
	case 0, 1:
		return []string{"MULTI"}
	case 2, 3:
		return []string{"EXEC"}
	case 4:
		return []string{"DISCARD"}
	case 5:
		return []string{"WATCH", g.key(), g.key()}
	case 6:
		return []string{"UNWATCH"}
	case 7:
		return []string{g.pick("MULTI", "EXEC", "WATCH", "UNWATCH", "DISCARD"), g.key()} // wrong arity
	case 8:
		return []string{"NOSUCHCOMMAND", g.key()}
	case 9, 10:
		return genHashCommand(g)
	}
	return g.next()
}

func mustStr(t *testing.T, v resp.Value, want string) {
	t.Helper()
	if v.String() != want {
		t.Fatalf("got %s, want %s", v, want)
	}
}

func TestMultiExec(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	mustStr(t, c.mustDo(t, "MULTI"), `+OK`)
	mustStr(t, c.mustDo(t, "MULTI"), `-ERR MULTI calls can not be nested`)
	mustStr(t, c.mustDo(t, "SET", "a", "1"), `+QUEUED`)
	mustStr(t, c.mustDo(t, "HSET", "a", "f", "v"), `+QUEUED`) // fails at run time only
	mustStr(t, c.mustDo(t, "INCR", "a"), `+QUEUED`)
	mustStr(t, c.mustDo(t, "WATCH", "a"), `-ERR WATCH inside MULTI is not allowed`)
	mustStr(t, c.mustDo(t, "EXEC"), `[+OK -WRONGTYPE Operation against a key holding the wrong kind of value :2]`)
	mustStr(t, c.mustDo(t, "EXEC"), `-ERR EXEC without MULTI`)
	mustStr(t, c.mustDo(t, "DISCARD"), `-ERR DISCARD without MULTI`)

	// A refused command aborts the whole transaction.
	c.mustDo(t, "MULTI")
	c.mustDo(t, "SET", "a", "changed")
	mustStr(t, c.mustDo(t, "NOSUCH"), `-ERR unknown command 'NOSUCH', with args beginning with: `)
	mustStr(t, c.mustDo(t, "GET"), `-ERR wrong number of arguments for 'get' command`)
	mustStr(t, c.mustDo(t, "EXEC"), `-EXECABORT Transaction discarded because of previous errors.`)
	mustStr(t, c.mustDo(t, "GET", "a"), `"2"`)

	// DISCARD and RESET drop the queue.
	c.mustDo(t, "MULTI")
	c.mustDo(t, "SET", "a", "x")
	mustStr(t, c.mustDo(t, "DISCARD"), `+OK`)
	c.mustDo(t, "MULTI")
	c.mustDo(t, "SET", "a", "y")
	mustStr(t, c.mustDo(t, "RESET"), `+RESET`)
	mustStr(t, c.mustDo(t, "GET", "a"), `"2"`)

	// Reads inside the transaction see its own writes; SELECT applies.
	c.mustDo(t, "MULTI")
	c.mustDo(t, "HSET", "h", "f", "1")
	c.mustDo(t, "HINCRBY", "h", "f", "5")
	c.mustDo(t, "HGET", "h", "f")
	c.mustDo(t, "SELECT", "1")
	c.mustDo(t, "SET", "h", "db1")
	c.mustDo(t, "DEL", "a")
	mustStr(t, c.mustDo(t, "EXEC"), `[:1 :6 "6" +OK +OK :0]`)
	mustStr(t, c.mustDo(t, "GET", "h"), `"db1"`)
	c.mustDo(t, "SELECT", "0")
	mustStr(t, c.mustDo(t, "EXISTS", "a"), `:1`)
	mustStr(t, c.mustDo(t, "HGET", "h", "f"), `"6"`)
	// An empty transaction.
	c.mustDo(t, "MULTI")
	mustStr(t, c.mustDo(t, "EXEC"), `[]`)
}

func TestWatch(t *testing.T) {
	ts := startServer(t, t.TempDir())
	a := dialRaw(t, ts.addr)
	b := dialRaw(t, ts.addr)
	run := func(want string) {
		t.Helper()
		a.mustDo(t, "MULTI")
		a.mustDo(t, "INCR", "n")
		mustStr(t, a.mustDo(t, "EXEC"), want)
	}
	a.mustDo(t, "SET", "n", "0")

	a.mustDo(t, "WATCH", "n", "other")
	run(`[:1]`) // nothing touched the keys
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SET", "n", "10")
	run(`(nil array)`)
	mustStr(t, a.mustDo(t, "GET", "n"), `"10"`)

	// Setting the same value still counts as a write; a failed SET NX does not.
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SET", "n", "10")
	run(`(nil array)`)
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SET", "n", "99", "NX")
	run(`[:11]`)

	// A hash field overwritten with another value leaves the metadata as
	// it was; it is a write all the same.
	b.mustDo(t, "HSET", "h", "f", "1")
	a.mustDo(t, "WATCH", "h")
	b.mustDo(t, "HSET", "h", "f", "2")
	run(`(nil array)`)

	// The watching client's own writes count too; UNWATCH forgets.
	a.mustDo(t, "WATCH", "n")
	a.mustDo(t, "SET", "n", "0")
	run(`(nil array)`)
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SET", "n", "0")
	a.mustDo(t, "UNWATCH")
	run(`[:1]`)

	// Keys in another database are other keys; SWAPDB touches the keys of
	// the two databases, FLUSHALL every key.
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SELECT", "3")
	b.mustDo(t, "SET", "n", "x")
	run(`[:2]`)
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SWAPDB", "3", "4")
	run(`[:3]`)
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "SWAPDB", "0", "4")
	run(`(nil array)`)
	a.mustDo(t, "DEL", "n")
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "FLUSHALL")
	run(`[:1]`) // n did not exist: FLUSHALL does not touch it
	a.mustDo(t, "WATCH", "n")
	b.mustDo(t, "FLUSHALL")
	run(`(nil array)`)

	// A watched key that expires aborts EXEC (Redis 7).
	a.mustDo(t, "SET", "e", "v", "PX", "30")
	a.mustDo(t, "WATCH", "e")
	waitUntil(t, 10*time.Second, "e to expire", func() bool { return a.mustDo(t, "EXISTS", "e").Int == 0 })
	a.mustDo(t, "MULTI")
	a.mustDo(t, "GET", "e")
	mustStr(t, a.mustDo(t, "EXEC"), `(nil array)`)
	// A key already expired when watched does not.
	a.mustDo(t, "WATCH", "e")
	a.mustDo(t, "MULTI")
	a.mustDo(t, "GET", "e")
	mustStr(t, a.mustDo(t, "EXEC"), `[(nil)]`)

	// A client that disconnects leaves no watch behind.
	c := dialRaw(t, ts.addr)
	c.mustDo(t, "WATCH", "n", "m")
	c.conn.Close()
	waitUntil(t, 10*time.Second, "watches to go", func() bool { return ts.s.events.active.Load() == 0 })
}

// TestExecIsAtomic: a reader that takes no lock never sees half of a
// transaction, and no write of another client lands inside one.
func TestExecIsAtomic(t *testing.T) {
	ts := startServer(t, t.TempDir())
	rounds := 300
	if raceEnabled {
		rounds = 100
	}
	w := dialRaw(t, ts.addr)
	w.mustDo(t, "MSET", "a", "0", "b", "0")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { // reader
		defer wg.Done()
		r := dialRaw(t, ts.addr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			v, err := r.do("MGET", "a", "b")
			if err != nil {
				errs <- err
				return
			}
			if len(v.Elems) != 2 || v.Elems[0].Str != v.Elems[1].Str {
				errs <- fmt.Errorf("MGET saw half a transaction: %s", v)
				return
			}
		}
	}()
	go func() { // a writer outside transactions bumps c only inside EXEC's window
		defer wg.Done()
		o := dialRaw(t, ts.addr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := o.do("INCR", "c"); err != nil {
				errs <- err
				return
			}
		}
	}()
	for i := 1; i <= rounds; i++ {
		w.mustDo(t, "MULTI")
		w.mustDo(t, "GET", "c")
		w.mustDo(t, "INCR", "a")
		w.mustDo(t, "INCR", "b")
		w.mustDo(t, "GET", "c")
		v := w.mustDo(t, "EXEC")
		if len(v.Elems) != 4 || v.Elems[1].Int != int64(i) || v.Elems[2].Int != int64(i) {
			t.Fatalf("round %d: %s", i, v)
		}
		if v.Elems[0].Str != v.Elems[3].Str {
			t.Fatalf("round %d: another client's write landed inside EXEC: %s", i, v)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := w.mustDo(t, "GET", "a"); v.Str != strconv.Itoa(rounds) {
		t.Fatalf("a = %s", v)
	}
}

// TestWatchWaitsForKeyStripe checks that WATCH reads a key under its lock
// stripe. A writer notifies watchers before it commits, while it holds the
// stripe (EXEC does, holding every stripe): a WATCH reading the key in
// between would register without ever being told of that write.
func TestWatchWaitsForKeyStripe(t *testing.T) {
	ts := startServer(t, t.TempDir())
	unlock := ts.s.ks.Locks().Lock(codec.MetaKey(0, []byte("k")))
	c := dialRaw(t, ts.addr)
	done := make(chan error, 1)
	go func() {
		_, err := c.do("WATCH", "k")
		done <- err
	}()
	// Until WATCH is seen waiting for the stripe; if it answers first, it
	// read the key under a writer's feet.
	for !waitingForStripe("server.cmdWatch") {
		select {
		case err := <-done:
			unlock()
			t.Fatalf("WATCH answered (err %v) while the key's stripe was held", err)
		default:
			runtime.Gosched()
		}
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitingForStripe reports whether some goroutine running caller is
// waiting for a lock stripe: its stack has sync.(*Mutex).Lock called from
// a codec.(*Locks) method (or the stripes' own lock, which counts their
// waiters), below which caller appears. Any other mutex (the
// engine's, a pool's) does not count, so a brief wait there is not taken
// for a stripe wait.
func waitingForStripe(caller string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		lines := bytes.Split(g, []byte("\n"))
		for i, l := range lines {
			// A frame is a function line then a file line.
			if !bytes.HasPrefix(l, []byte("sync.(*Mutex).Lock(")) || i+2 >= len(lines) ||
				!bytes.Contains(lines[i+2], []byte("codec.(*Locks).")) && !bytes.Contains(lines[i+2], []byte("codec.(*paddedMutex).lock(")) {
				continue
			}
			if bytes.Contains(bytes.Join(lines[i+2:], nil), []byte(caller)) {
				return true
			}
		}
	}
	return false
}

// TestExecKeys checks which transactions EXEC can lock key by key and
// which take every stripe.
func TestExecKeys(t *testing.T) {
	q := func(args ...string) queuedCmd {
		a := make([][]byte, len(args))
		for i, s := range args {
			a[i] = []byte(s)
		}
		cmd, errMsg := (&cmdCache{}).lookup(a)
		if errMsg != "" {
			t.Fatalf("%v: %s", args, errMsg)
		}
		return queuedCmd{cmd, a}
	}
	for _, tc := range []struct {
		queue []queuedCmd
		keys  []string // nil: every stripe
	}{
		{[]queuedCmd{q("INCR", "a"), q("GET", "b")}, []string{"a", "b"}},
		{[]queuedCmd{q("MSET", "a", "1", "b", "2"), q("DEL", "c", "d")}, []string{"a", "b", "c", "d"}},
		{[]queuedCmd{q("BLPOP", "a", "b", "0"), q("SMOVE", "s", "t", "m")}, []string{"a", "b", "s", "t"}},
		{[]queuedCmd{q("RENAME", "a", "b")}, []string{"a", "b"}},
		{[]queuedCmd{}, []string{}},
		{[]queuedCmd{q("INCR", "a"), q("DBSIZE")}, nil},
		{[]queuedCmd{q("PING"), q("INCR", "a"), q("ECHO", "x"), q("TIME")}, []string{"a"}},
		{[]queuedCmd{q("PING")}, []string{}},
		{[]queuedCmd{q("SELECT", "1"), q("INCR", "a")}, nil},
		{[]queuedCmd{q("ZUNIONSTORE", "d", "2", "a", "b")}, nil},
		{[]queuedCmd{q("LMPOP", "1", "a", "LEFT")}, nil},
		{[]queuedCmd{q("MOVE", "a", "1")}, nil},
		{[]queuedCmd{q("COPY", "a", "b", "DB", "1")}, nil},
		{[]queuedCmd{q("FLUSHDB")}, nil},
	} {
		mks, ok := execKeys(3, tc.queue)
		if ok != (tc.keys != nil) {
			t.Errorf("%v: key by key %v, want %v", tc.queue, ok, tc.keys != nil)
			continue
		}
		var got []string
		for _, mk := range mks {
			got = append(got, string(mk))
		}
		var want []string
		for _, k := range tc.keys {
			want = append(want, string(codec.MetaKey(3, []byte(k))))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: keys %q, want %q", tc.queue, got, want)
		}
	}
}

// TestExecLocksItsKeys checks that a transaction that names its keys takes
// only their stripes: it runs while another key's stripe is held, and
// waits while one of its own is held. A transaction with a keyless command
// waits for every stripe.
func TestExecLocksItsKeys(t *testing.T) {
	ts := startServer(t, t.TempDir())
	locks := ts.s.ks.Locks()
	mk := func(k string) []byte { return codec.MetaKey(0, []byte(k)) }
	// A key whose stripe none of the transaction's keys share.
	other := ""
	for i := 0; other == ""; i++ {
		k := fmt.Sprintf("other%d", i)
		if s := locks.Stripe(mk(k)); s != locks.Stripe(mk("a")) && s != locks.Stripe(mk("b")) {
			other = k
		}
	}
	c := dialRaw(t, ts.addr)
	exec := func(cmds ...[]string) chan error {
		done := make(chan error, 1)
		go func() {
			var err error
			for _, cmd := range append([][]string{{"MULTI"}}, append(cmds, []string{"EXEC"})...) {
				if _, err = c.do(cmd...); err != nil {
					break
				}
			}
			done <- err
		}()
		return done
	}

	// Only another key's stripe is held: EXEC must answer without ever
	// waiting for a stripe.
	unlock := locks.Lock(mk(other))
	done := exec([]string{"INCR", "a"}, []string{"GET", "b"})
	for answered := false; !answered; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			answered = true
		default:
			if waitingForStripe("server.cmdExec") {
				unlock()
				<-done
				t.Fatal("EXEC of INCR a, GET b waited for another key's stripe")
			}
			runtime.Gosched()
		}
	}

	for _, tc := range []struct {
		name string
		cmds [][]string
	}{
		{"its own key's stripe", [][]string{{"INCR", "a"}}},
		{"a keyless command", [][]string{{"INCR", "a"}, {"DBSIZE"}}},
	} {
		held := unlock
		if tc.name == "its own key's stripe" {
			unlock()
			held = locks.Lock(mk("a"))
		}
		done := exec(tc.cmds...)
		for !waitingForStripe("server.cmdExec") {
			select {
			case err := <-done:
				held()
				t.Fatalf("%s: EXEC answered (err %v) while a stripe it needs was held", tc.name, err)
			default:
				runtime.Gosched()
			}
		}
		held()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		unlock = locks.Lock(mk(other))
	}
	unlock()
}

// TestStripeLockRetriesAfterSwapDB: a SWAPDB between reading the database
// mapping and taking the stripes by it (beforeStripeLock) makes EXEC and a
// key batch take their stripes again, by the new mapping, and their
// writes land in the database the client has selected.
func TestStripeLockRetriesAfterSwapDB(t *testing.T) {
	ts := startServer(t, t.TempDir())
	calls := 0
	beforeStripeLock = func(s *Server) {
		if s != ts.s {
			return
		}
		calls++
		if calls == 1 {
			if err := s.ks.SwapDB(0, 1); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { beforeStripeLock = nil })

	c := dialRaw(t, ts.addr)
	c.mustDo(t, "MULTI")
	c.mustDo(t, "INCR", "x")
	if got := replyText([]resp.Value{c.mustDo(t, "EXEC")}); got != "[:1]" {
		t.Fatalf("EXEC: %s", got)
	}
	if calls != 2 {
		t.Fatalf("EXEC took its stripes %d times, want 2 (a SWAPDB came in between)", calls)
	}
	// The client's database 0 is the swapped-in one: x is there.
	if got := replyText([]resp.Value{c.mustDo(t, "GET", "x"), c.mustDo(t, "SELECT", "1"), c.mustDo(t, "EXISTS", "x"), c.mustDo(t, "SELECT", "0")}); got != "1 +OK :0 +OK" {
		t.Fatalf("GET x in 0, EXISTS x in 1: %s", got)
	}

	// A key batch: its first write runs alone, the SWAPDB comes before the
	// batch's stripe, and the batch writes to database 0 as it is then.
	calls = 0
	p := newPipeClient(t, ts.s)
	// (With an option: plain SETs would run as one MSET, coalesce.go.)
	got := replyText(p.send(t, []string{"SET", "k", "1", "KEEPTTL"}, []string{"SET", "k", "2", "KEEPTTL"}, []string{"APPEND", "k", "3"}))
	if got != "+OK +OK :2" {
		t.Fatalf("pipeline: %s", got)
	}
	if calls != 2 {
		t.Fatalf("the key batch took its stripe %d times, want 2", calls)
	}
	if got := replyText([]resp.Value{c.mustDo(t, "GET", "k"), c.mustDo(t, "SELECT", "1"), c.mustDo(t, "GET", "k")}); got != "23 +OK 1" {
		t.Fatalf("GET k in 0, in 1: %s, want 23 in 0 (the batch) and 1 in 1 (the lone SET, before the swap)", got)
	}
}
