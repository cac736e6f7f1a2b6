package memtable

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// nodeOf returns the point node holding exactly key.
func nodeOf(t *testing.T, s *skiplist, key base.InternalKey) uint32 {
	t.Helper()
	_, nd := s.seek(key.UserKey, key.Trailer)
	if nd == s.tail || s.compare(nd, key.UserKey, key.Trailer) != 0 {
		t.Fatalf("%s not found", key)
	}
	return nd
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestSizeAccounting checks, for random key and value lengths, that every
// Add moves Size by exactly the bytes of its entry, that this is at most
// MaxEntrySize, and that refused Adds use nothing.
func TestSizeAccounting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := New(make([]byte, 1<<20))
	if m.Size() > MinArenaSize || m.Size() < MinArenaSize-arenaAlign+1 {
		t.Fatalf("initial Size = %d, MinArenaSize = %d", m.Size(), MinArenaSize)
	}
	if m.Capacity() != 1<<20-ReservedSize(1<<20) || !m.Empty() {
		t.Fatalf("Capacity = %d, Empty = %t", m.Capacity(), m.Empty())
	}
	heights := map[int]int{}
	for seq := base.SeqNum(1); ; seq++ {
		kind := []base.InternalKeyKind{base.InternalKeyKindSet, base.InternalKeyKindDelete, base.InternalKeyKindRangeDelete}[rng.IntN(3)]
		key := base.MakeInternalKey(randBytes(rng, rng.IntN(40)), seq, kind)
		value := randBytes(rng, rng.IntN(300))
		before := m.Size()
		err := m.Add(key, value)
		if errors.Is(err, ErrArenaFull) {
			if m.Size() != before {
				t.Fatalf("a refused Add moved Size from %d to %d", before, m.Size())
			}
			if m.Capacity()-before >= MaxEntrySize(len(key.UserKey), len(value)) {
				t.Fatalf("ErrArenaFull with %d bytes free for an entry of at most %d", m.Capacity()-before, MaxEntrySize(len(key.UserKey), len(value)))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		list := &m.points
		if kind == base.InternalKeyKindRangeDelete {
			list = &m.rangeDels
		}
		h := m.arena.height(nodeOf(t, list, key))
		heights[h]++
		delta := m.Size() - before
		if want := int(entrySize(h, len(key.UserKey), len(value))); delta != want {
			t.Fatalf("Add of %d+%d bytes at height %d used %d bytes, want %d", len(key.UserKey), len(value), h, delta, want)
		}
		if delta > MaxEntrySize(len(key.UserKey), len(value)) || delta%arenaAlign != 0 {
			t.Fatalf("Add used %d bytes, MaxEntrySize = %d", delta, MaxEntrySize(len(key.UserKey), len(value)))
		}
		if m.Size() > m.Capacity() {
			t.Fatalf("Size %d > Capacity %d", m.Size(), m.Capacity())
		}
		// A duplicate is refused without using space.
		if rng.IntN(10) == 0 {
			before := m.Size()
			if err := m.Add(key, value); !errors.Is(err, ErrRecordExists) || m.Size() != before {
				t.Fatalf("duplicate Add: %v, Size %d -> %d", err, before, m.Size())
			}
		}
	}
	// Heights follow p = 1/e: about 63% are 1.
	total := 0
	for _, n := range heights {
		total += n
	}
	if want := 1 - heightP; math.Abs(float64(heights[1])/float64(total)-want) > 0.1 {
		t.Errorf("%.2f of %d towers have height 1, want about %.2f", float64(heights[1])/float64(total), total, want)
	}
}

// TestMaxEntrySizeBound adds entries at every height, the tallest included,
// and checks that MaxEntrySize is exactly the worst case.
func TestMaxEntrySizeBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := New(make([]byte, 4<<20))
	for i := range 2000 {
		h := 1 + rng.IntN(maxHeight)
		if i%10 == 0 {
			h = maxHeight
		}
		key := base.MakeInternalKey(randBytes(rng, rng.IntN(20)), base.SeqNum(i+1), base.InternalKeyKindSet)
		value := randBytes(rng, rng.IntN(20))
		before := m.Size()
		if err := m.add(key, value, h); err != nil {
			t.Fatal(err)
		}
		delta, bound := m.Size()-before, MaxEntrySize(len(key.UserKey), len(value))
		if delta > bound || (h == maxHeight && delta != bound) {
			t.Fatalf("height %d: %d bytes, MaxEntrySize %d", h, delta, bound)
		}
	}
	checkStructure(t, &m.points)
}

// TestArenaFull fills a small arena with fixed-height entries and checks
// that ErrArenaFull comes exactly when the next entry does not fit.
func TestArenaFull(t *testing.T) {
	m := New(make([]byte, 4096))
	for seq := base.SeqNum(1); ; seq++ {
		key := base.MakeInternalKey([]byte("key"), seq, base.InternalKeyKindSet)
		need := int(entrySize(2, 3, 5))
		fits := m.Size()+need <= m.Capacity()
		err := m.add(key, []byte("value"), 2)
		if fits != (err == nil) {
			t.Fatalf("size %d of %d, need %d: %v", m.Size(), m.Capacity(), need, err)
		}
		if err != nil {
			if !errors.Is(err, ErrArenaFull) {
				t.Fatal(err)
			}
			break
		}
	}
	// An entry larger than the whole arena is refused too.
	if err := m.Add(base.MakeInternalKey(make([]byte, 8192), 1, base.InternalKeyKindSet), nil); !errors.Is(err, ErrArenaFull) {
		t.Fatal(err)
	}
	// The memtable stays readable.
	if v, _, ok := m.Get([]byte("key"), 1); !ok || string(v) != "value" {
		t.Fatalf("Get = %q %t", v, ok)
	}
}

func TestReserve(t *testing.T) {
	m := New(make([]byte, 64<<10))
	free := m.Capacity() - m.Size()
	if m.Reserve(free+1) || m.Reserve(-1) {
		t.Fatal("Reserve accepted more than fits")
	}
	if !m.Reserve(0) || !m.Reserve(free) {
		t.Fatal("Reserve refused what fits")
	}
	if m.Reserve(1) {
		t.Fatal("Reserve accepted past a full reservation")
	}

	// Adds without a reservation count: Reserve starts from Size.
	m = New(make([]byte, 64<<10))
	for i := range 50 {
		if err := m.Add(base.MakeInternalKey([]byte{byte(i)}, 1, base.InternalKeyKindSet), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	free = m.Capacity() - m.Size()
	if m.Reserve(free+1) || !m.Reserve(free) {
		t.Fatal("Reserve ignored Adds made without a reservation")
	}
}

// TestReservedAddsNeverFail applies random batches, each after reserving the
// sum of MaxEntrySize over it, from several goroutines until Reserve refuses:
// no Add may fail with ErrArenaFull.
func TestReservedAddsNeverFail(t *testing.T) {
	const goroutines = 4
	m := New(make([]byte, 1<<20))
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 5))
			for b := 0; ; b++ {
				type entry struct {
					key   base.InternalKey
					value []byte
				}
				batch := make([]entry, 1+rng.IntN(20))
				need := 0
				for i := range batch {
					seq := base.SeqNum(1 + (b*32+i)*goroutines + g)
					batch[i] = entry{base.MakeInternalKey(randBytes(rng, rng.IntN(30)), seq, base.InternalKeyKindSet), randBytes(rng, rng.IntN(200))}
					need += MaxEntrySize(len(batch[i].key.UserKey), len(batch[i].value))
				}
				if !m.Reserve(need) {
					// Reservations only grow, so the room left can only
					// have shrunk since the refusal.
					if free := uint64(m.Capacity()) - max(m.reservation.Load()&reservedMask, m.arena.size()); free >= uint64(need) {
						errc <- errors.New("Reserve refused what fits")
					}
					return
				}
				for _, e := range batch {
					if err := m.Add(e.key, e.value); err != nil {
						errc <- err
						return
					}
				}
				m.Applied()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if m.Size() > m.Capacity() {
		t.Fatalf("Size %d > Capacity %d", m.Size(), m.Capacity())
	}
	// Nothing is in flight: every over-estimate has been given back.
	if !m.Reserve(m.Capacity() - m.Size()) {
		t.Fatal("reservations were not reconciled after the last Applied")
	}
}

// TestAppliedReconciles checks that Applied gives back over-estimated
// reservations once no reserved batch is in flight, and only then.
func TestAppliedReconciles(t *testing.T) {
	m := New(make([]byte, 64<<10))
	key := func(i int) base.InternalKey {
		return base.MakeInternalKey([]byte{byte(i >> 8), byte(i)}, 1, base.InternalKeyKindSet)
	}
	apply := func(from, to int) {
		for i := from; i < to; i++ {
			if err := m.Add(key(i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	per := MaxEntrySize(2, 1)
	if !m.Reserve(10*per) || !m.Reserve(10*per) {
		t.Fatal("Reserve refused")
	}
	apply(0, 10)
	m.Applied()
	// The second batch is still in flight: nothing is given back.
	if m.Reserve(m.Capacity() - m.Size() - 10*per) {
		t.Fatal("Applied gave back reservations while a batch was in flight")
	}
	apply(10, 20)
	m.Applied()
	if !m.Reserve(m.Capacity() - m.Size()) {
		t.Fatal("the last Applied did not give back the over-estimates")
	}
	m.Applied()
	defer func() {
		if recover() == nil {
			t.Fatal("Applied without a Reserve did not panic")
		}
	}()
	m.Applied()
}

// TestReservedFill applies small batches with Reserve and Applied until
// Reserve refuses: the arena must then be full but for less than one batch's
// reservation, whatever MaxEntrySize over-estimates.
func TestReservedFill(t *testing.T) {
	m := New(make([]byte, 256<<10))
	const batchLen = 8
	need := batchLen * MaxEntrySize(8, 16)
	seq := base.SeqNum(0)
	for m.Reserve(need) {
		for range batchLen {
			seq++
			k := base.MakeInternalKey(binary.BigEndian.AppendUint64(nil, uint64(seq)), seq, base.InternalKeyKindSet)
			if err := m.Add(k, make([]byte, 16)); err != nil {
				t.Fatal(err)
			}
		}
		m.Applied()
	}
	if free := m.Capacity() - m.Size(); free >= need {
		t.Fatalf("Reserve(%d) refused with %d bytes free", need, free)
	}
	t.Logf("filled %d of %d bytes with %d entries", m.Size(), m.Capacity(), seq)
}

// TestArenaBounds checks New's limits and that the arena copes with a
// caller slice at any alignment.
func TestArenaBounds(t *testing.T) {
	for _, n := range []int{0, 1, MinArenaSize - 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New of %d bytes did not panic", n)
				}
			}()
			New(make([]byte, n))
		}()
	}
	buf := make([]byte, 64<<10)
	for off := range 8 {
		m := New(buf[off : off+MinArenaSize])
		if err := m.Add(base.MakeInternalKey(nil, 1, base.InternalKeyKindSet), nil); !errors.Is(err, ErrArenaFull) {
			t.Fatalf("offset %d: Add into a minimal arena = %v", off, err)
		}
		m = New(buf[off:])
		for i := range 100 {
			if err := m.Add(base.MakeInternalKey([]byte{byte(i)}, base.SeqNum(i+1), base.InternalKeyKindSet), []byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
		}
		checkStructure(t, &m.points)
	}
	m := New(make([]byte, MinArenaSize+1024))
	if err := m.Add(base.InternalKey{UserKey: []byte("a"), Trailer: base.MakeTrailer(1, 7)}, nil); !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("Add of kind 7 = %v", err)
	}
	if m.Count() != 0 {
		t.Fatalf("Count = %d", m.Count())
	}
}
