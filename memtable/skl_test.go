package memtable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// TestPrevLinkHelping builds by hand the state of an insert in flight, one
// that has linked c after a on level 0 but not yet moved e's prev link from
// a to c, then inserts d between c and e. The second insert must help the
// first, or the first's late compare-and-swap would leave e.prev at c and
// hide d from backward iteration.
func TestPrevLinkHelping(t *testing.T) {
	m := New(make([]byte, 64<<10))
	s, a := &m.points, &m.arena
	key := func(k string) base.InternalKey { return base.MakeInternalKey([]byte(k), 1, base.InternalKeyKindSet) }
	for _, k := range []string{"a", "e"} {
		if err := m.add(key(k), nil, 1); err != nil {
			t.Fatal(err)
		}
	}
	na, ne := nodeOf(t, s, key("a")), nodeOf(t, s, key("e"))

	// The insert of c, stopped after its level-0 link.
	nc, ok := a.newNode(1, key("c"), nil)
	if !ok {
		t.Fatal("arena full")
	}
	a.setNext(nc, 0, ne)
	a.setPrev(nc, na)
	if !a.casNext(na, 0, ne, nc) {
		t.Fatal("link c")
	}
	// Meanwhile readers see c going forward, and step over it going back.
	it := m.NewIter(nil, nil)
	if !it.SeekGE([]byte("b")) || string(it.Key().UserKey) != "c" {
		t.Fatalf("SeekGE(b) = %s", it.Key())
	}
	if !it.Last() || !it.Prev() || string(it.Key().UserKey) != "a" {
		t.Fatalf("Prev from e = %s", it.Key())
	}

	// A second insert between c and e.
	if err := m.add(key("d"), nil, 1); err != nil {
		t.Fatal(err)
	}
	// The first insert resumes: its compare-and-swap must now fail.
	if a.casPrev(ne, na, nc) {
		t.Fatal("the late prev update of c's insert succeeded: d was not helped")
	}
	checkStructure(t, s)
	var got []string
	for ok := it.Last(); ok; ok = it.Prev() {
		got = append(got, string(it.Key().UserKey))
	}
	if want := "[e d c a]"; fmt.Sprint(got) != want {
		t.Fatalf("backward scan %v, want %s", got, want)
	}
}

// TestRandomHeight checks the tower height distribution: P(h > k) = e^-k.
func TestRandomHeight(t *testing.T) {
	const n = 1 << 16
	var counts [maxHeight + 1]int
	for range n {
		h := randomHeight()
		if h < 1 || h > maxHeight {
			t.Fatalf("height %d", h)
		}
		counts[h]++
	}
	atLeast := n
	for k := 1; k <= 4; k++ {
		// atLeast is the number with height >= k; about 1/e go on.
		higher := atLeast - counts[k]
		if frac := float64(higher) / float64(atLeast); math.Abs(frac-heightP) > 0.05 {
			t.Errorf("P(h > %d | h >= %d) = %.3f, want %.3f", k, k, frac, heightP)
		}
		atLeast = higher
	}
}

