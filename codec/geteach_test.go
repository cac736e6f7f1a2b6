package codec

import (
	"bytes"
	"errors"
	"testing"
)

// manyStore gives a MemStore the engine's GetMany (as lsm.DB answers it:
// values appended to dst), so that GetEach takes its interleaved path.
type manyStore struct {
	*MemStore
	calls int
}

func (s *manyStore) GetMany(dst []byte, keys, vals [][]byte, found []bool, maxValue int) ([]byte, error) {
	s.calls++
	type span struct{ start, end int }
	spans := make([]span, len(keys))
	for i, k := range keys {
		v, err := s.Get(k)
		switch {
		case errors.Is(err, ErrNotFound):
			spans[i] = span{-1, -1}
			continue
		case err != nil:
			return dst, err
		}
		if maxValue > 0 && len(v) > maxValue {
			spans[i] = span{-2, -2} // found, not read
			continue
		}
		start := len(dst)
		dst = append(dst, v...)
		spans[i] = span{start, len(dst)}
	}
	for i, sp := range spans {
		switch found[i] = sp.start != -1; {
		case sp.start == -2:
			vals[i] = nil
		case found[i]:
			vals[i] = append([]byte{}, dst[sp.start:sp.end]...)
		}
	}
	return dst, nil
}

// TestGetEach checks GetEach against Get, key by key, on a store without
// GetMany (one Get per key) and on one with it, with and without Buffers:
// strings, an empty string, a missing key, an expired key, a key of
// another type, a key named twice, another database's key.
func TestGetEach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		many    bool
		buffers bool
	}{{"get", false, false}, {"many", true, false}, {"many buffers", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ms := &manyStore{MemStore: f.store}
			if tc.many {
				f.ks = New(ms, &Options{Now: f.clock.Now, MaxStringLen: 1 << 20, ScanCursors: 64})
				f.db = f.ks.DB(0)
			}
			f.set("a", "1")
			f.set("empty", "")
			// Longer than manyRecordMax: read by itself.
			f.set("large", string(bytes.Repeat([]byte("x"), manyRecordMax+1)))
			f.setEx("gone", "x", t0-1)
			f.setEx("ttl", "t", t0+1000)
			f.putComplex(0, "h", TypeHash, 3, 0)
			if _, err := f.ks.DB(1).Set(b("other"), b("o"), SetOptions{}); err != nil {
				t.Fatal(err)
			}
			db := f.db
			if tc.buffers {
				db = f.ks.DBWith(0, &Buffers{})
			}
			keys := [][]byte{b("a"), b("missing"), b("large"), b("empty"), b("gone"), b("h"), b("ttl"), b("a"), b("large"), b("other")}
			vals := make([][]byte, len(keys))
			found := make([]bool, len(keys))
			errs := make([]error, len(keys))
			if err := db.GetEach(keys, vals, found, errs); err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				if errors.Is(errs[i], ErrReadLater) {
					// The caller reads it by itself: only the large value.
					if !tc.many || string(k) != "large" {
						t.Fatalf("%s: ErrReadLater", k)
					}
					// Without the buffers, which the other values alias.
					vals[i], found[i], errs[i] = f.ks.DB(0).Get(k)
				}
			}
			for i, k := range keys {
				v, ok, err := f.db.Get(k)
				if ok != found[i] || !bytes.Equal(v, vals[i]) || (ok && vals[i] == nil) || !errors.Is(errs[i], err) || (err == nil) != (errs[i] == nil) {
					t.Errorf("%s: GetEach %q %v %v, Get %q %v %v", k, vals[i], found[i], errs[i], v, ok, err)
				}
			}
			if tc.many && ms.calls != 1 {
				t.Errorf("GetMany called %d times, want 1", ms.calls)
			}
			// MGET: the value, or nil for a missing key or another type.
			var want []string
			for i := range keys {
				w := "<nil>"
				if found[i] {
					w = "=" + string(vals[i])
				}
				want = append(want, w)
			}
			got, err := db.MGet(keys...)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				g := "<nil>"
				if v != nil {
					g = "=" + string(v)
				}
				if g != want[i] {
					t.Errorf("MGET %s: %s, want %s", keys[i], g, want[i])
				}
			}
			if tc.many && ms.calls != 2 {
				t.Errorf("MGET: GetMany called %d times in all, want 2", ms.calls)
			}
		})
	}
}
