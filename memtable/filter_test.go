package memtable

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

func TestFilterSize(t *testing.T) {
	for _, c := range []struct{ arena, want int }{
		{0, 0}, {MinArenaSize, 0}, {16<<10 - 1, 0}, {16 << 10, 256},
		{16<<10 + 63*64, 256}, {16<<10 + 64*64, 320}, {64 << 20, 1 << 20}, {1<<20 + 4095, 1 << 14},
	} {
		if got := FilterSize(c.arena); got != c.want || got%filterBlockBytes != 0 {
			t.Errorf("FilterSize(%d) = %d, want %d", c.arena, got, c.want)
		}
	}
}

// TestFilterNoFalseNegatives: every key added is reported as possibly
// present, at every arena alignment; keys never added are mostly
// rejected, at the rate a 20-bits-per-key blocked filter promises.
func TestFilterNoFalseNegatives(t *testing.T) {
	const n = 50_000
	for skip := range 9 {
		t.Run(fmt.Sprintf("skip=%d", skip), func(t *testing.T) {
			buf := make([]byte, skip+n*20/8+filterBlockBytes)
			var f filter
			f.init(buf[skip:])
			if f.nblocks == 0 {
				t.Fatal("no blocks")
			}
			key := make([]byte, 8)
			for i := range n {
				binary.BigEndian.PutUint64(key, uint64(i))
				f.add(KeyHash(key))
			}
			fp := 0
			for i := range 2 * n {
				binary.BigEndian.PutUint64(key, uint64(i))
				may := f.mayContain(KeyHash(key))
				if i < n && !may {
					t.Fatalf("key %d was added but the filter rejects it", i)
				}
				if i >= n && may {
					fp++
				}
			}
			// A blocked filter of 20 bits per key and 6 probes: about 0.1%.
			if rate := float64(fp) / n; rate > 0.01 {
				t.Fatalf("false positive rate %.4f", rate)
			}
		})
	}
}

// TestFilterGet: Get still finds every key, deletions included, and the
// filter rejects nearly every absent key (whose Get then does no search).
func TestFilterGet(t *testing.T) {
	m := New(make([]byte, 4<<20))
	if m.filter.nblocks == 0 {
		t.Fatal("a 4 MiB memtable has no filter")
	}
	key := func(i int) []byte { return fmt.Appendf(nil, "key%08d", i) }
	for i := range 10_000 {
		kind := base.InternalKeyKindSet
		if i%3 == 0 {
			kind = base.InternalKeyKindDelete
		}
		if err := m.Add(base.MakeInternalKey(key(i), base.SeqNum(i+1), kind), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	rejected := 0
	for i := range 20_000 {
		_, kind, ok := m.Get(key(i), base.SeqNumMax)
		if i < 10_000 {
			want := base.InternalKeyKindSet
			if i%3 == 0 {
				want = base.InternalKeyKindDelete
			}
			if !ok || kind != want {
				t.Fatalf("Get(%s) = %v %v", key(i), kind, ok)
			}
			continue
		}
		if ok {
			t.Fatalf("Get(%s) found a key never added", key(i))
		}
		if !m.filter.mayContain(KeyHash(key(i))) {
			rejected++
		}
	}
	if rejected < 9_900 {
		t.Fatalf("the filter rejected only %d of 10000 absent keys", rejected)
	}
}

// TestFilterConcurrent: readers that learn a key's sequence number after
// its Add returned always find it, while writers keep adding (run with
// -race).
func TestFilterConcurrent(t *testing.T) {
	m := New(make([]byte, 8<<20))
	const writers, perWriter = 4, 5_000
	var published [writers]struct {
		sync.Mutex
		n int
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				k := fmt.Appendf(nil, "w%d-%06d", w, i)
				if err := m.Add(base.MakeInternalKey(k, base.SeqNum(w*perWriter+i+1), base.InternalKeyKindSet), k); err != nil {
					t.Error(err)
					return
				}
				published[w].Lock()
				published[w].n = i + 1
				published[w].Unlock()
			}
		}()
	}
	var rg sync.WaitGroup
	for r := range 2 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				w := (i + r) % writers
				published[w].Lock()
				n := published[w].n
				published[w].Unlock()
				if n == 0 {
					continue
				}
				k := fmt.Appendf(nil, "w%d-%06d", w, n-1)
				if _, _, ok := m.Get(k, base.SeqNumMax); !ok {
					t.Errorf("%s was added but Get misses it", k)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
}

// TestArenaSizeFor: the arena it returns has at least the capacity asked
// for, and one byte less would not.
func TestArenaSizeFor(t *testing.T) {
	for _, n := range []int{0, 1, MinArenaSize, 16<<10 - 300, 16<<10 - 256, 16 << 10, 1 << 20, 1<<20 + 12345, 64 << 20, 1<<30 + 7} {
		l := ArenaSizeFor(n)
		if l-ReservedSize(l) < n {
			t.Errorf("ArenaSizeFor(%d) = %d holds only %d", n, l, l-ReservedSize(l))
		}
		if l > 0 && l-1-ReservedSize(l-1) >= n {
			t.Errorf("ArenaSizeFor(%d) = %d, but %d suffices", n, l, l-1)
		}
		if n >= MinArenaSize && n <= 2<<20 {
			if c := New(make([]byte, l)).Capacity(); c < n {
				t.Errorf("New(ArenaSizeFor(%d)).Capacity() = %d", n, c)
			}
		}
	}
}
