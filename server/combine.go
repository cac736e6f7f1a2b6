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
// which only send their replies. The slot stays open while the round
// commits: if clients queued meanwhile, the holder goes on in another
// round on the stripe it still holds. A round ends at maxCombined
// commands, maxCombinedBytes of arguments or after combineRoundTime; the
// holder's tenure at
// maxCombineRounds rounds or after combineHoldTime, when it passes the
// stripe, still locked, and the slot, still open, to the first client
// waiting (its heir), whose own key batch then runs the others. Only when
// nobody waits in the slot does it close it and release the stripe. So
// the stripe passes from one goroutine to another only at the end of a
// tenure, and a newcomer finds the slot open nearly whenever the stripe
// is held: in SADD -c 50 -P 16, 0.9k to 1.9k key batches waited for the
// lock instead of queuing, against 22k to 24k when the slot closed
// before the commit. A holder does not pass the stripe on while a caller
// waits to lock it (codec.Locks.Contended), so that such a caller is not
// passed over for ever. A woken client that was not served (a blocked
// client was readied, a caller waits to lock the stripe, or SWAPDB moved
// its key to another stripe) waits for the stripe as before.
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
//   - The holder waits for no other stripe while combining (the commands
//     it runs take only the locks its own would: the keyspace's events,
//     the slot's mutex, never a stripe), and a queued client holds
//     nothing, so combining adds no lock cycle (invariant 3); a queued
//     client waits for the holder, or for a chain of heirs, none of which
//     waits for it.
//   - A command that readies a blocked client's key ends the combining
//     (invariant 6), as it ends a key batch; so does a client blocking
//     anywhere, which sets the same flag until the next serveReady.
//   - The holder runs a queued client's commands, or passes it the
//     stripe, only if the client's key is on the held stripe under the
//     database mapping it holds (onStripe; invariant 7): an heir does not
//     read the mapping again.
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
// every client it serves waits for all of it. A holder's rounds are
// bounded too, for the holder's own client, whose replies wait for the
// last; then it passes the stripe on (chooseHeir).
const (
	maxCombined      = 256
	maxCombinedBytes = 1 << 20
	combineRoundTime = 250 * time.Microsecond
	maxCombineRounds = 8
	combineHoldTime  = time.Millisecond
)

// combineSlots is the number of queues; a stripe's is its index modulo
// combineSlots, and a slot is open for one stripe at a time.
const combineSlots = 1024

// combineSlot is a queue of clients waiting for a stripe's holder to run
// their writes.
type combineSlot struct {
	mu sync.Mutex
	// open says a key batch holds stripe and will take the queue: it
	// stays open while the holder commits a round, and passes to its
	// heir with the stripe.
	open       bool
	stripe     int
	head, tail *client
	_          [24]byte // one slot per cache line
}

// Test hooks, nil outside tests: combineOpened runs when a key batch has
// opened its stripe's slot, combineQueued when a client has queued in one,
// combineInherited when a client has been passed a stripe,
// combineCommitting before a combining key batch commits a round.
var combineOpened, combineQueued, combineInherited, combineCommitting func(*client)

// combiner holds the server's slots.
type combiner struct {
	slots [combineSlots]combineSlot
}

// combineWait is a client's state while it waits in a slot (the client's
// goroutine sets it before queuing, the combiner while it runs the
// client's commands).
type combineWait struct {
	next *client             // the slot's queue
	done chan combineOutcome // the combiner's answer
	cmd  *command            // the command the client is about to run
	args [][]byte            // its arguments
	mark int                 // the client's reply buffer length before its commands
	n    int                 // how many of its commands the combiner ran
}

// combineOutcome is what became of a queued client.
type combineOutcome uint8

const (
	// notServed: the client holds nothing and runs its command itself.
	notServed combineOutcome = iota
	// served: the holder ran the client's commands and committed them.
	served
	// heir: the holder passed the client the stripe, still locked, and
	// the slot, still open: the client's key batch holds them now.
	heir
)

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
// through comb.next). It closes the slot if close is set: from then on
// clients wait for the stripe instead.
func (sl *combineSlot) take(close bool) *client {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	w := sl.head
	sl.head, sl.tail = nil, nil
	if close {
		sl.open = false
	}
	return w
}

// closeIfEmpty closes the slot if nobody is queued, and reports whether it
// did.
func (sl *combineSlot) closeIfEmpty() bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.head != nil {
		return false
	}
	sl.open = false
	return true
}

// takeOne removes and returns the first queued client, or closes the slot
// and returns nil if none is queued.
func (sl *combineSlot) takeOne() *client {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	w := sl.head
	if w == nil {
		sl.open = false
		return nil
	}
	if sl.head = w.comb.next; sl.head == nil {
		sl.tail = nil
	}
	w.comb.next = nil
	return w
}

