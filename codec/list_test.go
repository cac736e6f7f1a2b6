package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Helpers: lists as space-separated strings ("a b c"; "" is the empty list).

func elems(s string) [][]byte {
	if s == "" {
		return nil
	}
	var out [][]byte
	for _, f := range strings.Split(s, " ") {
		out = append(out, b(f))
	}
	return out
}

func join(es [][]byte) string {
	ss := make([]string, len(es))
	for i, e := range es {
		ss[i] = string(e)
	}
	return strings.Join(ss, " ")
}

func (f *fixture) rpush(k, s string) int64 {
	f.t.Helper()
	n, err := f.db.Push(b(k), elems(s), false, false)
	if err != nil {
		f.t.Fatalf("RPUSH %s %s: %v", k, s, err)
	}
	return n
}

// list returns the whole list and checks it against LLEN and the stored
// slots (checkLists).
func (f *fixture) list(k string) string {
	f.t.Helper()
	es, err := f.db.LRange(b(k), 0, -1)
	if err != nil {
		f.t.Fatalf("LRANGE %s: %v", k, err)
	}
	n, err := f.db.LLen(b(k))
	if err != nil || n != int64(len(es)) {
		f.t.Fatalf("LLEN %s = %d, %v; LRANGE has %d", k, n, err, len(es))
	}
	f.checkLists()
	return join(es)
}

// userKeys counts the stored metadata and data keys.
func (f *fixture) userKeys() int { return f.familyCount(FamilyMeta) + f.familyCount(FamilyData) }

func (f *fixture) wantList(k, want string) {
	f.t.Helper()
	if got := f.list(k); got != want {
		f.t.Fatalf("list %s = %q, want %q", k, got, want)
	}
}

// checkLists verifies the list layout over the whole store: every list's
// slots are exactly [Head, Tail), and no data key lies outside a live
// incarnation (nothing leaked by pops, trims, moves or deletions).
func (f *fixture) checkLists() {
	f.t.Helper()
	type inc struct {
		m     Metadata
		slots uint64
	}
	incs := map[string]*inc{} // by data prefix
	for _, k := range f.store.Keys() {
		if k[0] != FamilyMeta {
			continue
		}
		v, err := f.store.Get(k)
		if err != nil {
			f.t.Fatal(err)
		}
		m, err := DecodeMetadata(v)
		if err != nil {
			f.t.Fatalf("metadata of %q: %v", k, err)
		}
		if m.Type.IsComplex() {
			incs[string(DataPrefix(k[1], m.UUID))] = &inc{m: m}
		}
	}
	for _, k := range f.store.Keys() {
		if k[0] != FamilyData {
			continue
		}
		in := incs[string(k[:dataPrefixLen])]
		if in == nil {
			f.t.Fatalf("data key %q belongs to no key", k)
		}
		if in.m.Type != TypeList {
			continue
		}
		if len(k) != dataPrefixLen+9 || k[dataPrefixLen] != subElement {
			f.t.Fatalf("bad list data key %q", k)
		}
		idx := binary.BigEndian.Uint64(k[dataPrefixLen+1:])
		if idx < in.m.Head || idx >= in.m.Tail {
			f.t.Fatalf("slot %d outside [%d, %d)", idx, in.m.Head, in.m.Tail)
		}
		in.slots++
	}
	for _, in := range incs {
		if in.m.Type == TypeList && in.slots != in.m.Count {
			f.t.Fatalf("list with count %d has %d slots", in.m.Count, in.slots)
		}
	}
}

func TestListPushPop(t *testing.T) {
	f := newFixture(t)
	if n, err := f.db.Push(b("l"), elems("a b c"), true, false); n != 3 || err != nil {
		t.Fatalf("LPUSH = %d, %v", n, err)
	}
	f.wantList("l", "c b a")
	if n := f.rpush("l", "d e"); n != 5 {
		t.Fatalf("RPUSH = %d", n)
	}
	f.wantList("l", "c b a d e")

	// PUSHX only onto an existing list.
	if n, err := f.db.Push(b("nx"), elems("a"), true, true); n != 0 || err != nil {
		t.Fatalf("LPUSHX missing = %d, %v", n, err)
	}
	if n, err := f.db.Push(b("l"), elems("z"), false, true); n != 6 || err != nil {
		t.Fatalf("RPUSHX = %d, %v", n, err)
	}
	if f.familyCount(FamilyMeta) != 1 {
		t.Fatal("LPUSHX created a key")
	}

	// Pops return elements in the order popped.
	es, found, err := f.db.Pop(b("l"), true, 2)
	if join(es) != "c b" || !found || err != nil {
		t.Fatalf("LPOP 2 = %q %v %v", join(es), found, err)
	}
	es, found, _ = f.db.Pop(b("l"), false, 2)
	if join(es) != "z e" || !found {
		t.Fatalf("RPOP 2 = %q %v", join(es), found)
	}
	f.wantList("l", "a d")
	// Count 0 on an existing list: found, nothing popped, nothing written.
	before := f.store.Len()
	es, found, _ = f.db.Pop(b("l"), true, 0)
	if es == nil || len(es) != 0 || !found || f.store.Len() != before {
		t.Fatalf("LPOP 0 = %q %v", es, found)
	}
	// More than the list holds: everything, and the key disappears.
	es, found, _ = f.db.Pop(b("l"), false, 100)
	if join(es) != "d a" || !found {
		t.Fatalf("RPOP 100 = %q %v", join(es), found)
	}
	if f.userKeys() != 0 {
		t.Fatalf("emptied list left %d keys", f.userKeys())
	}
	es, found, err = f.db.Pop(b("l"), true, 1)
	if es != nil || found || err != nil {
		t.Fatalf("LPOP missing = %q %v %v", es, found, err)
	}

	// A pop of up to popRangeDeleteMin slots writes a tombstone per slot
	// (as the pops one at a time, which the server may coalesce); a
	// bigger one a range deletion.
	f.rpush("big", strings.Repeat("x ", 299)+"x")
	cs := countStore(f)
	es, _, _ = cs.db.Pop(b("big"), true, 40)
	if len(es) != 40 || cs.rangeDels != 0 || cs.deletes != 40 {
		t.Fatalf("LPOP 40: %d elements, %d range deletions, %d deletes", len(es), cs.rangeDels, cs.deletes)
	}
	cs.reset()
	es, _, _ = cs.db.Pop(b("big"), false, popRangeDeleteMin)
	if len(es) != popRangeDeleteMin || cs.rangeDels != 1 || cs.deletes != 0 {
		t.Fatalf("RPOP %d: %d elements, %d range deletions, %d deletes", popRangeDeleteMin, len(es), cs.rangeDels, cs.deletes)
	}
	if n, _ := f.db.LLen(b("big")); n != 300-40-popRangeDeleteMin {
		t.Fatalf("LLEN after LPOP 40 and RPOP %d = %d", popRangeDeleteMin, n)
	}
	f.checkLists()
}

