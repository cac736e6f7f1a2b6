package server

import (
	"strings"

	"github.com/strata-db/strata/codec"
)

// Set commands: syntax and replies. The meaning lives in codec/set.go.

func init() {
	set := func(first, last int, c *command) *command {
		c.firstKey, c.lastKey, c.step, c.group = first, last, 1, "set"
		if first == 0 {
			c.step = 0
		}
		return c
	}
	k1 := func(c *command) *command { return set(1, 1, c) }
	kAll := func(c *command) *command { return set(1, -1, c) }
	register(
		k1(&command{name: "sadd", elemArg: 2, arity: -3, flags: flagWrite | flagDenyOOM | flagFast, summary: "Add one or more members to a set", handler: cmdSAdd, coalesce: saddRun, coalesceArity: 3}),
		k1(&command{name: "srem", elemArg: 2, arity: -3, flags: flagWrite | flagFast, summary: "Remove one or more members from a set", handler: cmdSRem}),
		k1(&command{name: "scard", arity: 2, flags: flagReadOnly | flagFast, summary: "Get the number of members in a set", handler: cmdSCard}),
		k1(&command{name: "sismember", arity: 3, flags: flagReadOnly | flagFast, summary: "Determine if a given value is a member of a set", handler: cmdSIsMember}),
		k1(&command{name: "smismember", arity: -3, flags: flagReadOnly | flagFast, since: "6.2.0", summary: "Returns the membership associated with the given elements for a set", handler: cmdSMIsMember}),
		k1(&command{name: "smembers", arity: 2, flags: flagReadOnly, summary: "Get all the members in a set", handler: cmdSMembers}),
		k1(&command{name: "spop", arity: -2, flags: flagWrite | flagFast, summary: "Remove and return one or multiple random members from a set", handler: cmdSPop}),
		k1(&command{name: "srandmember", arity: -2, flags: flagReadOnly, summary: "Get one or multiple random members from a set", handler: cmdSRandMember}),
		set(1, 2, &command{name: "smove", arity: 4, flags: flagWrite | flagFast, summary: "Move a member from one set to another", handler: cmdSMove}),
		kAll(&command{name: "sinter", arity: -2, flags: flagReadOnly, summary: "Intersect multiple sets", handler: cmdSInter}),
		kAll(&command{name: "sunion", arity: -2, flags: flagReadOnly, summary: "Add multiple sets", handler: cmdSUnion}),
		kAll(&command{name: "sdiff", arity: -2, flags: flagReadOnly, summary: "Subtract multiple sets", handler: cmdSDiff}),
		kAll(&command{name: "sinterstore", arity: -3, flags: flagWrite | flagDenyOOM, summary: "Intersect multiple sets and store the resulting set in a key", handler: cmdSInterStore}),
		kAll(&command{name: "sunionstore", arity: -3, flags: flagWrite | flagDenyOOM, summary: "Add multiple sets and store the resulting set in a key", handler: cmdSUnionStore}),
		kAll(&command{name: "sdiffstore", arity: -3, flags: flagWrite | flagDenyOOM, summary: "Subtract multiple sets and store the resulting set in a key", handler: cmdSDiffStore}),
		// SINTERCARD's keys follow numkeys: no fixed range (Redis: 0 0 0).
		set(0, 0, &command{name: "sintercard", arity: -3, flags: flagReadOnly | flagMovableKeys, since: "7.0.0", summary: "Intersect multiple sets and return the cardinality of the result", handler: cmdSInterCard}),
		k1(&command{name: "sscan", arity: -3, flags: flagReadOnly, since: "2.8.0", summary: "Incrementally iterate Set elements", handler: cmdSScan}),
	)
}

// Set command errors (Redis 7.0's texts).
const (
	errSPopCount       = "ERR value is out of range, must be positive"
	errNumKeysPositive = "ERR numkeys should be greater than 0"
	errNumKeysTooMany  = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
)

func cmdSAdd(c *client, args [][]byte) { c.intReply(c.kdb().SAdd(args[1], args[2:])) }

// saddRun runs k SADDs of one member each (coalesce.go): each replies
// whether its member was added.
func saddRun(c *client, run *coalesced) {
	added := run.flags()
	c.addedReplies(added, c.kdb().SAddEach(run.key(), run.rest, added))
}
func cmdSRem(c *client, args [][]byte) { c.intReply(c.kdb().SRem(args[1], args[2:])) }
func cmdSCard(c *client, args [][]byte) {
	c.intReply(c.kdb().SCard(args[1]))
}

