package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Key counts: DBSIZE, INFO keyspace, MEMORY STATS and /metrics in O(1).
//
// # What is counted
//
// For each physical database the keyspace keeps, exactly:
//
//	keys      = metadata records without an expiry + counted index entries
//	expires   = counted index entries
//	expireSum = the sum of the expire-at of the counted index entries
//
// where an expiry index entry is counted when its value names its
// database's current flush epoch (below). Since every record with an
// expiry has exactly one index entry (invariant 3 in doc.go), keys is the
// number of metadata records, live or expired and not yet deleted, and
// expires the number of those with a TTL: what Redis's DBSIZE and INFO
// keyspace report, since Redis too counts an expired key until lazy or
// active expiry deletes it.
//
// The definition goes through the index rather than the records for the
// compaction filter's sake: it drops the metadata of expired strings
// without the keyspace knowing, but never an index entry nor a record
// without an expiry. A string it dropped keeps counting until the expiry
// cycle retires its index entry (a stale entry whose epoch is current is
// such a string), so the counts never depend on when compactions run.
//
// # Flush epochs
//
// FLUSHDB deletes its database's records with range deletions but cannot
// delete its index entries, which are ordered by time; they stay behind as
// stale hints. So that those are not counted, each database has a flush
// epoch (c|flush|db, 0 when absent) that FLUSHDB increments, and every
// index entry holds the epoch of its database when it was written (its
// value; empty for epoch 0). An entry of an older epoch was left by a
// FLUSHDB and is not counted. FLUSHALL deletes every index entry and
// keeps the epochs.
//
// # Maintenance
//
// Every write computes the change it makes (countDelta) in its batch from
// the records it replaces, which it read under their locks: putMeta,
// removeMeta, the expiry cycle's retiring of a counted stale entry,
// FLUSHDB and FLUSHALL. The change is applied after the batch commits,
// and only if it does, while the writer still holds its stripes
// (Keyspace.committed); a transaction's changes are applied when EXEC
// commits. SWAPDB changes nothing: counts belong to physical databases.
//
// Exactness rests on three facts. A batch writes each metadata key at
// most once (checked in invariants builds), so every record's previous
// state is the one its writer read under the key's stripe. A write never
// sets an index entry that is already counted, except its record's own
// (putMeta): a dropped string's entry has an expire-at at or before the
// time of the compaction that dropped it, and writes store only
// expire-ats after their own clock (invariant 6), which is the same clock
// and does not step back (if the wall clock did, a write in the very
// millisecond of a dropped string's could count one key too many until the
// next restart). And only the expiry cycle deletes an index entry without
// its record, after reading it again under its key's stripe.
//
// # At open
//
// Open counts once, by reading the whole metadata family and expiry
// index: O(keys). Entries written before flush epochs existed have the
// empty value, epoch 0: stale entries a FLUSHDB left in that format count
// (as dropped strings would) until the expiry cycle retires them.

// int128 is a two's complement 128-bit integer: a sum of expire-ats, which
// are up to 2^63-1 each, cannot overflow it.
type int128 struct{ hi, lo uint64 }

func (a *int128) addInt64(v int64) {
	var c uint64
	a.lo, c = bits.Add64(a.lo, uint64(v), 0)
	a.hi += uint64(v>>63) + c
}

func (a *int128) add(b int128) {
	var c uint64
	a.lo, c = bits.Add64(a.lo, b.lo, 0)
	a.hi, _ = bits.Add64(a.hi, b.hi, c)
}

// quo returns a/n rounded down, for a >= 0 and n > 0, capped at
// math.MaxInt64 (the mean of expire-ats is never above it).
func (a int128) quo(n int64) int64 {
	if int64(a.hi) < 0 || n <= 0 {
		return 0
	}
	if a.hi >= uint64(n) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(a.hi, a.lo, uint64(n))
	return int64(min(q, math.MaxInt64))
}

// dbCounts are the counts of one database, or a change to them.
type dbCounts struct {
	keys, expires int64
	expireSum     int128
}

