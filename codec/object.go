package codec

import (
	"bytes"
	"errors"
	"slices"
	"sync"
)

// The framework shared by the complex types (hash, list, set, zset).
//
// A write opens each key it changes as an object, under the key's lock
// stripe: the object holds the stored record, a working copy of its
// metadata and the batch. Element writes go into the batch; finish adds the
// metadata change (new incarnation, count, expiry) or, when the key was
// emptied, its complete deletion, so every command commits one atomic batch.
//
// A read opens a view on a snapshot, so a command that reads metadata and
// then elements sees one state without taking locks.

// Sub-families of data keys (on-disk format, FORMAT.md): the byte after the
// uuid.
const (
	// subElement: hash field -> value; set member -> empty; list index(8)
	// -> element; sorted-set member -> score(8).
	subElement byte = 1
	// subScore: sorted-set score(8, order-preserving) | member -> empty.
	subScore byte = 2
)

// object is a complex key opened for writing. The caller holds its lock.
type object struct {
	ks    *Keyspace
	db    uint8
	key   []byte
	typ   Type
	old   stored   // the record as loaded (may be absent or expired)
	m     Metadata // working metadata; valid when live
	live  bool     // the key exists with type typ (loaded live, or created)
	b     *writeBatch
	dirty bool // something changed: finish must write metadata or touch
	// kb holds the data key of a one-element read or write (tmpKey,
	// setSlot): Reader.Get and Batch's writes do not keep their key, so
	// one buffer, inside the object already allocated, serves them all.
	kb [64]byte
	// mk and raw hold the metadata key and value update loads (old.key
	// aliases mk), val the value get read last, scratch what a type's
	// writer builds for a write (the batch copies it): the object is
	// recycled after the command, buffers included.
	mk, raw, val, scratch []byte
	// many holds the reads of addElements' elements made together.
	many manyRead
}

// manyRead is the scratch of reading several data keys together
// (manyGetter): their keys, concatenated, and the results.
type manyRead struct {
	kbuf, vbuf []byte
	ends       []int
	keys, vals [][]byte
	found      []bool
	// slot is addElements': per element of a chunk, the index of its read
	// or -1 (named before).
	slot []int
}

// reset empties m for a new read.
func (m *manyRead) reset() {
	m.kbuf, m.vbuf, m.ends, m.keys, m.slot = m.kbuf[:0], m.vbuf[:0], m.ends[:0], m.keys[:0], m.slot[:0]
}

// read reads the keys added since reset through mg: found[i] tells
// whether the i-th exists (the values are in vbuf).
func (m *manyRead) read(mg manyGetter) error {
	from := 0
	for _, end := range m.ends {
		m.keys = append(m.keys, m.kbuf[from:end:end])
		from = end
	}
	n := len(m.keys)
	m.vals, m.found = slices.Grow(m.vals[:0], n)[:n], slices.Grow(m.found[:0], n)[:n]
	var err error
	m.vbuf, err = mg.GetMany(m.vbuf, m.keys, m.vals, m.found, existenceOnly)
	clear(m.vals)
	return err
}

// trim drops what a large read grew, for an object going back to the pool.
func (m *manyRead) trim() manyRead {
	if cap(m.kbuf) > maxKeptBuffer || cap(m.vbuf) > maxKeptBuffer || cap(m.keys) > maxManyRead {
		return manyRead{}
	}
	clear(m.keys[:cap(m.keys)])
	m.reset()
	return *m
}

// maxManyRead is how many elements addElements reads together: past a
// few dozen, interleaving their lookups gains nothing more, and the old
// values it reads (HSET's) are held together.
const maxManyRead = 64

// objects recycles the objects of update. An object holds no reference
// once released; what a command returns never aliases its buffers (the
// elements it reads are copies).
var objects = sync.Pool{New: func() any { return new(object) }}

// release clears o and returns it to the pool, keeping its buffers unless
// a large key grew them.
func (o *object) release() {
	keep := func(b []byte) []byte {
		if cap(b) > maxKeptBuffer {
			return nil
		}
		return b[:0]
	}
	*o = object{mk: keep(o.mk), raw: keep(o.raw), val: keep(o.val), scratch: keep(o.scratch), many: o.many.trim()}
	objects.Put(o)
}

// openObject loads key for a write of type t into batch b. A live key of
// another type is ErrWrongType; an absent or expired key opens as not live.
func (d *DB) openObject(b *writeBatch, key []byte, t Type, now int64) (*object, error) {
	o := &object{}
	if err := d.openInto(o, b, key, t, now); err != nil {
		return nil, err
	}
	return o, nil
}

