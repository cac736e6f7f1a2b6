package codec

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Keyspace. The zero value is usable: every zero field
// means its default.
type Options struct {
	// Now is the clock used for expiry decisions. Default: time.Now.
	Now func() time.Time
	// MaxStringLen bounds the length APPEND and SETRANGE may grow a string
	// to (Redis's proto-max-bulk-len). Default: DefaultMaxStringLen.
	MaxStringLen int64
	// LockStripes is the number of per-key lock stripes. Default:
	// DefaultLockStripes.
	LockStripes int
	// ScanCursors is the number of SCAN positions remembered at once.
	// Default: DefaultScanCursors.
	ScanCursors int
	// Notifier, if set, learns every modified key (WATCH, blocked clients).
	Notifier Notifier
}

// Defaults.
const (
	DefaultMaxStringLen = 512 << 20
	DefaultScanCursors  = 4096
)

// Keyspace is the Redis keyspace on a Store: all databases, their locks, the
// clock and the SCAN cursor table. It is safe for concurrent use.
type Keyspace struct {
	store        Store
	locks        *Locks
	now          func() time.Time
	maxStringLen int64
	cursors      *cursorTable
	notifier     Notifier
	uuids        *uuidAllocator
	// root is the store uuid reservations are committed to: store itself,
	// or the store under a transaction's buffer.
	root Store
	// parent is the keyspace a transaction keyspace was made from; SWAPDB
	// in a transaction updates its database map too.
	parent *Keyspace
	// dbMap maps logical database numbers (SELECT, SWAPDB) to the physical
	// numbers in the keys. Replaced whole by SwapDB.
	dbMap atomic.Pointer[[MaxDBs]uint8]
	// batches recycles committed write batches (notify.go). A transaction
	// keyspace, whose commands run one after the other, keeps its batch in
	// spare instead: a pool made per transaction would start empty on
	// every processor its goroutine runs on.
	batches sync.Pool
	spare   *writeBatch
	// expiry is where the active expiry cycle has got to
	// (expire_cursor.go); a transaction keyspace shares its parent's.
	expiry *expiryCursor
	// txn, in a transaction keyspace only, gathers the effects of its
	// committed batches until CommitTransaction (effects.go).
	txn *txnEffects
	// counts are the key counts and flush epochs (counts.go); nil in a
	// transaction keyspace, which reads its parent's.
	counts *keyCounts
}

// New returns a Keyspace over store, which must not hold a keyspace yet:
// its key counts start at zero. Open reads an existing one. opts may be
// nil.
func New(store Store, opts *Options) *Keyspace {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxStringLen <= 0 {
		o.MaxStringLen = DefaultMaxStringLen
	}
	if o.ScanCursors <= 0 {
		o.ScanCursors = DefaultScanCursors
	}
	ks := &Keyspace{
		store:        store,
		locks:        NewLocks(o.LockStripes),
		now:          o.Now,
		maxStringLen: o.MaxStringLen,
		cursors:      newCursorTable(o.ScanCursors),
		notifier:     o.Notifier,
		uuids:        &uuidAllocator{},
		root:         store,
		expiry:       &expiryCursor{},
		counts:       &keyCounts{},
	}
	var identity [MaxDBs]uint8
	for i := range identity {
		identity[i] = uint8(i)
	}
	ks.dbMap.Store(&identity)
	return ks
}

// Open returns a Keyspace over store, which may hold one already: it reads
// the database map SWAPDB persisted and the flush epochs, and counts the
// keys of every database, reading the whole metadata family and expiry
// index (O(keys), once; counts.go). Call it before serving. opts may be
// nil.
func Open(store Store, opts *Options) (*Keyspace, error) {
	ks := New(store, opts)
	if err := ks.LoadDBMap(); err != nil {
		return nil, err
	}
	if err := ks.loadCounts(); err != nil {
		return nil, err
	}
	return ks, nil
}

// Store returns the underlying store.
func (ks *Keyspace) Store() Store { return ks.store }

// Locks returns the keyspace's per-key locks. The semantics functions take
// them internally and stripes are not reentrant: never hold a stripe while
// calling a semantics function.
func (ks *Keyspace) Locks() *Locks { return ks.locks }

