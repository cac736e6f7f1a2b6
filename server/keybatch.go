package server

import (
	"bytes"
	"time"

	"github.com/strata-db/strata/codec"
)

// Key batches and runs: pipelined writes committed together.
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
// A run does the same for consecutive buffered writes to distinct keys (a
// pipeline of SETs or INCRs): it holds the stripes of all its keys and
// gathers their writes in a codec.RunStore, which needs no read-your-writes
// machinery since no command of a run reads another's key. One engine
// batch per run means one pass through the commit pipeline and one
// memtable insert of all its records, whose skiplist searches overlap,
// where a commit per command inserts one record at a time (a chain of
// cache misses each: at SET -c 50 -P 16, 36% of the server's CPU).
//
// # When
//
// A batchable command (batchableCommands: single-key writes, key at
// position 1) starts a batch when the previous command of the connection
// was a batchable write too and more input is buffered behind it: a key
// batch if the previous write was to the same key of the same database, a
// run otherwise. A key batch takes every following command that is a
// batchable write to its key; a run every following batchable write to a
// key whose stripe no earlier key of the run has and that is free at once
// (TryLock). Either ends at the first command it does not take, at
// maxKeyBatch commands or maxKeyBatchBytes of arguments; it never outlives
// the input already read, since replies are flushed (and the batch ends)
// whenever no complete command is buffered. The command that ended a batch
// may start the next one.
//
// # Invariants
//
//  1. A reply is flushed only after its command's writes are committed:
//     the batch ends (commits) before every flush, before any command that
//     is not part of it, and when the connection ends.
//  2. Commands run in the order received and each sees the writes of
//     those before it: in a key batch through the TxnStore, in a run
//     because no command reads a key an earlier one wrote (distinct keys
//     and stripes; a single-key command reads only its key's records).
//     Other connections see the batch all at once, as if its commands had
//     run together at commit time, which no reply contradicts since none
//     has been sent.
//  3. A batch never waits for a lock while it holds a stripe: a key batch
//     holds one stripe and takes no other lock (its commands are
//     single-key and run with the keyspace's locks held); a run waits
//     only for its first stripe and takes the others with TryLock, ending
//     instead when one is busy. It ends before any other command of its
//     connection runs (a combining key batch runs other connections'
//     commands within it, under the same rules: combine.go). So it cannot
//     deadlock with multi-key commands, EXEC or another batch.
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
//  7. The database mapping cannot change under a batch: SWAPDB takes every
//     stripe, and a batch reads the mapping again once it holds its first
//     stripe (lockKeyStripe), or, passed a stripe by a combining holder,
//     relies on the holder's check that its key is on it (onStripe).
//
// A key batch also runs the key batches of other connections that wait for
// its stripe, and commits them with its own (combine.go).

// Bounds of one batch: the TxnStore holds a copy of what its commands
// write until the commit, and past a few dozen commands, or past a few
// hundred KiB, the commit's cost is amortised anyway. A command whose
// arguments alone exceed maxKeyBatchBytes never runs in a batch.
const (
	maxKeyBatch      = 64
	maxKeyBatchBytes = 256 << 10
)

// batchableCommands are the commands a key batch or a run may hold: writes whose
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

// keyBatch is a client's key batch state (its goroutine only, but for the
// key, which a combining holder reads while the client waits).
type keyBatch struct {
	// key and db are the key of the last batchable write (a copy) and the
	// logical database it was in; valid says they are set. While a batch
	// runs they are its key.
	key   []byte
	db    int
	valid bool

	active bool
	n      int // commands in the batch
	bytes  int // their arguments' bytes
	mark   int // reply buffer length when the batch started
	// stripes are the lock stripes the batch holds: its key's, or a run's
	// keys'.
	stripes []int
	txn     *codec.TxnStore // a key batch's

	// A run (run set) is a batch of writes to distinct keys: it holds the
	// stripes of its keys and gathers its writes in rs, which the client
	// keeps from run to run (nil until the first run, or if the store
	// cannot merge batches). mk is a buffer for metadata keys.
	run   bool
	rs    *codec.RunStore
	runks *codec.Keyspace // the run keyspace over rs (Renew)
	mk    []byte

	// Combining (combine.go). slot is the combining slot a key batch
	// opened on its stripe, served the clients whose commands it ran, to
	// be woken after the commit.
	slot   *combineSlot
	served []*client
	carry  *client // clients taken from the slot for the next round
	heir   *client // the client to pass the stripe and the slot to
}

// maxKeptBatchKey bounds the key copy a client keeps between commands.
const maxKeptBatchKey = 1 << 10