// openInto is openObject into o, a cleared object whose mk and raw
// buffers take the metadata key and value.
func (d *DB) openInto(o *object, b *writeBatch, key []byte, t Type, now int64) error {
	o.mk = AppendMetaKey(o.mk[:0], d.num, key)
	s, raw, err := d.loadAppend(o.raw[:0], o.mk, now)
	o.raw = raw
	if err != nil {
		return err
	}
	o.ks, o.db, o.key, o.typ, o.old, o.b = d.ks, d.num, key, t, s, b
	if s.live {
		if s.m.Type != t {
			return ErrWrongType
		}
		o.m, o.live = s.m, true
	}
	return nil
}

// openReplacement opens key for a write that replaces whatever it holds,
// of any type (SINTERSTORE and the other *STORE commands). The object starts
// not live, so create makes a fresh incarnation whose finish drops the old
// record through putMeta; if nothing is created, finish deletes the old
// record (an empty result deletes the destination).
func (d *DB) openReplacement(b *writeBatch, key []byte, t Type, now int64) (*object, error) {
	s, err := d.load(key, now)
	if err != nil {
		return nil, err
	}
	return &object{ks: d.ks, db: d.num, key: key, typ: t, old: s, b: b, dirty: s.exists}, nil
}

// create makes a new, empty incarnation of a key that is not live: a fresh
// uuid, no expiry, count 0.
func (o *object) create() error {
	if o.live {
		return nil
	}
	u, err := o.ks.newUUID()
	if err != nil {
		return err
	}
	o.m = Metadata{Type: o.typ, UUID: u}
	if o.typ == TypeList {
		o.m.Head, o.m.Tail = ListInitialIndex, ListInitialIndex
	}
	o.live, o.dirty = true, true
	return nil
}

// get reads one element (latest committed state; the caller holds the
// lock). The value is in o's buffer, valid until the next get: a caller
// that keeps it copies it.
func (o *object) get(sub byte, field []byte) ([]byte, bool, error) {
	if !o.live {
		return nil, false, nil
	}
	v, err := getAppend(o.ks.store, o.val[:0], o.tmpKey(sub, field))
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if cap(v) <= maxKeptBuffer {
		o.val = v
	}
	return v, true, nil
}

// tmpKey returns the data key of field in o.kb: valid until the next
// tmpKey or slot write.
func (o *object) tmpKey(sub byte, field []byte) []byte {
	return appendDataKey(o.kb[:0], o.db, o.m.UUID, sub, field)
}

