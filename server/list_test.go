package server

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

func init() {
	diffFamilies = append(diffFamilies, &diffFamily{name: "list", gen: genListCommand})
}

// listElems is a small element alphabet so that LREM, LPOS and LINSERT
// find matches.
var listElems = []string{"a", "b", "c", "", "1"}

func (g *diffGen) listElem() string {
	if g.r.IntN(10) == 0 {
		return g.val()
	}
	return g.pick(listElems...)
}

// listIndex is an index or count argument: mostly small, in and out of
// range, sometimes extreme or not an integer.
func (g *diffGen) listIndex() string {
	if g.r.IntN(12) == 0 {
		return g.pick("x", "", "1.5", "+1", " 1", "-0", "9223372036854775807", "-9223372036854775808",
			"9223372036854775808", "00")
	}
	return strconv.Itoa(g.r.IntN(15) - 7)
}

func (g *diffGen) listEnd() string {
	if g.r.IntN(12) == 0 {
		return g.pick("middle", "", "LEFTX")
	}
	return g.pick("LEFT", "RIGHT", "left", "Right")
}

func (g *diffGen) listElems(n int) []string {
	var out []string
	for range n {
		out = append(out, g.listElem())
	}
	return out
}

func genListCommand(g *diffGen) []string {
	r := g.r
	k := g.key()
	switch r.IntN(26) {
	case 0, 1, 2:
		return append([]string{g.pick("LPUSH", "RPUSH", "lpush", "rpush"), k}, g.listElems(1+r.IntN(4))...)
	case 3:
		return append([]string{g.pick("LPUSHX", "RPUSHX"), k}, g.listElems(1+r.IntN(3))...)
	case 4, 5:
		a := []string{g.pick("LPOP", "RPOP"), k}
		if r.IntN(2) == 0 {
			a = append(a, g.pick("0", "1", "2", "3", "10", g.listIndex(), "-1", "x"))
		}
		if r.IntN(15) == 0 {
			a = append(a, "1") // too many arguments
		}
		return a
	case 6:
		return []string{"LLEN", k}
	case 7, 8:
		if r.IntN(2) == 0 {
			return []string{"LRANGE", k, "0", "-1"}
		}
		return []string{"LRANGE", k, g.listIndex(), g.listIndex()}
	case 9:
		return []string{"LINDEX", k, g.listIndex()}
	case 10:
		return []string{"LSET", k, g.listIndex(), g.listElem()}
	case 11:
		return []string{"LINSERT", k, g.pick("BEFORE", "AFTER", "before", "after", "bogus"), g.listElem(), g.listElem()}
	case 12:
		return []string{"LREM", k, g.pick("0", "1", "2", "-1", "-2", g.listIndex()), g.listElem()}
	case 13:
		return []string{"LTRIM", k, g.listIndex(), g.listIndex()}
	case 14:
		return g.lposCommand(k)
	case 15:
		return []string{"LMOVE", k, g.key(), g.listEnd(), g.listEnd()}
	case 16:
		if r.IntN(3) == 0 {
			return []string{"RPOPLPUSH", k, k}
		}
		return []string{"RPOPLPUSH", k, g.key()}
	case 17:
		return g.lmpopCommand()
	case 18:
		return g.listWrongArity(k)
	case 19:
		return []string{g.pick("TYPE", "EXISTS", "TTL"), k}
	case 21, 22, 23, 24:
		// The string commands mixed in turn keys into strings for good;
		// deleting often keeps most keys lists.
		return []string{"DEL", k}
	case 20:
		if r.IntN(2) == 0 {
			return []string{"EXPIRE", k, g.pick("100", "0", "-1")}
		}
		return []string{g.pick("RENAME", "COPY"), k, g.key()}
	}
	return []string{"SET", k, g.val()}
}

