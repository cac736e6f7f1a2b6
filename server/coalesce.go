package server

import (
	"bytes"
	"slices"
	"time"
)

// Coalescing runs of one command on one key.
//
// A pipeline of RPOPs of one key (a queue's consumer, redis-benchmark's
// RPOP test), or of single-member SADDs, HSETs, ZADDs or LPUSHes of one
// key (a hot set, a counter hash, a leaderboard, a producer), runs in a
// key batch, or in a combining holder's round, one command at a time:
// each opens the key, reads its metadata, changes one element and writes
// the metadata back through the transaction keyspace. When the commands
// buffered right after the one about to run are the same command (byte
// for byte the same name) of the same key, in the same form, they run as
// one (command.coalesce): one pop of k elements whose i-th element is the
// i-th command's reply; one SADD of k members whose i-th reply says
// whether the i-th member was new (codec.DB.SAddEach); one LPUSH of k
// elements, whose i-th reply is the length after the i-th element. The
// effects and the replies are those of the k commands run one after the
// other, under the same hold of the key's stripe.
//
// Each coalesced command is counted as a command (INFO's
// total_commands_processed), counts toward its batch's or round's bounds
// (so a failed commit answers each with the error, failReplies) and gets a
// share of the run's time in the slow log, with its own arguments. A
// command whose arguments its handler would refuse (a ZADD score that is
// not a float) ends a run and runs by itself. While the keyspace's events
// are active (a client watches a key or is blocked on one), no run of one
// key is coalesced: those clients are told of modifications command by
// command. Keyed runs (GET, SET, the counters: keyedRun) still run: each
// key they write is written once, in the run's one batch, whose commit
// notifies it as a single command's would.

// coalesced is a client's scratch for a coalesced run: copies of its
// commands' arguments, which the reader's storage does not keep once the
// next command is peeked.
type coalesced struct {
	buf []byte
	// ends are the end offsets in buf of the arguments: the name's, the
	// key's, then those after the key, command by command.
	ends []int
	// args are the name and the key, rest the arguments after the key,
	// arity-2 per command, k commands: set by finish.
	args  [2][]byte
	rest  [][]byte
	arity int
	k     int
	// keyed: each command has its own key (command.coalesceKeys), kept
	// in rest with the arguments after it; args[1] is then nil.
	keyed bool
	// Scratch for the commands' run functions and the slow log.
	added  []bool
	scores []float64
	ints   []int64
	elems  [][]byte
	errs   []error
	line   [][]byte
}

// key is the run's key (nil in a keyed run).
func (co *coalesced) key() []byte { return co.args[1] }

// from is the position of the first argument each command has its own
// copy of: the key's in a keyed run, the one after it otherwise.
func (co *coalesced) from() int {
	if co.keyed {
		return 1
	}
	return 2
}

// each returns the i-th command's arguments after the key, or from the
// key on in a keyed run.
func (co *coalesced) each(i int) [][]byte {
	w := co.arity - co.from()
	return co.rest[i*w : (i+1)*w]
}

// command returns the i-th command's arguments, valid until the next call.
func (co *coalesced) command(i int) [][]byte {
	co.line = append(co.line[:0], co.args[:co.from()]...)
	co.line = append(co.line, co.each(i)...)
	return co.line
}

// flags returns a scratch slice of k booleans, for a run function to have
// the codec fill (SAddEach, HSetEach and ZAddEach set every entry).
func (co *coalesced) flags() []bool {
	co.added = slices.Grow(co.added[:0], co.k)[:co.k]
	return co.added
}

// start copies the first command's arguments, of a keyed run or not.
func (co *coalesced) start(args [][]byte, keyed bool) {
	co.buf, co.ends, co.arity, co.k, co.keyed = co.buf[:0], co.ends[:0], len(args), 0, keyed
	co.add(args)
}

