package sstable

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
)

// Errors returned by the Writer.
var (
	// ErrOutOfOrder: keys were not added in strictly increasing order.
	ErrOutOfOrder = errors.New("sstable: keys added out of order")
	// ErrBadKind: Add got a kind other than SET or DEL.
	ErrBadKind = errors.New("sstable: Add accepts only SET and DEL; use AddRangeDel for range deletions")
	// ErrEmptyRange: a range deletion with start >= end.
	ErrEmptyRange = errors.New("sstable: range deletion with start >= end")
	// ErrWriterClosed: the writer was used after Close.
	ErrWriterClosed = errors.New("sstable: writer is closed")
)

// WriterMetadata describes a finished table.
type WriterMetadata struct {
	Size uint64
	// Smallest and Largest bound every point key and range tombstone. For a
	// tombstone [s,e)#n the upper bound is e#inf,RANGEDEL, an exclusive
	// sentinel that sorts before every real key with user key e.
	Smallest, Largest base.InternalKey
	SmallestSeq       base.SeqNum
	LargestSeq        base.SeqNum
	NumEntries        uint64 // point entries
	NumDeletions      uint64 // point tombstones
	NumRangeDels      uint64
	// CachedBlocks are the data blocks put into WriterOptions.FillCache.
	CachedBlocks uint64
}

// String renders the metadata on one line, in the text notation.
func (m WriterMetadata) String() string {
	return fmt.Sprintf("size=%d bounds=[%s, %s] seqs=[%d, %d] entries=%d deletions=%d range-dels=%d",
		m.Size, m.Smallest, m.Largest, m.SmallestSeq, m.LargestSeq, m.NumEntries, m.NumDeletions, m.NumRangeDels)
}

// Writer builds a table in one pass. Point keys are added with Add in
// increasing order, range tombstones with AddRangeDel in increasing order
// of start#seq; the two streams are independent. Close finishes the file.
// A Writer is not safe for concurrent use.
type Writer struct {
	f    vfs.File
	bw   *bufio.Writer
	opts WriterOptions
	cmp  func(a, b []byte) int
	typ  byte // block type for compressible blocks

	offset uint64
	err    error // first I/O error, sticky
	closed bool
	// filterV1 writes the bloom64 filter of older tables (tests).
	filterV1 bool

	data     blockWriter
	index    blockWriter
	rangeDel blockWriter

	lastKey      []byte // encoded last point key
	hasLast      bool
	pendingIndex bool
	pending      blockHandle
	sepBuf       []byte

	lastRangeDel []byte // encoded last range tombstone start key
	largestEnd   []byte
	hashes       []uint64

	compressBuf []byte
	digest      *xxhash.Digest

	props Properties
	meta  WriterMetadata
}

// NewWriter returns a Writer that writes a table to f. The writer owns f
// and closes it in Close.
func NewWriter(f vfs.File, opts WriterOptions) *Writer {
	o := opts.EnsureDefaults()
	w := &Writer{
		f:      f,
		bw:     bufio.NewWriterSize(f, 64<<10),
		opts:   o,
		cmp:    o.Comparer.Compare,
		typ:    o.Compression.blockType(),
		digest: xxhash.New(),
	}
	w.err = opts.Validate()
	w.data.restartInterval = o.BlockRestartInterval
	w.index.restartInterval = 1
	w.rangeDel.restartInterval = 1
	w.props.Compression = o.Compression.String()
	w.props.ComparerName = o.Comparer.Name
	if o.BloomBitsPerKey > 0 {
		w.props.FilterBitsPerKey = uint64(o.BloomBitsPerKey)
		w.hashes = getHashes()
	}
	return w
}

// hashBufs recycles the key hashes a Writer gathers for its bloom filter
// from one table to the next (a flush's or a compaction's), instead of
// growing a new slice to a few MiB by doubling for each table: that
// zeroing and copying was 6% of a compaction's CPU.
var hashBufs sync.Pool

// maxPooledHashes bounds the slices kept (16 MiB: the keys of a 64 MiB
// memtable of entries of 32 bytes or more).
const maxPooledHashes = 2 << 20

func getHashes() []uint64 {
	if p, ok := hashBufs.Get().(*[]uint64); ok {
		return (*p)[:0]
	}
	return nil
}

func putHashes(h []uint64) {
	if h != nil && cap(h) <= maxPooledHashes {
		h = h[:0]
		hashBufs.Put(&h)
	}
}

func (w *Writer) noteSeq(seq base.SeqNum) {
	if w.meta.NumEntries+w.meta.NumRangeDels == 0 || seq < w.meta.SmallestSeq {
		w.meta.SmallestSeq = seq
	}
	w.meta.LargestSeq = max(w.meta.LargestSeq, seq)
}

