package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-db/strata/codec"
)

// Hash commands: syntax and replies. The meaning lives in codec/hash.go.

func init() {
	k1 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 1, 1, "hash"; return c }
	register(
		k1(&command{name: "hset", elemArg: 2, arity: -4, flags: flagWrite | flagDenyOOM | flagFast, summary: "Creates or modifies the value of a field in a hash.", handler: cmdHSet, coalesce: hsetRun, coalesceArity: 4}),
		k1(&command{name: "hmset", elemArg: 2, arity: -4, flags: flagWrite | flagDenyOOM | flagFast, summary: "Sets the values of multiple fields.", handler: cmdHMSet}),
		k1(&command{name: "hsetnx", elemArg: 2, arity: 4, flags: flagWrite | flagDenyOOM | flagFast, summary: "Sets the value of a field in a hash only when the field doesn't exist.", handler: cmdHSetNX}),
		k1(&command{name: "hget", arity: 3, flags: flagReadOnly | flagFast, summary: "Returns the value of a field in a hash.", handler: cmdHGet}),
		k1(&command{name: "hmget", arity: -3, flags: flagReadOnly | flagFast, summary: "Returns the values of all fields in a hash.", handler: cmdHMGet}),
		k1(&command{name: "hdel", elemArg: 2, arity: -3, flags: flagWrite | flagFast, summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", handler: cmdHDel}),
		k1(&command{name: "hlen", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the number of fields in a hash.", handler: cmdHLen}),
		k1(&command{name: "hstrlen", arity: 3, flags: flagReadOnly | flagFast, summary: "Returns the length of the value of a field.", handler: cmdHStrLen}),
		k1(&command{name: "hexists", arity: 3, flags: flagReadOnly | flagFast, summary: "Determines whether a field exists in a hash.", handler: cmdHExists}),
		k1(&command{name: "hgetall", arity: 2, flags: flagReadOnly, summary: "Returns all fields and values in a hash.", handler: cmdHGetAll}),
		k1(&command{name: "hkeys", arity: 2, flags: flagReadOnly, summary: "Returns all fields in a hash.", handler: cmdHKeys}),
		k1(&command{name: "hvals", arity: 2, flags: flagReadOnly, summary: "Returns all values in a hash.", handler: cmdHVals}),
		k1(&command{name: "hincrby", elemArg: 2, arity: 4, flags: flagWrite | flagDenyOOM | flagFast, summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", handler: cmdHIncrBy}),
		k1(&command{name: "hincrbyfloat", elemArg: 2, arity: 4, flags: flagWrite | flagDenyOOM | flagFast, summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", handler: cmdHIncrByFloat}),
		k1(&command{name: "hrandfield", arity: -2, flags: flagReadOnly, summary: "Returns one or more random fields from a hash.", handler: cmdHRandField}),
		k1(&command{name: "hscan", arity: -3, flags: flagReadOnly, summary: "Iterates over fields and values of a hash.", handler: cmdHScan}),
	)
}

func cmdHSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.Error(fmt.Sprintf(errWrongArity, strings.ToLower(string(args[0]))))
		return
	}
	n, err := c.kdb().HSet(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(n)
}

// hsetRun runs k HSETs of one field each (coalesce.go): each replies
// whether its field was added.
func hsetRun(c *client, run *coalesced) {
	added := run.flags()
	c.addedReplies(added, c.kdb().HSetEach(run.key(), run.rest, added))
}

// addedReplies answers the commands of a coalesced run of adds: 1 where
// added says the element was added, else 0; err to each if the run failed.
func (c *client) addedReplies(added []bool, err error) {
	for _, a := range added {
		c.boolReply(a, err)
	}
}

func cmdHMSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.Error(fmt.Sprintf(errWrongArity, strings.ToLower(string(args[0]))))
		return
	}
	if _, err := c.kdb().HSet(args[1], args[2:]); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdHSetNX(c *client, args [][]byte) {
	ok, err := c.kdb().HSetNX(args[1], args[2], args[3])
	c.boolReply(ok, err)
}

// boolReply writes 1 or 0, or the error.
func (c *client) boolReply(ok bool, err error) {
	switch {
	case err != nil:
		c.replyErr(err)
	case ok:
		c.w.Integer(1)
	default:
		c.w.Integer(0)
	}
}

// intReply writes n, or the error.
func (c *client) intReply(n int64, err error) {
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(n)
}

func cmdHGet(c *client, args [][]byte) {
	v, found, err := c.kdb().HGet(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(v, found)
}

func cmdHMGet(c *client, args [][]byte) {
	vals, found, err := c.kdb().HMGet(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(len(vals))
	for i, v := range vals {
		c.bulkOrNull(v, found[i])
	}
}

func cmdHDel(c *client, args [][]byte) { c.intReply(c.kdb().HDel(args[1], args[2:])) }
func cmdHLen(c *client, args [][]byte) { c.intReply(c.kdb().HLen(args[1])) }
func cmdHStrLen(c *client, args [][]byte) {
	c.intReply(c.kdb().HStrLen(args[1], args[2]))
}

func cmdHExists(c *client, args [][]byte) { c.boolReply(c.kdb().HExists(args[1], args[2])) }

func cmdHGetAll(c *client, args [][]byte) {
	fields, values, err := c.kdb().HGetAll(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.MapHeader(len(fields))
	for i := range fields {
		c.w.Bulk(fields[i])
		c.w.Bulk(values[i])
	}
}

func cmdHKeys(c *client, args [][]byte) {
	fields, _, err := c.kdb().HGetAll(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkArray(fields)
}

func cmdHVals(c *client, args [][]byte) {
	_, values, err := c.kdb().HGetAll(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkArray(values)
}

// bulkArray writes an array of bulk strings.
func (c *client) bulkArray(vs [][]byte) {
	c.w.ArrayHeader(len(vs))
	for _, v := range vs {
		c.w.Bulk(v)
	}
}

func cmdHIncrBy(c *client, args [][]byte) {
	delta, ok := parseInt(args[3])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	c.intReply(c.kdb().HIncrBy(args[1], args[2], delta))
}

func cmdHIncrByFloat(c *client, args [][]byte) {
	isInf, ok := codec.ParseFloatArg(args[3])
	if !ok {
		c.w.Error(errNotFloat)
		return
	}
	if isInf {
		c.w.Error("ERR value is NaN or Infinity")
		return
	}
	v, err := c.kdb().HIncrByFloat(args[1], args[2], args[3])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Bulk(v)
}

// randCountArgs parses the [count [WITHVALUES|WITHSCORES]] tail of
// HRANDFIELD, ZRANDMEMBER (with) and SRANDMEMBER (with == ""), as Redis 7.0
// does. hasCount is false when no count was given.
func (c *client) randCountArgs(args [][]byte, with string) (count int64, hasCount, withValues, ok bool) {
	if len(args) < 3 {
		return 0, false, false, true
	}
	n, isInt := parseInt(args[2])
	if !isInt {
		c.w.Error(errNotInteger)
		return 0, false, false, false
	}
	if n == -1<<63 {
		c.w.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false, false, false
	}
	if len(args) > 4 || (len(args) == 4 && (with == "" || !strings.EqualFold(string(args[3]), with))) {
		c.w.Error(errSyntax)
		return 0, false, false, false
	}
	if len(args) == 4 {
		// Redis: l < -LONG_MAX/2 || l > LONG_MAX/2, so ±2^62 are refused.
		if n < -(1<<62-1) || n > 1<<62-1 {
			c.w.Error("ERR value is out of range")
			return 0, false, false, false
		}
		withValues = true
	}
	return n, true, withValues, true
}

// pairsReply writes field/value pairs as HRANDFIELD and ZRANDMEMBER do with
// WITHVALUES/WITHSCORES: a flat array in RESP2, an array of pairs in RESP3.
func (c *client) pairsReply(fields, values [][]byte) {
	if c.proto == 3 {
		c.w.ArrayHeader(len(fields))
		for i := range fields {
			c.w.ArrayHeader(2)
			c.w.Bulk(fields[i])
			c.w.Bulk(values[i])
		}
		return
	}
	c.w.ArrayHeader(2 * len(fields))
	for i := range fields {
		c.w.Bulk(fields[i])
		c.w.Bulk(values[i])
	}
}

func cmdHRandField(c *client, args [][]byte) {
	count, hasCount, withValues, ok := c.randCountArgs(args, "withvalues")
	if !ok {
		return
	}
	if !hasCount {
		fields, _, err := c.kdb().HRandField(args[1], 1)
		if err != nil {
			c.replyErr(err)
			return
		}
		if len(fields) == 0 {
			c.w.Null()
			return
		}
		c.w.Bulk(fields[0])
		return
	}
	fields, values, err := c.kdb().HRandField(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if withValues {
		c.pairsReply(fields, values)
		return
	}
	c.bulkArray(fields)
}

// elementScanArgs parses HSCAN/SSCAN/ZSCAN's cursor [MATCH p] [COUNT n].
// Like Redis, option errors are reported only when the key exists, so it
// returns the error reply instead of writing it.
func elementScanArgs(args [][]byte) (cursor uint64, match []byte, count int, errReply string) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		return 0, nil, 0, "ERR invalid cursor"
	}
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return cursor, nil, 0, errSyntax
		}
		v := args[i+1]
		switch strings.ToLower(string(args[i])) {
		case "match":
			match = append([]byte{}, v...) // non-nil: "" matches nothing
		case "count":
			n, ok := parseInt(v)
			if !ok {
				return cursor, nil, 0, errNotInteger
			}
			if n < 1 {
				return cursor, nil, 0, errSyntax
			}
			count = int(min(n, 1<<20))
		default:
			return cursor, nil, 0, errSyntax
		}
	}
	return cursor, match, count, ""
}

// elementScan runs one of HSCAN/SSCAN/ZSCAN: scan does the walk of key t.
func (c *client) elementScan(args [][]byte, t string, scan func(cursor uint64, match []byte, count int) (codec.ScanResult, error)) {
	cursor, match, count, errReply := elementScanArgs(args)
	if errReply == "ERR invalid cursor" {
		c.w.Error(errReply)
		return
	}
	if errReply != "" {
		typ, err := c.kdb().Type(args[1])
		switch {
		case err != nil:
			c.replyErr(err)
		case typ == "none":
			c.emptyScan()
		case typ != t:
			c.w.Error(errWrongType)
		default:
			c.w.Error(errReply)
		}
		return
	}
	res, err := scan(cursor, match, count)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(2)
	c.w.BulkString(strconv.FormatUint(res.Cursor, 10))
	c.bulkArray(res.Items)
}

func (c *client) emptyScan() {
	c.w.ArrayHeader(2)
	c.w.BulkString("0")
	c.w.ArrayHeader(0)
}

func cmdHScan(c *client, args [][]byte) {
	c.elementScan(args, "hash", func(cursor uint64, match []byte, count int) (codec.ScanResult, error) {
		return c.kdb().HScan(args[1], cursor, match, count, false)
	})
}

// parseScanCursor parses a SCAN cursor as Redis 7.0 does with strtoul: an
// optional sign ("-1" wraps around to 2^64-1), decimal digits, nothing
// else; a leading space or an overflow is invalid, the empty string is 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:]), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
