package codec

import (
	"fmt"
	"testing"
)

func TestExpireConditions(t *testing.T) {
	f := newFixture(t)
	type step struct {
		name  string
		at    int64
		cond  ExpireCond
		want  bool
		pttl  int64
		setup func()
	}
	noTTL := func() { f.set("k", "v") }
	withTTL := func() { f.setEx("k", "v", t0+1000) }
	for _, s := range []step{
		{"plain", t0 + 500, 0, true, 500, noTTL},
		{"NX without TTL", t0 + 500, ExpireNX, true, 500, noTTL},
		{"NX with TTL", t0 + 500, ExpireNX, false, 1000, withTTL},
		{"XX without TTL", t0 + 500, ExpireXX, false, -1, noTTL},
		{"XX with TTL", t0 + 500, ExpireXX, true, 500, withTTL},
		{"GT without TTL (infinite)", t0 + 500, ExpireGT, false, -1, noTTL},
		{"GT later", t0 + 2000, ExpireGT, true, 2000, withTTL},
		{"GT equal", t0 + 1000, ExpireGT, false, 1000, withTTL},
		{"GT earlier", t0 + 500, ExpireGT, false, 1000, withTTL},
		{"LT without TTL (infinite)", t0 + 500, ExpireLT, true, 500, noTTL},
		{"LT earlier", t0 + 500, ExpireLT, true, 500, withTTL},
		{"LT equal", t0 + 1000, ExpireLT, false, 1000, withTTL},
		{"LT later", t0 + 2000, ExpireLT, false, 1000, withTTL},
		{"XX GT", t0 + 2000, ExpireXX | ExpireGT, true, 2000, withTTL},
		{"past deletes", t0 - 1, 0, true, -2, withTTL},
		{"now deletes", t0, 0, true, -2, noTTL},
		{"zero deletes", 0, 0, true, -2, noTTL},
		{"negative deletes", -5000, 0, true, -2, withTTL},
		{"LT past deletes", t0 - 10, ExpireLT, true, -2, withTTL},
		{"GT past refused", t0 - 10, ExpireGT, false, 1000, withTTL},
	} {
		s.setup()
		got, err := f.db.Expire(b("k"), s.at, s.cond)
		if err != nil || got != s.want {
			t.Errorf("%s: %v %v, want %v", s.name, got, err, s.want)
		}
		if p := f.pttl("k"); p != s.pttl {
			t.Errorf("%s: PTTL %d, want %d", s.name, p, s.pttl)
		}
		f.checkIndex()
	}
	if ok, _ := f.db.Expire(b("missing"), t0+5, 0); ok {
		t.Fatal("EXPIRE missing")
	}
}

func TestTTLFamily(t *testing.T) {
	f := newFixture(t)
	f.set("p", "v")
	f.setEx("e", "v", t0+2500)
	for _, tc := range []struct {
		key                      string
		ttl, pttl, etime, petime int64
	}{
		{"missing", -2, -2, -2, -2},
		{"p", -1, -1, -1, -1},
		{"e", 3, 2500, (t0 + 2500 + 500) / 1000, t0 + 2500}, // TTL rounds to nearest
	} {
		got := [4]int64{}
		var err error
		for i, fn := range []func([]byte) (int64, error){f.db.TTL, f.db.PTTL, f.db.ExpireTime, f.db.PExpireTime} {
			if got[i], err = fn(b(tc.key)); err != nil {
				t.Fatal(err)
			}
		}
		if want := [4]int64{tc.ttl, tc.pttl, tc.etime, tc.petime}; got != want {
			t.Errorf("%s: TTL/PTTL/EXPIRETIME/PEXPIRETIME = %v, want %v", tc.key, got, want)
		}
	}
	f.clock.Advance(2000)
	if ttl, _ := f.db.TTL(b("e")); ttl != 1 { // 500 ms rounds up
		t.Fatalf("TTL at 500ms = %d", ttl)
	}
	f.clock.Advance(499)
	if pttl := f.pttl("e"); pttl != 1 {
		t.Fatalf("PTTL = %d", pttl)
	}
	if ttl, _ := f.db.TTL(b("e")); ttl != 0 {
		t.Fatalf("TTL at 1ms = %d", ttl)
	}
	f.clock.Advance(1)
	if f.pttl("e") != -2 || f.get("e") != "<nil>" {
		t.Fatal("key visible at its expire-at")
	}
	// PERSIST.
	f.setEx("q", "v", t0+100000)
	if ok, _ := f.db.Persist(b("q")); !ok || f.pttl("q") != -1 {
		t.Fatal("PERSIST")
	}
	if ok, _ := f.db.Persist(b("q")); ok {
		t.Fatal("PERSIST without TTL")
	}
	if ok, _ := f.db.Persist(b("missing")); ok {
		t.Fatal("PERSIST missing")
	}
	f.checkIndex()
}

