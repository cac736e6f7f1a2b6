package server

import (
	"bytes"
	"sync"
	"time"

	"github.com/strata-db/strata/codec"
)

// Combining: a key batch runs the writes of the connections waiting for
// its key.
//
// Clients that pipeline writes to one hot key (a queue, a counter hash, a
// leaderboard) each start a key batch (keybatch.go) on the key's lock
// stripe, one after another. Handing the stripe over costs more than the
// batch: the next holder is a parked goroutine that must be woken and
// scheduled before it runs, and with a few dozen such clients the stripe
// spends much of its time between holders (a mutex profile of SADD -c 50
// -P 16 showed about 19 of 50 connections waiting at any moment, the
// server using about one of its two cores). Each batch also commits on its
// own.
//
// So the holder of a key batch's stripe combines (flat combining): a
// client whose key batch would start on a stripe that another key batch
// holds queues itself on the stripe's slot and parks; before the holder
// commits, it runs the queued clients' buffered writes to their key, each
// into its own client's reply buffer, on its own transaction keyspace, and
// commits everything as one batch. Then it wakes the clients it served,
// which only send their replies. If clients queued meanwhile, it goes on
// in another round on the stripe it still holds (a round takes at most
// maxCombined commands, a holder at most maxCombineRounds rounds), so
// that the stripe passes from one goroutine to another only when the
// queue runs dry; then it closes the slot and releases the stripe. (Under
// SADD -c 50 -P 16 the stripe is then held by key batches about nine
// tenths of the time.) A woken client that was not served (the holder's
// last round was full, a blocked client was readied, or SWAPDB moved its
// key to another stripe) waits for the stripe as before.
//
// The key batch's invariants (keybatch.go) hold for a combined batch:
//
//   - A served client's replies are flushed by that client, after it is
//     woken, which is after the commit (invariant 1); if the commit fails,
//     the combiner replaces the replies of each client it served by the
//     error (invariant 4).
//   - Each client's commands run in the order received, all of them after
//     the commands of the clients before it; the transaction keyspace shows
//     each command the writes before it (invariant 2). Other connections
//     see the combined batch at once.
//   - The holder takes no lock while combining and a queued client holds
//     none, so combining adds no wait for a lock (invariant 3); a queued
//     client waits only for the holder, which never waits for it.
//   - A command that readies a blocked client's key ends the combining
//     (invariant 6), as it ends a key batch.
//   - The holder runs a queued client's commands only if the client's key
//     is still on the held stripe under the database mapping it holds
//     (invariant 7).
//
// A served client's commands run on the holder's goroutine while the
// client's own goroutine is parked; what the client shares with other
// goroutines (CLIENT LIST's fields, its outbox) is synchronised as for its
// own commands. Each command counts in the server's statistics and the
// slow log (its duration: its own run, not the wait) as if the client had
// run it. A client killed while queued has its already received commands
// run, as Redis runs the commands it read before a kill.

// Bounds of a round of combining, the holder's commands included: the
// transaction keyspace holds a copy of its writes until the commit, and
// every client it serves waits for all of it. The rounds are bounded for
// the holder's own client, whose replies wait for the last.
const (
	maxCombined      = 256
	maxCombineRounds = 8
	maxCombinedBytes = 1 << 20
)

// combineSlots is the number of queues; a stripe's is its index modulo
// combineSlots, and a slot is open for one stripe at a time.
const combineSlots = 1024

// combineSlot is a queue of clients waiting for a stripe's holder to run
// their writes.
type combineSlot struct {
	mu sync.Mutex
	// open says a key batch holds stripe and will take the queue before
	// it commits.
	open       bool
	stripe     int
	head, tail *client
	_          [24]byte // one slot per cache line
}

// Test hooks, nil outside tests: combineOpened runs when a key batch has
// opened its stripe's slot, combineQueued when a client has queued in one.
var combineOpened, combineQueued func(*client)

// combiner holds the server's slots.
type combiner struct {
	slots [combineSlots]combineSlot
}

// combineWait is a client's state while it waits in a slot (the client's
// goroutine sets it before queuing, the combiner while it runs the
// client's commands).
type combineWait struct {
	next   *client   // the slot's queue
	done   chan bool // the combiner's answer: served or not
	cmd    *command  // the command the client is about to run
	args   [][]byte  // its arguments
	stripe int       // the stripe the client found held
	mark   int       // the client's reply buffer length before its commands
	n      int       // how many of its commands the combiner ran
}

func (cb *combiner) slot(stripe int) *combineSlot {
	return &cb.slots[stripe&(combineSlots-1)]
}

// open opens stripe's slot for the key batch that holds the stripe and
// returns it, or nil if the slot is open for another stripe.
func (cb *combiner) open(stripe int) *combineSlot {
	sl := cb.slot(stripe)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.open {
		return nil
	}
	sl.open, sl.stripe = true, stripe
	return sl
}

// enqueue queues c in stripe's slot if a key batch holding the stripe has
// it open, and reports whether it did.
func (cb *combiner) enqueue(c *client, stripe int) bool {
	sl := cb.slot(stripe)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if !sl.open || sl.stripe != stripe {
		return false
	}
	c.comb.next = nil
	if sl.tail == nil {
		sl.head = c
	} else {
		sl.tail.comb.next = c
	}
	sl.tail = c
	return true
}

