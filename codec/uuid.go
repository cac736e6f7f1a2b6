package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// uuidKey holds the uuid allocator's reservation: every uuid below the
// stored value may have been handed out; none at or above it has been.
var uuidKey = []byte{FamilyConfig, 'u', 'u', 'i', 'd'}

// uuidBlock is how many uuids one reservation covers. A restart skips what
// was left of the block, so uuids are not dense, only increasing.
const uuidBlock = 1 << 16

// uuidAllocator hands out key-incarnation uuids that are never reused,
// across restarts and crashes in every WAL mode.
//
// The rule that makes this hold: before the first uuid of a block is handed
// out, the reservation covering the block is committed in its own batch. The
// engine loses writes after a crash only as a suffix of the commit order
// (the WAL is replayed in order and stops at the first missing record; with
// the WAL off, memtables are flushed oldest first), so any surviving write
// that uses a uuid was committed after its reservation, which survives too.
type uuidAllocator struct {
	mu         sync.Mutex
	loaded     bool
	next, high uint64 // hand out [next, high); high is the stored reservation
}

// newUUID returns a fresh uuid. It commits a new reservation directly to
// store (never into a transaction's buffer) when the block is used up.
func (a *uuidAllocator) newUUID(store Store) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		v, err := store.Get(uuidKey)
		switch {
		case errors.Is(err, ErrNotFound):
			a.next, a.high = 1, 1 // uuid 0 is never valid
		case err != nil:
			return 0, err
		case len(v) != 8 || binary.BigEndian.Uint64(v) == 0:
			return 0, fmt.Errorf("%w: uuid reservation of %d bytes", ErrCorruption, len(v))
		default:
			a.next = binary.BigEndian.Uint64(v)
			a.high = a.next
		}
		a.loaded = true
	}
	if a.next == a.high {
		high := a.high + uuidBlock
		if high < a.high {
			return 0, errors.New("codec: uuid space exhausted")
		}
		b := store.NewBatch()
		b.Set(uuidKey, binary.BigEndian.AppendUint64(nil, high))
		if err := store.Commit(b); err != nil {
			return 0, err
		}
		a.high = high
	}
	u := a.next
	a.next++
	return u, nil
}
