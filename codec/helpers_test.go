package codec

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// testClock is an injectable clock in Unix milliseconds.
type testClock struct{ ms atomic.Int64 }

func (c *testClock) Now() time.Time   { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) Advance(ms int64) { c.ms.Add(ms) }
func (c *testClock) Ms() int64        { return c.ms.Load() }
func (c *testClock) Set(ms int64)     { c.ms.Store(ms) }
func newClock(start int64) *testClock { c := &testClock{}; c.ms.Store(start); return c }
func b(s string) []byte               { return []byte(s) }

const t0 = 1_700_000_000_000 // the tests' "now" in Unix ms

type fixture struct {
	t     *testing.T
	store *MemStore
	clock *testClock
	ks    *Keyspace
	db    *DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, store: NewMemStore(), clock: newClock(t0)}
	f.ks = New(f.store, &Options{Now: f.clock.Now, MaxStringLen: 1 << 20, ScanCursors: 64})
	f.db = f.ks.DB(0)
	return f
}

func (f *fixture) set(k, v string) {
	f.t.Helper()
	if _, err := f.db.Set(b(k), b(v), SetOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) setEx(k, v string, at int64) {
	f.t.Helper()
	if _, err := f.db.Set(b(k), b(v), SetOptions{ExpireAt: at}); err != nil {
		f.t.Fatal(err)
	}
}

// get returns the value or "<nil>".
func (f *fixture) get(k string) string {
	f.t.Helper()
	v, ok, err := f.db.Get(b(k))
	if err != nil {
		f.t.Fatalf("GET %s: %v", k, err)
	}
	if !ok {
		return "<nil>"
	}
	return string(v)
}

func (f *fixture) pttl(k string) int64 {
	f.t.Helper()
	v, err := f.db.PTTL(b(k))
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// putComplex stores a fake complex key with some data, as the future type
// code would, to exercise the hooks.
func (f *fixture) putComplex(db uint8, k string, typ Type, uuid uint64, expireAt int64) {
	f.t.Helper()
	m := Metadata{Type: typ, UUID: uuid, Count: 2, ExpireAt: expireAt}
	if typ == TypeList {
		m.Head, m.Tail = ListInitialIndex, ListInitialIndex+2
	}
	bt := f.store.NewBatch()
	bt.Set(MetaKey(db, b(k)), m.Encode(nil))
	bt.Set(DataKey(db, uuid, 0, b("f1")), b("v1"))
	bt.Set(DataKey(db, uuid, 0, b("f2")), b("v2"))
	if expireAt != 0 {
		bt.Set(ExpiryKey(expireAt, db, b(k)), nil)
	}
	if err := f.store.Commit(bt); err != nil {
		f.t.Fatal(err)
	}
}

// familyCount counts stored keys of one family.
func (f *fixture) familyCount(fam byte) int {
	n := 0
	for _, k := range f.store.Keys() {
		if k[0] == fam {
			n++
		}
	}
	return n
}

// checkIndex verifies invariant 3 exactly: the expiry index holds one entry
// per record with an expiry and nothing else.
func (f *fixture) checkIndex() {
	f.t.Helper()
	want := map[string]bool{}
	got := map[string]bool{}
	for _, k := range f.store.Keys() {
		switch k[0] {
		case FamilyMeta:
			v, err := f.store.Get(k)
			if err != nil {
				f.t.Fatal(err)
			}
			m, err := DecodeMetadata(v)
			if err != nil {
				f.t.Fatal(err)
			}
			if m.ExpireAt != 0 {
				want[string(ExpiryKey(m.ExpireAt, k[1], k[2:]))] = true
			}
		case FamilyExpiry:
			got[string(k)] = true
		}
	}
	for k := range want {
		if !got[k] {
			f.t.Errorf("missing expiry index entry %q", k)
		}
	}
	for k := range got {
		if !want[k] {
			f.t.Errorf("stray expiry index entry %q", k)
		}
	}
}

func keysEqual(got [][]byte, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i], b(want[i])) {
			return false
		}
	}
	return true
}

func isCorruption(err error) bool { return errors.Is(err, ErrCorruption) }
