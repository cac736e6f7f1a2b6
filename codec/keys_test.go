package codec

import (
	"errors"
	"testing"
)

func TestDelExistsTypeTouch(t *testing.T) {
	f := newFixture(t)
	f.set("a", "1")
	f.setEx("b", "2", t0+1000)
	f.putComplex(0, "h", TypeHash, 5, 0)
	f.putComplex(0, "l", TypeList, 6, t0+50)
	f.putComplex(0, "s", TypeSet, 7, 0)
	f.putComplex(0, "z", TypeZSet, 8, 0)
	for k, want := range map[string]string{"a": "string", "h": "hash", "l": "list", "s": "set", "z": "zset", "nope": "none"} {
		if got, err := f.db.Type(b(k)); got != want || err != nil {
			t.Errorf("TYPE %s = %s %v", k, got, err)
		}
	}
	if n, _ := f.db.Exists(b("a"), b("a"), b("nope"), b("h")); n != 3 {
		t.Fatalf("EXISTS counts duplicates: %d", n)
	}
	if n, _ := f.db.Touch(b("a"), b("a"), b("nope")); n != 2 {
		t.Fatalf("TOUCH = %d", n)
	}
	if n, err := f.db.Del(b("a"), b("a"), b("b"), b("h"), b("nope")); n != 3 || err != nil {
		t.Fatalf("DEL = %d %v", n, err)
	}
	if n, _ := f.db.Exists(b("a"), b("b"), b("h")); n != 0 {
		t.Fatal("deleted keys exist")
	}
	if n, _ := f.db.Del(b("a")); n != 0 {
		t.Fatal("DEL of a missing key counted")
	}
	// The hash's data range went with it; the others' data stays.
	if got := f.familyCount(FamilyData); got != 6 {
		t.Fatalf("%d data keys, want 6", got)
	}
	// An expired list is invisible and DEL does not count it, but removes it.
	f.clock.Advance(50)
	if typ, _ := f.db.Type(b("l")); typ != "none" {
		t.Fatal("expired list visible")
	}
	if n, _ := f.db.Del(b("l"), b("s")); n != 1 {
		t.Fatalf("DEL expired+live = %d", n)
	}
	if got := f.familyCount(FamilyData); got != 2 {
		t.Fatalf("%d data keys, want 2", got)
	}
	f.checkIndex()
}

func TestRename(t *testing.T) {
	f := newFixture(t)
	if err := f.db.Rename(b("nope"), b("x")); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("RENAME missing: %v", err)
	}
	if _, err := f.db.RenameNX(b("nope"), b("nope")); !errors.Is(err, ErrNoSuchKey) {
		t.Fatal("RENAMENX missing onto itself")
	}
	f.setEx("a", "1", t0+1000)
	if err := f.db.Rename(b("a"), b("a")); err != nil || f.get("a") != "1" || f.pttl("a") != 1000 {
		t.Fatal("RENAME onto itself")
	}
	if ok, err := f.db.RenameNX(b("a"), b("a")); ok || err != nil {
		t.Fatal("RENAMENX onto itself returns 0")
	}
	f.setEx("b", "2", t0+9000)
	if err := f.db.Rename(b("a"), b("b")); err != nil {
		t.Fatal(err)
	}
	if f.get("a") != "<nil>" || f.get("b") != "1" || f.pttl("b") != 1000 {
		t.Fatalf("RENAME: a=%s b=%s pttl=%d", f.get("a"), f.get("b"), f.pttl("b"))
	}
	f.checkIndex()
	f.set("c", "3")
	if ok, _ := f.db.RenameNX(b("b"), b("c")); ok || f.get("b") != "1" {
		t.Fatal("RENAMENX onto existing")
	}
	if ok, _ := f.db.RenameNX(b("b"), b("d")); !ok || f.get("d") != "1" || f.pttl("d") != 1000 {
		t.Fatal("RENAMENX")
	}
	// A hash renamed over another hash keeps its uuid; the target's data goes.
	f.putComplex(0, "h1", TypeHash, 11, 0)
	f.putComplex(0, "h2", TypeHash, 12, 0)
	if err := f.db.Rename(b("h1"), b("h2")); err != nil {
		t.Fatal(err)
	}
	m, ok, _ := f.db.lookup(b("h2"))
	if !ok || m.UUID != 11 || f.familyCount(FamilyData) != 2 {
		t.Fatalf("renamed hash: %+v, %d data keys", m, f.familyCount(FamilyData))
	}
	// Renaming a string over a hash drops the hash's data.
	if err := f.db.Rename(b("c"), b("h2")); err != nil || f.familyCount(FamilyData) != 0 {
		t.Fatal("RENAME string over hash")
	}
	f.checkIndex()
}

