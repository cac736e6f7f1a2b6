package sstable

import (
	"encoding/binary"
	"errors"
)

// blockHandle locates a block in the file: its offset and its length,
// excluding the 5-byte block trailer.
type blockHandle struct {
	Offset, Length uint64
}

// appendBlockHandle appends the uvarint encoding of h to dst.
func appendBlockHandle(dst []byte, h blockHandle) []byte {
	dst = binary.AppendUvarint(dst, h.Offset)
	return binary.AppendUvarint(dst, h.Length)
}

// errBadHandle reports a block handle that does not decode.
var errBadHandle = errors.New("sstable: malformed block handle")

// decodeBlockHandle decodes a handle from the front of src and returns the
// number of bytes consumed, or 0 if src does not start with a valid handle.
func decodeBlockHandle(src []byte) (blockHandle, int) {
	off, n := binary.Uvarint(src)
	if n <= 0 {
		return blockHandle{}, 0
	}
	length, m := binary.Uvarint(src[n:])
	if m <= 0 {
		return blockHandle{}, 0
	}
	return blockHandle{Offset: off, Length: length}, n + m
}

// blockWriter builds one block: prefix-compressed entries followed by the
// restart array. See FORMAT.md.
//
// Each entry is
//
//	shared uvarint | unshared uvarint | valueLen uvarint | key[shared:] | value
//
// where shared is the length of the prefix the key has in common with the
// previous key; it is zero at every restart point.
type blockWriter struct {
	restartInterval int
	buf             []byte
	restarts        []uint32
	lastKey         []byte
	nEntries        int // entries since the last restart
	count           int // entries in the block
}

func (b *blockWriter) reset() {
	b.buf = b.buf[:0]
	b.restarts = b.restarts[:0]
	b.lastKey = b.lastKey[:0]
	b.nEntries = 0
	b.count = 0
}

func (b *blockWriter) empty() bool { return b.count == 0 }

// add appends an entry. Keys must be added in increasing order; the caller
// checks that.
func (b *blockWriter) add(key, value []byte) {
	shared := 0
	if b.nEntries >= b.restartInterval || b.count == 0 {
		b.restarts = append(b.restarts, uint32(len(b.buf)))
		b.nEntries = 0
	} else {
		n := min(len(key), len(b.lastKey))
		for shared < n && key[shared] == b.lastKey[shared] {
			shared++
		}
	}
	b.buf = binary.AppendUvarint(b.buf, uint64(shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(key)-shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(value)))
	b.buf = append(b.buf, key[shared:]...)
	b.buf = append(b.buf, value...)
	b.lastKey = append(b.lastKey[:0], key...)
	b.nEntries++
	b.count++
}

// estimatedSize is the size finish would return.
func (b *blockWriter) estimatedSize() int {
	return len(b.buf) + 4*len(b.restarts) + 4
}

// finish appends the restart array and returns the block. The result
// aliases the writer's buffer until reset.
func (b *blockWriter) finish() []byte {
	for _, r := range b.restarts {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, r)
	}
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(b.restarts)))
	return b.buf
}
