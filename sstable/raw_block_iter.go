package sstable

import (
	"encoding/binary"

	"github.com/strata-db/strata/internal/base"
)

// rawBlockIter walks forward over a block whose keys are plain byte
// strings (the metaindex and properties blocks). The restart array is
// validated by init but not needed for a forward scan.
type rawBlockIter struct {
	bi  blockIter
	key []byte
	val []byte
	err error
}

func (r *rawBlockIter) init(block []byte) error {
	return r.bi.init(nil, block)
}

func (r *rawBlockIter) first() bool {
	r.bi.keyBuf = r.bi.keyBuf[:0]
	return r.decodeAt(0)
}

func (r *rawBlockIter) next() bool { return r.decodeAt(r.bi.nextOffset) }

func (r *rawBlockIter) decodeAt(off int) bool {
	b := &r.bi
	if r.err != nil || off >= b.restartsOff {
		return false
	}
	p := b.data[off:b.restartsOff]
	shared, n1 := binary.Uvarint(p)
	unshared, n2 := uint64(0), 0
	vlen, n3 := uint64(0), 0
	if n1 > 0 {
		unshared, n2 = binary.Uvarint(p[n1:])
	}
	if n1 > 0 && n2 > 0 {
		vlen, n3 = binary.Uvarint(p[n1+n2:])
	}
	if n1 <= 0 || n2 <= 0 || n3 <= 0 {
		r.err = base.CorruptionErrorf("sstable: bad entry header at offset %d", off)
		return false
	}
	h := uint64(n1 + n2 + n3)
	if shared > uint64(len(b.keyBuf)) || unshared > uint64(len(p))-h || vlen > uint64(len(p))-h-unshared {
		r.err = base.CorruptionErrorf("sstable: entry at offset %d overflows its block", off)
		return false
	}
	ke := int(h + unshared)
	b.keyBuf = append(b.keyBuf[:shared], p[h:ke]...)
	r.key = b.keyBuf
	r.val = p[ke : ke+int(vlen)]
	b.nextOffset = off + ke + int(vlen)
	return true
}