// Add appends a point entry. key must be greater than every key added
// before it in InternalCompare order, and its kind SET or DEL.
func (w *Writer) Add(key base.InternalKey, value []byte) error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.err != nil {
		return w.err
	}
	if k := key.Kind(); k != base.InternalKeyKindSet && k != base.InternalKeyKindDelete {
		return fmt.Errorf("%w: %s", ErrBadKind, key)
	}
	if w.hasLast {
		last := base.DecodeInternalKey(w.lastKey)
		if compareInternal(w.cmp, key, last) <= 0 {
			return fmt.Errorf("%w: %s after %s", ErrOutOfOrder, key, last)
		}
		if w.pendingIndex {
			w.addIndexEntry(last, &key)
		}
		if w.cmp(key.UserKey, last.UserKey) != 0 && w.opts.BloomBitsPerKey > 0 {
			w.hashes = append(w.hashes, bloomHash(key.UserKey))
		}
	} else {
		w.meta.Smallest = key.Clone()
		if w.opts.BloomBitsPerKey > 0 {
			w.hashes = append(w.hashes, bloomHash(key.UserKey))
		}
	}
	w.lastKey = key.AppendEncoded(w.lastKey[:0])
	w.hasLast = true
	w.data.add(w.lastKey, value)

	w.noteSeq(key.SeqNum())
	w.meta.NumEntries++
	if key.Kind() == base.InternalKeyKindDelete {
		w.meta.NumDeletions++
	}
	w.props.RawKeySize += uint64(key.Size())
	w.props.RawValueSize += uint64(len(value))

	if w.data.estimatedSize() >= w.opts.BlockSize {
		w.flushDataBlock()
	}
	return w.err
}

// AddRangeDel appends the range tombstone [start, end)#seq. Tombstones
// must come in strictly increasing InternalCompare order of start#seq.
func (w *Writer) AddRangeDel(start, end []byte, seq base.SeqNum) error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.err != nil {
		return w.err
	}
	if w.cmp(start, end) >= 0 {
		return fmt.Errorf("%w: [%s, %s)", ErrEmptyRange, base.FormatUserKey(start), base.FormatUserKey(end))
	}
	key := base.MakeInternalKey(start, seq, base.InternalKeyKindRangeDelete)
	if w.meta.NumRangeDels > 0 {
		last := base.DecodeInternalKey(w.lastRangeDel)
		if compareInternal(w.cmp, key, last) <= 0 {
			return fmt.Errorf("%w: range deletion %s after %s", ErrOutOfOrder, key, last)
		}
		if w.cmp(end, w.largestEnd) > 0 {
			w.largestEnd = append(w.largestEnd[:0], end...)
		}
	} else {
		w.largestEnd = append(w.largestEnd[:0], end...)
	}
	w.lastRangeDel = key.AppendEncoded(w.lastRangeDel[:0])
	w.rangeDel.add(w.lastRangeDel, end)
	w.noteSeq(seq)
	w.meta.NumRangeDels++
	w.props.NumRangeDeletions++
	return nil
}

// EstimatedSize is the size the file would have if closed now, roughly.
func (w *Writer) EstimatedSize() uint64 {
	est := w.offset + uint64(w.data.estimatedSize()) + uint64(w.index.estimatedSize()) +
		uint64(w.rangeDel.estimatedSize())
	if w.opts.BloomBitsPerKey > 0 {
		est += uint64(len(w.hashes)*w.opts.BloomBitsPerKey/8) + 1
	}
	return est + footerLen
}

// addIndexEntry records the pending data block under a key k with
// last <= k < next (or last <= k when next is nil), as short as the
// comparer can make it.
func (w *Writer) addIndexEntry(last base.InternalKey, next *base.InternalKey) {
	var sep []byte
	if next != nil {
		if w.cmp(last.UserKey, next.UserKey) < 0 {
			sep = w.opts.Comparer.Separator(w.sepBuf[:0], last.UserKey, next.UserKey)
		}
	} else {
		sep = w.opts.Comparer.Successor(w.sepBuf[:0], last.UserKey)
	}
	var key base.InternalKey
	if sep != nil && w.cmp(sep, last.UserKey) > 0 && (next == nil || w.cmp(sep, next.UserKey) < 0) {
		key = base.MakeInternalKey(sep, base.SeqNumMax, base.InternalKeyKindMax)
	} else {
		key = last
	}
	w.sepBuf = key.AppendEncoded(w.sepBuf[:0])
	var hbuf [maxBlockHandleLen]byte
	w.index.add(w.sepBuf, appendBlockHandle(hbuf[:0], w.pending))
	w.pendingIndex = false
}