func (g *diffGen) lposCommand(k string) []string {
	a := []string{"LPOS", k, g.listElem()}
	for n := g.r.IntN(4); n > 0; n-- {
		switch g.r.IntN(7) {
		case 0, 1:
			a = append(a, "RANK", g.pick("1", "2", "-1", "-2", "3", "0", "-9223372036854775808", "9223372036854775807", "x"))
		case 2, 3:
			a = append(a, g.pick("COUNT", "count"), g.pick("0", "1", "2", "5", "-1", "x"))
		case 4, 5:
			a = append(a, "MAXLEN", g.pick("0", "1", "2", "4", "-1", "x"))
		case 6:
			a = append(a, g.pick("BOGUS", "RANK", "COUNT"))
		}
	}
	return a
}

func (g *diffGen) lmpopCommand() []string {
	n := 1 + g.r.IntN(3)
	a := []string{"LMPOP", strconv.Itoa(n)}
	for range n {
		a = append(a, g.key())
	}
	a = append(a, g.listEnd())
	switch g.r.IntN(8) {
	case 0, 1, 2:
		a = append(a, g.pick("COUNT", "count"), g.pick("1", "2", "5", "0", "-1", "x", "9223372036854775807"))
	case 3:
		a = append(a, "COUNT", "2", g.pick("COUNT", "junk"), "1")
	case 4:
		a = append(a, g.pick("COUNT", "junk"))
	case 5:
		a[1] = g.pick("0", "-1", "x", "4", "9223372036854775807", strconv.Itoa(n+1))
	}
	return a
}

// listWrongArity returns a list command with a wrong number of arguments.
func (g *diffGen) listWrongArity(k string) []string {
	return g.pick2(
		[]string{"LPUSH", k}, []string{"RPUSHX", k}, []string{"LPOP"}, []string{"RPOP", k, "1", "2"},
		[]string{"LLEN"}, []string{"LLEN", k, k}, []string{"LRANGE", k, "0"}, []string{"LINDEX", k},
		[]string{"LSET", k, "0"}, []string{"LINSERT", k, "BEFORE", "a"}, []string{"LREM", k, "0"},
		[]string{"LTRIM", k, "0", "1", "2"}, []string{"LPOS", k}, []string{"LMOVE", k, k, "LEFT"},
		[]string{"RPOPLPUSH", k}, []string{"LMPOP", "1", k}, []string{"LMPOP", "1"}, []string{"lmove"},
	)
}

