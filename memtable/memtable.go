package memtable

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/strata-db/strata/internal/base"
)

// MinArenaSize is the smallest arena New accepts: room for the sentinel
// nodes of both skiplists and for aligning the first node.
const MinArenaSize = arenaAlign + 2*sentinelsSize

// MemTable is an in-memory sorted table of internal keys: one skiplist of
// point entries (SET, DEL) and one of range tombstones (RANGEDEL), both in
// one arena. See the package documentation for the concurrency contract.
type MemTable struct {
	arena     arena
	filter    filter
	index     pointIndex
	points    skiplist
	rangeDels skiplist
	// reservation packs, so that both change in one compare-and-swap, the
	// arena cursor as if every reservation were used in full (low
	// reservedBits bits; Reserve refuses to move it past the capacity) and
	// the number of reserved batches not yet Applied (high bits).
	reservation   atomic.Uint64
	count         atomic.Int64
	rangeDelCount atomic.Int64
}

// New returns a memtable whose skiplists live in arena. len(arena) is at
// least MinArenaSize and at most 4 GiB; New panics otherwise. The last
// ReservedSize(len(arena)) bytes hold the point index (index.go) and the
// point filter (filter.go); the rest is the capacity for entries.
// The caller allocates the arena (so that a tracking allocator can account
// for it) and must keep it alive and untouched while the memtable, or any
// key or value read from it, is in use. The arena need not be zeroed: New
// zeroes the index and the filter, and every node word is written before
// it is read, so an arena may be reused for the next memtable as it is.
func New(arena []byte) *MemTable {
	if len(arena) < MinArenaSize {
		panic(fmt.Sprintf("memtable: arena of %d bytes is smaller than MinArenaSize (%d)", len(arena), MinArenaSize))
	}
	adviseHugePages(arena)
	m := &MemTable{}
	n := len(arena)
	fs, is := FilterSize(n), indexSize(n)
	m.filter.init(arena[n-fs:])
	m.arena.init(arena[:n-ReservedSize(n)])
	if is > 0 {
		// The slots start on a 4-byte boundary within the reserved bytes.
		start := n - ReservedSize(n)
		start += int((slotSize - uintptr(unsafe.Pointer(&arena[start]))%slotSize) % slotSize)
		m.index.init(arena[start:start+is], &m.arena)
	}
	if !m.points.init(&m.arena) || !m.rangeDels.init(&m.arena) {
		panic("memtable: arena too small for the sentinel nodes")
	}
	m.reservation.Store(m.arena.size())
	return m
}

// MaxEntrySize bounds the arena bytes one Add of a key and value of these
// lengths can use: a node with the tallest tower, the key, the value and
// alignment padding.
func MaxEntrySize(keyLen, valueLen int) int {
	return int(entrySize(maxHeight, keyLen, valueLen))
}

// Add inserts an entry. SET and DEL entries go to the point skiplist;
// RANGEDEL entries (key = start key with trailer, value = end key) go to the
// range tombstone skiplist. Add is safe for concurrent use with other Adds
// and with readers. key and value are copied into the arena.
//
// It returns ErrRecordExists if an entry with the same user key and trailer
// is present, ErrArenaFull if the entry does not fit and ErrInvalidKind for
// any other kind.
func (m *MemTable) Add(key base.InternalKey, value []byte) error {
	return m.add(key, value, randomHeight())
}

func (m *MemTable) add(key base.InternalKey, value []byte, height int) error {
	if uint64(len(key.UserKey))+uint64(len(value)) > m.arena.capacity() {
		return ErrArenaFull
	}
	switch key.Kind() {
	case base.InternalKeyKindSet, base.InternalKeyKindDelete:
		// The filter's bits go in before the node is linked, the index
		// entry after it, both before Add returns (filter.go, index.go).
		h := KeyHash(key.UserKey)
		newest := m.newest(h, key.UserKey, height)
		m.filter.add(h)
		nd, err := m.points.addNear(key, value, height, newest)
		if err != nil {
			return err
		}
		m.index.add(&m.arena, h, key.UserKey, nd)
	case base.InternalKeyKindRangeDelete:
		if _, err := m.rangeDels.add(key, value, height); err != nil {
			return err
		}
		m.rangeDelCount.Add(1)
	default:
		return ErrInvalidKind
	}
	m.count.Add(1)
	return nil
}

