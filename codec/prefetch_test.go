package codec

import (
	"bytes"
	"strings"
	"testing"
)

// hintStore records the read hints it is given.
type hintStore struct {
	*MemStore
	hints [][]byte
}

func (h *hintStore) PrefetchKey(key []byte) { h.hints = append(h.hints, bytes.Clone(key)) }

// A DB with Buffers hints the store with the metadata key of the user key
// (through a transaction's or a run's store too) and allocates nothing for
// it; without Buffers, for a long key, or over a store without the hint,
// it does nothing.
func TestPrefetchHintsMetaKey(t *testing.T) {
	store := &hintStore{MemStore: NewMemStore()}
	ks := New(store, nil)
	var buf Buffers
	cases := []struct {
		name string
		ks   *Keyspace
	}{
		{"engine", ks},
		{"transaction", ks.InTransaction(NewTxnStore(store))},
		{"run", ks.InRun(NewRunStore(store))},
	}
	for _, c := range cases {
		store.hints = nil
		c.ks.DBWith(3, &buf).Prefetch(b("user"))
		if len(store.hints) != 1 || !bytes.Equal(store.hints[0], MetaKey(3, b("user"))) {
			t.Fatalf("%s: hints %q, want the metadata key of db 3's user", c.name, store.hints)
		}
	}
	store.hints = nil
	ks.DB(0).Prefetch(b("user"))
	ks.DBWith(0, &buf).Prefetch([]byte(strings.Repeat("k", maxPrefetchKey+1)))
	if len(store.hints) != 0 {
		t.Fatalf("hints without Buffers or for a long key: %q", store.hints)
	}
	New(NewMemStore(), nil).DBWith(0, &buf).Prefetch(b("user")) // no hint to give: no panic

	quiet := New(noHint{NewMemStore()}, nil)
	d := quiet.DBWith(0, &buf)
	d.Prefetch(b("warm")) // grows the buffer once
	if n := testing.AllocsPerRun(100, func() { d.Prefetch(b("user")) }); n != 0 {
		t.Fatalf("Prefetch allocates %v times", n)
	}
}

// noHint takes the hint and drops it (a store whose hint costs nothing).
type noHint struct{ *MemStore }

func (noHint) PrefetchKey([]byte) {}

// PrefetchElement hints the data key of the element in the complex key the
// last update through the same Buffers opened, under that key's uuid; for
// another key, database or type of access it hints nothing.
func TestPrefetchElement(t *testing.T) {
	store := &hintStore{MemStore: NewMemStore()}
	ks := New(store, nil)
	var buf Buffers
	d := ks.DBWith(0, &buf)
	d.PrefetchElement(b("s"), b("m")) // no update yet
	if _, err := d.SAdd(b("s"), [][]byte{b("a")}); err != nil {
		t.Fatal(err)
	}
	m, _, err := d.Metadata(b("s"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.PrefetchElement(b("s"), b("m")) {
		t.Fatal("PrefetchElement reports no hint for the key the update opened")
	}
	if d.PrefetchElement(b("other"), b("m")) || ks.DBWith(1, &buf).PrefetchElement(b("s"), b("m")) {
		t.Fatal("PrefetchElement reports a hint for another key or database")
	}
	want := appendDataKey(nil, 0, m.UUID, subElement, b("m"))
	if len(store.hints) != 1 || !bytes.Equal(store.hints[0], want) {
		t.Fatalf("hints %q, want only %q", store.hints, want)
	}
	// An update of a key that is not live leaves nothing to go by.
	store.hints = nil
	if _, err := d.SRem(b("absent"), [][]byte{b("x")}); err != nil {
		t.Fatal(err)
	}
	d.PrefetchElement(b("absent"), b("x"))
	d.PrefetchElement(b("s"), b("m"))
	if len(store.hints) != 0 {
		t.Fatalf("hints after an update of an absent key: %q", store.hints)
	}
	var qbuf Buffers
	dq := New(noHint{NewMemStore()}, nil).DBWith(0, &qbuf)
	if _, err := dq.SAdd(b("s"), [][]byte{b("a")}); err != nil {
		t.Fatal(err)
	}
	dq.PrefetchElement(b("s"), b("warm")) // grows the buffer once
	if n := testing.AllocsPerRun(100, func() { dq.PrefetchElement(b("s"), b("m")) }); n != 0 {
		t.Fatalf("PrefetchElement allocates %v times", n)
	}
}
