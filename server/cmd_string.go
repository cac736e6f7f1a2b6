package server

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/strata-db/strata/codec"
)

// String commands: syntax and replies. The meaning lives in codec/string.go.

func init() {
	k1 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 1, 1, "string"; return c }
	register(
		k1(&command{name: "get", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the string value of a key.", handler: cmdGet, coalesce: getRun, coalesceArity: 2, coalesceKeys: true}),
		k1(&command{name: "set", arity: -3, flags: flagWrite | flagDenyOOM, summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", handler: cmdSet, coalesce: setRun, coalesceArity: 3, coalesceKeys: true}),
		k1(&command{name: "setnx", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Set the string value of a key only when the key doesn't exist.", handler: cmdSetNX}),
		k1(&command{name: "setex", arity: 4, flags: flagWrite | flagDenyOOM, summary: "Sets the string value and expiration time of a key.", handler: cmdSetEx}),
		k1(&command{name: "psetex", arity: 4, flags: flagWrite | flagDenyOOM, summary: "Sets both string value and expiration time in milliseconds of a key.", handler: cmdPSetEx}),
		k1(&command{name: "getset", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Returns the previous string value of a key after setting it to a new value.", handler: cmdGetSet}),
		k1(&command{name: "getdel", arity: 2, flags: flagWrite | flagFast, summary: "Returns the string value of a key after deleting the key.", handler: cmdGetDel}),
		k1(&command{name: "getex", arity: -2, flags: flagWrite | flagFast, summary: "Returns the string value of a key after setting its expiration time.", handler: cmdGetEx}),
		&command{name: "mget", arity: -2, flags: flagReadOnly | flagFast, firstKey: 1, lastKey: -1, step: 1, group: "string", summary: "Atomically returns the string values of one or more keys.", handler: cmdMGet},
		&command{name: "mset", arity: -3, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: -1, step: 2, group: "string", summary: "Atomically creates or modifies the string values of one or more keys.", handler: cmdMSet},
		&command{name: "msetnx", arity: -3, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: -1, step: 2, group: "string", summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", handler: cmdMSetNX},
		k1(&command{name: "append", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", handler: cmdAppend}),
		k1(&command{name: "strlen", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the length of a string value.", handler: cmdStrLen}),
		k1(&command{name: "getrange", arity: 4, flags: flagReadOnly, summary: "Returns a substring of the string stored at a key.", handler: cmdGetRange}),
		k1(&command{name: "substr", arity: 4, flags: flagReadOnly, summary: "Returns a substring from a string value.", handler: cmdGetRange}),
		k1(&command{name: "setrange", arity: 4, flags: flagWrite | flagDenyOOM, summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", handler: cmdSetRange}),
		k1(&command{name: "incr", arity: 2, flags: flagWrite | flagDenyOOM | flagFast, summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", handler: cmdIncr, coalesce: incrRun, coalesceArity: 2, coalesceKeys: true}),
		k1(&command{name: "decr", arity: 2, flags: flagWrite | flagDenyOOM | flagFast, summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", handler: cmdDecr, coalesce: decrRun, coalesceArity: 2, coalesceKeys: true}),
		k1(&command{name: "incrby", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", handler: cmdIncrBy, coalesce: incrRun, coalesceArity: 3, coalesceKeys: true, coalesceOK: incrByOK}),
		k1(&command{name: "decrby", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", handler: cmdDecrBy, coalesce: decrRun, coalesceArity: 3, coalesceKeys: true, coalesceOK: decrByOK}),
		k1(&command{name: "incrbyfloat", arity: 3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", handler: cmdIncrByFloat}),
		&command{name: "lcs", arity: -3, flags: flagReadOnly, firstKey: 1, lastKey: 2, step: 1, group: "string", summary: "Finds the longest common substring.", handler: cmdLCS},
	)
}

// kdb is the client's current database, with the client's buffers lent to
// GET and SET: a value it returns is valid until the next command.
func (c *client) kdb() *codec.DB { return c.keyspace().DBWith(c.db, &c.bufs) }

func (c *client) bulkOrNull(v []byte, found bool) {
	if !found {
		c.w.Null()
		return
	}
	c.w.Bulk(v)
}

func cmdGet(c *client, args [][]byte) {
	v, found, err := c.kdb().Get(args[1])
	replyGet(c, v, found, err)
}

// replyGet answers a GET, counting a keyspace hit or miss in the client's
// buffers (dispatch adds them up; a key of another type is a hit, as in
// Redis: the lookup found it).
func replyGet(c *client, v []byte, found bool, err error) {
	if err != nil {
		if errors.Is(err, codec.ErrWrongType) {
			c.bufs.CountLookup(true)
		}
		c.replyErr(err)
		return
	}
	c.bufs.CountLookup(found)
	c.bulkOrNull(v, found)
}

// getRun runs k GETs, each of its own key, as one read of their keys
// (coalesce.go): codec.DB.GetEach reads them at one moment, their lookups
// interleaved. A large value (codec.ErrReadLater) is read when its turn to
// be answered comes, and the replies are sent whenever they pass
// replyBudget, so that a pipeline of GETs of large values holds about as
// much as one GET at a time does.
func getRun(c *client, run *coalesced) {
	k := run.k
	run.elems = slices.Grow(run.elems[:0], 2*k)[:2*k]
	keys, vals := run.elems[:k], run.elems[k:]
	for i := range k {
		keys[i] = run.each(i)[0]
	}
	found := run.flags()
	run.errs = slices.Grow(run.errs[:0], k)[:k]
	defer func() {
		clear(run.errs)
		clear(run.elems)
	}()
	if err := c.kdb().GetEach(keys, vals, found, run.errs); err != nil {
		for range k {
			c.replyErr(err)
		}
		return
	}
	for i := range k {
		v, ok, err := vals[i], found[i], run.errs[i]
		if errors.Is(err, codec.ErrReadLater) {
			// Not through the client's buffers, which the values after
			// this one alias.
			v, ok, err = c.keyspace().DB(c.db).Get(keys[i])
		}
		replyGet(c, v, ok, err)
		if c.w.Len() > replyBudget && i+1 < k && !c.sendMidRun() {
			return // the connection is ending
		}
	}
}

// setRun runs k SETs without options, each of its own key, as one MSET
// (coalesce.go): their old records are read together (codec.DB.MSet), a
// key named twice keeps its last value, and each SET answers OK.
func setRun(c *client, run *coalesced) {
	k := run.k
	run.elems = slices.Grow(run.elems[:0], 2*k)[:2*k]
	keys, vals := run.elems[:k], run.elems[k:]
	for i := range k {
		kv := run.each(i)
		keys[i], vals[i] = kv[0], kv[1]
	}
	err := c.kdb().MSet(keys, vals)
	clear(run.elems)
	for range k {
		if err != nil {
			c.replyErr(err)
		} else {
			c.w.SimpleString("OK")
		}
	}
}

// stringOptions are the parsed options of SET and GETEX.
type stringOptions struct {
	nx, xx, get, keepTTL, persist bool
	unit                          string // "ex", "px", "exat" or "pxat"; "" without an expiry
	expire                        []byte // the expiry argument, validated later
}

// parseStringOptions parses SET's options (isSet) or GETEX's from args[from:]
// as Redis's parseExtendedStringArgumentsOrReply does: an option may repeat
// (the last expiry wins), conflicting ones are a syntax error, and the
// expiry's value is not looked at here. It returns false with the syntax
// error written.
func parseStringOptions(c *client, args [][]byte, from int, isSet bool) (stringOptions, bool) {
	var o stringOptions
	for i := from; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		hasNext := i+1 < len(args)
		switch {
		case opt == "nx" && isSet && !o.xx:
			o.nx = true
		case opt == "xx" && isSet && !o.nx:
			o.xx = true
		case opt == "get" && isSet:
			o.get = true
		case opt == "keepttl" && isSet && o.unit == "":
			o.keepTTL = true
		case opt == "persist" && !isSet && o.unit == "":
			o.persist = true
		case (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") &&
			!o.keepTTL && !o.persist && (o.unit == "" || o.unit == opt) && hasNext:
			o.unit, o.expire = opt, args[i+1]
			i++
		default:
			c.w.Error(errSyntax)
			return o, false
		}
	}
	return o, true
}

// cmdSet implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL].
func cmdSet(c *client, args [][]byte) {
	so, ok := parseStringOptions(c, args, 3, true)
	if !ok {
		return
	}
	o := codec.SetOptions{NX: so.nx, XX: so.xx, Get: so.get, KeepTTL: so.keepTTL}
	if so.unit != "" {
		at, msg := expireArg("set", so.unit, so.expire)
		if msg != "" {
			c.w.Error(msg)
			return
		}
		o.ExpireAt = at
	}
	res, err := c.kdb().Set(args[1], args[2], o)
	if err != nil {
		c.replyErr(err)
		return
	}
	switch {
	case o.Get:
		c.bulkOrNull(res.Old, res.OldFound)
	case res.Written:
		c.w.SimpleString("OK")
	default:
		c.w.Null()
	}
}

func cmdSetNX(c *client, args [][]byte) {
	ok, err := c.kdb().SetNX(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(ok)))
}

func setWithExpire(c *client, args [][]byte, name, unit string) {
	at, msg := expireArg(name, unit, args[2])
	if msg != "" {
		c.w.Error(msg)
		return
	}
	if _, err := c.kdb().Set(args[1], args[3], codec.SetOptions{ExpireAt: at}); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdSetEx(c *client, args [][]byte)  { setWithExpire(c, args, "setex", "ex") }
func cmdPSetEx(c *client, args [][]byte) { setWithExpire(c, args, "psetex", "px") }

func cmdGetSet(c *client, args [][]byte) {
	v, found, err := c.kdb().GetSet(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(v, found)
}

func cmdGetDel(c *client, args [][]byte) {
	v, found, err := c.kdb().GetDel(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(v, found)
}

// cmdGetEx implements GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST].
// As in Redis, the expiry's value is checked only once the key is known to
// exist: on a missing key an invalid value still answers nil.
func cmdGetEx(c *client, args [][]byte) {
	so, ok := parseStringOptions(c, args, 2, false)
	if !ok {
		return
	}
	o := codec.GetExOptions{Persist: so.persist}
	if so.unit != "" {
		at, msg := expireArg("getex", so.unit, so.expire)
		if msg != "" {
			// Redis looks the key up (a counted lookup) before it judges
			// the time: a missing key answers nil, not the error.
			_, found, err := c.kdb().GetEx(args[1], codec.GetExOptions{})
			switch {
			case err != nil:
				c.replyErr(err)
			case !found:
				c.w.Null()
			default:
				c.w.Error(msg)
			}
			return
		}
		o.ExpireAt = at
	}
	v, found, err := c.kdb().GetEx(args[1], o)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(v, found)
}

func cmdMGet(c *client, args [][]byte) {
	vals, err := c.kdb().MGet(args[1:]...)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(len(vals))
	for _, v := range vals {
		c.bulkOrNull(v, v != nil)
	}
}

func splitPairs(c *client, args [][]byte, name string) (keys, vals [][]byte, ok bool) {
	if len(args)%2 != 1 {
		c.w.Error(fmt.Sprintf(errWrongArity, name))
		return nil, nil, false
	}
	n := len(args) / 2
	both := make([][]byte, 2*n)
	keys, vals = both[:0:n], both[n:n]
	for i := 1; i < len(args); i += 2 {
		keys = append(keys, args[i])
		vals = append(vals, args[i+1])
	}
	return keys, vals, true
}

func cmdMSet(c *client, args [][]byte) {
	keys, vals, ok := splitPairs(c, args, "mset")
	if !ok {
		return
	}
	if err := c.kdb().MSet(keys, vals); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdMSetNX(c *client, args [][]byte) {
	keys, vals, ok := splitPairs(c, args, "msetnx")
	if !ok {
		return
	}
	set, err := c.kdb().MSetNX(keys, vals)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(set)))
}

func replyInt(c *client, n int64, err error) {
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(n)
}

func cmdAppend(c *client, args [][]byte) {
	n, err := c.kdb().Append(args[1], args[2])
	replyInt(c, n, err)
}

func cmdStrLen(c *client, args [][]byte) {
	n, err := c.kdb().StrLen(args[1])
	replyInt(c, n, err)
}

func cmdGetRange(c *client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInteger)
		return
	}
	v, err := c.kdb().GetRange(args[1], start, end)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Bulk(v)
}

func cmdSetRange(c *client, args [][]byte) {
	off, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	n, err := c.kdb().SetRange(args[1], off, args[3])
	replyInt(c, n, err)
}

func incrBy(c *client, key []byte, delta int64) {
	n, err := c.kdb().IncrBy(key, delta)
	replyInt(c, n, err)
}

func cmdIncr(c *client, args [][]byte) { incrBy(c, args[1], 1) }

func cmdDecr(c *client, args [][]byte) {
	n, err := c.kdb().DecrBy(args[1], 1)
	replyInt(c, n, err)
}

func cmdIncrBy(c *client, args [][]byte) {
	d, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	incrBy(c, args[1], d)
}

func cmdDecrBy(c *client, args [][]byte) {
	d, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	n, err := c.kdb().DecrBy(args[1], d)
	replyInt(c, n, err)
}

// incrRun runs k INCRs or INCRBYs (a delta argument each, which incrByOK
// accepted), decrRun k DECRs or DECRBYs (decrByOK), each of its own key,
// as one codec.DB.IncrByEach: their old values are read together, a key
// named twice sees the earlier change, and each command gets the reply it
// would get alone.
func incrRun(c *client, run *coalesced) { counterRun(c, run, 1) }

func decrRun(c *client, run *coalesced) { counterRun(c, run, -1) }

// counterRun is incrRun (sign 1) and decrRun (sign -1). (A plain function,
// not a closure per sign: the closure's database handle escaped to the
// heap, an allocation per run.)
func counterRun(c *client, run *coalesced, sign int64) {
	k := run.k
	run.elems = slices.Grow(run.elems[:0], k)[:k]
	run.ints = slices.Grow(run.ints[:0], 2*k)[:2*k]
	run.errs = slices.Grow(run.errs[:0], k)[:k]
	keys, deltas, out := run.elems, run.ints[:k], run.ints[k:]
	for i := range k {
		a := run.each(i)
		keys[i], deltas[i] = a[0], sign
		if len(a) > 1 {
			d, _ := parseInt(a[1]) // checked by incrByOK / decrByOK
			deltas[i] = sign * d
		}
	}
	err := c.kdb().IncrByEach(keys, deltas, out, run.errs)
	for i := range k {
		if err != nil {
			c.replyErr(err)
		} else {
			replyInt(c, out[i], run.errs[i])
		}
	}
	clear(run.elems)
	clear(run.errs)
}

// incrByOK accepts an INCRBY whose increment is an integer; DECRBY's
// (decrByOK) must also have a negation. Others run alone, for their
// handlers' errors.
func incrByOK(rest [][]byte) bool {
	_, ok := parseInt(rest[0])
	return ok
}

func decrByOK(rest [][]byte) bool {
	d, ok := parseInt(rest[0])
	return ok && d != math.MinInt64
}

func cmdIncrByFloat(c *client, args [][]byte) {
	v, err := c.kdb().IncrByFloat(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Bulk(v)
}

// cmdLCS implements LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN].
// lcsOptions parses LCS's options, or returns the error reply.
func lcsOptions(args [][]byte) (codec.LCSOptions, string) {
	var o codec.LCSOptions
	for i := 3; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "len":
			o.Len = true
		case "idx":
			o.IDX = true
		case "withmatchlen":
			o.WithMatchLen = true
		case "minmatchlen":
			if i+1 >= len(args) {
				return o, errSyntax
			}
			n, ok := parseInt(args[i+1])
			if !ok {
				return o, errNotInteger
			}
			o.MinMatchLen = max(n, 0)
			i++
		default:
			return o, errSyntax
		}
	}
	if o.Len && o.IDX {
		return o, "ERR If you want both the length and indexes, please just use IDX."
	}
	return o, ""
}

func cmdLCS(c *client, args [][]byte) {
	o, errReply := lcsOptions(args)
	if errReply != "" {
		// Redis looks both keys up (counted lookups) and checks their
		// types before it reads the options.
		var notString bool
		for _, k := range args[1:3] {
			typ, err := c.kdb().Type(k)
			if err != nil {
				c.replyErr(err)
				return
			}
			notString = notString || (typ != "none" && typ != "string")
		}
		if notString {
			c.replyErr(codec.ErrLCSNotString)
			return
		}
		c.w.Error(errReply)
		return
	}
	res, err := c.kdb().LCS(args[1], args[2], o)
	if err != nil {
		c.replyErr(err)
		return
	}
	switch {
	case o.Len:
		c.w.Integer(res.Len)
	case o.IDX:
		c.w.MapHeader(2)
		c.w.BulkString("matches")
		c.w.ArrayHeader(len(res.Matches))
		for _, m := range res.Matches {
			n := 2
			if o.WithMatchLen {
				n = 3
			}
			c.w.ArrayHeader(n)
			for _, r := range [][2]int64{m.A, m.B} {
				c.w.ArrayHeader(2)
				c.w.Integer(r[0])
				c.w.Integer(r[1])
			}
			if o.WithMatchLen {
				c.w.Integer(m.Len)
			}
		}
		c.w.BulkString("len")
		c.w.Integer(res.Len)
	default:
		c.w.Bulk(res.LCS)
	}
}
