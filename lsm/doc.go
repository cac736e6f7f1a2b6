// Package lsm is Strata's storage engine: a log-structured merge tree with a
// write-ahead log, memtables, sstables in levels and a MANIFEST that records
// which tables form the current version.
//
// # Usage
//
//	db, err := lsm.Open("data", &lsm.Options{WALMode: lsm.WALSyncEverySec})
//	err = db.Set([]byte("k"), []byte("v"), lsm.NoSync)
//	v, err := db.Get([]byte("k"))
//	b := db.NewBatch(); b.Set(k1, v1); b.Delete(k2); err = db.Apply(b, lsm.Sync)
//	it, err := db.NewIter(&lsm.IterOptions{LowerBound: lo, UpperBound: hi})
//	for ok := it.First(); ok; ok = it.Next() { use(it.Key(), it.Value()) }
//	err = it.Close()
//	err = db.Flush()   // make every earlier write durable in a table
//	err = db.Close()
//
// # Write path
//
// A write is a Batch. Apply assigns it consecutive sequence numbers and
// appends it to the WAL under the commit mutex (a memory copy); then, without
// the mutex, a leader writes each group of appended batches with one write
// call and at most one sync: the committer that finds no group in flight,
// or the first waiter of the group formed meanwhile (wal.Waiter). The batch is then inserted into the mutable memtable,
// concurrently with other batches, and published: the visible sequence
// number advances past a batch only when every earlier batch is applied too.
// When the memtable is full it becomes immutable, a new WAL is started and
// the flush loop writes it to an L0 table. The new memtable takes the
// DB's spare arena, that of a memtable already flushed and released or
// one allocated in the background ahead of time, so that a rotation does
// not allocate and zero an arena under the commit mutex (spare_arena.go).
//
// # Read path
//
// A reader pins a read state (the memtables and the current version) and
// reads at the visible sequence number, or at a snapshot's: memtables newest
// first, then L0 tables newest first, then one table per level. Iterators
// merge all sources and show the newest visible version of each key.
//
// # Durability
//
//  1. Under WALSyncAlways (or WriteOptions.Sync) a write is acknowledged only
//     after the WAL holding it is synced; it survives a crash.
//  2. Under WALSyncEverySec and WALSyncNo a write is in the OS (written with
//     write(2)) before it is acknowledged: it survives a process crash, and
//     at most about a second (everysec) of writes is lost on power loss.
//  3. With the WAL disabled, writes live in memtables until a flush; Flush
//     makes everything committed before it durable. Close flushes.
//  4. Recovery replays the WALs not yet flushed; a torn tail ends a WAL
//     cleanly, corruption elsewhere fails Open with an error in the
//     base.ErrCorruption class.
//  5. The first background error (a failed WAL write, flush or MANIFEST
//     update) is sticky: the DB turns read-only and every write returns it
//     (errors.Is(err, ErrReadOnly)); reads keep working.
//  6. A file is deleted only when no version, hence no reader, refers to it.
//     Every file operation goes through internal/vfs.
//
// The on-disk formats owned by this package (batch, MANIFEST, CURRENT) are
// described in FORMAT.md.
package lsm
