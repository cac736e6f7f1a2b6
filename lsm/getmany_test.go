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
			maxValue := 0 // no limit, or a limit some values pass
			if round%2 == 1 {
				maxValue = 1 + rng.IntN(150)
			}
			out, err := d.GetMany(dst, keys, vals, found, maxValue)
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
				case maxValue > 0 && len(want) > maxValue:
					if !found[j] || vals[j] != nil {
						t.Fatalf("%s: %s: a value of %d bytes past the limit %d: GetMany %q (found %v)", stage, k, len(want), maxValue, vals[j], found[j])
					}
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

// TestGetManyConcurrent runs GetMany while writers rotate memtables and
// the DB flushes and compacts (under -race in make test): every key keeps
// one of the values written to it, so each answer must be one of them.
func TestGetManyConcurrent(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	const n = 2000
	key := func(i int) []byte { return fmt.Appendf(nil, "key%06d", i) }
	for i := range n {
		if err := d.Set(key(i), []byte("v0"), nil); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for round := 1; round <= 20; round++ {
			for i := range n {
				if err := d.Set(key(i), fmt.Appendf(nil, "v%d", round), nil); err != nil {
					done <- err
					return
				}
			}
			if round%5 == 0 {
				if err := d.Compact(nil, nil); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([][]byte, 16)
	vals := make([][]byte, 16)
	found := make([]bool, 16)
	var buf []byte
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		for j := range keys {
			keys[j] = key(rng.IntN(n))
		}
		var err error
		if buf, err = d.GetMany(buf[:0], keys, vals, found, 0); err != nil {
			t.Fatal(err)
		}
		for j := range keys {
			if !found[j] || len(vals[j]) < 2 || vals[j][0] != 'v' {
				t.Fatalf("%s: %q (found %v)", keys[j], vals[j], found[j])
			}
		}
	}
}
