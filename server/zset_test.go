package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func init() {
	diffFamilies = append(diffFamilies, &diffFamily{name: "zset", gen: genZSetCommand})
	diffCompare["zrandmember"] = sameRandField
}

// Small alphabets, so that sorted sets collide and share members. Members
// include a prefix of another ("a", "ab") and the empty string, which lex
// ranges treat specially; scores include the infinities, both zeros,
// numbers whose text is long in %.17g (0.1), and huge ones.
var (
	zsetMembers = []string{"a", "b", "c", "d", "ab", "e", "1", "", "b\x00"}
	zsetScores  = []string{"0", "-0", "1", "2", "3", "-1", "1.5", "0.1", "-2.5", "inf", "-inf", "+inf",
		"1e300", "-1e300", "100", "0x10", "5e-324"}
	zsetBadScores = []string{"abc", "nan", "", " 1", "1 ", "1e400", "-1e400", "1e-400", "infinit", "(1", "1x"}
	// Score and lex bounds in ascending order, so that ranges can be
	// picked non-empty more often than not.
	zsetScoreBounds = []string{"-inf", "(-inf", "-1e300", "-1", "(-1", "-0", "", "(", "0", "(0", "0.1", "(0.1",
		" 1", "1", "(1", "1.5", "2", "(2", "3", "(3", "1e300", "inf", "+inf", "(+inf"}
	zsetBadBounds = []string{"abc", "nan", "1 ", "((1", "[1", "(nan", "1x"}
	zsetLexBounds = []string{"-", "[", "(", "[1", "[a", "(a", "[ab", "(ab", "[b", "(b", "[c", "(c", "(d", "[e", "+"}
	zsetBadLex    = []string{"a", "x", "+x", "-a", "", "1"}
)

// zsetKey is mostly one of a few sorted-set keys, sometimes a set key (a
// source of ZUNION and friends, WRONGTYPE elsewhere) or a shared key of
// the string commands.
func (g *diffGen) zsetKey() string {
	switch n := g.r.IntN(20); {
	case n < 16:
		return "z" + strconv.Itoa(g.r.IntN(4))
	case n < 18:
		return "s" + strconv.Itoa(g.r.IntN(2))
	}
	return g.key()
}

func (g *diffGen) zsetMember() string { return g.pick(zsetMembers...) }

func (g *diffGen) zsetScore() string {
	if g.r.IntN(40) == 0 {
		return g.pick(zsetBadScores...)
	}
	if g.r.IntN(3) == 0 {
		return strconv.Itoa(g.r.IntN(7) - 3)
	}
	return g.pick(zsetScores...)
}

// orderedPair picks two bounds from an ascending list: in order two times
// out of three, at random otherwise; a bad one now and then. rev returns
// them as max, min (the REV forms).
func (g *diffGen) orderedPair(list, bad []string, rev bool) []string {
	i, j := g.r.IntN(len(list)), g.r.IntN(len(list))
	if i > j && g.r.IntN(3) != 0 {
		i, j = j, i
	}
	lo, hi := list[i], list[j]
	if g.r.IntN(20) == 0 {
		lo = g.pick(bad...)
	} else if g.r.IntN(20) == 0 {
		hi = g.pick(bad...)
	}
	if rev {
		return []string{hi, lo}
	}
	return []string{lo, hi}
}

func (g *diffGen) zsetScoreRange(rev bool) []string {
	return g.orderedPair(zsetScoreBounds, zsetBadBounds, rev)
}

func (g *diffGen) zsetLexRange(rev bool) []string {
	return g.orderedPair(zsetLexBounds, zsetBadLex, rev)
}

func (g *diffGen) zsetRank() string {
	if g.r.IntN(20) == 0 {
		return g.pick("x", "1.5", "", "9223372036854775807", "-9223372036854775808")
	}
	return strconv.Itoa(g.r.IntN(13) - 6)
}

