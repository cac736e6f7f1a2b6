package sstable

import (
	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
)

// A bloom filter over every user key of a table. The filter block is
//
//	bit array (nbytes) | probes uint8
//
// A key's probes are derived from one xxhash64 by double hashing: with
// h1 = low 32 bits and h2 = high 32 bits with the low bit set, probe i sets
// bit (h1 + i*h2) mod nbits. See FORMAT.md.

// bloomHash is the one hash the filter is built from.
func bloomHash(userKey []byte) uint64 { return xxhash.Sum64(userKey) }

// bloomProbes returns the number of probes for a bits-per-key budget:
// bitsPerKey * ln 2, which minimises the false-positive rate.
func bloomProbes(bitsPerKey int) int {
	k := int(float64(bitsPerKey) * 0.69)
	return max(1, min(k, maxFilterProbes))
}

// buildBloom returns the filter block for a set of key hashes.
func buildBloom(hashes []uint64, bitsPerKey int) []byte {
	nbits := len(hashes) * bitsPerKey
	nbits = max(nbits, 64)
	nbytes := (nbits + 7) / 8
	nbits = nbytes * 8
	out := make([]byte, nbytes+1)
	k := bloomProbes(bitsPerKey)
	out[nbytes] = byte(k)
	for _, h := range hashes {
		h1, h2 := uint32(h), uint32(h>>32)|1
		for i := 0; i < k; i++ {
			bit := h1 % uint32(nbits)
			out[bit/8] |= 1 << (bit % 8)
			h1 += h2
		}
	}
	return out
}

// bloomFilter is a decoded filter block.
type bloomFilter struct {
	bits   []byte
	nbits  uint32
	probes int
}

func decodeBloom(block []byte) (bloomFilter, error) {
	if len(block) < 2 {
		return bloomFilter{}, base.CorruptionErrorf("sstable: filter block of %d bytes", len(block))
	}
	k := int(block[len(block)-1])
	if k < 1 || k > maxFilterProbes {
		return bloomFilter{}, base.CorruptionErrorf("sstable: filter with %d probes", k)
	}
	bits := block[:len(block)-1]
	if uint64(len(bits))*8 > 1<<32-1 {
		return bloomFilter{}, base.CorruptionErrorf("sstable: filter of %d bytes is too large", len(bits))
	}
	return bloomFilter{bits: bits, nbits: uint32(len(bits) * 8), probes: k}, nil
}

// mayContain reports whether the key with hash h may be in the set. It
// never answers false for a key that was added.
func (f *bloomFilter) mayContain(h uint64) bool {
	h1, h2 := uint32(h), uint32(h>>32)|1
	for i := 0; i < f.probes; i++ {
		bit := h1 % f.nbits
		if f.bits[bit/8]&(1<<(bit%8)) == 0 {
			return false
		}
		h1 += h2
	}
	return true
}
