package codec

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
)

// scanAll runs a full SCAN iteration and returns every key returned, with
// the number of calls.
func scanAll(t *testing.T, db *DB, o ScanOptions) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	cursor, calls := uint64(0), 0
	for {
		next, keys, err := db.Scan(cursor, o)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, k := range keys {
			seen[string(k)]++
		}
		if next == 0 {
			return seen, calls
		}
		if calls > 100000 {
			t.Fatal("SCAN does not terminate")
		}
		cursor = next
	}
}

func TestKeysAndScan(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 50; i++ {
		f.set(fmt.Sprintf("user:%02d", i), "v")
		f.set(fmt.Sprintf("item:%02d", i), "v")
	}
	f.set("", "empty key")
	f.putComplex(0, "user:hash", TypeHash, 5, 0)
	f.ks.DB(1).Set(b("user:other-db"), b("v"), SetOptions{})

	keys, err := f.db.Keys(b("user:1?"))
	if err != nil || len(keys) != 10 || string(keys[0]) != "user:10" {
		t.Fatalf("KEYS user:1? = %q %v", keys, err)
	}
	if keys, _ := f.db.Keys(b("*")); len(keys) != 102 || string(keys[0]) != "" {
		t.Fatalf("KEYS * = %d keys (the empty key included?)", len(keys))
	}
	if keys, _ := f.db.Keys(b("*:4[5-9]")); len(keys) != 10 {
		t.Fatalf("KEYS *:4[5-9] = %q", keys)
	}

	for _, tc := range []struct {
		o    ScanOptions
		want int
	}{
		{ScanOptions{}, 102},
		{ScanOptions{Count: 7}, 102},
		{ScanOptions{Count: 1000}, 102},
		{ScanOptions{Match: b("user:*"), Count: 5}, 51},
		{ScanOptions{Match: b("*:0?"), Count: 3}, 20},
		{ScanOptions{Type: "hash"}, 1},
		{ScanOptions{Type: "string", Match: b("user*")}, 50},
		{ScanOptions{Type: "nosuchtype"}, 0},
	} {
		seen, calls := scanAll(t, f.db, tc.o)
		if len(seen) != tc.want {
			t.Errorf("SCAN %+v: %d keys, want %d", tc.o, len(seen), tc.want)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("SCAN %+v returned %q %d times", tc.o, k, n)
			}
		}
		if tc.o.Count == 7 && calls != 15 { // ceil(102/7)
			t.Errorf("SCAN COUNT 7 took %d calls", calls)
		}
	}
	// An unknown cursor restarts the iteration instead of skipping keys.
	seen := map[string]bool{}
	cursor := uint64(12345)
	for {
		next, keys, _ := f.db.Scan(cursor, ScanOptions{Count: 50})
		for _, k := range keys {
			seen[string(k)] = true
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if len(seen) != 102 {
		t.Fatalf("SCAN from an unknown cursor saw %d keys", len(seen))
	}
	// A cursor of one database is unknown in another.
	next, _, _ := f.db.Scan(0, ScanOptions{Count: 10})
	if _, keys, _ := f.ks.DB(1).Scan(next, ScanOptions{Count: 10}); len(keys) != 1 {
		t.Fatalf("db 1 with db 0's cursor: %q", keys)
	}
}

func TestScanCursorEviction(t *testing.T) {
	f := newFixture(t) // 64 cursor slots
	for i := 0; i < 30; i++ {
		f.set(fmt.Sprintf("k%02d", i), "v")
	}
	first, keys, _ := f.db.Scan(0, ScanOptions{Count: 10})
	if len(keys) != 10 || first == 0 {
		t.Fatal("first page")
	}
	for i := 0; i < 64; i++ { // evict it
		f.db.Scan(0, ScanOptions{Count: 1})
	}
	_, keys, _ = f.db.Scan(first, ScanOptions{Count: 10})
	if string(keys[0]) != "k00" {
		t.Fatalf("evicted cursor resumed at %q, want a restart", keys[0])
	}
}

// TestScanGuarantee checks Redis's SCAN guarantee under concurrent writes:
// every key present during the whole iteration is returned.
func TestScanGuarantee(t *testing.T) {
	f := newFixture(t)
	stable := map[string]bool{}
	for i := 0; i < 400; i++ {
		k := fmt.Sprintf("stable:%03d", i)
		f.set(k, "v")
		stable[k] = true
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				// Churn keys that sort before, between and after the stable ones.
				for _, p := range []string{"a", "stable:1", "stable:3x", "z"} {
					k := b(fmt.Sprintf("%s-%d-%d", p, w, i%50))
					if i%3 == 2 {
						f.db.Del(k)
					} else {
						f.db.Set(k, b("x"), SetOptions{})
					}
				}
			}
		}(w)
	}
	for round := 0; round < 20; round++ {
		seen, _ := scanAll(t, f.db, ScanOptions{Count: 13})
		for k := range stable {
			if seen[k] == 0 {
				t.Fatalf("round %d: stable key %s not returned", round, k)
			}
		}
		seenM, _ := scanAll(t, f.db, ScanOptions{Count: 7, Match: b("stable:*")})
		for k := range stable {
			if seenM[k] == 0 {
				t.Fatalf("round %d: stable key %s not returned with MATCH", round, k)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	keys, _ := f.db.Keys(b("stable:*"))
	got := make([]string, len(keys))
	for i, k := range keys {
		got[i] = string(k)
	}
	if !sort.StringsAreSorted(got) {
		t.Fatal("KEYS not in key order")
	}
}