func TestListWrongTypeAndExpiry(t *testing.T) {
	f := newFixture(t)
	f.set("s", "v")
	wrong := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrWrongType) {
			t.Errorf("%s on a string: %v", what, err)
		}
	}
	_, err := f.db.Push(b("s"), elems("a"), true, false)
	wrong("LPUSH", err)
	_, err = f.db.Push(b("s"), elems("a"), true, true)
	wrong("LPUSHX", err)
	_, _, err = f.db.Pop(b("s"), true, 1)
	wrong("LPOP", err)
	_, err = f.db.LLen(b("s"))
	wrong("LLEN", err)
	_, err = f.db.LRange(b("s"), 0, -1)
	wrong("LRANGE", err)
	_, _, err = f.db.LIndex(b("s"), 0)
	wrong("LINDEX", err)
	wrong("LSET", f.db.LSet(b("s"), 0, b("x")))
	_, err = f.db.LInsert(b("s"), true, b("a"), b("b"))
	wrong("LINSERT", err)
	_, err = f.db.LRem(b("s"), 0, b("a"))
	wrong("LREM", err)
	wrong("LTRIM", f.db.LTrim(b("s"), 0, 1))
	_, err = f.db.LPos(b("s"), b("a"), LPosOptions{Rank: 1, Count: 1})
	wrong("LPOS", err)
	_, _, err = f.db.LMove(b("s"), b("l"), true, true)
	wrong("LMOVE from a string", err)
	_, _, _, err = f.db.LMPop([][]byte{b("none"), b("s"), b("l")}, true, 1)
	wrong("LMPOP", err)
	if f.get("s") != "v" {
		t.Fatal("the string changed")
	}

	// An expired list is gone for reads and writes.
	f.rpush("e", "a b")
	if _, err := f.db.Expire(b("e"), t0+10, 0); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10)
	if n, _ := f.db.LLen(b("e")); n != 0 {
		t.Fatalf("LLEN of an expired list = %d", n)
	}
	if _, found, _ := f.db.Pop(b("e"), true, 1); found {
		t.Fatal("LPOP of an expired list found it")
	}
	if n := f.rpush("e", "c"); n != 1 {
		t.Fatalf("RPUSH onto an expired list = %d", n)
	}
	f.wantList("e", "c")
	if f.pttl("e") != -1 {
		t.Fatalf("new incarnation kept the TTL: %d", f.pttl("e"))
	}
	f.checkIndex()
}

func TestListRangeIndex(t *testing.T) {
	f := newFixture(t)
	f.rpush("l", "a b c d e")
	for _, c := range []struct {
		start, stop int64
		want        string
	}{
		{0, -1, "a b c d e"}, {1, 3, "b c d"}, {-2, -1, "d e"}, {-100, 1, "a b"}, {3, 100, "d e"},
		{4, 4, "e"}, {5, 10, ""}, {3, 2, ""}, {-1, -2, ""}, {math.MinInt64, math.MaxInt64, "a b c d e"},
		{0, math.MinInt64, ""}, {math.MaxInt64, math.MaxInt64, ""}, {-5, -5, "a"}, {-6, -6, ""},
	} {
		es, err := f.db.LRange(b("l"), c.start, c.stop)
		if err != nil || join(es) != c.want {
			t.Errorf("LRANGE %d %d = %q, %v; want %q", c.start, c.stop, join(es), err, c.want)
		}
	}
	for _, c := range []struct {
		idx  int64
		want string
	}{{0, "a"}, {4, "e"}, {5, "<nil>"}, {-1, "e"}, {-5, "a"}, {-6, "<nil>"}, {math.MinInt64, "<nil>"}, {math.MaxInt64, "<nil>"}} {
		e, found, err := f.db.LIndex(b("l"), c.idx)
		got := string(e)
		if !found {
			got = "<nil>"
		}
		if err != nil || got != c.want {
			t.Errorf("LINDEX %d = %q, %v; want %q", c.idx, got, err, c.want)
		}
	}
	if es, err := f.db.LRange(b("none"), 0, -1); es != nil || err != nil {
		t.Fatalf("LRANGE missing = %q %v", es, err)
	}
	if _, found, err := f.db.LIndex(b("none"), 0); found || err != nil {
		t.Fatalf("LINDEX missing = %v %v", found, err)
	}
}

