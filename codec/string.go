package codec

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
)

// String commands. A string lives entirely in its metadata value, so every
// read is one Get and every write one batch with the metadata (and, when the
// TTL changes, the expiry index entries). Write paths lock the key; reads
// take no lock.

// SetOptions are SET's options after the server has parsed them.
type SetOptions struct {
	// ExpireAt is the absolute expiry in Unix ms computed from EX, PX, EXAT
	// or PXAT; 0 means none was given. A value <= now sets the key already
	// expired, which is the same as deleting it.
	ExpireAt int64
	NX, XX   bool // only set if the key does not / does exist
	KeepTTL  bool // keep the existing TTL instead of clearing it
	Get      bool // return the old value (string or nil; another type is ErrWrongType)
}

// SetResult is what SET reports.
type SetResult struct {
	Old      []byte // the old value, when SetOptions.Get and it was a string
	OldFound bool   // whether there was an old string value (only with Get)
	Written  bool   // whether the value was stored (false when NX/XX refused)
}

// Get returns the string at key. found is false for a missing (or expired)
// key; ErrWrongType if the key holds another type. With Buffers, value
// aliases them.
func (d *DB) Get(key []byte) (value []byte, found bool, err error) {
	s, err := d.loadBuffered(d.metaKey(key), d.nowMs())
	if err != nil || !s.live {
		return nil, false, err
	}
	if s.m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	return s.m.Value, true, nil
}

// Set implements SET (and, through it, SETEX, PSETEX, SETNX, GETSET): the
// Redis rules are that GET checks the type before anything is written, NX
// and XX are judged on the live key, and the TTL is cleared unless KeepTTL
// or a new expiry is given. Any old value of any type is replaced. With
// Buffers, SetResult.Old aliases them.
func (d *DB) Set(key, value []byte, o SetOptions) (SetResult, error) {
	var res SetResult
	mk := d.metaKey(key)
	unlock := d.ks.locks.Lock(mk)
	defer unlock()
	now := d.ks.nowMs()
	old, err := d.loadBuffered(mk, now)
	if err != nil {
		return res, err
	}
	if o.Get {
		d.countLookup(old.live)
	}
	if o.Get && old.live {
		if old.m.Type != TypeString {
			return res, ErrWrongType
		}
		res.Old, res.OldFound = old.m.Value, true
	}
	if (o.NX && old.live) || (o.XX && !old.live) {
		return res, nil
	}
	res.Written = true
	m := Metadata{Type: TypeString, Value: value, ExpireAt: o.ExpireAt}
	if o.ExpireAt == 0 && o.KeepTTL && old.live {
		m.ExpireAt = old.m.ExpireAt
	}
	b := d.ks.newBatch()
	if m.ExpireAt != 0 && m.ExpireAt <= now {
		deleteStored(b, d.num, key, &old)
	} else {
		putMeta(b, d.num, key, &old, &m)
	}
	return res, b.commit()
}

// SetNX implements SETNX: set only if absent; reports whether it set.
func (d *DB) SetNX(key, value []byte) (bool, error) {
	res, err := d.Set(key, value, SetOptions{NX: true})
	return res.Written, err
}

// GetSet implements GETSET (SET key value GET): returns the old string.
func (d *DB) GetSet(key, value []byte) (old []byte, found bool, err error) {
	res, err := d.Set(key, value, SetOptions{Get: true})
	return res.Old, res.OldFound, err
}

// GetDel implements GETDEL: returns the string and deletes the key.
func (d *DB) GetDel(key []byte) (value []byte, found bool, err error) {
	unlock := d.lockKeys(key)
	defer unlock()
	s, err := d.load(key, d.ks.nowMs())
	if err == nil {
		d.countLookup(s.live)
	}
	if err != nil || !s.live {
		return nil, false, err
	}
	if s.m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	err = d.ks.commit(func(b *writeBatch) { deleteStored(b, d.num, key, &s) })
	return s.m.Value, err == nil, err
}

// GetExOptions are GETEX's options: at most one of ExpireAt (from EX, PX,
// EXAT or PXAT, absolute Unix ms) and Persist.
type GetExOptions struct {
	ExpireAt int64 // 0: leave the TTL; <= now: delete the key after reading it
	Persist  bool
}

