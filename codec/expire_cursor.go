package codec

import (
	"bytes"
	"sync"
)

// expiryCursor remembers how far the active expiry cycle has got in the
// expiry index, so that a round starts there rather than at the start of
// the index. Every entry a round deletes stays in the engine as a point
// tombstone until a compaction drops it at the bottom level; without the
// cursor each round would step over all of them again (after a wave of
// 374,000 expired keys, every 100 ms round skipped 374,000 tombstones
// before reaching its first due entry).
//
// # The contract
//
// next is a lower bound for the expiry index: every entry that is present
// sorts at or after next, except entries whose writer has committed them
// and has not yet reported them (report). Rounds read from next.
//
// A writer whose batch sets expiry-index entries reports the smallest of
// them after the batch commits (writeBatch.commit, or EXEC's commit for a
// transaction). A report lowers next to the key, and, while a round runs,
// also lowers low, the smallest key reported during that round.
//
// A round (one at a time: rounds holds them apart) takes start = next,
// iterates [start, due end), handles entries in key order, and ends by
// setting next = min(max(start, done), low), where done is just after the
// last entry it handled (deleted, with its key or alone), or the end of the
// due range when it handled every due entry it found.
//
// # Why the contract holds after a round
//
// Take an entry e present when the round ends, with e < max(start, done),
// and suppose its writer has reported it by then. Either:
//
//  1. e was committed before the round's iterator was opened and e >=
//     start: the iterator saw e, e < done, and the round handled every entry
//     it saw below done, deleting e. So e was written again afterwards,
//     which is case 3.
//  2. e was committed before the round started and e < start: by the
//     contract at the start, e's writer had not reported it yet; it
//     reported during the round, so low <= e.
//  3. e was committed after the iterator was opened, so after the round
//     started: it was reported after that commit, during the round, so
//     low <= e.
//
// In every case next = min(.., low) <= e, or the report is still to come
// and will lower next then. Reports keep the contract by construction; so
// does a restart, where next starts at the beginning. Entries a round
// failed to delete (an error) are not below done, so they are read again.
//
// The cost: a report takes the mutex and compares; it copies the key only
// when it lowers next or low, which only writes racing a round or writing
// an expiry before the cycle's clock do.
type expiryCursor struct {
	// rounds is held by a round for its whole length.
	rounds sync.Mutex
	mu     struct {
		sync.Mutex
		next []byte // nil: the start of the index
		// During a round: inRound is set, limit is the most the round can
		// move next to (reports at or above it cannot matter to it), and
		// low the smallest key reported since it started (nil: none).
		inRound bool
		limit   []byte
		low     []byte
	}
}

// start begins a round whose due range ends at end and returns where it
// starts reading (nil: the start of the index). The caller holds rounds.
func (c *expiryCursor) start(end []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.inRound = true
	c.mu.low = nil
	c.mu.limit = maxKey(c.mu.next, end)
	return c.mu.next
}

// finish ends the round that started at start: every entry in [start,
// done) was handled (done nil: none was).
func (c *expiryCursor) finish(start, done []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := maxKey(start, done)
	if c.mu.low != nil && bytes.Compare(c.mu.low, next) < 0 {
		next = c.mu.low
	}
	// A report during the round lowered c.mu.next too, never below low.
	c.mu.next = next
	c.mu.inRound, c.mu.low, c.mu.limit = false, nil, nil
}

// report tells the cursor that a batch which set the expiry-index entry k
// (the smallest it set) has committed. k is copied if kept.
func (c *expiryCursor) report(k []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.next != nil && bytes.Compare(k, c.mu.next) < 0 {
		c.mu.next = bytes.Clone(k)
	}
	if c.mu.inRound && bytes.Compare(k, c.mu.limit) < 0 &&
		(c.mu.low == nil || bytes.Compare(k, c.mu.low) < 0) {
		c.mu.low = bytes.Clone(k)
	}
}

// position returns where a reader of the due entries may start (nil: the
// start of the index). Keys are never modified once stored, so the slice
// may be kept.
func (c *expiryCursor) position() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.next
}

// maxKey returns the greater of a and b, nil counting as the smallest key.
func maxKey(a, b []byte) []byte {
	if bytes.Compare(a, b) >= 0 {
		return a
	}
	return b
}

// keySuccessor returns the smallest key after k.
func keySuccessor(k []byte) []byte {
	return append(bytes.Clone(k), 0)
}
