package codec

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// expireAll runs rounds of at most maxKeys at the clock's time until one
// finds fewer due entries than that.
func expireAll(t *testing.T, ks *Keyspace, clock *testClock, maxKeys int) int {
	t.Helper()
	total := 0
	for {
		n, examined, err := ks.ExpireRound(clock.Now(), maxKeys)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if examined < maxKeys {
			return total
		}
	}
}

// TestExpireRoundSkipsDeletedEntries: after a wave of keys has expired and
// been deleted, their index entries are tombstones in an LSM engine; later
// rounds start after them instead of stepping over all of them again.
func TestExpireRoundSkipsDeletedEntries(t *testing.T) {
	const wave = 2000
	store := newTombStore()
	clock := newClock(t0)
	ks := New(store, &Options{Now: clock.Now})
	db := ks.DB(0)
	for i := range wave {
		if _, err := db.Set(fmt.Appendf(nil, "k%d", i), b("v"), SetOptions{ExpireAt: t0 + 10 + int64(i%50)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(t0 + 100)
	if n := expireAll(t, ks, clock, 200); n != wave {
		t.Fatalf("expired %d keys, want %d", n, wave)
	}
	// A key expiring later, and the rounds that delete it.
	if _, err := db.Set(b("late"), b("v"), SetOptions{ExpireAt: t0 + 200}); err != nil {
		t.Fatal(err)
	}
	store.skipped.Store(0)
	for range 5 {
		clock.Advance(50)
		expireAll(t, ks, clock, 200)
	}
	if _, found, _ := db.Get(b("late")); found {
		t.Fatal("late key not expired")
	}
	if n := store.skipped.Load(); n != 0 {
		t.Fatalf("rounds stepped over %d tombstones of entries deleted before", n)
	}
	if n, err := ks.PendingExpiries(clock.Now(), 1000); n != 0 || err != nil {
		t.Fatalf("PendingExpiries = %d, %v", n, err)
	}
	if n := store.skipped.Load(); n != 0 {
		t.Fatalf("PendingExpiries stepped over %d tombstones", n)
	}
	// The control: a restarted keyspace starts at the beginning of the
	// index, so its first round does step over them (the count is real).
	ks2 := New(store, &Options{Now: clock.Now})
	expireAll(t, ks2, clock, 200)
	if n := store.skipped.Load(); n < wave {
		t.Fatalf("a fresh cursor stepped over %d tombstones, want at least %d", n, wave)
	}
	store.skipped.Store(0)
	expireAll(t, ks2, clock, 200)
	if n := store.skipped.Load(); n != 0 {
		t.Fatalf("second round after restart stepped over %d tombstones", n)
	}
}

// TestExpireRoundReadsAgainWhatItFailed: an entry whose deletion failed is
// not skipped by later rounds.
func TestExpireRoundReadsAgainWhatItFailed(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.setEx(fmt.Sprintf("k%d", i), "v", t0+10+int64(i))
	}
	// k2's metadata is corrupt: its round fails at its chunk.
	bt := f.store.NewBatch()
	bt.Set(MetaKey(0, b("k2")), b("\x07garbage"))
	f.store.Commit(bt)
	f.clock.Set(t0 + 100)
	if n, err := f.ks.ExpireCycle(f.clock.Now(), 2); n != 2 || err != nil {
		t.Fatalf("first round: %d %v", n, err) // k0, k1
	}
	if _, err := f.ks.ExpireCycle(f.clock.Now(), 2); !isCorruption(err) {
		t.Fatalf("round over the corrupt key: %v", err)
	}
	bt = f.store.NewBatch()
	bt.Set(MetaKey(0, b("k2")), (&Metadata{Type: TypeString, ExpireAt: t0 + 12}).Encode(nil))
	f.store.Commit(bt)
	if n, err := f.ks.ExpireCycle(f.clock.Now(), 100); n != 3 || err != nil {
		t.Fatalf("round after the repair: %d %v (k2..k4 due)", n, err)
	}
	if f.familyCount(FamilyExpiry) != 0 || f.familyCount(FamilyMeta) != 0 {
		t.Fatal("keys left behind")
	}
}

// stallStore yields the processor a random number of times before and
// after each commit, so that writers commit and report while rounds run,
// in every order.
type stallStore struct {
	Store
	seed atomic.Uint64
}

func (s *stallStore) Commit(b Batch) error {
	r := rand.New(rand.NewPCG(s.seed.Add(1), 7))
	for range r.IntN(4) {
		runtime.Gosched()
	}
	err := s.Store.Commit(b)
	for range r.IntN(4) {
		runtime.Gosched()
	}
	return err
}

// TestExpireCursorConcurrentWriters: writers set expiries just past and
// just ahead of the clock (which the cycle moves on between rounds) while
// bounded rounds run. Each write whose entry lands below where the cycle
// has got to must bring the cursor back: once everything is due, the
// cycle deletes every key with a TTL and leaves no index entry behind.
func TestExpireCursorConcurrentWriters(t *testing.T) {
	writers, perWriter := 4, 3000
	if testing.Short() {
		perWriter = 1000
	}
	store := &stallStore{Store: NewMemStore()}
	clock := newClock(t0)
	ks := New(store, &Options{Now: clock.Now})
	var wg sync.WaitGroup
	var stop atomic.Bool
	var cycleErr error
	cycleDone := make(chan struct{})
	go func() {
		defer close(cycleDone)
		for !stop.Load() {
			clock.Advance(1)
			if _, _, err := ks.ExpireRound(clock.Now(), 3); err != nil {
				cycleErr = err
				return
			}
		}
	}()
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			db := ks.DB(w % 2)
			for i := range perWriter {
				k := fmt.Appendf(nil, "w%d:%d", w, r.IntN(50))
				at := clock.Ms() + int64(r.IntN(8)) - 2
				var err error
				switch op := r.IntN(10); {
				case op < 6:
					_, err = db.Set(k, b("v"), SetOptions{ExpireAt: at})
				case op < 9:
					_, err = db.Expire(k, at, 0)
				default:
					_, err = db.Set(k, b("v"), SetOptions{})
					if err == nil && i%2 == 0 {
						_, err = db.Expire(k, at, 0)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	<-cycleDone
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if cycleErr != nil {
		t.Fatal(cycleErr)
	}
	// Everything with a TTL is due now; the cycle, from where it is, must
	// find all of it.
	clock.Advance(100)
	expireAll(t, ks, clock, 3)
	left, ttls := 0, 0
	for _, k := range store.Store.(*MemStore).Keys() {
		switch k[0] {
		case FamilyExpiry:
			left++
		case FamilyMeta:
			v, _ := store.Get(k)
			if m, err := DecodeMetadata(v); err != nil || m.ExpireAt != 0 {
				ttls++
			}
		}
	}
	if left != 0 || ttls != 0 {
		t.Fatalf("after the final rounds: %d index entries and %d keys with a TTL left", left, ttls)
	}
}

// TestExpireCursorLoweredByLateWrites: an entry written below where the
// cycle has got to (here the cycle runs ahead of the keyspace's clock) is
// found by the next round, whether written directly or by a transaction,
// which reports it when it commits.
func TestExpireCursorLoweredByLateWrites(t *testing.T) {
	f := newFixture(t)
	ahead := f.clock.Now().Add(100e6) // t0+100 ms
	if n, err := f.ks.ExpireCycle(ahead, 100); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	txks := f.ks.InTransaction(NewTxnStore(f.store))
	if _, err := txks.DB(0).Set(b("txn"), b("v"), SetOptions{ExpireAt: t0 + 60}); err != nil {
		t.Fatal(err)
	}
	if err := txks.CommitTransaction(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ks.PendingExpiries(ahead, 100); n != 1 || err != nil {
		t.Fatalf("PendingExpiries after the transaction = %d, %v", n, err)
	}
	f.setEx("direct", "v", t0+70)
	if n, err := f.ks.PendingExpiries(ahead, 100); n != 2 || err != nil {
		t.Fatalf("PendingExpiries = %d, %v", n, err)
	}
	if n, err := f.ks.ExpireCycle(ahead, 100); n != 2 || err != nil {
		t.Fatalf("round after the late writes: %d %v", n, err)
	}
	if f.familyCount(FamilyExpiry) != 0 || f.familyCount(FamilyMeta) != 0 {
		t.Fatal("keys left behind")
	}
}

// hookStore runs hook once, when the first iterator over the expiry index
// is closed: after a round has read its due entries and before it locks
// their keys.
type hookStore struct {
	Store
	hook func()
}

func (s *hookStore) NewIter(lower, upper []byte) (Iterator, error) {
	it, err := s.Store.NewIter(lower, upper)
	if err != nil || s.hook == nil || len(lower) == 0 || lower[0] != FamilyExpiry {
		return it, err
	}
	hook := s.hook
	s.hook = nil
	return &closeHookIter{Iterator: it, hook: hook}, nil
}

type closeHookIter struct {
	Iterator
	hook func()
}

func (it *closeHookIter) Close() error {
	err := it.Iterator.Close()
	it.hook()
	return err
}

// TestExpireRoundEntriesChangedUnderIt: between a round's read of the due
// entries and its locking of their keys, writers (whose clock is behind
// the cycle's) persist one key and move another's expiry to later but
// still due. The round neither counts the entry that went nor loses the
// new one: the next round expires it.
func TestExpireRoundEntriesChangedUnderIt(t *testing.T) {
	mem := NewMemStore()
	store := &hookStore{Store: mem}
	clock := newClock(t0)
	ks := New(store, &Options{Now: clock.Now})
	db := ks.DB(0)
	for _, k := range []string{"persisted", "moved", "due"} {
		if _, err := db.Set(b(k), b("v"), SetOptions{ExpireAt: t0 + 50}); err != nil {
			t.Fatal(err)
		}
	}
	store.hook = func() {
		if ok, err := db.Persist(b("persisted")); !ok || err != nil {
			t.Errorf("PERSIST: %v %v", ok, err)
		}
		if ok, err := db.Expire(b("moved"), t0+70, 0); !ok || err != nil {
			t.Errorf("EXPIRE: %v %v", ok, err)
		}
	}
	ahead := clock.Now().Add(100e6)
	if n, err := ks.ExpireCycle(ahead, 100); n != 1 || err != nil {
		t.Fatalf("round: %d %v (only \"due\" expires)", n, err)
	}
	checkCounts(t, ks, mem, 1, "after the round")
	if st := db.Stats(); st.Keys != 2 || st.Expires != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	if n, err := ks.ExpireCycle(ahead, 100); n != 1 || err != nil {
		t.Fatalf("second round: %d %v (\"moved\" expires)", n, err)
	}
	checkCounts(t, ks, mem, 1, "after the second round")
	if st := db.Stats(); st.Keys != 1 || st.Expires != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}
