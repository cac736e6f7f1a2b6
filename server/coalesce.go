package server

import (
	"bytes"
	"time"
)

// Coalescing identical commands.
//
// A pipeline of RPOPs of one key (a queue's consumer, redis-benchmark's
// RPOP test) runs in a key batch, or in a combining holder's round, one
// command at a time: each opens the list, reads its metadata, pops one
// slot and writes the metadata back through the transaction keyspace.
// When the commands buffered right after the one about to run are the
// same command of the same key with no other argument, they run as one
// (command.coalesce): one pop of k elements whose i-th element is the i-th
// command's reply. The effects and the replies are those of the k commands
// run one after the other, under the same hold of the key's stripe.
//
// Each coalesced command is counted as a command (INFO's
// total_commands_processed), counts toward its batch's or round's bounds
// (so a failed commit answers each with the error, failReplies) and gets a
// share of the run's time in the slow log. While the keyspace's events
// are active (a client watches a key or is blocked on one), nothing is
// coalesced: those clients are told of modifications command by command.

// coalesced is a client's scratch for a coalesced run: copies of the
// command's name and key, which the reader's storage does not keep once
// the next command is peeked.
type coalesced struct {
	buf  []byte
	args [2][]byte
}

// coalesce decides how many commands run with cmd, about to run with args
// in the client's own key batch or alone (bo): 1 when it runs by itself,
// else 1 plus the identical commands it consumed, counted in the batch. It
// returns the arguments to run it with: args, or their copies once it
// looked at the next command (which reuses the reader's storage).
func (c *client) coalesce(cmd *command, args [][]byte, bo batchOutcome) (int, [][]byte) {
	b := &c.batch
	if bo != inBatch || b.run || !c.s.coalescible(cmd, args) {
		return 1, args
	}
	size := argsSize(args)
	k := c.takeIdentical(cmd, args, min(maxKeyBatch-b.n, (maxKeyBatchBytes-b.bytes)/size))
	b.n += k
	b.bytes += k * size
	return 1 + k, c.coal.args[:]
}

// coalescible reports whether cmd with args may run with identical
// commands after it: a command that coalesces, in its NAME key form, while
// the keyspace's events are inactive.
func (s *Server) coalescible(cmd *command, args [][]byte) bool {
	return cmd.coalesce != nil && len(args) == 2 && !s.events.Active()
}

// release drops the copy of a large key once its command has run: a
// connection does not keep it.
func (co *coalesced) release() {
	if cap(co.buf) > maxKeptBatchKey {
		*co = coalesced{}
	}
}

// coalescedRun, when set (tests), is called with the size of each
// coalesced run.
var coalescedRun func(k int)

// logCoalesced offers the slow log the k commands of a coalesced run that
// started at start, each with an equal share of its time, and returns the
// time it ended.
func (c *client) logCoalesced(start time.Time, k int) time.Time {
	if coalescedRun != nil {
		coalescedRun(k)
	}
	end := time.Now()
	share := end.Sub(start) / time.Duration(k)
	for range k {
		c.s.slowlog.maybeAdd(c.s, c, c.coal.args[:], share)
	}
	return end
}

// replyBudget is what a coalesced run's replies may add to the client's
// reply buffer: past it the connection loop flushes (serveConn), and a
// holder stops running a served client's commands (runFor).
const replyBudget = 64 << 10

// takeIdentical consumes the commands buffered right after the running
// one, cmd with args (of the form NAME key), that are byte for byte the
// same, at most max of them and no more than keep the run's replies within
// replyBudget (cmd.coalesceFit, asked only when the next command is one),
// and returns how many it consumed. It copies args first: c.coal.args
// holds them afterwards, and the caller must use the copies, not args,
// which the reader reuses once it peeks (even when it consumes nothing).
func (c *client) takeIdentical(cmd *command, args [][]byte, max int) int {
	co := &c.coal
	if cap(co.buf) > maxKeptBatchKey {
		co.buf = nil // a large key's copy is not kept
	}
	co.buf = append(append(co.buf[:0], args[0]...), args[1]...)
	n0 := len(args[0])
	co.args[0], co.args[1] = co.buf[:n0:n0], co.buf[n0:]
	if max <= 0 || !c.identicalNext() {
		return 0
	}
	max = min(max, cmd.coalesceFit(c, co.args[1], max+1, replyBudget-c.w.Len())-1)
	k := 0
	for k < max && c.identicalNext() {
		if _, err := c.r.ReadCommand(); err != nil {
			break
		}
		k++
	}
	c.s.stats.commands.Add(int64(k))
	return k
}

// identicalNext reports whether the next buffered command is c.coal.args.
func (c *client) identicalNext() bool {
	p, ok := c.r.Peek()
	return ok && len(p) == 2 && bytes.Equal(p[0], c.coal.args[0]) && bytes.Equal(p[1], c.coal.args[1])
}
