package lsm

import (
	"errors"
	"fmt"
	"sync"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/memtable"
	"github.com/strata-db/strata/sstable"
)

// GetMany is Get for several keys at the same moment (one read state, one
// sequence number, as a snapshot would read them): found[i] reports
// whether keys[i] has a value, and vals[i] is then that value (never nil),
// appended to dst, whose extension GetMany returns. vals and found must be
// as long as keys. With maxValue > 0, a value longer than maxValue is not
// read: found[i] is true and vals[i] nil, and the caller reads it with Get
// (a GET pipeline of large values then holds one at a time).
//
// The keys' table lookups at each level are made together through
// sstable.GetMany, interleaved step by step, so that their cache misses
// overlap: a pipeline of GETs on a large keyspace spends most of its time
// waiting on them, one key after the other.
func (d *DB) GetMany(dst []byte, keys [][]byte, vals [][]byte, found []bool, maxValue int) ([]byte, error) {
	if len(vals) < len(keys) || len(found) < len(keys) {
		panic("lsm: GetMany with short results")
	}
	seq := base.SeqNum(d.visibleSeq.Load())
	rs := d.loadReadState()
	defer rs.unref()
	st := getManyPool.Get().(*getMany)
	defer st.release()
	st.spans = st.spans[:0]
	st.rangeSeq = st.rangeSeq[:0]
	st.pend = st.pend[:0]
	st.done = st.done[:0]
	// The memtables' filter lines and index slots of every key first, then
	// the nodes the slots record: the lookups below then find them loading
	// or loaded.
	st.hashes = st.hashes[:0]
	for _, key := range keys {
		h := memtable.KeyHash(key)
		st.hashes = append(st.hashes, h)
		for _, m := range rs.hints {
			m.Prefetch(h)
		}
	}
	// Then the nodes those index slots record.
	for _, h := range st.hashes {
		for _, m := range rs.hints {
			m.PrefetchEntry(h)
		}
	}
	for i, key := range keys {
		rangeSeq, err := d.maxCoveringSeq(rs, key, seq)
		if err != nil {
			return dst, err
		}
		st.rangeSeq = append(st.rangeSeq, rangeSeq)
		st.spans = append(st.spans, valSpan{-1, -1})
		st.done = append(st.done, false)
		h := st.hashes[i]
		inMem := false
		for _, m := range rs.memtables {
			if v, kind, ok := m.GetHashed(key, h, seq); ok {
				inMem = true
				switch {
				case kind == base.InternalKeyKindDelete || (rangeSeq > 0 && memEntrySeq(m, key, seq) < rangeSeq):
				case maxValue > 0 && len(v) > maxValue:
					st.spans[i] = largeSpan
				default:
					start := len(dst)
					dst = append(dst, v...)
					st.spans[i] = valSpan{start, len(dst)}
				}
				break
			}
		}
		if !inMem {
			st.pend = append(st.pend, i)
		}
		st.done[i] = inMem
	}
	var err error
	v := rs.version
	for j := len(v.levels[0]) - 1; j >= 0 && len(st.pend) > 0 && err == nil; j-- {
		f := v.levels[0][j]
		for _, i := range st.pend {
			if f.overlaps(keys[i], keys[i]) {
				st.add(f, i)
			}
		}
		dst, err = d.probe(st, dst, keys, seq, maxValue)
	}
	for level := 1; level < numLevels && len(st.pend) > 0 && err == nil; level++ {
		files := v.levels[level]
		for _, i := range st.pend {
			if k := searchLevel(files, keys[i]); k < len(files) && files[k].overlaps(keys[i], keys[i]) {
				st.add(files[k], i)
			}
		}
		dst, err = d.probe(st, dst, keys, seq, maxValue)
	}
	if err != nil {
		return dst, err
	}
	for i, sp := range st.spans {
		switch {
		case sp == largeSpan:
			vals[i], found[i] = nil, true
		case sp.start < 0:
			vals[i], found[i] = nil, false
		case sp.start == sp.end:
			vals[i], found[i] = emptyValue, true
		default:
			vals[i], found[i] = dst[sp.start:sp.end:sp.end], true
		}
	}
	return dst, nil
}

// largeSpan marks a value GetMany found but did not read (maxValue), and
// emptyValue is an empty value found: not nil, whatever dst is.
var (
	largeSpan  = valSpan{-2, -2}
	emptyValue = []byte{}
)

