package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() {
	diffFamilies = append(diffFamilies, &diffFamily{name: "blocking", gen: genBlockingCommand})
}

// genBlockingCommand: blocking pops with short timeouts (one connection:
// they are served at once or time out on both servers), bad timeouts and
// arities, and pushes that feed them.
func genBlockingCommand(g *diffGen) []string {
	r := g.r
	timeout := g.pick("0.01", "0.01", "0.02", "-1", "abc", "inf", "1e400", "")
	switch r.IntN(11) {
	case 0, 1:
		return []string{g.pick("RPUSH", "LPUSH"), g.key(), g.val(), g.val()}
	case 8:
		return []string{"ZADD", g.key(), g.pick("1", "2.5", "-inf"), g.val()}
	case 9:
		return []string{g.pick("BZPOPMIN", "BZPOPMAX"), g.key(), g.key(), timeout}
	case 10:
		a := []string{"BZMPOP", timeout, g.pick("1", "2", "0", "x"), g.key(), g.key(), g.pick("MIN", "MAX", "LEFT")}
		if r.IntN(2) == 0 {
			a = append(a, "COUNT", g.pick("1", "3", "0"))
		}
		return a
	case 2:
		return []string{g.pick("BLPOP", "BRPOP"), g.key(), g.key(), timeout}
	case 3:
		return []string{"BLMOVE", g.key(), g.key(), g.pick("LEFT", "RIGHT", "up"), g.pick("LEFT", "right"), timeout}
	case 4:
		return []string{"BRPOPLPUSH", g.key(), g.key(), timeout}
	case 5:
		a := []string{"BLMPOP", timeout, g.pick("1", "2", "0", "3", "x"), g.key(), g.key(), g.pick("LEFT", "RIGHT", "MIDDLE")}
		if r.IntN(2) == 0 {
			a = append(a, "COUNT", g.pick("1", "2", "10", "0", "-1"))
		}
		return a
	case 6:
		return []string{g.pick("BLPOP", "BLMOVE", "BLMPOP"), g.key()} // wrong arity
	}
	return []string{g.pick("LRANGE"), g.key(), "0", "-1"}
}

func blockedClients(t *testing.T, c *rawConn) int {
	t.Helper()
	info := c.mustDo(t, "INFO", "clients").Str
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no blocked_clients in INFO")
	return 0
}

