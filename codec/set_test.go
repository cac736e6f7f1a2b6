package codec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Set helpers: members as strings, failing the test on errors.

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = b(s)
	}
	return out
}

func strs(bb [][]byte) []string {
	out := make([]string, len(bb))
	for i, x := range bb {
		out[i] = string(x)
	}
	return out
}

func (f *fixture) sadd(k string, ms ...string) int64 {
	f.t.Helper()
	n, err := f.db.SAdd(b(k), bs(ms...))
	if err != nil {
		f.t.Fatalf("SADD %s: %v", k, err)
	}
	return n
}

// members returns the members of k in order ("" joined by commas).
func (f *fixture) members(k string) string {
	f.t.Helper()
	ms, err := f.db.SMembers(b(k))
	if err != nil {
		f.t.Fatalf("SMEMBERS %s: %v", k, err)
	}
	return strings.Join(strs(ms), ",")
}

func (f *fixture) scard(k string) int64 {
	f.t.Helper()
	n, err := f.db.SCard(b(k))
	if err != nil {
		f.t.Fatalf("SCARD %s: %v", k, err)
	}
	return n
}

// dataKeys counts the stored data keys of database 0.
func (f *fixture) dataKeys() int {
	n := 0
	for _, k := range f.store.Keys() {
		if k[0] == FamilyData && k[1] == 0 {
			n++
		}
	}
	return n
}

func TestSAddSRemSCard(t *testing.T) {
	f := newFixture(t)
	if n := f.sadd("s", "b", "a", "b", "c"); n != 3 {
		t.Fatalf("SADD added %d, want 3 (a member named twice counts once)", n)
	}
	if n := f.sadd("s", "a", "d"); n != 1 {
		t.Fatalf("SADD existing+new added %d", n)
	}
	if got := f.members("s"); got != "a,b,c,d" {
		t.Fatalf("SMEMBERS %q", got)
	}
	if n := f.scard("s"); n != 4 {
		t.Fatalf("SCARD %d", n)
	}
	if typ, _ := f.db.Type(b("s")); typ != "set" {
		t.Fatalf("TYPE %q", typ)
	}
	if n, err := f.db.SRem(b("s"), bs("a", "a", "x")); n != 1 || err != nil {
		t.Fatalf("SREM %d %v", n, err)
	}
	if n, _ := f.db.SRem(b("nope"), bs("a")); n != 0 {
		t.Fatal("SREM on a missing key")
	}
	// Emptying the set deletes the key and all its data.
	if n, _ := f.db.SRem(b("s"), bs("b", "c", "d")); n != 3 {
		t.Fatal("SREM rest")
	}
	if n, _ := f.db.Exists(b("s")); n != 0 || f.dataKeys() != 0 || f.familyCount(FamilyMeta) != 0 {
		t.Fatalf("emptied set left exists=%d data=%d meta=%d", n, f.dataKeys(), f.familyCount(FamilyMeta))
	}
	if n := f.scard("s"); n != 0 {
		t.Fatal("SCARD of a missing key")
	}
	// Empty and binary members.
	if n := f.sadd("s", "", "\x00\xff"); n != 2 || f.members("s") != ",\x00\xff" {
		t.Fatalf("binary members: %d %q", n, f.members("s"))
	}
}