// TestListSeeks checks that LINDEX, LSET and LRANGE seek to their slots:
// their store work does not grow with the position in the list.
func TestListSeeks(t *testing.T) {
	f := newFixture(t)
	es := make([][]byte, 5000)
	for i := range es {
		es[i] = b(fmt.Sprint(i))
	}
	if _, err := f.db.Push(b("l"), es, false, false); err != nil {
		t.Fatal(err)
	}
	cs := countStore(f)
	for _, idx := range []int64{4000, -10, 2500} {
		cs.reset()
		e, _, err := cs.db.LIndex(b("l"), idx)
		if want := fmt.Sprint((idx + 5000) % 5000); err != nil || string(e) != want {
			t.Fatalf("LINDEX %d = %q, %v", idx, e, err)
		}
		if cs.steps > 0 || cs.gets > 2 {
			t.Errorf("LINDEX %d: %d gets, %d iterator steps", idx, cs.gets, cs.steps)
		}
		cs.reset()
		if err := cs.db.LSet(b("l"), idx, b("x")); err != nil {
			t.Fatal(err)
		}
		if cs.steps > 0 || cs.gets > 2 {
			t.Errorf("LSET %d: %d gets, %d iterator steps", idx, cs.gets, cs.steps)
		}
	}
	cs.reset()
	got, err := cs.db.LRange(b("l"), 3000, 3009)
	if err != nil || len(got) != 10 || string(got[0]) != "3000" {
		t.Fatalf("LRANGE 3000 3009 = %q, %v", join(got), err)
	}
	if cs.steps > 12 {
		t.Errorf("LRANGE of 10 elements took %d iterator steps", cs.steps)
	}
}

func TestListSet(t *testing.T) {
	f := newFixture(t)
	if err := f.db.LSet(b("l"), 0, b("x")); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("LSET missing: %v", err)
	}
	f.rpush("l", "a b c")
	for _, c := range []struct {
		idx int64
		err error
	}{{0, nil}, {-1, nil}, {1, nil}, {3, ErrIndexOutOfRange}, {-4, ErrIndexOutOfRange}, {math.MinInt64, ErrIndexOutOfRange}} {
		if err := f.db.LSet(b("l"), c.idx, b(fmt.Sprint("v", c.idx))); !errors.Is(err, c.err) {
			t.Errorf("LSET %d: %v, want %v", c.idx, err, c.err)
		}
	}
	f.wantList("l", "v0 v1 v-1")
}

func TestListInsert(t *testing.T) {
	f := newFixture(t)
	if n, err := f.db.LInsert(b("l"), true, b("a"), b("x")); n != 0 || err != nil {
		t.Fatalf("LINSERT missing = %d, %v", n, err)
	}
	f.rpush("l", "a b c d e f")
	ins := func(before bool, pivot, elem string, wantN int64, want string) {
		t.Helper()
		n, err := f.db.LInsert(b("l"), before, b(pivot), b(elem))
		if err != nil || n != wantN {
			t.Fatalf("LINSERT %v %s %s = %d, %v; want %d", before, pivot, elem, n, err, wantN)
		}
		f.wantList("l", want)
	}
	ins(true, "a", "h1", 7, "h1 a b c d e f")                  // at the head: shifts nothing
	ins(false, "f", "t1", 8, "h1 a b c d e f t1")              // at the tail
	ins(true, "b", "x", 9, "h1 a x b c d e f t1")              // near the head: shifts the head side
	ins(false, "e", "y", 10, "h1 a x b c d e y f t1")          // near the tail: shifts the tail side
	ins(true, "q", "z", -1, "h1 a x b c d e y f t1")           // no pivot
	ins(false, "c", "c", 11, "h1 a x b c c d e y f t1")        // first match of pivot
	ins(true, "c", "w", 12, "h1 a x b w c c d e y f t1")       // before the first c
	ins(false, "t1", "", 13, "h1 a x b w c c d e y f t1 ")     // an empty element
	ins(true, "h1", "h0", 14, "h0 h1 a x b w c c d e y f t1 ") //
}

func TestListRem(t *testing.T) {
	for _, c := range []struct {
		list  string
		count int64
		elem  string
		n     int64
		want  string
	}{
		{"a b a c a", 0, "a", 3, "b c"},
		{"a b a c a", 1, "a", 1, "b a c a"},
		{"a b a c a", 2, "a", 2, "b c a"},
		{"a b a c a", -1, "a", 1, "a b a c"},
		{"a b a c a", -2, "a", 2, "a b c"},
		{"a b a c a", 10, "a", 3, "b c"},
		{"a b a c a", math.MinInt64, "a", 3, "b c"},
		{"a b a c a", 0, "z", 0, "a b a c a"},
		{"a a a", 0, "a", 3, ""},
		{"a a a", -2, "a", 2, "a"},
		// A match near the tail: the head side stays (tail side shifts).
		{"b c d e f g h a i", 1, "a", 1, "b c d e f g h i"},
		// A match near the head: the tail side stays.
		{"b a c d e f g h i", 1, "a", 1, "b c d e f g h i"},
		// Matches spread over the middle, from both ends.
		{"1 2 x 3 x 4 5 6 7 8 9", 0, "x", 2, "1 2 3 4 5 6 7 8 9"},
		{"1 2 3 4 5 6 x 7 x 8 9", -5, "x", 2, "1 2 3 4 5 6 7 8 9"},
		{"x 1 2 3 4 5 6 7 8 9 10 11 12 x", 0, "x", 2, "1 2 3 4 5 6 7 8 9 10 11 12"},
	} {
		f := newFixture(t)
		f.rpush("l", c.list)
		n, err := f.db.LRem(b("l"), c.count, b(c.elem))
		if err != nil || n != c.n {
			t.Errorf("LREM [%s] %d %s = %d, %v; want %d", c.list, c.count, c.elem, n, err, c.n)
		}
		if got := f.list("l"); got != c.want {
			t.Errorf("LREM [%s] %d %s left %q, want %q", c.list, c.count, c.elem, got, c.want)
		}
		if c.want == "" && f.userKeys() != 0 {
			t.Errorf("emptied list left %d keys", f.userKeys())
		}
	}
	f := newFixture(t)
	if n, err := f.db.LRem(b("none"), 0, b("a")); n != 0 || err != nil {
		t.Fatalf("LREM missing = %d, %v", n, err)
	}
}

