package memtable

import (
	"encoding/binary"

	"github.com/strata-db/strata/internal/base"
)

// A node is one skiplist entry, stored in the arena as a header, a tower of
// next links truncated to the node's height, then the user key and the value:
//
//	offset  size  field
//	0       8     trailer   seq<<8|kind, little-endian
//	8       4     keySize   length of the user key
//	12      4     valueSize length of the value
//	16      4     height    number of levels the node is linked on (1..maxHeight)
//	20      4     prev      offset of the previous node on level 0 (atomic)
//	24      4*h   tower     offset of the next node on levels 0..h-1 (atomic)
//	24+4h   k     user key
//	24+4h+k v     value
//
// followed by padding to arenaAlign. The fields before prev are written once,
// before the node is published, and read without atomics afterwards.
const (
	nodeTrailerOff   = 0
	nodeKeySizeOff   = 8
	nodeValueSizeOff = 12
	nodeHeightOff    = 16
	nodePrevOff      = 20
	nodeTowerOff     = 24
	linkSize         = 4

	// maxHeight is the tallest tower. With p = 1/e a list of e^20 (~2^29)
	// entries would be needed to make taller towers useful; a 4 GiB arena
	// holds at most ~2^27 entries.
	maxHeight = 20
	// maxNodeSize is the size of a node header with a full tower.
	maxNodeSize = nodeTowerOff + maxHeight*linkSize
)

// nodeSize is the size of a node header with a tower of the given height.
func nodeSize(height int) uint64 { return nodeTowerOff + uint64(height)*linkSize }

// entrySize is the number of arena bytes one entry uses.
func entrySize(height, keyLen, valueLen int) uint64 {
	return allocSize(nodeSize(height) + uint64(keyLen) + uint64(valueLen))
}

// newNode allocates a node and writes its header, key and value. The links
// hold whatever the arena held (it is not zeroed: see New); the caller
// sets each one before the node can be reached through it.
func (a *arena) newNode(height int, key base.InternalKey, value []byte) (uint32, bool) {
	hdr := nodeSize(height)
	nd, ok := a.alloc(hdr + uint64(len(key.UserKey)) + uint64(len(value)))
	if !ok {
		return 0, false
	}
	b := a.buf[nd:]
	binary.LittleEndian.PutUint64(b[nodeTrailerOff:], uint64(key.Trailer))
	binary.LittleEndian.PutUint32(b[nodeKeySizeOff:], uint32(len(key.UserKey)))
	binary.LittleEndian.PutUint32(b[nodeValueSizeOff:], uint32(len(value)))
	binary.LittleEndian.PutUint32(b[nodeHeightOff:], uint32(height))
	n := copy(b[hdr:], key.UserKey)
	copy(b[hdr+uint64(n):], value)
	return nd, true
}

func (a *arena) trailer(nd uint32) base.Trailer {
	return base.Trailer(binary.LittleEndian.Uint64(a.buf[uint64(nd)+nodeTrailerOff:]))
}

func (a *arena) height(nd uint32) int {
	return int(binary.LittleEndian.Uint32(a.buf[uint64(nd)+nodeHeightOff:]))
}

// userKey returns the node's user key, aliasing the arena. Its capacity is
// clipped so that an append by the caller cannot overwrite the arena.
func (a *arena) userKey(nd uint32) []byte {
	b := a.buf[nd:]
	start := nodeSize(int(binary.LittleEndian.Uint32(b[nodeHeightOff:])))
	end := start + uint64(binary.LittleEndian.Uint32(b[nodeKeySizeOff:]))
	return b[start:end:end]
}

// value returns the node's value, aliasing the arena, with clipped capacity.
func (a *arena) value(nd uint32) []byte {
	b := a.buf[nd:]
	start := nodeSize(int(binary.LittleEndian.Uint32(b[nodeHeightOff:]))) +
		uint64(binary.LittleEndian.Uint32(b[nodeKeySizeOff:]))
	end := start + uint64(binary.LittleEndian.Uint32(b[nodeValueSizeOff:]))
	return b[start:end:end]
}

func (a *arena) next(nd uint32, level int) uint32 {
	return a.word(uint64(nd) + nodeTowerOff + uint64(level)*linkSize).Load()
}

func (a *arena) setNext(nd uint32, level int, next uint32) {
	a.word(uint64(nd) + nodeTowerOff + uint64(level)*linkSize).Store(next)
}

func (a *arena) casNext(nd uint32, level int, old, next uint32) bool {
	return a.word(uint64(nd)+nodeTowerOff+uint64(level)*linkSize).CompareAndSwap(old, next)
}

func (a *arena) prev(nd uint32) uint32 {
	return a.word(uint64(nd) + nodePrevOff).Load()
}

func (a *arena) setPrev(nd uint32, prev uint32) {
	a.word(uint64(nd) + nodePrevOff).Store(prev)
}

func (a *arena) casPrev(nd uint32, old, prev uint32) bool {
	return a.word(uint64(nd)+nodePrevOff).CompareAndSwap(old, prev)
}