func TestSetWrongType(t *testing.T) {
	f := newFixture(t)
	f.set("str", "v")
	if _, err := f.db.HSet(b("h"), bs("f", "v")); err != nil {
		t.Fatal(err)
	}
	f.sadd("s", "a")
	for _, k := range []string{"str", "h"} {
		k := b(k)
		checks := map[string]error{}
		_, checks["SADD"] = f.db.SAdd(k, bs("a"))
		_, checks["SREM"] = f.db.SRem(k, bs("a"))
		_, checks["SCARD"] = f.db.SCard(k)
		_, checks["SISMEMBER"] = f.db.SIsMember(k, b("a"))
		_, checks["SMISMEMBER"] = f.db.SMIsMember(k, bs("a"))
		_, checks["SMEMBERS"] = f.db.SMembers(k)
		_, checks["SPOP"] = f.db.SPop(k, 1)
		_, checks["SRANDMEMBER"] = f.db.SRandMember(k, 1)
		_, checks["SSCAN"] = f.db.SScan(k, 0, nil, 10)
		_, checks["SMOVE src"] = f.db.SMove(k, b("s"), b("a"))
		_, checks["SMOVE dst"] = f.db.SMove(b("s"), k, b("a"))
		for _, op := range []SetOp{SetInter, SetUnion, SetDiff} {
			_, checks[fmt.Sprint("combine ", op)] = f.db.SetCombine(op, [][]byte{b("missing"), k})
			_, checks[fmt.Sprint("store ", op)] = f.db.SetStore(op, b("d"), [][]byte{b("missing"), k})
		}
		_, checks["SINTERCARD"] = f.db.SInterCard([][]byte{b("missing"), k}, 0)
		for name, err := range checks {
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("%s on %s: %v, want WRONGTYPE", name, k, err)
			}
		}
	}
	// A missing source answers SMOVE with false before dst's type counts.
	if ok, err := f.db.SMove(b("missing"), b("str"), b("a")); ok || err != nil {
		t.Fatalf("SMOVE from a missing key: %v %v", ok, err)
	}
	if f.members("s") != "a" || f.get("str") != "v" {
		t.Fatal("failed commands changed data")
	}
}

func TestSIsMember(t *testing.T) {
	f := newFixture(t)
	f.sadd("s", "a", "c")
	for m, want := range map[string]bool{"a": true, "b": false, "c": true, "": false} {
		if got, err := f.db.SIsMember(b("s"), b(m)); got != want || err != nil {
			t.Errorf("SISMEMBER %q = %v %v", m, got, err)
		}
	}
	got, err := f.db.SMIsMember(b("s"), bs("c", "x", "a", "a"))
	if err != nil || !slices.Equal(got, []bool{true, false, true, true}) {
		t.Fatalf("SMISMEMBER %v %v", got, err)
	}
	got, err = f.db.SMIsMember(b("nope"), bs("a", "b"))
	if err != nil || !slices.Equal(got, []bool{false, false}) {
		t.Fatalf("SMISMEMBER on a missing key %v %v", got, err)
	}
}

func TestSPop(t *testing.T) {
	f := newFixture(t)
	if ms, err := f.db.SPop(b("nope"), 3); len(ms) != 0 || err != nil {
		t.Fatal("SPOP on a missing key")
	}
	if _, err := f.db.SPop(b("nope"), -1); !errors.Is(err, ErrSPopCount) {
		t.Fatalf("SPOP -1: %v", err)
	}
	all := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	f.sadd("s", all...)
	if ms, _ := f.db.SPop(b("s"), 0); len(ms) != 0 || f.scard("s") != 8 {
		t.Fatal("SPOP 0 removed something")
	}
	// Partial pops: distinct members that leave the set.
	left := map[string]bool{}
	for _, m := range all {
		left[m] = true
	}
	for _, n := range []int64{1, 3, 2} {
		ms, err := f.db.SPop(b("s"), n)
		if err != nil || int64(len(ms)) != n {
			t.Fatalf("SPOP %d: %q %v", n, ms, err)
		}
		for _, m := range ms {
			if !left[string(m)] {
				t.Fatalf("SPOP returned %q twice or from nowhere", m)
			}
			delete(left, string(m))
		}
		if f.scard("s") != int64(len(left)) || f.dataKeys() != len(left) {
			t.Fatalf("after SPOP %d: SCARD %d, data keys %d, want %d", n, f.scard("s"), f.dataKeys(), len(left))
		}
	}
	var want []string
	for m := range left {
		want = append(want, m)
	}
	slices.Sort(want)
	if got := f.members("s"); got != strings.Join(want, ",") {
		t.Fatalf("left %q, want %q", got, want)
	}
	// A count at or above the size pops everything and deletes the key.
	f.db.Expire(b("s"), t0+1000, 0)
	ms, err := f.db.SPop(b("s"), 100)
	if err != nil || len(ms) != 2 {
		t.Fatalf("SPOP all: %q %v", ms, err)
	}
	if n, _ := f.db.Exists(b("s")); n != 0 || f.dataKeys() != 0 {
		t.Fatal("SPOP all left the key")
	}
	f.checkIndex()
	// Every member can come out of a single pop.
	seen := map[string]bool{}
	for i := 0; i < 400 && len(seen) < 4; i++ {
		f.sadd("r", "w", "x", "y", "z")
		ms, _ := f.db.SPop(b("r"), 1)
		seen[string(ms[0])] = true
		f.db.Del(b("r"))
	}
	if len(seen) != 4 {
		t.Fatalf("single pops only ever chose %v", seen)
	}
}

