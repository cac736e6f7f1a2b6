package base

import (
	"math/rand/v2"
	"testing"
)

// Separator(a, b) returns k with a <= k < b for random pairs, including
// pairs that differ by one at the first differing byte.
func TestSeparatorRandomPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cmp := DefaultComparer
	alphabet := []byte{0, 1, 2, 0xfe, 0xff, 'a', 'b'}
	gen := func() []byte {
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return b
	}
	for range 100000 {
		a, b := gen(), gen()
		if c := cmp.Compare(a, b); c == 0 {
			continue
		} else if c > 0 {
			a, b = b, a
		}
		k := cmp.Separator(nil, a, b)
		if cmp.Compare(a, k) > 0 || cmp.Compare(k, b) >= 0 {
			t.Fatalf("Separator(%q, %q) = %q, not in [a, b)", a, b, k)
		}
		if s := cmp.Successor(nil, a); cmp.Compare(s, a) < 0 {
			t.Fatalf("Successor(%q) = %q < a", a, s)
		}
	}
}
