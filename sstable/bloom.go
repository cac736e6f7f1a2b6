package sstable

import (
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
)

// A bloom filter over every user key of a table, in one of two layouts
// (FORMAT.md). A table's filter is checked on every point lookup that
// reaches its level, mostly for keys the table holds, and for such a key a
// filter must test all of its k probes.
//
//   - bloom512 (written now): the bit array is cut into 64-byte lines; a
//     key's probes all fall in one line, picked by the high 32 bits of its
//     hash, so a lookup costs one cache miss. The low 32 bits give the
//     probes: bit h>>23 of the line, then h *= 0x9e3779b9 and again.
//   - bloom64 (tables written before): probes spread over the whole array
//     by double hashing, h1 = low 32 bits, h2 = high 32 bits | 1, probe i
//     at bit (h1 + i*h2) mod nbits: up to k cache misses, each behind a
//     division.
//
// The block is the bit array followed by the probe count (uint8).

// bloomHash is the one hash the filter is built from.
func bloomHash(userKey []byte) uint64 { return xxhash.Sum64(userKey) }

// bloomProbes returns the number of probes for a bits-per-key budget:
// bitsPerKey * ln 2, which minimises the false-positive rate.
func bloomProbes(bitsPerKey int) int {
	k := int(float64(bitsPerKey) * 0.69)
	return max(1, min(k, maxFilterProbes))
}

// bloomLineBits is the size of a bloom512 line: a cache line.
const bloomLineBits = 512

// buildBloom returns the bloom512 filter block for a set of key hashes.
func buildBloom(hashes []uint64, bitsPerKey int) []byte {
	nbits := max(len(hashes)*bitsPerKey, bloomLineBits)
	lines := (nbits + bloomLineBits - 1) / bloomLineBits
	nbytes := lines * bloomLineBits / 8
	out := make([]byte, nbytes+1)
	k := bloomProbes(bitsPerKey)
	out[nbytes] = byte(k)
	for _, h := range hashes {
		line := out[bloomLine(h, uint32(lines))*bloomLineBits/8:][:bloomLineBits/8]
		p := uint32(h)
		for i := 0; i < k; i++ {
			bit := p >> 23
			line[bit/8] |= 1 << (bit % 8)
			p *= 0x9e3779b9
		}
	}
	return out
}

// bloomLine picks a bloom512 key's line from the high half of its hash.
func bloomLine(h uint64, lines uint32) int {
	return int(uint64(uint32(h>>32)) * uint64(lines) >> 32)
}

// buildBloomV1 returns a bloom64 filter block, the layout of older tables
// (for the tests that read them).
func buildBloomV1(hashes []uint64, bitsPerKey int) []byte {
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
	nbits  uint32 // bloom64: the array's bits
	lines  uint32 // bloom512: the array's lines; 0 for bloom64
	probes int
}

// decodeBloom decodes a bloom512 filter block.
func decodeBloom(block []byte) (bloomFilter, error) {
	f, err := decodeBloomV1(block)
	if err != nil {
		return f, err
	}
	if len(f.bits)%(bloomLineBits/8) != 0 {
		return bloomFilter{}, base.CorruptionErrorf("sstable: filter of %d bytes is not whole lines", len(f.bits))
	}
	f.lines = uint32(len(f.bits) / (bloomLineBits / 8))
	return f, nil
}

// decodeBloomV1 decodes a bloom64 filter block.
func decodeBloomV1(block []byte) (bloomFilter, error) {
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

// prefetch starts loading the line mayContain reads for hash h (bloom512;
// a bloom64 filter's probes are spread over the array).
func (f *bloomFilter) prefetch(h uint64) {
	if f.lines != 0 {
		base.Prefetch(unsafe.Pointer(&f.bits[bloomLine(h, f.lines)*bloomLineBits/8]))
	}
}

// mayContain reports whether the key with hash h may be in the set. It
// never answers false for a key that was added.
func (f *bloomFilter) mayContain(h uint64) bool {
	if f.lines != 0 {
		line := f.bits[bloomLine(h, f.lines)*bloomLineBits/8:][:bloomLineBits/8]
		p := uint32(h)
		for i := 0; i < f.probes; i++ {
			bit := p >> 23
			if line[bit/8]&(1<<(bit%8)) == 0 {
				return false
			}
			p *= 0x9e3779b9
		}
		return true
	}
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