// zsetLimit returns a LIMIT clause, sometimes a bad one.
func (g *diffGen) zsetLimit() []string {
	switch g.r.IntN(12) {
	case 0:
		return []string{"LIMIT", g.pick("x", "1.5", ""), "1"}
	case 1:
		return []string{"LIMIT", "0", g.pick("x", "")}
	case 2:
		return []string{"LIMIT", "0"}
	}
	return []string{g.pick("LIMIT", "limit"), strconv.Itoa(g.r.IntN(5) - 1), strconv.Itoa(g.r.IntN(5) - 1)}
}

// zsetKeys returns numkeys and 1 to 3 source keys, sometimes a wrong
// numkeys.
func (g *diffGen) zsetKeys() []string {
	ks := []string{g.zsetKey()}
	for n := g.r.IntN(3); n > 0; n-- {
		ks = append(ks, g.zsetKey())
	}
	num := strconv.Itoa(len(ks))
	if g.r.IntN(15) == 0 {
		num = g.pick("0", "-1", "x", strconv.Itoa(len(ks)+1), "9223372036854775807")
	}
	return append([]string{num}, ks...)
}

// zsetOpOptions returns options of ZUNION/ZINTER/ZDIFF for n keys.
func (g *diffGen) zsetOpOptions(n int, withScores bool) []string {
	var a []string
	for m := g.r.IntN(4); m > 0; m-- {
		switch g.r.IntN(7) {
		case 0, 1:
			a = append(a, g.pick("WEIGHTS", "weights"))
			for i := 0; i < n; i++ {
				if g.r.IntN(20) == 0 {
					a = append(a, g.pick("x", "nan", ""))
					continue
				}
				a = append(a, g.pick("1", "2", "-1", "0", "0.5", "inf", "-inf", "0.1", "3"))
			}
			if g.r.IntN(10) == 0 {
				a = a[:len(a)-1] // one weight short
			}
		case 2, 3:
			a = append(a, g.pick("AGGREGATE", "aggregate"), g.pick("SUM", "MIN", "MAX", "min", "max", "avg"))
		case 4:
			if withScores {
				a = append(a, g.pick("WITHSCORES", "withscores"))
			}
		case 5:
			a = append(a, g.pick("bogus", "AGGREGATE", "WEIGHTS", "LIMIT"))
		}
	}
	return a
}