func (w *Writer) flushDataBlock() {
	raw := w.data.finish()
	h := w.writeBlock(raw, w.typ)
	if c := w.opts.FillCache; c != nil && w.err == nil && (w.opts.FillCacheIf == nil || w.opts.FillCacheIf(len(raw))) {
		// The reader caches a block as decoded from the file: these
		// bytes (checkBlock holds for what blockWriter builds).
		b := allocBlock(len(raw))
		copy(b, raw)
		c.insert(w.opts.CacheFileNum, h.Offset, b).Release()
		w.meta.CachedBlocks++
	}
	w.data.reset()
	w.pending = h
	w.pendingIndex = true
	w.props.NumDataBlocks++
	w.props.DataSize += h.Length + blockTrailerLen
}

// writeBlock compresses and writes a block with its trailer and returns
// its handle. Errors are kept in w.err.
func (w *Writer) writeBlock(raw []byte, typ byte) blockHandle {
	out, t := compressBlock(typ, raw, w.compressBuf)
	if t != blockTypeNone {
		w.compressBuf = out[:0]
	}
	var trailer [blockTrailerLen]byte
	trailer[0] = t
	w.digest.Reset()
	w.digest.Write(out)
	w.digest.Write(trailer[:1])
	binary.LittleEndian.PutUint32(trailer[1:], uint32(w.digest.Sum64()))
	h := blockHandle{Offset: w.offset, Length: uint64(len(out))}
	w.write(out)
	w.write(trailer[:])
	return h
}

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.bw.Write(p)
	w.offset += uint64(n)
	if err != nil {
		w.err = err
	}
}

// Close writes the remaining data block and the meta blocks, index and
// footer, then syncs and closes the file. The file is closed even on error.
func (w *Writer) Close() (err error) {
	if w.closed {
		return ErrWriterClosed
	}
	w.closed = true
	defer func() {
		putHashes(w.hashes)
		w.hashes = nil
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if w.err != nil {
		return w.err
	}
	if !w.data.empty() {
		w.flushDataBlock()
	}
	if w.pendingIndex {
		w.addIndexEntry(base.DecodeInternalKey(w.lastKey), nil)
	}

	var meta blockWriter
	meta.restartInterval = 1
	var hbuf [maxBlockHandleLen]byte
	// Metaindex entries must be added in name order: filter, properties,
	// rangedel.
	if w.opts.BloomBitsPerKey > 0 && len(w.hashes) > 0 {
		build, name := buildBloom, metaFilterName
		if w.filterV1 {
			build, name = buildBloomV1, metaFilterNameV1
		}
		h := w.writeBlock(build(w.hashes, w.opts.BloomBitsPerKey), blockTypeNone)
		w.props.FilterSize = h.Length + blockTrailerLen
		meta.add([]byte(name), appendBlockHandle(hbuf[:0], h))
	} else {
		w.props.FilterBitsPerKey = 0
	}
	var rangeDelHandle blockHandle
	if !w.rangeDel.empty() {
		rangeDelHandle = w.writeBlock(w.rangeDel.finish(), w.typ)
	}
	indexHandle := w.writeBlock(w.index.finish(), w.typ)
	w.props.IndexSize = indexHandle.Length + blockTrailerLen

	w.finishMetadata()
	w.props.NumEntries = w.meta.NumEntries
	w.props.NumDeletions = w.meta.NumDeletions
	w.props.SmallestSeq = w.meta.SmallestSeq
	w.props.LargestSeq = w.meta.LargestSeq
	w.props.CreationTime = time.Now().Unix()
	propsHandle := w.writeBlock(w.props.encode(), w.typ)
	meta.add([]byte(metaPropertiesName), appendBlockHandle(hbuf[:0], propsHandle))
	if !w.rangeDel.empty() {
		meta.add([]byte(metaRangeDelName), appendBlockHandle(hbuf[:0], rangeDelHandle))
	}
	metaHandle := w.writeBlock(meta.finish(), blockTypeNone)

	w.write(encodeFooter(metaHandle, indexHandle))
	w.meta.Size = w.offset
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return err
	}
	if err := w.f.Sync(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// finishMetadata computes the table's bounds over points and tombstones.
func (w *Writer) finishMetadata() {
	var smallest, largest base.InternalKey
	has := false
	if w.hasLast {
		smallest = w.meta.Smallest
		largest = base.DecodeInternalKey(w.lastKey).Clone()
		has = true
	}
	if w.meta.NumRangeDels > 0 {
		// The first tombstone added has the smallest start.
		var it blockIter
		if err := it.init(w.cmp, w.rangeDel.buf); err == nil && it.first() {
			if first := it.ikey.Clone(); !has || compareInternal(w.cmp, first, smallest) < 0 {
				smallest = first
			}
		}
		end := base.MakeInternalKey(append([]byte(nil), w.largestEnd...), base.SeqNumMax, base.InternalKeyKindRangeDelete)
		if !has || compareInternal(w.cmp, end, largest) > 0 {
			largest = end
		}
	}
	w.meta.Smallest, w.meta.Largest = smallest, largest
}

// Metadata describes the table; valid after a successful Close.
func (w *Writer) Metadata() WriterMetadata { return w.meta }
