package sstable

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
)

// encodeFooter builds the fixed-size footer. See FORMAT.md.
func encodeFooter(metaindex, index blockHandle) []byte {
	buf := make([]byte, footerLen)
	p := appendBlockHandle(buf[:0], metaindex)
	appendBlockHandle(p, index)
	off := 2 * maxBlockHandleLen
	binary.LittleEndian.PutUint32(buf[off:], formatVersion1)
	binary.LittleEndian.PutUint32(buf[off+4:], uint32(xxhash.Sum64(buf[:off+4])))
	binary.LittleEndian.PutUint64(buf[off+8:], tableMagic)
	return buf
}

// footer is a decoded footer.
type footer struct {
	metaindex, index blockHandle
	version          uint32
}

func decodeFooter(buf []byte) (footer, error) {
	if len(buf) != footerLen {
		return footer{}, base.CorruptionErrorf("sstable: footer of %d bytes", len(buf))
	}
	off := 2 * maxBlockHandleLen
	if binary.LittleEndian.Uint64(buf[off+8:]) != tableMagic {
		return footer{}, base.MarkCorruption(ErrBadMagic)
	}
	if got, want := binary.LittleEndian.Uint32(buf[off+4:]), uint32(xxhash.Sum64(buf[:off+4])); got != want {
		return footer{}, base.CorruptionErrorf("sstable: footer checksum mismatch: stored %08x, computed %08x", got, want)
	}
	var f footer
	f.version = binary.LittleEndian.Uint32(buf[off:])
	if f.version != formatVersion1 {
		return footer{}, base.CorruptionErrorf("sstable: unsupported format version %d", f.version)
	}
	var n, m int
	f.metaindex, n = decodeBlockHandle(buf[:off])
	if n > 0 {
		f.index, m = decodeBlockHandle(buf[n:off])
	}
	if n <= 0 || m <= 0 {
		return footer{}, base.MarkCorruption(errBadHandle)
	}
	return f, nil
}