// TestListCommandInfo checks the key positions and flags COMMAND INFO
// reports for the list commands, as Redis 7.0 does (LMPOP's keys follow
// numkeys: 0 0 0 and movablekeys).
func TestListCommandInfo(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := redis.NewClient(&redis.Options{Addr: ts.addr, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()
	for _, want := range []struct {
		name              string
		arity             int64
		flag              string
		first, last, step int64
	}{
		{"lpush", -3, "denyoom", 1, 1, 1}, {"lpop", -2, "fast", 1, 1, 1}, {"lrange", 4, "readonly", 1, 1, 1},
		{"lmove", 5, "write", 1, 2, 1}, {"rpoplpush", 3, "denyoom", 1, 2, 1}, {"lmpop", -4, "movablekeys", 0, 0, 0},
	} {
		info, err := c.Do(ctx, "command", "info", want.name).Slice()
		if err != nil || len(info) != 1 {
			t.Fatalf("COMMAND INFO %s: %v %v", want.name, info, err)
		}
		e := info[0].([]any)
		var flags []string
		for _, f := range e[2].([]any) {
			flags = append(flags, f.(string))
		}
		if e[1] != want.arity || !slices.Contains(flags, want.flag) || e[3] != want.first || e[4] != want.last || e[5] != want.step {
			t.Errorf("COMMAND INFO %s: %v", want.name, e)
		}
	}
}

// TestListEdgesAgainstRedis runs a fixed script of list edge cases, in RESP2
// and RESP3, on Redis and on Strata and requires the same replies: the
// nil kinds of LPOP and LMPOP, errors that depend on the key's existence,
// option parsing, and Redis 7.0's treatment of RANK -2^63 in LPOS.
func TestListEdgesAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	script := [][]string{
		{"RPUSH", "l", "a", "b", "a", "c", "a"}, {"SET", "s", "x"},
		{"LPOP", "none"}, {"LPOP", "none", "0"}, {"LPOP", "none", "2"}, {"LPOP", "l", "0"}, {"LPOP", "s", "0"},
		{"LPOP", "none", "x"}, {"LPOP", "s", "-1"}, {"RPOP", "l", "1", "2"},
		{"LPOS", "l", "a", "RANK", "-9223372036854775808"},
		{"LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1"},
		{"LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "2", "MAXLEN", "3"},
		{"LPOS", "l", "a", "RANK", "9223372036854775807"}, {"LPOS", "l", "a", "RANK", "-2", "COUNT", "0"},
		{"LPOS", "l", "a", "COUNT", "0", "MAXLEN", "3"}, {"LPOS", "l", "a", "RANK", "2", "RANK", "1"},
		{"LPOS", "none", "a"}, {"LPOS", "none", "a", "COUNT", "0"}, {"LPOS", "none", "a", "RANK", "0"},
		{"LPOS", "s", "a"}, {"LPOS", "s", "a", "COUNT", "x"}, {"LPOS", "l", "a", "RANK"}, {"LPOS", "l", "a", "bogus", "1"},
		{"LINDEX", "none", "x"}, {"LINDEX", "s", "x"}, {"LINDEX", "l", "x"}, {"LINDEX", "l", "-5"},
		{"LSET", "none", "x", "v"}, {"LSET", "s", "x", "v"}, {"LSET", "l", "x", "v"}, {"LSET", "l", "5", "v"},
		{"LINSERT", "none", "middle", "a", "b"}, {"LINSERT", "none", "before", "a", "b"}, {"LINSERT", "l", "AFTER", "z", "b"},
		{"LREM", "none", "x", "a"}, {"LREM", "l", "-9223372036854775808", "a"}, {"LRANGE", "l", "0", "-1"},
		{"LMOVE", "none", "s", "LEFT", "LEFT"}, {"LMOVE", "l", "s", "LEFT", "LEFT"}, {"LMOVE", "l", "m", "up", "left"},
		{"LMOVE", "l", "l", "LEFT", "RIGHT"},
		{"LMPOP", "0", "l", "LEFT"}, {"LMPOP", "x", "l", "LEFT"}, {"LMPOP", "2", "l", "LEFT"}, {"LMPOP", "1", "l", "MIDDLE"},
		{"LMPOP", "1", "l", "LEFT", "COUNT", "0"}, {"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"},
		{"LMPOP", "1", "l", "LEFT", "junk"}, {"LMPOP", "9223372036854775807", "l", "LEFT"},
		{"LMPOP", "1", "none", "LEFT"}, {"LMPOP", "2", "none", "s", "LEFT"}, {"LMPOP", "2", "l", "s", "RIGHT", "COUNT", "9"},
		{"EXISTS", "l"}, {"LPUSHX", "l", "a"}, {"RPUSH", "s", "a"}, {"LTRIM", "none", "x", "1"}, {"LTRIM", "none", "0", "1"},
	}
	for _, proto := range []string{"2", "3"} {
		d := &diffRun{t: t, redis: dialRaw(t, redisAddr), strata: dialRaw(t, ts.addr)}
		d.both("FLUSHALL")
		d.both("HELLO", proto)
		for i, args := range script {
			want := d.redis.mustDo(t, args...)
			got := d.strata.mustDo(t, args...)
			if want.String() != got.String() {
				t.Errorf("RESP%s step %d: %s\n  redis:  %s\n  strata: %s", proto, i, quoteArgs(args), want, got)
			}
		}
	}
}