// GetEx implements GETEX: returns the string and then changes its TTL.
func (d *DB) GetEx(key []byte, o GetExOptions) (value []byte, found bool, err error) {
	if o.ExpireAt == 0 && !o.Persist {
		return d.lookupString(key)
	}
	unlock := d.lockKeys(key)
	defer unlock()
	now := d.ks.nowMs()
	s, err := d.load(key, now)
	if err == nil {
		d.countLookup(s.live)
	}
	if err != nil || !s.live {
		return nil, false, err
	}
	if s.m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	err = d.setExpireLocked(key, &s, o.ExpireAt, now)
	return s.m.Value, err == nil, err
}

// manyGetter is a Reader that reads several keys at one moment, interleaving
// their lookups (the engine's adapter: lsm.DB.GetMany). found[i] reports
// whether keys[i] has a value; vals[i] is then that value, appended to dst,
// or nil when maxValue > 0 and the value is longer (the caller reads it
// by itself if it needs it).
type manyGetter interface {
	GetMany(dst []byte, keys, vals [][]byte, found []bool, maxValue int) ([]byte, error)
}

// Limits of the values read together: manyRecordMax for the records of a
// GET run (a longer one is ErrReadLater); existenceOnly where only whether
// a key exists matters (an add's elements).
const (
	manyRecordMax = 16 << 10
	existenceOnly = 1
)

// ErrReadLater is GetEach's answer for a key whose record is too large to
// be read with the others (manyRecordMax): the caller reads it with Get
// when it needs it, so that a pipeline of GETs of large values holds one
// of them at a time.
var ErrReadLater = errors.New("codec: read the key by itself")

// GetEach is Get for each of keys, all read at one moment as MGET reads
// them: vals[i], found[i] and errs[i] are what Get(keys[i]) returns (a
// missing, expired or other-typed key is not found; the last with
// ErrWrongType), or errs[i] is ErrReadLater. The slices must be as long as
// keys. An error reading the store fails the call. With Buffers, the
// values alias them until d's next use. On the engine the keys' lookups
// are interleaved (lsm.DB.GetMany): a connection runs a pipeline of GETs
// through GetEach. A store that cannot read keys together (MemStore, in
// tests) is read key by key, not at one moment.
func (d *DB) GetEach(keys, vals [][]byte, found []bool, errs []error) error {
	now := d.nowMs()
	mg, ok := d.ks.store.(manyGetter)
	if !ok {
		for i, k := range keys {
			s, err := d.ks.load(d.num, k, now)
			if err != nil {
				return err
			}
			vals[i], found[i], errs[i] = stringOf(&s)
		}
		return nil
	}
	kb := d.borrowKeys(keys)
	defer d.giveBack(&kb)
	var recArr [msetStack]stored
	recs := recArr[:0]
	var err error
	kb.vbuf, recs, err = loadMany(mg, kb.vbuf, kb.mks, vals, found, now, recs, manyRecordMax)
	if err != nil {
		return err
	}
	for i := range recs {
		if found[i] && vals[i] == nil {
			vals[i], found[i], errs[i] = nil, false, ErrReadLater
			continue
		}
		vals[i], found[i], errs[i] = stringOf(&recs[i])
	}
	return nil
}

// keyBufs are a call's metadata keys (one buffer, sized before it is
// filled so that it never moves, and their views), the values it reads,
// and the scratch of reading them together: d's buffers when it has some
// (borrowKeys, giveBack). The views come from d too: passed to the store
// (manyGetter), arrays on the stack would escape.
type keyBufs struct {
	kbuf, vbuf []byte
	mks, vals  [][]byte
	found      []bool
}

// borrowKeys builds the metadata keys of keys in d's buffers.
func (d *DB) borrowKeys(keys [][]byte) keyBufs {
	var kb keyBufs
	if d.buf != nil {
		kb = keyBufs{d.buf.key[:0], d.buf.value[:0], d.buf.keys[:0], d.buf.vals[:0], d.buf.found[:0]}
	}
	size := 0
	for _, k := range keys {
		size += metaPrefixLen + len(k)
	}
	if cap(kb.kbuf) < size {
		kb.kbuf = make([]byte, 0, size)
	}
	kb.mks = slices.Grow(kb.mks, len(keys))
	for _, k := range keys {
		start := len(kb.kbuf)
		kb.kbuf = AppendMetaKey(kb.kbuf, d.num, k)
		kb.mks = append(kb.mks, kb.kbuf[start:len(kb.kbuf):len(kb.kbuf)])
	}
	return kb
}