// record adds sign (+1 or -1) keys with expire-at at (0: none).
func (c *dbCounts) record(sign, at int64) {
	c.keys += sign
	if at != 0 {
		c.expires += sign
		c.expireSum.addInt64(sign * at)
	}
}

func (c *dbCounts) add(o *dbCounts) {
	c.keys += o.keys
	c.expires += o.expires
	c.expireSum.add(o.expireSum)
}

// dbDelta is the change a batch, or a transaction, makes to one
// database's counts.
type dbDelta struct {
	db uint8
	// flushed: the database was emptied first (FLUSHDB), so its counts
	// restart from zero and its epoch becomes epoch.
	flushed bool
	epoch   uint64
	c       dbCounts
}

// countDelta is the change to the counts of every database.
type countDelta struct {
	// flushAll: every database was emptied first (FLUSHALL).
	flushAll bool
	dbs      []dbDelta // at most one per database
}

func (d *countDelta) of(db uint8) *dbDelta {
	for i := range d.dbs {
		if d.dbs[i].db == db {
			return &d.dbs[i]
		}
	}
	d.dbs = append(d.dbs, dbDelta{db: db})
	return &d.dbs[len(d.dbs)-1]
}

func (d *countDelta) find(db uint8) *dbDelta {
	for i := range d.dbs {
		if d.dbs[i].db == db {
			return &d.dbs[i]
		}
	}
	return nil
}

// record adds sign keys with expire-at at to database db.
func (d *countDelta) record(db uint8, sign, at int64) { d.of(db).c.record(sign, at) }

// flush empties database db, giving it epoch.
func (d *countDelta) flush(db uint8, epoch uint64) {
	*d.of(db) = dbDelta{db: db, flushed: true, epoch: epoch}
}

// flushEvery empties every database.
func (d *countDelta) flushEvery() {
	d.flushAll = true
	d.dbs = d.dbs[:0]
}

// merge adds o, which happened after d.
func (d *countDelta) merge(o *countDelta) {
	if o.flushAll {
		d.flushEvery()
	}
	for i := range o.dbs {
		od := &o.dbs[i]
		if od.flushed {
			*d.of(od.db) = *od
		} else {
			d.of(od.db).c.add(&od.c)
		}
	}
}

// applyTo returns c, the counts of database db, changed by d.
func (d *countDelta) applyTo(db uint8, c dbCounts) dbCounts {
	if d.flushAll {
		c = dbCounts{}
	}
	if dd := d.find(db); dd != nil {
		if dd.flushed {
			c = dbCounts{}
		}
		c.add(&dd.c)
	}
	return c
}

func (d *countDelta) reset() {
	d.flushAll = false
	d.dbs = d.dbs[:0]
}

// keyCounts are a keyspace's counts and flush epochs, by physical
// database.
type keyCounts struct {
	mu struct {
		sync.Mutex
		dbs [MaxDBs]dbCounts
	}
	// epochs change only under every stripe (FLUSHDB), and are read under
	// a key's stripe; atomic all the same, for readers without one.
	epochs [MaxDBs]atomic.Uint64
}

// apply applies a committed change.
func (k *keyCounts) apply(d *countDelta) {
	if !d.flushAll && len(d.dbs) == 0 {
		return
	}
	k.mu.Lock()
	if d.flushAll {
		k.mu.dbs = [MaxDBs]dbCounts{}
	}
	for i := range d.dbs {
		dd := &d.dbs[i]
		if dd.flushed {
			k.mu.dbs[dd.db] = dbCounts{}
		}
		k.mu.dbs[dd.db].add(&dd.c)
	}
	k.mu.Unlock()
	for i := range d.dbs {
		if d.dbs[i].flushed {
			k.epochs[d.dbs[i].db].Store(d.dbs[i].epoch)
		}
	}
}

func (k *keyCounts) of(db uint8) dbCounts {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.mu.dbs[db]
}

// countsOf returns the counts of physical database db, as this keyspace
// sees them (a transaction's include its own writes).
func (ks *Keyspace) countsOf(db uint8) dbCounts {
	if ks.txn != nil {
		c := ks.parent.countsOf(db)
		ks.txn.mu.Lock()
		defer ks.txn.mu.Unlock()
		return ks.txn.mu.e.counts.applyTo(db, c)
	}
	return ks.counts.of(db)
}