func genZSetCommand(g *diffGen) []string {
	r := g.r
	k := g.zsetKey()
	switch r.IntN(34) {
	case 0, 1, 2, 3:
		a := []string{g.pick("ZADD", "zadd"), k}
		if r.IntN(3) == 0 {
			for m := 1 + r.IntN(2); m > 0; m-- {
				a = append(a, g.pick("NX", "XX", "GT", "LT", "CH", "INCR", "ch", "gt"))
			}
		}
		for n := 1 + r.IntN(4); n > 0; n-- {
			a = append(a, g.zsetScore(), g.zsetMember())
		}
		if r.IntN(20) == 0 {
			a = a[:len(a)-1] // a score without its member
		}
		return a
	case 4:
		a := []string{"ZADD", k, "INCR", g.zsetScore(), g.zsetMember()}
		if r.IntN(2) == 0 {
			a = []string{"ZADD", k, g.pick("NX", "XX", "GT", "LT"), "INCR", g.zsetScore(), g.zsetMember()}
		}
		return a
	case 5, 6:
		return []string{"ZINCRBY", k, g.zsetScore(), g.zsetMember()}
	case 7:
		a := []string{"ZREM", k}
		for n := 1 + r.IntN(3); n > 0; n-- {
			a = append(a, g.zsetMember())
		}
		return a
	case 8:
		return []string{g.pick("ZSCORE", "ZRANK", "ZREVRANK"), k, g.zsetMember()}
	case 9:
		return []string{"ZMSCORE", k, g.zsetMember(), g.zsetMember(), g.zsetMember()}
	case 10:
		return []string{"ZCARD", k}
	case 11:
		return append([]string{"ZCOUNT", k}, g.zsetScoreRange(false)...)
	case 12:
		return append([]string{"ZLEXCOUNT", k}, g.zsetLexRange(false)...)
	case 13, 14, 15:
		return g.zrangeArgs([]string{g.pick("ZRANGE", "zrange"), k}, false)
	case 16:
		return g.zrangeArgs([]string{"ZRANGESTORE", g.pick(k, g.zsetKey()), g.zsetKey()}, true)
	case 17:
		name := g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE")
		a := append([]string{name, k}, g.zsetScoreRange(strings.HasPrefix(name, "ZREV"))...)
		return g.zrangeTail(a, true, true)
	case 18:
		name := g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX")
		a := append([]string{name, k}, g.zsetLexRange(strings.HasPrefix(name, "ZREV"))...)
		return g.zrangeTail(a, r.IntN(10) == 0, true)
	case 19:
		return g.zrangeTail([]string{"ZREVRANGE", k, g.zsetRank(), g.zsetRank()}, true, r.IntN(8) == 0)
	case 20:
		switch r.IntN(3) {
		case 0:
			return []string{"ZREMRANGEBYRANK", k, g.zsetRank(), g.zsetRank()}
		case 1:
			return append([]string{"ZREMRANGEBYSCORE", k}, g.zsetScoreRange(false)...)
		}
		return append([]string{"ZREMRANGEBYLEX", k}, g.zsetLexRange(false)...)
	case 21, 22:
		a := []string{g.pick("ZPOPMIN", "ZPOPMAX"), k}
		switch r.IntN(4) {
		case 0:
			a = append(a, strconv.Itoa(r.IntN(4)))
		case 1:
			a = append(a, g.pick("-1", "x", "1.5", "", "9223372036854775807"))
		case 2:
			a = append(a, "1", "2")
		}
		return a
	case 23:
		ks := g.zsetKeys()
		a := append([]string{"ZMPOP"}, ks...)
		a = append(a, g.pick("MIN", "MAX", "min", "max", "mid"))
		switch r.IntN(5) {
		case 0, 1:
			a = append(a, g.pick("COUNT", "count"), strconv.Itoa(1+r.IntN(4)))
		case 2:
			a = append(a, "COUNT", g.pick("0", "-1", "x", "9223372036854775807"))
		case 3:
			a = append(a, g.pick("COUNT", "bogus"))
		}
		return a
	case 24:
		switch r.IntN(4) {
		case 0:
			return []string{"ZRANDMEMBER", k}
		case 1:
			return []string{"ZRANDMEMBER", k, strconv.Itoa(r.IntN(12) - 6)}
		case 2:
			return []string{"ZRANDMEMBER", k, strconv.Itoa(r.IntN(12) - 6), g.pick("WITHSCORES", "withscores", "bogus")}
		}
		// Not a huge valid count: Redis would reply with that many members.
		return []string{"ZRANDMEMBER", k, g.pick("x", "-9223372036854775808", "4611686018427387904",
			"-4611686018427387904", "1.5"), g.pick("WITHSCORES", "1")}
	case 25, 26:
		name := g.pick("ZUNION", "ZINTER", "ZDIFF", "zunion")
		ks := g.zsetKeys()
		return append(append([]string{name}, ks...), g.zsetOpOptions(len(ks)-1, true)...)
	case 27, 28:
		name := g.pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
		ks := g.zsetKeys()
		dst := k
		if r.IntN(2) == 0 {
			dst = ks[1+r.IntN(len(ks)-1)] // the destination among the sources
		}
		return append(append([]string{name, dst}, ks...), g.zsetOpOptions(len(ks)-1, r.IntN(10) == 0)...)
	case 29:
		a := append([]string{"ZINTERCARD"}, g.zsetKeys()...)
		switch r.IntN(6) {
		case 0, 1:
			a = append(a, "LIMIT", g.pick("0", "1", "2", "100"))
		case 2:
			a = append(a, "LIMIT", g.pick("-1", "x", ""))
		case 3:
			a = append(a, g.pick("LIMIT", "bogus", "WITHSCORES"))
		}
		return a
	case 30:
		// Cursor 0 (compared by a full iteration) or an invalid one: Redis
		// answers any cursor on a small sorted set with all of it, in score
		// order, while Strata walks members in byte order and restarts
		// from an unknown cursor.
		a := []string{"ZSCAN", k, g.pick("0", "0", "0", "abc")}
		if r.IntN(2) == 0 {
			a = append(a, "MATCH", g.pick("*", "a*", "?", "[a-c]", "x"))
		}
		if r.IntN(3) == 0 {
			a = append(a, "COUNT", g.pick("100", "1", "0", "x"))
		}
		if r.IntN(10) == 0 {
			a = append(a, g.pick("TYPE", "MATCH", "COUNT"))
		}
		return a
	case 31:
		return g.zsetWrongArity(k)
	case 32:
		switch r.IntN(6) {
		case 0:
			return []string{"SADD", "s" + strconv.Itoa(r.IntN(2)), g.zsetMember(), g.zsetMember()}
		case 1:
			return []string{g.pick("DEL", "TYPE", "EXISTS", "TTL"), k}
		case 2:
			return []string{"EXPIRE", k, strconv.FormatInt(g.relSeconds(), 10)}
		case 3:
			return []string{"RENAME", k, g.zsetKey()}
		case 4:
			a := []string{"COPY", k, g.zsetKey()}
			if r.IntN(2) == 0 {
				a = append(a, "REPLACE")
			}
			return a
		}
		return []string{"SET", g.key(), g.val()}
	}
	// A sorted set with one score, where lex ranges are meaningful.
	a := []string{"ZADD", k}
	s := g.pick("0", "1", "-inf")
	for n := 1 + r.IntN(5); n > 0; n-- {
		a = append(a, s, g.zsetMember())
	}
	return a
}

