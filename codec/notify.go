package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Notifier learns which keys each committed write modified, so the server
// can implement WATCH and wake clients blocked on a list or sorted set.
//
// Calls come right after the commit, while the writer still holds the
// modified keys' lock stripes, so a notification is never later than a
// following command on the same key. Implementations must be quick and must
// not call back into the Keyspace.
type Notifier interface {
	// Active reports whether anyone listens; when false, writes skip the
	// bookkeeping. It is called once per write and must be cheap.
	Active() bool
	// Modified reports that key in physical database db changed (written,
	// deleted, expired). A nil key means that any key of db may have changed
	// (FLUSHDB, SWAPDB); db AllDBs means every database (FLUSHALL).
	Modified(db int, key []byte)
}

// AllDBs is the db value of a Notifier call that concerns every database.
const AllDBs = -1

// writeBatch is the batch every keyspace write goes through. It forwards to
// the store's batch and, when the notifier is active, records the metadata
// keys it writes or deletes: every change to a key touches its metadata
// key, or is marked with touch when it leaves the metadata as it was.
//
// Write batches are recycled: commit returns the batch to its keyspace's
// pool, with the store's batch too when that can be emptied for reuse
// (resettable), so that steady-state writes allocate no batch. A batch
// must not be used after commit; one dropped without commit is merely
// garbage.
type writeBatch struct {
	Batch
	ks      *Keyspace
	track   bool
	touched [][]byte // metadata keys, or a one- or two-byte m-range start
	// enc holds the encodings of the metadata values the batch sets
	// (encodeMeta); the store's batch copies them no later than Commit.
	enc []byte
	// effects are applied to the keyspace once the batch commits.
	effects effects
	// written holds, in invariants builds, the metadata keys the batch
	// writes: each at most once, or the counts would be wrong (counts.go).
	// A slice searched linearly: the check allocates nothing in steady
	// state, so allocation tests hold in invariants builds too.
	written [][]byte
}

// resettable is a store batch that can be emptied and used again after
// its commit (lsm.Batch).
type resettable interface{ Reset() }

func (ks *Keyspace) newBatch() *writeBatch {
	var w *writeBatch
	if ks.txn != nil {
		w, ks.spare = ks.spare, nil
	} else {
		w, _ = ks.batches.Get().(*writeBatch)
	}
	if w == nil {
		w = &writeBatch{ks: ks}
	}
	if w.Batch == nil {
		w.Batch = ks.store.NewBatch()
	}
	w.track = ks.notifier != nil && ks.notifier.Active()
	return w
}

// sizer is a store batch that reports its encoded size (lsm.Batch).
type sizer interface{ Len() int }

// reuse returns b emptied for reuse, or nil when it cannot be emptied or
// has grown past limit bytes (a store batch kept between writes would
// hold on to a large write's buffer).
func reuse(b Batch, limit int) Batch {
	r, ok := b.(resettable)
	if s, sized := b.(sizer); !ok || (sized && s.Len() > limit) {
		return nil
	}
	r.Reset()
	return b
}

// release empties w and returns it to the pool. Buffers grown past
// maxKeptBuffer by a large write are dropped rather than pooled: the pool
// keeps them past a garbage collection, outside any memory accounting.
func (w *writeBatch) release() {
	// A run keyspace lives as long as its connection (Keyspace.Renew): it
	// keeps only small buffers, as its RunStore does.
	limit := maxKeptBuffer
	if _, run := w.ks.store.(*RunStore); run {
		limit = maxKeptRun
	}
	w.Batch = reuse(w.Batch, limit)
	clear(w.touched)
	w.touched = w.touched[:0]
	if cap(w.enc) > limit {
		w.enc = nil
	}
	w.enc = w.enc[:0]
	w.effects.reset()
	clear(w.written)
	w.written = w.written[:0]
	if w.ks.txn != nil {
		w.ks.spare = w
		return
	}
	w.ks.batches.Put(w)
}

// encodeMeta returns the encoding of m in w's own buffer, valid until w is
// committed.
func (w *writeBatch) encodeMeta(m *Metadata) []byte {
	start := w.reserve(m.EncodedLen())
	w.enc = m.Encode(w.enc)
	return w.enc[start:len(w.enc):len(w.enc)]
}

// expiryValue returns the value of an expiry index entry of database db
// (its flush epoch, counts.go) in w's own buffer, valid until w is
// committed.
func (w *writeBatch) expiryValue(db uint8) []byte {
	e := w.ks.epochOf(db)
	if e == 0 {
		return nil
	}
	start := w.reserve(binary.MaxVarintLen64)
	w.enc = appendEpoch(w.enc, e)
	return w.enc[start:len(w.enc):len(w.enc)]
}

// reserve makes room for n more bytes in w.enc and returns where they
// start.
func (w *writeBatch) reserve(n int) int {
	if len(w.enc)+n > cap(w.enc) {
		// Earlier encodings keep the old array; start a new one.
		w.enc = make([]byte, 0, max(2*cap(w.enc), n, 256))
	}
	return len(w.enc)
}

func (w *writeBatch) record(k []byte) {
	if invariants && len(k) > 0 && k[0] == FamilyMeta {
		for _, o := range w.written {
			if bytes.Equal(o, k) {
				panic(fmt.Sprintf("codec: a batch writes metadata key %q twice", k))
			}
		}
		w.written = append(w.written, k)
	}
	if w.track && len(k) > 0 && k[0] == FamilyMeta {
		w.touched = append(w.touched, k)
	}
}

func (w *writeBatch) Set(k, v []byte) {
	w.Batch.Set(k, v)
	w.record(k)
	w.effects.setKey(k)
}

func (w *writeBatch) Delete(k []byte) {
	w.Batch.Delete(k)
	w.record(k)
}

// DeleteRange records a range over metadata keys by its start: the whole
// family ("m", FLUSHALL) or one database ("m|db", FLUSHDB).
func (w *writeBatch) DeleteRange(start, end []byte) {
	w.Batch.DeleteRange(start, end)
	if len(start) <= metaPrefixLen {
		w.record(start)
	}
}

// touch records a change to userKey that leaves its metadata as it was
// (a hash field overwritten with another value).
func (w *writeBatch) touch(db uint8, userKey []byte) {
	if w.track {
		w.touched = append(w.touched, MetaKey(db, userKey))
	}
}

// commit commits the batch, applies its effects, notifies, and recycles
// the batch.
func (w *writeBatch) commit() error {
	defer w.release()
	if err := w.ks.store.Commit(w.Batch); err != nil {
		return err
	}
	w.ks.committed(&w.effects)
	if w.track {
		for _, k := range w.touched {
			switch len(k) {
			case 1:
				w.ks.notifier.Modified(AllDBs, nil)
			case metaPrefixLen:
				w.ks.notifier.Modified(int(k[1]), nil)
			default:
				w.ks.notifier.Modified(int(k[1]), k[metaPrefixLen:])
			}
		}
	}
	return nil
}
