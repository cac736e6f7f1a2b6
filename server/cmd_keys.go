package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-db/strata/codec"
)

// Generic keyspace commands: syntax and replies. The meaning lives in
// codec/keys.go and codec/expire.go.

func init() {
	k1 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 1, 1, "generic"; return c }
	kAll := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, -1, 1, "generic"; return c }
	k12 := func(c *command) *command { c.firstKey, c.lastKey, c.step, c.group = 1, 2, 1, "generic"; return c }
	none := func(c *command) *command { c.group = "generic"; return c }
	register(
		kAll(&command{name: "del", arity: -2, flags: flagWrite, summary: "Deletes one or more keys.", handler: cmdDel}),
		kAll(&command{name: "unlink", arity: -2, flags: flagWrite | flagFast, summary: "Asynchronously deletes one or more keys.", handler: cmdDel}),
		kAll(&command{name: "exists", arity: -2, flags: flagReadOnly | flagFast, summary: "Determines whether one or more keys exist.", handler: cmdExists}),
		kAll(&command{name: "touch", arity: -2, flags: flagReadOnly | flagFast, summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", handler: cmdTouch}),
		k1(&command{name: "type", arity: 2, flags: flagReadOnly | flagFast, summary: "Determines the type of value stored at a key.", handler: cmdType}),
		k1(&command{name: "expire", arity: -3, flags: flagWrite | flagFast, summary: "Sets the expiration time of a key in seconds.", handler: cmdExpire}),
		k1(&command{name: "pexpire", arity: -3, flags: flagWrite | flagFast, summary: "Sets the expiration time of a key in milliseconds.", handler: cmdPExpire}),
		k1(&command{name: "expireat", arity: -3, flags: flagWrite | flagFast, summary: "Sets the expiration time of a key to a Unix timestamp.", handler: cmdExpireAt}),
		k1(&command{name: "pexpireat", arity: -3, flags: flagWrite | flagFast, summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", handler: cmdPExpireAt}),
		k1(&command{name: "ttl", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the expiration time in seconds of a key.", handler: cmdTTL}),
		k1(&command{name: "pttl", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the expiration time in milliseconds of a key.", handler: cmdPTTL}),
		k1(&command{name: "expiretime", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the expiration time of a key as a Unix timestamp.", handler: cmdExpireTime}),
		k1(&command{name: "pexpiretime", arity: 2, flags: flagReadOnly | flagFast, summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", handler: cmdPExpireTime}),
		k1(&command{name: "persist", arity: 2, flags: flagWrite | flagFast, summary: "Removes the expiration time of a key.", handler: cmdPersist}),
		none(&command{name: "keys", arity: 2, flags: flagReadOnly, summary: "Returns all key names that match a pattern.", handler: cmdKeys}),
		none(&command{name: "scan", arity: -2, flags: flagReadOnly, summary: "Iterates over the key names in the database.", handler: cmdScan}),
		none(&command{name: "randomkey", arity: 1, flags: flagReadOnly, summary: "Returns a random key name from the database.", handler: cmdRandomKey}),
		k12(&command{name: "rename", arity: 3, flags: flagWrite, summary: "Renames a key and overwrites the destination.", handler: cmdRename}),
		k12(&command{name: "renamenx", arity: 3, flags: flagWrite | flagFast, summary: "Renames a key only when the target key name doesn't exist.", handler: cmdRenameNX}),
		k12(&command{name: "copy", arity: -3, flags: flagWrite | flagDenyOOM, summary: "Copies the value of a key to a new key.", handler: cmdCopy}),
		k1(&command{name: "move", arity: 3, flags: flagWrite | flagFast, summary: "Moves a key to another database.", handler: cmdMove}),
		&command{name: "dbsize", arity: 1, flags: flagReadOnly | flagFast, group: "server", summary: "Returns the number of keys in the database.", handler: cmdDBSize},
		&command{name: "flushdb", arity: -1, flags: flagWrite, group: "server", summary: "Remove all keys from the current database.", handler: cmdFlushDB},
		&command{name: "swapdb", arity: 3, flags: flagWrite | flagFast, group: "server", summary: "Swaps two Redis databases.", handler: cmdSwapDB},
		&command{name: "flushall", arity: -1, flags: flagWrite, group: "server", summary: "Removes all keys from all databases.", handler: cmdFlushAll},
	)
}

func cmdDel(c *client, args [][]byte) {
	n, err := c.kdb().Del(args[1:]...)
	replyInt(c, n, err)
}

func cmdExists(c *client, args [][]byte) {
	n, err := c.kdb().Exists(args[1:]...)
	replyInt(c, n, err)
}

func cmdTouch(c *client, args [][]byte) {
	n, err := c.kdb().Touch(args[1:]...)
	replyInt(c, n, err)
}

func cmdType(c *client, args [][]byte) {
	t, err := c.kdb().Type(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString(t)
}

// expireGeneric implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with
// Redis 7's NX, XX, GT and LT options. unitMs is 1000 for seconds;
// relative says whether the argument is relative to now.
func expireGeneric(c *client, args [][]byte, name string, unitMs int64, relative bool) {
	// Options first, then the time, as expireGenericCommand does.
	var cond codec.ExpireCond
	for _, a := range args[3:] {
		switch strings.ToLower(string(a)) {
		case "nx":
			cond |= codec.ExpireNX
		case "xx":
			cond |= codec.ExpireXX
		case "gt":
			cond |= codec.ExpireGT
		case "lt":
			cond |= codec.ExpireLT
		default:
			c.w.Error(fmt.Sprintf("ERR Unsupported option %s", a))
			return
		}
	}
	if cond&codec.ExpireNX != 0 && cond&(codec.ExpireXX|codec.ExpireGT|codec.ExpireLT) != 0 {
		c.w.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if cond&codec.ExpireGT != 0 && cond&codec.ExpireLT != 0 {
		c.w.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	v, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	// Overflow checks as Redis does them: the unit conversion both ways,
	// adding the base time only upwards (a negative time plus now cannot
	// overflow, and it deletes the key).
	if v > math.MaxInt64/unitMs || v < math.MinInt64/unitMs {
		c.w.Error(fmt.Sprintf(errInvalidExpire, name))
		return
	}
	at := v * unitMs
	if relative {
		now := time.Now().UnixMilli()
		if at > math.MaxInt64-now {
			c.w.Error(fmt.Sprintf(errInvalidExpire, name))
			return
		}
		at += now
	}
	set, err := c.kdb().Expire(args[1], at, cond)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(set)))
}

func cmdExpire(c *client, args [][]byte)    { expireGeneric(c, args, "expire", 1000, true) }
func cmdPExpire(c *client, args [][]byte)   { expireGeneric(c, args, "pexpire", 1, true) }
func cmdExpireAt(c *client, args [][]byte)  { expireGeneric(c, args, "expireat", 1000, false) }
func cmdPExpireAt(c *client, args [][]byte) { expireGeneric(c, args, "pexpireat", 1, false) }

func cmdTTL(c *client, args [][]byte) {
	n, err := c.kdb().TTL(args[1])
	replyInt(c, n, err)
}

func cmdPTTL(c *client, args [][]byte) {
	n, err := c.kdb().PTTL(args[1])
	replyInt(c, n, err)
}

func cmdExpireTime(c *client, args [][]byte) {
	n, err := c.kdb().ExpireTime(args[1])
	replyInt(c, n, err)
}

func cmdPExpireTime(c *client, args [][]byte) {
	n, err := c.kdb().PExpireTime(args[1])
	replyInt(c, n, err)
}

func cmdPersist(c *client, args [][]byte) {
	ok, err := c.kdb().Persist(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(ok)))
}

func cmdKeys(c *client, args [][]byte) {
	keys, err := c.kdb().Keys(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

// cmdScan implements SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
func cmdScan(c *client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.w.Error("ERR invalid cursor")
		return
	}
	var o codec.ScanOptions
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.w.Error(errSyntax)
			return
		}
		v := args[i+1]
		switch strings.ToLower(string(args[i])) {
		case "match":
			o.Match = append([]byte{}, v...) // non-nil: "" matches nothing
		case "count":
			n, ok := parseInt(v)
			if !ok {
				c.w.Error(errNotInteger)
				return
			}
			if n < 1 {
				c.w.Error(errSyntax)
				return
			}
			o.Count = int(min(n, 1<<20))
		case "type":
			o.Type = strings.ToLower(string(v))
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	next, keys, err := c.kdb().Scan(cursor, o)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(2)
	c.w.BulkString(strconv.FormatUint(next, 10))
	c.w.ArrayHeader(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

func cmdRandomKey(c *client, args [][]byte) {
	k, found, err := c.kdb().RandomKey()
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkOrNull(k, found)
}

func cmdRename(c *client, args [][]byte) {
	if err := c.kdb().Rename(args[1], args[2]); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdRenameNX(c *client, args [][]byte) {
	ok, err := c.kdb().RenameNX(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(ok)))
}

// parseDBIndex parses a database number argument (COPY DB, MOVE).
func (c *client) parseDBIndex(b []byte) (int, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.w.Error(errNotInteger)
		return 0, false
	}
	if n < 0 || n >= c.s.cfg.Int("databases") {
		c.w.Error(errDBIndex)
		return 0, false
	}
	return int(n), true
}

// cmdCopy implements COPY source destination [DB destination-db] [REPLACE].
func cmdCopy(c *client, args [][]byte) {
	dstDB, replace := c.db, false
	for i := 3; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "replace":
			replace = true
		case "db":
			if i+1 >= len(args) {
				c.w.Error(errSyntax)
				return
			}
			n, ok := c.parseDBIndex(args[i+1])
			if !ok {
				return
			}
			dstDB = n
			i++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	ok, err := c.kdb().Copy(args[1], args[2], dstDB, replace)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(ok)))
}

func cmdMove(c *client, args [][]byte) {
	n, ok := c.parseDBIndex(args[2])
	if !ok {
		return
	}
	if n == c.db {
		c.w.Error(errSameObject)
		return
	}
	moved, err := c.kdb().Move(args[1], n)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.Integer(int64(boolInt(moved)))
}

func cmdDBSize(c *client, args [][]byte) {
	c.w.Integer(c.kdb().DBSize())
}

// flushMode checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument. Both
// are the same here: a flush is a few range deletions, O(1) either way.
func flushMode(c *client, args [][]byte) bool {
	if len(args) > 2 {
		c.w.Error(errSyntax)
		return false
	}
	if len(args) == 2 {
		switch strings.ToLower(string(args[1])) {
		case "async", "sync":
		default:
			c.w.Error(errSyntax)
			return false
		}
	}
	return true
}

func cmdFlushDB(c *client, args [][]byte) {
	if !flushMode(c, args) {
		return
	}
	if err := c.kdb().FlushDB(); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func cmdFlushAll(c *client, args [][]byte) {
	if !flushMode(c, args) {
		return
	}
	if err := c.keyspace().FlushAll(); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

// cmdSwapDB implements SWAPDB index1 index2.
func cmdSwapDB(c *client, args [][]byte) {
	a, ok1 := parseInt(args[1])
	if !ok1 {
		c.w.Error("ERR invalid first DB index")
		return
	}
	b, ok2 := parseInt(args[2])
	if !ok2 {
		c.w.Error("ERR invalid second DB index")
		return
	}
	n := c.s.cfg.Int("databases")
	if a < 0 || a >= n || b < 0 || b >= n {
		c.w.Error(errDBIndex)
		return
	}
	if err := c.keyspace().SwapDB(int(a), int(b)); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}