// TestListShiftsShorterSide checks that LINSERT and LREM near either end
// of a long list rewrite only the few elements between the change and that
// end.
func TestListShiftsShorterSide(t *testing.T) {
	f := newFixture(t)
	es := make([][]byte, 1000)
	for i := range es {
		es[i] = b(fmt.Sprint(i))
	}
	f.db.Push(b("l"), es, false, false)
	cs := countStore(f)
	for _, c := range []struct {
		what string
		run  func() error
	}{
		{"LINSERT BEFORE 3", func() error { _, err := cs.db.LInsert(b("l"), true, b("3"), b("x")); return err }},
		{"LINSERT AFTER 996", func() error { _, err := cs.db.LInsert(b("l"), false, b("996"), b("x")); return err }},
		{"LREM 0 2", func() error { _, err := cs.db.LRem(b("l"), 0, b("2")); return err }},
		{"LREM 0 997", func() error { _, err := cs.db.LRem(b("l"), 0, b("997")); return err }},
		{"LREM -1 x", func() error { _, err := cs.db.LRem(b("l"), -1, b("x")); return err }},
		{"LREM 1 x", func() error { _, err := cs.db.LRem(b("l"), 1, b("x")); return err }},
	} {
		cs.reset()
		if err := c.run(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if cs.sets+cs.deletes+cs.rangeDels > 6 {
			t.Errorf("%s: %d sets, %d deletes, %d range deletions", c.what, cs.sets, cs.deletes, cs.rangeDels)
		}
	}
	got, _ := f.db.LRange(b("l"), 0, -1)
	if len(got) != 998 || string(got[2]) != "3" || string(got[995]) != "996" || string(got[996]) != "998" {
		t.Fatalf("list after the edits: %q ... %q", got[:5], got[990:])
	}
	f.checkLists()
}

func TestListTrim(t *testing.T) {
	for _, c := range []struct {
		start, stop int64
		want        string
	}{
		{0, -1, "a b c d e"}, {1, -2, "b c d"}, {2, 2, "c"}, {-2, 100, "d e"}, {3, 1, ""}, {5, 10, ""},
		{-100, 0, "a"}, {math.MinInt64, math.MaxInt64, "a b c d e"}, {0, math.MinInt64, ""},
	} {
		f := newFixture(t)
		f.rpush("l", "a b c d e")
		if err := f.db.LTrim(b("l"), c.start, c.stop); err != nil {
			t.Fatal(err)
		}
		if got := f.list("l"); got != c.want {
			t.Errorf("LTRIM %d %d left %q, want %q", c.start, c.stop, got, c.want)
		}
		if c.want == "" && f.userKeys() != 0 {
			t.Errorf("LTRIM to empty left %d keys", f.userKeys())
		}
	}

	// A big trim cuts each end with one range deletion, not a delete per
	// element; a trim of a few uses point deletions.
	f := newFixture(t)
	es := make([][]byte, 1000)
	for i := range es {
		es[i] = b(fmt.Sprint(i))
	}
	f.db.Push(b("l"), es, false, false)
	cs := countStore(f)
	if err := cs.db.LTrim(b("l"), 100, 899); err != nil {
		t.Fatal(err)
	}
	if cs.rangeDels != 2 || cs.deletes != 0 {
		t.Fatalf("LTRIM 100 899: %d range deletions, %d deletes", cs.rangeDels, cs.deletes)
	}
	cs.reset()
	if err := cs.db.LTrim(b("l"), 1, -2); err != nil {
		t.Fatal(err)
	}
	if cs.rangeDels != 0 || cs.deletes != 2 {
		t.Fatalf("LTRIM 1 -2: %d range deletions, %d deletes", cs.rangeDels, cs.deletes)
	}
	if got, _ := f.db.LRange(b("l"), 0, 0); string(got[0]) != "101" {
		t.Fatalf("after LTRIM: head %q", got[0])
	}
	f.checkLists()
	if err := f.db.LTrim(b("none"), 0, 1); err != nil || f.familyCount(FamilyMeta) != 1 {
		t.Fatalf("LTRIM missing: %v", err)
	}
}

func TestListPos(t *testing.T) {
	f := newFixture(t)
	f.rpush("l", "a b c a b c a")
	for _, c := range []struct {
		opt  LPosOptions
		elem string
		want []int64
	}{
		{LPosOptions{Rank: 1, Count: 1}, "a", []int64{0}},
		{LPosOptions{Rank: 1, Count: 1}, "c", []int64{2}},
		{LPosOptions{Rank: 2, Count: 1}, "a", []int64{3}},
		{LPosOptions{Rank: -1, Count: 1}, "a", []int64{6}},
		{LPosOptions{Rank: -2, Count: 1}, "b", []int64{1}},
		{LPosOptions{Rank: 1, Count: 0}, "a", []int64{0, 3, 6}},
		{LPosOptions{Rank: 2, Count: 0}, "a", []int64{3, 6}},
		{LPosOptions{Rank: -1, Count: 2}, "a", []int64{6, 3}},
		{LPosOptions{Rank: 1, Count: 0, MaxLen: 4}, "a", []int64{0, 3}},
		{LPosOptions{Rank: -1, Count: 0, MaxLen: 1}, "a", []int64{6}},
		{LPosOptions{Rank: -1, Count: 0, MaxLen: 1}, "c", nil},
		{LPosOptions{Rank: 4, Count: 1}, "a", nil},
		{LPosOptions{Rank: math.MaxInt64, Count: 0}, "a", nil},
		{LPosOptions{Rank: 1, Count: 1}, "z", nil},
	} {
		got, err := f.db.LPos(b("l"), b(c.elem), c.opt)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("LPOS %s %+v = %v, %v; want %v", c.elem, c.opt, got, err, c.want)
		}
	}
	if got, err := f.db.LPos(b("none"), b("a"), LPosOptions{Rank: 1}); got != nil || err != nil {
		t.Fatalf("LPOS missing = %v %v", got, err)
	}
}