// giveBack returns kb's buffers to d, dropping those a large call grew.
func (d *DB) giveBack(kb *keyBufs) {
	if d.buf == nil {
		return
	}
	if cap(kb.kbuf) <= maxKeptBuffer {
		d.buf.key = kb.kbuf[:0]
	}
	if cap(kb.vbuf) <= maxKeptBuffer {
		d.buf.value = kb.vbuf[:0]
	}
	if cap(kb.mks) <= maxKeptKeys {
		clear(kb.mks)
		clear(kb.vals)
		d.buf.keys, d.buf.vals, d.buf.found = kb.mks[:0], kb.vals[:0], kb.found[:0]
	}
}

// loadMany loads the metadata keys mks together (manyGetter), appending
// their values to vbuf and their records to olds, and returns both
// extended. vals and found are as long as mks. With maxValue > 0, a
// record longer than that is not read: found[i] stays true with vals[i]
// nil, and its entry in olds is empty.
func loadMany(mg manyGetter, vbuf []byte, mks, vals [][]byte, found []bool, now int64, olds []stored, maxValue int) ([]byte, []stored, error) {
	vbuf, err := mg.GetMany(vbuf, mks, vals, found, maxValue)
	if err != nil {
		return vbuf, olds, err
	}
	for i, mk := range mks {
		if found[i] && vals[i] == nil {
			olds = append(olds, stored{key: mk})
			continue
		}
		var raw []byte
		rerr := ErrNotFound
		if found[i] {
			raw, rerr = vals[i], nil
		}
		s, err := decodeStored(mk, raw, rerr, now)
		if err != nil {
			return vbuf, olds, err
		}
		olds = append(olds, s)
	}
	return vbuf, olds, nil
}

// maxKeptKeys bounds the metadata key views a DB's Buffers keep.
const maxKeptKeys = 64

// stringOf is Get's answer for a loaded record.
func stringOf(s *stored) (value []byte, found bool, err error) {
	switch {
	case !s.live:
		return nil, false, nil
	case s.m.Type != TypeString:
		return nil, false, ErrWrongType
	}
	return s.m.Value, true, nil
}

// MGet implements MGET: nil for a missing key or a key of another type, the
// value (non-nil, possibly empty) otherwise. Several keys are read from one
// snapshot, so MGET is atomic like Redis's.
func (d *DB) MGet(keys ...[]byte) ([][]byte, error) {
	if mg, ok := d.ks.store.(manyGetter); ok && len(keys) > 1 {
		// One read of all the keys at one moment, their lookups
		// interleaved (lsm.DB.GetMany).
		mks := make([][]byte, len(keys))
		for i, k := range keys {
			mks[i] = MetaKey(d.num, k)
		}
		out := make([][]byte, len(keys))
		found := make([]bool, len(keys))
		_, recs, err := loadMany(mg, nil, mks, out, found, d.ks.nowMs(), make([]stored, 0, len(keys)), 0)
		if err != nil {
			return nil, err
		}
		for i := range recs {
			d.countLookup(recs[i].live)
			v, ok, err := stringOf(&recs[i])
			switch {
			case !ok || err != nil:
				out[i] = nil
			case v == nil:
				out[i] = []byte{}
			default:
				out[i] = v
			}
		}
		return out, nil
	}
	var r Reader = d.ks.store
	if len(keys) > 1 {
		snap := d.ks.store.NewSnapshot()
		defer snap.Close()
		r = snap
	}
	now := d.ks.nowMs()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		raw, err := r.Get(MetaKey(d.num, k))
		if errors.Is(err, ErrNotFound) {
			d.countLookup(false)
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := DecodeMetadata(raw)
		if err != nil {
			return nil, err
		}
		d.countLookup(!m.ExpiredAt(now))
		if m.Type != TypeString || m.ExpiredAt(now) {
			continue
		}
		v := m.Value
		if v == nil {
			v = []byte{}
		}
		out[i] = v
	}
	return out, nil
}