// add copies one command's arguments: all of them for the first, those
// after the key for the others.
func (co *coalesced) add(args [][]byte) {
	for _, a := range args {
		co.buf = append(co.buf, a...)
		co.ends = append(co.ends, len(co.buf))
	}
	co.k++
}

// joins reports whether the command args, buffered next, is the run's
// command (cmd) in the run's form, of the run's key unless the run is
// keyed.
//
// A keyed run of writes takes no command of the key the command before it
// wrote: a pipeline of writes to one key (a counter, from many clients)
// runs in a key batch, which combines the clients' commands (combine.go).
func (co *coalesced) joins(cmd *command, args [][]byte) bool {
	n0, n1 := co.ends[0], co.ends[1]
	if len(args) != co.arity || !bytes.Equal(args[0], co.buf[:n0]) {
		return false
	}
	if co.keyed {
		if cmd.batchable && bytes.Equal(args[1], co.lastKey()) {
			return false
		}
	} else if !bytes.Equal(args[1], co.buf[n0:n1]) {
		return false
	}
	return cmd.coalesceOK == nil || cmd.coalesceOK(args[2:])
}

// lastKey is the key of a keyed run's last command: the first of its last
// arity-1 arguments (the first command's name comes before them).
func (co *coalesced) lastKey() []byte {
	i := len(co.ends) - (co.arity - 1)
	return co.buf[co.ends[i-1]:co.ends[i]]
}

// finish slices the copies: args and rest.
func (co *coalesced) finish() {
	from := 0
	co.rest = co.rest[:0]
	for i, end := range co.ends {
		a := co.buf[from:end:end]
		if i < co.from() {
			co.args[i] = a
		} else {
			co.rest = append(co.rest, a)
		}
		from = end
	}
	if co.keyed {
		co.args[1] = nil
	}
}

// coalesce decides how many commands run with cmd, about to run with args
// in the client's own key batch or alone (bo): 1 when it runs by itself,
// else 1 plus the commands it consumed into c.coal's run, counted in the
// batch. It returns the arguments to run it with by itself: args, or their
// copies once it looked at the next command (which reuses the reader's
// storage).
func (c *client) coalesce(cmd *command, args [][]byte, bo batchOutcome) (int, [][]byte) {
	b := &c.batch
	if bo != inBatch || b.run || !c.s.coalescible(cmd, args) {
		return 1, args
	}
	k, size := c.takeRun(cmd, args, maxKeyBatch-b.n, maxKeyBatchBytes-b.bytes)
	b.n += k
	b.bytes += size
	return 1 + k, c.coal.command(0)
}

// keyedRun runs cmd, about to run with args, as one keyed run (command.coalesceKeys)
// with the same commands buffered right after it, if any join it, outside
// any batch: the client's batch ends first, so that the run sees its
// writes, and a keyed write takes its keys' locks as MSET does. It reports
// whether it ran; if not, the command runs with the returned arguments:
// args, or their copies once it looked at the next command.
func (c *client) keyedRun(cmd *command, args [][]byte, start time.Time) (bool, [][]byte) {
	if len(args) != cmd.coalesceArity || c.r.Buffered() == 0 ||
		(cmd.coalesceOK != nil && !cmd.coalesceOK(args[2:])) {
		return false, args
	}
	k, _ := c.takeRun(cmd, args, maxKeyedRun-1, maxKeyBatchBytes)
	if k == 0 {
		return false, c.coal.command(0)
	}
	c.leaveBatch()
	if cmd.logged {
		c.needLog()
	}
	cmd.coalesce(c, &c.coal)
	c.logCoalesced(start)
	c.coal.release()
	return true, nil
}

