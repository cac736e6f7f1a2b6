package server

import (
	"errors"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// The blocking list and sorted-set commands. Each tries its non-blocking form at once and
// otherwise waits through client.block (blocking.go); the try runs again,
// on behalf of the waiting client, whenever one of its keys is written.

func init() {
	register(
		&command{name: "blpop", arity: -3, flags: flagWrite | flagNoScript, firstKey: 1, lastKey: -2, step: 1, group: "list", summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", handler: blockingPop(true)},
		&command{name: "brpop", arity: -3, flags: flagWrite | flagNoScript, firstKey: 1, lastKey: -2, step: 1, group: "list", summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", handler: blockingPop(false)},
		&command{name: "blmove", arity: 6, flags: flagWrite | flagDenyOOM | flagNoScript, firstKey: 1, lastKey: 2, step: 1, group: "list", summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", handler: cmdBLMove},
		&command{name: "brpoplpush", arity: 4, flags: flagWrite | flagDenyOOM | flagNoScript, firstKey: 1, lastKey: 2, step: 1, group: "list", summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", handler: cmdBRPopLPush},
		&command{name: "bzpopmin", arity: -3, flags: flagWrite | flagNoScript | flagFast, firstKey: 1, lastKey: -2, step: 1, group: "sorted_set", summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", handler: blockingZPop(false)},
		&command{name: "bzpopmax", arity: -3, flags: flagWrite | flagNoScript | flagFast, firstKey: 1, lastKey: -2, step: 1, group: "sorted_set", summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", handler: blockingZPop(true)},
		&command{name: "bzmpop", arity: -5, flags: flagWrite | flagNoScript | flagMovableKeys, group: "sorted_set", summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", handler: cmdBZMPop},
		&command{name: "blmpop", arity: -5, flags: flagWrite | flagNoScript | flagMovableKeys, group: "list", summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", handler: cmdBLMPop},
	)
}

// waitErr is how a try reports an error: a key of another type keeps the
// client waiting (as in Redis, it is served once the key holds the right
// type); any other error is the reply.
func waitErr(w *resp.Writer, err error) bool {
	if errors.Is(err, codec.ErrWrongType) {
		return false
	}
	w.Error(errorReply(err))
	return true
}

// firstTry wraps a try for its first, immediate run: there a key of
// another type is the command's WRONGTYPE reply.
func firstTry(try func(w *resp.Writer) (bool, error)) (immediate, later func(w *resp.Writer) bool) {
	immediate = func(w *resp.Writer) bool {
		ok, err := try(w)
		if err != nil {
			w.Error(errorReply(err))
			return true
		}
		return ok
	}
	later = func(w *resp.Writer) bool {
		ok, err := try(w)
		if err != nil {
			return waitErr(w, err)
		}
		return ok
	}
	return immediate, later
}

func nullArrayReply(w *resp.Writer) { w.NullArray() }

// blockingPop is BLPOP (left) and BRPOP: key [key ...] timeout.
func blockingPop(left bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		timeout, errMsg := parseTimeout(args[len(args)-1])
		if errMsg != "" {
			c.w.Error(errMsg)
			return
		}
		keys := args[1 : len(args)-1]
		db := c.kdb()
		now, later := firstTry(func(w *resp.Writer) (bool, error) {
			key, es, found, err := db.LMPop(keys, left, 1)
			if err != nil || !found {
				return false, err
			}
			w.ArrayHeader(2)
			w.Bulk(key)
			w.Bulk(es[0])
			return true, nil
		})
		c.blockOn(keys, timeout, now, later, nullArrayReply)
	}
}

// blockOn is client.block with separate first and later tries.
func (c *client) blockOn(keys [][]byte, timeout time.Duration, now, later func(w *resp.Writer) bool, timedOut func(w *resp.Writer)) {
	if now(c.w) {
		return
	}
	c.block(keys, timeout, later, timedOut)
}

func cmdBLMove(c *client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	c.blmove(args, from, to, args[5])
}

func cmdBRPopLPush(c *client, args [][]byte) { c.blmove(args, false, true, args[3]) }

func (c *client) blmove(args [][]byte, from, to bool, timeoutArg []byte) {
	timeout, errMsg := parseTimeout(timeoutArg)
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	src, dst := args[1], args[2]
	db := c.kdb()
	now, later := firstTry(func(w *resp.Writer) (bool, error) {
		e, found, err := db.LMove(src, dst, from, to)
		if err != nil || !found {
			return false, err
		}
		w.Bulk(e)
		return true, nil
	})
	c.blockOn([][]byte{src}, timeout, now, later, nullArrayReply)
}

// cmdBLMPop is BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT n].
func cmdBLMPop(c *client, args [][]byte) {
	keys, left, count, ok := c.mpopArgs(args, 2, "left", "right")
	if !ok {
		return
	}
	timeout, errMsg := parseTimeout(args[1]) // after the other arguments, as in Redis
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	db := c.kdb()
	now, later := firstTry(func(w *resp.Writer) (bool, error) {
		key, es, found, err := db.LMPop(keys, left, count)
		if err != nil || !found {
			return false, err
		}
		w.ArrayHeader(2)
		w.Bulk(key)
		w.ArrayHeader(len(es))
		for _, e := range es {
			w.Bulk(e)
		}
		return true, nil
	})
	c.blockOn(keys, timeout, now, later, nullArrayReply)
}

// blockingZPop is BZPOPMIN and BZPOPMAX (max): key [key ...] timeout.
func blockingZPop(max bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		timeout, errMsg := parseTimeout(args[len(args)-1])
		if errMsg != "" {
			c.w.Error(errMsg)
			return
		}
		keys := args[1 : len(args)-1]
		db := c.kdb()
		now, later := firstTry(func(w *resp.Writer) (bool, error) {
			key, members, scores, err := db.ZMPop(keys, max, 1)
			if err != nil || key == nil {
				return false, err
			}
			w.ArrayHeader(3)
			w.Bulk(key)
			w.Bulk(members[0])
			w.Double(scores[0])
			return true, nil
		})
		c.blockOn(keys, timeout, now, later, nullArrayReply)
	}
}

// cmdBZMPop is BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT n].
func cmdBZMPop(c *client, args [][]byte) {
	keys, min, count, ok := c.mpopArgs(args, 2, "min", "max")
	if !ok {
		return
	}
	timeout, errMsg := parseTimeout(args[1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	db := c.kdb()
	now, later := firstTry(func(w *resp.Writer) (bool, error) {
		key, members, scores, err := db.ZMPop(keys, !min, count)
		if err != nil || key == nil {
			return false, err
		}
		writeZMPop(w, key, members, scores)
		return true, nil
	})
	c.blockOn(keys, timeout, now, later, nullArrayReply)
}
