package memtable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// checkStructure verifies the skiplist invariants of a quiescent list: every
// level is strictly increasing, and every level-0 prev link points at the
// immediate predecessor.
func checkStructure(t *testing.T, s *skiplist) {
	t.Helper()
	a := s.a
	for level := range maxHeight {
		var last base.InternalKey
		for nd := a.next(s.head, level); nd != s.tail; nd = a.next(nd, level) {
			k := base.InternalKey{UserKey: a.userKey(nd), Trailer: a.trailer(nd)}
			if last.UserKey != nil && base.InternalCompare(last, k) >= 0 {
				t.Fatalf("level %d: %s after %s", level, k, last)
			}
			if a.height(nd) <= level {
				t.Fatalf("level %d: node %s of height %d", level, k, a.height(nd))
			}
			last = k
		}
	}
	prev := s.head
	for nd := a.next(s.head, 0); ; nd = a.next(nd, 0) {
		if got := a.prev(nd); got != prev {
			t.Fatalf("prev link of node %d is %d, want %d", nd, got, prev)
		}
		if nd == s.tail {
			break
		}
		prev = nd
	}
}

// TestConcurrentAddAndRead runs writers that add interleaved versions of the
// same user keys (half of them through AddBatch) while readers scan in both directions, seek and Get. Readers
// assert order on every step and that every Add already acknowledged is
// visible; afterwards the content must equal the union of all writes.
func TestConcurrentAddAndRead(t *testing.T) {
	const writers, readers = 4, 4
	perWriter := 2000
	if testing.Short() {
		perWriter = 300
	}
	ukey := func(i int) []byte { return fmt.Appendf(nil, "key%05d", i) }
	seqOf := func(w, i int) base.SeqNum { return base.SeqNum(i*writers + w + 1) }
	val := func(w, i int) []byte { return fmt.Appendf(nil, "w%d-%d", w, i) }

	m := New(make([]byte, 8<<20))
	var progress [writers]atomic.Int64 // adds acknowledged per writer
	var writersDone atomic.Bool
	var wg, rg sync.WaitGroup
	errc := make(chan error, writers+readers)

	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			order := rng.Perm(perWriter)
			if w == 3 {
				// In ascending runs of consecutive keys (AddBatch's
				// clustered path), among the other writers' versions.
				order = slices.Sorted(slices.Values(order))
			}
			if w%2 == 1 {
				// Odd writers add through AddBatch, in runs of 1 to 24.
				for n := 0; n < len(order); {
					run := order[n:min(len(order), n+1+rand.IntN(24))]
					es := make([]Entry, len(run))
					for j, i := range run {
						es[j] = Entry{Key: base.MakeInternalKey(ukey(i), seqOf(w, i), base.InternalKeyKindSet), Value: val(w, i)}
					}
					if k, err := m.AddBatch(es); err != nil || k != len(es) {
						errc <- fmt.Errorf("AddBatch = %d of %d, %v", k, len(es), err)
						return
					}
					n += len(run)
					progress[w].Store(int64(n))
				}
				return
			}
			for n, i := range order {
				if err := m.Add(base.MakeInternalKey(ukey(i), seqOf(w, i), base.InternalKeyKindSet), val(w, i)); err != nil {
					errc <- err
					return
				}
				if w == 0 && n%10 == 0 {
					k := base.MakeInternalKey(ukey(i), seqOf(w, i), base.InternalKeyKindRangeDelete)
					if err := m.Add(k, ukey(i+5)); err != nil {
						errc <- err
						return
					}
				}
				progress[w].Store(int64(n + 1))
			}
		}()
	}

	var readerPasses atomic.Int64
	for r := range readers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			orders := [writers][]int{}
			for w := range writers {
				orders[w] = rand.New(rand.NewPCG(uint64(w), 1)).Perm(perWriter)
				if w == 3 {
					orders[w] = slices.Sorted(slices.Values(orders[w]))
				}
			}
			for pass := 0; pass < 3 || !writersDone.Load(); pass++ {
				if err := scanOrdered(m, r%2 == 0); err != nil {
					errc <- err
					return
				}
				// Everything acknowledged before now must be visible.
				for range 50 {
					w := rng.IntN(writers)
					p := progress[w].Load()
					if p == 0 {
						continue
					}
					i := orders[w][rng.IntN(int(p))]
					v, kind, ok := m.Get(ukey(i), seqOf(w, i))
					if !ok || kind != base.InternalKeyKindSet || !bytes.Equal(v, val(w, i)) {
						errc <- fmt.Errorf("Get(%s, %d) = %q %s %t after the Add returned", ukey(i), seqOf(w, i), v, kind, ok)
						return
					}
					it := m.NewIter(nil, nil)
					if !it.SeekGE(ukey(i)) || !bytes.Equal(it.Key().UserKey, ukey(i)) {
						errc <- fmt.Errorf("SeekGE(%s) = %s", ukey(i), itertest.Format(it))
						return
					}
					_ = it.Close()
				}
				readerPasses.Add(1)
			}
		}()
	}
	wg.Wait()
	writersDone.Store(true)
	rg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}

	// The content is the union of all writes.
	var want []itertest.Entry
	for w := range writers {
		for i := range perWriter {
			want = append(want, itertest.Entry{Key: base.MakeInternalKey(ukey(i), seqOf(w, i), base.InternalKeyKindSet), Value: val(w, i)})
		}
	}
	sortEntries(want)
	got, err := itertest.Collect(m.NewIter(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if base.InternalCompare(got[i].Key, want[i].Key) != 0 || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Fatalf("entry %d = %s:%s, want %s:%s", i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
		}
	}
	wantRangeDels := (perWriter + 9) / 10
	if m.Count() != len(want)+wantRangeDels {
		t.Fatalf("Count = %d, want %d", m.Count(), len(want)+wantRangeDels)
	}
	rd, err := itertest.Collect(m.NewRangeDelIter())
	if err != nil || len(rd) != wantRangeDels {
		t.Fatalf("%d range tombstones (%v), want %d", len(rd), err, wantRangeDels)
	}
	checkStructure(t, &m.points)
	checkStructure(t, &m.rangeDels)
	if err := scanOrdered(m, false); err != nil {
		t.Fatal(err)
	}
	t.Logf("reader passes: %d", readerPasses.Load())
}

