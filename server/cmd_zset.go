package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// Sorted-set commands: syntax and replies. The meaning lives in
// codec/zset*.go. The blocking commands (BZPOPMIN, BZPOPMAX, BZMPOP) are
// built elsewhere on codec's ZPop and ZMPop. Arguments are parsed and
// checked in Redis 7.0's order, so that the same error wins.

// Sorted-set error replies (Redis 7.0's texts).
const (
	errZAddXXNX      = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX    = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncrPair  = "ERR INCR option supports a single increment-element pair"
	errMinMaxFloat   = "ERR min or max is not a float"
	errMinMaxLex     = "ERR min or max not valid string range item"
	errLimitRank     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errWithScoresLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errWeightFloat   = "ERR weight value is not a float"
	errZSetOpNoKeys  = "ERR at least 1 input key is needed for '%s' command"
)

func init() {
	zset := func(first, last int, flags cmdFlag, c *command) *command {
		c.firstKey, c.lastKey, c.step, c.group = first, last, 1, "sorted-set"
		if first == 0 {
			c.step = 0
		}
		c.flags = flags
		return c
	}
	const (
		wFast  = flagWrite | flagFast
		wOOM   = flagWrite | flagDenyOOM
		rFast  = flagReadOnly | flagFast
		rd     = flagReadOnly
		wr     = flagWrite
		moving = flagMovableKeys
	)
	k1 := func(flags cmdFlag, c *command) *command { return zset(1, 1, flags, c) }
	register(
		k1(wOOM|flagFast, &command{name: "zadd", elemArg: -1, arity: -4, since: "1.2.0", summary: "Add one or more members to a sorted set, or update its score if it already exists", handler: cmdZAdd, coalesce: zaddRun, coalesceArity: 4, coalesceOK: zaddOK}),
		k1(wOOM|flagFast, &command{name: "zincrby", elemArg: 3, arity: 4, since: "1.2.0", summary: "Increment the score of a member in a sorted set", handler: cmdZIncrBy}),
		k1(wFast, &command{name: "zrem", elemArg: 2, arity: -3, since: "1.2.0", summary: "Remove one or more members from a sorted set", handler: cmdZRem}),
		k1(rFast, &command{name: "zscore", arity: 3, since: "1.2.0", summary: "Get the score associated with the given member in a sorted set", handler: cmdZScore}),
		k1(rFast, &command{name: "zmscore", arity: -3, since: "6.2.0", summary: "Get the score associated with the given members in a sorted set", handler: cmdZMScore}),
		k1(rFast, &command{name: "zcard", arity: 2, since: "1.2.0", summary: "Get the number of members in a sorted set", handler: cmdZCard}),
		k1(rFast, &command{name: "zcount", arity: 4, since: "2.0.0", summary: "Count the members in a sorted set with scores within the given values", handler: cmdZCount}),
		k1(rFast, &command{name: "zlexcount", arity: 4, since: "2.8.9", summary: "Count the number of members in a sorted set between a given lexicographical range", handler: cmdZLexCount}),
		k1(rd, &command{name: "zrange", arity: -4, since: "1.2.0", summary: "Return a range of members in a sorted set", handler: zrangeCommand(1, false, zByAuto, zAuto)}),
		zset(1, 2, wOOM, &command{name: "zrangestore", arity: -5, since: "6.2.0", summary: "Store a range of members from sorted set into another key", handler: zrangeCommand(2, true, zByAuto, zAuto)}),
		k1(rd, &command{name: "zrangebyscore", arity: -4, since: "1.0.5", summary: "Return a range of members in a sorted set, by score", handler: zrangeCommand(1, false, codec.ZByScore, zForward)}),
		k1(rd, &command{name: "zrevrangebyscore", arity: -4, since: "2.2.0", summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", handler: zrangeCommand(1, false, codec.ZByScore, zReverse)}),
		k1(rd, &command{name: "zrangebylex", arity: -4, since: "2.8.9", summary: "Return a range of members in a sorted set, by lexicographical range", handler: zrangeCommand(1, false, codec.ZByLex, zForward)}),
		k1(rd, &command{name: "zrevrangebylex", arity: -4, since: "2.8.9", summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", handler: zrangeCommand(1, false, codec.ZByLex, zReverse)}),
		k1(rd, &command{name: "zrevrange", arity: -4, since: "1.2.0", summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", handler: zrangeCommand(1, false, codec.ZByRank, zReverse)}),
		k1(rFast, &command{name: "zrank", arity: 3, since: "2.0.0", summary: "Determine the index of a member in a sorted set", handler: zrankCommand(false)}),
		k1(rFast, &command{name: "zrevrank", arity: 3, since: "2.0.0", summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", handler: zrankCommand(true)}),
		k1(wr, &command{name: "zremrangebyrank", arity: 4, since: "2.0.0", summary: "Remove all members in a sorted set within the given indexes", handler: zremRangeCommand(codec.ZByRank)}),
		k1(wr, &command{name: "zremrangebyscore", arity: 4, since: "1.2.0", summary: "Remove all members in a sorted set within the given scores", handler: zremRangeCommand(codec.ZByScore)}),
		k1(wr, &command{name: "zremrangebylex", arity: 4, since: "2.8.9", summary: "Remove all members in a sorted set between the given lexicographical range", handler: zremRangeCommand(codec.ZByLex)}),
		k1(wFast, &command{name: "zpopmin", arity: -2, since: "5.0.0", summary: "Remove and return members with the lowest scores in a sorted set", handler: zpopCommand(false)}),
		k1(wFast, &command{name: "zpopmax", arity: -2, since: "5.0.0", summary: "Remove and return members with the highest scores in a sorted set", handler: zpopCommand(true)}),
		// The numkeys commands' keys follow numkeys: as in Redis, the
		// table reports 0 0 0 (the STORE forms: the destination) and
		// movablekeys.
		zset(0, 0, wr|moving, &command{name: "zmpop", arity: -4, since: "7.0.0", summary: "Remove and return members with scores in a sorted set", handler: cmdZMPop}),
		k1(rd, &command{name: "zrandmember", arity: -2, since: "6.2.0", summary: "Get one or multiple random elements from a sorted set", handler: cmdZRandMember}),
		zset(0, 0, rd|moving, &command{name: "zunion", arity: -3, since: "6.2.0", summary: "Add multiple sorted sets", handler: zsetOpCommand(codec.ZUnion, false)}),
		zset(0, 0, rd|moving, &command{name: "zinter", arity: -3, since: "6.2.0", summary: "Intersect multiple sorted sets", handler: zsetOpCommand(codec.ZInter, false)}),
		zset(0, 0, rd|moving, &command{name: "zdiff", arity: -3, since: "6.2.0", summary: "Subtract multiple sorted sets", handler: zsetOpCommand(codec.ZDiff, false)}),
		k1(wOOM|moving, &command{name: "zunionstore", arity: -4, since: "2.0.0", summary: "Add multiple sorted sets and store the resulting sorted set in a new key", handler: zsetOpCommand(codec.ZUnion, true)}),
		k1(wOOM|moving, &command{name: "zinterstore", arity: -4, since: "2.0.0", summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", handler: zsetOpCommand(codec.ZInter, true)}),
		k1(wOOM|moving, &command{name: "zdiffstore", arity: -4, since: "6.2.0", summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", handler: zsetOpCommand(codec.ZDiff, true)}),
		zset(0, 0, rd|moving, &command{name: "zintercard", arity: -3, since: "7.0.0", summary: "Intersect multiple sorted sets and return the cardinality of the result", handler: cmdZInterCard}),
		k1(rd, &command{name: "zscan", arity: -3, since: "2.8.0", summary: "Incrementally iterate sorted sets elements and associated scores", handler: cmdZScan}),
	)
}

// scoredReply writes members with their scores as Redis's sorted-set
// commands do: a flat array of member, score in RESP2 (or when nested is
// false), an array of [member, score] pairs in RESP3. Scores are doubles.
func (c *client) scoredReply(members [][]byte, scores []float64, nested bool) {
	if nested && c.proto == 3 {
		c.w.ArrayHeader(len(members))
		for i, m := range members {
			c.w.ArrayHeader(2)
			c.w.Bulk(m)
			c.w.Double(scores[i])
		}
		return
	}
	c.w.ArrayHeader(2 * len(members))
	for i, m := range members {
		c.w.Bulk(m)
		c.w.Double(scores[i])
	}
}

// membersReply writes a range: members alone, or with their scores.
func (c *client) membersReply(members [][]byte, scores []float64, withScores bool, err error) {
	switch {
	case err != nil:
		c.replyErr(err)
	case withScores:
		c.scoredReply(members, scores, true)
	default:
		c.bulkArray(members)
	}
}

// scoreArg parses a score argument; false after replying with the error.
func (c *client) scoreArg(b []byte) (float64, bool) {
	f, ok := codec.ParseScore(b)
	if !ok {
		c.w.Error(errNotFloat)
	}
	return f, ok
}

// cmdZAdd is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [...]; ZINCRBY
// goes through the same parser, as in Redis (so "ZINCRBY k nx m" is a
// syntax error).
func cmdZAdd(c *client, args [][]byte) { zaddGeneric(c, args, false) }

func cmdZIncrBy(c *client, args [][]byte) { zaddGeneric(c, args, true) }

// zaddOK tells whether ZADD key score member has a score that is a float:
// the form that coalesces (a flag there is not one).
func zaddOK(rest [][]byte) bool {
	_, ok := codec.ParseScore(rest[0])
	return ok
}

// zaddRun runs k ZADDs of one member each, without flags (coalesce.go):
// each replies whether its member was added.
func zaddRun(c *client, run *coalesced) {
	run.scores, run.elems = run.scores[:0], run.elems[:0]
	for i := range run.k {
		p := run.each(i)
		s, _ := codec.ParseScore(p[0]) // zaddOK took it
		run.scores = append(run.scores, s)
		run.elems = append(run.elems, p[1])
	}
	added := run.flags()
	c.addedReplies(added, c.kdb().ZAddEach(run.key(), run.scores, run.elems, added))
}

func zaddGeneric(c *client, args [][]byte, incr bool) {
	o := codec.ZAddOptions{Incr: incr}
	ch := false
	i := 2
options:
	for ; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "nx":
			o.NX = true
		case "xx":
			o.XX = true
		case "ch":
			ch = true
		case "incr":
			o.Incr = true
		case "gt":
			o.GT = true
		case "lt":
			o.LT = true
		default:
			break options
		}
	}
	rest := args[i:]
	switch {
	case len(rest) == 0 || len(rest)%2 != 0:
		c.w.Error(errSyntax)
		return
	case o.NX && o.XX:
		c.w.Error(errZAddXXNX)
		return
	case (o.GT && o.NX) || (o.LT && o.NX) || (o.GT && o.LT):
		c.w.Error(errZAddGTLTNX)
		return
	case o.Incr && len(rest) > 2:
		c.w.Error(errZAddIncrPair)
		return
	}
	scores := make([]float64, len(rest)/2)
	members := make([][]byte, len(rest)/2)
	for j := range scores {
		var ok bool
		if scores[j], ok = c.scoreArg(rest[2*j]); !ok {
			return
		}
		members[j] = rest[2*j+1]
	}
	res, err := c.kdb().ZAdd(args[1], o, scores, members)
	switch {
	case err != nil:
		c.replyErr(err)
	case o.Incr && res.Processed:
		c.w.Double(res.Score)
	case o.Incr:
		c.w.Null()
	case ch:
		c.w.Integer(res.Added + res.Updated)
	default:
		c.w.Integer(res.Added)
	}
}

func cmdZRem(c *client, args [][]byte)  { c.intReply(c.kdb().ZRem(args[1], args[2:])) }
func cmdZCard(c *client, args [][]byte) { c.intReply(c.kdb().ZCard(args[1])) }

func cmdZScore(c *client, args [][]byte) {
	s, found, err := c.kdb().ZScore(args[1], args[2])
	switch {
	case err != nil:
		c.replyErr(err)
	case found:
		c.w.Double(s)
	default:
		c.w.Null()
	}
}

func cmdZMScore(c *client, args [][]byte) {
	scores, found, err := c.kdb().ZMScore(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(len(scores))
	for i, s := range scores {
		if found[i] {
			c.w.Double(s)
		} else {
			c.w.Null()
		}
	}
}

// scoreRange parses a score interval (zslParseRange).
func scoreRange(minArg, maxArg []byte) (codec.ScoreRange, bool) {
	var r codec.ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = codec.ParseScoreBound(minArg)
	r.Max, r.MaxEx, ok2 = codec.ParseScoreBound(maxArg)
	return r, ok1 && ok2
}

// lexRange parses a lex interval (zslParseLexRange).
func lexRange(minArg, maxArg []byte) (codec.LexRange, bool) {
	var r codec.LexRange
	var ok1, ok2 bool
	r.Min, ok1 = codec.ParseLexBound(minArg)
	r.Max, ok2 = codec.ParseLexBound(maxArg)
	return r, ok1 && ok2
}

func cmdZCount(c *client, args [][]byte) {
	r, ok := scoreRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxFloat)
		return
	}
	c.intReply(c.kdb().ZCount(args[1], r))
}

func cmdZLexCount(c *client, args [][]byte) {
	r, ok := lexRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxLex)
		return
	}
	c.intReply(c.kdb().ZLexCount(args[1], r))
}

// zByAuto is the range kind of ZRANGE and ZRANGESTORE, which their
// options choose (BYSCORE, BYLEX; by rank otherwise).
const zByAuto = codec.ZRangeBy(255)

// zdir is the direction of a range form: fixed, or chosen by REV.
type zdir uint8

const (
	zAuto zdir = iota
	zForward
	zReverse
)

// zrangeCommand returns the handler of ZRANGE (keyIdx 1) and ZRANGESTORE
// (keyIdx 2, store) with by zByAuto and dir zAuto, and of the older forms with
// their kind and direction fixed, as Redis's zrangeGenericCommand.
//
//go:noinline
func zrangeCommand(keyIdx int, store bool, by codec.ZRangeBy, dir zdir) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		by, dir := by, dir
		withScores := false
		var limit *codec.ZLimit
		for j := keyIdx + 3; j < len(args); j++ {
			left := len(args) - j - 1
			switch opt := strings.ToLower(string(args[j])); {
			case !store && opt == "withscores":
				withScores = true
			case opt == "limit" && left >= 2:
				off, ok1 := parseInt(args[j+1])
				if !ok1 {
					c.w.Error(errNotInteger)
					return
				}
				n, ok2 := parseInt(args[j+2])
				if !ok2 {
					c.w.Error(errNotInteger)
					return
				}
				limit = &codec.ZLimit{Offset: off, Count: n}
				j += 2
			case dir == zAuto && opt == "rev":
				dir = zReverse
			case by == zByAuto && opt == "bylex":
				by = codec.ZByLex
			case by == zByAuto && opt == "byscore":
				by = codec.ZByScore
			default:
				c.w.Error(errSyntax)
				return
			}
		}
		if by == zByAuto {
			by = codec.ZByRank
		}
		spec := codec.ZRangeSpec{By: by, Rev: dir == zReverse}
		// Redis's "no LIMIT" is a count of -1, so LIMIT x -1 passes with a
		// rank range (and is ignored there).
		if limit != nil && limit.Count != -1 && by == codec.ZByRank {
			c.w.Error(errLimitRank)
			return
		}
		if withScores && by == codec.ZByLex {
			c.w.Error(errWithScoresLex)
			return
		}
		minArg, maxArg := args[keyIdx+1], args[keyIdx+2]
		if spec.Rev && by != codec.ZByRank {
			minArg, maxArg = maxArg, minArg // given as max, min
		}
		var ok bool
		switch by {
		case codec.ZByRank:
			if spec.Start, ok = parseInt(minArg); ok {
				spec.Stop, ok = parseInt(maxArg)
			}
			if !ok {
				c.w.Error(errNotInteger)
				return
			}
		case codec.ZByScore:
			if spec.Score, ok = scoreRange(minArg, maxArg); !ok {
				c.w.Error(errMinMaxFloat)
				return
			}
			spec.Limit = limit
		case codec.ZByLex:
			if spec.Lex, ok = lexRange(minArg, maxArg); !ok {
				c.w.Error(errMinMaxLex)
				return
			}
			spec.Limit = limit
		}
		if store {
			c.intReply(c.kdb().ZRangeStore(args[1], args[keyIdx], spec))
			return
		}
		members, scores, err := c.kdb().ZRange(args[keyIdx], spec)
		c.membersReply(members, scores, withScores, err)
	}
}

//go:noinline
func zrankCommand(rev bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		rank, found, err := c.kdb().ZRank(args[1], args[2], rev)
		switch {
		case err != nil:
			c.replyErr(err)
		case found:
			c.w.Integer(rank)
		default:
			c.w.Null()
		}
	}
}

//go:noinline
func zremRangeCommand(by codec.ZRangeBy) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		spec := codec.ZRangeSpec{By: by}
		var ok bool
		switch by {
		case codec.ZByRank:
			if spec.Start, ok = parseInt(args[2]); ok {
				spec.Stop, ok = parseInt(args[3])
			}
			if !ok {
				c.w.Error(errNotInteger)
				return
			}
		case codec.ZByScore:
			if spec.Score, ok = scoreRange(args[2], args[3]); !ok {
				c.w.Error(errMinMaxFloat)
				return
			}
		case codec.ZByLex:
			if spec.Lex, ok = lexRange(args[2], args[3]); !ok {
				c.w.Error(errMinMaxLex)
				return
			}
		}
		c.intReply(c.kdb().ZRemRange(args[1], spec))
	}
}

// zpopCommand returns the handler of ZPOPMIN (max false) and ZPOPMAX key
// [count]. Without a count the reply is a flat [member, score] (empty when
// the key is missing); with one, RESP3 nests the pairs.
//
//go:noinline
func zpopCommand(max bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		if len(args) > 3 {
			c.w.Error(errSyntax)
			return
		}
		count := int64(1)
		if len(args) == 3 {
			var ok bool
			if count, ok = parseInt(args[2]); !ok || count < 0 {
				c.w.Error(errPositive)
				return
			}
		}
		members, scores, err := c.kdb().ZPop(args[1], max, int(min(count, math.MaxInt)))
		if err != nil {
			c.replyErr(err)
			return
		}
		c.scoredReply(members, scores, len(args) == 3)
	}
}

// cmdZMPop is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count].
func cmdZMPop(c *client, args [][]byte) {
	keys, min, count, ok := c.mpopArgs(args, 1, "min", "max")
	if !ok {
		return
	}
	key, members, scores, err := c.kdb().ZMPop(keys, !min, count)
	switch {
	case err != nil:
		c.replyErr(err)
	case key == nil:
		c.w.NullArray()
	default:
		writeZMPop(c.w, key, members, scores)
	}
}

// writeZMPop writes ZMPOP's and BZMPOP's reply: the key and its popped
// [member, score] pairs.
func writeZMPop(w *resp.Writer, key []byte, members [][]byte, scores []float64) {
	w.ArrayHeader(2)
	w.Bulk(key)
	w.ArrayHeader(len(members))
	for i, m := range members {
		w.ArrayHeader(2)
		w.Bulk(m)
		w.Double(scores[i])
	}
}

func cmdZRandMember(c *client, args [][]byte) {
	count, hasCount, withScores, ok := c.randCountArgs(args, "withscores")
	if !ok {
		return
	}
	if !hasCount {
		members, _, err := c.kdb().ZRandMember(args[1], 1)
		c.singleMember(members, err)
		return
	}
	members, scores, err := c.kdb().ZRandMember(args[1], count)
	c.membersReply(members, scores, withScores, err)
}

// zsetOpCommand returns the handler of ZUNION, ZINTER, ZDIFF (numkeys at
// 1) and of their STORE forms (destination at 1, numkeys at 2):
// numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
// [WITHSCORES]. As in Redis, the keys' types are checked before the
// options, so WRONGTYPE wins over an option error.
//
//go:noinline
func zsetOpCommand(op codec.ZSetOp, store bool) func(c *client, args [][]byte) {
	numIdx := 1
	if store {
		numIdx = 2
	}
	return func(c *client, args [][]byte) {
		keys, ok := c.numKeysArg(args, numIdx)
		if !ok {
			return
		}
		opts := codec.ZSetOpOptions{Op: op}
		withScores := false
		errReply := ""
		for j := numIdx + 1 + len(keys); j < len(args) && errReply == ""; {
			remaining := len(args) - j
			switch opt := strings.ToLower(string(args[j])); {
			case op != codec.ZDiff && remaining >= len(keys)+1 && opt == "weights":
				j++
				opts.Weights = make([]float64, len(keys))
				for i := range keys {
					w, ok := codec.ParseScore(args[j])
					if !ok {
						errReply = errWeightFloat
						break
					}
					opts.Weights[i] = w
					j++
				}
			case op != codec.ZDiff && remaining >= 2 && opt == "aggregate":
				switch strings.ToLower(string(args[j+1])) {
				case "sum":
					opts.Aggregate = codec.ZAggSum
				case "min":
					opts.Aggregate = codec.ZAggMin
				case "max":
					opts.Aggregate = codec.ZAggMax
				default:
					errReply = errSyntax
				}
				j += 2
			case !store && opt == "withscores":
				withScores = true
				j++
			default:
				errReply = errSyntax
			}
		}
		if errReply != "" {
			c.sourcesOrError(keys, errReply)
			return
		}
		if store {
			c.intReply(c.kdb().ZSetOpStore(args[1], keys, opts))
			return
		}
		members, scores, err := c.kdb().ZSetOp(keys, opts)
		c.membersReply(members, scores, withScores, err)
	}
}

// numKeysArg parses numkeys at args[i] and returns the keys that follow,
// as zunionInterDiffGenericCommand checks them; false after replying.
func (c *client) numKeysArg(args [][]byte, i int) ([][]byte, bool) {
	n, ok := parseInt(args[i])
	switch {
	case !ok:
		c.w.Error(errNotInteger)
	case n < 1:
		c.w.Error(fmt.Sprintf(errZSetOpNoKeys, strings.ToLower(string(args[0]))))
	case n > int64(len(args)-i-1):
		c.w.Error(errSyntax)
	default:
		return args[i+1 : i+1+int(n)], true
	}
	return nil, false
}

// sourcesOrError replies WRONGTYPE if a key holds neither a sorted set nor
// a set (Redis looks the keys up before it parses the options), else
// errReply.
func (c *client) sourcesOrError(keys [][]byte, errReply string) {
	for _, k := range keys {
		typ, err := c.kdb().Type(k)
		if err != nil {
			c.replyErr(err)
			return
		}
		if typ != "none" && typ != "zset" && typ != "set" {
			c.w.Error(errWrongType)
			return
		}
	}
	c.w.Error(errReply)
}

// cmdZInterCard is ZINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdZInterCard(c *client, args [][]byte) {
	keys, ok := c.numKeysArg(args, 1)
	if !ok {
		return
	}
	var limit int64
	errReply := ""
	for j := 2 + len(keys); j < len(args) && errReply == ""; j += 2 {
		if len(args)-j < 2 || !strings.EqualFold(string(args[j]), "limit") {
			errReply = errSyntax
			break
		}
		if limit, ok = parseInt(args[j+1]); !ok || limit < 0 {
			errReply = errLimitNegative
		}
	}
	if errReply != "" {
		c.sourcesOrError(keys, errReply)
		return
	}
	c.intReply(c.kdb().ZInterCard(keys, limit))
}

func cmdZScan(c *client, args [][]byte) {
	c.elementScan(args, "zset", func(cursor uint64, match []byte, count int) (codec.ScanResult, error) {
		return c.kdb().ZScan(args[1], cursor, match, count)
	})
}
