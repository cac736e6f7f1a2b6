package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/strata-db/strata/codec"
)

// List commands: syntax and replies. The meaning lives in codec/list.go and
// codec/list_edit.go. The blocking commands (BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP) are built on codec's Pop, LMove and LMPop elsewhere.

// List error replies (Redis 7.0's texts).
const (
	errPositive       = "ERR value is out of range, must be positive"
	errIndexRange     = "ERR index out of range"
	errRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative  = "ERR COUNT can't be negative"
	errMaxLenNegative = "ERR MAXLEN can't be negative"
	errNumKeys        = "ERR numkeys should be greater than 0"
	errCountPositive  = "ERR count should be greater than 0"
)

func init() {
	k1 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 1, 1, "list"; return c }
	k12 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 2, 1, "list"; return c }
	register(
		k1(&command{name: "lpush", arity: -3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", handler: pushCommand(true, false), coalesce: pushRun(true, false), coalesceArity: 3}),
		k1(&command{name: "rpush", arity: -3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", handler: pushCommand(false, false), coalesce: pushRun(false, false), coalesceArity: 3}),
		k1(&command{name: "lpushx", arity: -3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Prepends one or more elements to a list only when the list exists.", handler: pushCommand(true, true), coalesce: pushRun(true, true), coalesceArity: 3}),
		k1(&command{name: "rpushx", arity: -3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Appends an element to a list only when the list exists.", handler: pushCommand(false, true), coalesce: pushRun(false, true), coalesceArity: 3}),
		k1(&command{name: "lpop", arity: -2, flags: flagWrite | flagFast, summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", handler: popCommand(true), coalesce: popRun(true), coalesceArity: 2, coalesceFit: popFit(true)}),
		k1(&command{name: "rpop", arity: -2, flags: flagWrite | flagFast, summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", handler: popCommand(false), coalesce: popRun(false), coalesceArity: 2, coalesceFit: popFit(false)}),
		k1(&command{name: "llen", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the length of a list.", handler: cmdLLen}),
		k1(&command{name: "lrange", arity: 4, flags: flagReadOnly, summary: "Returns a range of elements from a list.", handler: cmdLRange}),
		k1(&command{name: "lindex", arity: 3, flags: flagReadOnly, summary: "Returns an element from a list by its index.", handler: cmdLIndex}),
		k1(&command{name: "lset", arity: 4, flags: flagWrite | flagDenyOOM, summary: "Sets the value of an element in a list by its index.", handler: cmdLSet}),
		k1(&command{name: "linsert", arity: 5, flags: flagWrite | flagDenyOOM, summary: "Inserts an element before or after another element in a list.", handler: cmdLInsert}),
		k1(&command{name: "lrem", arity: 4, flags: flagWrite, summary: "Removes elements from a list. Deletes the list if the last element was removed.", handler: cmdLRem}),
		k1(&command{name: "ltrim", arity: 4, flags: flagWrite, summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", handler: cmdLTrim}),
		k1(&command{name: "lpos", arity: -3, flags: flagReadOnly, summary: "Returns the index of matching elements in a list.", handler: cmdLPos}),
		k12(&command{name: "lmove", arity: 5, flags: flagWrite | flagDenyOOM, summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", handler: cmdLMove}),
		k12(&command{name: "rpoplpush", arity: 3, flags: flagWrite | flagDenyOOM, summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", handler: cmdRPopLPush}),
		// LMPOP's keys follow numkeys: the table's first/last/step cannot
		// say where they are, so, as in Redis, it reports 0 0 0 and the
		// movablekeys flag (Redis adds a key spec the table does not model).
		&command{name: "lmpop", arity: -4, flags: flagWrite | flagMovableKeys, group: "list", summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", handler: cmdLMPop},
	)
}

// pushCommand returns the handler of LPUSH (left), RPUSH, and with
// existing of LPUSHX and RPUSHX.
// The functions that make a command's handler are not inlined: inlined
// into the command table's initialiser, their closures were compiled as
// part of that huge function, where the inliner gives up on small calls:
// c.kdb() then allocated its codec.DB on every LPUSH and RPOP.
//
//go:noinline
func pushCommand(left, existing bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		c.intReply(c.kdb().Push(args[1], args[2:], left, existing))
	}
}

// pushRun runs k pushes of one element each (coalesce.go) as one push of
// k elements: the i-th command's reply is the length after its element,
// or 0 for each when existing refused a missing key.
func pushRun(left, existing bool) func(c *client, run *coalesced) {
	return func(c *client, run *coalesced) {
		n, err := c.kdb().Push(run.key(), run.rest, left, existing)
		for i := range run.k {
			switch {
			case err != nil:
				c.replyErr(err)
			case n == 0:
				c.w.Integer(0)
			default:
				c.w.Integer(n - int64(run.k-1-i))
			}
		}
	}
}

// popCommand returns the handler of LPOP (left) and RPOP. Without a count
// the reply is an element or nil; with one an array, or a nil array for a
// missing key (RESP3: null for both).
//
//go:noinline
func popCommand(left bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		if len(args) > 3 {
			c.w.Error(fmt.Sprintf(errWrongArity, strings.ToLower(string(args[0]))))
			return
		}
		if len(args) == 2 {
			es, found, err := c.kdb().Pop(args[1], left, 1)
			if err != nil {
				c.replyErr(err)
				return
			}
			if !found || len(es) == 0 {
				c.w.Null()
				return
			}
			c.w.Bulk(es[0])
			return
		}
		count, ok := parseInt(args[2])
		if !ok || count < 0 {
			c.w.Error(errPositive)
			return
		}
		es, found, err := c.kdb().Pop(args[1], left, int(min(count, math.MaxInt)))
		if err != nil {
			c.replyErr(err)
			return
		}
		if !found {
			c.w.NullArray()
			return
		}
		c.bulkArray(es)
	}
}

// popRun runs k LPOPs or RPOPs of key, with no count, as one pop of up to
// k elements (coalesce.go): the i-th command's reply is the i-th element
// popped, or nil once the list is gone, as k pops one after the other
// would answer.
func popRun(left bool) func(c *client, run *coalesced) {
	return func(c *client, run *coalesced) {
		es, found, err := c.kdb().Pop(run.key(), left, run.k)
		for i := range run.k {
			switch {
			case err != nil:
				c.replyErr(err)
			case !found || i >= len(es):
				c.w.Null()
			default:
				c.w.Bulk(es[i])
			}
		}
	}
}

// popFit is popRun's bound: as many pops as the elements at the list's end
// fit the budget (codec.DB.PopFit); one on an error.
func popFit(left bool) func(c *client, key []byte, limit, budget int) int {
	return func(c *client, key []byte, limit, budget int) int {
		n, err := c.kdb().PopFit(key, left, limit, budget)
		if err != nil {
			return 1
		}
		return n
	}
}

func cmdLLen(c *client, args [][]byte) { c.intReply(c.kdb().LLen(args[1])) }

func cmdLRange(c *client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInteger)
		return
	}
	// The elements go straight into the reply; an error drops what was
	// written of it.
	mark := c.w.Len()
	if err := c.kdb().LRangeEach(args[1], start, stop, c.w.ArrayHeader, c.w.Bulk); err != nil {
		c.w.Truncate(mark)
		c.replyErr(err)
	}
}

// badIndex replies to LINDEX or LSET with an index that is not an integer.
// Redis looks the key up first, so a missing key or another type wins over
// the parse error: missing gets the command's missing-key reply.
func (c *client) badIndex(key []byte, missing func(), write bool) {
	db := c.kdb()
	if write {
		// A write's look at its key is not a counted lookup (a DB
		// without the client's buffers counts none).
		db = c.keyspace().DB(c.db)
	}
	typ, err := db.Type(key)
	switch {
	case err != nil:
		c.replyErr(err)
	case typ == "none":
		missing()
	case typ != "list":
		c.w.Error(errWrongType)
	default:
		c.w.Error(errNotInteger)
	}
}

func cmdLIndex(c *client, args [][]byte) {
	idx, ok := parseInt(args[2])
	if !ok {
		c.badIndex(args[1], c.w.Null, false)
		return
	}
	e, found, err := c.kdb().LIndex(args[1], idx)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(e, found)
}

func cmdLSet(c *client, args [][]byte) {
	idx, ok := parseInt(args[2])
	if !ok {
		c.badIndex(args[1], func() { c.w.Error(errNoSuchKey) }, true)
		return
	}
	if err := c.kdb().LSet(args[1], idx, args[3]); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdLInsert(c *client, args [][]byte) {
	var before bool
	switch strings.ToLower(string(args[2])) {
	case "before":
		before = true
	case "after":
	default:
		c.w.Error(errSyntax)
		return
	}
	c.intReply(c.kdb().LInsert(args[1], before, args[3], args[4]))
}

func cmdLRem(c *client, args [][]byte) {
	count, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	c.intReply(c.kdb().LRem(args[1], count, args[3]))
}

func cmdLTrim(c *client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInteger)
		return
	}
	if err := c.kdb().LTrim(args[1], start, stop); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

// cmdLPos parses LPOS key element [RANK r] [COUNT n] [MAXLEN m] as Redis
// 7.0 does: options before the key, the last of a repeated one wins.
func cmdLPos(c *client, args [][]byte) {
	opt := codec.LPosOptions{Rank: 1, Count: 1}
	hasCount := false
	for j := 3; j < len(args); j++ {
		name := strings.ToLower(string(args[j]))
		if j+1 >= len(args) || (name != "rank" && name != "count" && name != "maxlen") {
			c.w.Error(errSyntax)
			return
		}
		j++
		n, ok := parseInt(args[j])
		switch name {
		case "rank":
			if !ok {
				c.w.Error(errNotInteger)
				return
			}
			if n == 0 {
				c.w.Error(errRankZero)
				return
			}
			opt.Rank = n
		case "count":
			if !ok || n < 0 {
				c.w.Error(errCountNegative)
				return
			}
			opt.Count, hasCount = n, true
		case "maxlen":
			if !ok || n < 0 {
				c.w.Error(errMaxLenNegative)
				return
			}
			opt.MaxLen = n
		}
	}
	if opt.Rank == math.MinInt64 {
		// Redis negates the rank in a long: -LONG_MIN stays negative, so
		// every match from the tail qualifies and a COUNT never stops the
		// search.
		opt.Rank = -1
		if hasCount {
			opt.Count = 0
		}
	}
	pos, err := c.kdb().LPos(args[1], args[2], opt)
	if err != nil {
		c.replyErr(err)
		return
	}
	if !hasCount {
		if len(pos) == 0 {
			c.w.Null()
		} else {
			c.w.Integer(pos[0])
		}
		return
	}
	c.w.ArrayHeader(len(pos))
	for _, p := range pos {
		c.w.Integer(p)
	}
}

// listEnd parses LEFT or RIGHT; ok is false (and the syntax error written)
// for anything else.
func (c *client) listEnd(arg []byte) (left, ok bool) {
	switch strings.ToLower(string(arg)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	c.w.Error(errSyntax)
	return false, false
}

func cmdLMove(c *client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	c.lmove(args[1], args[2], from, to)
}

func cmdRPopLPush(c *client, args [][]byte) { c.lmove(args[1], args[2], false, true) }

func (c *client) lmove(src, dst []byte, fromLeft, toLeft bool) {
	e, found, err := c.kdb().LMove(src, dst, fromLeft, toLeft)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(e, found)
}

// mpopArgs parses the numkeys key [key ...] WHERE [COUNT count] tail of
// LMPOP, BLMPOP, ZMPOP and BZMPOP, numkeys at args[at]; first/second are
// the two accepted WHERE words (LEFT/RIGHT, MIN/MAX). first reports the
// first word. On error the reply is written and ok is false.
func (c *client) mpopArgs(args [][]byte, at int, first, second string) (keys [][]byte, isFirst bool, count int, ok bool) {
	numKeys, isInt := parseInt(args[at])
	if !isInt || numKeys < 1 {
		c.w.Error(errNumKeys)
		return nil, false, 0, false
	}
	if numKeys > int64(len(args)-at-2) {
		c.w.Error(errSyntax) // no WHERE after the keys
		return nil, false, 0, false
	}
	whereIdx := at + 1 + int(numKeys)
	switch strings.ToLower(string(args[whereIdx])) {
	case first:
		isFirst = true
	case second:
	default:
		c.w.Error(errSyntax)
		return nil, false, 0, false
	}
	n := int64(-1)
	for j := whereIdx + 1; j < len(args); j++ {
		if n != -1 || !strings.EqualFold(string(args[j]), "count") || j+1 >= len(args) {
			c.w.Error(errSyntax)
			return nil, false, 0, false
		}
		j++
		v, isInt := parseInt(args[j])
		if !isInt || v < 1 {
			c.w.Error(errCountPositive)
			return nil, false, 0, false
		}
		n = v
	}
	if n == -1 {
		n = 1
	}
	return args[at+1 : whereIdx], isFirst, int(min(n, math.MaxInt)), true
}

// cmdLMPop parses LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
func cmdLMPop(c *client, args [][]byte) {
	keys, left, count, ok := c.mpopArgs(args, 1, "left", "right")
	if !ok {
		return
	}
	key, es, found, err := c.kdb().LMPop(keys, left, count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if !found {
		c.w.NullArray()
		return
	}
	c.w.ArrayHeader(2)
	c.w.Bulk(key)
	c.bulkArray(es)
}
