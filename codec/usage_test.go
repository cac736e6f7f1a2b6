package codec

import (
	"fmt"
	"testing"
)

func TestMemoryUsage(t *testing.T) {
	f := newFixture(t)
	usage := func(key string, samples int) (int64, bool) {
		t.Helper()
		n, found, err := f.db.MemoryUsage(b(key), samples)
		if err != nil {
			t.Fatal(err)
		}
		return n, found
	}
	if _, found := usage("missing", 5); found {
		t.Fatal("missing key found")
	}

	// A string: its metadata entry, value inline.
	f.set("s", "hello")
	m := Metadata{Type: TypeString, Value: b("hello")}
	want := int64(len(MetaKey(0, b("s"))) + m.EncodedLen() + EntryOverhead)
	if n, found := usage("s", 5); !found || n != want {
		t.Fatalf("string usage = %d %v, want %d", n, found, want)
	}
	// A TTL adds its expiry index entry.
	if ok, err := f.db.Expire(b("s"), t0+60_000, 0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	withTTL := want + int64(len(ExpiryKey(t0+60_000, 0, b("s")))) + EntryOverhead
	if n, _ := usage("s", 5); n != withTTL {
		t.Fatalf("string with TTL = %d, want %d", n, withTTL)
	}
	// An expired key is gone.
	f.clock.Advance(60_000)
	if _, found := usage("s", 5); found {
		t.Fatal("expired key found")
	}

	// A hash of equal-sized fields: sampling 5 and reading all agree, and
	// both are the metadata plus count x one element entry.
	var pairs [][]byte
	for i := range 100 {
		pairs = append(pairs, b(fmt.Sprintf("field%03d", i)), b(fmt.Sprintf("value%03d", i)))
	}
	if _, err := f.db.HSet(b("h"), pairs); err != nil {
		t.Fatal(err)
	}
	hm, _, _ := f.db.Metadata(b("h"))
	elem := int64(len(DataKey(0, hm.UUID, subElement, b("field000"))) + len("value000") + EntryOverhead)
	hwant := int64(len(MetaKey(0, b("h")))+hm.EncodedLen()+EntryOverhead) + 100*elem
	for _, samples := range []int{5, 0, 1000} {
		if n, _ := usage("h", samples); n != hwant {
			t.Fatalf("hash usage samples=%d: %d, want %d", samples, n, hwant)
		}
	}

	// Unequal elements: SAMPLES 0 is exact, a small sample extrapolates
	// from the first elements in key order.
	if _, err := f.db.SAdd(b("set"), [][]byte{b("a"), b("b"), b("c"), b("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")}); err != nil {
		t.Fatal(err)
	}
	all, _ := usage("set", 0)
	one, _ := usage("set", 1)
	if one >= all {
		t.Fatalf("sampling the short first member should underestimate: one=%d all=%d", one, all)
	}

	// A sorted set counts both of its entries per member.
	if _, err := f.db.ZAdd(b("z"), ZAddOptions{}, []float64{1, 2}, [][]byte{b("m1"), b("m2")}); err != nil {
		t.Fatal(err)
	}
	zm, _, _ := f.db.Metadata(b("z"))
	k := len(DataKey(0, zm.UUID, subElement, b("m1")))
	zwant := int64(len(MetaKey(0, b("z")))+zm.EncodedLen()+EntryOverhead) + 2*int64(k+8+EntryOverhead+k+8+EntryOverhead)
	if n, _ := usage("z", 5); n != zwant {
		t.Fatalf("zset usage = %d, want %d", n, zwant)
	}
}