// MSet implements MSET: one atomic batch; later pairs win over earlier ones
// naming the same key; TTLs are cleared and other types replaced.
func (d *DB) MSet(keys, values [][]byte) error {
	_, err := d.mset(keys, values, false)
	return err
}

// MSetNX implements MSETNX: sets all pairs in one batch only if none of the
// keys exists; reports whether it set.
func (d *DB) MSetNX(keys, values [][]byte) (bool, error) {
	return d.mset(keys, values, true)
}

// msetStack is the number of keys up to which mset keeps its per-key state
// on the stack.
const msetStack = 16

func (d *DB) mset(keys, values [][]byte, nx bool) (bool, error) {
	if len(keys) != len(values) {
		panic("codec: MSet with unequal keys and values")
	}
	// The metadata keys in d's buffers (borrowKeys); up to msetStack keys,
	// their stripes and records are on the stack.
	kb := d.borrowKeys(keys)
	defer d.giveBack(&kb)
	var idxArr [msetStack]int
	var oldArr [msetStack]stored
	olds := oldArr[:0]
	if len(keys) > msetStack {
		olds = make([]stored, 0, len(keys))
	}
	held, olds, err := d.lockAndLoad(&kb, idxArr[:0], olds)
	defer d.ks.locks.UnlockStripes(held)
	if err != nil {
		return false, err
	}
	if nx {
		for i := range olds {
			if olds[i].live {
				return false, nil
			}
		}
	}
	// A key named twice is written once, with its last value (a batch
	// writes each metadata key once).
	repeated := repeatedLater(keys)
	return true, d.ks.commit(func(b *writeBatch) {
		for i, k := range keys {
			if repeated != nil && repeated[i] {
				continue
			}
			m := Metadata{Type: TypeString, Value: values[i]}
			putMeta(b, d.num, k, &olds[i], &m)
		}
	})
}

// lockAndLoad locks the stripes of kb.mks (appending their indexes to idx)
// and reads the keys' records into olds, in order, each value appended to
// kb.vbuf: on the engine all together (lsm.DB.GetMany, their lookups
// interleaved), elsewhere one by one. The caller unlocks held, also when
// err is set. MSET and the counter runs (IncrByEach) read this way.
func (d *DB) lockAndLoad(kb *keyBufs, idx []int, olds []stored) (held []int, _ []stored, err error) {
	held = d.ks.locks.LockInto(idx, kb.mks...)
	now := d.ks.nowMs()
	if mg, ok := d.ks.store.(manyGetter); ok && len(kb.mks) > 1 {
		n := len(kb.mks)
		kb.vals, kb.found = slices.Grow(kb.vals, n)[:n], slices.Grow(kb.found, n)[:n]
		kb.vbuf, olds, err = loadMany(mg, kb.vbuf, kb.mks, kb.vals, kb.found, now, olds, 0)
		return held, olds, err
	}
	for _, mk := range kb.mks {
		s, v, err := d.loadAppend(kb.vbuf, mk, now)
		if err != nil {
			return held, olds, err
		}
		kb.vbuf = v
		olds = append(olds, s)
	}
	return held, olds, nil
}

// addOverflows reports whether v+delta overflows int64.
func addOverflows(v, delta int64) bool {
	return (delta < 0 && v < 0 && delta < minInt64-v) || (delta > 0 && v > 0 && delta > maxInt64-v)
}

// repeatedLater reports, for each of keys, whether it is named again
// later; nil when no key is repeated.
func repeatedLater(keys [][]byte) []bool {
	var out []bool
	mark := func(i int) {
		if out == nil {
			out = make([]bool, len(keys))
		}
		out[i] = true
	}
	if len(keys) <= 16 {
		for i := range keys {
			for j := i + 1; j < len(keys); j++ {
				if bytes.Equal(keys[i], keys[j]) {
					mark(i)
					break
				}
			}
		}
		return out
	}
	last := make(map[string]int, len(keys))
	for i, k := range keys {
		if j, ok := last[string(k)]; ok {
			mark(j)
		}
		last[string(k)] = i
	}
	return out
}

