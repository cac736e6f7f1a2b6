package server

import (
	"github.com/strata-db/strata/codec"
)

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Between MULTI and EXEC commands are checked (existence, arity) and
// queued; an error in one aborts EXEC with EXECABORT. EXEC locks what its
// commands may touch (execLock: the stripes of their keys and of the
// watched keys, or every stripe), so no other write to them interleaves,
// checks the watched keys (any write, and any expiry, since WATCH aborts
// it), then runs the queued commands on a keyspace whose writes are
// buffered (codec.TxnStore) and commits the buffer as one batch: readers
// without locks see all of the transaction or none of it.

func init() {
	const f = flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy
	register(
		&command{name: "multi", arity: 1, flags: f, group: "transactions", summary: "Starts a transaction.", handler: cmdMulti},
		&command{name: "exec", arity: 1, flags: flagNoScript | flagLoading | flagStale, group: "transactions", summary: "Executes all commands in a transaction.", handler: cmdExec},
		&command{name: "discard", arity: 1, flags: f, group: "transactions", summary: "Discards a transaction.", handler: cmdDiscard},
		&command{name: "watch", arity: -2, flags: f, firstKey: 1, lastKey: -1, step: 1, group: "transactions", summary: "Monitors changes to keys to determine the execution of a transaction.", handler: cmdWatch},
		&command{name: "unwatch", arity: 1, flags: f, group: "transactions", summary: "Forgets about watched keys of a transaction.", handler: cmdUnwatch},
	)
}

// queuedCmd is a command queued between MULTI and EXEC, its arguments
// copied out of the reader's buffer.
type queuedCmd struct {
	cmd  *command
	args [][]byte
}

// watchedKey is a key a client WATCHes.
type watchedKey struct {
	k       dbKey // physical database and key
	logical int   // the database number the client named it in
	// expired: the key was stored but expired when watched. Otherwise, the
	// key expiring before EXEC aborts the transaction, as in Redis 7.
	expired bool
}

