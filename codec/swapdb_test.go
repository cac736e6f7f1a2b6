package codec

import "testing"

func TestSwapDB(t *testing.T) {
	store := NewMemStore()
	ks := New(store, nil)
	ks.DB(0).Set([]byte("k"), []byte("zero"), SetOptions{})
	ks.DB(3).Set([]byte("k"), []byte("three"), SetOptions{})
	if err := ks.SwapDB(0, 3); err != nil {
		t.Fatal(err)
	}
	get := func(ks *Keyspace, db int) string {
		v, ok, err := ks.DB(db).Get([]byte("k"))
		if err != nil || !ok {
			return "<nil>"
		}
		return string(v)
	}
	if get(ks, 0) != "three" || get(ks, 3) != "zero" {
		t.Fatalf("after swap: db0=%s db3=%s", get(ks, 0), get(ks, 3))
	}
	// MOVE and COPY name logical databases.
	if ok, err := ks.DB(0).Copy([]byte("k"), []byte("c"), 3, false); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if v, _, _ := ks.DB(3).Get([]byte("c")); string(v) != "three" {
		t.Fatalf("copy went to the wrong database: %q", v)
	}
	// FLUSHALL keeps the map; a new keyspace on the same store loads it.
	if err := ks.FlushAll(); err != nil {
		t.Fatal(err)
	}
	ks.DB(0).Set([]byte("k"), []byte("after"), SetOptions{})
	ks2 := New(store, nil)
	if err := ks2.LoadDBMap(); err != nil {
		t.Fatal(err)
	}
	if get(ks2, 0) != "after" || get(ks2, 3) != "<nil>" {
		t.Fatalf("reloaded map: db0=%s db3=%s", get(ks2, 0), get(ks2, 3))
	}
	if err := ks.SwapDB(0, 256); err == nil {
		t.Fatal("swap with an out-of-range database succeeded")
	}
}
