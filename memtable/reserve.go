package memtable

// Reservations are the engine's admission control. The state is one atomic
// word, so that a reservation and the count of batches in flight change
// together: inFlight<<reservedBits | reserved, where reserved is the arena
// cursor as if every reservation were used in full.

const (
	reservedBits = 33 // a cursor up to 4 GiB inclusive
	reservedMask = 1<<reservedBits - 1
	maxInFlight  = 1<<(64-reservedBits) - 1
)

// Reserve atomically reserves n arena bytes for a batch about to be applied.
// It returns false if they do not fit; the engine then rotates to a new
// memtable. As long as every Add is covered by a reservation (the engine
// reserves the sum of MaxEntrySize over a batch before applying it), no Add
// fails with ErrArenaFull.
//
// Reservations over-estimate (MaxEntrySize assumes the tallest tower). The
// excess is lost to later reservations, though never to Adds, until the
// engine reports with Applied that the batches are done: whenever no
// reserved batch is left in flight, reservations restart from Size.
func (m *MemTable) Reserve(n int) bool {
	if n < 0 {
		return false
	}
	capacity := m.arena.capacity()
	for {
		s := m.reservation.Load()
		reserved, inFlight := s&reservedMask, s>>reservedBits
		// Adds made without a reservation may have moved the cursor past
		// the reservations: count from whichever is further.
		from := max(reserved, m.arena.size())
		if from+uint64(n) > capacity || inFlight == maxInFlight {
			return false
		}
		if m.reservation.CompareAndSwap(s, (inFlight+1)<<reservedBits|(from+uint64(n))) {
			return true
		}
	}
}

// Applied reports that a batch for which Reserve returned true has been
// applied: all its Adds have returned. When it was the last reserved batch
// in flight, what the reservations over-estimated becomes available to
// Reserve again. Calling Applied is optional (without it reservations are
// simply never given back), but it must not be called more often than
// Reserve succeeded; it panics then.
func (m *MemTable) Applied() {
	for {
		s := m.reservation.Load()
		reserved, inFlight := s&reservedMask, s>>reservedBits
		if inFlight == 0 {
			panic("memtable: Applied without a matching Reserve")
		}
		if inFlight == 1 {
			// Every reserved batch is done, and its Adds happened before
			// its Applied: the cursor holds their exact usage.
			reserved = m.arena.size()
		}
		if m.reservation.CompareAndSwap(s, (inFlight-1)<<reservedBits|reserved) {
			return
		}
	}
}