// runsInMulti reports whether a command runs at once even inside MULTI.
func runsInMulti(cmd *command) bool {
	if cmd.parent != nil {
		return false // a subcommand (SLOWLOG RESET is not RESET)
	}
	switch cmd.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// queue queues cmd for EXEC.
func (c *client) queue(cmd *command, args [][]byte) {
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	c.queued = append(c.queued, queuedCmd{cmd, cp})
	c.w.SimpleString("QUEUED")
}

// keyspace is the keyspace the client's commands run on: the server's, or
// during EXEC the transaction's.
func (c *client) keyspace() *codec.Keyspace {
	if c.txks != nil {
		return c.txks
	}
	return c.s.ks
}

func cmdMulti(c *client, args [][]byte) {
	if c.multi {
		c.w.Error("ERR MULTI calls can not be nested")
		return
	}
	c.multi = true
	c.w.SimpleString("OK")
}

// discardMulti leaves MULTI state and forgets the watched keys.
func (c *client) discardMulti() {
	c.multi, c.multiErr, c.queued = false, false, nil
	c.unwatchAll()
}

func (c *client) unwatchAll() {
	c.s.events.unwatchAll(c, c.watched)
	c.watched = nil
	c.watchDirty.Store(false)
}

func cmdDiscard(c *client, args [][]byte) {
	if !c.multi {
		c.w.Error("ERR DISCARD without MULTI")
		return
	}
	c.discardMulti()
	c.w.SimpleString("OK")
}

func cmdWatch(c *client, args [][]byte) {
	if c.multi {
		c.w.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	db := c.kdb()
	for _, k := range args[1:] {
		wk := watchedKey{k: dbKey{db.Num(), string(k)}, logical: c.db}
		dup := false
		for _, w := range c.watched {
			if w.k == wk.k {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		// Under the key's stripe: a writer (EXEC, a key batch) notifies before its
		// commit, while it holds the stripe, so WATCH must not read the
		// key between the notification and the commit.
		unlock := c.s.ks.Locks().Lock(codec.MetaKey(uint8(db.Num()), k))
		stored, exp, err := db.Stored(k)
		if err == nil {
			c.s.events.watchKey(c, wk.k, stored)
		}
		unlock()
		if err != nil {
			c.replyErr(err)
			return
		}
		wk.expired = exp
		c.watched = append(c.watched, wk)
	}
	c.w.SimpleString("OK")
}

func cmdUnwatch(c *client, args [][]byte) {
	c.unwatchAll()
	c.w.SimpleString("OK")
}

// execLock locks what EXEC's commands may touch and returns the unlock.
//
// A transaction whose commands all name their keys at fixed positions
// (the command table's first/last/step) in the database it starts in
// takes the stripes of those keys and of the watched keys, in stripe
// order like any multi-key command: writes of other connections to other
// keys go on meanwhile. Any other transaction takes every stripe: one with
// a keyless command (DBSIZE, KEYS, FLUSHDB, SELECT...), with movable keys
// (ZUNIONSTORE, LMPOP...) or naming another database (MOVE, COPY).
//
// The database mapping is read before the stripes are taken: SWAPDB,
// which takes every stripe, may change it in between, and then the locks
// are taken again.
func (c *client) execLock(queued []queuedCmd) func() {
	locks := c.s.ks.Locks()
	for {
		db := c.s.ks.DB(c.db).Num()
		mks, ok := execKeys(uint8(db), queued)
		if !ok {
			return locks.LockAll()
		}
		// A watched key where it was watched and where watchBroken will
		// read it (its database's mapping now).
		phys := make([]int, len(c.watched))
		for i, w := range c.watched {
			phys[i] = c.s.ks.DB(w.logical).Num()
			mks = append(mks, codec.MetaKey(uint8(w.k.db), []byte(w.k.key)),
				codec.MetaKey(uint8(phys[i]), []byte(w.k.key)))
		}
		if beforeStripeLock != nil {
			beforeStripeLock(c.s)
		}
		unlock := locks.Lock(mks...)
		// Holding a stripe keeps SWAPDB out from here on: if the mapping
		// is still the one read, it stays so until unlock.
		same := c.s.ks.DB(c.db).Num() == db
		for i, w := range c.watched {
			same = same && c.s.ks.DB(w.logical).Num() == phys[i]
		}
		if same {
			return unlock
		}
		unlock()
	}
}

// beforeStripeLock, set by tests only, runs between reading the database
// mapping and taking stripes by it (execLock, lockKeyStripe): where a
// SWAPDB would make those stripes another key's, and the lock be taken
// again.
var beforeStripeLock func(*Server)

// execKeys returns the metadata keys, in physical database db, of every
// key the queued commands name, or false when a command's keys cannot be
// known from the command table (see execLock).
func execKeys(db uint8, queued []queuedCmd) ([][]byte, bool) {
	var mks [][]byte
	for _, q := range queued {
		cmd := q.cmd
		if stateless[cmd.fullName()] {
			continue
		}
		if cmd.firstKey <= 0 || cmd.step <= 0 || cmd.flags&flagMovableKeys != 0 {
			return nil, false
		}
		switch cmd.fullName() {
		case "move", "copy":
			return nil, false // another database
		}
		last := cmd.lastKey
		if last < 0 {
			last += len(q.args)
		}
		for i := cmd.firstKey; i <= last && i < len(q.args); i += cmd.step {
			mks = append(mks, codec.MetaKey(db, q.args[i]))
		}
	}
	return mks, true
}

// stateless are the keyless commands that read and write no state of the
// keyspace or the connection a transaction could depend on: EXEC need not
// take every stripe for them (MULTI; PING; INCR a; EXEC locks only a's).
// A keyless command that reads the keyspace (DBSIZE, RANDOMKEY, KEYS) or
// changes what later commands address (SELECT) still takes every stripe.
var stateless = map[string]bool{"ping": true, "echo": true, "time": true}

// watchBroken reports whether a watched key was written, or expired, since
// WATCH. The caller holds the stripes of the watched keys (execLock), so
// every committed write to them has already been reported.
func (c *client) watchBroken() (bool, error) {
	if c.watchDirty.Load() {
		return true, nil
	}
	for _, w := range c.watched {
		if w.expired {
			continue
		}
		exp, err := c.s.ks.DB(w.logical).StoredExpired([]byte(w.k.key))
		if err != nil || exp {
			return true, err
		}
	}
	return false, nil
}

func cmdExec(c *client, args [][]byte) {
	if !c.multi {
		c.w.Error("ERR EXEC without MULTI")
		return
	}
	queued := c.queued
	if c.multiErr {
		c.discardMulti()
		c.w.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	unlock := c.execLock(queued)
	defer unlock()
	broken, err := c.watchBroken()
	c.discardMulti()
	if err != nil {
		c.replyErr(err)
		return
	}
	if broken {
		c.w.NullArray()
		return
	}
	txks := c.s.ks.InTransaction(codec.NewTxnStore(c.s.ks.Store()))
	c.txks = txks
	c.inExec = true
	mark := c.w.Len()
	c.w.ArrayHeader(len(queued))
	for _, q := range queued {
		c.lastCmd.Store(q.cmd)
		q.cmd.handler(c, q.args)
	}
	c.txks, c.inExec = nil, false
	if err := txks.CommitTransaction(); err != nil {
		// Nothing was applied: replace the replies by the error.
		c.w.Truncate(mark)
		c.replyErr(err)
	}
}
