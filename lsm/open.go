package lsm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/memtable"
	"github.com/strata-db/strata/sstable"
	"github.com/strata-db/strata/wal"
)

// Open opens the DB in dirname, creating it if needed, and recovers every
// write that reached the WAL.
//
// Recovery: lock the directory, read CURRENT and replay the MANIFEST it
// names, replay the WALs not yet flushed (a torn tail ends a WAL cleanly;
// corruption anywhere else fails the open), write the recovered data to L0
// tables, start a new MANIFEST and a new WAL, and delete the files no
// version needs.
func Open(dirname string, opts *Options) (db *DB, err error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fs := opts.FS
	if err := fs.MkdirAll(dirname, 0o755); err != nil {
		return nil, fmt.Errorf("lsm: creating %s: %w", dirname, err)
	}
	lock, err := fs.Lock(fs.PathJoin(dirname, base.MakeFilename(base.FileTypeLock, 0)))
	if err != nil {
		if errors.Is(err, vfs.ErrLocked) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dirname)
		}
		return nil, fmt.Errorf("lsm: locking %s: %w", dirname, err)
	}
	d := &DB{
		dirname:  dirname,
		opts:     opts,
		fs:       fs,
		lock:     lock,
		flushCh:  make(chan struct{}, 1),
		closing:  make(chan struct{}),
		obsolete: make(chan struct{}, 1),
	}
	d.memTableSize.Store(int64(opts.MemTableSize))
	d.spare.setSize(opts.MemTableSize)
	d.pub.cond.L = &d.pub.mu
	d.mu.cond.L = &d.mu.Mutex
	d.mu.snapshots.init()
	defer func() {
		if err != nil {
			// Stop the writers a failed open started (their goroutines and
			// files would leak otherwise).
			if d.commit.log != nil {
				_ = d.commit.log.Close()
			}
			if d.vs != nil {
				_ = d.vs.close()
			}
			d.releaseMemory()
			d.closeFiles()
		}
	}()
	if d.dirFile, err = fs.OpenDir(dirname); err != nil {
		return nil, fmt.Errorf("lsm: opening directory %s: %w", dirname, err)
	}
	if opts.BlockCacheSize > 0 {
		d.blockCache = sstable.NewCache(opts.BlockCacheSize)
	}
	d.tableCache = newTableCache(d, opts.MaxOpenFiles)
	d.vs = &versionSet{fs: fs, dir: dirname, dirFile: d.dirFile, mu: &d.mu.Mutex, prepare: d.prepareVersion}
	d.vs.onObsolete = d.signalObsolete

	_, statErr := fs.Stat(fs.PathJoin(dirname, base.MakeFilename(base.FileTypeCurrent, 0)))
	switch {
	case statErr == nil:
		if opts.ErrorIfExists {
			return nil, fmt.Errorf("lsm: database %s already exists", dirname)
		}
		if err := d.vs.load(); err != nil {
			return nil, err
		}
	case errors.Is(statErr, os.ErrNotExist):
		if opts.ErrorIfNotExists {
			return nil, fmt.Errorf("lsm: database %s does not exist", dirname)
		}
		if err := d.vs.create(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("lsm: %w", statErr)
	}

	names, err := fs.List(dirname)
	if err != nil {
		return nil, fmt.Errorf("lsm: listing %s: %w", dirname, err)
	}
	var logs []base.FileNum
	for _, name := range names {
		typ, num, ok := base.ParseFilename(name)
		if !ok {
			continue
		}
		d.vs.markUsed(num)
		if typ == base.FileTypeLog && num >= d.vs.logNum {
			logs = append(logs, num)
		}
	}
	slices.Sort(logs)

	maxSeq := d.vs.lastSeq
	recovered := &versionEdit{}
	for _, num := range logs {
		if maxSeq, err = d.replayWAL(num, maxSeq, recovered); err != nil {
			return nil, err
		}
	}

	// The new WAL (or, with the WAL disabled, a number that retires every
	// older WAL).
	logNum := d.vs.allocFileNum()
	if opts.WALMode != WALDisabled {
		f, err := fs.Create(fs.PathJoin(dirname, base.MakeFilename(base.FileTypeLog, logNum)))
		if err != nil {
			return nil, fmt.Errorf("lsm: creating WAL: %w", err)
		}
		// Make the WAL's name durable before any write to it is
		// acknowledged: the MANIFEST edit below syncs only the MANIFEST when
		// it appends to an existing one (a new DB).
		if err := d.dirFile.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("lsm: syncing directory: %w", err)
		}
		d.commit.log = wal.NewWriter(f, logNum, d.walWriterOptions())
		d.setWALForStats(d.commit.log, wal.WriterMetrics{})
	}
	d.commit.logNum = logNum
	recovered.logNumber = logNum
	recovered.lastSeqNum = maxSeq
	d.mu.mem.mutable = d.newMemTable(opts.MemTableSize, logNum)
	d.mu.mem.queue = []*memTable{d.mu.mem.mutable}
	// A fresh MANIFEST (logAndApply starts one when none is open) naming the
	// recovered tables and the new WAL; syncing it also syncs the directory.
	if err := d.vs.logAndApply(recovered, func(*version) { d.updateReadStateLocked() }); err != nil {
		return nil, err
	}
	d.commit.nextSeq = maxSeq + 1
	d.visibleSeq.Store(uint64(maxSeq))

	d.deleteObsoleteOnOpen(names)
	d.bgWG.Add(2)
	go d.flushLoop()
	go d.obsoleteLoop()
	d.mu.Lock()
	d.maybeScheduleCompactionLocked()
	d.mu.Unlock()
	return d, nil
}

