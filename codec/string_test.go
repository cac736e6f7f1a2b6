package codec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestGetSetBasic(t *testing.T) {
	f := newFixture(t)
	if got := f.get("k"); got != "<nil>" {
		t.Fatalf("GET missing = %q", got)
	}
	f.set("k", "v")
	f.set("empty", "")
	if got := f.get("k"); got != "v" {
		t.Fatalf("GET = %q", got)
	}
	v, ok, err := f.db.Get(b("empty"))
	if err != nil || !ok || v == nil || len(v) != 0 {
		t.Fatalf("GET empty = %q %v %v (want a non-nil empty value)", v, ok, err)
	}
	f.putComplex(0, "h", TypeHash, 7, 0)
	if _, _, err := f.db.Get(b("h")); !errors.Is(err, ErrWrongType) {
		t.Fatalf("GET hash: %v", err)
	}
	// Other databases are separate.
	if v, ok, _ := f.ks.DB(1).Get(b("k")); ok {
		t.Fatalf("db 1 sees %q", v)
	}
}

func TestSetOptions(t *testing.T) {
	f := newFixture(t)
	type step struct {
		name    string
		key     string
		val     string
		opt     SetOptions
		want    SetResult
		wantErr error
		after   string // GET afterwards
		pttl    int64
	}
	steps := []step{
		{name: "XX on missing", key: "k", val: "a", opt: SetOptions{XX: true}, want: SetResult{}, after: "<nil>", pttl: -2},
		{name: "NX on missing", key: "k", val: "a", opt: SetOptions{NX: true}, want: SetResult{Written: true}, after: "a", pttl: -1},
		{name: "NX on existing", key: "k", val: "b", opt: SetOptions{NX: true}, want: SetResult{}, after: "a", pttl: -1},
		{name: "NX GET on existing", key: "k", val: "b", opt: SetOptions{NX: true, Get: true},
			want: SetResult{Old: b("a"), OldFound: true}, after: "a", pttl: -1},
		{name: "XX with PX", key: "k", val: "b", opt: SetOptions{XX: true, ExpireAt: t0 + 5000},
			want: SetResult{Written: true}, after: "b", pttl: 5000},
		{name: "KEEPTTL", key: "k", val: "c", opt: SetOptions{KeepTTL: true}, want: SetResult{Written: true}, after: "c", pttl: 5000},
		{name: "plain SET clears TTL", key: "k", val: "d", opt: SetOptions{Get: true},
			want: SetResult{Old: b("c"), OldFound: true, Written: true}, after: "d", pttl: -1},
		{name: "GET on missing", key: "m", val: "x", opt: SetOptions{Get: true}, want: SetResult{Written: true}, after: "x", pttl: -1},
		{name: "EXAT in the past deletes", key: "m", val: "y", opt: SetOptions{ExpireAt: t0 - 1, Get: true},
			want: SetResult{Old: b("x"), OldFound: true, Written: true}, after: "<nil>", pttl: -2},
		{name: "expire exactly now deletes", key: "k", val: "y", opt: SetOptions{ExpireAt: t0},
			want: SetResult{Written: true}, after: "<nil>", pttl: -2},
		{name: "GET on hash is WRONGTYPE and no write", key: "h", val: "z", opt: SetOptions{Get: true}, wantErr: ErrWrongType},
	}
	f.putComplex(0, "h", TypeHash, 7, 0)
	for _, s := range steps {
		got, err := f.db.Set(b(s.key), b(s.val), s.opt)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: err %v, want %v", s.name, err, s.wantErr)
		}
		if err != nil {
			continue
		}
		if string(got.Old) != string(s.want.Old) || got.OldFound != s.want.OldFound || got.Written != s.want.Written {
			t.Fatalf("%s: %+v, want %+v", s.name, got, s.want)
		}
		if a := f.get(s.key); a != s.after {
			t.Fatalf("%s: GET after = %q, want %q", s.name, a, s.after)
		}
		if p := f.pttl(s.key); p != s.pttl {
			t.Fatalf("%s: PTTL after = %d, want %d", s.name, p, s.pttl)
		}
		f.checkIndex()
	}
	if typ, _ := f.db.Type(b("h")); typ != "hash" {
		t.Fatalf("hash was overwritten by a refused SET GET: %s", typ)
	}
	// Plain SET replaces a hash, and its data range goes with it.
	if _, err := f.db.Set(b("h"), b("s"), SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if f.get("h") != "s" || f.familyCount(FamilyData) != 0 {
		t.Fatalf("SET over hash: %q, %d data keys left", f.get("h"), f.familyCount(FamilyData))
	}
}