// modifyString runs the read-modify-write of APPEND, SETRANGE and the INCR
// family under the key's lock: fn gets the current value (found=false for a
// missing key) and returns the new value, or write=false to store nothing.
// The TTL is kept.
func (d *DB) modifyString(key []byte, fn func(cur []byte, found bool) (next []byte, write bool, err error)) error {
	// The metadata key and the old value in d's buffers when it has some
	// (cur aliases the value buffer: fn's result is copied by the commit).
	mk := d.metaKey(key)
	unlock := d.ks.locks.Lock(mk)
	defer unlock()
	s, err := d.loadBuffered(mk, d.ks.nowMs())
	if err != nil {
		return err
	}
	if s.live && s.m.Type != TypeString {
		return ErrWrongType
	}
	var cur []byte
	if s.live {
		cur = s.m.Value
	}
	next, write, err := fn(cur, s.live)
	if err != nil || !write {
		return err
	}
	m := Metadata{Type: TypeString, Value: next}
	if s.live {
		m.ExpireAt = s.m.ExpireAt
	}
	return d.ks.commit(func(b *writeBatch) { putMeta(b, d.num, key, &s, &m) })
}

// Append implements APPEND and returns the new length.
func (d *DB) Append(key, value []byte) (int64, error) {
	var n int64
	err := d.modifyString(key, func(cur []byte, found bool) ([]byte, bool, error) {
		total := int64(len(cur)) + int64(len(value))
		if total > d.ks.maxStringLen {
			return nil, false, ErrStringTooLong
		}
		n = total
		next := make([]byte, 0, total)
		return append(append(next, cur...), value...), true, nil
	})
	return n, err
}

// StrLen implements STRLEN (0 for a missing key).
func (d *DB) StrLen(key []byte) (int64, error) {
	v, _, err := d.lookupString(key)
	return int64(len(v)), err
}

// GetRange implements GETRANGE with Redis's index rules: negative indexes
// count from the end, both are clamped, and an empty string is returned
// when the range is empty.
func (d *DB) GetRange(key []byte, start, end int64) ([]byte, error) {
	v, _, err := d.lookupString(key)
	if err != nil {
		return nil, err
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return []byte{}, nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return []byte{}, nil
	}
	return v[start : end+1], nil
}

// SetRange implements SETRANGE and returns the new length. The string is
// zero-padded up to offset. Writing nothing leaves the key as it is (and a
// missing key missing). A negative offset is ErrOffsetOutOfRange; a result
// longer than the maximum string length is ErrStringTooLong.
func (d *DB) SetRange(key []byte, offset int64, value []byte) (int64, error) {
	if offset < 0 {
		return 0, ErrOffsetOutOfRange
	}
	var n int64
	err := d.modifyString(key, func(cur []byte, found bool) ([]byte, bool, error) {
		n = int64(len(cur))
		if len(value) == 0 {
			return nil, false, nil
		}
		// offset+len(value) may overflow: compare without adding.
		if offset > d.ks.maxStringLen-int64(len(value)) {
			return nil, false, ErrStringTooLong
		}
		size := max(int64(len(cur)), offset+int64(len(value)))
		next := make([]byte, size)
		copy(next, cur)
		copy(next[offset:], value)
		n = size
		return next, true, nil
	})
	return n, err
}

// IncrBy implements INCRBY (and INCR, DECR): a missing key counts as 0.
func (d *DB) IncrBy(key []byte, delta int64) (int64, error) {
	var res int64
	err := d.modifyString(key, func(cur []byte, found bool) ([]byte, bool, error) {
		var v int64
		if found {
			var ok bool
			if v, ok = parseInt(cur); !ok {
				return nil, false, ErrNotInteger
			}
		}
		if addOverflows(v, delta) {
			return nil, false, ErrOverflow
		}
		res = v + delta
		if d.buf == nil {
			return formatInt(res), true, nil
		}
		d.buf.num = strconv.AppendInt(d.buf.num[:0], res, 10)
		return d.buf.num, true, nil
	})
	return res, err
}