func (ks *Keyspace) nowMs() int64 { return ks.now().UnixMilli() }

// DB is one numbered database of a Keyspace. It is a small value handle;
// create it with Keyspace.DB whenever convenient.
type DB struct {
	ks  *Keyspace
	num uint8
	buf *Buffers // nil: Get and Set allocate their key and value
}

// DB returns database n. It panics if n is outside [0, MaxDBs): the server
// validates database numbers before calling.
func (ks *Keyspace) DB(n int) *DB {
	if n < 0 || n >= MaxDBs {
		panic("codec: database index out of range")
	}
	return &DB{ks: ks, num: ks.physical(n)}
}

// Buffers is scratch space that a caller running one command at a time (a
// client connection) lends to Get and Set so that they allocate nothing in
// steady state: the metadata key they build and the value Get reads.
//
// The slices Get and Set return (the value, SetResult.Old) then alias the
// buffers and are valid only until the next call on a DB with the same
// Buffers. A Buffers is not safe for concurrent use.
type Buffers struct {
	key, value []byte
	// keys, vals and found are the scratch of reading several metadata
	// keys together (keyBufs).
	keys  [][]byte
	vals  [][]byte
	found []bool
	// prefetch holds the key Prefetch or PrefetchElement hints, apart
	// from key: the command running may still use key when the next one
	// is hinted. It stays small: hinted keys are at most maxPrefetchKey.
	prefetch []byte
	// The complex key the last update through these buffers opened, for
	// PrefetchElement: its database, user key and uuid (objOK: live).
	objDB   uint8
	objOK   bool
	objKey  []byte
	objUUID uint64
	// num holds the decimal text INCR writes.
	num []byte
	// nowMs, when not 0, is the time Get judges expiry by (SetNow).
	nowMs int64
	// hits and misses count the key lookups of read commands run with
	// these buffers (TakeLookups).
	hits, misses int64
}

// TakeLookups returns the key lookups counted since the last call, as
// Redis counts them for INFO's keyspace_hits and keyspace_misses, and
// resets them. A read command's lookup of a key that exists (of any type)
// is a hit, of a missing or expired key a miss: every key of EXISTS, TYPE,
// TTL, MGET, the collection reads and the sources of the set and sorted
// set operations, and the old value of GETSET, GETDEL, GETEX and SET's
// GET. Writes' own reads of their keys are not counted, and neither is
// Get's (the server counts GET itself, with its coalesced runs, through
// CountLookup).
func (b *Buffers) TakeLookups() (hits, misses int64) {
	hits, misses = b.hits, b.misses
	b.hits, b.misses = 0, 0
	return hits, misses
}

// SetNow makes Get judge expiry at ms (Unix milliseconds, from the
// keyspace's clock) instead of reading the clock, until the next SetNow; 0
// restores the clock. A caller that reads the time for each command anyway
// shares it, as Redis judges a command's keys at the instant it started.
// Writes keep reading the clock: they may wait for their key's lock.
func (b *Buffers) SetNow(ms int64) { b.nowMs = ms }

// maxKeptBuffer bounds the value buffer a Buffers keeps between calls: a
// connection that once read a large value does not hold its size forever.
const maxKeptBuffer = 64 << 10

// DBWith is DB with buf lent to its Get and Set (see Buffers).
func (ks *Keyspace) DBWith(n int, buf *Buffers) *DB {
	d := ks.DB(n)
	d.buf = buf
	return d
}

// nowMs is the time a read judges expiry by: the Buffers' time when set,
// else the clock.
func (d *DB) nowMs() int64 {
	if d.buf != nil && d.buf.nowMs != 0 {
		return d.buf.nowMs
	}
	return d.ks.nowMs()
}

// physical maps a logical database number to the number in its keys.
func (ks *Keyspace) physical(n int) uint8 { return ks.dbMap.Load()[n] }

// Num returns the database's physical number (the one in its keys).
func (d *DB) Num() int { return int(d.num) }

// stored is a metadata record as read from the store, live or not.
type stored struct {
	key    []byte // encoded metadata key
	m      Metadata
	exists bool // a record is stored (it may be expired)
	live   bool // exists and not expired
}

