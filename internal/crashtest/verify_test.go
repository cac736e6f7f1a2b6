package crashtest

import "testing"

// TestFindCut checks the prefix search on a hand-made history: two keys,
// a transaction over both, and states that did or did not exist.
func TestFindCut(t *testing.T) {
	w := &writer{names: []string{"a", "b"}, start: []string{"none", "none"}}
	w.ops = []op{
		{keys: []int{0}, after: []string{"a1"}},
		{keys: []int{1}, after: []string{"b1"}},
		{keys: []int{0, 1}, after: []string{"a2", "b2"}}, // MULTI/EXEC
		{keys: []int{0}, after: []string{"none"}},
	}
	for _, tc := range []struct {
		name     string
		observed []string
		floor    int
		cut      int
	}{
		{"nothing applied", []string{"none", "none"}, 0, 0},
		{"all applied", []string{"none", "b2"}, 4, 4},
		{"prefix of two", []string{"a1", "b1"}, 1, 2},
		{"transaction applied", []string{"a2", "b2"}, 2, 3},
		{"half a transaction", []string{"a2", "b1"}, 0, -1},
		{"never existed", []string{"a9", "none"}, 0, -1},
		{"out of order", []string{"none", "b1"}, 0, -1},
		{"below the floor", []string{"a1", "none"}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := w.findCut(tc.observed, tc.floor)
			if res.cut != tc.cut {
				t.Fatalf("cut %d, want %d", res.cut, tc.cut)
			}
			if (res.cut < tc.floor) != (res.mismatch != "") {
				t.Fatalf("mismatch %q with cut %d and floor %d", res.mismatch, res.cut, tc.floor)
			}
		})
	}
}
