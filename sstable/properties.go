package sstable

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/base"
)

// Properties describe a table. They are stored in the properties block as
// name -> value entries (see format.go for the names) and read back by
// NewReader. Unknown names are ignored, so new properties can be added
// without a format change.
type Properties struct {
	NumEntries        uint64 // point entries (SET and DEL)
	NumDeletions      uint64 // point tombstones
	NumRangeDeletions uint64 // range tombstones
	RawKeySize        uint64 // sum of encoded internal key sizes of point entries
	RawValueSize      uint64 // sum of point value sizes
	SmallestSeq       base.SeqNum
	LargestSeq        base.SeqNum
	Compression       string // the writer's compression option
	ComparerName      string
	CreationTime      int64 // Unix seconds
	NumDataBlocks     uint64
	DataSize          uint64 // bytes of data blocks, with trailers
	IndexSize         uint64 // bytes of the index block, with trailer
	FilterSize        uint64 // bytes of the filter block, with trailer; 0 = none
	FilterBitsPerKey  uint64
}

// String renders the properties one per line, in a stable order.
func (p *Properties) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "entries: %d\n", p.NumEntries)
	fmt.Fprintf(&b, "deletions: %d\n", p.NumDeletions)
	fmt.Fprintf(&b, "range-deletions: %d\n", p.NumRangeDeletions)
	fmt.Fprintf(&b, "raw-key-size: %d\n", p.RawKeySize)
	fmt.Fprintf(&b, "raw-value-size: %d\n", p.RawValueSize)
	fmt.Fprintf(&b, "seqs: [%d, %d]\n", p.SmallestSeq, p.LargestSeq)
	fmt.Fprintf(&b, "compression: %s\n", p.Compression)
	fmt.Fprintf(&b, "comparer: %s\n", p.ComparerName)
	fmt.Fprintf(&b, "data-blocks: %d\n", p.NumDataBlocks)
	fmt.Fprintf(&b, "filter-bits-per-key: %d\n", p.FilterBitsPerKey)
	return b.String()
}

type propEntry struct {
	name  string
	value []byte
}

func (p *Properties) entries() []propEntry {
	u := func(name string, v uint64) propEntry {
		return propEntry{name, binary.AppendUvarint(nil, v)}
	}
	es := []propEntry{
		u(propNumEntries, p.NumEntries),
		u(propNumDeletions, p.NumDeletions),
		u(propNumRangeDeletions, p.NumRangeDeletions),
		u(propRawKeySize, p.RawKeySize),
		u(propRawValueSize, p.RawValueSize),
		u(propSmallestSeq, uint64(p.SmallestSeq)),
		u(propLargestSeq, uint64(p.LargestSeq)),
		{propCompression, []byte(p.Compression)},
		{propComparer, []byte(p.ComparerName)},
		u(propCreationTime, uint64(p.CreationTime)),
		u(propNumDataBlocks, p.NumDataBlocks),
		u(propDataSize, p.DataSize),
		u(propIndexSize, p.IndexSize),
		u(propFilterSize, p.FilterSize),
		u(propFilterBitsPerKey, p.FilterBitsPerKey),
	}
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	return es
}

// encode returns the properties block (before compression). Its entries
// are plain key/value pairs in a block with one entry per restart.
func (p *Properties) encode() []byte {
	bw := blockWriter{restartInterval: 1}
	for _, e := range p.entries() {
		bw.add([]byte(e.name), e.value)
	}
	return bw.finish()
}

// decodeProperties parses a properties block.
func decodeProperties(block []byte) (Properties, error) {
	var p Properties
	var it rawBlockIter
	if err := it.init(block); err != nil {
		return p, err
	}
	for ok := it.first(); ok; ok = it.next() {
		name, v := string(it.key), it.val
		num := func(dst *uint64) error {
			x, n := binary.Uvarint(v)
			if n <= 0 || n != len(v) {
				return base.CorruptionErrorf("sstable: malformed property %s", name)
			}
			*dst = x
			return nil
		}
		var err error
		var x uint64
		switch name {
		case propNumEntries:
			err = num(&p.NumEntries)
		case propNumDeletions:
			err = num(&p.NumDeletions)
		case propNumRangeDeletions:
			err = num(&p.NumRangeDeletions)
		case propRawKeySize:
			err = num(&p.RawKeySize)
		case propRawValueSize:
			err = num(&p.RawValueSize)
		case propSmallestSeq:
			err = num(&x)
			p.SmallestSeq = base.SeqNum(x)
		case propLargestSeq:
			err = num(&x)
			p.LargestSeq = base.SeqNum(x)
		case propCompression:
			p.Compression = string(v)
		case propComparer:
			p.ComparerName = string(v)
		case propCreationTime:
			err = num(&x)
			p.CreationTime = int64(x)
		case propNumDataBlocks:
			err = num(&p.NumDataBlocks)
		case propDataSize:
			err = num(&p.DataSize)
		case propIndexSize:
			err = num(&p.IndexSize)
		case propFilterSize:
			err = num(&p.FilterSize)
		case propFilterBitsPerKey:
			err = num(&p.FilterBitsPerKey)
		}
		if err != nil {
			return p, err
		}
	}
	return p, it.err
}

// CreatedAt returns the creation time.
func (p *Properties) CreatedAt() time.Time { return time.Unix(p.CreationTime, 0) }
