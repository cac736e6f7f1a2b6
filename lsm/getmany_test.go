package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// TestGetMany checks GetMany against Get, key by key, on a DB whose keys
// are spread over memtables, level 0 and deeper levels, with point and
// range deletions at every depth, repeated keys in a call, empty values
// and keys that were never written.
func TestGetMany(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 4000
	key := func(i int) []byte { return fmt.Appendf(nil, "key%06d", i) }
	write := func(round int) {
		for i := 0; i < n; i++ {
			var err error
			switch r := rng.IntN(10); {
			case r < 5:
				v := bytes.Repeat([]byte{byte('a' + round)}, rng.IntN(200))
				err = d.Set(key(rng.IntN(n)), v, nil)
			case r < 6:
				err = d.Delete(key(rng.IntN(n)), nil)
			case r == 6 && i%50 == 0:
				a := rng.IntN(n)
				err = d.DeleteRange(key(a), key(a+rng.IntN(20)), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(stage string) {
		t.Helper()
		for round := 0; round < 100; round++ {
			keys := make([][]byte, 1+rng.IntN(40))
			for j := range keys {
				keys[j] = key(rng.IntN(n + n/10))
			}
			if len(keys) > 2 {
				keys[1] = keys[0] // a key asked twice
			}
			vals := make([][]byte, len(keys))
			found := make([]bool, len(keys))
			dst := []byte("prefix")
			out, err := d.GetMany(dst, keys, vals, found)
			if err != nil {
				t.Fatal(err)
			}
			if string(out[:6]) != "prefix" {
				t.Fatalf("%s: dst's contents changed", stage)
			}
			for j, k := range keys {
				want, err := d.Get(k)
				switch {
				case errors.Is(err, ErrNotFound):
					if found[j] {
						t.Fatalf("%s: %s: GetMany found %q, Get nothing", stage, k, vals[j])
					}
				case err != nil:
					t.Fatal(err)
				case !found[j] || !bytes.Equal(vals[j], want) || vals[j] == nil:
					t.Fatalf("%s: %s: GetMany %q (found %v), Get %q", stage, k, vals[j], found[j], want)
				}
			}
		}
	}
	check("empty")
	for round := 0; round < 6; round++ {
		write(round)
		check(fmt.Sprintf("round %d", round))
		if round%2 == 1 {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("round %d, flushed", round))
		}
		if round == 3 {
			if err := d.Compact(nil, nil); err != nil {
				t.Fatal(err)
			}
			check("compacted")
		}
	}
	if m := d.Metrics(); m.Levels[0].NumFiles+m.Levels[1].NumFiles == 0 {
		t.Fatalf("no tables:\n%s", m)
	}
}