func TestSetOnExpiredKey(t *testing.T) {
	f := newFixture(t)
	f.setEx("k", "old", t0+100)
	f.clock.Advance(100) // expire-at <= now: gone
	if got := f.get("k"); got != "<nil>" {
		t.Fatalf("expired key visible: %q", got)
	}
	// NX treats it as absent; KEEPTTL has no TTL to keep; GET sees nothing.
	res, err := f.db.Set(b("k"), b("new"), SetOptions{NX: true, KeepTTL: true, Get: true})
	if err != nil || !res.Written || res.OldFound {
		t.Fatalf("SET NX over expired: %+v %v", res, err)
	}
	if f.pttl("k") != -1 {
		t.Fatalf("PTTL = %d", f.pttl("k"))
	}
	f.checkIndex() // the old index entry was removed in the same batch
}

func TestSetNXGetSetGetDel(t *testing.T) {
	f := newFixture(t)
	if ok, err := f.db.SetNX(b("k"), b("1")); !ok || err != nil {
		t.Fatalf("SETNX = %v %v", ok, err)
	}
	if ok, err := f.db.SetNX(b("k"), b("2")); ok || err != nil {
		t.Fatalf("SETNX again = %v %v", ok, err)
	}
	f.setEx("t", "x", t0+1000)
	old, found, err := f.db.GetSet(b("t"), b("y"))
	if err != nil || !found || string(old) != "x" || f.pttl("t") != -1 {
		t.Fatalf("GETSET = %q %v %v pttl %d", old, found, err, f.pttl("t"))
	}
	if _, found, _ := f.db.GetSet(b("new"), b("z")); found || f.get("new") != "z" {
		t.Fatal("GETSET on missing")
	}
	v, found, err := f.db.GetDel(b("k"))
	if err != nil || !found || string(v) != "1" || f.get("k") != "<nil>" {
		t.Fatalf("GETDEL = %q %v %v", v, found, err)
	}
	if _, found, err := f.db.GetDel(b("k")); found || err != nil {
		t.Fatal("GETDEL missing")
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, _, err := f.db.GetDel(b("h")); !errors.Is(err, ErrWrongType) {
		t.Fatalf("GETDEL hash: %v", err)
	}
	if _, _, err := f.db.GetSet(b("h"), b("v")); !errors.Is(err, ErrWrongType) {
		t.Fatalf("GETSET hash: %v", err)
	}
	f.setEx("e", "x", t0+10)
	if _, _, err := f.db.GetDel(b("e")); err != nil {
		t.Fatal(err)
	}
	f.checkIndex()
}

func TestGetEx(t *testing.T) {
	f := newFixture(t)
	f.set("k", "v")
	if v, ok, err := f.db.GetEx(b("k"), GetExOptions{}); string(v) != "v" || !ok || err != nil || f.pttl("k") != -1 {
		t.Fatal("GETEX without options")
	}
	if v, ok, err := f.db.GetEx(b("k"), GetExOptions{ExpireAt: t0 + 2000}); string(v) != "v" || !ok || err != nil || f.pttl("k") != 2000 {
		t.Fatalf("GETEX PX: %q %v %v %d", v, ok, err, f.pttl("k"))
	}
	f.checkIndex()
	if _, _, err := f.db.GetEx(b("k"), GetExOptions{Persist: true}); err != nil || f.pttl("k") != -1 {
		t.Fatal("GETEX PERSIST")
	}
	f.checkIndex()
	// A past EXAT returns the value, then deletes the key.
	if v, ok, err := f.db.GetEx(b("k"), GetExOptions{ExpireAt: t0 - 5}); string(v) != "v" || !ok || err != nil || f.get("k") != "<nil>" {
		t.Fatal("GETEX past EXAT")
	}
	if _, ok, err := f.db.GetEx(b("k"), GetExOptions{ExpireAt: t0 + 5}); ok || err != nil {
		t.Fatal("GETEX missing")
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	for _, o := range []GetExOptions{{}, {Persist: true}, {ExpireAt: t0 + 9}} {
		if _, _, err := f.db.GetEx(b("h"), o); !errors.Is(err, ErrWrongType) {
			t.Fatalf("GETEX %+v on hash: %v", o, err)
		}
	}
	f.checkIndex()
}

func TestMGetMSet(t *testing.T) {
	f := newFixture(t)
	f.setEx("a", "old", t0+1000)
	f.putComplex(0, "h", TypeHash, 3, 0)
	if err := f.db.MSet([][]byte{b("a"), b("b"), b("a")}, [][]byte{b("1"), b("2"), b("3")}); err != nil {
		t.Fatal(err)
	}
	if f.get("a") != "3" || f.get("b") != "2" || f.pttl("a") != -1 {
		t.Fatalf("MSET: a=%q b=%q pttl=%d", f.get("a"), f.get("b"), f.pttl("a"))
	}
	f.set("e", "")
	vals, err := f.db.MGet(b("a"), b("missing"), b("h"), b("b"), b("e"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3", "<nil>", "<nil>", "2", ""}
	for i, v := range vals {
		got := "<nil>"
		if v != nil {
			got = string(v)
		}
		if got != want[i] {
			t.Fatalf("MGET[%d] = %q, want %q", i, got, want[i])
		}
	}
	if ok, err := f.db.MSetNX([][]byte{b("x"), b("a")}, [][]byte{b("1"), b("2")}); ok || err != nil {
		t.Fatal("MSETNX with an existing key set")
	}
	if f.get("x") != "<nil>" {
		t.Fatal("MSETNX wrote partially")
	}
	if ok, err := f.db.MSetNX([][]byte{b("x"), b("y")}, [][]byte{b("1"), b("2")}); !ok || err != nil || f.get("y") != "2" {
		t.Fatal("MSETNX")
	}
	// MSET over a hash replaces it and drops its data.
	if err := f.db.MSet([][]byte{b("h")}, [][]byte{b("s")}); err != nil || f.familyCount(FamilyData) != 0 {
		t.Fatal("MSET over hash")
	}
	f.checkIndex()
}

func TestAppendStrLen(t *testing.T) {
	f := newFixture(t)
	if n, err := f.db.Append(b("k"), b("hello")); n != 5 || err != nil {
		t.Fatalf("APPEND new = %d %v", n, err)
	}
	f.db.Expire(b("k"), t0+1000, 0)
	if n, err := f.db.Append(b("k"), b(" world")); n != 11 || err != nil || f.get("k") != "hello world" {
		t.Fatalf("APPEND = %d %v", n, err)
	}
	if f.pttl("k") != 1000 {
		t.Fatal("APPEND dropped the TTL")
	}
	if n, _ := f.db.StrLen(b("k")); n != 11 {
		t.Fatalf("STRLEN = %d", n)
	}
	if n, _ := f.db.StrLen(b("nokey")); n != 0 {
		t.Fatalf("STRLEN missing = %d", n)
	}
	if _, err := f.db.Append(b("k"), make([]byte, 1<<20)); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("APPEND past max: %v", err)
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.Append(b("h"), b("x")); !errors.Is(err, ErrWrongType) {
		t.Fatal("APPEND hash")
	}
	if _, err := f.db.StrLen(b("h")); !errors.Is(err, ErrWrongType) {
		t.Fatal("STRLEN hash")
	}
	f.checkIndex()
}

func TestGetRange(t *testing.T) {
	f := newFixture(t)
	f.set("k", "Hello World")
	f.set("e", "")
	for _, tc := range []struct {
		key        string
		start, end int64
		want       string
	}{
		{"k", 0, 3, "Hell"}, {"k", 0, -1, "Hello World"}, {"k", -3, -1, "rld"}, {"k", 5, 3, ""},
		{"k", 5, 5000, " World"}, {"k", -5000, 10000, "Hello World"}, {"k", -1, -5, ""},
		{"k", -1, -1, "d"}, {"k", 0, -100, "H"}, {"k", 11, 20, ""}, {"k", 10, 10, "d"},
		{"k", -100, -99, "H"}, {"k", 1 << 62, 1<<63 - 1, ""}, {"k", -1 << 63, -1 << 63, "H"},
		{"e", 0, -1, ""}, {"e", 0, 0, ""}, {"missing", 0, -1, ""},
	} {
		got, err := f.db.GetRange(b(tc.key), tc.start, tc.end)
		if err != nil || string(got) != tc.want || got == nil {
			t.Errorf("GETRANGE %s %d %d = %q %v, want %q", tc.key, tc.start, tc.end, got, err, tc.want)
		}
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.GetRange(b("h"), 0, 1); !errors.Is(err, ErrWrongType) {
		t.Fatal("GETRANGE hash")
	}
}

func TestSetRange(t *testing.T) {
	f := newFixture(t)
	// On a missing key: an empty value creates nothing.
	if n, err := f.db.SetRange(b("k"), 10, nil); n != 0 || err != nil {
		t.Fatalf("SETRANGE missing empty = %d %v", n, err)
	}
	if ex, _ := f.db.Exists(b("k")); ex != 0 {
		t.Fatal("SETRANGE with an empty value created the key")
	}
	if n, err := f.db.SetRange(b("k"), 3, b("abc")); n != 6 || err != nil || f.get("k") != "\x00\x00\x00abc" {
		t.Fatalf("SETRANGE padding: %d %v %q", n, err, f.get("k"))
	}
	f.set("w", "Hello World")
	f.db.Expire(b("w"), t0+500, 0)
	if n, _ := f.db.SetRange(b("w"), 6, b("Redis")); n != 11 || f.get("w") != "Hello Redis" || f.pttl("w") != 500 {
		t.Fatalf("SETRANGE overwrite: %d %q", n, f.get("w"))
	}
	if n, _ := f.db.SetRange(b("w"), 0, nil); n != 11 {
		t.Fatalf("SETRANGE empty on existing = %d", n)
	}
	if n, _ := f.db.SetRange(b("w"), 11, b("!")); n != 12 || f.get("w") != "Hello Redis!" {
		t.Fatal("SETRANGE append")
	}
	if _, err := f.db.SetRange(b("w"), -1, b("x")); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("negative offset: %v", err)
	}
	if _, err := f.db.SetRange(b("w"), 1<<20, b("x")); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("offset past max: %v", err)
	}
	if _, err := f.db.SetRange(b("big"), 1<<62, b("x")); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("huge offset on missing key: %v", err)
	}
	if n, err := f.db.SetRange(b("w"), 1<<62, nil); n != 12 || err != nil {
		t.Fatal("huge offset with empty value is a no-op")
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.SetRange(b("h"), 0, b("x")); !errors.Is(err, ErrWrongType) {
		t.Fatal("SETRANGE hash")
	}
	if _, err := f.db.SetRange(b("h"), 0, nil); !errors.Is(err, ErrWrongType) {
		t.Fatal("SETRANGE hash with empty value")
	}
}

func TestIncrDecr(t *testing.T) {
	f := newFixture(t)
	if n, err := f.db.IncrBy(b("n"), 1); n != 1 || err != nil {
		t.Fatalf("INCR new = %d %v", n, err)
	}
	if n, _ := f.db.IncrBy(b("n"), 1); n != 2 {
		t.Fatal("INCR")
	}
	if n, _ := f.db.IncrBy(b("n"), 25); n != 27 {
		t.Fatal("INCRBY")
	}
	if n, _ := f.db.DecrBy(b("n"), 30); n != -3 || f.get("n") != "-3" {
		t.Fatal("DECRBY")
	}
	f.set("n", "17179869184")
	if n, _ := f.db.IncrBy(b("n"), 17179869184); n != 34359738368 {
		t.Fatal("INCRBY over 32 bits")
	}
	f.db.Expire(b("n"), t0+100, 0)
	f.db.IncrBy(b("n"), 1)
	if f.pttl("n") != 100 {
		t.Fatal("INCR dropped the TTL")
	}
	for _, bad := range []string{" 11", "11 ", " 11 ", "+1", "01", "-0", "1.0", "", "abc", "9223372036854775808",
		"-9223372036854775809", "1\x002", "99999999999999999999"} {
		f.set("bad", bad)
		if _, err := f.db.IncrBy(b("bad"), 1); !errors.Is(err, ErrNotInteger) {
			t.Errorf("INCR on %q: %v", bad, err)
		}
		if f.get("bad") != bad {
			t.Errorf("INCR on %q modified it", bad)
		}
	}
	f.set("max", "9223372036854775807")
	if _, err := f.db.IncrBy(b("max"), 1); !errors.Is(err, ErrOverflow) {
		t.Fatalf("INCR overflow: %v", err)
	}
	f.set("min", "-9223372036854775808")
	if _, err := f.db.IncrBy(b("min"), -1); !errors.Is(err, ErrOverflow) {
		t.Fatalf("DECR underflow: %v", err)
	}
	if n, err := f.db.IncrBy(b("min"), 1<<63-1); n != -1 || err != nil {
		t.Fatal("INCRBY min by max")
	}
	if _, err := f.db.DecrBy(b("x"), -1<<63); !errors.Is(err, ErrDecrementOverflow) {
		t.Fatalf("DECRBY min: %v", err)
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.IncrBy(b("h"), 1); !errors.Is(err, ErrWrongType) {
		t.Fatal("INCR hash")
	}
	if ErrNotInteger.Error() != "ERR value is not an integer or out of range" ||
		ErrOverflow.Error() != "ERR increment or decrement would overflow" {
		t.Fatal("error texts changed")
	}
}

func TestIncrConcurrent(t *testing.T) {
	f := newFixture(t)
	const workers, each = 16, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				delta := int64(1)
				if w%4 == 0 {
					delta = 3
				}
				if _, err := f.db.IncrBy(b("counter"), delta); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := (workers/4)*each*3 + (workers-workers/4)*each
	if got := f.get("counter"); got != fmt.Sprint(want) {
		t.Fatalf("counter = %s, want %d", got, want)
	}
}

func TestIncrByFloat(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		start  string // "" = missing key
		incr   string
		want   string
		err    error
		unused bool
	}{
		{start: "", incr: "1", want: "1"},
		{start: "1", incr: "0.25", want: "1.25"},
		{start: "1.5", incr: "1.5", want: "3"},
		{start: "10.5", incr: "0.1", want: "10.6"}, // long double, not float64's 10.59999999999999964
		{start: "17179869184", incr: "1.5", want: "17179869185.5"},
		{start: "17179869184", incr: "17179869184", want: "34359738368"},
		{start: "5.0e3", incr: "2.0e2", want: "5200"},
		{start: "1", incr: "-1.1", want: "-0.1"},
		{start: "3.0", incr: "-3", want: "0"},
		{start: "0.024390243902439025", incr: "-0.024390243902439025", want: "0"}, // no negative zero
		{start: "-1e-30", incr: "0", want: "0"},                                   // "-0.00000000000000000" prints as 0
		{start: "0", incr: ".5", want: "0.5"},
		{start: "0", incr: "5.", want: "5"},
		{start: "0", incr: "1e3", want: "1000"},
		{start: "0", incr: "1E-2", want: "0.01"},
		{start: "0", incr: "+2", want: "2"},
		{start: "0", incr: "3.0000000000000000001", want: "3"},
		{start: "0", incr: "0.1", want: "0.1"},
		{start: "1e18", incr: "1", want: "1000000000000000001"},
		{start: "1e20", incr: "1", want: "100000000000000000000"}, // 1e20+1 needs 67 bits
		{start: "0", incr: "1e4933", err: ErrNotFloat},            // overflows a long double
		{start: "0", incr: "1e-5000", err: ErrNotFloat},           // underflows to zero
		{start: "0", incr: "+inf", err: ErrNaNOrInf},
		{start: "0", incr: "-Infinity", err: ErrNaNOrInf},
		{start: "0", incr: "nan", err: ErrNotFloat},
		{start: "0", incr: "abc", err: ErrNotFloat},
		{start: "0", incr: "", err: ErrNotFloat},
		{start: "0", incr: "1e", err: ErrNotFloat},
		{start: " 11", incr: "1", err: ErrNotFloat},
		{start: "11 ", incr: "1", err: ErrNotFloat},
		{start: "1\x002", incr: "1", err: ErrNotFloat},
		{start: "inf", incr: "1", err: ErrNaNOrInf},
		{start: "1e4932", incr: "1e4932", err: ErrNaNOrInf}, // the sum overflows
	} {
		if tc.start == "" {
			f.db.Del(b("f"))
		} else {
			f.set("f", tc.start)
		}
		got, err := f.db.IncrByFloat(b("f"), b(tc.incr))
		if !errors.Is(err, tc.err) {
			t.Errorf("INCRBYFLOAT %q by %q: err %v, want %v", tc.start, tc.incr, err, tc.err)
			continue
		}
		if err != nil {
			if tc.start != "" && f.get("f") != tc.start {
				t.Errorf("failed INCRBYFLOAT changed %q", tc.start)
			}
			continue
		}
		if string(got) != tc.want || f.get("f") != tc.want {
			t.Errorf("INCRBYFLOAT %q by %q = %q (stored %q), want %q", tc.start, tc.incr, got, f.get("f"), tc.want)
		}
	}
	// Repeated small increments keep Redis's digits.
	f.set("f", "0")
	for i := 0; i < 10; i++ {
		f.db.IncrByFloat(b("f"), b("0.1"))
	}
	if got := f.get("f"); got != "1" {
		t.Errorf("ten times 0.1 = %q", got)
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.IncrByFloat(b("h"), b("bad")); !errors.Is(err, ErrWrongType) {
		t.Fatal("INCRBYFLOAT hash: type is checked before the increment")
	}
	if huge := strings.Repeat("1", 6000); true {
		if _, err := f.db.IncrByFloat(b("f"), b(huge)); !errors.Is(err, ErrNotFloat) {
			t.Fatal("overlong increment accepted")
		}
	}
}

// A DB with Buffers gives the same answers; values alias the buffers until
// the next call.
func TestBuffersGetSet(t *testing.T) {
	f := newFixture(t)
	var buf Buffers
	d := f.ks.DBWith(0, &buf)
	for i := range 3 {
		v := fmt.Sprintf("value-%d", i)
		res, err := d.Set(b("k"), b(v), SetOptions{Get: true})
		if err != nil || !res.Written || res.OldFound != (i > 0) {
			t.Fatalf("Set %d: %+v %v", i, res, err)
		}
		if i > 0 && string(res.Old) != fmt.Sprintf("value-%d", i-1) {
			t.Fatalf("Set %d: old %q", i, res.Old)
		}
		got, found, err := d.Get(b("k"))
		if err != nil || !found || string(got) != v {
			t.Fatalf("Get %d: %q %v %v", i, got, found, err)
		}
	}
	if _, found, err := d.Get(b("missing")); found || err != nil {
		t.Fatalf("Get missing: %v %v", found, err)
	}
	if _, err := f.db.Push(b("list"), [][]byte{b("x")}, false, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(b("list")); err != ErrWrongType {
		t.Fatalf("Get of a list: %v", err)
	}
}

// TestIncrByEach: IncrByEach answers, call by call, what IncrBy answers for
// the same calls run one after the other, and leaves the same records and
// key counts. The runs name keys twice, keys that hold no integer, a hash,
// integers at the edges of int64, a key with a TTL and an expired one, on
// a store read one key at a time and on one with GetMany.
func TestIncrByEach(t *testing.T) {
	deltas := []int64{1, -1, 7, -3, 1<<62 + 5, -(1<<62 + 5), 1<<63 - 1, -1 << 63}
	keys := []string{"new", "n", "big", "small", "text", "hash", "ttl", "gone"}
	setup := func(f *fixture) {
		f.set("n", "41")
		f.set("big", "9223372036854775800")
		f.set("small", "-9223372036854775800")
		f.set("text", "12a")
		f.putComplex(0, "hash", TypeHash, 3, 0)
		f.setEx("ttl", "5", t0+100_000)
		f.setEx("gone", "9", t0+10)
		f.clock.Advance(20) // "gone" has expired
	}
	for seed := range uint64(300) {
		each, one := newFixture(t), newFixture(t)
		setup(each)
		setup(one)
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(20)
		ks := make([][]byte, n)
		ds := make([]int64, n)
		for i := range n {
			ks[i], ds[i] = b(keys[rng.IntN(len(keys))]), deltas[rng.IntN(len(deltas))]
		}
		db := each.db
		ms := &manyStore{MemStore: each.store}
		if seed%2 == 1 {
			db = New(ms, &Options{Now: each.clock.Now}).DB(0)
		}
		out, errs := make([]int64, n), make([]error, n)
		eachBefore, oneBefore := db.DBSize(), one.db.DBSize()
		if err := db.IncrByEach(ks, ds, out, errs); err != nil {
			t.Fatal(err)
		}
		if seed%2 == 1 && n > 1 && ms.calls != 1 {
			t.Fatalf("seed %d: GetMany called %d times, want 1", seed, ms.calls)
		}
		for i := range n {
			want, werr := one.db.IncrBy(ks[i], ds[i])
			if out[i] != want || !errors.Is(errs[i], werr) || (werr == nil) != (errs[i] == nil) {
				t.Fatalf("seed %d: call %d INCRBY %s %d: got %d %v, one at a time %d %v", seed, i, ks[i], ds[i], out[i], errs[i], want, werr)
			}
		}
		if got, want := storeDump(t, each.store), storeDump(t, one.store); got != want {
			t.Fatalf("seed %d: stored records differ\n each: %s\n  one: %s", seed, got, want)
		}
		if got, want := db.DBSize()-eachBefore, one.db.DBSize()-oneBefore; got != want {
			t.Fatalf("seed %d: DBSIZE changed by %d, one at a time by %d", seed, got, want)
		}
		if got := each.pttl("ttl"); got != one.pttl("ttl") {
			t.Fatalf("seed %d: PTTL ttl %d, one at a time %d", seed, got, one.pttl("ttl"))
		}
	}
}
