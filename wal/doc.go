// Package wal implements Strata's write-ahead log: a sequence of records,
// each an opaque byte string (the engine logs one encoded batch per
// record), framed into checksummed chunks in 32 KiB blocks.
//
// # Usage
//
// Writing, with group commit:
//
//	w := wal.NewWriter(f, logNum, wal.WriterOptions{SyncPolicy: wal.SyncAlways})
//	var wt wal.Waiter
//	_ = w.Append(batchRepr, true, &wt) // no I/O; an error is also returned by Wait
//	// ... release the caller's own locks ...
//	err := wt.Wait() // the record is written and synced, or err says why not
//	...
//	err = w.Close() // writes and syncs what is pending, closes f
//
// w.Write(p, sync) does both steps for a caller with nothing to do between.
//
// Reading, at recovery:
//
//	r := wal.NewReader(f, logNum)
//	for {
//		rec, err := r.Next()
//		if err == io.EOF {
//			break // clean end or torn tail
//		}
//		if err != nil {
//			return err // corruption (errors.Is(err, base.ErrCorruption)) or I/O
//		}
//		apply(rec) // rec is valid until the next call
//	}
//
// # Wire format
//
// The log is a sequence of 32 KiB blocks; the last one may be short. A
// block holds chunks; a chunk never crosses a block boundary. Where fewer
// than 11 bytes remain in a block, no header fits and the tail is zeros.
//
//	chunk := checksum uint32 | length uint16 | type uint8 | log uint32 | payload [length]byte
//
// All integers are little-endian. checksum is the low 32 bits of xxhash64
// over length, type, log and payload. type is FULL (1), FIRST (2), MIDDLE
// (3) or LAST (4); 0 is never written, so zeroed space never parses as a
// chunk. log holds the low 32 bits of the log's file number, so bytes left
// in a recycled file by another log are garbage to the reader. A record is
// one FULL chunk or FIRST, MIDDLE*, LAST. See FORMAT.md for the details.
//
// # Concurrency and group commit
//
// A Writer is safe for concurrent use. Append frames the record into an
// in-memory buffer and returns; it never does I/O. Writing is done in
// groups by a leader: at most one goroutine at a time takes everything
// appended since the previous group, writes it with one write call and, if
// any record of the group asked for it (or the policy is SyncAlways), syncs
// the file once, then releases the group's waiters. The leader is an
// appender, in its Waiter's Wait: the first one to find no group in flight,
// then the first waiter of the group that formed while the previous one
// was written, promoted by its leader. A lone appender thus writes its own
// record without waking anyone; concurrent appenders share a write and a
// sync. Before taking its group a leader yields the processor once, so that
// appenders already runnable join it, unless recent yields brought nobody
// (then it yields only once in a while). The flusher goroutine leads only
// what no appender waits for (records appended without a Waiter, a timed
// sync after the last group) and starts the timed syncs of SyncEverySec.
// AppendDeferred leaves its record pending with no one leading: the next
// group takes it, led by an Append with a Waiter, a WaitWritten (which
// waits for everything appended before it) or the flusher, at 64 KiB
// pending or at its tick. Appenders fill one buffer
// while the leader writes the other. A Reader is not safe for concurrent
// use.
//
// # Zeros ahead of the log
//
// With WriterOptions.ZeroAhead (the engine sets it under SyncAlways), a
// leader that finds the zeros past the log's end reaching less than
// ZeroAheadLead (1 MiB) past it writes the next 64 KiB of zeros with
// WriteAt, after its group's waiters are released. The log's writes then
// land on blocks that are allocated, in a file whose size does not change,
// so a sync flushes data without a journal commit for the file's metadata:
// on ext4 in this project's measurements, 310-390 µs per sync against
// 490-790 µs when appending. The zeros are type 0, never a chunk: the
// Reader takes them for the log's end (invariant 5). The file stays up to
// ZeroAheadLead longer than the log.
//
// # Invariants
//
//  1. Records are logged in the order of the Append calls.
//  2. A waiter is released only after its record has been written and, if
//     the record asked for a sync or the policy is SyncAlways, after a sync
//     that covers it.
//  3. At most one write call and one sync call per group, and at most one
//     group in flight.
//  4. The first write or sync error is sticky: every later Append, Sync and
//     Close returns it. A log that failed is never written to again.
//  5. The Reader returns a prefix of the records logged: it ends with
//     io.EOF at a torn tail (truncation, zeros or garbage with no valid
//     chunk of this log after it) and reports damage followed by a valid
//     chunk of this log as corruption, naming the offset. It never returns
//     a partial or damaged record.
//
// # Caveats
//
// The Reader cannot tell a torn tail from damage when the damaged region is
// followed only by bytes that are not valid chunks: both end in io.EOF. A
// crash that persisted a later page of an unsynced write but not an earlier
// one leaves valid chunks after damage and is reported as corruption, as is
// an unreadable region in the middle of the log.
package wal
