package sstable

import (
	"errors"
	"fmt"
	"strings"
	"sync"

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

// The shared zstd encoder and decoder. EncodeAll and DecodeAll are safe
// for concurrent use, so one of each serves every table.
var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
)

// zstdWindow is the encoder's window: larger than any ordinary block.
const zstdWindow = 256 << 10

func zstdCodecs() (*zstd.Encoder, *zstd.Decoder) {
	zstdOnce.Do(func() {
		var err error
		// Blocks are compressed one at a time, so a window past a
		// block's size buys nothing; the default (8 MiB) made the
		// encoder keep 16 MiB of history on the Go heap.
		zstdEnc, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithLowerEncoderMem(true),
			zstd.WithZeroFrames(true))
		if err != nil {
			panic(err) // only on invalid options
		}
		zstdDec, err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(maxDecodedBlockSize),
			zstd.WithDecoderMaxWindow(maxDecodedBlockSize))
		if err != nil {
			panic(err)
		}
	})
	return zstdEnc, zstdDec
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
		enc, _ := zstdCodecs()
		out = enc.EncodeAll(raw, dst[:0])
	}
	if len(out) > len(raw)-len(raw)/8 {
		return raw, blockTypeNone
	}
	return out, typ
}

var errDecodedTooLarge = errors.New("sstable: decompressed block exceeds the size limit")

// decompressBlock decodes a block of type typ. For blockTypeNone it
// returns data itself.
func decompressBlock(typ byte, data []byte) ([]byte, error) {
	switch typ {
	case blockTypeNone:
		return data, nil
	case blockTypeS2:
		n, err := s2.DecodedLen(data)
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: s2 block: %v", err)
		}
		if n > maxDecodedBlockSize {
			return nil, base.MarkCorruption(errDecodedTooLarge)
		}
		out, err := s2.Decode(make([]byte, n), data)
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: s2 block: %v", err)
		}
		return out, nil
	case blockTypeZstd:
		_, dec := zstdCodecs()
		out, err := dec.DecodeAll(data, nil)
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: zstd block: %v", err)
		}
		if len(out) > maxDecodedBlockSize {
			return nil, base.MarkCorruption(errDecodedTooLarge)
		}
		return out, nil
	}
	return nil, base.CorruptionErrorf("sstable: unknown block compression type %d", typ)
}

// decompressBlockTracked decodes a block of type typ into a new buffer
// from allocBlock (so a data block lives in tracked, possibly off-heap
// memory), whose length is exactly the decoded size. The caller owns it;
// on error nothing stays allocated.
func decompressBlockTracked(typ byte, data []byte) ([]byte, error) {
	switch typ {
	case blockTypeNone:
		out := allocBlock(len(data))
		copy(out, data)
		return out, nil
	case blockTypeS2:
		n, err := s2.DecodedLen(data)
		if err != nil {
			return nil, base.CorruptionErrorf("sstable: s2 block: %v", err)
		}
		if n > maxDecodedBlockSize {
			return nil, base.MarkCorruption(errDecodedTooLarge)
		}
		buf := allocBlock(n)
		out, err := s2.Decode(buf, data)
		if err != nil || len(out) != n || (n > 0 && &out[0] != &buf[0]) {
			jemallocprof.Free(jemallocprof.IteratorPinned, buf)
			return nil, base.CorruptionErrorf("sstable: s2 block: decoded %d of %d bytes: %v", len(out), n, err)
		}
		return buf, nil
	case blockTypeZstd:
		var h zstd.Header
		if err := h.Decode(data); err == nil && h.HasFCS && h.FrameContentSize > 0 {
			if h.FrameContentSize > maxDecodedBlockSize {
				return nil, base.MarkCorruption(errDecodedTooLarge)
			}
			// The frame states its size (our writer's always do): decode
			// straight into a buffer of that size.
			n := int(h.FrameContentSize)
			buf := allocBlock(n)
			_, dec := zstdCodecs()
			out, err := dec.DecodeAll(data, buf[:0])
			if err != nil || len(out) != n || &out[0] != &buf[0] {
				jemallocprof.Free(jemallocprof.IteratorPinned, buf)
				return nil, base.CorruptionErrorf("sstable: zstd block: decoded %d of %d bytes: %v", len(out), n, err)
			}
			return buf, nil
		}
		// No size in the header: decode on the Go heap, then copy.
		tmp, err := decompressBlock(typ, data)
		if err != nil {
			return nil, err
		}
		out := allocBlock(len(tmp))
		copy(out, tmp)
		return out, nil
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
