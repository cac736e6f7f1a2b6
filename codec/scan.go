package codec

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// KEYS and SCAN.
//
// # SCAN cursors
//
// A SCAN position is a key: the last metadata key examined. Clients parse
// cursors as unsigned 64-bit numbers, so the position is kept server-side in
// a cursor table and the client receives the table entry's id. Ids come from
// a counter that starts at a random value for each Keyspace (so ids from a
// previous process are almost surely unknown) and never repeats; the table
// is a ring of Options.ScanCursors slots indexed by id modulo its size, so a
// slot holds the position of the newest id mapped to it.
//
// Resuming from id c reads the keys strictly after the position. An id that
// is unknown (never issued, evicted from its slot, issued for another
// database) restarts the scan from the beginning. 0 starts a scan and 0 is
// returned when it ends.
//
// Guarantee (Redis's): every key present from the start to the end of a full
// iteration is returned at least once. Keys are visited in key order and each
// call resumes strictly after the last key the previous call examined, so a
// key present throughout is examined in the call whose window covers it;
// restarts only add calls. Keys added or removed during the scan may or may
// not be returned, and unlike Redis a key is never returned twice unless the
// cursor was lost.

// ScanOptions are SCAN's options. Match nil means all keys; Count is the
// number of keys examined per call (default 10); Type filters by type name
// ("string", "hash", ...; an unknown name matches nothing).
type ScanOptions struct {
	Match []byte
	Count int
	Type  string
}

// DefaultScanCount is SCAN's COUNT when none is given.
const DefaultScanCount = 10

// Keys implements KEYS: every live key matching pattern, in key order.
func (d *DB) Keys(pattern []byte) ([][]byte, error) {
	all := isMatchAll(pattern)
	var out [][]byte
	err := d.forEachLive(literalPrefix(pattern), func(k []byte, _ *Metadata) (bool, error) {
		if all || Match(pattern, k) {
			out = append(out, append([]byte{}, k...))
		}
		return true, nil
	})
	return out, err
}

// isMatchAll is Redis's shortcut for the pattern "*", which (unlike the
// matcher) also matches the empty key.
func isMatchAll(pattern []byte) bool { return len(pattern) == 1 && pattern[0] == '*' }

// Scan implements SCAN: it examines up to Count keys after the cursor's
// position and returns those that are live and pass the filters, with the
// next cursor (0 when the iteration is complete).
func (d *DB) Scan(cursor uint64, o ScanOptions) (next uint64, keys [][]byte, err error) {
	count := o.Count
	if count <= 0 {
		count = DefaultScanCount
	}
	matchAll := o.Match == nil || isMatchAll(o.Match)
	var prefix []byte
	if !matchAll {
		prefix = literalPrefix(o.Match)
	}
	lower := AppendMetaKey(nil, d.num, prefix)
	upper := prefixEnd(lower)
	start := lower
	if cursor != 0 {
		if after, ok := d.ks.cursors.lookup(cursor, d.num); ok {
			start = append(after, 0) // the first key strictly after the position
		}
	}
	it, err := d.ks.store.NewIter(lower, upper)
	if err != nil {
		return 0, nil, err
	}
	defer it.Close()
	now := d.ks.nowMs()
	examined := 0
	var last []byte
	ok := it.SeekGE(start)
	for ; ok && examined < count; ok = it.Next() {
		examined++
		// A copy: the loop moves the iterator once more before last is saved.
		last = append(last[:0], it.Key()...)
		k := last[metaPrefixLen:]
		if !matchAll && !Match(o.Match, k) {
			continue
		}
		m, err := DecodeMetadata(it.Value())
		if err != nil {
			return 0, nil, err
		}
		expired := m.ExpiredAt(now)
		if o.Type != "" {
			// Redis 7.0 reads the type of each key that passed MATCH with
			// a read lookup, counted as one (TakeLookups).
			d.countLookup(!expired)
		}
		if expired {
			// Redis 7.0 reads an expired key's type as "none", so TYPE none
			// returns the expired keys a SCAN meets (and only those).
			if o.Type != "none" {
				continue
			}
		} else if o.Type != "" && m.Type.String() != o.Type {
			continue
		}
		keys = append(keys, append([]byte{}, k...))
	}
	if err := it.Error(); err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, keys, nil // nothing left after the window
	}
	return d.ks.cursors.save(d.num, last), keys, nil
}

// cursorTable maps SCAN cursor ids to positions (see the package comment on
// SCAN cursors above).
type cursorTable struct {
	mu struct {
		sync.Mutex
		next  uint64
		slots []cursorSlot
	}
}

type cursorSlot struct {
	id  uint64
	db  uint8
	pos []byte // metadata key of the last key examined
}

func newCursorTable(n int) *cursorTable {
	t := &cursorTable{}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	// Start in the lower half so the counter never wraps in practice; ids
	// stay well inside what clients parse.
	t.mu.next = binary.BigEndian.Uint64(seed[:])>>2 | 1
	t.mu.slots = make([]cursorSlot, n)
	return t
}

// save records pos (a metadata key, copied) and returns its new id.
func (t *cursorTable) save(db uint8, pos []byte) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.mu.next
	t.mu.next++
	if t.mu.next == 0 {
		t.mu.next = 1
	}
	t.mu.slots[id%uint64(len(t.mu.slots))] = cursorSlot{id: id, db: db, pos: append([]byte(nil), pos...)}
	return id
}

// lookup returns a copy of the position saved under id for db.
func (t *cursorTable) lookup(id uint64, db uint8) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.mu.slots[id%uint64(len(t.mu.slots))]
	if s.id != id || s.db != db || s.pos == nil {
		return nil, false
	}
	return append([]byte(nil), s.pos...), true
}
