package lsm

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/memtable"
	"github.com/strata-db/strata/sstable"
	"github.com/strata-db/strata/wal"
)

// Errors returned by the DB.
var (
	// ErrNotFound is returned by Get for a key that does not exist.
	ErrNotFound = base.ErrNotFound
	// ErrClosed is returned by operations on a closed DB.
	ErrClosed = errors.New("lsm: closed")
	// ErrLocked is returned by Open when another process holds the DB.
	ErrLocked = errors.New("lsm: database is locked by another process")
	// ErrReadOnly wraps the sticky background error that turned the DB
	// read-only; errors.Is(err, ErrReadOnly) holds for every write refused
	// because of it.
	ErrReadOnly = errors.New("lsm: read-only after a background error")
)

// DB is an open database. All methods are safe for concurrent use.
type DB struct {
	dirname    string
	opts       *Options
	fs         vfs.FS
	dirFile    vfs.File
	lock       io.Closer
	vs         *versionSet
	tableCache *tableCache
	blockCache *sstable.Cache

	// memAcct counts the live memtable arenas (memtables in the queue and
	// zombies still read); memTableSize is the arena size of the next
	// memtable (SetMemTableSize).
	memAcct      memAccounting
	memTableSize atomic.Int64
	// spare is the arena kept for the next memtable (spare_arena.go).
	spare spareArena

	// visibleSeq is the largest published sequence number: reads see every
	// write at or below it and none above.
	visibleSeq atomic.Uint64

	// commit serialises sequence number assignment, WAL appends and memtable
	// rotation. Lock order: commit.mu, then mu, then pub.mu.
	commit struct {
		mu sync.Mutex
		// nextSeq is the sequence number of the next write.
		nextSeq base.SeqNum
		// log is the current WAL writer (nil with the WAL disabled).
		log    *wal.Writer
		logNum base.FileNum
	}
	// curLog is commit.log for WaitLogged and Metrics, which must not take
	// commit.mu (kept after Close: WaitLogged then finds it closed). A
	// rotation installs a new WAL only once the old one's Close has
	// written every record, so waiting on the current WAL covers the
	// earlier ones. It is stored under walStats.mu, with the closed
	// writer's counters.
	curLog atomic.Pointer[wal.Writer]

	// walStats lets Metrics read the WAL counters without the commit
	// mutex, which a stalled writer holds while it waits.
	walStats struct {
		mu sync.Mutex
		// closed collects the metrics of WAL writers already closed.
		closed wal.WriterMetrics
	}

	// pub publishes applied batches in sequence order.
	pub struct {
		mu    sync.Mutex
		cond  sync.Cond
		queue []*Batch
		// buf is the largest backing array queue has had.
		buf []*Batch
	}

	// rs is the current read state. Readers load it without a lock
	// (loadReadState); mu serialises the writers that replace it.
	rs struct {
		mu  sync.Mutex
		val atomic.Pointer[readState]
	}

	mu struct {
		sync.Mutex
		// cond is signalled when a flush finishes or fails, and on close.
		cond sync.Cond
		mem  struct {
			// queue holds the memtables, oldest first; the last one is
			// mutable, the others wait for flush.
			queue   []*memTable
			mutable *memTable
		}
		closed bool
		// bgErr is the first background error; once set the DB refuses
		// writes. It is never cleared.
		bgErr     error
		snapshots snapshotList
		flush     struct {
			running bool
			count   int64
			bytes   int64
			// forTombstones counts memtables rotated early because
			// their range tombstones covered enough tables.
			forTombstones int64
		}
		stalls      int64
		stallWaitNs int64
		slowdowns   int64
		// pending caches pendingCompactionBytes of version v, which every
		// commit's stall check needs (writeStallLocked).
		pending struct {
			v     *version
			bytes uint64
		}
		compact compactionState
	}

	flushCh  chan struct{}
	closing  chan struct{}
	bgWG     sync.WaitGroup
	obsolete chan struct{}
	// obsoleteMu serialises deleteObsoleteFiles, so that a caller running
	// it knows no deletion (and no eviction of its blocks) is in flight
	// once it returns.
	obsoleteMu sync.Mutex
	// tombCheckRunning is set while a tombstone-pressure check runs.
	tombCheckRunning atomic.Bool
	// tombChecks counts completed tombstone-pressure checks.
	tombChecks atomic.Int64
	// tombIdleArmed is set while a delayed check waits (tomb_flush.go).
	tombIdleArmed atomic.Bool
	// prefaultRunning is set while a memtable prefault runs; prefaultOff
	// once the kernel refused one (prefault.go).
	prefaultRunning atomic.Bool
	prefaultOff     atomic.Bool
}

// Get returns a copy of the latest value of key, or ErrNotFound.
func (d *DB) Get(key []byte) ([]byte, error) {
	return d.get(nil, key, base.SeqNum(d.visibleSeq.Load()))
}

// GetAppend is Get appending the value to dst, for callers that reuse a
// buffer.
func (d *DB) GetAppend(dst, key []byte) ([]byte, error) {
	return d.get(dst, key, base.SeqNum(d.visibleSeq.Load()))
}