func TestListMove(t *testing.T) {
	f := newFixture(t)
	f.rpush("src", "a b c")
	e, found, err := f.db.LMove(b("src"), b("dst"), false, true)
	if string(e) != "c" || !found || err != nil {
		t.Fatalf("LMOVE = %q %v %v", e, found, err)
	}
	f.wantList("src", "a b")
	f.wantList("dst", "c")
	f.db.LMove(b("src"), b("dst"), true, false)
	f.wantList("src", "b")
	f.wantList("dst", "c a")
	// The last element leaves: src disappears.
	f.db.LMove(b("src"), b("dst"), true, true)
	f.wantList("dst", "b c a")
	if typ, _ := f.db.Type(b("src")); typ != "none" {
		t.Fatalf("emptied src is a %s", typ)
	}
	// A missing src: nothing happens, even onto a wrong type.
	f.set("s", "v")
	if e, found, err := f.db.LMove(b("src"), b("s"), true, true); e != nil || found || err != nil {
		t.Fatalf("LMOVE missing src = %q %v %v", e, found, err)
	}
	// A wrong-type dst: an error and no change.
	if _, _, err := f.db.LMove(b("dst"), b("s"), true, true); !errors.Is(err, ErrWrongType) {
		t.Fatalf("LMOVE onto a string: %v", err)
	}
	f.wantList("dst", "b c a")

	// Onto itself: rotations in every direction, and a no-op.
	for _, c := range []struct {
		from, to bool
		want     string
	}{
		{false, true, "a b c"}, {true, false, "b c a"}, {true, true, "b c a"}, {false, false, "b c a"},
	} {
		if e, found, err := f.db.LMove(b("dst"), b("dst"), c.from, c.to); !found || err != nil || e == nil {
			t.Fatalf("LMOVE onto itself: %q %v %v", e, found, err)
		}
		f.wantList("dst", c.want)
	}
	// A one-element list rotated onto itself keeps its element.
	f.rpush("one", "x")
	for range 3 {
		f.db.LMove(b("one"), b("one"), false, true)
		f.wantList("one", "x")
		f.db.LMove(b("one"), b("one"), true, false)
		f.wantList("one", "x")
	}
	f.checkIndex()
}

func TestListMPop(t *testing.T) {
	f := newFixture(t)
	f.rpush("b", "1 2 3")
	f.rpush("c", "x")
	k, es, found, err := f.db.LMPop([][]byte{b("a"), b("b"), b("c")}, false, 2)
	if string(k) != "b" || join(es) != "3 2" || !found || err != nil {
		t.Fatalf("LMPOP = %s %q %v %v", k, join(es), found, err)
	}
	k, es, _, _ = f.db.LMPop([][]byte{b("a"), b("b"), b("c")}, true, 5)
	if string(k) != "b" || join(es) != "1" {
		t.Fatalf("LMPOP = %s %q", k, join(es))
	}
	k, es, _, _ = f.db.LMPop([][]byte{b("a"), b("b"), b("c")}, true, 5)
	if string(k) != "c" || join(es) != "x" {
		t.Fatalf("LMPOP = %s %q", k, join(es))
	}
	k, es, found, err = f.db.LMPop([][]byte{b("a"), b("b"), b("c"), b("a")}, true, 1)
	if k != nil || es != nil || found || err != nil {
		t.Fatalf("LMPOP of nothing = %s %q %v %v", k, es, found, err)
	}
	if f.userKeys() != 0 {
		t.Fatalf("%d keys left", f.userKeys())
	}
	// A list before a string wins; a string before a list is an error.
	f.set("s", "v")
	f.rpush("l", "a")
	if k, _, _, err := f.db.LMPop([][]byte{b("l"), b("s")}, true, 1); string(k) != "l" || err != nil {
		t.Fatalf("LMPOP l s = %s, %v", k, err)
	}
	f.rpush("l", "a")
	if _, _, _, err := f.db.LMPop([][]byte{b("s"), b("l")}, true, 1); !errors.Is(err, ErrWrongType) {
		t.Fatalf("LMPOP s l: %v", err)
	}
}

// recordNotifier records Modified calls.
type recordNotifier struct {
	mu   sync.Mutex
	keys []string
}

func (n *recordNotifier) Active() bool { return true }
func (n *recordNotifier) Modified(db int, key []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.keys = append(n.keys, string(key))
}

func (n *recordNotifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.keys)
	slices.Sort(out)
	n.keys = nil
	return slices.Compact(out)
}

// TestListNotifies checks that list writes report the keys they change
// (blocked clients and WATCH depend on it) and that no-ops report nothing.
func TestListNotifies(t *testing.T) {
	f := newFixture(t)
	rn := &recordNotifier{}
	f.ks = New(f.store, &Options{Now: f.clock.Now, Notifier: rn})
	f.db = f.ks.DB(0)
	check := func(what string, want ...string) {
		t.Helper()
		if got := rn.take(); !slices.Equal(got, want) {
			t.Errorf("%s notified %q, want %q", what, got, want)
		}
	}
	f.rpush("a", "1 2 3")
	check("RPUSH", "a")
	f.db.LMove(b("a"), b("b"), true, true)
	check("LMOVE a b", "a", "b")
	f.db.LMove(b("a"), b("a"), true, false)
	check("LMOVE a a", "a")
	f.db.LSet(b("a"), 0, b("x"))
	check("LSET", "a")
	f.db.LTrim(b("a"), 0, -1)
	check("LTRIM keeping all")
	f.db.LRem(b("a"), 0, b("nothing"))
	check("LREM of nothing")
	f.db.Pop(b("a"), true, 0)
	check("LPOP 0")
	f.db.LMPop([][]byte{b("none"), b("b")}, true, 1)
	check("LMPOP", "b")
	f.db.Push(b("none"), elems("x"), true, true)
	check("LPUSHX missing")
}

