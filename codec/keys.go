package codec

import (
	"crypto/rand"
)

// Generic key commands (Redis's db.c and expire.c "keyspace" commands).

// Del implements DEL (and UNLINK): deletes the keys in one batch and returns
// how many existed. A key named twice counts once.
func (d *DB) Del(keys ...[]byte) (int64, error) {
	unlock := d.lockKeys(keys...)
	defer unlock()
	now := d.ks.nowMs()
	var n int64
	b := d.ks.newBatch()
	for _, k := range distinct(keys) {
		s, err := d.load(k, now)
		if err != nil {
			return 0, err
		}
		if s.live {
			n++
		}
		deleteStored(b, d.num, k, &s) // an expired record goes too
	}
	if n == 0 {
		return 0, nil // keep DEL of missing keys free of writes
	}
	return n, b.commit()
}

// Exists implements EXISTS: the number of keys that exist, counting a key
// named twice twice, as Redis does.
func (d *DB) Exists(keys ...[]byte) (int64, error) {
	var n int64
	for _, k := range keys {
		_, ok, err := d.lookup(k)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Touch implements TOUCH: like Exists (Strata keeps no access times).
func (d *DB) Touch(keys ...[]byte) (int64, error) { return d.Exists(keys...) }

// Type implements TYPE: "string", "hash", "list", "set", "zset" or "none".
func (d *DB) Type(key []byte) (string, error) {
	m, ok, err := d.lookup(key)
	if err != nil || !ok {
		return "none", err
	}
	return m.Type.String(), nil
}

// Rename implements RENAME: moves src's value and TTL to dst, replacing dst.
// ErrNoSuchKey if src does not exist; renaming a key onto itself succeeds
// without writing. A complex key keeps its uuid, so its data stays in place.
func (d *DB) Rename(src, dst []byte) error {
	_, err := d.rename(src, dst, false)
	return err
}

// RenameNX implements RENAMENX: like Rename, but only if dst does not exist;
// reports whether it renamed.
func (d *DB) RenameNX(src, dst []byte) (bool, error) {
	return d.rename(src, dst, true)
}

func (d *DB) rename(src, dst []byte, nx bool) (bool, error) {
	unlock := d.lockKeys(src, dst)
	defer unlock()
	now := d.ks.nowMs()
	s, err := d.load(src, now)
	if err != nil {
		return false, err
	}
	if !s.live {
		return false, ErrNoSuchKey
	}
	if equalKeys(src, dst) {
		return !nx, nil
	}
	t, err := d.load(dst, now)
	if err != nil {
		return false, err
	}
	if nx && t.live {
		return false, nil
	}
	return true, d.ks.commit(func(b *writeBatch) {
		removeMeta(b, d.num, src, &s) // the data, under the uuid, moves with the metadata
		putMeta(b, d.num, dst, &t, &s.m)
	})
}

// Copy implements COPY: copies src's value and TTL to dst in database dstDB.
// It returns false if src does not exist or dst exists and replace is
// false. ErrSameObject when src and dst are the same key of the same
// database.
func (d *DB) Copy(src, dst []byte, dstDB int, replace bool) (bool, error) {
	if err := checkDB(dstDB); err != nil {
		return false, err
	}
	if d.num == d.ks.physical(dstDB) && equalKeys(src, dst) {
		return false, ErrSameObject
	}
	return d.transfer(src, dst, d.ks.physical(dstDB), replace, false)
}

// Move implements MOVE: moves key with its TTL to database dstDB unless it
// exists there; reports whether it moved. ErrSameObject if dstDB is this
// database.
func (d *DB) Move(key []byte, dstDB int) (bool, error) {
	if err := checkDB(dstDB); err != nil {
		return false, err
	}
	if d.num == d.ks.physical(dstDB) {
		return false, ErrSameObject
	}
	return d.transfer(key, key, d.ks.physical(dstDB), false, true)
}

// transfer is COPY and MOVE: src in d to dst in dstDB.
func (d *DB) transfer(src, dst []byte, dstDB uint8, replace, move bool) (bool, error) {
	unlock := d.ks.locks.Lock(MetaKey(d.num, src), MetaKey(dstDB, dst))
	defer unlock()
	now := d.ks.nowMs()
	s, err := d.load(src, now)
	if err == nil && !move {
		// COPY reads its source as a read command does (MOVE does not).
		d.countLookup(s.live)
	}
	if err != nil || !s.live {
		return false, err
	}
	t, err := d.ks.load(dstDB, dst, now)
	if err != nil {
		return false, err
	}
	if t.live && !replace {
		return false, nil
	}
	b := d.ks.newBatch()
	m := s.m
	if m.Type.IsComplex() {
		if m, err = d.ks.copyComplexData(b, d.num, &s.m, dstDB); err != nil {
			return false, err
		}
	}
	putMeta(b, dstDB, dst, &t, &m)
	if move {
		deleteStored(b, d.num, src, &s)
	}
	return true, b.commit()
}

// RandomKey implements RANDOMKEY: some live key of the database, or
// found=false if there is none. It seeks to a random position in key order
// and returns the first live key from there, wrapping around; the choice is
// therefore not uniform (a key after a wide gap is likelier), which Redis
// does not promise either.
func (d *DB) RandomKey() (key []byte, found bool, err error) {
	r := MetaRange(d.num)
	it, err := d.ks.store.NewIter(r.Start, r.End)
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	var pos [8]byte
	_, _ = rand.Read(pos[:])
	start := AppendMetaKey(nil, d.num, pos[:1+int(pos[7])%7])
	now := d.ks.nowMs()
	for pass, ok := 0, it.SeekGE(start); pass < 2; pass, ok = pass+1, it.First() {
		for ; ok; ok = it.Next() {
			if pass == 1 && string(it.Key()) >= string(start) {
				break
			}
			m, err := DecodeMetadata(it.Value())
			if err != nil {
				return nil, false, err
			}
			if !m.ExpiredAt(now) {
				return append([]byte{}, it.Key()[metaPrefixLen:]...), true, nil
			}
		}
		if err := it.Error(); err != nil {
			return nil, false, err
		}
	}
	return nil, false, nil
}

// forEachLive calls fn with every live key of the database whose user key
// starts with prefix, in key order, until fn returns false. The key passed is
// valid only during the call.
func (d *DB) forEachLive(prefix []byte, fn func(key []byte, m *Metadata) (bool, error)) error {
	start := AppendMetaKey(nil, d.num, prefix)
	it, err := d.ks.store.NewIter(start, prefixEnd(start))
	if err != nil {
		return err
	}
	now := d.ks.nowMs()
	for ok := it.First(); ok; ok = it.Next() {
		m, err := DecodeMetadata(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		if m.ExpiredAt(now) {
			continue
		}
		more, err := fn(it.Key()[metaPrefixLen:], &m)
		if err != nil || !more {
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

// FlushDB implements FLUSHDB: range deletions over the database's metadata
// and data. It takes every lock stripe, so it is atomic with respect to all
// commands. The database's expiry index entries stay behind as stale hints
// (see DBRanges); FLUSHDB moves the database to a new flush epoch so that
// they no longer count (counts.go).
func (d *DB) FlushDB() error {
	unlock := d.ks.locks.LockAll()
	defer unlock()
	epoch := d.ks.epochOf(d.num) + 1
	return d.ks.commit(func(b *writeBatch) {
		for _, r := range DBRanges(d.num) {
			b.DeleteRange(r.Start, r.End)
		}
		b.Set(epochKey(d.num), epochRecord(epoch))
		b.effects.counts.flush(d.num, epoch)
	})
}

// FlushAll implements FLUSHALL: range deletions over the three key families.
func (ks *Keyspace) FlushAll() error {
	unlock := ks.locks.LockAll()
	defer unlock()
	return ks.commit(func(b *writeBatch) {
		for _, r := range AllRanges() {
			b.DeleteRange(r.Start, r.End)
		}
		b.effects.counts.flushEvery()
	})
}
