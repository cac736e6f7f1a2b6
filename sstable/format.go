package sstable

// Every constant in this file is part of the on-disk format described in
// FORMAT.md. Never change a value; retire a value by commenting it out and
// never reuse it.

const (
	// tableMagic ends every table file: the bytes "strataST" read as a
	// little-endian uint64.
	tableMagic uint64 = 0x5453617461727473

	// formatVersion1 is the only table format so far.
	formatVersion1 uint32 = 1

	// blockTrailerLen is the size of the trailer after every block:
	// 1-byte block compression type + 4-byte checksum.
	blockTrailerLen = 5

	// maxBlockHandleLen is the largest encoding of a block handle: two
	// uvarint64 values.
	maxBlockHandleLen = 2 * 10

	// footerLen is the fixed size of the footer:
	//   metaindex handle + index handle, zero-padded to 2*maxBlockHandleLen
	//   format version  uint32 LE
	//   footer checksum uint32 LE (xxhash64 of the preceding 44 bytes, low 32 bits)
	//   magic           uint64 LE
	footerLen = 2*maxBlockHandleLen + 4 + 4 + 8
)

// Block compression types, the first byte of a block trailer.
const (
	blockTypeNone byte = 0
	blockTypeS2   byte = 1
	blockTypeZstd byte = 2
)

// Names of the metaindex entries. Each maps to the block handle of a
// meta block.
const (
	metaFilterName = "strata.filter.bloom512"
	// metaFilterNameV1 names the filter of tables written before
	// bloom512: a plain bloom filter, still read.
	metaFilterNameV1   = "strata.filter.bloom64"
	metaRangeDelName   = "strata.rangedel"
	metaPropertiesName = "strata.properties"
)

// Names of the properties. Numbers are uvarints; strings are raw bytes.
const (
	propNumEntries        = "strata.num.entries"
	propNumDeletions      = "strata.num.deletions"
	propNumRangeDeletions = "strata.num.range-deletions"
	propRawKeySize        = "strata.raw.key.size"
	propRawValueSize      = "strata.raw.value.size"
	propSmallestSeq       = "strata.seq.smallest"
	propLargestSeq        = "strata.seq.largest"
	propCompression       = "strata.compression"
	propComparer          = "strata.comparer"
	propCreationTime      = "strata.creation.time"
	propNumDataBlocks     = "strata.num.data-blocks"
	propDataSize          = "strata.data.size"
	propIndexSize         = "strata.index.size"
	propFilterSize        = "strata.filter.size"
	propFilterBitsPerKey  = "strata.filter.bits-per-key"
)

// Sanity limits applied while reading, so that a corrupt size never
// causes an unbounded allocation.
const (
	// maxDecodedBlockSize bounds the decompressed size of a compressed
	// block. The writer stores larger blocks uncompressed.
	maxDecodedBlockSize = 8 << 20
	// maxFilterProbes bounds the probe count stored in a filter.
	maxFilterProbes = 30
)
