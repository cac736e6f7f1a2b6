package codec

import (
	"bytes"
	"testing"
)

func TestCompactionDrop(t *testing.T) {
	str := func(at int64) []byte { return (&Metadata{Type: TypeString, Value: b("v"), ExpireAt: at}).Encode(nil) }
	hash := (&Metadata{Type: TypeHash, UUID: 1, ExpireAt: t0 - 1}).Encode(nil)
	for _, tc := range []struct {
		name       string
		key, value []byte
		want       bool
		clock      int // clock readings CompactionDropFunc makes
	}{
		{"expired string", MetaKey(0, b("k")), str(t0 - 1), true, 1},
		{"string expiring now", MetaKey(0, b("k")), str(t0), true, 1},
		{"live string", MetaKey(0, b("k")), str(t0 + 1), false, 1},
		{"string without TTL", MetaKey(0, b("k")), str(0), false, 0},
		{"expired hash keeps its metadata", MetaKey(0, b("h")), hash, false, 0},
		{"data key", DataKey(0, 1, 0, b("f")), str(t0 - 1), false, 0},
		{"expiry index entry", ExpiryKey(t0-1, 0, b("k")), nil, false, 0},
		{"corrupt", MetaKey(0, b("k")), append(str(t0 - 1)[:2], 9), false, 0},
	} {
		if got := CompactionDrop(tc.key, tc.value, t0); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		// The filter the server installs answers alike, and reads the
		// clock only for a string with an expiry.
		reads := 0
		drop := CompactionDropFunc(func() int64 { reads++; return t0 })
		if got := drop(tc.key, tc.value); got != tc.want {
			t.Errorf("%s: CompactionDropFunc %v, want %v", tc.name, got, tc.want)
		}
		if reads != tc.clock {
			t.Errorf("%s: %d clock readings, want %d", tc.name, reads, tc.clock)
		}
	}
}

func TestCorruptMetadataIsReported(t *testing.T) {
	f := newFixture(t)
	bt := f.store.NewBatch()
	bt.Set(MetaKey(0, b("bad")), b("\x07garbage"))
	f.store.Commit(bt)
	if _, _, err := f.db.Get(b("bad")); !isCorruption(err) {
		t.Fatalf("GET: %v", err)
	}
	if _, err := f.db.Del(b("bad")); !isCorruption(err) {
		t.Fatalf("DEL: %v", err)
	}
	if _, _, err := f.db.Scan(0, ScanOptions{}); !isCorruption(err) {
		t.Fatalf("SCAN: %v", err)
	}
}

func TestSplitTables(t *testing.T) {
	data := DataRange(0, 7).Start
	for _, tc := range []struct {
		prev, key []byte
		want      bool
	}{
		{MetaKey(0, []byte("a")), MetaKey(0, []byte("b")), false},
		{MetaKey(0, []byte("a")), MetaKey(3, []byte("a")), false},
		{data, append(append([]byte(nil), data...), 'x'), false},
		{data, MetaKey(0, []byte("a")), true},
		{MetaKey(0, []byte("z")), ExpiryKey(5, 0, []byte("a")), true},
	} {
		if got := SplitTables(tc.prev, tc.key); got != tc.want {
			t.Errorf("SplitTables(%q, %q) = %v, want %v", tc.prev, tc.key, got, tc.want)
		}
	}
}

func TestCompactionScope(t *testing.T) {
	m, d, x := MetaKey(0, b("k")), DataKey(0, 7, 0, b("f")), ExpiryKey(t0, 0, b("k"))
	for _, tc := range []struct {
		name              string
		smallest, largest []byte
		want              bool
	}{
		{"metadata", m, MetaKey(3, b("z")), true},
		{"element data", d, DataKey(0, 9, 0, b("g")), false},
		{"expiry index", x, ExpiryKey(t0+5, 0, b("a")), false},
		{"data to metadata", d, m, true},
		{"metadata to expiry index", m, x, true},
		{"data to expiry index", d, x, true}, // metadata lies between
		{"config", []byte{FamilyConfig, 'u'}, []byte{FamilyConfig, 'v'}, false},
		{"everything", nil, []byte{0xff}, true},
	} {
		if got := CompactionScope(tc.smallest, tc.largest); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		// The scope must hold every key CompactionDrop could drop.
		if !tc.want && bytes.Compare(tc.smallest, m) <= 0 && bytes.Compare(m, tc.largest) <= 0 {
			t.Errorf("%s: out of scope but holds %q", tc.name, m)
		}
	}
}