// A batchOutcome is what batchCommand decided for a command.
type batchOutcome uint8

const (
	alone       batchOutcome = iota // the command runs on its own
	inBatch                         // it runs in the client's key batch or run
	ranByHolder                     // another key batch ran it (combine.go)
)

// batchCommand decides, before cmd runs, whether it runs in a key batch
// or a run, starting or ending one as needed.
func (c *client) batchCommand(cmd *command, args [][]byte) batchOutcome {
	b := &c.batch
	if !cmd.batchable {
		c.leaveBatch()
		return alone
	}
	key := args[1]
	same := b.valid && b.db == c.db && bytes.Equal(b.key, key)
	size := argsSize(args)
	if b.active {
		switch {
		case b.run && !same && b.fits(size) && c.joinRun(key):
		case !b.run && same && b.fits(size):
		default:
			c.endBatch()
			return c.startBatchAt(cmd, args, same, size)
		}
		b.n++
		b.bytes += size
		if b.run {
			b.remember(key, c.db)
		}
		return inBatch
	}
	return c.startBatchAt(cmd, args, same, size)
}

// startBatchAt starts a key batch or a run with cmd, the command about to
// run, whose key is args[1] (same: the previous command's) and whose
// arguments take size bytes, if that is worth it: more input is buffered
// behind it and the previous command was a batchable write too. It reports
// inBatch if the command runs in the batch; alone if not, and then it
// remembers the key.
//
// A key batch whose stripe another key batch holds may be run by that
// batch instead (combine.go): then it reports ranByHolder, and the command
// and those that followed it in the batch have run.
func (c *client) startBatchAt(cmd *command, args [][]byte, same bool, size int) batchOutcome {
	b := &c.batch
	key := args[1]
	if b.valid && b.fits(size) && c.r.Buffered() > 0 {
		if same {
			if c.startBatch(cmd, args) {
				return ranByHolder
			}
			b.bytes = size
			return inBatch
		}
		if c.startRun(key) {
			b.bytes = size
			b.remember(key, c.db)
			return inBatch
		}
	}
	b.remember(key, c.db)
	return alone
}

