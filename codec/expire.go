package codec

import (
	"bytes"
	"errors"
	"time"
)

// Expiry. A key's expire-at lives in its metadata; the expiry index entry
// x|expire-at|db|key mirrors it so that the active cycle reads only what is
// due. Reads apply lazy expiry (an expired key is invisible at once); the
// active cycle deletes expired keys in bounded steps.

// ExpireCond is the set of EXPIRE's NX, XX, GT and LT options. The server
// rejects the incompatible combinations (NX with any other, GT with LT).
type ExpireCond uint8

// Expire conditions.
const (
	ExpireNX ExpireCond = 1 << iota // only if the key has no TTL
	ExpireXX                        // only if the key has a TTL
	ExpireGT                        // only if the new expiry is later (no TTL counts as infinite)
	ExpireLT                        // only if the new expiry is earlier (no TTL counts as infinite)
)

// Expire implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with Redis 7
// semantics; at is the absolute expiry in Unix ms (the server converts
// relative times and rejects overflow). It reports whether the TTL was set.
// An expiry at or before now deletes the key and counts as set.
func (d *DB) Expire(key []byte, at int64, cond ExpireCond) (bool, error) {
	unlock := d.lockKeys(key)
	defer unlock()
	now := d.ks.nowMs()
	s, err := d.load(key, now)
	if err != nil || !s.live {
		return false, err
	}
	cur := s.m.ExpireAt // 0: none, i.e. infinite
	switch {
	case cond&ExpireNX != 0 && cur != 0:
		return false, nil
	case cond&ExpireXX != 0 && cur == 0:
		return false, nil
	case cond&ExpireGT != 0 && (cur == 0 || at <= cur):
		return false, nil
	case cond&ExpireLT != 0 && cur != 0 && at >= cur:
		return false, nil
	}
	if at == 0 {
		at = -1 // EXPIREAT 0 is in the past, not "no expiry"
	}
	return true, d.setExpireLocked(key, &s, at, now)
}

// setExpireLocked sets the expiry of the live record s to at (absolute ms;
// 0 removes the TTL; <= now deletes the key). The caller holds the key's lock.
func (d *DB) setExpireLocked(key []byte, s *stored, at int64, now int64) error {
	return d.ks.commit(func(b *writeBatch) {
		if at != 0 && at <= now {
			deleteStored(b, d.num, key, s)
			return
		}
		m := s.m
		m.ExpireAt = at
		putMeta(b, d.num, key, s, &m)
	})
}

// Persist implements PERSIST: removes the TTL; reports whether there was one.
func (d *DB) Persist(key []byte) (bool, error) {
	unlock := d.lockKeys(key)
	defer unlock()
	now := d.ks.nowMs()
	s, err := d.load(key, now)
	if err != nil || !s.live || s.m.ExpireAt == 0 {
		return false, err
	}
	return true, d.setExpireLocked(key, &s, 0, now)
}

// Special TTL replies.
const (
	TTLMissing  = -2 // the key does not exist
	TTLNoExpiry = -1 // the key exists without an expiry
)

// ttl is Redis's ttlGenericCommand: -2, -1, or the remaining (or absolute)
// time in ms or in seconds rounded to the nearest.
func (d *DB) ttl(key []byte, ms, abs bool) (int64, error) {
	now := d.ks.nowMs()
	s, err := d.load(key, now)
	if err != nil {
		return 0, err
	}
	d.countLookup(s.live)
	if !s.live {
		return TTLMissing, nil
	}
	if s.m.ExpireAt == 0 {
		return TTLNoExpiry, nil
	}
	t := s.m.ExpireAt
	if !abs {
		t -= now
	}
	t = max(t, 0)
	if !ms {
		t = (t + 500) / 1000
	}
	return t, nil
}

// TTL implements TTL: remaining seconds (rounded), TTLMissing or TTLNoExpiry.
func (d *DB) TTL(key []byte) (int64, error) { return d.ttl(key, false, false) }

// PTTL implements PTTL: remaining milliseconds, TTLMissing or TTLNoExpiry.
func (d *DB) PTTL(key []byte) (int64, error) { return d.ttl(key, true, false) }

// ExpireTime implements EXPIRETIME: the absolute expiry in Unix seconds
// (rounded as Redis does), TTLMissing or TTLNoExpiry.
func (d *DB) ExpireTime(key []byte) (int64, error) { return d.ttl(key, false, true) }

// PExpireTime implements PEXPIRETIME: the absolute expiry in Unix ms,
// TTLMissing or TTLNoExpiry.
func (d *DB) PExpireTime(key []byte) (int64, error) { return d.ttl(key, true, true) }