// scanOrdered scans every point entry forward or backward and reports an
// entry out of order.
func scanOrdered(m *MemTable, forward bool) error {
	it := m.NewIter(nil, nil)
	defer it.Close()
	var last base.InternalKey
	n := 0
	ok := it.First()
	if !forward {
		ok = it.Last()
	}
	for ; ok; n++ {
		k := it.Key()
		if n > 0 {
			c := base.InternalCompare(last, k)
			if (forward && c >= 0) || (!forward && c <= 0) {
				return fmt.Errorf("forward=%t: %s after %s", forward, k, last)
			}
		}
		last = k.Clone()
		if forward {
			ok = it.Next()
		} else {
			ok = it.Prev()
		}
	}
	return it.Error()
}

// TestConcurrentDuplicateAdds races goroutines adding the same internal
// keys, with Add and with AddBatch: exactly one add of each key wins.
func TestConcurrentDuplicateAdds(t *testing.T) {
	const goroutines, keys = 8, 500
	m := New(make([]byte, 4<<20))
	var wins [keys]atomic.Int32
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g%2 == 1 {
				// Odd goroutines add through AddBatch, 16 keys at a
				// time, going on after each key another one won.
				var es []Entry
				for i := range keys {
					es = append(es, Entry{Key: base.MakeInternalKey(fmt.Appendf(nil, "k%04d", i), 7, base.InternalKeyKindSet), Value: fmt.Appendf(nil, "g%d", g)})
				}
				for i := 0; i < keys; {
					n, err := m.AddBatch(es[i:min(keys, i+16)])
					for j := i; j < i+n; j++ {
						wins[j].Add(1)
					}
					i += n
					if err != nil {
						if !errors.Is(err, ErrRecordExists) {
							errc <- err
							return
						}
						i++
					}
				}
				return
			}
			for i := range keys {
				k := base.MakeInternalKey(fmt.Appendf(nil, "k%04d", i), 7, base.InternalKeyKindSet)
				switch err := m.Add(k, fmt.Appendf(nil, "g%d", g)); {
				case err == nil:
					wins[i].Add(1)
				case !errors.Is(err, ErrRecordExists):
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for i := range keys {
		if n := wins[i].Load(); n != 1 {
			t.Fatalf("key %d added %d times", i, n)
		}
	}
	if m.Count() != keys {
		t.Fatalf("Count = %d, want %d", m.Count(), keys)
	}
	checkStructure(t, &m.points)
}

// TestConcurrentAppends makes every goroutine insert at the end of the list,
// interleaved, so that inserts collide on the same splice and on the tail's
// prev link as often as possible. After each round the prev links must be
// exact and a backward scan must see everything.
func TestConcurrentAppends(t *testing.T) {
	const goroutines, perGoroutine = 4, 2000
	for round := range 5 {
		m := New(make([]byte, 4<<20))
		var wg sync.WaitGroup
		errc := make(chan error, goroutines)
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ukey [8]byte
				for i := range perGoroutine {
					n := uint64(i*goroutines + g)
					binary.BigEndian.PutUint64(ukey[:], n)
					if err := m.Add(base.MakeInternalKey(ukey[:], base.SeqNum(n+1), base.InternalKeyKindSet), nil); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		checkStructure(t, &m.points)
		it := m.NewIter(nil, nil)
		n := 0
		for ok := it.Last(); ok; ok = it.Prev() {
			if want := uint64(goroutines*perGoroutine - 1 - n); binary.BigEndian.Uint64(it.Key().UserKey) != want {
				t.Fatalf("round %d: backward entry %d is %x, want %d", round, n, it.Key().UserKey, want)
			}
			n++
		}
		if n != goroutines*perGoroutine {
			t.Fatalf("round %d: backward scan saw %d entries", round, n)
		}
	}
}
