package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestMetaKeyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		db  uint8
		key string
	}{{0, ""}, {0, "a"}, {15, "user:1"}, {255, "\x00\xff"}} {
		k := MetaKey(tc.db, b(tc.key))
		if k[0] != 'm' || k[1] != tc.db {
			t.Fatalf("MetaKey(%d, %q) = %q", tc.db, tc.key, k)
		}
		db, uk, err := DecodeMetaKey(k)
		if err != nil || db != tc.db || string(uk) != tc.key {
			t.Fatalf("DecodeMetaKey(%q) = %d %q %v", k, db, uk, err)
		}
	}
	for _, bad := range []string{"", "m", "x\x00k", "d\x00"} {
		if _, _, err := DecodeMetaKey(b(bad)); !errors.Is(err, ErrCorruption) {
			t.Errorf("DecodeMetaKey(%q) = %v, want corruption", bad, err)
		}
	}
}

func TestExpiryKeyRoundTripAndOrder(t *testing.T) {
	ats := []int64{1, 255, 256, 1 << 31, t0, t0 + 1, math.MaxInt64}
	var prev []byte
	for _, at := range ats {
		k := ExpiryKey(at, 3, b("key"))
		gotAt, db, uk, err := DecodeExpiryKey(k)
		if err != nil || gotAt != at || db != 3 || string(uk) != "key" {
			t.Fatalf("DecodeExpiryKey(%q) = %d %d %q %v", k, gotAt, db, uk, err)
		}
		// Byte order is time order, whatever the db and key that follow.
		if prev != nil && bytes.Compare(prev, ExpiryKey(at, 0, nil)) >= 0 {
			t.Fatalf("expiry keys out of order at %d", at)
		}
		prev = ExpiryKey(at, 255, b("\xff\xff"))
		r := ExpiryDueRange(at)
		if bytes.Compare(k, r.Start) < 0 || bytes.Compare(k, r.End) >= 0 {
			t.Fatalf("key due at %d outside ExpiryDueRange(%d)", at, at)
		}
		if at > 1 {
			if r := ExpiryDueRange(at - 1); bytes.Compare(k, r.End) < 0 {
				t.Fatalf("key due at %d inside ExpiryDueRange(%d)", at, at-1)
			}
		}
	}
	for _, bad := range [][]byte{nil, b("x"), b("x\x00\x00\x00\x00\x00\x00\x00\x01"), ExpiryKey(0, 0, b("k")),
		append([]byte{'x', 0x80, 0, 0, 0, 0, 0, 0, 0, 0}, 'k'), append([]byte{'m'}, ExpiryKey(5, 0, b("k"))[1:]...)} {
		if _, _, _, err := DecodeExpiryKey(bad); !errors.Is(err, ErrCorruption) {
			t.Errorf("DecodeExpiryKey(%q) = %v, want corruption", bad, err)
		}
	}
}

func TestDataKeyAndRanges(t *testing.T) {
	uuids := []uint64{1, 255, 256, 1 << 40, math.MaxUint64 - 1, math.MaxUint64}
	for i, u := range uuids {
		k := DataKey(7, u, 2, b("field"))
		db, gotU, sub, field, err := DecodeDataKey(k)
		if err != nil || db != 7 || gotU != u || sub != 2 || string(field) != "field" {
			t.Fatalf("DecodeDataKey(%q) = %d %d %d %q %v", k, db, gotU, sub, field, err)
		}
		r := DataRange(7, u)
		in := func(k []byte) bool {
			return bytes.Compare(k, r.Start) >= 0 && (r.End == nil || bytes.Compare(k, r.End) < 0)
		}
		if !in(k) || !in(DataKey(7, u, 0, nil)) || !in(DataKey(7, u, 255, b("\xff\xff\xff"))) {
			t.Fatalf("data key of uuid %d outside DataRange", u)
		}
		if i > 0 {
			// uuid order is byte order, and neighbouring ranges do not overlap.
			if bytes.Compare(DataRange(7, uuids[i-1]).End, r.Start) > 0 {
				t.Fatalf("DataRange(%d) overlaps DataRange(%d)", uuids[i-1], u)
			}
		}
		if in(DataKey(8, u, 0, nil)) || in(DataKey(6, u, 0, nil)) {
			t.Fatalf("DataRange(7, %d) holds another db's key", u)
		}
	}
	// The ranges of consecutive uuids abut exactly (one chain of
	// tombstones, for the engine's delete-only compactions).
	for _, u := range []uint64{1, 255, 256, 0xffff, 1<<40 - 1, math.MaxUint64 - 1} {
		if end, next := DataRange(7, u).End, DataRange(7, u+1).Start; !bytes.Equal(end, next) {
			t.Fatalf("DataRange(7, %d) ends at %q, DataRange(7, %d) starts at %q", u, end, u+1, next)
		}
	}
	if r := DataRange(255, math.MaxUint64); !bytes.Equal(r.End, []byte{'d' + 1}) {
		t.Fatalf("DataRange(255, max).End = %q", r.End)
	}
	if _, _, _, _, err := DecodeDataKey(b("d\x00short")); !errors.Is(err, ErrCorruption) {
		t.Fatal("short data key accepted")
	}
}

