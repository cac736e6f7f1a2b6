package fuzz

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/strata-db/strata/codec"
)

// Sub-families of data keys (codec/FORMAT.md): element data, and a sorted
// set's score index.
const (
	subElement = 1
	subScore   = 2
)

// inRange reports whether k is in r = [Start, End), a nil End unbounded.
func inRange(k []byte, r codec.KeyRange) bool {
	return bytes.Compare(k, r.Start) >= 0 && (r.End == nil || bytes.Compare(k, r.End) < 0)
}

// listSlot is the data-key field of the list element pushed i places from
// the initial index: negative i to the left of the midpoint, positive to
// the right. int64 order maps onto uint64 slots monotonically.
func listSlot(i int64) []byte {
	return binary.BigEndian.AppendUint64(nil, codec.ListInitialIndex+uint64(i))
}

// FuzzCodecKeys checks the key layouts of codec/FORMAT.md on two of each
// kind of key built from the inputs: every decoder inverts its encoder, and
// the byte order of keys is their semantic order: metadata keys by (db,
// userkey); expiry keys by (expire-at, db, userkey), the due range holding
// exactly the keys due; data keys by (db, uuid, sub, field), every key of an
// incarnation inside its uuid range and the ranges of increasing uuids
// disjoint and increasing; zset index keys by (score, member), scores of
// every float64 but NaN, -0 stored as +0; list slots by signed index around
// the midpoint.
func FuzzCodecKeys(f *testing.F) {
	f.Fuzz(func(t *testing.T, x, y uint64, k1, k2 []byte) {
		db1, db2 := uint8(x>>56), uint8(y>>56)
		order := func(what string, ka, kb []byte, want int) {
			t.Helper()
			if got := bytes.Compare(ka, kb); got != want {
				t.Fatalf("%s: Compare(%x, %x) = %d, want %d", what, ka, kb, got, want)
			}
		}
		keyOrder := cmp.Compare(db1, db2)
		if keyOrder == 0 {
			keyOrder = bytes.Compare(k1, k2)
		}

		// Metadata keys.
		m1, m2 := codec.MetaKey(db1, k1), codec.MetaKey(db2, k2)
		if db, uk, err := codec.DecodeMetaKey(m1); err != nil || db != db1 || !bytes.Equal(uk, k1) {
			t.Fatalf("DecodeMetaKey(%x) = %d, %q, %v", m1, db, uk, err)
		}
		if !bytes.Equal(codec.AppendMetaKey([]byte("p"), db1, k1), append([]byte("p"), m1...)) {
			t.Fatalf("AppendMetaKey differs from MetaKey")
		}
		if !inRange(m1, codec.MetaRange(db1)) || inRange(m2, codec.MetaRange(db1)) != (db1 == db2) {
			t.Fatalf("metadata key outside (or inside another) database's range")
		}
		order("metadata keys", m1, m2, keyOrder)

		// Expiry index keys: expire-at in [1, 2^63-1].
		at1, at2 := int64(x>>1|1), int64(y>>1|1)
		x1, x2 := codec.ExpiryKey(at1, db1, k1), codec.ExpiryKey(at2, db2, k2)
		if at, db, uk, err := codec.DecodeExpiryKey(x1); err != nil || at != at1 || db != db1 || !bytes.Equal(uk, k1) {
			t.Fatalf("DecodeExpiryKey(%x) = %d, %d, %q, %v", x1, at, db, uk, err)
		}
		if inRange(x2, codec.ExpiryDueRange(at1)) != (at2 <= at1) || !inRange(x1, codec.ExpiryDueRange(at1)) {
			t.Fatalf("expiry key at %d: due at %d is %v", at2, at1, inRange(x2, codec.ExpiryDueRange(at1)))
		}
		order("expiry keys", x1, x2, cmp.Or(cmp.Compare(at1, at2), keyOrder))

		// Data keys of two incarnations; sub-family and field from the inputs.
		sub1, sub2 := byte(x), byte(y)
		d1, d2 := codec.DataKey(db1, x, sub1, k1), codec.DataKey(db2, y, sub2, k2)
		if db, u, sub, field, err := codec.DecodeDataKey(d1); err != nil || db != db1 || u != x || sub != sub1 || !bytes.Equal(field, k1) {
			t.Fatalf("DecodeDataKey(%x) = %d, %d, %d, %q, %v", d1, db, u, sub, field, err)
		}
		if !bytes.HasPrefix(d1, codec.DataPrefix(db1, x)) || !inRange(d1, codec.DataRange(db1, x)) ||
			!inRange(d1, codec.DBDataRange(db1)) || inRange(d2, codec.DataRange(db1, x)) != (db1 == db2 && x == y) {
			t.Fatalf("data key %x outside its uuid range, or %x inside another's", d1, d2)
		}
		order("data keys", d1, d2, cmp.Or(cmp.Compare(db1, db2), cmp.Compare(x, y), cmp.Compare(sub1, sub2), bytes.Compare(k1, k2)))
		if r1, r2 := codec.DataRange(db1, x), codec.DataRange(db1, y); x < y && bytes.Compare(r1.End, r2.Start) > 0 {
			t.Fatalf("uuid ranges overlap: %x > %x", r1.End, r2.Start)
		}

		// Sorted-set index keys: score(8) | member.
		s1, s2 := math.Float64frombits(x), math.Float64frombits(y)
		if !math.IsNaN(s1) && !math.IsNaN(s2) {
			z1 := append(codec.DataKey(0, 1, subScore, codec.AppendScore(nil, s1)), k1...)
			z2 := append(codec.DataKey(0, 1, subScore, codec.AppendScore(nil, s2)), k2...)
			// cmp.Compare takes -0 and +0 as equal, as Redis does.
			order("score index keys", z1, z2, cmp.Or(cmp.Compare(s1, s2), bytes.Compare(k1, k2)))
			got, ok := codec.DecodeScore(codec.AppendScore(nil, s1))
			if !ok || got != s1 || math.Signbit(got) != (s1 < 0) {
				t.Fatalf("DecodeScore(AppendScore(%v)) = %v, %v", s1, got, ok)
			}
		}
		// Any 8 bytes that decode as a score are that score's encoding.
		if len(k1) >= codec.ScoreLen {
			if s, ok := codec.DecodeScore(k1[:codec.ScoreLen]); ok && !bytes.Equal(codec.AppendScore(nil, s), k1[:codec.ScoreLen]) {
				t.Fatalf("DecodeScore(%x) = %v, which encodes as %x", k1[:codec.ScoreLen], s, codec.AppendScore(nil, s))
			}
		}

		// List slots, as signed offsets from the midpoint.
		i, j := int64(x), int64(y)
		l1, l2 := codec.DataKey(db1, 7, subElement, listSlot(i)), codec.DataKey(db1, 7, subElement, listSlot(j))
		order("list slots", l1, l2, cmp.Compare(i, j))
		if _, _, _, field, _ := codec.DecodeDataKey(l1); int64(binary.BigEndian.Uint64(field)-codec.ListInitialIndex) != i {
			t.Fatalf("list slot %d decodes as %d", i, int64(binary.BigEndian.Uint64(field)-codec.ListInitialIndex))
		}
	})
}