func getValue(r Reader, k []byte) ([]byte, bool, error) {
	v, err := r.Get(k)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// set and del write one element. Count bookkeeping is the caller's.
func (o *object) set(sub byte, field, value []byte) {
	o.b.Set(o.tmpKey(sub, field), value)
	o.dirty = true
}

func (o *object) del(sub byte, field []byte) {
	o.b.Delete(o.tmpKey(sub, field))
	o.dirty = true
}

// removeElements deletes the subElement entries of fields that exist
// (each field once) and returns how many it deleted: HDEL and SREM.
func (o *object) removeElements(fields [][]byte) (int64, error) {
	var n int64
	for _, f := range distinct(fields) {
		_, found, err := o.get(subElement, f)
		if err != nil {
			return 0, err
		}
		if found {
			o.del(subElement, f)
			n++
		}
	}
	o.m.Count -= uint64(n)
	return n, nil
}

// smallMap maps byte-string keys to values for one command's elements:
// the first smallMapFew keys in an array, searched one by one (no map for
// a pipeline's coalesced run), the others in a map. Keys are not copied:
// they must outlive the smallMap (a command's arguments do).
type smallMap[V any] struct {
	n    int
	few  [smallMapFew]smallEntry[V]
	more map[string]V
}

type smallEntry[V any] struct {
	key []byte
	val V
}

const smallMapFew = 16

// find returns k's value, or nil.
func (m *smallMap[V]) find(k []byte) *V {
	for i := range m.few[:m.n] {
		if bytes.Equal(m.few[i].key, k) {
			return &m.few[i].val
		}
	}
	if v, ok := m.more[string(k)]; ok {
		return &v // a copy: put writes through the map
	}
	return nil
}

// get returns k's value and whether it has one.
func (m *smallMap[V]) get(k []byte) (V, bool) {
	if p := m.find(k); p != nil {
		return *p, true
	}
	var zero V
	return zero, false
}

// add gives a key that has no value yet v.
func (m *smallMap[V]) add(k []byte, v V) {
	if m.n < len(m.few) {
		m.few[m.n] = smallEntry[V]{k, v}
		m.n++
		return
	}
	if m.more == nil {
		m.more = make(map[string]V, 2*smallMapFew)
	}
	m.more[string(k)] = v
}

// put gives k the value v.
func (m *smallMap[V]) put(k []byte, v V) {
	for i := range m.few[:m.n] {
		if bytes.Equal(m.few[i].key, k) {
			m.few[i].val = v
			return
		}
	}
	if _, ok := m.more[string(k)]; ok {
		m.more[string(k)] = v
		return
	}
	m.add(k, v)
}

// first reports whether k is the first key equal to it that first was
// asked about: SADD and HSET count a field named twice once.
func (m *smallMap[V]) first(k []byte) bool {
	if m.find(k) != nil {
		return false
	}
	var zero V
	m.add(k, zero)
	return true
}

// addElements writes the subElement entries of a SADD (stride 1: members)
// or an HSET (stride 2: fields and their values): a member only if the set
// lacks it, a field always. It returns how many elements were added and,
// unless added is nil, sets added[i] to whether the i-th was (an element
// named twice is added by its first).
func (o *object) addElements(elems [][]byte, stride int, added []bool) (int64, error) {
	// A key created now has a new uuid: none of its elements exists.
	fresh := !o.live
	if err := o.create(); err != nil {
		return 0, err
	}
	mg, _ := o.ks.store.(manyGetter)
	together := mg != nil && !fresh && len(elems) >= 2*stride
	var n int64
	var seen smallMap[struct{}]
	// By chunks of maxManyRead elements: the reads of the elements named
	// for the first time, together when the store can (manyGetter: their
	// lookups overlap), then the writes.
	for from := 0; from+stride <= len(elems); from += maxManyRead * stride {
		to := min(len(elems), from+maxManyRead*stride)
		if together {
			o.many.reset()
			for i := from; i+stride <= to; i += stride {
				if seen.first(elems[i]) {
					o.many.slot = append(o.many.slot, len(o.many.ends))
					o.many.kbuf = appendDataKey(o.many.kbuf, o.db, o.m.UUID, subElement, elems[i])
					o.many.ends = append(o.many.ends, len(o.many.kbuf))
				} else {
					o.many.slot = append(o.many.slot, -1)
				}
			}
			if err := o.many.read(mg); err != nil {
				return 0, err
			}
		}
		for i := from; i+stride <= to; i += stride {
			e := elems[i]
			isNew := false
			switch {
			case together:
				if j := o.many.slot[(i-from)/stride]; j >= 0 {
					isNew = !o.many.found[j]
				}
			case fresh:
				isNew = len(elems) == stride || seen.first(e)
			case len(elems) == stride || seen.first(e):
				_, found, err := o.get(subElement, e)
				if err != nil {
					return 0, err
				}
				isNew = !found
			}
			switch {
			case stride == 2:
				o.set(subElement, e, elems[i+1])
			case isNew:
				o.set(subElement, e, nil)
			}
			if isNew {
				n++
			}
			if added != nil {
				added[i/stride] = isNew
			}
		}
	}
	o.m.Count += uint64(n)
	return n, nil
}

// distinct returns xs without repeats, in first-seen order (xs itself when
// it has fewer than two elements: no map for the common single argument).
func distinct(xs [][]byte) [][]byte {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[string]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[string(x)] {
			seen[string(x)] = true
			out = append(out, x)
		}
	}
	return out
}

// iter returns an iterator over one sub-family of the live incarnation, in
// the latest committed state (not this object's pending writes).
func (o *object) iter(sub byte) (Iterator, []byte, error) {
	return subIter(o.ks.store, o.db, o.m.UUID, sub)
}

// subIter returns an iterator over [d|db|uuid|sub, d|db|uuid|sub+1) and the
// prefix to strip from its keys.
func subIter(r Reader, db uint8, uuid uint64, sub byte) (Iterator, []byte, error) {
	prefix := DataKey(db, uuid, sub, nil)
	it, err := r.NewIter(prefix, prefixEnd(prefix))
	return it, prefix, err
}

// finish adds the metadata change to the batch: the complete deletion of an
// emptied key, the new or updated metadata, or a touch when only elements
// changed. It does not commit.
func (o *object) finish() {
	if !o.dirty {
		return
	}
	if !o.live {
		deleteStored(o.b, o.db, o.key, &o.old) // replaced by nothing (openReplacement)
		return
	}
	if o.m.Count == 0 {
		deleteStored(o.b, o.db, o.key, &o.old)
		if !o.old.exists || o.old.m.UUID != o.m.UUID || !o.old.m.Type.IsComplex() {
			dropComplexData(o.b, o.db, &o.m) // a new incarnation emptied at once
		}
		o.live = false
		return
	}
	if o.old.live && metaEqual(&o.old.m, &o.m) {
		o.b.touch(o.db, o.key)
		return
	}
	putMeta(o.b, o.db, o.key, &o.old, &o.m)
}