func TestBlockingPops(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctl := dialRaw(t, ts.addr)
	waitBlocked := func(n int) {
		t.Helper()
		waitUntil(t, 10*time.Second, "clients to block", func() bool { return blockedClients(t, ctl) == n })
	}

	// Served in the order they blocked, one element each.
	var cs []*rawConn
	for i := range 3 {
		c := dialRaw(t, ts.addr)
		c.send(t, "BLPOP", "nothing", "q", "0")
		waitBlocked(i + 1)
		cs = append(cs, c)
	}
	mustStr(t, ctl.mustDo(t, "RPUSH", "q", "a", "b", "c", "d"), `:4`)
	for i, want := range []string{`["q" "a"]`, `["q" "b"]`, `["q" "c"]`} {
		mustStr(t, cs[i].read(t), want)
	}
	mustStr(t, ctl.mustDo(t, "LRANGE", "q", "0", "-1"), `["d"]`)
	waitBlocked(0)

	// Timeout: a null array after at least the timeout.
	start := time.Now()
	mustStr(t, cs[0].mustDo(t, "BRPOP", "empty", "0.05"), `(nil array)`)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("BRPOP timed out after %v", el)
	}

	// A chain: BLMOVE feeds a list another client waits on.
	cs[0].send(t, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	waitBlocked(1)
	cs[1].send(t, "BLPOP", "dst", "0")
	waitBlocked(2)
	ctl.mustDo(t, "LPUSH", "src", "x")
	mustStr(t, cs[0].read(t), `"x"`)
	mustStr(t, cs[1].read(t), `["dst" "x"]`)
	mustStr(t, ctl.mustDo(t, "EXISTS", "src", "dst"), `:0`)

	// BLMPOP with a count; BRPOPLPUSH.
	cs[0].send(t, "BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "5")
	waitBlocked(1)
	ctl.mustDo(t, "RPUSH", "m2", "1", "2", "3")
	mustStr(t, cs[0].read(t), `["m2" ["3" "2" "1"]]`)
	cs[0].send(t, "BRPOPLPUSH", "r", "r2", "0")
	waitBlocked(1)
	ctl.mustDo(t, "RPUSH", "r", "1", "2")
	mustStr(t, cs[0].read(t), `"2"`)
	mustStr(t, ctl.mustDo(t, "LRANGE", "r2", "0", "-1"), `["2"]`)

	// A key of another type: WRONGTYPE at once; a waiter stays blocked
	// while the key holds another type, and is served when it is a list.
	ctl.mustDo(t, "SET", "s", "v")
	mustStr(t, cs[0].mustDo(t, "BLPOP", "s", "0"), `-WRONGTYPE Operation against a key holding the wrong kind of value`)
	cs[0].send(t, "BLPOP", "w", "0")
	waitBlocked(1)
	ctl.mustDo(t, "SET", "w", "string")
	ctl.mustDo(t, "DEL", "w")
	ctl.mustDo(t, "RPUSH", "w", "ok")
	mustStr(t, cs[0].read(t), `["w" "ok"]`)

	// Inside MULTI, blocking commands do not block.
	cs[0].mustDo(t, "MULTI")
	cs[0].mustDo(t, "BLPOP", "empty", "0")
	cs[0].mustDo(t, "RPUSH", "empty", "1")
	cs[0].mustDo(t, "BLPOP", "empty", "0")
	mustStr(t, cs[0].mustDo(t, "EXEC"), `[(nil array) :1 ["empty" "1"]]`)

	// A client that goes away while blocked takes nothing with it.
	gone := dialRaw(t, ts.addr)
	gone.send(t, "BLPOP", "keep", "0")
	waitBlocked(1)
	gone.conn.Close()
	waitBlocked(0)
	ctl.mustDo(t, "RPUSH", "keep", "v")
	mustStr(t, ctl.mustDo(t, "LRANGE", "keep", "0", "-1"), `["v"]`)

	// Commands pipelined behind a blocking one run after it is served.
	cs[2].send(t, "BLPOP", "p", "0")
	cs[2].send(t, "GET", "after")
	waitBlocked(1)
	ctl.mustDo(t, "SET", "after", "yes")
	ctl.mustDo(t, "RPUSH", "p", "1")
	mustStr(t, cs[2].read(t), `["p" "1"]`)
	mustStr(t, cs[2].read(t), `"yes"`)

	// Sorted sets: BZPOPMIN serves the lowest score; BZMPOP a count.
	cs[0].send(t, "BZPOPMIN", "z", "0")
	waitBlocked(1)
	ctl.mustDo(t, "ZADD", "z", "3", "c", "1", "a", "2", "b")
	mustStr(t, cs[0].read(t), `["z" "a" "1"]`)
	cs[0].send(t, "BZMPOP", "0", "2", "z0", "z", "MAX", "COUNT", "5")
	mustStr(t, cs[0].read(t), `["z" [["c" "3"] ["b" "2"]]]`)
	cs[0].send(t, "BZPOPMAX", "z", "0")
	waitBlocked(1)
	ctl.mustDo(t, "ZADD", "z", "7", "x")
	mustStr(t, cs[0].read(t), `["z" "x" "7"]`)

	// Bad timeouts.
	mustStr(t, ctl.mustDo(t, "BLPOP", "k", "-1"), `-ERR timeout is negative`)
	mustStr(t, ctl.mustDo(t, "BLPOP", "k", "x"), `-ERR timeout is not a float or out of range`)
}