func TestSRandMember(t *testing.T) {
	f := newFixture(t)
	if ms, err := f.db.SRandMember(b("nope"), -3); len(ms) != 0 || err != nil {
		t.Fatal("SRANDMEMBER on a missing key")
	}
	f.sadd("s", "a", "b", "c", "d", "e")
	in := func(ms [][]byte) bool {
		for _, m := range ms {
			if ok, _ := f.db.SIsMember(b("s"), m); !ok {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		count    int64
		n        int
		distinct bool
	}{{0, 0, true}, {1, 1, true}, {3, 3, true}, {5, 5, true}, {9, 5, true}, {-1, 1, false}, {-12, 12, false}} {
		ms, err := f.db.SRandMember(b("s"), tc.count)
		if err != nil || len(ms) != tc.n || !in(ms) {
			t.Fatalf("SRANDMEMBER %d: %q %v", tc.count, ms, err)
		}
		if tc.distinct {
			u := slices.Compact(slices.Sorted(slices.Values(strs(ms))))
			if len(u) != len(ms) {
				t.Fatalf("SRANDMEMBER %d repeated members: %q", tc.count, ms)
			}
		}
	}
	if f.scard("s") != 5 {
		t.Fatal("SRANDMEMBER changed the set")
	}
	// A negative count repeats members (12 picks from 5 must).
	ms, _ := f.db.SRandMember(b("s"), -12)
	if u := slices.Compact(slices.Sorted(slices.Values(strs(ms)))); len(u) == len(ms) {
		t.Fatal("12 picks from 5 without a repeat")
	}
}

func TestSMove(t *testing.T) {
	f := newFixture(t)
	f.sadd("src", "a", "b")
	f.sadd("dst", "b", "z")
	f.db.Expire(b("dst"), t0+5000, 0)
	if ok, err := f.db.SMove(b("src"), b("dst"), b("a")); !ok || err != nil {
		t.Fatalf("SMOVE a: %v %v", ok, err)
	}
	if f.members("src") != "b" || f.members("dst") != "a,b,z" || f.pttl("dst") != 5000 {
		t.Fatalf("after SMOVE: %q %q ttl %d", f.members("src"), f.members("dst"), f.pttl("dst"))
	}
	if ok, _ := f.db.SMove(b("src"), b("dst"), b("nope")); ok {
		t.Fatal("SMOVE of a non-member")
	}
	// Onto itself: membership only.
	if ok, _ := f.db.SMove(b("src"), b("src"), b("b")); !ok || f.members("src") != "b" {
		t.Fatal("SMOVE onto itself, member")
	}
	if ok, _ := f.db.SMove(b("src"), b("src"), b("q")); ok {
		t.Fatal("SMOVE onto itself, non-member")
	}
	// A member already in dst leaves src and dst keeps one copy; the
	// emptied src is deleted in the same batch.
	if ok, _ := f.db.SMove(b("src"), b("dst"), b("b")); !ok {
		t.Fatal("SMOVE b")
	}
	if n, _ := f.db.Exists(b("src")); n != 0 || f.members("dst") != "a,b,z" || f.scard("dst") != 3 {
		t.Fatalf("after SMOVE b: src exists %d, dst %q", n, f.members("dst"))
	}
	// Into a missing key creates it.
	if ok, _ := f.db.SMove(b("dst"), b("new"), b("z")); !ok || f.members("new") != "z" || f.pttl("new") != -1 {
		t.Fatal("SMOVE into a new key")
	}
	if f.dataKeys() != 3 {
		t.Fatalf("data keys %d, want 3", f.dataKeys())
	}
	f.checkIndex()
}

func TestSetCombine(t *testing.T) {
	f := newFixture(t)
	f.sadd("a", "1", "2", "3", "4", "5")
	f.sadd("b", "2", "4", "6")
	f.sadd("c", "4", "5", "6", "7")
	combine := func(op SetOp, keys ...string) string {
		t.Helper()
		ms, err := f.db.SetCombine(op, bs(keys...))
		if err != nil {
			t.Fatalf("%v %v: %v", op, keys, err)
		}
		return strings.Join(strs(ms), ",")
	}
	for _, tc := range []struct {
		op   SetOp
		keys []string
		want string
	}{
		{SetInter, []string{"a"}, "1,2,3,4,5"},
		{SetInter, []string{"a", "b"}, "2,4"},
		{SetInter, []string{"a", "b", "c"}, "4"},
		{SetInter, []string{"a", "a"}, "1,2,3,4,5"},
		{SetInter, []string{"a", "missing"}, ""},
		{SetInter, []string{"missing", "a"}, ""},
		{SetUnion, []string{"a", "b", "c"}, "1,2,3,4,5,6,7"},
		{SetUnion, []string{"b", "missing", "b"}, "2,4,6"},
		{SetUnion, []string{"missing"}, ""},
		{SetDiff, []string{"a", "b"}, "1,3,5"},
		{SetDiff, []string{"a", "b", "c"}, "1,3"},
		{SetDiff, []string{"c", "missing"}, "4,5,6,7"},
		{SetDiff, []string{"a", "c", "a"}, ""},
		{SetDiff, []string{"missing", "a"}, ""},
		{SetDiff, []string{"b", "a", "a"}, "6"},
	} {
		if got := combine(tc.op, tc.keys...); got != tc.want {
			t.Errorf("%v %v = %q, want %q", tc.op, tc.keys, got, tc.want)
		}
	}
	for _, tc := range []struct {
		keys  []string
		limit int64
		want  int64
	}{
		{[]string{"a", "c"}, 0, 2}, {[]string{"a", "c"}, 1, 1}, {[]string{"a", "c"}, 5, 2},
		{[]string{"a"}, 3, 3}, {[]string{"a", "missing"}, 0, 0},
	} {
		if n, err := f.db.SInterCard(bs(tc.keys...), tc.limit); n != tc.want || err != nil {
			t.Errorf("SINTERCARD %v LIMIT %d = %d %v, want %d", tc.keys, tc.limit, n, err, tc.want)
		}
	}
}

func TestSetStore(t *testing.T) {
	f := newFixture(t)
	f.sadd("a", "1", "2", "3")
	f.sadd("b", "2", "3", "4")
	store := func(op SetOp, dst string, keys ...string) int64 {
		t.Helper()
		n, err := f.db.SetStore(op, b(dst), bs(keys...))
		if err != nil {
			t.Fatalf("%v STORE %s %v: %v", op, dst, keys, err)
		}
		return n
	}
	// Replaces a string with its TTL.
	f.setEx("d", "v", t0+1000)
	if n := store(SetInter, "d", "a", "b"); n != 2 || f.members("d") != "2,3" || f.pttl("d") != -1 {
		t.Fatalf("SINTERSTORE over a string: %d %q ttl %d", n, f.members("d"), f.pttl("d"))
	}
	f.checkIndex()
	// Replaces a set (one of the sources): the old incarnation's data goes.
	f.db.Expire(b("a"), t0+1000, 0)
	if n := store(SetUnion, "a", "a", "b"); n != 4 || f.members("a") != "1,2,3,4" || f.pttl("a") != -1 {
		t.Fatalf("SUNIONSTORE onto a source: %d %q", n, f.members("a"))
	}
	if n := store(SetDiff, "b", "a", "b"); n != 1 || f.members("b") != "1" {
		t.Fatalf("SDIFFSTORE onto a source: %d %q", n, f.members("b"))
	}
	if want := 4 + 1 + 2; f.dataKeys() != want {
		t.Fatalf("data keys %d, want %d (an old incarnation was left behind)", f.dataKeys(), want)
	}
	// A hash destination is replaced, its fields dropped.
	if _, err := f.db.HSet(b("h"), bs("f1", "v", "f2", "v")); err != nil {
		t.Fatal(err)
	}
	if n := store(SetUnion, "h", "b"); n != 1 || f.members("h") != "1" {
		t.Fatal("SUNIONSTORE over a hash")
	}
	if want := 4 + 1 + 2 + 1; f.dataKeys() != want {
		t.Fatalf("data keys %d, want %d", f.dataKeys(), want)
	}
	// An empty result deletes the destination, whatever it is.
	for _, tc := range []struct {
		op   SetOp
		keys []string
	}{{SetInter, []string{"b", "missing"}}, {SetUnion, []string{"missing", "missing2"}}, {SetDiff, []string{"b", "b"}}} {
		op := tc.op
		f.set("e", "v")
		if n := store(op, "e", tc.keys...); n != 0 {
			t.Fatal("empty result size")
		}
		if n, _ := f.db.Exists(b("e")); n != 0 {
			t.Fatalf("%v: empty result left the destination", op)
		}
	}
	if n := store(SetInter, "d", "a", "missing"); n != 0 {
		t.Fatal("SINTERSTORE empty")
	}
	if n, _ := f.db.Exists(b("d")); n != 0 {
		t.Fatal("empty SINTERSTORE left its destination")
	}
	if want := 4 + 1 + 1; f.dataKeys() != want {
		t.Fatalf("data keys %d, want %d", f.dataKeys(), want)
	}
	// An empty result onto a missing destination writes nothing.
	before := f.store.Len()
	if n := store(SetDiff, "nothing", "missing"); n != 0 || f.store.Len() != before {
		t.Fatal("empty store into a missing key wrote something")
	}
	// WRONGTYPE leaves the destination alone.
	f.set("str", "v")
	if _, err := f.db.SetStore(SetUnion, b("a"), bs("b", "str")); !errors.Is(err, ErrWrongType) {
		t.Fatalf("STORE with a string source: %v", err)
	}
	if f.members("a") != "1,2,3,4" {
		t.Fatal("failed STORE changed its destination")
	}
	f.checkIndex()
}

func TestSScan(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 57 {
		m := fmt.Sprintf("m%02d", i)
		want = append(want, m)
		f.sadd("s", m)
	}
	var got []string
	cursor := uint64(0)
	for calls := 0; ; calls++ {
		res, err := f.db.SScan(b("s"), cursor, nil, 10)
		if err != nil || calls > 20 {
			t.Fatalf("SSCAN: %v after %d calls", err, calls)
		}
		got = append(got, strs(res.Items)...)
		if cursor = res.Cursor; cursor == 0 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SSCAN visited %q", got)
	}
	res, err := f.db.SScan(b("s"), 0, b("m1*"), 100)
	if err != nil || res.Cursor != 0 || len(res.Items) != 10 {
		t.Fatalf("SSCAN MATCH: %v %q", err, res.Items)
	}
	if res, err := f.db.SScan(b("nope"), 0, nil, 10); err != nil || res.Cursor != 0 || len(res.Items) != 0 {
		t.Fatal("SSCAN of a missing key")
	}
}

// recordingNotifier collects Modified calls.
type recordingNotifier struct {
	mu   sync.Mutex
	keys []string
}

func (n *recordingNotifier) Active() bool { return true }
func (n *recordingNotifier) Modified(db int, key []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.keys = append(n.keys, string(key))
}

func (n *recordingNotifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Sorted(slices.Values(n.keys))
	n.keys = nil
	return slices.Compact(out)
}

func TestSetNotifications(t *testing.T) {
	f := newFixture(t)
	rec := &recordingNotifier{}
	f.ks = New(f.store, &Options{Now: f.clock.Now, Notifier: rec})
	f.db = f.ks.DB(0)
	f.sadd("a", "1", "2")
	f.sadd("b", "2")
	rec.take()
	for _, tc := range []struct {
		name string
		run  func() error
		want []string
	}{
		{"SMOVE", func() error { _, err := f.db.SMove(b("a"), b("b"), b("1")); return err }, []string{"a", "b"}},
		{"SMOVE absent", func() error { _, err := f.db.SMove(b("a"), b("b"), b("9")); return err }, nil},
		{"SINTERSTORE", func() error { _, err := f.db.SetStore(SetInter, b("d"), bs("a", "b")); return err }, []string{"d"}},
		{"SDIFFSTORE empty", func() error { _, err := f.db.SetStore(SetDiff, b("d"), bs("a", "b")); return err }, []string{"d"}},
		{"SDIFFSTORE nothing", func() error { _, err := f.db.SetStore(SetDiff, b("d"), bs("a", "b")); return err }, nil},
		{"SPOP", func() error { _, err := f.db.SPop(b("b"), 1); return err }, []string{"b"}},
		{"SADD existing", func() error { _, err := f.db.SAdd(b("a"), bs("2")); return err }, nil},
	} {
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := rec.take(); !slices.Equal(got, tc.want) {
			t.Errorf("%s notified %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSetModel runs thousands of random set commands over a few keys
// against Go maps and compares every reply and, after each command, the
// stored state: members, SCARD, and no data keys beyond the members (an
// incarnation left behind would show up there).
func TestSetModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runSetModel(t, seed) })
	}
}

type setModel map[string]map[string]bool

func (m setModel) sorted(k string) []string {
	var out []string
	for x := range m[k] {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func (m setModel) put(k string, members []string) {
	if len(members) == 0 {
		delete(m, k)
		return
	}
	s := map[string]bool{}
	for _, x := range members {
		s[x] = true
	}
	m[k] = s
}

func (m setModel) combine(op SetOp, keys []string) []string {
	acc := map[string]bool{}
	for x := range m[keys[0]] {
		acc[x] = true
	}
	for _, k := range keys[1:] {
		switch op {
		case SetInter:
			for x := range acc {
				if !m[k][x] {
					delete(acc, x)
				}
			}
		case SetUnion:
			for x := range m[k] {
				acc[x] = true
			}
		case SetDiff:
			for x := range m[k] {
				delete(acc, x)
			}
		}
	}
	out := make([]string, 0, len(acc))
	for x := range acc {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func runSetModel(t *testing.T, seed uint64) {
	f := newFixture(t)
	r := rand.New(rand.NewPCG(seed, seed+1))
	model := setModel{}
	keys := []string{"k0", "k1", "k2", "k3"}
	key := func() string { return keys[r.IntN(len(keys))] }
	member := func() string { return fmt.Sprint("m", r.IntN(12)) }
	someKeys := func() []string {
		out := []string{key()}
		for r.IntN(2) == 0 {
			out = append(out, key())
		}
		return out
	}
	ops := []SetOp{SetInter, SetUnion, SetDiff}
	desc := func(a ...any) string { return strings.TrimSpace(fmt.Sprintln(a...)) }
	for step := range 4000 {
		var what string
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("step %d %s: %s", step, what, fmt.Sprintf(format, args...))
		}
		switch r.IntN(10) {
		case 0, 1:
			k := key()
			ms := []string{member(), member(), member()}[:1+r.IntN(3)]
			what = desc("SADD", k, ms)
			want := int64(0)
			if model[k] == nil {
				model[k] = map[string]bool{}
			}
			for _, x := range ms {
				if !model[k][x] {
					model[k][x] = true
					want++
				}
			}
			if n, err := f.db.SAdd(b(k), bs(ms...)); n != want || err != nil {
				fail("got %d %v, want %d", n, err, want)
			}
		case 2:
			k := key()
			ms := []string{member(), member(), member(), member()}[:1+r.IntN(4)]
			what = desc("SREM", k, ms)
			want := int64(0)
			for _, x := range ms {
				if model[k][x] {
					delete(model[k], x)
					want++
				}
			}
			if len(model[k]) == 0 {
				delete(model, k)
			}
			if n, err := f.db.SRem(b(k), bs(ms...)); n != want || err != nil {
				fail("got %d %v, want %d", n, err, want)
			}
		case 3:
			src, dst, x := key(), key(), member()
			what = desc("SMOVE", src, dst, x)
			want := model[src][x]
			if want && src != dst {
				delete(model[src], x)
				if len(model[src]) == 0 {
					delete(model, src)
				}
				if model[dst] == nil {
					model[dst] = map[string]bool{}
				}
				model[dst][x] = true
			}
			if ok, err := f.db.SMove(b(src), b(dst), b(x)); ok != want || err != nil {
				fail("got %v %v, want %v", ok, err, want)
			}
		case 4:
			k, count := key(), int64(r.IntN(6))
			what = desc("SPOP", k, count)
			got, err := f.db.SPop(b(k), count)
			if err != nil || int64(len(got)) != min(count, int64(len(model[k]))) {
				fail("got %q %v from %v", got, err, model.sorted(k))
			}
			for _, x := range strs(got) {
				if !model[k][x] {
					fail("popped %q, not a member of %v", x, model.sorted(k))
				}
				delete(model[k], x)
			}
			if len(model[k]) == 0 {
				delete(model, k)
			}
		case 5:
			k, count := key(), int64(r.IntN(9)-4)
			what = desc("SRANDMEMBER", k, count)
			got, err := f.db.SRandMember(b(k), count)
			want := int(max(count, -count))
			if count > 0 {
				want = min(want, len(model[k]))
			}
			if len(model[k]) == 0 {
				want = 0
			}
			if err != nil || len(got) != want {
				fail("got %q %v from %v", got, err, model.sorted(k))
			}
			for _, x := range strs(got) {
				if !model[k][x] {
					fail("picked %q", x)
				}
			}
		case 6:
			op, ks := ops[r.IntN(3)], someKeys()
			what = desc("combine", op, ks)
			got, err := f.db.SetCombine(op, bs(ks...))
			if want := model.combine(op, ks); err != nil || !slices.Equal(strs(got), want) {
				fail("got %q %v, want %q", got, err, want)
			}
			if op == SetInter {
				limit := int64(r.IntN(4))
				n, err := f.db.SInterCard(bs(ks...), limit)
				want := int64(len(model.combine(op, ks)))
				if limit > 0 {
					want = min(want, limit)
				}
				if n != want || err != nil {
					fail("SINTERCARD LIMIT %d: got %d %v, want %d", limit, n, err, want)
				}
			}
		case 7, 8:
			op, dst, ks := ops[r.IntN(3)], key(), someKeys()
			if r.IntN(2) == 0 {
				ks = append(ks, dst) // the destination among the sources
			}
			what = desc("store", op, dst, ks)
			want := model.combine(op, ks)
			model.put(dst, want)
			if n, err := f.db.SetStore(op, b(dst), bs(ks...)); n != int64(len(want)) || err != nil {
				fail("got %d %v, want %d", n, err, len(want))
			}
		case 9:
			k := key()
			what = desc("DEL", k)
			delete(model, k)
			if _, err := f.db.Del(b(k)); err != nil {
				fail("%v", err)
			}
		}
		total := 0
		for _, k := range keys {
			want := model.sorted(k)
			total += len(want)
			if got := f.members(k); got != strings.Join(want, ",") {
				fail("%s holds %q, model %q", k, got, want)
			}
			if n := f.scard(k); n != int64(len(want)) {
				fail("SCARD %s = %d, model %d", k, n, len(want))
			}
		}
		if n := f.dataKeys(); n != total {
			fail("%d data keys for %d members", n, total)
		}
	}
	f.checkIndex()
}

// TestSetCombineReadsOneSnapshot moves members between two sets while
// readers combine them: a union read from one snapshot always holds every
// member once and an intersection none, however the moves interleave. A
// read that opened the two keys at different moments could miss a member
// or see it twice.
func TestSetCombineReadsOneSnapshot(t *testing.T) {
	f := newFixture(t)
	const n = 16
	var all []string
	for i := range n {
		all = append(all, fmt.Sprint("m", i))
	}
	f.sadd("a", all[:n/2]...)
	f.sadd("b", all[n/2:]...)
	var wg sync.WaitGroup
	var stop sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		stop.Add(1)
		go func() {
			defer stop.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				src, dst := b("a"), b("b")
				if (i+w)%2 == 0 {
					src, dst = dst, src
				}
				if _, err := f.db.SMove(src, dst, b(all[(i*5+w)%n])); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3000 {
				u, err := f.db.SetCombine(SetUnion, bs("a", "b"))
				if err != nil || len(u) != n {
					t.Errorf("SUNION saw %d members: %v", len(u), err)
					return
				}
				x, err := f.db.SetCombine(SetInter, bs("a", "b"))
				if err != nil || len(x) != 0 {
					t.Errorf("SINTER saw %q: %v", x, err)
					return
				}
				if c, err := f.db.SInterCard(bs("b", "a"), 0); err != nil || c != 0 {
					t.Errorf("SINTERCARD saw %d: %v", c, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	stop.Wait()
	if f.scard("a")+f.scard("b") != n {
		t.Fatalf("SCARD a + b = %d, want %d", f.scard("a")+f.scard("b"), n)
	}
}