// TestListSlotsExhausted drives a list to the end of its slot space by
// writing its metadata directly: pushes past it are refused, not wrapped.
func TestListSlotsExhausted(t *testing.T) {
	f := newFixture(t)
	f.rpush("l", "a")
	raw, _ := f.store.Get(MetaKey(0, b("l")))
	m, _ := DecodeMetadata(raw)
	bt := f.store.NewBatch()
	bt.Delete(listSlotKey(0, m.UUID, m.Head))
	m.Head, m.Tail = math.MaxUint64-1, math.MaxUint64
	bt.Set(listSlotKey(0, m.UUID, m.Head), b("a"))
	bt.Set(MetaKey(0, b("l")), m.Encode(nil))
	f.store.Commit(bt)
	if _, err := f.db.Push(b("l"), elems("b"), false, false); !errors.Is(err, ErrListSlotsExhausted) {
		t.Fatalf("RPUSH at the end: %v", err)
	}
	if _, err := f.db.LInsert(b("l"), false, b("a"), b("b")); err != nil {
		t.Fatalf("LINSERT shifting the head side: %v", err)
	}
	f.wantList("l", "a b")
	if n, err := f.db.Push(b("l"), elems("c"), true, false); n != 3 || err != nil {
		t.Fatalf("LPUSH = %d, %v", n, err)
	}
	f.wantList("l", "c a b")
}

// TestListCorruption checks that a missing slot inside [Head, Tail) is
// reported as corruption, not skipped.
func TestListCorruption(t *testing.T) {
	f := newFixture(t)
	f.rpush("l", "a b c")
	raw, _ := f.store.Get(MetaKey(0, b("l")))
	m, _ := DecodeMetadata(raw)
	bt := f.store.NewBatch()
	bt.Delete(listSlotKey(0, m.UUID, m.Head+1))
	f.store.Commit(bt)
	if _, err := f.db.LRange(b("l"), 0, -1); !isCorruption(err) {
		t.Errorf("LRANGE: %v", err)
	}
	if _, _, err := f.db.LIndex(b("l"), 1); !isCorruption(err) {
		t.Errorf("LINDEX: %v", err)
	}
	if _, err := f.db.LRange(b("l"), 2, 2); err != nil {
		t.Errorf("LRANGE of a present slot: %v", err)
	}
	if _, _, err := f.db.Pop(b("l"), false, 3); !isCorruption(err) {
		t.Errorf("RPOP 3: %v", err)
	}
}

// countingStore wraps a MemStore and counts the work done through it:
// point reads, iterator positioning steps, and the deletions of committed
// batches.
type countingStore struct {
	*MemStore
	db                                    *DB
	gets, steps, sets, deletes, rangeDels int
	iters                                 int // NewIter calls
}

// countStore returns a counting view of f's store with a DB over it that
// shares f's clock.
func countStore(f *fixture) *countingStore {
	cs := &countingStore{MemStore: f.store}
	cs.db = New(cs, &Options{Now: f.clock.Now}).DB(0)
	return cs
}

func (cs *countingStore) reset() {
	cs.gets, cs.steps, cs.sets, cs.deletes, cs.rangeDels, cs.iters = 0, 0, 0, 0, 0, 0
}

func (cs *countingStore) Get(k []byte) ([]byte, error) {
	cs.gets++
	return cs.MemStore.Get(k)
}

func (cs *countingStore) NewIter(lo, hi []byte) (Iterator, error) {
	cs.iters++
	it, err := cs.MemStore.NewIter(lo, hi)
	return &countingIter{Iterator: it, cs: cs}, err
}

func (cs *countingStore) NewSnapshot() Snapshot {
	return &countingSnap{Snapshot: cs.MemStore.NewSnapshot(), cs: cs}
}

func (cs *countingStore) Commit(bt Batch) error {
	mb := bt.(*memBatch)
	for _, op := range mb.ops {
		switch op.kind {
		case 's':
			if op.key[0] == FamilyData {
				cs.sets++
			}
		case 'd':
			if op.key[0] == FamilyData {
				cs.deletes++
			}
		case 'r':
			cs.rangeDels++
		}
	}
	return cs.MemStore.Commit(bt)
}

type countingSnap struct {
	Snapshot
	cs *countingStore
}

func (s *countingSnap) Get(k []byte) ([]byte, error) {
	s.cs.gets++
	return s.Snapshot.Get(k)
}

func (s *countingSnap) NewIter(lo, hi []byte) (Iterator, error) {
	it, err := s.Snapshot.NewIter(lo, hi)
	return &countingIter{Iterator: it, cs: s.cs}, err
}

// countingIter counts Next and Prev: the walk after the seek that First,
// Last or SeekGE do within the iterator's bounds.
type countingIter struct {
	Iterator
	cs *countingStore
}

func (it *countingIter) Next() bool { it.cs.steps++; return it.Iterator.Next() }
func (it *countingIter) Prev() bool { it.cs.steps++; return it.Iterator.Prev() }

