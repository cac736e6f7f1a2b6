package memtable

import (
	"github.com/strata-db/strata/internal/base"

	"sync/atomic"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// The point filter is a blocked bloom filter over the user keys of the
// point entries, kept in the arena's last FilterSize bytes. Get consults it
// before searching the skiplist: a lookup of a key the memtable does not
// hold (most of them once the data outgrows one memtable) then costs one
// cache line instead of a search whose steps are cache misses.
//
// Each key sets filterProbes bits in one 64-byte block chosen by the high
// half of its xxhash; the low half drives the probes within the block
// (double hashing). Bits are set with atomic ORs before the entry is
// linked, so a reader that can see an entry (its sequence number was
// published after the Add returned) sees its bits.

const (
	filterBlockBytes = 64
	filterBlockWords = filterBlockBytes / 8
	filterProbes     = 6
	// filterRatio is the arena bytes per filter byte: a 64 MiB arena has a
	// 1 MiB filter, about 20 bits per key for entries of ~160 bytes (a
	// string of 100 bytes) and 6 bits per key for entries of 50 bytes.
	filterRatio = 64
	// filterMinArena is the smallest arena that gets a filter.
	filterMinArena = 16 << 10
)

// FilterSize is the number of bytes at the end of an arena of arenaLen
// bytes that New reserves for the point filter: 1/64 of the arena in whole
// 64-byte blocks, none below 16 KiB.
func FilterSize(arenaLen int) int {
	if arenaLen < filterMinArena {
		return 0
	}
	return (arenaLen / filterRatio) &^ (filterBlockBytes - 1)
}

// ReservedSize is the number of bytes at the end of an arena of arenaLen
// bytes that New sets aside for the point index and the point filter: the
// arena's Capacity for entries is arenaLen - ReservedSize(arenaLen).
func ReservedSize(arenaLen int) int {
	n := FilterSize(arenaLen) + indexSize(arenaLen)
	if n > 0 {
		n += slotSize // to align the index's slots
	}
	return n
}

// ArenaSizeFor returns the length of the smallest arena whose Capacity
// is at least n bytes (n plus what New reserves at its end).
func ArenaSizeFor(n int) int {
	l := n
	for l-ReservedSize(l) < n {
		// The reserved bytes grow with the arena: step by what is
		// missing, scaled up by their share (at most 1/8).
		l += (n-(l-ReservedSize(l)))*8/7 + filterBlockBytes
	}
	for l > n && l-1-ReservedSize(l-1) >= n {
		l--
	}
	return l
}

// KeyHash is the hash of a user key that the filter and the index use
// and GetHashed takes: a reader looking a key up in several memtables
// computes it once.
func KeyHash(userKey []byte) uint64 { return xxhash.Sum64(userKey) }

type filter struct {
	words   []uint64
	nblocks uint64
}

// init lays the filter over buf, whose length is a multiple of 64 bytes.
// The buffer is zeroed: the caller's arena may hold anything. Its start
// need only be 8-byte aligned for the atomics; a block that straddles a
// cache line costs a second line on some lookups, nothing more.
func (f *filter) init(buf []byte) {
	if len(buf) == 0 {
		return
	}
	// Align the words to 8 bytes, giving up the last block if the slice
	// does not start aligned.
	skip := (8 - uintptr(unsafe.Pointer(&buf[0]))%8) % 8
	buf = buf[skip:]
	n := len(buf) / filterBlockBytes
	if n == 0 {
		return
	}
	clear(buf[:n*filterBlockBytes])
	f.words = unsafe.Slice((*uint64)(unsafe.Pointer(&buf[0])), n*filterBlockWords)
	f.nblocks = uint64(n)
}

// block returns the index of the first word of h's block.
func (f *filter) block(h uint64) uint64 {
	return ((h >> 32) * f.nblocks >> 32) * filterBlockWords
}

// add sets h's bits.
func (f *filter) add(h uint64) {
	if f.nblocks == 0 {
		return
	}
	b := f.block(h)
	h1 := uint32(h)
	h2 := h1>>17 | h1<<15
	for range filterProbes {
		bit := h1 & (filterBlockBytes*8 - 1)
		w := &f.words[b+uint64(bit>>6)]
		if m := uint64(1) << (bit & 63); atomic.LoadUint64(w)&m == 0 {
			atomic.OrUint64(w, m)
		}
		h1 += h2
	}
}

// prefetch starts loading h's block.
func (f *filter) prefetch(h uint64) {
	if f.nblocks != 0 {
		base.Prefetch(unsafe.Pointer(&f.words[f.block(h)]))
	}
}

// mayContain reports whether h's bits are all set: false means no key
// with this hash was added.
func (f *filter) mayContain(h uint64) bool {
	if f.nblocks == 0 {
		return true
	}
	b := f.block(h)
	h1 := uint32(h)
	h2 := h1>>17 | h1<<15
	for range filterProbes {
		bit := h1 & (filterBlockBytes*8 - 1)
		if atomic.LoadUint64(&f.words[b+uint64(bit>>6)])&(uint64(1)<<(bit&63)) == 0 {
			return false
		}
		h1 += h2
	}
	return true
}
