package codec

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
type writeBatch struct {
	Batch
	ks      *Keyspace
	track   bool
	touched [][]byte // metadata keys, or a one- or two-byte m-range start
}

func (ks *Keyspace) newBatch() *writeBatch {
	return &writeBatch{
		Batch: ks.store.NewBatch(),
		ks:    ks,
		track: ks.notifier != nil && ks.notifier.Active(),
	}
}

func (w *writeBatch) record(k []byte) {
	if w.track && len(k) > 0 && k[0] == FamilyMeta {
		w.touched = append(w.touched, k)
	}
}

func (w *writeBatch) Set(k, v []byte) {
	w.Batch.Set(k, v)
	w.record(k)
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

// commit commits the batch and then notifies.
func (w *writeBatch) commit() error {
	if err := w.ks.store.Commit(w.Batch); err != nil {
		return err
	}
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