func TestLazyExpiryAllReads(t *testing.T) {
	f := newFixture(t)
	f.setEx("k", "v", t0+10)
	f.set("live", "v")
	f.clock.Advance(10)
	db := f.db
	// The writes come last: INCR recreates the key.
	checks := []struct {
		name string
		ok   func() bool
	}{
		{"GET", func() bool { _, ok, _ := db.Get(b("k")); return !ok }},
		{"EXISTS", func() bool { n, _ := db.Exists(b("k")); return n == 0 }},
		{"TYPE", func() bool { s, _ := db.Type(b("k")); return s == "none" }},
		{"STRLEN", func() bool { n, _ := db.StrLen(b("k")); return n == 0 }},
		{"KEYS", func() bool { ks, _ := db.Keys(b("*")); return keysEqual(ks, "live") }},
		{"SCAN", func() bool { _, ks, _ := db.Scan(0, ScanOptions{Count: 100}); return keysEqual(ks, "live") }},
		{"MGET", func() bool { v, _ := db.MGet(b("k")); return v[0] == nil }},
		{"GETRANGE", func() bool { v, _ := db.GetRange(b("k"), 0, -1); return len(v) == 0 }},
		{"RANDOMKEY", func() bool {
			k, _, _ := db.RandomKey()
			return string(k) == "live"
		}},
		{"EXPIRE", func() bool { ok, _ := db.Expire(b("k"), t0+10000, 0); return !ok }},
		{"RENAME", func() bool { return db.Rename(b("k"), b("z")) == ErrNoSuchKey }},
		{"INCR (absent)", func() bool { n, err := db.IncrBy(b("k"), 5); return err == nil && n == 5 }},
	}
	// DBSIZE counts the expired key until something deletes it, as Redis.
	if n := db.DBSize(); n != 2 {
		t.Errorf("DBSIZE = %d, want 2", n)
	}
	for _, c := range checks {
		if !c.ok() {
			t.Errorf("%s sees the expired key", c.name)
		}
	}
	// INCR recreated it without the old TTL; the index holds only the truth.
	if f.pttl("k") != -1 {
		t.Fatal("recreated key inherited the TTL")
	}
	f.checkIndex()
}

func TestExpireCycle(t *testing.T) {
	f := newFixture(t)
	db1 := f.ks.DB(1)
	for i := 0; i < 10; i++ {
		f.setEx(fmt.Sprintf("k%d", i), "v", t0+int64(10*(i+1)))
	}
	db1.Set(b("k0"), b("v"), SetOptions{ExpireAt: t0 + 10})
	f.putComplex(0, "h", TypeHash, 77, t0+15)
	f.set("forever", "v")
	// Nothing due yet.
	if n, err := f.ks.ExpireCycle(f.clock.Now(), 100); n != 0 || err != nil {
		t.Fatalf("cycle before anything is due: %d %v", n, err)
	}
	// At t0+30: k0 (both dbs), h, k1, k2 are due. A bound of 3 does 3 entries
	// in time order.
	f.clock.Set(t0 + 30)
	n, err := f.ks.ExpireCycle(f.clock.Now(), 3)
	if n != 3 || err != nil {
		t.Fatalf("bounded cycle: %d %v", n, err)
	}
	n, _ = f.ks.ExpireCycle(f.clock.Now(), 100)
	if n != 2 {
		t.Fatalf("second cycle: %d", n)
	}
	if f.familyCount(FamilyData) != 0 {
		t.Fatal("expired hash's data left")
	}
	if got := f.familyCount(FamilyMeta); got != 8 { // k3..k9 and forever
		t.Fatalf("%d metadata keys left, want 8", got)
	}
	f.checkIndex()
	// A key whose TTL changed after the index entry was read is not deleted:
	// the cycle rechecks the metadata. Simulate a stale entry directly.
	bt := f.store.NewBatch()
	bt.Set(ExpiryKey(t0+31, 0, b("forever")), nil)
	f.store.Commit(bt)
	f.clock.Set(t0 + 40)
	n, _ = f.ks.ExpireCycle(f.clock.Now(), 100)
	if n != 1 || f.get("forever") != "v" { // k3 expired; the stale hint went alone
		t.Fatalf("cycle with a stale hint: %d, forever=%q", n, f.get("forever"))
	}
	f.checkIndex()
	f.clock.Set(t0 + 1000)
	n, _ = f.ks.ExpireCycle(f.clock.Now(), 100)
	if n != 6 || f.familyCount(FamilyMeta) != 1 || f.familyCount(FamilyExpiry) != 0 {
		t.Fatalf("final cycle %d, %d meta left", n, f.familyCount(FamilyMeta))
	}
}

// TestPendingExpiries: the expiry backlog INFO shows counts due index
// entries until the cycle deletes them, and stops at its limit.
func TestPendingExpiries(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.setEx(fmt.Sprintf("k%d", i), "v", t0+100)
	}
	f.setEx("later", "v", t0+10_000)
	count := func(limit int) int {
		t.Helper()
		n, err := f.ks.PendingExpiries(f.clock.Now(), limit)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(100); n != 0 {
		t.Fatalf("%d pending before anything is due", n)
	}
	f.clock.Advance(100)
	if n := count(100); n != 5 {
		t.Fatalf("%d pending, want 5", n)
	}
	if n := count(3); n != 3 {
		t.Fatalf("limit 3: %d", n)
	}
	if _, err := f.ks.ExpireCycle(f.clock.Now(), 100); err != nil {
		t.Fatal(err)
	}
	if n := count(100); n != 0 {
		t.Fatalf("%d pending after the cycle", n)
	}
}