// Prefetch starts loading, without waiting for it, the memory that a Get
// of key reads first in each memtable (its filter block and its first
// index slot: memtable.MemTable.Prefetch), so that those cache misses
// overlap the caller's work until the Get. It reads and returns nothing.
//
// It takes no reference on the read state, which saves two atomic
// operations on a line every reader shares. It reads only what never
// changes once published (the read state's hints, the MemTables' fields),
// and a prefetch instruction never faults: a memtable released meanwhile,
// its arena recycled or freed, costs a useless load at worst.
func (d *DB) Prefetch(key []byte) {
	rs := d.rs.val.Load()
	if rs == nil { // closed
		return
	}
	h := memtable.KeyHash(key)
	for _, m := range rs.hints {
		m.Prefetch(h)
	}
}

func (d *DB) get(dst, key []byte, seq base.SeqNum) ([]byte, error) {
	rs := d.loadReadState()
	defer rs.unref()
	// The newest range tombstone over key: any entry older than it is
	// deleted.
	rangeSeq, err := d.maxCoveringSeq(rs, key, seq)
	if err != nil {
		return nil, err
	}
	h := memtable.KeyHash(key)
	for _, m := range rs.memtables {
		if v, kind, ok := m.GetHashed(key, h, seq); ok {
			if kind == base.InternalKeyKindDelete || (rangeSeq > 0 && memEntrySeq(m, key, seq) < rangeSeq) {
				return nil, ErrNotFound
			}
			return append(dst, v...), nil
		}
	}
	v := rs.version
	for i := len(v.levels[0]) - 1; i >= 0; i-- {
		f := v.levels[0][i]
		if !f.overlaps(key, key) {
			continue
		}
		if val, done, err := d.getFromTable(dst, f, key, seq, rangeSeq); done {
			return val, err
		}
	}
	for level := 1; level < numLevels; level++ {
		files := v.levels[level]
		i := searchLevel(files, key)
		if i >= len(files) || !files[i].overlaps(key, key) {
			continue
		}
		if val, done, err := d.getFromTable(dst, files[i], key, seq, rangeSeq); done {
			return val, err
		}
	}
	return nil, ErrNotFound
}

// searchLevel returns the index of the first file whose largest user key is
// >= key.
func searchLevel(files []*FileMetadata, key []byte) int {
	lo, hi := 0, len(files)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if files[mid].endsBefore(key) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// getFromTable looks key up in one table; done reports whether the lookup
// is answered (found, deleted or failed).
func (d *DB) getFromTable(dst []byte, f *FileMetadata, key []byte, seq, rangeSeq base.SeqNum) (val []byte, done bool, err error) {
	val, kind, found, err := d.tableCache.get(dst, f, key, seq)
	if err != nil {
		return nil, true, fmt.Errorf("lsm: reading table %s: %w", f.FileNum, err)
	}
	if !found {
		return nil, false, nil
	}
	if kind == base.InternalKeyKindDelete {
		return nil, true, ErrNotFound
	}
	if rangeSeq > 0 {
		// The entry's own sequence number decides.
		it, err := d.tableCache.newIter(f, key, keyUpperBound(key))
		if err != nil {
			return nil, true, err
		}
		if es := newestEntrySeq(it, key, seq); es < rangeSeq {
			return nil, true, ErrNotFound
		}
	}
	return val, true, nil
}

// Set writes value under key.
func (d *DB) Set(key, value []byte, o *WriteOptions) error {
	return d.applyOne(base.InternalKeyKindSet, key, value, o)
}

// Delete deletes key.
func (d *DB) Delete(key []byte, o *WriteOptions) error {
	return d.applyOne(base.InternalKeyKindDelete, key, nil, o)
}

// DeleteRange deletes every key in [start, end). A range with start >= end
// deletes nothing.
func (d *DB) DeleteRange(start, end []byte, o *WriteOptions) error {
	return d.applyOne(base.InternalKeyKindRangeDelete, start, end, o)
}

// applyOne commits a single write through a pooled batch.
func (d *DB) applyOne(kind base.InternalKeyKind, key, value []byte, o *WriteOptions) error {
	b := d.NewBatch()
	b.add(kind, key, value, kind != base.InternalKeyKindDelete)
	err := d.Apply(b, o)
	d.RecycleBatch(b) // not a large value's buffer
	return err
}

// BackgroundError returns the sticky error that turned the DB read-only,
// or nil.
func (d *DB) BackgroundError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.bgErr
}

// setBackgroundErrorLocked records the first background error. Requires
// d.mu.
func (d *DB) setBackgroundErrorLocked(err error) {
	if d.mu.bgErr == nil {
		d.mu.bgErr = fmt.Errorf("%w: %w", ErrReadOnly, err)
		d.opts.Logger.Error("background error; the database is now read-only", "err", err)
	}
	d.mu.cond.Broadcast()
}

func (d *DB) setBackgroundError(err error) {
	d.mu.Lock()
	d.setBackgroundErrorLocked(err)
	d.mu.Unlock()
}
