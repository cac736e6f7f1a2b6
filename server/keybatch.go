package server

import (
	"bytes"

	"github.com/strata-db/strata/codec"
)

// Key batches: pipelined writes to one key committed together.
//
// Every write command commits its own engine batch while it holds its
// key's lock stripe, and the commit returns once the batch is in the WAL
// (and synced, under appendfsync always). Clients that pipeline writes to
// one hot key (a queue fed with RPUSH, a counter hash, a leaderboard) are
// therefore serialised on that stripe at one WAL round trip per command,
// and each WAL write carries a single record: the commit pipeline cannot
// group what the stripe lets through one at a time.
//
// A key batch runs a connection's consecutive buffered writes to one key
// under one hold of the key's stripe, on a transaction keyspace (the
// machinery of EXEC: codec.TxnStore buffers the writes and the commands
// read their own), and commits them as one engine batch before the replies
// are flushed.
//
// # When
//
// A batchable command (batchableCommands: single-key writes, key at
// position 1) starts a batch when the previous command of the connection
// was a batchable write to the same key of the same database and more
// input is buffered behind it. The batch takes every following command
// that is a batchable write to that key, up to maxKeyBatch commands and
// maxKeyBatchBytes of arguments; it never outlives the input already read,
// since replies are flushed (and the batch ends) whenever no complete
// command is buffered. A
// pipeline of writes to distinct keys never starts one: those commits
// already share WAL writes with the other connections', and their path
// stays free of allocations.
//
// # Invariants
//
//  1. A reply is flushed only after its command's writes are committed:
//     the batch ends (commits) before every flush, before any command that
//     is not part of it, and when the connection ends.
//  2. Commands run in the order received and each sees the writes of
//     those before it (read-your-writes through the TxnStore); other
//     connections see the batch all at once, as if its commands had run
//     together at commit time, which no reply contradicts since none has
//     been sent.
//  3. The batch holds exactly one stripe and takes no other lock while
//     holding it (its commands are single-key and run with the keyspace's
//     locks held), so it cannot deadlock with multi-key commands; it ends
//     before any other command runs, so a connection never waits for a
//     lock while holding its batch's stripe.
//  4. If the commit fails, nothing of the batch was applied, and every
//     command in it is answered with the error instead of its reply.
//  5. Writes in the batch notify the keyspace's Notifier before the commit
//     (as in EXEC), while the stripe is held: WATCH reads and registers a
//     key under its stripe (cmdWatch), so it never observes the state
//     between a notification and its commit.
//  6. Blocked clients are served right after the command that readied a
//     key, as Redis serves them after each command: a command that leaves
//     a key ready ends the batch (which commits and then serves), and the
//     next write to the key starts a new one.

// Bounds of one batch: the TxnStore holds a copy of what its commands
// write until the commit, and past a few dozen commands, or past a few
// hundred KiB, the commit's cost is amortised anyway. A command whose
// arguments alone exceed maxKeyBatchBytes never runs in a batch.
const (
	maxKeyBatch      = 64
	maxKeyBatchBytes = 256 << 10
)

// batchableCommands are the commands a key batch may hold: writes whose
// only key is at position 1 and whose handlers reach the data only through
// the client's keyspace (c.kdb), never block and never lock anything but
// their key. TestBatchableCommands checks the table's key positions.
var batchableCommands = map[string]bool{
	"set": true, "setnx": true, "setex": true, "psetex": true, "getset": true, "getdel": true,
	"getex": true, "append": true, "setrange": true,
	"incr": true, "decr": true, "incrby": true, "decrby": true, "incrbyfloat": true,
	"lpush": true, "rpush": true, "lpushx": true, "rpushx": true, "lpop": true, "rpop": true,
	"lset": true, "linsert": true, "lrem": true, "ltrim": true,
	"sadd": true, "srem": true,
	"hset": true, "hmset": true, "hsetnx": true, "hdel": true, "hincrby": true, "hincrbyfloat": true,
	"zadd": true, "zincrby": true, "zrem": true,
	"expire": true, "pexpire": true, "expireat": true, "pexpireat": true, "persist": true,
}

// keyBatch is a client's key batch state (its goroutine only).
type keyBatch struct {
	// key and db are the key of the last batchable write (a copy) and the
	// logical database it was in; valid says they are set. While a batch
	// runs they are its key.
	key   []byte
	db    int
	valid bool

	active bool
	n      int    // commands in the batch
	bytes  int    // their arguments' bytes
	mark   int    // reply buffer length when the batch started
	unlock func() // releases the key's stripe
	txn    *codec.TxnStore
}

// maxKeptBatchKey bounds the key copy a client keeps between commands.
const maxKeptBatchKey = 1 << 10

// batchCommand decides, before cmd runs, whether it runs in a key batch,
// starting or ending one as needed; it reports whether it does.
func (c *client) batchCommand(cmd *command, args [][]byte) bool {
	b := &c.batch
	if !cmd.batchable {
		c.leaveBatch()
		return false
	}
	key := args[1]
	same := b.valid && b.db == c.db && bytes.Equal(b.key, key)
	size := 0
	for _, a := range args {
		size += len(a)
	}
	if b.active {
		if same && b.fits(size) {
			b.n++
			b.bytes += size
			return true
		}
		c.endBatch()
	}
	if same && b.fits(size) && c.r.Buffered() > 0 {
		c.startBatch()
		b.bytes = size
		return true
	}
	if cap(b.key) > maxKeptBatchKey {
		b.key = nil
	}
	b.key = append(b.key[:0], key...)
	b.db, b.valid = c.db, true
	return false
}

// fits reports whether a command whose arguments take size bytes may join
// the running batch, or start one.
func (b *keyBatch) fits(size int) bool {
	return b.n < maxKeyBatch && b.bytes+size <= maxKeyBatchBytes
}

// leaveBatch ends the running batch, if any, and forgets the last key: the
// command about to run is not a batchable write.
func (c *client) leaveBatch() {
	c.endBatch()
	c.batch.valid = false
}

// startBatch starts a batch on b.key: it takes the key's stripe and points
// the client at a transaction keyspace.
func (c *client) startBatch() {
	b := &c.batch
	ks := c.s.ks
	b.unlock = ks.Locks().Lock(codec.MetaKey(uint8(ks.DB(c.db).Num()), b.key))
	b.txn = codec.NewTxnStore(ks.Store())
	c.txks = ks.InTransaction(b.txn)
	b.active, b.n, b.mark = true, 1, c.w.Len()
}

// endBatch commits the running batch, if any, releases its stripe and
// serves the clients its writes may have unblocked. If the commit fails,
// the batch's replies are replaced by the error (invariant 4).
func (c *client) endBatch() {
	b := &c.batch
	if !b.active {
		return
	}
	txks := c.txks
	c.txks = nil
	var err error
	if !b.txn.Empty() {
		// As EXEC: the commit applies the key counts and expiry-index
		// reports the batch's commands made (codec/effects.go).
		err = txks.CommitTransaction()
	}
	b.unlock()
	n := b.n
	b.active, b.n, b.bytes, b.unlock, b.txn = false, 0, 0, nil, nil
	if err != nil {
		c.w.Truncate(b.mark)
		msg := errorReply(err)
		for range n {
			c.w.Error(msg)
		}
	}
	c.s.serveReady()
}