// pushFront puts the clients of list (linked through comb.next) back at
// the front of the queue, in their order.
func (sl *combineSlot) pushFront(list *client) {
	last := list
	for last.comb.next != nil {
		last = last.comb.next
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	last.comb.next = sl.head
	sl.head = list
	if sl.tail == nil {
		sl.tail = last
	}
}

// waitCombined queues c, about to run cmd with args in a key batch on
// stripe, which another key batch holds, and waits until that batch's
// holder has run its commands and committed them (served), or has passed
// c the stripe (heir). If no holder takes a queue for the stripe, or the
// holder did neither, c holds nothing and runs cmd itself (notServed).
func (c *client) waitCombined(cmd *command, args [][]byte, stripe int) combineOutcome {
	w := &c.comb
	if w.done == nil {
		w.done = make(chan combineOutcome, 1)
	}
	w.cmd, w.args = cmd, args
	// The mark for a failed WAL write precedes the replies the holder
	// will write.
	if cmd.logged {
		c.needLog()
	}
	if !c.s.comb.enqueue(c, stripe) {
		w.cmd, w.args = nil, nil
		return notServed
	}
	if combineQueued != nil {
		combineQueued(c)
	}
	o := <-w.done
	w.cmd, w.args = nil, nil
	return o
}

// combine runs, before c's key batch commits a round, the commands of the
// clients queued on its stripe's slot, appending those it served to
// c.batch.served and waking at once those it will not serve. It runs
// clients until the queue is empty or the round is full; those taken from
// the queue but left for the next round wait in c.batch.carry. The slot
// stays open, also while the round commits, so that clients arriving then
// queue for the next round or the heir (endBatch); once a blocked client's
// key is ready, combine closes it and sends the rest away.
func (c *client) combine() {
	b := &c.batch
	n, size := b.n, b.bytes
	start := time.Now()
	full := func() bool {
		return n >= maxCombined || size >= maxCombinedBytes || time.Since(start) >= combineRoundTime
	}
	for {
		if c.s.events.anyReady.Load() {
			c.closeSlot()
			return
		}
		if full() {
			return
		}
		w := b.carry
		b.carry = nil
		if w == nil {
			if w = b.slot.take(false); w == nil {
				return
			}
		}
		for w != nil {
			if full() || c.s.events.anyReady.Load() {
				b.carry = w
				break
			}
			if size+argsSize(w.comb.args) > maxCombinedBytes {
				// The round is full for w: the next one takes it (a
				// key batch's first command fits an empty round).
				b.carry = w
				return
			}
			next := w.comb.next
			w.comb.next = nil
			if k, kb := c.runFor(w, maxCombined-n, maxCombinedBytes-size); k > 0 {
				n, size = n+k, size+kb
				b.served = append(b.served, w)
			} else {
				w.comb.done <- notServed
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
			w.comb.done <- notServed
			w = next
		}
	}
	b.carry, b.slot = nil, nil
}

// chooseHeir ends a holder's tenure, after its last round: it picks the
// first client still waiting whose key is on the stripe, to which endBatch
// passes the stripe and the slot (c.batch.heir), and leaves the others
// queued for it. With nobody waiting, or a caller waiting to lock the
// stripe (which must not be passed over for ever), it closes the slot
// instead.
func (c *client) chooseHeir() {
	b := &c.batch
	if c.s.ks.Locks().Contended(b.stripes[0]) {
		c.closeSlot()
		return
	}
	for {
		w := b.carry
		if w != nil {
			b.carry, w.comb.next = w.comb.next, nil
		} else if w = b.slot.takeOne(); w == nil {
			b.slot = nil // closed
			return
		}
		if c.onStripe(w) {
			if b.carry != nil {
				b.slot.pushFront(b.carry)
				b.carry = nil
			}
			b.heir, b.slot = w, nil
			return
		}
		w.comb.done <- notServed
	}
}

// onStripe reports whether w's key is on the stripe c holds, under the
// database mapping, which cannot change while c holds it: w found the
// stripe held under the mapping it read before, which a SWAPDB may have
// changed since.
func (c *client) onStripe(w *client) bool {
	b := &c.batch
	b.mk = codec.AppendMetaKey(b.mk[:0], uint8(c.txks.DB(w.db).Num()), w.batch.key)
	on := c.s.ks.Locks().Stripe(b.mk) == b.stripes[0]
	b.trimMK()
	return on
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
	if !c.onStripe(w) {
		return 0, 0
	}
	cmd, args := wc.cmd, wc.args
	sz := argsSize(args) // combine checked that it fits roomBytes
	w.txks = c.txks
	wc.mark = w.w.Len()
	// One clock reading per command: a command's end is the next one's
	// start.
	now := time.Now()
	for {
		w.lastInteraction.Store(now.UnixNano())
		w.bufs.SetNow(now.UnixMilli())
		k, more := 1, 0
		if s.coalescible(cmd, args) {
			// The same commands after it run with it (coalesce.go),
			// within the round's and the batch's bounds. From here on
			// args are the copies: the reader's are reused.
			var extra int
			extra, more = w.takeRun(cmd, args, min(room, maxKeyBatch)-n-1, min(roomBytes, maxKeyBatchBytes)-size-sz)
			k += extra
			args = w.coal.command(0)
		}
		if k == 1 {
			cmd.handler(w, args)
			end := time.Now()
			s.slowlog.maybeAdd(s, w, args, end.Sub(now))
			now = end
		} else {
			cmd.coalesce(w, &w.coal)
			now = w.logCoalesced(now)
		}
		w.coal.release()
		n, size = n+k, size+sz+more
		if n >= room || n >= maxKeyBatch || w.w.Len() > 64<<10 || s.events.anyReady.Load() {
			break
		}
		peeked, ok := w.r.Peek()
		if !ok {
			break
		}
		ncmd, errMsg := w.cmds.lookup(peeked)
		if errMsg != "" || !ncmd.batchable || !bytes.Equal(peeked[1], key) {
			break
		}
		if sz = argsSize(peeked); size+sz > roomBytes || size+sz > maxKeyBatchBytes {
			break
		}
		if elem, ok := ncmd.elem(peeked); ok {
			// Its element's lookup misses the caches: start the loads
			// (prefetchNext, on the holder's behalf).
			w.hintElement(peeked[1], elem)
		}
		next, err := w.r.ReadCommand() // the peeked command, parsed already
		if err != nil {
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