// LRangeEach streams exactly what LRange returns, for short (point reads)
// and long (scan) ranges, and a missing key is an empty range.
func TestLRangeEachMatchesLRange(t *testing.T) {
	f := newFixture(t)
	var elems [][]byte
	for i := range 40 {
		elems = append(elems, []byte(fmt.Sprintf("e%02d", i)))
	}
	if _, err := f.db.Push(b("l"), elems, false, false); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"l", "missing"} {
		for _, r := range [][2]int64{{0, -1}, {0, 2}, {5, 9}, {-3, -1}, {10, 5}, {38, 100}, {-100, 3}} {
			want, err := f.db.LRange(b(key), r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			n := -1
			var got [][]byte
			err = f.db.LRangeEach(b(key), r[0], r[1], func(k int) { n = k }, func(e []byte) { got = append(got, bytes.Clone(e)) })
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) || len(got) != len(want) {
				t.Fatalf("%s %v: begin(%d), %d elements, want %d", key, r, n, len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("%s %v: element %d = %q, want %q", key, r, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPopFit: how many single pops from either end fit a byte budget, with
// and without a transaction's read ahead, which the pops then use.
func TestPopFit(t *testing.T) {
	f := newFixture(t)
	// Elements of 100, 200, ..., 1000 bytes from the head.
	var elems [][]byte
	for i := 1; i <= 10; i++ {
		elems = append(elems, bytes.Repeat([]byte{byte('a' + i)}, 100*i))
	}
	if _, err := f.db.Push(b("l"), elems, false, false); err != nil {
		t.Fatal(err)
	}
	f.set("s", "x")
	each := func(n int) int { return 100*n + len(listSlotKey(0, 0, 0)) } // an element and its key
	for _, tc := range []struct {
		left          bool
		limit, budget int
		want          int
	}{
		{true, 10, 1 << 20, 10},
		{true, 4, 1 << 20, 4},
		{true, 10, each(1) + each(2) + each(3), 3},
		{true, 10, each(1) + each(2) + each(3) - 1, 2},
		{true, 10, 0, 1}, // at least one
		{false, 10, each(10) + each(9), 2},
		{false, 10, each(10) - 1, 1},
		{false, 20, 1 << 20, 10},
	} {
		for _, txn := range []bool{false, true} {
			d, ts := f.db, (*TxnStore)(nil)
			if txn {
				ts = NewTxnStore(f.store)
				d = f.ks.InTransaction(ts).DB(0)
			}
			got, err := d.PopFit(b("l"), tc.left, tc.limit, tc.budget)
			if err != nil || got != tc.want {
				t.Fatalf("%+v txn=%v: PopFit = %d, %v; want %d", tc, txn, got, err, tc.want)
			}
			if !txn {
				continue
			}
			// The pops find their elements read ahead.
			es, _, err := d.Pop(b("l"), tc.left, got)
			if err != nil || len(es) != got {
				t.Fatalf("%+v: Pop after PopFit = %d elements, %v", tc, len(es), err)
			}
			for i, e := range es {
				w := i
				if !tc.left {
					w = 9 - i
				}
				if !bytes.Equal(e, elems[w]) {
					t.Fatalf("%+v: element %d is %d bytes, want %d", tc, i, len(e), len(elems[w]))
				}
			}
		}
	}
	for _, key := range []string{"missing", "s"} {
		if got, err := f.db.PopFit(b(key), true, 7, 0); err != nil || got != 7 {
			t.Fatalf("PopFit(%s) = %d, %v; want the limit, 7", key, got, err)
		}
	}
}

// TestPopReadAheadGrows: in one transaction (a key batch combining the
// pops of several clients), runs of pops read ahead twice as far each
// time they have used up the last read, up to popReadAheadMax, so that
// 32 runs of 16 pops build 6 iterators, not 32; every pop gets its
// element. Runs that do not continue the last read (the other end of the
// list, or a read cut at popReadAheadBytes) read popReadAhead slots again.
func TestPopReadAheadGrows(t *testing.T) {
	setup := func(t *testing.T, size func(i int) int) (*countingStore, *DB) {
		f := newFixture(t)
		var elems [][]byte
		for i := range 1000 {
			e := fmt.Appendf(nil, "e%04d", i)
			elems = append(elems, append(e, bytes.Repeat([]byte{'x'}, size(i))...))
		}
		if _, err := f.db.Push(b("l"), elems, false, false); err != nil {
			t.Fatal(err)
		}
		cs := countStore(f)
		return cs, f.ks.InTransaction(NewTxnStore(cs)).DB(0)
	}
	// run pops n elements from one end as the server's runs do (PopFit,
	// then one Pop of what fits) and checks that they are next's.
	run := func(t *testing.T, d *DB, left bool, next *[2]int, want int) {
		t.Helper()
		n, err := d.PopFit(b("l"), left, 16, 1<<16)
		if err != nil || n != want {
			t.Fatalf("left=%v: PopFit = %d, %v; want %d", left, n, err, want)
		}
		es, _, err := d.Pop(b("l"), left, n)
		if err != nil || len(es) != n {
			t.Fatalf("left=%v: Pop = %d elements, %v", left, len(es), err)
		}
		for _, e := range es {
			i := &next[1]
			if left {
				i = &next[0]
			}
			if !bytes.HasPrefix(e, fmt.Appendf(nil, "e%04d", *i)) {
				t.Fatalf("left=%v: popped %.5s, want e%04d", left, e, *i)
			}
			if left {
				*i++
			} else {
				*i--
			}
		}
	}
	small := func(int) int { return 0 }
	for _, left := range []bool{false, true} {
		cs, d := setup(t, small)
		next := [2]int{0, 999}
		for range 32 {
			run(t, d, left, &next, 16)
		}
		// 16, 32, 64, 128, 256 slots: 496, then 256 more.
		if cs.iters != 6 {
			t.Fatalf("left=%v: %d iterators for 32 runs of 16 pops; want 6", left, cs.iters)
		}
	}
	// Alternating ends: no read continues the one before.
	cs, d := setup(t, small)
	next := [2]int{0, 999}
	for i := range 16 {
		run(t, d, i%2 == 0, &next, 16)
	}
	if cs.iters != 16 || cs.steps > 16*17 {
		t.Fatalf("alternating ends: %d iterators, %d steps for 16 runs of 16 pops; want 16 reads of 16 slots", cs.iters, cs.steps)
	}
	// Elements of 5 KiB: 12 fit the 64 KiB budget, each read is cut after
	// 13, and the next one reads 16 slots again (one read per run).
	cs, d = setup(t, func(int) int { return 5 << 10 })
	next = [2]int{0, 999}
	for range 8 {
		run(t, d, false, &next, 12)
	}
	if cs.iters != 8 {
		t.Fatalf("5 KiB elements: %d iterators for 8 runs; want 8", cs.iters)
	}
}

// TestTxnStoreUsedAhead: the last read ahead counts as continued only from
// the bound it ended at on the reading side, and only if it was read
// whole.
func TestTxnStoreUsedAhead(t *testing.T) {
	base := NewMemStore()
	bt := base.NewBatch()
	for i := range 40 { // k00..k39, 100-byte values
		bt.Set(fmt.Appendf(nil, "k%02d", i), bytes.Repeat([]byte{'v'}, 100))
	}
	if err := base.Commit(bt); err != nil {
		t.Fatal(err)
	}
	txn := NewTxnStore(base)
	if got := txn.UsedAhead(b("k00"), false); got != 0 {
		t.Fatalf("UsedAhead before any read = %d", got)
	}
	for _, reverse := range []bool{false, true} {
		if _, _, err := txn.Prefetch(b("k10"), b("k20"), reverse, 1<<20); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			edge    string
			reverse bool
			want    int
		}{{"k20", false, 10}, {"k10", true, 10}, {"k10", false, 0}, {"k20", true, 0}, {"k15", false, 0}} {
			if got := txn.UsedAhead(b(c.edge), c.reverse); got != c.want {
				t.Fatalf("read reverse=%v: UsedAhead(%s, %v) = %d, want %d", reverse, c.edge, c.reverse, got, c.want)
			}
		}
		// Cut at maxBytes: never continued, from either bound.
		if _, cut, err := txn.Prefetch(b("k10"), b("k20"), reverse, 250); err != nil || !cut {
			t.Fatalf("Prefetch of 250 bytes: cut %v, %v", cut, err)
		}
		for _, edge := range []string{"k10", "k13", "k17", "k20"} {
			for _, r := range []bool{false, true} {
				if got := txn.UsedAhead(b(edge), r); got != 0 {
					t.Fatalf("after a cut read (reverse=%v): UsedAhead(%s, %v) = %d, want 0", reverse, edge, r, got)
				}
			}
		}
	}
}

// TestPopFitReadAhead: in a transaction that has read ahead before,
// PopFit answers as PopFit outside a transaction does (which counts the
// elements' sizes itself, with no read ahead), in either direction, for
// any budget, with elements of varied sizes, some large enough to cut a
// read at popReadAheadBytes.
func TestPopFitReadAhead(t *testing.T) {
	f := newFixture(t)
	var elems [][]byte
	for i := range 300 {
		size := 1 + (i*37)%200
		if i%40 == 7 {
			size = 20 << 10
		}
		elems = append(elems, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
	}
	if _, err := f.db.Push(b("l"), elems, false, false); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		left := rng.IntN(2) == 0
		limit, budget := 1+rng.IntN(40), rng.IntN(40<<10)
		want, err := f.db.PopFit(b("l"), left, limit, budget)
		if err != nil {
			t.Fatal(err)
		}
		// A transaction that has read ahead: a first PopFit (which may
		// be cut, or not cover the second), sometimes pops before.
		d := f.ks.InTransaction(NewTxnStore(f.store)).DB(0)
		if _, err := d.PopFit(b("l"), left, 1+rng.IntN(300), rng.IntN(1<<17)); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			if _, err := d.PopFit(b("l"), left, 1+rng.IntN(40), rng.IntN(1<<16)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := d.PopFit(b("l"), left, limit, budget)
		if err != nil || got != want {
			t.Fatalf("left=%v limit %d budget %d: PopFit after a read ahead = %d, %v; outside a transaction %d", left, limit, budget, got, err, want)
		}
	}
}

// TestTxnStoreFitAhead: whenever FitAhead answers from what an earlier
// Prefetch kept (random ranges, directions and byte bounds, cut or not,
// over keys with gaps and values of varied sizes), it answers what a
// fresh Prefetch of the range reports; and it answers often enough for
// that to mean something.
func TestTxnStoreFitAhead(t *testing.T) {
	base := NewMemStore()
	bt := base.NewBatch()
	key := func(i int) []byte { return fmt.Appendf(nil, "k%03d", i) }
	for i := range 100 {
		if i%7 != 3 { // gaps
			bt.Set(key(i), bytes.Repeat([]byte{'v'}, 1+(i*53)%300))
		}
	}
	if err := base.Commit(bt); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	span := func() (lo, hi int) {
		lo = rng.IntN(101)
		return lo, lo + rng.IntN(101-lo)
	}
	answered := 0
	const cases = 20000
	for range cases {
		txn := NewTxnStore(base)
		lo, hi := span()
		if _, _, err := txn.Prefetch(key(lo), key(hi), rng.IntN(2) == 0, rng.IntN(8000)); err != nil {
			t.Fatal(err)
		}
		qlo, qhi := span()
		reverse, maxBytes := rng.IntN(2) == 0, rng.IntN(3000)
		n, cut, ok := txn.FitAhead(key(qlo), key(qhi), reverse, maxBytes)
		if !ok {
			continue
		}
		answered++
		wn, wcut, err := NewTxnStore(base).Prefetch(key(qlo), key(qhi), reverse, maxBytes)
		if err != nil || n != wn || cut != wcut {
			t.Fatalf("kept [%d, %d); FitAhead(%d, %d, reverse=%v, %d) = %d, %v; Prefetch says %d, %v (%v)",
				lo, hi, qlo, qhi, reverse, maxBytes, n, cut, wn, wcut, err)
		}
	}
	if answered < cases/20 {
		t.Fatalf("FitAhead answered %d of %d cases", answered, cases)
	}
}
