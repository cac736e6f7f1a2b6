// Regressions found by fuzz/FuzzEngine.

package lsm

import (
	"fmt"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// TestIterEmptyKey pins a bug found by fuzz/FuzzEngine: Next after the
// empty user key saved it as a nil slice, took nil for "nothing to skip"
// and returned the empty key forever.
func TestIterEmptyKey(t *testing.T) {
	d := openMem(t, vfs.NewMem(), nil)
	defer d.Close()
	for _, k := range []string{"", "a", "b"} {
		if err := d.Set([]byte(k), []byte("v"+k), nil); err != nil {
			t.Fatal(err)
		}
	}
	scan := func() string {
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var fwd, back []string
		for ok := it.First(); ok && len(fwd) < 10; ok = it.Next() {
			fwd = append(fwd, fmt.Sprintf("%q", it.Key()))
		}
		for ok := it.Last(); ok && len(back) < 10; ok = it.Prev() {
			back = append(back, fmt.Sprintf("%q", it.Key()))
		}
		slices.Reverse(back)
		// Turn around on the empty key: Prev past it, then Next.
		it.SeekGE(nil)
		it.Next()
		it.Prev()
		turned := it.Next() && string(it.Key()) == "a"
		return fmt.Sprintf("%v %v %v", fwd, back, turned)
	}
	want := `["" "a" "b"] ["" "a" "b"] true`
	if got := scan(); got != want {
		t.Fatalf("memtable: %s, want %s", got, want)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := scan(); got != want {
		t.Fatalf("table: %s, want %s", got, want)
	}
}