// replayWAL applies the batches of one WAL to memtables, writing each
// memtable that fills to an L0 table recorded in edit. It returns the
// largest sequence number seen.
func (d *DB) replayWAL(num base.FileNum, maxSeq base.SeqNum, edit *versionEdit) (base.SeqNum, error) {
	name := base.MakeFilename(base.FileTypeLog, num)
	f, err := d.fs.Open(d.fs.PathJoin(d.dirname, name))
	if err != nil {
		return 0, fmt.Errorf("lsm: opening %s: %w", name, err)
	}
	defer f.Close()
	// m is the memtable being filled, allocated when the first batch comes
	// and released as soon as it is written out (or on error).
	var m *memTable
	defer func() {
		if m != nil {
			m.unref()
		}
	}()
	flush := func() error {
		if m == nil || m.Empty() {
			return nil
		}
		meta, err := d.writeL0Table(m, nil, base.SeqNumMax) // no reader yet
		if err != nil {
			return err
		}
		if meta != nil {
			edit.newFiles = append(edit.newFiles, newFileEntry{level: 0, meta: meta})
		}
		m.unref()
		m = nil
		return nil
	}
	r := wal.NewReader(f, num)
	b := &Batch{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("lsm: replaying %s: %w", name, err)
		}
		br, err := newBatchReader(rec)
		if err != nil {
			return 0, fmt.Errorf("lsm: replaying %s at offset %d: %w", name, r.Offset(), err)
		}
		b.data = append(b.data[:0], rec...)
		b.count = br.count
		b.seq = br.seq
		b.memSize = 0
		for {
			_, key, value, ok, err := br.next()
			if err != nil {
				return 0, fmt.Errorf("lsm: replaying %s at offset %d: %w", name, r.Offset(), err)
			}
			if !ok {
				break
			}
			b.memSize += memSizeOf(key, value)
		}
		if b.count == 0 {
			continue
		}
		if m == nil || !m.Reserve(b.memSize) {
			if err := flush(); err != nil {
				return 0, err
			}
			if m != nil {
				// Empty, yet too small for this batch.
				m.unref()
			}
			// A batch larger than a memtable gets one of its own.
			m = d.newMemTable(max(int(d.memTableSize.Load()), b.memSize+memtable.MinArenaSize), num)
			if !m.Reserve(b.memSize) {
				return 0, fmt.Errorf("lsm: replaying %s: batch of %d bytes does not fit a memtable", name, b.memSize)
			}
		}
		if err := m.apply(b); err != nil {
			return 0, fmt.Errorf("lsm: replaying %s: %w", name, err)
		}
		m.Applied()
		maxSeq = max(maxSeq, b.seq+base.SeqNum(b.count)-1)
	}
	return maxSeq, flush()
}

// Close flushes what the WAL mode requires, stops background work and
// releases the directory. With the WAL disabled, Close flushes the
// memtables so that a clean shutdown loses nothing. Close returns the
// sticky background error if there is one, even one met by background work
// after the last write.
func (d *DB) Close() error {
	var firstErr error
	d.mu.Lock()
	if d.mu.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	walOff := d.opts.WALMode == WALDisabled
	bgErr := d.mu.bgErr
	d.mu.Unlock()
	if walOff && bgErr == nil {
		firstErr = d.Flush()
	}

	d.commit.mu.Lock()
	d.mu.Lock()
	d.mu.closed = true
	d.mu.cond.Broadcast()
	d.mu.Unlock()
	close(d.closing)
	d.commit.mu.Unlock()
	d.bgWG.Wait()
	if firstErr == nil {
		firstErr = d.BackgroundError()
	}

	if d.commit.log != nil {
		if err := d.commit.log.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		d.commit.log = nil
	}
	if err := d.vs.close(); err != nil && firstErr == nil {
		firstErr = err
	}
	d.releaseMemory()
	d.deleteObsoleteFiles()
	if err := d.closeFiles(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// releaseMemory drops the DB's own references to memtables and empties
// the block cache, once no writer can start: the current read state, and
// the queue's reference to each memtable after its last writer has
// finished inserting; then it frees the spare arena. Arenas and blocks
// still read by open iterators are freed when those close (no spare is
// kept any more); the cache's budget drops to zero, so blocks such an
// iterator loads later are never cached.
func (d *DB) releaseMemory() {
	d.rs.mu.Lock()
	if old := d.rs.val.Swap(nil); old != nil {
		old.unref()
	}
	d.rs.mu.Unlock()
	d.mu.Lock()
	q := d.mu.mem.queue
	d.mu.mem.queue, d.mu.mem.mutable = nil, nil
	d.mu.Unlock()
	for _, m := range q {
		m.writers.Wait()
		m.unref()
	}
	d.spare.release()
	if d.blockCache != nil {
		d.blockCache.SetCapacity(0)
	}
}

func (d *DB) closeFiles() error {
	var firstErr error
	if d.tableCache != nil {
		if err := d.tableCache.close(); err != nil {
			firstErr = err
		}
	}
	if d.dirFile != nil {
		if err := d.dirFile.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		d.dirFile = nil
	}
	if d.lock != nil {
		if err := d.lock.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		d.lock = nil
	}
	return firstErr
}

func memSizeOf(key, value []byte) int {
	return memtable.MaxEntrySize(len(key)+base.TrailerLen, len(value))
}