// epochOf returns the flush epoch of physical database db as this
// keyspace sees it.
func (ks *Keyspace) epochOf(db uint8) uint64 {
	if ks.txn != nil {
		ks.txn.mu.Lock()
		dd := ks.txn.mu.e.counts.find(db)
		flushed, epoch := dd != nil && dd.flushed, uint64(0)
		if flushed {
			epoch = dd.epoch
		}
		ks.txn.mu.Unlock()
		if flushed {
			return epoch
		}
		return ks.parent.epochOf(db)
	}
	return ks.counts.epochs[db].Load()
}

// countedEntry reports whether an expiry index entry of database db with
// value v is counted: it is of the database's current epoch.
func (ks *Keyspace) countedEntry(db uint8, v []byte) bool {
	e, ok := decodeEpoch(v)
	return ok && e == ks.epochOf(db)
}

// DBSize implements DBSIZE: the number of keys, counting those expired
// and not yet deleted, as Redis does. O(1).
func (d *DB) DBSize() int64 { return d.ks.countsOf(d.num).keys }

// KeyStats are INFO keyspace's figures for one database.
type KeyStats struct {
	// Keys and Expires count the keys, and those with a TTL, expired and
	// not yet deleted ones included (as DBSize).
	Keys, Expires int64
	// AvgTTL is the mean remaining time to live in ms of the keys with one,
	// or 0 (never negative, though expired keys count).
	AvgTTL int64
}

// Stats returns the key count, how many keys have a TTL and their average
// remaining TTL. O(1).
func (d *DB) Stats() KeyStats {
	c := d.ks.countsOf(d.num)
	st := KeyStats{Keys: c.keys, Expires: c.expires}
	if c.expires > 0 {
		st.AvgTTL = max(c.expireSum.quo(c.expires)-d.ks.nowMs(), 0)
	}
	return st
}

// loadCounts reads the flush epochs and counts every database's keys,
// reading the whole metadata family and expiry index: O(keys). Nothing
// may write to the keyspace meanwhile.
func (ks *Keyspace) loadCounts() error {
	snap := ks.store.NewSnapshot()
	defer snap.Close()
	scan := func(start, end []byte, fn func(k, v []byte) error) error {
		it, err := snap.NewIter(start, end)
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			if err := fn(it.Key(), it.Value()); err != nil {
				it.Close()
				return err
			}
		}
		err = it.Error()
		if cerr := it.Close(); err == nil {
			err = cerr
		}
		return err
	}
	var epochs [MaxDBs]uint64
	var counts [MaxDBs]dbCounts
	p := epochPrefix()
	err := scan(p, prefixEnd(p), func(k, v []byte) error {
		db, epoch, err := decodeEpochRecord(k, v)
		epochs[db] = epoch
		return err
	})
	if err != nil {
		return err
	}
	// Records without an expiry. A record too short to hold one counts as
	// one without: it is a key all the same (reads report it corrupt).
	err = scan([]byte{FamilyMeta}, []byte{FamilyMeta + 1}, func(k, v []byte) error {
		if len(k) >= metaPrefixLen && (len(v) < metaHeaderLen || binary.BigEndian.Uint64(v[3:11]) == 0) {
			counts[k[1]].keys++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Index entries of their database's epoch. One that does not decode is
	// not counted; the expiry cycle reports it when it reaches it.
	err = scan([]byte{FamilyExpiry}, []byte{FamilyExpiry + 1}, func(k, v []byte) error {
		at, db, _, err := DecodeExpiryKey(k)
		if e, ok := decodeEpoch(v); err == nil && ok && e == epochs[db] {
			counts[db].record(1, at)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ks.counts.mu.Lock()
	ks.counts.mu.dbs = counts
	ks.counts.mu.Unlock()
	for db, e := range epochs {
		ks.counts.epochs[db].Store(e)
	}
	return nil
}