func cmdSIsMember(c *client, args [][]byte) { c.boolReply(c.kdb().SIsMember(args[1], args[2])) }

func cmdSMIsMember(c *client, args [][]byte) {
	found, err := c.kdb().SMIsMember(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.ArrayHeader(len(found))
	for _, ok := range found {
		if ok {
			c.w.Integer(1)
		} else {
			c.w.Integer(0)
		}
	}
}

// setReply writes members as a set (an array in RESP2), or the error.
func (c *client) setReply(members [][]byte, err error) {
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.SetHeader(len(members))
	for _, m := range members {
		c.w.Bulk(m)
	}
}

func cmdSMembers(c *client, args [][]byte) { c.setReply(c.kdb().SMembers(args[1])) }

// singleMember writes the one member of a count-less SPOP or SRANDMEMBER,
// or a null when the key is missing.
func (c *client) singleMember(members [][]byte, err error) {
	switch {
	case err != nil:
		c.replyErr(err)
	case len(members) == 0:
		c.w.Null()
	default:
		c.w.Bulk(members[0])
	}
}

func cmdSPop(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		c.singleMember(c.kdb().SPopOne(args[1]))
		return
	case 3:
	default:
		c.w.Error(errSyntax)
		return
	}
	count, ok := parseInt(args[2])
	if !ok || count < 0 {
		c.w.Error(errSPopCount)
		return
	}
	c.setReply(c.kdb().SPop(args[1], count))
}

func cmdSRandMember(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		c.singleMember(c.kdb().SRandMember(args[1], 1))
		return
	case 3:
	default:
		c.w.Error(errSyntax)
		return
	}
	count, _, _, ok := c.randCountArgs(args, "")
	if !ok {
		return
	}
	members, err := c.kdb().SRandMember(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.bulkArray(members) // an array even in RESP3: members may repeat
}

func cmdSMove(c *client, args [][]byte) { c.boolReply(c.kdb().SMove(args[1], args[2], args[3])) }

func cmdSInter(c *client, args [][]byte) { c.setReply(c.kdb().SetCombine(codec.SetInter, args[1:])) }
func cmdSUnion(c *client, args [][]byte) { c.setReply(c.kdb().SetCombine(codec.SetUnion, args[1:])) }
func cmdSDiff(c *client, args [][]byte)  { c.setReply(c.kdb().SetCombine(codec.SetDiff, args[1:])) }

func cmdSInterStore(c *client, args [][]byte) {
	c.intReply(c.kdb().SetStore(codec.SetInter, args[1], args[2:]))
}

func cmdSUnionStore(c *client, args [][]byte) {
	c.intReply(c.kdb().SetStore(codec.SetUnion, args[1], args[2:]))
}

func cmdSDiffStore(c *client, args [][]byte) {
	c.intReply(c.kdb().SetStore(codec.SetDiff, args[1], args[2:]))
}

// cmdSInterCard is SINTERCARD numkeys key [key ...] [LIMIT limit], parsed
// as Redis 7.0 does: numkeys first, then the options (the last LIMIT wins).
func cmdSInterCard(c *client, args [][]byte) {
	numKeys, ok := parseInt(args[1])
	if !ok || numKeys < 1 {
		c.w.Error(errNumKeysPositive)
		return
	}
	if numKeys > int64(len(args)-2) {
		c.w.Error(errNumKeysTooMany)
		return
	}
	var limit int64
	for i := 2 + int(numKeys); i < len(args); i++ {
		if !strings.EqualFold(string(args[i]), "limit") || i+1 == len(args) {
			c.w.Error(errSyntax)
			return
		}
		i++
		if limit, ok = parseInt(args[i]); !ok || limit < 0 {
			c.w.Error(errLimitNegative)
			return
		}
	}
	c.intReply(c.kdb().SInterCard(args[2:2+numKeys], limit))
}

func cmdSScan(c *client, args [][]byte) {
	c.elementScan(args, "set", func(cursor uint64, match []byte, count int) (codec.ScanResult, error) {
		return c.kdb().SScan(args[1], cursor, match, count)
	})
}