// IncrByEach runs INCRBY of keys[i] by deltas[i] for each i, in order, as
// one atomic batch: the keys' old records are read together (on the engine,
// lsm.DB.GetMany, their lookups interleaved) under all their locks, and every
// key changed is written once, with its last value. out[i] and errs[i] are
// what IncrBy would have returned for the i-th call run after the ones
// before it: a key named twice sees the earlier increment, and a call that
// fails (ErrWrongType, ErrNotInteger, ErrOverflow) changes nothing, as
// alone. A key keeps its TTL. The error returned is the read's or the
// commit's, which fails every call.
func (d *DB) IncrByEach(keys [][]byte, deltas, out []int64, errs []error) error {
	n := len(keys)
	if len(deltas) != n || len(out) < n || len(errs) < n {
		panic("codec: IncrByEach with unequal keys, deltas and results")
	}
	if n == 0 {
		return nil
	}
	kb := d.borrowKeys(keys)
	defer d.giveBack(&kb)
	var idxArr [msetStack]int
	var oldArr [msetStack]stored
	olds := oldArr[:0]
	if n > msetStack {
		olds = make([]stored, 0, n)
	}
	held, olds, err := d.lockAndLoad(&kb, idxArr[:0], olds)
	defer d.ks.locks.UnlockStripes(held)
	if err != nil {
		return err
	}
	// Each key's state lives at its first occurrence f: its value, whether
	// it holds one (a live string, or a call wrote it), and why every call
	// on it fails (its type, or a value that is not an integer: a failed
	// call writes nothing, so the reason stays).
	var stArr [msetStack]incrState
	st := stArr[:0]
	if n > msetStack {
		st = make([]incrState, 0, n)
	}
	st = st[:n]
	written := false
	for i := range n {
		f := i
		for j := range i {
			if bytes.Equal(keys[j], keys[i]) {
				f = j
				break
			}
		}
		s := &st[f]
		if f == i {
			if old := &olds[i]; old.live {
				switch v, ok := parseInt(old.m.Value); {
				case old.m.Type != TypeString:
					s.fail = ErrWrongType
				case !ok:
					s.fail = ErrNotInteger
				default:
					s.v = v
				}
			}
		}
		if s.fail != nil {
			out[i], errs[i] = 0, s.fail
			continue
		}
		if addOverflows(s.v, deltas[i]) {
			out[i], errs[i] = 0, ErrOverflow
			continue
		}
		s.v += deltas[i]
		s.write, written = true, true
		out[i], errs[i] = s.v, nil
	}
	if !written {
		return nil
	}
	return d.ks.commit(func(b *writeBatch) {
		var num [20]byte
		for f := range n {
			if !st[f].write {
				continue
			}
			m := Metadata{Type: TypeString, Value: strconv.AppendInt(num[:0], st[f].v, 10)}
			if olds[f].live {
				m.ExpireAt = olds[f].m.ExpireAt
			}
			putMeta(b, d.num, keys[f], &olds[f], &m)
		}
	})
}

// incrState is a key's state in IncrByEach.
type incrState struct {
	v     int64
	write bool
	fail  error
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// DecrBy implements DECRBY: ErrDecrementOverflow for math.MinInt64, whose
// negation does not exist.
func (d *DB) DecrBy(key []byte, delta int64) (int64, error) {
	if delta == minInt64 {
		return 0, ErrDecrementOverflow
	}
	return d.IncrBy(key, -delta)
}

// IncrByFloat implements INCRBYFLOAT. incr is the client's argument as
// given: like Redis, the key's type is checked first, then the stored value,
// then the increment (ErrNotFloat), computed in long double precision and
// formatted as Redis prints it (see number.go). Returns the new value.
func (d *DB) IncrByFloat(key, incr []byte) ([]byte, error) {
	var res []byte
	err := d.modifyString(key, func(cur []byte, found bool) ([]byte, bool, error) {
		curV, curInf, ok := parseLongDouble([]byte("0"))
		if found {
			if curV, curInf, ok = parseLongDouble(cur); !ok {
				return nil, false, ErrNotFloat
			}
		}
		incV, incInf, ok := parseLongDouble(incr)
		if !ok {
			return nil, false, ErrNotFloat
		}
		sum, ok := addLongDouble(curV, incV, curInf, incInf)
		if !ok {
			return nil, false, ErrNaNOrInf
		}
		res = formatLongDouble(sum)
		return res, true, nil
	})
	return res, err
}

// equalKeys reports whether two user keys are the same key.
func equalKeys(a, b []byte) bool { return bytes.Equal(a, b) }
