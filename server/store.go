package server

import (
	"errors"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// engineStore adapts the engine to codec.Store: the keyspace's only view of
// the storage engine.
type engineStore struct{ db *lsm.DB }

var _ codec.Store = engineStore{}

// PrefetchKey is codec's read hint (codec.DB.Prefetch).
func (s engineStore) PrefetchKey(key []byte) { s.db.Prefetch(key) }

func (s engineStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key)
	if errors.Is(err, lsm.ErrNotFound) {
		return nil, codec.ErrNotFound
	}
	return v, err
}

// GetAppend is Get appending the value to dst (codec's Buffers).
func (s engineStore) GetAppend(dst, key []byte) ([]byte, error) {
	v, err := s.db.GetAppend(dst, key)
	if errors.Is(err, lsm.ErrNotFound) {
		return nil, codec.ErrNotFound
	}
	return v, err
}

// GetMany reads several keys at one moment (codec.DB.GetEach).
func (s engineStore) GetMany(dst []byte, keys, vals [][]byte, found []bool, maxValue int) ([]byte, error) {
	return s.db.GetMany(dst, keys, vals, found, maxValue)
}

func (s engineStore) NewIter(lower, upper []byte) (codec.Iterator, error) {
	it, err := s.db.NewIter(&lsm.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s engineStore) NewSnapshot() codec.Snapshot { return engineSnapshot{s.db.NewSnapshot()} }

// engineSnapshot adapts an engine snapshot to codec.Snapshot.
type engineSnapshot struct{ snap *lsm.Snapshot }

func (s engineSnapshot) Get(key []byte) ([]byte, error) {
	v, err := s.snap.Get(key)
	if errors.Is(err, lsm.ErrNotFound) {
		return nil, codec.ErrNotFound
	}
	return v, err
}

func (s engineSnapshot) NewIter(lower, upper []byte) (codec.Iterator, error) {
	it, err := s.snap.NewIter(&lsm.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s engineSnapshot) Close() error { return s.snap.Close() }

func (s engineStore) NewBatch() codec.Batch { return s.db.NewBatch() }

// RecycleBatch implements codec.BatchRecycler.
func (s engineStore) RecycleBatch(b codec.Batch) { s.db.RecycleBatch(b.(*lsm.Batch)) }

// MergeBatch implements codec.BatchMerger (codec.RunStore).
func (s engineStore) MergeBatch(dst, src codec.Batch) { dst.(*lsm.Batch).Append(src.(*lsm.Batch)) }

// Commit applies b without waiting for its WAL write (lsm.NoWait): a
// client waits once for all of its commits before it sends the replies
// (client.flush), so that a pipeline's writes share one WAL write and a
// key's stripe is not held across the write. Under appendfsync always the
// engine ignores NoWait and syncs before the commit is visible.
func (s engineStore) Commit(b codec.Batch) error {
	return s.db.Apply(b.(*lsm.Batch), lsm.NoWait)
}

// globMatch matches with Redis's glob rules.
func globMatch(pattern, s string) bool { return codec.Match([]byte(pattern), []byte(s)) }