// zrangeArgs completes ZRANGE or ZRANGESTORE with a range of any kind and
// options in random order.
func (g *diffGen) zrangeArgs(a []string, store bool) []string {
	var opts []string
	rev := g.r.IntN(2) == 0
	if rev {
		opts = append(opts, g.pick("REV", "rev"))
	}
	kind := g.r.IntN(3)
	switch kind {
	case 0:
		a = append(a, g.zsetRank(), g.zsetRank())
	case 1:
		a = append(a, g.zsetScoreRange(rev)...)
		opts = append(opts, g.pick("BYSCORE", "byscore"))
	default:
		a = append(a, g.zsetLexRange(rev)...)
		opts = append(opts, "BYLEX")
	}
	if g.r.IntN(20) == 0 {
		opts = opts[:0] // bounds that may not parse as ranks
	}
	if (kind == 0 && g.r.IntN(10) == 0) || (kind != 0 && g.r.IntN(2) == 0) {
		opts = append(opts, "\x00limit") // LIMIT with a rank range is an error
	}
	withScores := g.r.IntN(3) == 0
	if kind == 2 || store {
		withScores = g.r.IntN(10) == 0 // an error with BYLEX or a STORE
	}
	if withScores {
		opts = append(opts, "WITHSCORES")
	}
	if g.r.IntN(20) == 0 {
		opts = append(opts, g.pick("BYSCORE", "BYLEX", "REV", "bogus", "LIMIT"))
	}
	g.r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	for _, o := range opts {
		if o == "\x00limit" {
			a = append(a, g.zsetLimit()...)
		} else {
			a = append(a, o)
		}
	}
	return a
}

// zrangeTail adds WITHSCORES and LIMIT to an older range form.
func (g *diffGen) zrangeTail(a []string, withScores, limit bool) []string {
	if withScores && g.r.IntN(2) == 0 {
		a = append(a, g.pick("WITHSCORES", "withscores"))
	}
	if limit && g.r.IntN(2) == 0 {
		a = append(a, g.zsetLimit()...)
	}
	if g.r.IntN(25) == 0 {
		a = append(a, g.pick("REV", "BYSCORE", "bogus"))
	}
	return a
}

