package wal

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
)

// The constants below are part of the on-disk format described in FORMAT.md.
// Changing any of them makes existing logs unreadable. A chunk type, once
// written to disk, keeps its meaning forever: retired types are commented
// out here, never reused.
const (
	// BlockSize is the size of a log block. Chunks never span blocks.
	BlockSize = 32 << 10

	// HeaderSize is the size of a chunk header:
	//
	//	checksum uint32 LE | length uint16 LE | type uint8 | log number uint32 LE
	HeaderSize = 11

	// MaxChunkPayload is the largest payload a single chunk can carry.
	MaxChunkPayload = BlockSize - HeaderSize
)

// Offsets of the header fields within a chunk header.
const (
	checksumOff = 0
	lengthOff   = 4
	typeOff     = 6
	logNumOff   = 7
)

// chunkType says how a chunk's payload relates to its record.
type chunkType uint8

// Chunk types. These values are part of the on-disk format.
const (
	// chunkZero is never written. A header whose type is zero is padding,
	// preallocated space or a torn page and never a chunk.
	chunkZero chunkType = 0
	// chunkFull holds a whole record.
	chunkFull chunkType = 1
	// chunkFirst holds the first fragment of a record spanning blocks.
	chunkFirst chunkType = 2
	// chunkMiddle holds an interior fragment.
	chunkMiddle chunkType = 3
	// chunkLast holds the final fragment.
	chunkLast chunkType = 4

	// chunkTypeMax is the largest valid chunk type.
	chunkTypeMax = chunkLast
)

func (t chunkType) String() string {
	switch t {
	case chunkZero:
		return "ZERO"
	case chunkFull:
		return "FULL"
	case chunkFirst:
		return "FIRST"
	case chunkMiddle:
		return "MIDDLE"
	case chunkLast:
		return "LAST"
	}
	return "INVALID"
}

// chunkLogNum is the form of a log number stored in chunk headers: its low
// 32 bits.
func chunkLogNum(n base.FileNum) uint32 { return uint32(n) }

// chunkChecksum computes the checksum of the chunk that starts at c[0] and
// ends at c[len(c)-1]: the low 32 bits of xxhash64 over everything after the
// checksum field (length, type, log number and payload).
func chunkChecksum(c []byte) uint32 {
	return uint32(xxhash.Sum64(c[lengthOff:]))
}

// putHeader fills in the header of the chunk c (header plus payload, already
// copied in) and its checksum.
func putHeader(c []byte, t chunkType, logNum uint32) {
	binary.LittleEndian.PutUint16(c[lengthOff:], uint16(len(c)-HeaderSize))
	c[typeOff] = byte(t)
	binary.LittleEndian.PutUint32(c[logNumOff:], logNum)
	binary.LittleEndian.PutUint32(c[checksumOff:], chunkChecksum(c))
}
