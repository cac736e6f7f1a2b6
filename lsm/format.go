package lsm

// On-disk format constants of the lsm package. See FORMAT.md. Changing any
// value here changes the format: never renumber, only add.

// batchHeaderLen is the size of a batch header: seq (8 bytes, little-endian)
// and record count (4 bytes, little-endian).
const batchHeaderLen = 12

// Version edit tags of the MANIFEST. Retired tags are commented out, never
// reused.
const (
	tagComparer    = 1 // string: comparer name
	tagLogNumber   = 2 // uvarint: WALs with smaller numbers are fully flushed
	tagNextFileNum = 3 // uvarint: next file number to allocate
	tagLastSeqNum  = 4 // uvarint: largest sequence number in any table
	tagDeletedFile = 5 // uvarint level, uvarint file number
	tagNewFile     = 6 // uvarint level, file number, size, smallest, largest, smallest seq, largest seq
	tagNewFile2    = 7 // tagNewFile's fields, then uvarint number of range tombstones
)

// numLevels is the number of LSM levels, L0 to L6.
const numLevels = 7
