package codec

import (
	"errors"
	"testing"
)

// TestRandomCountBound: a huge negative count is refused instead of
// materialising that many picks (it used to panic in makeslice).
func TestRandomCountBound(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.HSet(b("h"), [][]byte{b("a"), b("1")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.HRandField(b("h"), -9223372036854775807); !errors.Is(err, ErrRandomCountTooLarge) {
		t.Fatalf("HRANDFIELD -huge: %v", err)
	}
	fs, _, err := f.db.HRandField(b("h"), -MaxRandomCount/1024)
	if err != nil || len(fs) != MaxRandomCount/1024 {
		t.Fatalf("HRANDFIELD -%d: %d picks, %v", MaxRandomCount/1024, len(fs), err)
	}
	for _, k := range []int{0, 1, 5} {
		ords := randomOrdinals(5, k, true)
		seen := map[uint64]bool{}
		for _, o := range ords {
			if o >= 5 || seen[o] {
				t.Fatalf("distinct ordinals %v", ords)
			}
			seen[o] = true
		}
	}
}
