package server

import (
	"errors"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// The blocking list and sorted-set commands. Each tries its non-blocking
// form at once and otherwise waits through client.block (blocking.go); the
// try runs again, on behalf of the waiting client, whenever one of its keys
// is written.

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

// serveOrBlock runs a blocking command: try at once, where an error (a key
// of another type included) is the reply; when it finds nothing, the client
// waits on keys and try runs again for it at each write to one of them.
// There a key of another type keeps it waiting, as in Redis (it is served
// once the key holds the right type); any other error is the reply.
func (c *client) serveOrBlock(keys [][]byte, timeout time.Duration, try func(w *resp.Writer) (bool, error)) {
	ok, err := try(c.w)
	if err != nil {
		c.replyErr(err)
		return
	}
	if ok {
		return
	}
	c.block(keys, timeout, func(w *resp.Writer) bool {
		ok, err := try(w)
		if err == nil || errors.Is(err, codec.ErrWrongType) {
			return ok
		}
		w.Error(errorReply(err))
		return true
	})
}

// keysThenTimeout parses BLPOP's, BRPOP's and BZPOPMIN/MAX's arguments:
// key [key ...] timeout. ok is false after replying with the error.
func (c *client) keysThenTimeout(args [][]byte) (keys [][]byte, timeout time.Duration, ok bool) {
	timeout, errMsg := parseTimeout(args[len(args)-1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return nil, 0, false
	}
	return args[1 : len(args)-1], timeout, true
}

// blockingPop is BLPOP (left) and BRPOP.
//
//go:noinline
func blockingPop(left bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		keys, timeout, ok := c.keysThenTimeout(args)
		if !ok {
			return
		}
		db := c.kdb()
		c.serveOrBlock(keys, timeout, func(w *resp.Writer) (bool, error) {
			key, es, found, err := db.LMPop(keys, left, 1)
			if err != nil || !found {
				return false, err
			}
			w.ArrayHeader(2)
			w.Bulk(key)
			w.Bulk(es[0])
			return true, nil
		})
	}
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
	c.serveOrBlock([][]byte{src}, timeout, func(w *resp.Writer) (bool, error) {
		e, found, err := db.LMove(src, dst, from, to)
		if err != nil || !found {
			return false, err
		}
		w.Bulk(e)
		return true, nil
	})
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
	c.serveOrBlock(keys, timeout, func(w *resp.Writer) (bool, error) {
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
}

// blockingZPop is BZPOPMIN and BZPOPMAX (max).
//
//go:noinline
func blockingZPop(max bool) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		keys, timeout, ok := c.keysThenTimeout(args)
		if !ok {
			return
		}
		db := c.kdb()
		c.serveOrBlock(keys, timeout, func(w *resp.Writer) (bool, error) {
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
	}
}

// cmdBZMPop is BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT n].
func cmdBZMPop(c *client, args [][]byte) {
	keys, min, count, ok := c.mpopArgs(args, 2, "min", "max")
	if !ok {
		return
	}
	timeout, errMsg := parseTimeout(args[1]) // after the other arguments, as in Redis
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	db := c.kdb()
	c.serveOrBlock(keys, timeout, func(w *resp.Writer) (bool, error) {
		key, members, scores, err := db.ZMPop(keys, !min, count)
		if err != nil || key == nil {
			return false, err
		}
		writeZMPop(w, key, members, scores)
		return true, nil
	})
}