func metaEqual(a, b *Metadata) bool {
	return a.Type == b.Type && a.ExpireAt == b.ExpireAt && a.UUID == b.UUID &&
		a.Count == b.Count && a.Head == b.Head && a.Tail == b.Tail && bytes.Equal(a.Value, b.Value)
}

// update runs fn on key opened for a write of type t, under the key's lock,
// and commits what it wrote as one batch. fn's error aborts without writing.
func update[T any](d *DB, key []byte, t Type, fn func(o *object) (T, error)) (T, error) {
	unlock := d.lockKeys(key)
	defer unlock()
	b := d.ks.newBatch()
	o := objects.Get().(*object)
	defer o.release()
	if err := d.openInto(o, b, key, t, d.ks.nowMs()); err != nil {
		b.release()
		var zero T
		return zero, err
	}
	res, err := fn(o)
	if d.buf != nil {
		d.buf.remember(d.num, key, o.live, o.m.UUID)
	}
	if err == nil {
		o.finish()
		if o.dirty {
			return res, b.commit()
		}
	}
	// Nothing to commit (or a failure): the batch, empty or abandoned, is
	// recycled all the same.
	b.release()
	return res, err
}

// view is a complex key opened for reading on a snapshot.
type view struct {
	r    Reader
	db   uint8
	m    Metadata
	live bool
}

// openView loads key of type t from r. A live key of another type is
// ErrWrongType; an absent or expired key opens as not live.
func (d *DB) openView(r Reader, key []byte, t Type, now int64) (*view, error) {
	v := &view{r: r, db: d.num}
	raw, err := r.Get(MetaKey(d.num, key))
	if errors.Is(err, ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := DecodeMetadata(raw)
	if err != nil {
		return nil, err
	}
	if m.ExpiredAt(now) {
		return v, nil
	}
	if m.Type != t {
		return nil, ErrWrongType
	}
	v.m, v.live = m, true
	return v, nil
}

// view returns a view of the object's committed state (the store, read
// under the caller's lock), for the read helpers such as randomElements.
func (o *object) view() *view {
	return &view{r: o.ks.store, db: o.db, m: o.m, live: o.live}
}

func (v *view) get(sub byte, field []byte) ([]byte, bool, error) {
	if !v.live {
		return nil, false, nil
	}
	return getValue(v.r, DataKey(v.db, v.m.UUID, sub, field))
}

func (v *view) iter(sub byte) (Iterator, []byte, error) {
	return subIter(v.r, v.db, v.m.UUID, sub)
}

// read runs fn on key opened for reading on a fresh snapshot.
func read[T any](d *DB, key []byte, t Type, fn func(v *view) (T, error)) (T, error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	v, err := d.openView(snap, key, t, d.ks.nowMs())
	d.countOpened(err == nil && v.live, err)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(v)
}

// ScanResult is one call of HSCAN, SSCAN or ZSCAN: the next cursor (0 when
// done) and the fields (with values for HSCAN and ZSCAN, interleaved).
type ScanResult struct {
	Cursor uint64
	Items  [][]byte
}

// scanElements is the cursor walk shared by HSCAN, SSCAN and ZSCAN over a
// key's subElement family. It examines up to count elements after the
// cursor's position; emit appends the reply items for one element whose
// field matched. Positions are data keys in the SCAN cursor table; a cursor
// from another incarnation or database restarts the walk.
func (v *view) scanElements(ks *Keyspace, cursor uint64, match []byte, count int,
	emit func(out [][]byte, field, value []byte) ([][]byte, error)) (ScanResult, error) {
	var res ScanResult
	if !v.live {
		return res, nil
	}
	if count <= 0 {
		count = DefaultScanCount
	}
	it, prefix, err := v.iter(subElement)
	if err != nil {
		return res, err
	}
	defer it.Close()
	start := prefix
	if cursor != 0 {
		if pos, ok := ks.cursors.lookup(cursor, v.db); ok && bytes.HasPrefix(pos, prefix) {
			start = append(pos, 0)
		}
	}
	matchAll := match == nil || isMatchAll(match)
	examined := 0
	var last []byte
	ok := it.SeekGE(start)
	for ; ok && examined < count; ok = it.Next() {
		examined++
		// A copy: the loop moves the iterator once more before last is saved.
		last = append(last[:0], it.Key()...)
		field := last[len(prefix):]
		if matchAll || Match(match, field) {
			if res.Items, err = emit(res.Items, field, it.Value()); err != nil {
				return res, err
			}
		}
	}
	if err := it.Error(); err != nil {
		return res, err
	}
	if ok {
		res.Cursor = ks.cursors.save(v.db, last)
	}
	return res, nil
}