// FuzzCodecMetadata decodes arbitrary bytes as a metadata value: a
// corruption error, or a value that re-encodes to exactly the input.
func FuzzCodecMetadata(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := codec.DecodeMetadata(in)
		if err != nil {
			if !errors.Is(err, codec.ErrCorruption) {
				t.Fatalf("error outside the corruption class: %v", err)
			}
			return
		}
		if out := m.Encode(nil); !bytes.Equal(out, in) || m.EncodedLen() != len(in) {
			t.Fatalf("encode(decode(%q)) = %q (EncodedLen %d)", in, out, m.EncodedLen())
		}
	})
}

// FuzzParseScore checks that every score ParseScore accepts survives its
// own text (AppendScoreText, Redis's %.17g), and that the range-bound
// parser never panics.
func FuzzParseScore(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := codec.ParseScore([]byte(s)); ok {
			text := codec.AppendScoreText(nil, v)
			if back, ok := codec.ParseScore(text); !ok || math.Float64bits(back) != math.Float64bits(v) {
				t.Fatalf("%q -> %v -> %q -> %v, %v", s, v, text, back, ok)
			}
		}
		codec.ParseScoreBound([]byte(s))
	})
}

func codecKeySeeds(testing.TB) []seed {
	bits := math.Float64bits
	pairs := []struct {
		name string
		x, y uint64
	}{
		{"inf_vs_neg_inf", bits(math.Inf(1)), bits(math.Inf(-1))},
		{"neg_zero_vs_zero", bits(math.Copysign(0, -1)), 0},
		{"tiny_vs_neg_tiny", 1, bits(-math.SmallestNonzeroFloat64)},
		{"max_vs_min", math.MaxUint64, 0},
		{"midpoint_neighbours", uint64(1<<63 - 1), 1 << 63},
		{"list_minus_one_vs_zero", math.MaxUint64, 0},
		{"uuid_neighbours", 41, 42},
		{"same_db_other_key", 5 << 56, 5 << 56},
	}
	var seeds []seed
	for _, p := range pairs {
		seeds = append(seeds, seed{p.name, []any{p.x, p.y, []byte("key"), []byte("key\x00")}})
	}
	seeds = append(seeds, seed{"member_prefix", []any{bits(1.5), bits(1.5), []byte("ab"), []byte("a")}},
		seed{"empty_keys", []any{uint64(7), uint64(7), []byte{}, []byte{}}},
		seed{"ff_keys", []any{uint64(math.MaxUint64), uint64(math.MaxUint64 - 1), []byte{0xff, 0xff}, []byte{0xff}}})
	return seeds
}

func codecMetadataSeeds(testing.TB) []seed {
	str := codec.Metadata{Type: codec.TypeString, Value: []byte("v"), ExpireAt: 1700000000000}
	hash := codec.Metadata{Type: codec.TypeHash, UUID: 1, Count: 3}
	list := codec.Metadata{Type: codec.TypeList, UUID: 2, Count: 1, Head: codec.ListInitialIndex, Tail: codec.ListInitialIndex + 1}
	zset := codec.Metadata{Type: codec.TypeZSet, UUID: math.MaxUint64, Count: 0, ExpireAt: math.MaxInt64}
	bad := append(hash.Encode(nil), 0)
	return []seed{
		{"string", []any{str.Encode(nil)}},
		{"hash", []any{hash.Encode(nil)}},
		{"list", []any{list.Encode(nil)}},
		{"zset_max", []any{zset.Encode(nil)}},
		{"empty", []any{[]byte{}}},
		{"short_header", []any{[]byte{5, 1, 0}}},
		{"hash_too_long", []any{bad}},
	}
}

func parseScoreSeeds(testing.TB) []seed {
	var seeds []seed
	for name, s := range map[string]string{
		"int": "1", "tenth": "0.1", "neg_inf": "-inf", "hex": "0x1.8p3", "subnormal": "1e-320",
		"spaces": "  1", "exclusive": "(5", "empty": "", "neg_zero": "-0", "overflow": "1e400",
		"nan": "nan", "nul": "2\x00junk",
	} {
		seeds = append(seeds, seed{name, []any{s}})
	}
	return seeds
}