// ExpireCycle is one step of active expiry: it reads the expiry index up
// to now, in time order, from where earlier steps got to, and for each
// entry (at most maxKeys) locks the key and rechecks its metadata. A key whose metadata still has
// that expire-at is deleted with its index entry (and data); an entry that
// no longer matches its metadata is a stale hint and is deleted alone. It
// returns the number of keys deleted; a caller that gets maxKeys entries'
// worth of work done may call again at once.
func (ks *Keyspace) ExpireCycle(now time.Time, maxKeys int) (expired int, err error) {
	expired, _, err = ks.ExpireRound(now, maxKeys)
	return expired, err
}

// ExpireRound is ExpireCycle that also reports how many index entries it
// examined (stale ones included): fewer than maxKeys means none is left due.
//
// A round reads the index from the expiry cursor (expire_cursor.go), not
// from its start, so it does not step again over the entries earlier
// rounds deleted. Rounds run one at a time.
func (ks *Keyspace) ExpireRound(now time.Time, maxKeys int) (expired, examined int, err error) {
	nowMs := now.UnixMilli()
	if nowMs <= 0 || maxKeys <= 0 {
		return 0, 0, nil
	}
	c := ks.expiry
	c.rounds.Lock()
	defer c.rounds.Unlock()
	r := ExpiryDueRange(nowMs)
	start := c.start(r.End)
	var done []byte // every due entry in [start, done) was handled
	defer func() { c.finish(start, done) }()
	lower := maxKey(r.Start, start)
	if bytes.Compare(lower, r.End) >= 0 {
		return 0, 0, nil // nothing due from the cursor on
	}
	it, err := ks.store.NewIter(lower, r.End)
	if err != nil {
		return 0, 0, err
	}
	var due [][]byte
	for ok := it.First(); ok && len(due) < maxKeys; ok = it.Next() {
		due = append(due, append([]byte(nil), it.Key()...))
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	examined = len(due)
	for len(due) > 0 {
		chunk := due[:min(len(due), expireBatch)]
		due = due[len(chunk):]
		n, err := ks.expireChunk(chunk, nowMs)
		expired += n
		if err != nil {
			return expired, examined, err
		}
		done = keySuccessor(chunk[len(chunk)-1])
	}
	if examined < maxKeys {
		done = r.End // every due entry from the cursor on was handled
	}
	return expired, examined, nil
}

// expireBatch is how many due index entries one batch handles: the keys'
// stripes are locked together and their deletions committed at once, so a
// wave of expiring keys costs a commit per expireBatch keys, not per key.
const expireBatch = 64

// expireChunk deletes the keys of due index entries (or, for a stale entry,
// just the entry) in one batch.
func (ks *Keyspace) expireChunk(xks [][]byte, nowMs int64) (int, error) {
	type entry struct {
		at  int64
		db  uint8
		key []byte
	}
	es := make([]entry, 0, len(xks))
	mks := make([][]byte, 0, len(xks))
	for _, xk := range xks {
		at, db, key, err := DecodeExpiryKey(xk)
		if err != nil {
			return 0, err
		}
		es = append(es, entry{at, db, key})
		mks = append(mks, MetaKey(db, key))
	}
	unlock := ks.locks.Lock(mks...)
	defer unlock()
	b := ks.newBatch()
	n := 0
	deleted := map[string]bool{}
	for i, e := range es {
		s, err := ks.load(e.db, e.key, nowMs)
		if err != nil {
			return 0, err
		}
		if s.exists && s.m.ExpireAt == e.at && s.m.ExpiredAt(nowMs) && !deleted[string(mks[i])] {
			deleted[string(mks[i])] = true
			deleteStored(b, e.db, e.key, &s) // deletes this index entry too
			n++
		} else if err := ks.retireStale(b, xks[i], e.db, e.at); err != nil {
			return 0, err
		}
	}
	return n, b.commit()
}

// retireStale adds to b the deletion of the stale expiry index entry xk
// (of database db, for expire-at at): its key changed or is gone. The
// caller holds the key's stripe. An entry of the current flush epoch is
// counted (counts.go), so its retiring counts; it is read again here
// because it may have gone since the round read it.
func (ks *Keyspace) retireStale(b *writeBatch, xk []byte, db uint8, at int64) error {
	v, err := ks.store.Get(xk)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ks.countedEntry(db, v) {
		b.effects.counts.record(db, -1, at)
	}
	b.Delete(xk)
	return nil
}

// PendingExpiries counts the expiry index entries due at now that the
// expiry cycle has not processed yet, stopping at limit (the backlog is
// read from the index, from the expiry cursor on, so the count costs one
// step per entry).
func (ks *Keyspace) PendingExpiries(now time.Time, limit int) (int, error) {
	r := ExpiryDueRange(now.UnixMilli())
	lower := maxKey(r.Start, ks.expiry.position())
	if bytes.Compare(lower, r.End) >= 0 {
		return 0, nil
	}
	it, err := ks.store.NewIter(lower, r.End)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok && n < limit; ok = it.Next() {
		n++
	}
	return n, it.Error()
}
