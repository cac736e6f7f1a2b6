package sstable

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/jemallocprof"
)

// Compression selects how a writer compresses its blocks. The zero value
// means the default, FastCompression. The numbering here is an option, not
// the on-disk block type (see format.go).
type Compression uint8

// Compression choices.
const (
	DefaultCompression Compression = iota // FastCompression
	NoCompression
	FastCompression // s2, a Snappy-compatible fast codec
	ZstdCompression // zstd at its default level
	numCompressions
)

var compressionNames = [...]string{
	DefaultCompression: "default",
	NoCompression:      "none",
	FastCompression:    "fast",
	ZstdCompression:    "zstd",
}

// String returns the name ParseCompression accepts.
func (c Compression) String() string {
	if c < numCompressions {
		return compressionNames[c]
	}
	return fmt.Sprintf("Compression(%d)", uint8(c))
}

// ParseCompression parses a compression name: "none", "fast" (or "s2",
// "snappy"), "zstd" or "default". Case is ignored.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(s) {
	case "default", "":
		return DefaultCompression, nil
	case "none", "no":
		return NoCompression, nil
	case "fast", "s2", "snappy":
		return FastCompression, nil
	case "zstd":
		return ZstdCompression, nil
	}
	return 0, fmt.Errorf("sstable: unknown compression %q", s)
}

func (c Compression) resolve() Compression {
	if c == DefaultCompression {
		return FastCompression
	}
	return c
}

func (c Compression) blockType() byte {
	switch c.resolve() {
	case FastCompression:
		return blockTypeS2
	case ZstdCompression:
		return blockTypeZstd
	}
	return blockTypeNone
}

// compressBlock compresses raw with the block type typ into dst[:0] and
// returns the bytes to store and the type actually used: a block stays
// uncompressed when compression saves less than 1/8 of its size, or when
// it is too large for a reader to accept compressed.
func compressBlock(typ byte, raw, dst []byte) ([]byte, byte) {
	if typ == blockTypeNone || len(raw) > maxDecodedBlockSize {
		return raw, blockTypeNone
	}
	var out []byte
	switch typ {
	case blockTypeS2:
		if n := s2.MaxEncodedLen(len(raw)); cap(dst) < n {
			dst = make([]byte, n)
		}
		out = s2.Encode(dst[:cap(dst)], raw)
	case blockTypeZstd:
		out = zstdEncoder().EncodeAll(raw, dst[:0])
	}
	if len(out) > len(raw)-len(raw)/8 {
		return raw, blockTypeNone
	}
	return out, typ
}

var errDecodedTooLarge = errors.New("sstable: decompressed block exceeds the size limit")

// decompressBlock decodes a block of type typ on the Go heap. For
// blockTypeNone it returns data itself.
func decompressBlock(typ byte, data []byte) ([]byte, error) {
	return decompress(typ, data, nil)
}

// decompress decodes a block into a buffer of exactly the decoded size
// from alloc (nil: the Go heap, and data itself for blockTypeNone); the
// buffer's capacity is what its allocator set aside. s2
// blocks and zstd frames that state their size (our writer's always do)
// are decoded straight into that buffer.
func decompress(typ byte, data []byte, alloc func(n int) []byte) ([]byte, error) {
	tracked := alloc != nil
	if !tracked {
		// The capacity is the heap's size class, so that the reader
		// counts what its metadata blocks really take (table_meta).
		alloc = func(n int) []byte { return slices.Grow([]byte(nil), n)[:n] }
	}
	// into decodes into a buffer of n bytes; a decoder that did not fill
	// exactly that buffer means a corrupt block.
	into := func(what string, n int, decode func(buf []byte) ([]byte, error)) ([]byte, error) {
		if n > maxDecodedBlockSize {
			return nil, base.MarkCorruption(errDecodedTooLarge)
		}
		buf := alloc(n)
		out, err := decode(buf)
		if err != nil || len(out) != n || (n > 0 && &out[0] != &buf[0]) {
			if tracked {
				jemallocprof.Free(jemallocprof.IteratorPinned, buf)
			}
			return nil, base.CorruptionErrorf("sstable: %s block: decoded %d of %d bytes: %v", what, len(out), n, err)
		}
		return buf, nil
	}
	switch typ {
	case blockTypeNone:
		if !tracked {
			return data, nil
		}
		out := alloc(len(data))
		copy(out, data)
		return out, nil
	case blockTypeS2:
		n, err := s2.DecodedLen(data)
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: s2 block: %v", err)
		}
		return into("s2", n, func(buf []byte) ([]byte, error) { return s2.Decode(buf, data) })
	case blockTypeZstd:
		dec := getZstdDecoder()
		defer putZstdDecoder(dec)
		var h zstd.Header
		if err := h.Decode(data); err == nil && h.HasFCS && h.FrameContentSize > 0 {
			if h.FrameContentSize > maxDecodedBlockSize {
				return nil, base.MarkCorruption(errDecodedTooLarge)
			}
			return into("zstd", int(h.FrameContentSize), func(buf []byte) ([]byte, error) { return dec.decodeInto(buf, data) })
		}
		// No size in the header: decode on the Go heap (copied if tracked).
		out, err := dec.d.DecodeAll(data, nil)
		dec.detach()
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: zstd block: %v", err)
		}
		if len(out) > maxDecodedBlockSize {
			return nil, base.MarkCorruption(errDecodedTooLarge)
		}
		if !tracked {
			return out, nil
		}
		buf := alloc(len(out))
		copy(buf, out)
		return buf, nil
	}
	return nil, base.CorruptionErrorf("sstable: unknown block compression type %d", typ)
}

func blockTypeName(typ byte) string {
	switch typ {
	case blockTypeNone:
		return "none"
	case blockTypeS2:
		return "fast"
	case blockTypeZstd:
		return "zstd"
	}
	return fmt.Sprintf("unknown(%d)", typ)
}