// take empties the queue and returns its first client (the rest follow
// through comb.next). It closes the slot if close is set or the queue was
// empty: from then on clients wait for the stripe instead.
func (sl *combineSlot) take(close bool) *client {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	w := sl.head
	sl.head, sl.tail = nil, nil
	if w == nil || close {
		sl.open = false
	}
	return w
}

// waitCombined queues c, about to run cmd with args in a key batch on
// stripe, which another key batch holds, and waits until that batch's
// holder has run its commands and committed them. It reports whether the
// holder did; if not (no holder takes a queue for the stripe, or it did
// not serve c), c holds nothing and runs cmd itself.
func (c *client) waitCombined(cmd *command, args [][]byte, stripe int) bool {
	w := &c.comb
	if w.done == nil {
		w.done = make(chan bool, 1)
	}
	w.cmd, w.args, w.stripe = cmd, args, stripe
	// The mark for a failed WAL write precedes the replies the holder
	// will write.
	if cmd.logged {
		c.needLog()
	}
	if !c.s.comb.enqueue(c, stripe) {
		w.cmd, w.args = nil, nil
		return false
	}
	if combineQueued != nil {
		combineQueued(c)
	}
	served := <-w.done
	w.cmd, w.args = nil, nil
	return served
}

// combine runs, before c's key batch commits, the commands of the clients
// queued on its stripe's slot, appending those it served to
// c.batch.served and waking at once those it will not serve. It runs
// clients until the queue is empty, which closes the slot, or the batch
// is full; then it reports more if clients may be left for another round
// (the slot stays open; those already taken wait in c.batch.carry). On the
// last round, or once a blocked client's key is ready, it closes the slot
// and sends the rest away.
func (c *client) combine(last bool) (more bool) {
	b := &c.batch
	n, size := b.n, b.bytes
	full := func() bool { return n >= maxCombined || size >= maxCombinedBytes }
	for {
		if c.s.events.anyReady.Load() || full() && last {
			c.closeSlot()
			return false
		}
		if full() {
			return true
		}
		w := b.carry
		b.carry = nil
		if w == nil {
			if w = b.slot.take(false); w == nil {
				b.slot = nil // closed
				return false
			}
		}
		for w != nil {
			if full() || c.s.events.anyReady.Load() {
				b.carry = w
				break
			}
			next := w.comb.next
			w.comb.next = nil
			if k, kb := c.runFor(w, maxCombined-n, maxCombinedBytes-size); k > 0 {
				n, size = n+k, size+kb
				b.served = append(b.served, w)
			} else {
				w.comb.done <- false
			}
			w = next
		}
	}
}

// closeSlot closes the batch's slot and sends away, unserved, the clients
// left in it and in c.batch.carry: they wait for the stripe instead.
func (c *client) closeSlot() {
	b := &c.batch
	for _, w := range [2]*client{b.carry, b.slot.take(true)} {
		for w != nil {
			next := w.comb.next
			w.comb.next = nil
			w.comb.done <- false
			w = next
		}
	}
	b.carry, b.slot = nil, nil
}

// runFor runs, on c's transaction keyspace, the command w is waiting with
// and the commands buffered behind it that its own key batch would have
// taken (batchable writes to the same key), at most room commands and
// roomBytes of arguments. It returns how many it ran and their arguments'
// size; none if w's key is no longer on the stripe c holds.
func (c *client) runFor(w *client, room, roomBytes int) (n, size int) {
	s := c.s
	wc := &w.comb
	key := w.batch.key // w's key batch would start on it: a copy of args[1]
	if c.batch.mk = codec.AppendMetaKey(c.batch.mk[:0], uint8(c.txks.DB(w.db).Num()), key); s.ks.Locks().Stripe(c.batch.mk) != c.batch.stripes[0] {
		c.batch.trimMK()
		return 0, 0
	}
	c.batch.trimMK()
	cmd, args := wc.cmd, wc.args
	sz := argsSize(args)
	if sz > roomBytes {
		return 0, 0
	}
	w.txks = c.txks
	wc.mark = w.w.Len()
	for {
		now := time.Now()
		w.lastInteraction.Store(now.UnixNano())
		w.bufs.SetNow(now.UnixMilli())
		cmd.handler(w, args)
		s.slowlog.maybeAdd(s, w, args, time.Since(now))
		n, size = n+1, size+sz
		if n >= room || n >= maxKeyBatch || w.w.Len() > 64<<10 || s.events.anyReady.Load() {
			break
		}
		next, ok := w.r.Peek()
		if !ok {
			break
		}
		ncmd, errMsg := w.cmds.lookup(next)
		if errMsg != "" || !ncmd.batchable || !bytes.Equal(next[1], key) {
			break
		}
		if sz = argsSize(next); size+sz > roomBytes || size+sz > maxKeyBatchBytes {
			break
		}
		if _, err := w.r.ReadCommand(); err != nil { // next, already parsed
			break
		}
		s.stats.commands.Add(1)
		w.lastCmd.Store(ncmd)
		cmd, args = ncmd, next
	}
	w.txks = nil
	wc.n = n
	return n, size
}

// argsSize is the size of a command's arguments, as a key batch counts it.
func argsSize(args [][]byte) int {
	size := 0
	for _, a := range args {
		size += len(a)
	}
	return size
}