func TestDBRanges(t *testing.T) {
	for _, db := range []uint8{0, 1, 254, 255} {
		rs := DBRanges(db)
		if len(rs) != 2 {
			t.Fatalf("DBRanges(%d) has %d ranges", db, len(rs))
		}
		inside := [][]byte{MetaKey(db, nil), MetaKey(db, b("\xff\xff")), DataKey(db, 1, 0, nil), DataKey(db, math.MaxUint64, 9, b("z"))}
		outside := [][]byte{MetaKey(db+1, nil), DataKey(db+1, 1, 0, nil), ExpiryKey(5, db, b("k"))}
		if db > 0 {
			outside = append(outside, MetaKey(db-1, b("\xff")), DataKey(db-1, math.MaxUint64, 0, nil))
		}
		covered := func(k []byte) bool {
			for _, r := range rs {
				if bytes.Compare(k, r.Start) >= 0 && bytes.Compare(k, r.End) < 0 {
					return true
				}
			}
			return false
		}
		for _, k := range inside {
			if !covered(k) {
				t.Errorf("db %d: %q not covered", db, k)
			}
		}
		for _, k := range outside {
			if covered(k) {
				t.Errorf("db %d: %q covered", db, k)
			}
		}
	}
	all := AllRanges()
	if len(all) != 3 || string(all[0].Start) != "m" || string(all[0].End) != "n" || string(all[2].End) != "y" {
		t.Fatalf("AllRanges = %q", all)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	for _, m := range []Metadata{
		{Type: TypeString, Value: []byte{}},
		{Type: TypeString, Value: b("hello"), ExpireAt: t0},
		{Type: TypeString, Value: b("\x00\x01"), ExpireAt: math.MaxInt64},
		{Type: TypeHash, UUID: 1, Count: 0},
		{Type: TypeSet, UUID: math.MaxUint64, Count: 10, ExpireAt: 5},
		{Type: TypeZSet, UUID: 42, Count: 1 << 40},
		{Type: TypeList, UUID: 9, Count: 0, Head: ListInitialIndex, Tail: ListInitialIndex},
		{Type: TypeList, UUID: 9, Count: 3, Head: ListInitialIndex - 1, Tail: ListInitialIndex + 2},
	} {
		enc := m.Encode(nil)
		if len(enc) != m.EncodedLen() {
			t.Fatalf("%+v: EncodedLen %d, encoded %d", m, m.EncodedLen(), len(enc))
		}
		got, err := DecodeMetadata(enc)
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if got.Type != m.Type || got.ExpireAt != m.ExpireAt || !bytes.Equal(got.Value, m.Value) ||
			got.UUID != m.UUID || got.Count != m.Count || got.Head != m.Head || got.Tail != m.Tail {
			t.Fatalf("round trip: %+v -> %+v", m, got)
		}
		if !bytes.Equal(got.Encode(nil), enc) {
			t.Fatalf("%+v: re-encoding differs", m)
		}
	}
}

func TestMetadataLayoutBytes(t *testing.T) {
	m := Metadata{Type: TypeList, ExpireAt: 0x0102030405060708, UUID: 0x1112131415161718, Count: 1,
		Head: 1 << 63, Tail: 1<<63 + 1}
	want := "\x03\x01\x00\x01\x02\x03\x04\x05\x06\x07\x08" +
		"\x11\x12\x13\x14\x15\x16\x17\x18" + "\x00\x00\x00\x00\x00\x00\x00\x01" +
		"\x80\x00\x00\x00\x00\x00\x00\x00" + "\x80\x00\x00\x00\x00\x00\x00\x01"
	if got := m.Encode(nil); string(got) != want {
		t.Fatalf("list metadata = %q\nwant %q", got, want)
	}
	s := Metadata{Type: TypeString, Value: b("v")}
	if got := s.Encode(nil); string(got) != "\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00v" {
		t.Fatalf("string metadata = %q", got)
	}
}

func TestMetadataCorrupt(t *testing.T) {
	good := func(m Metadata) []byte { return m.Encode(nil) }
	hash := good(Metadata{Type: TypeHash, UUID: 1, Count: 1})
	list := good(Metadata{Type: TypeList, UUID: 1, Count: 1, Head: 5, Tail: 6})
	mut := func(src []byte, i int, v byte) []byte { c := bytes.Clone(src); c[i] = v; return c }
	for name, in := range map[string][]byte{
		"empty":          nil,
		"short header":   b("\x01\x01\x00\x00"),
		"type 0":         mut(hash, 0, 0),
		"type 6":         mut(hash, 0, 6),
		"version 0":      mut(hash, 1, 0),
		"version 2":      mut(hash, 1, 2),
		"unknown flag":   mut(hash, 2, 1),
		"expire > int64": mut(hash, 3, 0x80),
		"hash short":     hash[:len(hash)-1],
		"hash long":      append(bytes.Clone(hash), 0),
		"list as hash":   mut(hash, 0, byte(TypeList)),
		"hash as list":   mut(list, 0, byte(TypeHash)),
		"uuid 0":         good(Metadata{Type: TypeSet, UUID: 0}),
		"list count":     good(Metadata{Type: TypeList, UUID: 1, Count: 2, Head: 5, Tail: 6}),
		"list reversed":  good(Metadata{Type: TypeList, UUID: 1, Count: 1, Head: 6, Tail: 5}),
	} {
		if _, err := DecodeMetadata(in); !errors.Is(err, ErrCorruption) {
			t.Errorf("%s: DecodeMetadata(%q) = %v, want corruption", name, in, err)
		}
	}
}
