package sstable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/jemallocprof"
)

// Errors returned by the Reader. Those about the file's contents are also
// in the base.ErrCorruption class.
var (
	// ErrBadMagic: the file does not end with the table magic number.
	ErrBadMagic = errors.New("sstable: bad magic number (not a table, or truncated)")
	// ErrTruncated: the file is shorter than a footer.
	ErrTruncated = errors.New("sstable: file too short to be a table")
	// ErrReaderClosed: the reader was used after Close.
	ErrReaderClosed = errors.New("sstable: reader is closed")
	// ErrComparerMismatch: the table was written with another comparer.
	ErrComparerMismatch = errors.New("sstable: comparer mismatch")
)

// Reader reads a table. It is safe for concurrent use by multiple
// goroutines; each iterator it returns is not.
type Reader struct {
	f       vfs.File
	size    uint64
	cmp     func(a, b []byte) int
	cache   *Cache
	fileNum base.FileNum

	index     blockIter // validated prototype over the index block
	filter    bloomFilter
	hasFilter bool
	rangeDel  blockIter // validated prototype; data nil when none
	props     Properties

	getIters sync.Pool // *tableIter reused by Get
	closed   bool
	// metaBytes are the index, filter and range-deletion blocks held for
	// the reader's life, declared to jemallocprof as table_meta.
	metaBytes int
}