// zsetWrongArity returns a sorted-set command with a wrong number of
// arguments.
func (g *diffGen) zsetWrongArity(k string) []string {
	return g.pick2(
		[]string{"ZADD", k}, []string{"ZADD", k, "1"}, []string{"ZADD", k, "NX"}, []string{"ZINCRBY", k, "1"},
		[]string{"ZINCRBY", k, "1", "a", "b"}, []string{"ZREM", k}, []string{"ZSCORE", k}, []string{"ZMSCORE", k},
		[]string{"ZCARD"}, []string{"ZCARD", k, k}, []string{"ZCOUNT", k, "0"}, []string{"ZLEXCOUNT", k, "-"},
		[]string{"ZRANGE", k, "0"}, []string{"ZRANGESTORE", k, k, "0"}, []string{"ZRANGEBYSCORE", k, "0"},
		[]string{"ZREVRANGEBYSCORE", k}, []string{"ZRANGEBYLEX", k, "-"}, []string{"ZREVRANGEBYLEX", k, "+"},
		[]string{"ZREVRANGE", k, "0"}, []string{"ZRANK", k}, []string{"ZREVRANK", k, "a", "b"},
		[]string{"ZREMRANGEBYRANK", k, "0"}, []string{"ZREMRANGEBYSCORE", k}, []string{"ZREMRANGEBYLEX", k, "-", "+", "x"},
		[]string{"ZPOPMIN"}, []string{"ZPOPMAX"}, []string{"ZMPOP", "1", k}, []string{"ZMPOP", "1"},
		[]string{"ZRANDMEMBER"}, []string{"ZUNION", "1"}, []string{"ZINTER"}, []string{"ZDIFF", "1"},
		[]string{"ZUNIONSTORE", k, "1"}, []string{"ZINTERSTORE", k}, []string{"ZDIFFSTORE", k, "1"},
		[]string{"ZINTERCARD", "1"}, []string{"ZSCAN", k}, []string{"zadd"},
	)
}

var zsetCommandNames = []string{
	"zadd", "zincrby", "zrem", "zscore", "zmscore", "zcard", "zcount", "zlexcount", "zrange", "zrangestore",
	"zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zrevrange", "zrank", "zrevrank",
	"zremrangebyrank", "zremrangebyscore", "zremrangebylex", "zpopmin", "zpopmax", "zmpop", "zrandmember",
	"zunion", "zinter", "zdiff", "zunionstore", "zinterstore", "zdiffstore", "zintercard", "zscan",
}

// TestZSetCommandTable compares the sorted-set commands' COMMAND INFO
// (arity, flags, key positions) and COMMAND DOCS (summary, since, group)
// with redis-server's.
func TestZSetCommandTable(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	want, got := dialRaw(t, redisAddr), dialRaw(t, ts.addr)
	info := func(c *rawConn, name string) string {
		v := c.mustDo(t, "COMMAND", "INFO", name)
		if len(v.Elems) != 1 || len(v.Elems[0].Elems) < 6 {
			return "malformed: " + v.String()
		}
		e := v.Elems[0].Elems
		return fmt.Sprintf("%d %v %d %d %d", e[1].Int, sortedStrs(e[2].Elems), e[3].Int, e[4].Int, e[5].Int)
	}
	docs := func(c *rawConn, name string) string {
		v := c.mustDo(t, "COMMAND", "DOCS", name)
		if len(v.Elems) != 2 {
			return "malformed: " + v.String()
		}
		fields := map[string]string{}
		for i := 0; i+1 < len(v.Elems[1].Elems); i += 2 {
			fields[v.Elems[1].Elems[i].Str] = v.Elems[1].Elems[i+1].String()
		}
		return fmt.Sprint(fields["summary"], " ", fields["since"], " ", fields["group"])
	}
	for _, name := range zsetCommandNames {
		if w, g := info(want, name), info(got, name); w != g {
			t.Errorf("COMMAND INFO %s: %s, want %s", name, g, w)
		}
		if w, g := docs(want, name), docs(got, name); w != g {
			t.Errorf("COMMAND DOCS %s: %s, want %s", name, g, w)
		}
	}
}