// newest returns the point index's node for userKey (hash h) when a node
// of the given height can use it to skip its search (skiplist.addNear):
// for height 1, when the filter says the key may be present and the index
// has it; 0 otherwise.
func (m *MemTable) newest(h uint64, userKey []byte, height int) uint32 {
	if height != 1 || m.index.slots == nil || !m.filter.mayContain(h) {
		return 0
	}
	nd, _ := m.index.find(&m.arena, h, userKey)
	return nd
}

// Get returns the newest point entry for userKey with a sequence number <=
// seq; kind is SET or DEL. The value aliases the arena: it stays valid while
// the memtable lives, and must not be modified.
func (m *MemTable) Get(userKey []byte, seq base.SeqNum) (value []byte, kind base.InternalKeyKind, ok bool) {
	return m.GetHashed(userKey, KeyHash(userKey), seq)
}

// GetHashed is Get with the key's KeyHash already computed.
func (m *MemTable) GetHashed(userKey []byte, h uint64, seq base.SeqNum) (value []byte, kind base.InternalKeyKind, ok bool) {
	if !m.filter.mayContain(h) {
		return nil, 0, false
	}
	seq = min(seq, base.SeqNumMax)
	if m.index.slots != nil {
		nd, indexed := m.index.find(&m.arena, h, userKey)
		switch {
		case indexed && m.arena.trailer(nd).SeqNum() <= seq:
			// The newest version, and visible at seq (index.go).
			return m.arena.value(nd), m.arena.trailer(nd).Kind(), true
		case !indexed && !m.index.saturated.Load():
			return nil, 0, false
		}
	}
	s := &m.points
	_, nd := s.seek(userKey, base.MakeTrailer(seq, base.InternalKeyKindMax))
	if nd == s.tail || !bytes.Equal(m.arena.userKey(nd), userKey) {
		return nil, 0, false
	}
	return m.arena.value(nd), m.arena.trailer(nd).Kind(), true
}

// NewIter returns an iterator over the point entries with user keys in
// [lower, upper) (nil means unbounded). It implements base.InternalIterator
// and also sees entries added after its creation. The bounds are not
// copied: the caller keeps them unchanged while the iterator lives.
func (m *MemTable) NewIter(lower, upper []byte) base.InternalIterator {
	return &iterator{list: &m.points, lower: lower, upper: upper}
}

// NewRangeDelIter returns an iterator over the raw range tombstones (key
// start#seq,RANGEDEL, value end), in InternalCompare order of their start
// keys, or nil if there are none. Tombstones are not fragmented.
func (m *MemTable) NewRangeDelIter() base.InternalIterator {
	if m.rangeDelCount.Load() == 0 {
		return nil
	}
	return &iterator{list: &m.rangeDels}
}

// Size returns the number of arena bytes in use, exactly: the sentinel nodes,
// the alignment prefix and every entry allocated, including its padding.
func (m *MemTable) Size() int { return int(m.arena.size()) }

// Capacity returns the arena bytes available to entries: the arena's
// length less ReservedSize.
func (m *MemTable) Capacity() int { return int(m.arena.capacity()) }

// Empty reports whether no entry has been added.
func (m *MemTable) Empty() bool { return m.count.Load() == 0 }

// Count returns the number of entries added, point entries and range
// tombstones together.
func (m *MemTable) Count() int { return int(m.count.Load()) }

// Prefetch starts loading the lines a GetHashed of a key with hash h reads
// first: the key's filter block and its first index slot.
func (m *MemTable) Prefetch(h uint64) {
	m.filter.prefetch(h)
	m.index.prefetch(h)
}

// PrefetchEntry is Prefetch's second step, for a caller that prefetched
// many keys and then comes back to each (lsm.DB.GetMany): with the filter
// block and the first index slot loaded, it starts loading the node that
// slot records when the filter and the slot's tag say it may be the key's
// (its header and the key after it). It reads only the published slot, an
// atomic load, and never changes anything.
func (m *MemTable) PrefetchEntry(h uint64) {
	x := &m.index
	if x.slots == nil || !m.filter.mayContain(h) {
		return
	}
	v := atomic.LoadUint32(x.slot(h))
	if v == 0 || v^x.tag(h) >= 1<<x.offBits {
		return
	}
	nd := uint64(x.node(v))
	base.Prefetch(unsafe.Pointer(&m.arena.buf[nd]))
	if nd+64 < uint64(len(m.arena.buf)) {
		base.Prefetch(unsafe.Pointer(&m.arena.buf[nd+64]))
	}
}