// TestIterSeesLaterAdds checks that an iterator sees entries added after its
// creation, and that keys and values handed out cannot be appended into the
// arena.
func TestIterSeesLaterAdds(t *testing.T) {
	m := New(make([]byte, 64<<10))
	it := m.NewIter(nil, nil)
	if it.First() {
		t.Fatal("empty memtable iterates")
	}
	for i, k := range []string{"b", "a", "c"} {
		if err := m.Add(base.MakeInternalKey([]byte(k), base.SeqNum(i+1), base.InternalKeyKindSet), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if !it.SeekGE([]byte("b")) || string(it.Key().UserKey) != "b" {
		t.Fatalf("SeekGE(b) = %s", it.Key())
	}
	// Appends to a returned key or value must copy, not overwrite "c".
	_ = append(it.Key().UserKey, 'X')
	_ = append(it.Value(), 'Y', 'Y')
	v, _, _ := m.Get([]byte("b"), base.SeqNumMax)
	_ = append(v, 'Z')
	if !it.Next() || string(it.Key().UserKey) != "c" || string(it.Value()) != "vc" {
		t.Fatalf("after appends: %s:%s", it.Key(), it.Value())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSpliceFromHints checks the ascending-insert fast path: a key that
// sorts right after the last one inserted gets, from the hints, the splice
// a search from the head finds, at every tower height; any other key is
// left to the search, and a duplicate of the last key is reported.
func TestSpliceFromHints(t *testing.T) {
	m := New(make([]byte, 1<<20))
	s := &m.points
	key := func(i int, seq base.SeqNum) base.InternalKey {
		return base.MakeInternalKey(fmt.Appendf(nil, "k%05d", i), seq, base.InternalKeyKindSet)
	}
	var sp splice
	if found, ok := s.spliceFromHints(key(0, 1), 1, &sp); found || ok {
		t.Fatalf("empty list: found %t, ok %t", found, ok)
	}
	for i := range 2000 {
		if err := m.Add(key(i, 10), nil); err != nil {
			t.Fatal(err)
		}
	}
	search := func(k base.InternalKey, level int) (prev, next uint32) {
		prev, next = s.head, s.tail
		for l := maxHeight - 1; l >= level; l-- {
			prev, next, _ = s.findSpliceForLevel(k.UserKey, k.Trailer, l, prev, next)
		}
		return prev, next
	}
	// After the last key: a new user key, and an older version of the last
	// one (a smaller trailer sorts after).
	for _, k := range []base.InternalKey{key(2000, 10), key(1999, 9)} {
		for h := 1; h <= maxHeight; h++ {
			sp = splice{}
			found, ok := s.spliceFromHints(k, h, &sp)
			if found || !ok {
				t.Fatalf("%s, height %d: found %t, ok %t", k, h, found, ok)
			}
			for level := range h {
				if prev, next := search(k, level); sp.prev[level] != prev || sp.next[level] != next {
					t.Fatalf("%s, level %d of %d: hints give (%d, %d), search (%d, %d)", k, level, h, sp.prev[level], sp.next[level], prev, next)
				}
			}
		}
	}
	// Before the last key, or between two keys: not for the hints.
	for _, k := range []base.InternalKey{key(1000, 10), key(1998, 5), key(1999, 11)} {
		if found, ok := s.spliceFromHints(k, 1, &sp); found || ok {
			t.Fatalf("%s: found %t, ok %t", k, found, ok)
		}
	}
	if found, _ := s.spliceFromHints(key(1999, 10), 1, &sp); !found {
		t.Fatal("a duplicate of the last key was not found")
	}
	if err := m.Add(key(1999, 10), nil); !errors.Is(err, ErrRecordExists) {
		t.Fatalf("duplicate Add: %v", err)
	}
	checkStructure(t, s)
}

// TestMayCluster: runs whose end keys differ only in a small tail (a list's
// slots, sequential keys) are tried as clustered; others are not.
func TestMayCluster(t *testing.T) {
	slot := func(i uint64) []byte { return binary.BigEndian.AppendUint64([]byte("d\x00uuid1234\x01"), i) }
	for _, tc := range []struct {
		first, last []byte
		want        bool
	}{
		{slot(100), slot(115), true},
		{[]byte("key:00000001"), []byte("key:00000016"), true},
		{slot(0), slot(1 << 20), false},                                         // far apart
		{[]byte("element:000000123456"), []byte("element:000000987654"), false}, // random members
		{slot(1), []byte("m\x00mylist"), false},                                 // another family
		{[]byte("k1"), []byte("k2"), false},                                     // shorter than 8 bytes
		{[]byte("key:0000001"), []byte("key:00000016"), false},                  // lengths differ
	} {
		if got := mayCluster(tc.first, tc.last); got != tc.want {
			t.Errorf("mayCluster(%q, %q) = %v, want %v", tc.first, tc.last, got, tc.want)
		}
	}
}