// load reads the metadata of userKey in db db. It applies lazy expiry: an
// expired record is reported with exists=true, live=false.
func (ks *Keyspace) load(db uint8, userKey []byte, nowMs int64) (stored, error) {
	mk := MetaKey(db, userKey)
	v, err := ks.store.Get(mk)
	return decodeStored(mk, v, err, nowMs)
}

// decodeStored builds the stored record of metadata key mk from the result
// of reading it.
func decodeStored(mk, v []byte, err error, nowMs int64) (stored, error) {
	s := stored{key: mk}
	if errors.Is(err, ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	m, err := DecodeMetadata(v)
	if err != nil {
		return s, err
	}
	s.m, s.exists, s.live = m, true, !m.ExpiredAt(nowMs)
	return s, nil
}

func (d *DB) load(userKey []byte, nowMs int64) (stored, error) {
	return d.ks.load(d.num, userKey, nowMs)
}

// appendGetter is a Reader that can append a value to a caller's buffer
// rather than return a fresh copy (the engine's adapter).
type appendGetter interface {
	GetAppend(dst, key []byte) ([]byte, error)
}

// prefetcher is the optional hint of a Store (or Reader) that a read of
// key will follow soon (the engine's adapter: lsm.DB.Prefetch).
type prefetcher interface {
	PrefetchKey(key []byte)
}

// Prefetch hints the store that userKey's metadata will be read soon, so
// that the memory that read needs first starts loading now and overlaps
// the caller's other work: a connection prefetches the key of the next
// command of a pipeline while it finishes the current one. It reads
// nothing and changes nothing; a store without the hint ignores it. It
// needs d's Buffers (DBWith), so that it allocates nothing, and skips keys
// longer than maxPrefetchKey, whose hashing costs more than a miss.
func (d *DB) Prefetch(userKey []byte) {
	p, ok := d.ks.store.(prefetcher)
	if !ok || d.buf == nil || len(userKey) > maxPrefetchKey {
		return
	}
	d.buf.prefetch = AppendMetaKey(d.buf.prefetch[:0], d.num, userKey)
	p.PrefetchKey(d.buf.prefetch)
}

// remember records the complex key an update opened, for PrefetchElement:
// live, with uuid, or not (a hint then has nothing to go by).
func (b *Buffers) remember(db uint8, key []byte, live bool, uuid uint64) {
	b.objOK = live && len(key) <= maxPrefetchKey
	if b.objOK {
		b.objDB, b.objUUID = db, uuid
		b.objKey = append(b.objKey[:0], key...)
	}
}

// PrefetchElement hints the store that the data key of field in key, a
// complex key the last update through d's Buffers opened, will be read
// soon (a pipeline's next SADD or HSET to the same key). The uuid is the
// one that update saw: if the key was replaced since, the hint is wasted,
// never wrong. It reports whether it gave the hint.
func (d *DB) PrefetchElement(key, field []byte) bool {
	p, ok := d.ks.store.(prefetcher)
	if !ok || d.buf == nil || !d.buf.objOK || d.buf.objDB != d.num || len(field) > maxPrefetchKey || !bytes.Equal(d.buf.objKey, key) {
		return false
	}
	d.buf.prefetch = appendDataKey(d.buf.prefetch[:0], d.num, d.buf.objUUID, subElement, field)
	p.PrefetchKey(d.buf.prefetch)
	return true
}

// maxPrefetchKey is the longest user key Prefetch hints.
const maxPrefetchKey = 256

// prefetch passes Prefetch's hint on to r, if r takes it.
func prefetch(r Reader, key []byte) {
	if p, ok := r.(prefetcher); ok {
		p.PrefetchKey(key)
	}
}

// getAppend reads key from r, appending its value to dst: through r's
// GetAppend when it has one, else with Get (whose fresh copy it returns
// as is when dst is nil).
func getAppend(r Reader, dst, key []byte) ([]byte, error) {
	if ag, ok := r.(appendGetter); ok {
		return ag.GetAppend(dst, key)
	}
	v, err := r.Get(key)
	if err != nil || dst == nil {
		return v, err
	}
	return append(dst, v...), nil
}

// metaKey returns the metadata key of userKey, in d's buffers if it has
// some.
func (d *DB) metaKey(userKey []byte) []byte {
	if d.buf == nil {
		return MetaKey(d.num, userKey)
	}
	if cap(d.buf.key) > maxKeptBuffer {
		d.buf.key = nil
	}
	d.buf.key = AppendMetaKey(d.buf.key[:0], d.num, userKey)
	return d.buf.key
}

// loadBuffered is load of the metadata key mk (from metaKey), reading the
// value into d's buffers when it has some and the store can. Only the
// one-key commands that use nothing read before their last load call it.
func (d *DB) loadBuffered(mk []byte, nowMs int64) (stored, error) {
	if d.buf == nil {
		s, _, err := d.loadAppend(nil, mk, nowMs)
		return s, err
	}
	s, v, err := d.loadAppend(d.buf.value[:0], mk, nowMs)
	if cap(v) <= maxKeptBuffer {
		d.buf.value = v
	}
	return s, err
}

// loadAppend loads the metadata key mk, appending its value to buf where
// the store can (the record's Value then aliases the result); it returns
// the buffer to use next, buf itself when nothing was appended.
func (d *DB) loadAppend(buf, mk []byte, nowMs int64) (stored, []byte, error) {
	start := len(buf)
	v, err := getAppend(d.ks.store, buf, mk)
	if err != nil {
		s, err := decodeStored(mk, nil, err, nowMs)
		return s, buf, err
	}
	s, err := decodeStored(mk, v[start:len(v):len(v)], nil, nowMs)
	return s, v, err
}

// Metadata returns the metadata of a live key (OBJECT, MEMORY USAGE and
// tests read it).
func (d *DB) Metadata(key []byte) (Metadata, bool, error) { return d.lookup(key) }

// Stored reports whether key has a stored record, live or expired, and
// whether that record is expired.
func (d *DB) Stored(key []byte) (stored, expired bool, err error) {
	s, err := d.load(key, d.ks.nowMs())
	return s.exists, s.exists && !s.live, err
}

// StoredExpired reports whether key has a stored record that is expired
// (lazily invisible, not yet deleted). WATCH uses it: a watched key that
// expires before EXEC aborts the transaction.
func (d *DB) StoredExpired(key []byte) (bool, error) {
	s, err := d.load(key, d.ks.nowMs())
	return s.exists && !s.live, err
}

// lookup returns the live metadata of userKey, if any (the read path: a
// counted lookup).
func (d *DB) lookup(userKey []byte) (Metadata, bool, error) {
	s, err := d.load(userKey, d.ks.nowMs())
	if err == nil {
		d.countLookup(s.live)
	}
	return s.m, s.live, err
}

// CountLookup counts a read command's lookup of a key, a hit when the key
// exists (TakeLookups).
func (b *Buffers) CountLookup(live bool) {
	if live {
		b.hits++
	} else {
		b.misses++
	}
}

// countLookup counts a lookup in d's Buffers; without Buffers nothing is
// counted.
func (d *DB) countLookup(live bool) {
	if d.buf != nil {
		d.buf.CountLookup(live)
	}
}

// countOpened counts the lookup of a key opened for reading as a type:
// err is what opening it returned, ErrWrongType a hit (the key exists),
// another error no lookup.
func (d *DB) countOpened(live bool, err error) {
	if err == nil || errors.Is(err, ErrWrongType) {
		d.countLookup(live || err != nil)
	}
}

// lookupString returns the live string value of userKey; ErrWrongType if the
// key holds another type.
func (d *DB) lookupString(userKey []byte) ([]byte, bool, error) {
	m, ok, err := d.lookup(userKey)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	return m.Value, true, nil
}

// newUUID allocates a key-incarnation uuid (uuid.go). Reservations go to
// the root store, never into a transaction's buffer.
func (ks *Keyspace) newUUID() (uint64, error) { return ks.uuids.newUUID(ks.root) }

// InTransaction returns a keyspace over txn (a TxnStore over ks.Store()
// buffering a transaction's writes) that shares this one's clock,
// databases, cursors, uuids and notifier, and takes no locks: the caller
// holds the stripes of ks.Locks() of every key the transaction touches (a
// key batch its key's, EXEC its commands' keys', or every stripe when
// those are not known: server.execLock) for as long as it uses the result,
// and ends with its CommitTransaction, or drops it to discard the
// transaction.
func (ks *Keyspace) InTransaction(txn *TxnStore) *Keyspace { return ks.inTransaction(txn, txn) }

// InRun is InTransaction over a RunStore (over ks.Store()), for a run of
// writes to distinct keys that never reads what it wrote (see RunStore):
// the caller holds the stripe of every key the run writes and ends with
// CommitTransaction, which commits the run as one batch (and empties rs,
// even when the commit fails). Renew readies the result for another run.
func (ks *Keyspace) InRun(rs *RunStore) *Keyspace { return ks.inTransaction(rs, rs) }

func (ks *Keyspace) inTransaction(store Store, p pendingStore) *Keyspace {
	t := &Keyspace{
		store:        store,
		root:         ks.root,
		locks:        &Locks{held: true},
		now:          ks.now,
		maxStringLen: ks.maxStringLen,
		cursors:      ks.cursors,
		notifier:     ks.notifier,
		uuids:        ks.uuids,
		parent:       ks,
		expiry:       ks.expiry,
		txn:          &txnEffects{store: p},
	}
	t.dbMap.Store(ks.dbMap.Load())
	return t
}

// removeMeta adds to b the deletion of a stored record's metadata and its
// expiry index entry, but not its data.
func removeMeta(b *writeBatch, db uint8, userKey []byte, s *stored) {
	b.Delete(s.key)
	if s.m.ExpireAt != 0 {
		b.Delete(ExpiryKey(s.m.ExpireAt, db, userKey))
	}
	b.effects.counts.record(db, -1, s.m.ExpireAt)
}

// deleteStored adds to b the complete deletion of a stored record: metadata,
// expiry index entry and, for a complex type, its data range. It is the one
// way a key is deleted (DEL, overwrite by another type, expiry).
func deleteStored(b *writeBatch, db uint8, userKey []byte, s *stored) {
	if !s.exists {
		return
	}
	removeMeta(b, db, userKey, s)
	if s.m.Type.IsComplex() {
		dropComplexData(b, db, &s.m)
	}
}

// putMeta adds to b the write of m as the new metadata of userKey, replacing
// the stored record old (which may be absent or expired): the old expiry
// index entry is deleted if it changes, the new one written, and the old
// incarnation's data dropped unless m keeps its uuid.
func putMeta(b *writeBatch, db uint8, userKey []byte, old *stored, m *Metadata) {
	if old.exists {
		if old.m.ExpireAt != 0 && old.m.ExpireAt != m.ExpireAt {
			b.Delete(ExpiryKey(old.m.ExpireAt, db, userKey))
		}
		if old.m.Type.IsComplex() && (!m.Type.IsComplex() || m.UUID != old.m.UUID) {
			dropComplexData(b, db, &old.m)
		}
		b.effects.counts.record(db, -1, old.m.ExpireAt)
	}
	b.Set(old.key, b.encodeMeta(m))
	if m.ExpireAt != 0 {
		b.Set(ExpiryKey(m.ExpireAt, db, userKey), b.expiryValue(db))
	}
	b.effects.counts.record(db, 1, m.ExpireAt)
}

// commit builds a batch with fn and commits it.
func (ks *Keyspace) commit(fn func(b *writeBatch)) error {
	b := ks.newBatch()
	fn(b)
	return b.commit()
}

// lockKeys locks the metadata keys of userKeys in db.
func (d *DB) lockKeys(userKeys ...[]byte) func() {
	if len(userKeys) == 1 {
		return d.ks.locks.Lock(MetaKey(d.num, userKeys[0]))
	}
	mks := make([][]byte, len(userKeys))
	for i, k := range userKeys {
		mks[i] = MetaKey(d.num, k)
	}
	return d.ks.locks.Lock(mks...)
}

// checkDB validates a database number given by a client.
func checkDB(n int) error {
	if n < 0 || n >= MaxDBs {
		return ErrDBIndexOutOfRange
	}
	return nil
}
