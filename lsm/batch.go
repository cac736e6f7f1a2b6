package lsm

import (
	"encoding/binary"
	"sync"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/memtable"
	"github.com/strata-db/strata/wal"
)

// Batch is an ordered set of writes applied atomically by DB.Apply: either
// every write of the batch is visible (and recovered after a crash) or none.
//
// The encoding of a batch is its WAL record; see FORMAT.md. A Batch is not
// safe for concurrent use and must not be modified while Apply runs.
type Batch struct {
	data    []byte // header + records
	count   uint32
	memSize int // arena bytes the batch may need in a memtable

	// Commit state, used by the commit pipeline.
	seq       base.SeqNum
	mem       *memTable
	wal       wal.Waiter
	published bool
	// applied is set when the goroutine that wrote the batch's WAL group
	// applied it to mem, with the error it met (applyWALGroup).
	applied  bool
	applyErr error
}

var batchPool = sync.Pool{New: func() any { return &Batch{} }}

// NewBatch returns an empty batch, perhaps one given back with
// RecycleBatch.
func (d *DB) NewBatch() *Batch { return batchPool.Get().(*Batch) }

// maxRecycledBatch bounds the batches RecycleBatch keeps: a pool would keep
// a large write's buffer past a garbage collection, outside any memory
// accounting.
const maxRecycledBatch = 64 << 10

// RecycleBatch gives back a batch the caller is done with, applied or not,
// for NewBatch to hand out again, emptied. The caller must not touch b
// afterwards. A batch of more than 64 KiB is left to the garbage collector.
func (d *DB) RecycleBatch(b *Batch) {
	if cap(b.data) > maxRecycledBatch {
		return
	}
	b.Reset()
	batchPool.Put(b)
}

func (b *Batch) init() {
	if len(b.data) < batchHeaderLen {
		b.data = append(b.data[:0], make([]byte, batchHeaderLen)...)
	}
}

// Set adds a write of value under key.
func (b *Batch) Set(key, value []byte) {
	b.add(base.InternalKeyKindSet, key, value, true)
}

// Delete adds a deletion of key.
func (b *Batch) Delete(key []byte) {
	b.add(base.InternalKeyKindDelete, key, nil, false)
}

// DeleteRange adds a deletion of every key in [start, end). The cost is
// independent of the number of keys in the range. A range with start >= end
// deletes nothing.
func (b *Batch) DeleteRange(start, end []byte) {
	b.add(base.InternalKeyKindRangeDelete, start, end, true)
}

func (b *Batch) add(kind base.InternalKeyKind, key, value []byte, hasValue bool) {
	b.init()
	b.data = append(b.data, byte(kind))
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	if hasValue {
		b.data = binary.AppendUvarint(b.data, uint64(len(value)))
		b.data = append(b.data, value...)
	}
	b.count++
	b.memSize += memtable.MaxEntrySize(len(key)+base.TrailerLen, len(value))
}

// Append adds src's writes after b's, in their order; src is unchanged.
// Committing b then commits both sets of writes as one batch.
func (b *Batch) Append(src *Batch) {
	if src.Empty() {
		return
	}
	b.init()
	b.data = append(b.data, src.data[batchHeaderLen:]...)
	b.count += src.count
	b.memSize += src.memSize
}

// Count returns the number of writes in the batch.
func (b *Batch) Count() int { return int(b.count) }

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool { return b.count == 0 }

// Len returns the encoded size of the batch in bytes.
func (b *Batch) Len() int {
	if len(b.data) < batchHeaderLen {
		return batchHeaderLen
	}
	return len(b.data)
}

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.data = b.data[:0]
	b.count = 0
	b.memSize = 0
	b.seq = 0
	b.mem = nil
	b.published = false
	b.applied, b.applyErr = false, nil
}

// Repr returns the batch's encoding (valid until the batch changes).
func (b *Batch) Repr() []byte {
	b.init()
	binary.LittleEndian.PutUint64(b.data[0:8], uint64(b.seq))
	binary.LittleEndian.PutUint32(b.data[8:12], b.count)
	return b.data
}

func (b *Batch) setSeq(seq base.SeqNum) {
	b.seq = seq
	b.init()
	binary.LittleEndian.PutUint64(b.data[0:8], uint64(seq))
	binary.LittleEndian.PutUint32(b.data[8:12], b.count)
}

// errBatchCorrupt is returned for a malformed batch encoding.
var errBatchCorrupt = base.CorruptionErrorf("lsm: malformed batch")

// batchReader decodes a batch encoding.
type batchReader struct {
	seq   base.SeqNum
	count uint32
	rest  []byte
	read  uint32
}

// newBatchReader validates the header of an encoded batch.
func newBatchReader(repr []byte) (batchReader, error) {
	if len(repr) < batchHeaderLen {
		return batchReader{}, errBatchCorrupt
	}
	r := batchReader{
		seq:   base.SeqNum(binary.LittleEndian.Uint64(repr[0:8])),
		count: binary.LittleEndian.Uint32(repr[8:12]),
		rest:  repr[batchHeaderLen:],
	}
	if r.seq > base.SeqNumMax || uint64(r.seq)+uint64(r.count) > uint64(base.SeqNumMax) {
		return batchReader{}, base.CorruptionErrorf("lsm: batch sequence number %d out of range", r.seq)
	}
	return r, nil
}

// next decodes the next record; ok is false at the end. The key and value
// alias the encoding.
func (r *batchReader) next() (kind base.InternalKeyKind, key, value []byte, ok bool, err error) {
	if len(r.rest) == 0 {
		if r.read != r.count {
			return 0, nil, nil, false, base.CorruptionErrorf("lsm: batch holds %d records, header says %d", r.read, r.count)
		}
		return 0, nil, nil, false, nil
	}
	kind = base.InternalKeyKind(r.rest[0])
	r.rest = r.rest[1:]
	if key, err = r.bytes(); err != nil {
		return 0, nil, nil, false, err
	}
	switch kind {
	case base.InternalKeyKindSet, base.InternalKeyKindRangeDelete:
		if value, err = r.bytes(); err != nil {
			return 0, nil, nil, false, err
		}
	case base.InternalKeyKindDelete:
	default:
		return 0, nil, nil, false, base.CorruptionErrorf("lsm: batch record of unknown kind %d", uint8(kind))
	}
	r.read++
	if r.read > r.count {
		return 0, nil, nil, false, base.CorruptionErrorf("lsm: batch holds more records than its header's %d", r.count)
	}
	return kind, key, value, true, nil
}

func (r *batchReader) bytes() ([]byte, error) {
	n, w := binary.Uvarint(r.rest)
	// A length is written in its shortest form: an overlong one (a last
	// byte of 0 after continuation bytes) is corruption, which keeps the
	// encoding canonical.
	if w <= 0 || (w > 1 && r.rest[w-1] == 0) || n > uint64(len(r.rest)-w) {
		return nil, errBatchCorrupt
	}
	b := r.rest[w : w+int(n)]
	r.rest = r.rest[w+int(n):]
	return b, nil
}

// DecodeBatch parses an encoded batch (a WAL record) into a new Batch,
// validating every record. It is exported for the fuzz tests.
func DecodeBatch(repr []byte) (*Batch, error) {
	r, err := newBatchReader(repr)
	if err != nil {
		return nil, err
	}
	b := &Batch{}
	for {
		kind, key, value, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		b.add(kind, key, value, kind != base.InternalKeyKindDelete)
	}
	b.setSeq(r.seq)
	return b, nil
}