// remember notes key, of logical database db, as the last batchable
// write's.
func (b *keyBatch) remember(key []byte, db int) {
	if cap(b.key) > maxKeptBatchKey {
		b.key = nil
	}
	b.key = append(b.key[:0], key...)
	b.db, b.valid = db, true
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

// startBatch starts a batch on b.key with cmd: it takes the key's stripe,
// points the client at a transaction keyspace, and opens the stripe's
// combining slot. If another key batch holds the stripe and runs cmd and
// the commands after it instead (combine.go), it reports true and starts
// nothing.
func (c *client) startBatch(cmd *command, args [][]byte) (ran bool) {
	b := &c.batch
	ks := c.s.ks
	i, o := c.lockKeyStripe(b.key, cmd, args)
	if o == served {
		return true
	}
	b.stripes = append(b.stripes[:0], i)
	b.txn = codec.NewTxnStore(ks.Store())
	c.txks = ks.InTransaction(b.txn)
	b.active, b.n, b.mark = true, 1, c.w.Len()
	if o == heir {
		b.slot = c.s.comb.slot(i) // open for i, passed on with the stripe
		if combineInherited != nil {
			combineInherited(c)
		}
	} else if b.slot = c.s.comb.open(i); b.slot != nil && combineOpened != nil {
		combineOpened(c)
	}
	return false
}

// startRun starts a run on key: it takes the key's stripe (holding no
// other, it may wait) and points the client at a run keyspace. It reports
// false, and starts nothing, when the store cannot gather runs.
func (c *client) startRun(key []byte) bool {
	b := &c.batch
	ks := c.s.ks
	if b.rs == nil {
		if b.rs = codec.NewRunStore(ks.Store()); b.rs == nil {
			return false
		}
	}
	i, _ := c.lockKeyStripe(key, nil, nil)
	b.stripes = append(b.stripes[:0], i)
	if b.runks == nil {
		b.runks = ks.InRun(b.rs)
	} else {
		b.runks.Renew()
	}
	c.txks = b.runks
	b.active, b.run, b.n, b.mark = true, true, 1, c.w.Len()
	return true
}

// lockKeyStripe takes the stripe of key in the client's database, waiting
// for it, and returns it. The database's physical number is read again
// once the stripe is held: SWAPDB takes every stripe, so from then on the
// mapping stays as read, and a SWAPDB in between means the stripe taken
// may be another key's, and it is taken again.
//
// With cmd set (a key batch about to run cmd with args), a stripe held by
// another key batch is not waited for if that batch serves the client
// (waitCombined): then lockKeyStripe reports served, holding nothing. If
// that batch passes the client the stripe instead, it reports heir: the
// client holds the stripe and its open combining slot.
func (c *client) lockKeyStripe(key []byte, cmd *command, args [][]byte) (stripe int, o combineOutcome) {
	b := &c.batch
	ks := c.s.ks
	locks := ks.Locks()
	for {
		db := ks.DB(c.db).Num()
		b.mk = codec.AppendMetaKey(b.mk[:0], uint8(db), key)
		i := locks.Stripe(b.mk)
		if beforeStripeLock != nil {
			beforeStripeLock(c.s)
		}
		if !locks.TryLockStripe(i) {
			if cmd != nil {
				switch o := c.waitCombined(cmd, args, i); o {
				case served:
					b.trimMK()
					return -1, o
				case heir:
					// The holder checked that the key is on stripe i
					// (onStripe), and the stripe has been held since.
					b.trimMK()
					return i, o
				}
			}
			locks.LockStripe(i)
		}
		if ks.DB(c.db).Num() == db {
			b.trimMK()
			return i, notServed
		}
		locks.UnlockStripe(i)
	}
}

// trimMK drops the metadata key buffer once a long key has grown it, as
// remember does for the key copy: a connection keeps it between commands.
func (b *keyBatch) trimMK() {
	if cap(b.mk) > maxKeptBatchKey {
		b.mk = nil
	}
}

// joinRun takes key's stripe for the running run, if no key of the run has
// it and it is free right now, and reports whether it did. It never waits
// while the run holds stripes taken in no particular order (invariant 3).
func (c *client) joinRun(key []byte) bool {
	b := &c.batch
	ks := c.s.ks
	// The run's keyspace has the mapping of databases, which cannot change
	// while the run holds a stripe.
	b.mk = codec.AppendMetaKey(b.mk[:0], uint8(c.txks.DB(c.db).Num()), key)
	i := ks.Locks().Stripe(b.mk)
	b.trimMK()
	for _, h := range b.stripes {
		if h == i {
			return false
		}
	}
	if !ks.Locks().TryLockStripe(i) {
		return false
	}
	b.stripes = append(b.stripes, i)
	return true
}

// endBatch commits the running batch, if any, releases its stripe (or, a
// combining key batch, passes it to its heir) and serves the clients its
// writes may have unblocked. A combining key batch first runs and commits
// the queued clients' commands, in up to maxCombineRounds rounds
// (combine.go). If a commit fails, the replies of its commands are
// replaced by the error (invariant 4).
func (c *client) endBatch() {
	b := &c.batch
	if !b.active {
		return
	}
	var held time.Time
	if b.slot != nil {
		held = time.Now()
	}
	for round := 1; ; round++ {
		if b.slot != nil {
			c.combine()
		}
		if b.slot != nil && combineCommitting != nil {
			combineCommitting(c)
		}
		// As EXEC: the commit applies the key counts and expiry-index
		// reports the batch's commands made (codec/effects.go). A batch
		// that wrote nothing commits nothing.
		err := c.txks.CommitTransaction()
		if err != nil {
			failReplies(c, b.mark, b.n, err)
		}
		for i, w := range b.served {
			if err != nil {
				failReplies(w, w.comb.mark, w.comb.n, err)
			}
			w.comb.done <- served
			b.served[i] = nil
		}
		b.served = b.served[:0]
		if b.slot == nil || b.carry == nil && b.slot.closeIfEmpty() {
			b.slot = nil
			break
		}
		if round == maxCombineRounds || time.Since(held) >= combineHoldTime {
			c.chooseHeir()
			break
		}
		// Another round, on the stripe still held, for the clients that
		// queued meanwhile: the client's own commands are committed.
		b.n, b.bytes, b.mark = 0, 0, c.w.Len()
		b.txn = codec.NewTxnStore(c.s.ks.Store())
		c.txks = c.s.ks.InTransaction(b.txn)
	}
	c.txks = nil
	if h := b.heir; h != nil {
		// The stripe stays locked: it is h's now, with the slot.
		b.heir = nil
		h.comb.done <- heir
	} else {
		c.s.ks.Locks().UnlockStripes(b.stripes)
	}
	b.stripes = b.stripes[:0]
	b.active, b.run, b.n, b.bytes, b.txn = false, false, 0, 0, nil
	c.s.serveReady()
}

// failReplies replaces the replies c's n commands wrote from mark on by
// err, the failed commit's error (invariant 4).
func failReplies(c *client, mark, n int, err error) {
	c.w.Truncate(mark)
	msg := errorReply(err)
	for range n {
		c.w.Error(msg)
	}
}