// coalescible reports whether cmd with args may run with the same commands
// after it: a command that coalesces, in the form that does, with
// arguments its handler takes, while the keyspace's events are inactive.
//
// A command of keyed runs (command.coalesceKeys) never is: its runs take
// other keys, whose stripes a key batch, or a holder running a waiting
// client's commands, does not hold (keyedRun runs them outside batches).
func (s *Server) coalescible(cmd *command, args [][]byte) bool {
	return cmd.coalesce != nil && !cmd.coalesceKeys && len(args) == cmd.coalesceArity && !s.events.Active() &&
		(cmd.coalesceOK == nil || cmd.coalesceOK(args[2:]))
}

// release drops the copies of a large run once it has run: a connection
// keeps at most maxKeptRun bytes of them.
func (co *coalesced) release() {
	if cap(co.buf) > maxKeptRun {
		*co = coalesced{}
	}
}

// maxKeyedRun bounds a keyed run (GETs of a pipeline): its values are
// held together, as MGET's are, and the interleaving of lookups gains
// little past a few dozen.
const maxKeyedRun = 16

// maxKeptRun bounds the copies of a run's arguments a client keeps between
// commands: a pipeline of 16 single-element pushes of 100 bytes reuses its
// buffer.
const maxKeptRun = 8 << 10

// coalescedRun, when set (tests), is called with the name and the size of
// each coalesced run.
var coalescedRun func(name []byte, k int)

// logCoalesced offers the slow log the commands of c.coal's run, which
// started at start, each with its own arguments and an equal share of the
// run's time, and returns the time it ended.
func (c *client) logCoalesced(start time.Time) time.Time {
	co := &c.coal
	if coalescedRun != nil {
		coalescedRun(co.args[0], co.k)
	}
	end := time.Now()
	share := end.Sub(start) / time.Duration(co.k)
	for i := range co.k {
		c.s.slowlog.maybeAdd(c.s, c, co.command(i), share)
	}
	return end
}

// sendMidRun sends the replies a run has buffered so far (client.flush,
// waiting for the WAL as a flush between commands does) and reports
// whether the run may go on. It may not when the connection is ending: the
// send failed, or a failed WAL write replaced the replies with its error
// (closeAfterReply), after which nothing more may be answered.
func (c *client) sendMidRun() bool {
	err := c.flush()
	c.mem.reply.set(c.w.Cap())
	return err == nil && !c.closeAfterReply
}

// replyBudget is what a coalesced run's replies may add to the client's
// reply buffer: past it the connection loop flushes (serveConn), and a
// holder stops running a served client's commands (runFor).
const replyBudget = 64 << 10

// takeRun starts c.coal's run with the running command, cmd with args,
// and consumes into it the commands buffered right after it that join it
// (coalesced.joins), at most max of them and maxBytes of their arguments,
// and, for a command with a coalesceFit, no more than keep the run's
// replies within replyBudget (asked only when the next command joins). It
// returns how many it consumed and the size of their arguments. It copies
// args first: the caller must use the run's copies, not args, which the
// reader reuses once it peeks (even when it consumes nothing).
func (c *client) takeRun(cmd *command, args [][]byte, max, maxBytes int) (k, size int) {
	co := &c.coal
	co.start(args, cmd.coalesceKeys)
	defer co.finish()
	if max <= 0 || !c.joinsNext(cmd) {
		return 0, 0
	}
	if cmd.coalesceFit != nil {
		co.finish()
		max = min(max, cmd.coalesceFit(c, co.key(), max+1, replyBudget-c.w.Len())-1)
	}
	for k < max && c.joinsNext(cmd) {
		p, _ := c.r.Peek()
		sz := argsSize(p)
		if size+sz > maxBytes {
			break
		}
		next, err := c.r.ReadCommand()
		if err != nil {
			break
		}
		co.add(next[co.from():])
		k, size = k+1, size+sz
	}
	c.s.stats.commands.Add(int64(k))
	return k, size
}

// joinsNext reports whether the next buffered command joins c.coal's run.
func (c *client) joinsNext(cmd *command) bool {
	p, ok := c.r.Peek()
	return ok && c.coal.joins(cmd, p)
}