// getMany is GetMany's scratch, pooled: its lookups keep their value
// buffers from call to call.
type getMany struct {
	spans    []valSpan     // per key: its value in dst, or -1
	rangeSeq []base.SeqNum // per key: the newest range tombstone over it
	pend     []int         // the keys not answered yet
	done     []bool        // per key: answered
	hashes   []uint64      // per key: its memtable hash
	ls       []sstable.Lookup
	keyOf    []int           // per lookup: its key
	files    []*FileMetadata // per lookup: its table
	ents     []*tableCacheEntry
}

type valSpan struct{ start, end int }

var getManyPool = sync.Pool{New: func() any { return new(getMany) }}

// maxKeptLookupBuf bounds the value buffer a pooled lookup keeps, and
// maxKeptLookups the keys and lookups a pooled scratch keeps room for: at
// most 256 KiB of buffers.
const (
	maxKeptLookupBuf = 4 << 10
	maxKeptLookups   = 64
)

func (st *getMany) release() {
	if cap(st.spans) > maxKeptLookups || cap(st.ls) > maxKeptLookups {
		return // a large call (an MGET of many keys): keep nothing of it

	}
	for i := range st.ls[:cap(st.ls)] {
		l := &st.ls[:cap(st.ls)][i]
		dst := l.Dst
		if cap(dst) > maxKeptLookupBuf {
			dst = nil
		}
		*l = sstable.Lookup{Dst: dst[:0]}
	}
	clear(st.files[:cap(st.files)])
	clear(st.ents[:cap(st.ents)])
	getManyPool.Put(st)
}

// add queues the lookup of key i in table f for the next probe.
func (st *getMany) add(f *FileMetadata, i int) {
	n := len(st.ls)
	if n < cap(st.ls) {
		st.ls = st.ls[:n+1]
	} else {
		st.ls = append(st.ls, sstable.Lookup{})
	}
	st.keyOf = append(st.keyOf, i)
	st.files = append(st.files, f)
}

// probe runs the queued lookups (one level's, or one level-0 table's),
// records the keys they answer and drops those from st.pend.
func (d *DB) probe(st *getMany, dst []byte, keys [][]byte, seq base.SeqNum, maxValue int) ([]byte, error) {
	defer func() {
		for j, e := range st.ents {
			if e != nil && (j == 0 || st.ents[j-1] != e) {
				d.tableCache.logClose(e.num, e.unref())
			}
		}
		st.ls, st.keyOf, st.files, st.ents = st.ls[:0], st.keyOf[:0], st.files[:0], st.ents[:0]
	}()
	if len(st.ls) == 0 {
		return dst, nil
	}
	// One reference per run of lookups in the same table.
	for j, f := range st.files {
		if j > 0 && st.files[j-1] == f {
			st.ents = append(st.ents, st.ents[j-1])
			continue
		}
		e, err := d.tableCache.acquire(f)
		if err != nil {
			return dst, fmt.Errorf("lsm: reading table %s: %w", f.FileNum, err)
		}
		st.ents = append(st.ents, e)
	}
	for j := range st.ls {
		l := &st.ls[j]
		l.R, l.Key, l.Seq, l.Dst, l.MaxValue = st.ents[j].reader, keys[st.keyOf[j]], seq, l.Dst[:0], maxValue
	}
	sstable.GetMany(st.ls)
	for j := range st.ls {
		l := &st.ls[j]
		if cap(l.Value) >= cap(l.Dst) {
			l.Dst = l.Value[:0] // keep the grown buffer
		}
		if l.Err != nil {
			return dst, fmt.Errorf("lsm: reading table %s: %w", st.files[j].FileNum, l.Err)
		}
		if !l.Found {
			continue
		}
		i := st.keyOf[j]
		st.done[i] = true
		if l.Kind == base.InternalKeyKindDelete {
			continue
		}
		if rangeSeq := st.rangeSeq[i]; rangeSeq > 0 {
			// The entry's own sequence number decides (getFromTable).
			start := len(dst)
			val, _, err := d.getFromTable(dst, st.files[j], keys[i], seq, rangeSeq)
			switch {
			case err == nil && maxValue > 0 && len(val)-start > maxValue:
				st.spans[i] = largeSpan
			case err == nil:
				dst = val
				st.spans[i] = valSpan{start, len(dst)}
			case !errors.Is(err, ErrNotFound):
				return dst, err
			}
			continue
		}
		if l.Large {
			st.spans[i] = largeSpan
			continue
		}
		start := len(dst)
		dst = append(dst, l.Value...)
		st.spans[i] = valSpan{start, len(dst)}
	}
	pend := st.pend[:0]
	for _, i := range st.pend {
		if !st.done[i] {
			pend = append(pend, i)
		}
	}
	st.pend = pend
	return dst, nil
}
