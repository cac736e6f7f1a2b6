package memtable

import (
	"github.com/strata-db/strata/internal/base"

	"bytes"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// The point index is an open-addressing hash table over the user keys of
// the point entries, kept in the arena next to the filter. Each slot holds
// the offset of the newest node (highest trailer: sequence number, then
// kind, the skiplist's order) of one user key,
// so Get finds a key's latest version in a probe or two instead of a
// skiplist search (some 35 dependent cache and TLB misses in a full 64 MiB
// memtable).
//
// Rules that make it safe without locks:
//
//   - Slots are only ever filled, and a filled slot only ever moves to a
//     node of the same user key with a higher trailer (CAS). A key
//     therefore keeps the slot it first got, and every later version finds
//     it along the same probe sequence, before any free slot.
//   - An Add updates the index after linking its node and before it
//     returns. A reader whose sequence number covers a version sees that
//     version's Add completed (the engine publishes sequence numbers after
//     the Adds), so the slot then holds that version or a newer one: if the
//     slot's node is at or below the read's sequence number it is the
//     newest visible version; otherwise (a snapshot read, or a newer write
//     in flight) Get falls back to the skiplist.
//   - A slot holds the node's offset and a tag: a few bits of the key's
//     hash that the slot's position does not use (tagged). A probe past
//     another key's slot compares tags, not keys, so it does not load
//     that key's node from the arena unless the tags match (in 1/256 of
//     the cases for arenas up to 64 MiB: nodes are 4-byte aligned, so
//     their offsets take 24 bits, leaving 8 for the tag; a 4 GiB arena
//     leaves 2). The tag never changes the answer, only how many keys
//     are compared.
//   - A key that finds no free slot within indexMaxProbes, or arrives
//     once the table is three-quarters full, is not indexed and sets
//     saturated (before its Add returns). While saturated is false, a key
//     with no slot has no entry at all; once it is true, Get searches the
//     skiplist for keys it cannot find in the index.

const (
	// indexRatio is the arena bytes per slot: a 64 MiB arena has 1Mi
	// slots (4 MiB), room for 786,432 keys (entries of 85 bytes and more
	// fill the arena first).
	indexRatio = 64
	// indexMaxProbes bounds the probe sequence of an insert or a lookup.
	indexMaxProbes = 32
	slotSize       = 4
)

// indexSize is the number of bytes the point index of an arena of
// arenaLen bytes takes: a power of two number of 4-byte slots, about one
// per 64 bytes of arena; none below filterMinArena.
func indexSize(arenaLen int) int {
	if arenaLen < filterMinArena {
		return 0
	}
	slots := 1 << (bits.Len(uint(arenaLen/indexRatio)) - 1)
	return slots * slotSize
}

type pointIndex struct {
	slots []uint32
	mask  uint64
	// A slot's low offBits bits are its node's offset divided by
	// arenaAlign (every offset of the arena is offLow modulo arenaAlign:
	// arena.alloc); the bits above are the tag.
	offBits uint
	offLow  uint32
	// limit is the number of keys the index takes (3/4 of the slots);
	// used counts the slots filled.
	limit     int64
	used      atomic.Int64
	saturated atomic.Bool
}

// init lays the index of the nodes of a over buf (4-byte aligned, whose
// length is a power of two multiple of 4) and zeroes it. a is initialised
// and has allocated nothing yet.
func (x *pointIndex) init(buf []byte, a *arena) {
	if len(buf) < slotSize {
		return
	}
	clear(buf)
	x.slots = unsafe.Slice((*uint32)(unsafe.Pointer(&buf[0])), len(buf)/slotSize)
	x.mask = uint64(len(x.slots) - 1)
	x.limit = int64(len(x.slots)) * 3 / 4
	x.offBits = uint(bits.Len64((a.capacity() - 1) / arenaAlign))
	x.offLow = uint32(a.size() % arenaAlign)
}

func (x *pointIndex) slot(i uint64) *uint32 { return &x.slots[i&x.mask] }

// tagged is the slot value of node nd, of a key whose hash is h. It is
// never 0: the sentinel nodes come first in the arena, so an entry's node
// offset is at least arenaAlign.
func (x *pointIndex) tagged(h uint64, nd uint32) uint32 {
	return x.tag(h) | nd/arenaAlign
}

// tag is the part of a slot value that depends only on the hash.
func (x *pointIndex) tag(h uint64) uint32 {
	return uint32(h>>32) &^ (1<<x.offBits - 1)
}

// node is the node offset of slot value v.
func (x *pointIndex) node(v uint32) uint32 {
	return (v&(1<<x.offBits-1))*arenaAlign | x.offLow
}

// prefetch starts loading h's first slot.
func (x *pointIndex) prefetch(h uint64) {
	if x.slots != nil {
		base.Prefetch(unsafe.Pointer(x.slot(h)))
	}
}

// add records nd, a node of userKey just linked, as the key's newest
// version if it is newer than the one recorded.
func (x *pointIndex) add(a *arena, h uint64, userKey []byte, nd uint32) {
	if x.slots == nil {
		return
	}
	tr := a.trailer(nd)
	tag, v := x.tag(h), x.tagged(h, nd)
	i := h
	for range indexMaxProbes {
		p := x.slot(i)
		for {
			cur := atomic.LoadUint32(p)
			if cur == 0 {
				if x.used.Load() >= x.limit {
					x.saturated.Store(true)
					return
				}
				if atomic.CompareAndSwapUint32(p, 0, v) {
					x.used.Add(1)
					return
				}
				continue // filled meanwhile: look at what is there
			}
			if cur^tag >= 1<<x.offBits || !bytes.Equal(a.userKey(x.node(cur)), userKey) {
				break // another key's slot: probe on
			}
			if a.trailer(x.node(cur)) >= tr || atomic.CompareAndSwapUint32(p, cur, v) {
				return
			}
			// A newer version replaced cur meanwhile: compare with it.
		}
		i++
	}
	x.saturated.Store(true)
}

// find returns the node recorded for userKey. indexed is false if the key
// has no slot; then the key has no entry unless the index is saturated.
func (x *pointIndex) find(a *arena, h uint64, userKey []byte) (nd uint32, indexed bool) {
	tag := x.tag(h)
	i := h
	for range indexMaxProbes {
		cur := atomic.LoadUint32(x.slot(i))
		if cur == 0 {
			return 0, false
		}
		if cur^tag < 1<<x.offBits && bytes.Equal(a.userKey(x.node(cur)), userKey) {
			return x.node(cur), true
		}
		i++
	}
	return 0, false
}