// NewReader opens the table in f: it reads and checks the footer,
// metaindex, index, filter, range-deletion and properties blocks. The
// reader owns f from then on, and closes it on error too. A malformed file
// is reported as an error in the base.ErrCorruption class.
func NewReader(f vfs.File, opts ReaderOptions) (*Reader, error) {
	r, err := newReader(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newReader(f vfs.File, opts ReaderOptions) (*Reader, error) {
	cmpr := opts.Comparer
	if cmpr == nil {
		cmpr = base.DefaultComparer
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < footerLen {
		return nil, base.MarkCorruption(fmt.Errorf("%w: %d bytes", ErrTruncated, fi.Size()))
	}
	r := &Reader{f: f, size: uint64(fi.Size()), cmp: cmpr.Compare, cache: opts.Cache, fileNum: opts.FileNum}

	var fbuf [footerLen]byte
	if _, err := f.ReadAt(fbuf[:], int64(r.size-footerLen)); err != nil {
		return nil, fmt.Errorf("sstable: reading footer: %w", err)
	}
	ft, err := decodeFooter(fbuf[:])
	if err != nil {
		return nil, err
	}

	metaBlock, err := r.readBlock(ft.metaindex)
	if err != nil {
		return nil, fmt.Errorf("sstable: metaindex: %w", err)
	}
	meta := map[string]blockHandle{}
	var mi rawBlockIter
	if err := mi.init(metaBlock); err != nil {
		return nil, err
	}
	for ok := mi.first(); ok; ok = mi.next() {
		h, n := decodeBlockHandle(mi.val)
		if n == 0 || n != len(mi.val) {
			return nil, base.MarkCorruption(fmt.Errorf("%w in metaindex entry %q", errBadHandle, mi.key))
		}
		meta[string(mi.key)] = h
	}
	if mi.err != nil {
		return nil, mi.err
	}

	ph, ok := meta[metaPropertiesName]
	if !ok {
		return nil, base.CorruptionErrorf("sstable: no properties block")
	}
	pb, err := r.readBlock(ph)
	if err != nil {
		return nil, fmt.Errorf("sstable: properties: %w", err)
	}
	if r.props, err = decodeProperties(pb); err != nil {
		return nil, err
	}
	if r.props.ComparerName != cmpr.Name {
		return nil, fmt.Errorf("%w: table uses %q, reader %q", ErrComparerMismatch, r.props.ComparerName, cmpr.Name)
	}

	ib, err := r.readBlock(ft.index)
	if err != nil {
		return nil, fmt.Errorf("sstable: index: %w", err)
	}
	r.metaBytes += cap(ib)
	if err := r.index.init(r.cmp, ib); err != nil {
		return nil, err
	}
	if cmpr.Name == base.DefaultComparer.Name {
		r.index.sum = summarize(&r.index)
		r.metaBytes += r.index.sum.size()
	}

	filterName, decode := metaFilterName, decodeBloom
	if _, ok := meta[metaFilterName]; !ok {
		filterName, decode = metaFilterNameV1, decodeBloomV1
	}
	if h, ok := meta[filterName]; ok {
		fb, err := r.readBlock(h)
		if err != nil {
			return nil, fmt.Errorf("sstable: filter: %w", err)
		}
		if r.filter, err = decode(fb); err != nil {
			return nil, err
		}
		r.metaBytes += cap(fb)
		r.hasFilter = true
	}
	if h, ok := meta[metaRangeDelName]; ok {
		rb, err := r.readBlock(h)
		if err != nil {
			return nil, fmt.Errorf("sstable: range deletions: %w", err)
		}
		if err := r.rangeDel.init(r.cmp, rb); err != nil {
			return nil, err
		}
		r.metaBytes += cap(rb)
	}
	r.getIters.New = func() any { return &tableIter{} }
	jemallocprof.Track(jemallocprof.TableMeta, r.metaBytes)
	return r, nil
}

// readBlock reads, checks and decompresses the block at h. The result is
// freshly allocated on the Go heap and owned by the caller (the Reader's
// own index, filter, range-deletion and properties blocks); its capacity
// is the size of the allocation that holds it, what table_meta counts.
func (r *Reader) readBlock(h blockHandle) ([]byte, error) {
	buf, err := r.readRawBlock(h, nil)
	if err != nil {
		return nil, err
	}
	n := h.Length
	b, err := decompressBlock(buf[n], buf[:n:n])
	if err == nil && len(b) > 0 && &b[0] == &buf[0] {
		b = buf[:n] // stored uncompressed: the read buffer is the block
	}
	return b, err
}

// readRawBlock reads the block at h with its trailer into buf (grown as
// needed) and verifies the checksum.
func (r *Reader) readRawBlock(h blockHandle, buf []byte) ([]byte, error) {
	dataEnd := r.size - footerLen
	if h.Offset > dataEnd || h.Length > dataEnd-h.Offset || blockTrailerLen > dataEnd-h.Offset-h.Length {
		return nil, base.CorruptionErrorf("sstable: block handle (%d, %d) outside the file of %d bytes",
			h.Offset, h.Length, r.size)
	}
	total := int(h.Length + blockTrailerLen)
	if cap(buf) < total {
		buf = slices.Grow([]byte(nil), total) // capacity: the size class
	}
	buf = buf[:total]
	if _, err := r.f.ReadAt(buf, int64(h.Offset)); err != nil {
		return nil, fmt.Errorf("sstable: reading block at %d: %w", h.Offset, err)
	}
	n := h.Length
	if got, want := binary.LittleEndian.Uint32(buf[n+1:]), uint32(xxhash.Sum64(buf[:n+1])); got != want {
		return nil, base.CorruptionErrorf("sstable: checksum mismatch in block at %d: stored %08x, computed %08x",
			h.Offset, got, want)
	}
	return buf, nil
}

// rawBufs recycles the buffers data blocks are read into before they are
// decompressed (or copied) into their tracked buffer. Blocks larger than
// maxPooledRawBuf are read into a buffer of their own.
var rawBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledRawBuf = 256 << 10

// readDataBlockTracked reads, checks and decompresses the data block at h
// into a buffer from allocBlock (counted as pinned), and validates its
// structure. The caller owns the buffer.
func (r *Reader) readDataBlockTracked(h blockHandle) ([]byte, error) {
	return r.readDataBlockInto(h, allocBlock)
}

// readDataBlockInto is readDataBlockTracked with the buffer from alloc,
// which returns one from allocBlock of at least n bytes, cut to n.
func (r *Reader) readDataBlockInto(h blockHandle, alloc func(n int) []byte) ([]byte, error) {
	bp := rawBufs.Get().(*[]byte)
	raw, err := r.readRawBlock(h, *bp)
	if cap(raw) <= maxPooledRawBuf {
		*bp = raw[:0]
	}
	defer rawBufs.Put(bp)
	if err != nil {
		return nil, err
	}
	n := h.Length
	b, err := decompress(raw[n], raw[:n:n], alloc)
	if err != nil {
		return nil, err
	}
	// Checked once here; loads from the cache trust it.
	if err := checkBlock(b); err != nil {
		jemallocprof.Free(jemallocprof.IteratorPinned, b)
		return nil, err
	}
	return b, nil
}

// readDataBlockNoFill returns a handle on a data block: the cache's if it
// holds the block (owned false; left the next to be evicted, getLast),
// otherwise on a copy read from the file and not inserted (owned true: the
// handle holds the only reference), counted as pinned until the handle is
// released. The copy goes into
// *spare if it is large enough (a buffer from allocBlock, which the call
// then owns: *spare is set to nil), into a new buffer otherwise.
func (r *Reader) readDataBlockNoFill(h blockHandle, spare *[]byte) (hd Handle, owned bool, err error) {
	if r.cache != nil {
		if hd := r.cache.getLast(r.fileNum, h.Offset); hd.v != nil {
			return hd, false, nil
		}
	}
	b, err := r.readDataBlockInto(h, func(n int) []byte {
		buf := *spare
		*spare = nil
		if cap(buf) >= n {
			return buf[:n]
		}
		if buf != nil {
			jemallocprof.Free(jemallocprof.IteratorPinned, buf)
		}
		return allocBlock(n)
	})
	if err != nil {
		return Handle{}, false, err
	}
	return Handle{newValue(b)}, true, nil
}

// readDataBlock returns a handle on a data block, through the cache if
// there is one. A block read without a cache (or too large for it) is
// counted as pinned until the handle is released.
func (r *Reader) readDataBlock(h blockHandle) (Handle, error) {
	if r.cache != nil {
		if hd := r.cache.get(r.fileNum, h.Offset); hd.v != nil {
			return hd, nil
		}
	}
	b, err := r.readDataBlockTracked(h)
	if err != nil {
		return Handle{}, err
	}
	if r.cache != nil {
		return r.cache.insert(r.fileNum, h.Offset, b), nil
	}
	return Handle{newValue(b)}, nil
}

// MayContain reports whether the table may hold a point entry for userKey,
// according to its bloom filter (true when it has none).
func (r *Reader) MayContain(userKey []byte) bool {
	return !r.hasFilter || r.filter.mayContain(bloomHash(userKey))
}

// Get returns the newest point entry of userKey with a sequence number
// <= seq: a SET (value appended to dst) or a DEL. Range tombstones are not
// consulted; the caller applies them. It checks the bloom filter first.
func (r *Reader) Get(dst []byte, userKey []byte, seq base.SeqNum) (value []byte, kind base.InternalKeyKind, found bool, err error) {
	if r.closed {
		return dst, 0, false, ErrReaderClosed
	}
	if !r.MayContain(userKey) {
		return dst, 0, false, nil
	}
	it := r.getIters.Get().(*tableIter)
	it.init(r, nil, nil)
	if it.seekGEInternal(base.MakeSearchKey(userKey, seq)) && r.cmp(it.data.ikey.UserKey, userKey) == 0 {
		kind = it.data.ikey.Kind()
		value = append(dst, it.data.val...)
		found = true
	} else {
		value = dst
	}
	err = it.Close()
	it.r = nil
	r.getIters.Put(it)
	if err != nil {
		return dst, 0, false, err
	}
	return value, kind, found, nil
}

// NewIter returns an iterator over the point entries with user keys in
// [lower, upper); nil bounds are open. Data blocks are loaded lazily.
func (r *Reader) NewIter(lower, upper []byte) (base.InternalIterator, error) {
	if r.closed {
		return nil, ErrReaderClosed
	}
	it := &tableIter{}
	it.init(r, lower, upper)
	return it, nil
}

// NewCompactionIter is NewIter for a reader that goes through the table
// once, as a compaction does: a data block found in the cache is used (and
// left the next block the cache evicts), but one read from the file is not
// inserted. The blocks of a compaction's inputs are not read again (the
// tables are deleted once it is done), and inserting them would evict
// blocks that reads still want. loads, if not nil, counts the blocks it
// loads, from the cache and from the file.
func (r *Reader) NewCompactionIter(lower, upper []byte, loads *BlockLoads) (base.InternalIterator, error) {
	if r.closed {
		return nil, ErrReaderClosed
	}
	it := &tableIter{}
	it.init(r, lower, upper)
	it.noFill, it.loads = true, loads
	return it, nil
}

// BlockLoads counts the data blocks compaction iterators loaded: Cached
// were in the block cache (CachedBytes, what they cost its budget, as
// BlockCost says), Read were read from the file. It is not safe for
// concurrent use (one compaction's iterators run on its goroutine).
type BlockLoads struct {
	Cached, CachedBytes, Read int64
}

// NewRangeDelIter returns an iterator over the range tombstones, keyed
// start#seq,RANGEDEL with the end key as value, or nil, nil when the table
// has none.
func (r *Reader) NewRangeDelIter() (base.InternalIterator, error) {
	if r.closed {
		return nil, ErrReaderClosed
	}
	if r.rangeDel.data == nil {
		return nil, nil
	}
	it := &blockIterAdapter{}
	it.bi.initFrom(&r.rangeDel)
	return it, nil
}

// Properties returns the table's properties. The caller must not modify them.
func (r *Reader) Properties() *Properties { return &r.props }

// Close closes the file. Iterators must be closed first.
func (r *Reader) Close() error {
	if r.closed {
		return ErrReaderClosed
	}
	r.closed = true
	jemallocprof.Untrack(jemallocprof.TableMeta, r.metaBytes)
	return r.f.Close()
}