func TestCopyMove(t *testing.T) {
	f := newFixture(t)
	db1 := f.ks.DB(1)
	f.setEx("a", "1", t0+1000)
	if _, err := f.db.Copy(b("a"), b("a"), 0, false); !errors.Is(err, ErrSameObject) {
		t.Fatal("COPY onto itself")
	}
	if _, err := f.db.Copy(b("a"), b("a"), 256, false); !errors.Is(err, ErrDBIndexOutOfRange) {
		t.Fatal("COPY to db 256")
	}
	if ok, _ := f.db.Copy(b("nope"), b("x"), 0, false); ok {
		t.Fatal("COPY missing")
	}
	if ok, err := f.db.Copy(b("a"), b("b"), 0, false); !ok || err != nil || f.get("b") != "1" || f.pttl("b") != 1000 {
		t.Fatal("COPY")
	}
	f.set("c", "3")
	if ok, _ := f.db.Copy(b("a"), b("c"), 0, false); ok || f.get("c") != "3" {
		t.Fatal("COPY onto existing without REPLACE")
	}
	if ok, _ := f.db.Copy(b("a"), b("c"), 0, true); !ok || f.get("c") != "1" || f.pttl("c") != 1000 {
		t.Fatal("COPY REPLACE")
	}
	if ok, _ := f.db.Copy(b("a"), b("a"), 1, false); !ok {
		t.Fatal("COPY to another db")
	}
	if v, _, _ := db1.Get(b("a")); string(v) != "1" {
		t.Fatal("COPY DB 1")
	}
	if p, _ := db1.PTTL(b("a")); p != 1000 {
		t.Fatal("COPY DB kept TTL")
	}
	f.checkIndex()

	if _, err := f.db.Move(b("a"), 0); !errors.Is(err, ErrSameObject) {
		t.Fatal("MOVE to same db")
	}
	if _, err := f.db.Move(b("a"), -1); !errors.Is(err, ErrDBIndexOutOfRange) {
		t.Fatal("MOVE to db -1")
	}
	if ok, _ := f.db.Move(b("a"), 1); ok || f.get("a") != "1" {
		t.Fatal("MOVE onto existing")
	}
	f.set("m", "moved")
	f.db.Expire(b("m"), t0+700, 0)
	if ok, err := f.db.Move(b("m"), 1); !ok || err != nil || f.get("m") != "<nil>" {
		t.Fatal("MOVE")
	}
	if v, _, _ := db1.Get(b("m")); string(v) != "moved" {
		t.Fatal("MOVE target")
	}
	if p, _ := db1.PTTL(b("m")); p != 700 {
		t.Fatal("MOVE kept TTL")
	}
	if ok, _ := f.db.Move(b("nope"), 1); ok {
		t.Fatal("MOVE missing")
	}
	f.checkIndex()
	// A complex key is copied element by element under a new uuid, with
	// its TTL; MOVE rewrites it into the other database.
	if _, err := f.db.HSet(b("h"), [][]byte{b("a"), b("1"), b("b"), b("2")}); err != nil {
		t.Fatal(err)
	}
	f.db.Expire(b("h"), t0+900, 0)
	if ok, err := f.db.Copy(b("h"), b("h2"), 0, false); !ok || err != nil {
		t.Fatalf("COPY hash: %v %v", ok, err)
	}
	if _, err := f.db.HSet(b("h"), [][]byte{b("a"), b("changed")}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := f.db.HGet(b("h2"), b("a")); string(v) != "1" {
		t.Fatalf("COPY shares data with its source: %q", v)
	}
	if p, _ := f.db.PTTL(b("h2")); p != 900 {
		t.Fatalf("COPY hash TTL %d", p)
	}
	if ok, err := f.db.Move(b("h2"), 2); !ok || err != nil {
		t.Fatalf("MOVE hash: %v %v", ok, err)
	}
	db2 := f.ks.DB(2)
	if fs, vs, _ := db2.HGetAll(b("h2")); len(fs) != 2 || string(vs[0]) != "1" || string(vs[1]) != "2" {
		t.Fatalf("MOVE hash: %q %q", fs, vs)
	}
	if n, _ := f.db.Exists(b("h2")); n != 0 {
		t.Fatal("MOVE left the source")
	}
	// Nothing of the moved-away incarnation is left in database 0.
	f.db.Del(b("h"))
	for _, k := range f.store.Keys() {
		if k[0] == FamilyData && k[1] == 0 {
			t.Fatalf("data key left in db 0: %q", k)
		}
	}
	f.checkIndex()
}

func TestRandomKeyDBSizeFlush(t *testing.T) {
	f := newFixture(t)
	if _, ok, err := f.db.RandomKey(); ok || err != nil {
		t.Fatal("RANDOMKEY on empty db")
	}
	f.setEx("gone1", "x", t0+10)
	f.setEx("gone2", "x", t0+10)
	f.clock.Advance(10)
	if _, ok, _ := f.db.RandomKey(); ok {
		t.Fatal("RANDOMKEY returned an expired key")
	}
	names := map[string]bool{}
	for _, k := range []string{"a", "b", "c", "\xff\xff"} {
		f.set(k, "v")
		names[k] = true
	}
	f.ks.DB(1).Set(b("other"), b("v"), SetOptions{})
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		k, ok, err := f.db.RandomKey()
		if !ok || err != nil || !names[string(k)] {
			t.Fatalf("RANDOMKEY = %q %v %v", k, ok, err)
		}
		seen[string(k)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("RANDOMKEY always returns %v", seen)
	}
	if n := f.db.DBSize(); n != 6 { // gone1 and gone2 count until deleted, as in Redis
		t.Fatalf("DBSIZE = %d", n)
	}
	f.setEx("ttl", "v", t0+100000)
	f.putComplex(0, "h", TypeHash, 4, 0)
	if err := f.db.FlushDB(); err != nil {
		t.Fatal(err)
	}
	if n := f.db.DBSize(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHDB = %d", n)
	}
	if f.familyCount(FamilyData) != 0 {
		t.Fatal("FLUSHDB left data")
	}
	if n := f.ks.DB(1).DBSize(); n != 1 {
		t.Fatal("FLUSHDB touched db 1")
	}
	// Its expiry entries remain as stale hints, which the cycle removes.
	if f.familyCount(FamilyExpiry) == 0 {
		t.Fatal("expected stale expiry hints after FLUSHDB")
	}
	f.clock.Set(t0 + 200000)
	if n, err := f.ks.ExpireCycle(f.clock.Now(), 100); n != 0 || err != nil {
		t.Fatalf("cycle over stale hints deleted %d keys, %v", n, err)
	}
	if f.familyCount(FamilyExpiry) != 0 {
		t.Fatal("stale hints survived the cycle")
	}
	f.ks.DB(3).Set(b("k"), b("v"), SetOptions{ExpireAt: t0 + 900000})
	if err := f.ks.FlushAll(); err != nil {
		t.Fatal(err)
	}
	if n := f.familyCount(FamilyMeta) + f.familyCount(FamilyData) + f.familyCount(FamilyExpiry); n != 0 {
		t.Fatalf("FLUSHALL left %d keys", n)
	}
}

func TestKeyStats(t *testing.T) {
	f := newFixture(t)
	f.set("a", "1")
	f.setEx("b", "2", t0+1000)
	f.setEx("c", "3", t0+3000)
	f.setEx("gone", "4", t0-1) // expired: not counted
	if _, err := f.db.SAdd(b("s"), [][]byte{b("m")}); err != nil {
		t.Fatal(err)
	}
	if st := f.db.Stats(); st != (KeyStats{Keys: 4, Expires: 2, AvgTTL: 2000}) {
		t.Fatalf("Stats = %+v", st)
	}
}