// TestZSetEdgesAgainstRedis runs a fixed script of sorted-set edge cases,
// in RESP2 and RESP3, on Redis and on Strata and requires the same
// replies: signed zeros (stored as 0, replied as computed), NaN results,
// the text of doubles, strtod's quirks in range bounds, option conflicts
// and their order against WRONGTYPE, LIMIT with a rank range, sets as
// sources, numkeys at the edges, and the nil kinds of ZPOP and ZMPOP.
func TestZSetEdgesAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	script := [][]string{
		{"ZADD", "z", "1", "a", "0.1", "b", "1e20", "c", "-inf", "d", "-0", "e", "3", "f", "0x10", "g"},
		{"SET", "str", "x"}, {"SADD", "set", "a", "b", "x"},
		{"ZRANGE", "z", "0", "-1", "WITHSCORES"}, {"ZSCORE", "z", "e"}, {"ZSCORE", "z", "b"}, {"ZMSCORE", "z", "c", "nope", "d"},
		{"ZINCRBY", "z", "-0", "new"}, {"ZSCORE", "z", "new"}, {"ZINCRBY", "z", "inf", "a"}, {"ZINCRBY", "z", "-inf", "a"},
		{"ZADD", "z", "INCR", "-inf", "a"}, {"ZADD", "z", "XX", "INCR", "1", "missing"}, {"ZADD", "z", "GT", "INCR", "-1", "f"},
		{"ZADD", "z", "NX", "XX", "1", "a"}, {"ZADD", "z", "GT", "LT", "1", "a"}, {"ZADD", "z", "NX", "GT", "1", "a"},
		{"ZADD", "z", "INCR", "1", "a", "2", "b"}, {"ZADD", "z", "CH", "5", "a", "5", "a", "6", "zz"}, {"ZADD", "z", "1", "a", "x"},
		{"ZADD", "str", "NX", "XX", "1", "a"}, {"ZADD", "str", "x", "a"}, {"ZADD", "str", "1", "a"}, {"ZINCRBY", "z", "nx", "a"},
		{"ZADD", "z", "1e400", "a"}, {"ZADD", "z", "1e-400", "a"}, {"ZADD", "z", "nan", "a"}, {"ZADD", "z", " 1", "a"},
		{"ZADD", "z", "5e-324", "tiny"}, {"ZSCORE", "z", "tiny"}, {"ZADD", "z", "XX", "1", "nokey"}, {"ZADD", "nokey", "XX", "1", "a"},
		{"EXISTS", "nokey"},
		{"ZRANGEBYSCORE", "z", "", "5"}, {"ZRANGEBYSCORE", "z", "(", "+inf"}, {"ZRANGEBYSCORE", "z", " 1", "1e400"},
		{"ZRANGEBYSCORE", "z", "1 ", "5"}, {"ZRANGEBYSCORE", "z", "nan", "5"}, {"ZRANGEBYSCORE", "z", "(1", "(1"},
		{"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"}, {"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-5"},
		{"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "100", "1"}, {"ZREVRANGEBYSCORE", "z", "(5", "-1e400", "WITHSCORES"},
		{"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}, {"ZRANGE", "z", "0", "1", "LIMIT", "3", "-1"},
		{"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}, {"ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"},
		{"ZRANGE", "z", "0", "1", "REV", "REV"}, {"ZRANGE", "z", "0", "1", "LIMIT", "0"}, {"ZRANGE", "str", "a", "b"},
		{"ZRANGE", "z", "(1", "inf", "BYSCORE", "REV"}, {"ZRANGE", "z", "inf", "(1", "BYSCORE", "REV", "WITHSCORES"},
		{"ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"}, {"ZRANGESTORE", "str", "z", "0", "1"}, {"TYPE", "str"},
		{"ZRANGESTORE", "str", "nokey", "0", "-1"}, {"EXISTS", "str"}, {"ZRANGESTORE", "z2", "set", "0", "-1"},
		{"ZADD", "lex", "0", "a", "0", "ab", "0", "b", "0", "", "0", "b\x00"},
		{"ZRANGEBYLEX", "lex", "(a", "[b"}, {"ZRANGEBYLEX", "lex", "[", "("}, {"ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "2"},
		{"ZREVRANGEBYLEX", "lex", "+", "(a"}, {"ZRANGEBYLEX", "lex", "a", "b"}, {"ZRANGEBYLEX", "lex", "+x", "+"},
		{"ZLEXCOUNT", "lex", "[a", "+"}, {"ZLEXCOUNT", "z", "-", "+"}, {"ZRANGEBYLEX", "z", "[b", "[f"},
		{"ZREVRANGEBYLEX", "z", "[f", "[b"}, {"ZREMRANGEBYLEX", "lex", "(a", "(b"}, {"ZRANGE", "lex", "0", "-1"},
		{"ZRANK", "z", "c"}, {"ZREVRANK", "z", "c"}, {"ZRANK", "z", "nope"}, {"ZRANK", "nokey", "a"}, {"ZRANK", "str", "a"},
		{"ZCOUNT", "z", "(0", "+inf"}, {"ZCOUNT", "z", "a", "1"}, {"ZCOUNT", "nokey", "a", "1"},
		{"ZREMRANGEBYRANK", "z", "a", "1"}, {"ZREMRANGEBYRANK", "nokey", "0", "1"}, {"ZREMRANGEBYSCORE", "z", "(1e20", "inf"},
		{"ZUNION", "3", "z", "set", "nokey", "WITHSCORES"}, {"ZUNION", "2", "z", "set", "WEIGHTS", "0", "inf", "WITHSCORES"},
		{"ZUNION", "2", "z", "z", "WEIGHTS", "1", "-1", "WITHSCORES"}, {"ZINTER", "2", "z", "set", "AGGREGATE", "MAX", "WITHSCORES"},
		{"ZINTER", "2", "set", "z", "WEIGHTS", "inf", "0", "AGGREGATE", "MIN", "WITHSCORES"}, {"ZDIFF", "2", "set", "z", "WITHSCORES"},
		{"ZUNION", "0", "z"}, {"ZUNION", "x", "z"}, {"ZUNION", "2", "z"}, {"ZUNION", "9223372036854775807", "z"},
		{"ZUNION", "1", "z", "WEIGHTS"}, {"ZUNION", "1", "z", "WEIGHTS", "nan"}, {"ZUNION", "2", "z", "str", "AGGREGATE", "avg"},
		{"ZUNION", "1", "z", "AGGREGATE", "avg", "WEIGHTS", "x"}, {"ZDIFF", "1", "z", "WEIGHTS", "1"},
		{"ZUNIONSTORE", "dst", "0", "z"}, {"ZUNIONSTORE", "dst", "1", "z", "WITHSCORES"}, {"ZUNIONSTORE", "str", "2", "z", "set"},
		{"TYPE", "str"}, {"ZINTERSTORE", "str", "2", "z", "nokey"}, {"EXISTS", "str"}, {"ZDIFFSTORE", "set", "2", "set", "z"},
		{"ZRANGE", "set", "0", "-1", "WITHSCORES"},
		{"ZINTERCARD", "2", "z", "z", "LIMIT", "2"}, {"ZINTERCARD", "1", "z", "LIMIT", "-1"}, {"ZINTERCARD", "1", "str", "LIMIT", "x"},
		{"ZINTERCARD", "0", "z"}, {"ZINTERCARD", "2", "z"},
		{"ZPOPMIN", "nokey"}, {"ZPOPMIN", "nokey", "2"}, {"ZPOPMIN", "z", "0"}, {"ZPOPMIN", "str", "0"}, {"ZPOPMIN", "z", "-1"},
		{"ZPOPMAX", "z"}, {"ZPOPMIN", "z", "2"}, {"ZPOPMIN", "z", "1", "2"},
		{"ZMPOP", "1", "nokey", "MIN"}, {"ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2"}, {"ZMPOP", "2", "str", "z", "MIN"},
		{"ZMPOP", "2", "z", "str", "MIN"}, {"ZMPOP", "0", "z", "MIN"}, {"ZMPOP", "1", "z", "MIN", "COUNT", "0"},
		{"ZMPOP", "9223372036854775807", "z", "MIN"}, {"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"},
		{"ZRANDMEMBER", "nokey"}, {"ZRANDMEMBER", "nokey", "2"}, {"ZRANDMEMBER", "nokey", "1", "x"},
		{"ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"}, {"ZRANDMEMBER", "z", "-9223372036854775808"},
		{"ZRANDMEMBER", "z", "0", "WITHSCORES"}, {"ZRANDMEMBER", "str"},
		{"ZSCAN", "z", "x"}, {"ZSCAN", "nokey", "0", "COUNT", "0"}, {"ZSCAN", "z", "0", "COUNT", "0"}, {"ZSCAN", "str", "0"},
		{"ZCARD", "z"}, {"DEL", "z"}, {"ZCARD", "z"},
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
