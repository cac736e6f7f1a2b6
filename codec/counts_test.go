package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// recount is the counts' oracle, the scan DBSIZE and INFO used to do: it
// reads every metadata record of physical database db (expired ones too,
// which count until deleted, as in Redis), and adds the index entries of
// the database's current flush epoch whose record is gone or carries
// another expire-at: strings the compaction filter dropped, which count
// until the expiry cycle retires their entry. It reads the layouts itself
// rather than through the code under test.
func recount(t testing.TB, r Reader, db uint8) (keys, expires int64, sum *big.Int) {
	t.Helper()
	sum = new(big.Int)
	scan := func(start, end []byte, fn func(k, v []byte)) {
		it, err := r.NewIter(start, end)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			fn(it.Key(), it.Value())
		}
		if err := it.Error(); err != nil {
			t.Fatal(err)
		}
	}
	records := map[string]int64{} // user key -> expire-at
	scan([]byte{'m', db}, []byte{'m', db + 1}, func(k, v []byte) {
		at := int64(binary.BigEndian.Uint64(v[3:11]))
		records[string(k[2:])] = at
		keys++
		if at != 0 {
			expires++
			sum.Add(sum, big.NewInt(at))
		}
	})
	var epoch uint64
	if v, err := r.Get([]byte{'c', 'f', 'l', 'u', 's', 'h', db}); err == nil {
		epoch = binary.BigEndian.Uint64(v)
	} else if !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	scan([]byte{'x'}, []byte{'y'}, func(k, v []byte) {
		at, kdb, user := int64(binary.BigEndian.Uint64(k[1:9])), k[9], string(k[10:])
		var e uint64
		if len(v) > 0 {
			e, _ = binary.Uvarint(v)
		}
		if kdb != db || e != epoch {
			return
		}
		if rat, ok := records[user]; !ok || rat != at {
			keys++
			expires++
			sum.Add(sum, big.NewInt(at))
		}
	})
	return keys, expires, sum
}

// checkCounts compares the counts ks keeps for physical databases [0, n)
// with the oracle's recount of store.
func checkCounts(t testing.TB, ks *Keyspace, store Reader, n int, when string) {
	t.Helper()
	for db := range uint8(n) {
		keys, expires, sum := recount(t, store, db)
		c := ks.countsOf(db)
		got := new(big.Int).Lsh(big.NewInt(int64(c.expireSum.hi)), 64)
		got.Add(got, new(big.Int).SetUint64(c.expireSum.lo))
		if c.keys != keys || c.expires != expires || got.Cmp(sum) != 0 {
			t.Fatalf("%s: db %d counts keys=%d expires=%d sum=%s, a recount finds keys=%d expires=%d sum=%s",
				when, db, c.keys, c.expires, got, keys, expires, sum)
		}
	}
}

// countsModel drives random commands over a few databases and checks the
// counts against a full recount after each.
type countsModel struct {
	t     *testing.T
	r     *rand.Rand
	store Store
	clock *testClock
	ks    *Keyspace
	log   []string
}

const modelDBs = 3

func (m *countsModel) key() []byte { return fmt.Appendf(nil, "k%d", m.r.IntN(12)) }

func (m *countsModel) keys(n int) [][]byte {
	out := make([][]byte, 1+m.r.IntN(n))
	for i := range out {
		out[i] = m.key()
	}
	return out
}

func (m *countsModel) elems() [][]byte {
	out := make([][]byte, 1+m.r.IntN(3))
	for i := range out {
		out[i] = fmt.Appendf(nil, "e%d", m.r.IntN(5))
	}
	return out
}

// expireAt is an expiry in the past, now, just ahead or later.
func (m *countsModel) expireAt() int64 {
	now := m.clock.Ms()
	switch m.r.IntN(5) {
	case 0:
		return now - int64(m.r.IntN(100))
	case 1:
		return now + 1 + int64(m.r.IntN(5))
	case 2:
		return now + 1000 + int64(m.r.IntN(100_000))
	case 3:
		return math.MaxInt64 - int64(m.r.IntN(3)) // sums past 64 bits
	}
	return now + 1 + int64(m.r.IntN(300))
}

// op runs one random command on ks; inTxn leaves out what EXEC cannot run
// (the expiry cycle, a restart, the compaction filter).
func (m *countsModel) op(ks *Keyspace, inTxn bool) (string, error) {
	r := m.r
	db := ks.DB(r.IntN(modelDBs))
	k := m.key()
	var err error
	switch c := r.IntN(24); c {
	case 0, 1:
		o := SetOptions{}
		switch r.IntN(5) {
		case 0:
			o.ExpireAt = m.expireAt()
		case 1:
			o.KeepTTL = true
		case 2:
			o.NX = true
		case 3:
			o.XX, o.ExpireAt = true, m.expireAt()
		}
		_, err = db.Set(k, b("v"), o)
		return fmt.Sprintf("SET %s %+v", k, o), err
	case 2:
		ks := m.keys(4)
		vs := make([][]byte, len(ks))
		for i := range vs {
			vs[i] = fmt.Appendf(nil, "v%d", i)
		}
		if r.IntN(2) == 0 {
			_, err = db.MSetNX(ks, vs)
			return fmt.Sprintf("MSETNX %q", ks), err
		}
		return fmt.Sprintf("MSET %q", ks), db.MSet(ks, vs)
	case 3:
		ks := m.keys(3)
		_, err = db.Del(ks...)
		return fmt.Sprintf("DEL %q", ks), err
	case 4, 5:
		at, cond := m.expireAt(), []ExpireCond{0, ExpireNX, ExpireXX, ExpireGT, ExpireLT}[r.IntN(5)]
		_, err = db.Expire(k, at, cond)
		return fmt.Sprintf("EXPIRE %s %d %d", k, at, cond), err
	case 6:
		_, err = db.Persist(k)
		return "PERSIST " + string(k), err
	case 7:
		o := GetExOptions{Persist: r.IntN(2) == 0}
		if !o.Persist {
			o.ExpireAt = m.expireAt()
		}
		_, _, err = db.GetEx(k, o)
		return fmt.Sprintf("GETEX %s %+v", k, o), err
	case 8:
		_, _, err = db.GetDel(k)
		return "GETDEL " + string(k), err
	case 9:
		if r.IntN(2) == 0 {
			_, err = db.IncrBy(k, 1)
			return "INCR " + string(k), err
		}
		_, err = db.Append(k, b("x"))
		return "APPEND " + string(k), err
	case 10:
		dst := m.key()
		if r.IntN(2) == 0 {
			return fmt.Sprintf("RENAME %s %s", k, dst), db.Rename(k, dst)
		}
		_, err = db.RenameNX(k, dst)
		return fmt.Sprintf("RENAMENX %s %s", k, dst), err
	case 11:
		to := r.IntN(modelDBs)
		_, err = db.Move(k, to)
		return fmt.Sprintf("MOVE %s %d", k, to), err
	case 12:
		dst, to, replace := m.key(), r.IntN(modelDBs), r.IntN(2) == 0
		_, err = db.Copy(k, dst, to, replace)
		return fmt.Sprintf("COPY %s %s %d %v", k, dst, to, replace), err
	case 13:
		a, c := r.IntN(modelDBs), r.IntN(modelDBs)
		return fmt.Sprintf("SWAPDB %d %d", a, c), ks.SwapDB(a, c)
	case 14:
		switch r.IntN(20) {
		case 0:
			return "FLUSHALL", ks.FlushAll()
		case 1, 2, 3:
			return "FLUSHDB", db.FlushDB()
		}
		return "", nil
	case 15:
		if r.IntN(2) == 0 {
			_, err = db.HSet(k, [][]byte{b("f"), b("v"), m.elems()[0], b("w")})
			return "HSET " + string(k), err
		}
		_, err = db.HDel(k, m.elems())
		return "HDEL " + string(k), err
	case 16:
		switch r.IntN(4) {
		case 0:
			_, err = db.SAdd(k, m.elems())
			return "SADD " + string(k), err
		case 1:
			_, err = db.SRem(k, m.elems())
			return "SREM " + string(k), err
		case 2:
			dst := m.key()
			_, err = db.SMove(k, dst, m.elems()[0])
			return fmt.Sprintf("SMOVE %s %s", k, dst), err
		}
		srcs := m.keys(2)
		_, err = db.SetStore(SetOp(r.IntN(3)), k, srcs)
		return fmt.Sprintf("SSTORE %s %q", k, srcs), err
	case 17:
		switch r.IntN(3) {
		case 0:
			_, err = db.Push(k, m.elems(), r.IntN(2) == 0, false)
			return "PUSH " + string(k), err
		case 1:
			_, _, err = db.Pop(k, r.IntN(2) == 0, 1+r.IntN(3))
			return "POP " + string(k), err
		}
		dst := m.key()
		_, _, err = db.LMove(k, dst, r.IntN(2) == 0, r.IntN(2) == 0)
		return fmt.Sprintf("LMOVE %s %s", k, dst), err
	case 18:
		switch r.IntN(3) {
		case 0:
			es := m.elems()
			sc := make([]float64, len(es))
			_, err = db.ZAdd(k, ZAddOptions{}, sc, es)
			return "ZADD " + string(k), err
		case 1:
			_, _, err = db.ZPop(k, r.IntN(2) == 0, 1+r.IntN(2))
			return "ZPOP " + string(k), err
		}
		src := m.key()
		_, err = db.ZRangeStore(k, src, ZRangeSpec{By: ZByRank, Start: 0, Stop: int64(r.IntN(3)) - 1})
		return fmt.Sprintf("ZRANGESTORE %s %s", k, src), err
	}
	if inTxn {
		return "", nil
	}
	switch r.IntN(4) {
	case 0:
		m.clock.Advance(int64(r.IntN(200)))
		return "TICK", nil
	case 1:
		max := 1 + r.IntN(5)
		for {
			_, examined, err := ks.ExpireRound(m.clock.Now(), max)
			if err != nil || examined < max || r.IntN(3) == 0 {
				return fmt.Sprintf("EXPIRE-ROUNDS %d", max), err
			}
		}
	case 2:
		return m.dropExpired(db)
	}
	if r.IntN(4) == 0 {
		var err error
		if m.ks, err = Open(m.store, &Options{Now: m.clock.Now}); err != nil {
			return "REOPEN", err
		}
		return "REOPEN", nil
	}
	return "", nil
}

// dropExpired does what the engine's compaction filter does to expired
// strings: their metadata disappears, their index entries stay.
func (m *countsModel) dropExpired(db *DB) (string, error) {
	r := MetaRange(db.num)
	it, err := m.store.NewIter(r.Start, r.End)
	if err != nil {
		return "", err
	}
	bt := m.store.NewBatch()
	var dropped []string
	for ok := it.First(); ok; ok = it.Next() {
		if CompactionDrop(it.Key(), it.Value(), m.clock.Ms()) && m.r.IntN(2) == 0 {
			bt.Delete(bytes.Clone(it.Key()))
			dropped = append(dropped, string(it.Key()[2:]))
		}
	}
	if err := it.Close(); err != nil {
		return "", err
	}
	return fmt.Sprintf("COMPACTION-DROP %q", dropped), m.store.Commit(bt)
}

// txn runs a few commands as EXEC does, checking the transaction's own
// view of the counts as it goes.
func (m *countsModel) txn() (string, error) {
	unlock := m.ks.Locks().LockAll()
	defer unlock()
	ts := NewTxnStore(m.store)
	txks := m.ks.InTransaction(ts)
	var names []string
	for range 1 + m.r.IntN(5) {
		name, err := m.op(txks, true)
		if err != nil && !expected(err) {
			return "MULTI " + name, err
		}
		names = append(names, name)
		checkCounts(m.t, txks, ts, modelDBs, "in MULTI after "+name)
	}
	return fmt.Sprintf("MULTI %q EXEC", names), txks.CommitTransaction()
}

// expected reports whether err is a command's ordinary error reply.
func expected(err error) bool {
	return err == ErrWrongType || err == ErrNoSuchKey || err == ErrSameObject || errors.Is(err, ErrNotInteger)
}

func TestCountsModel(t *testing.T) {
	seeds, steps := 4, 1500
	if testing.Short() {
		seeds, steps = 2, 600
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			m := &countsModel{t: t, r: rand.New(rand.NewPCG(uint64(seed), 5)), store: NewMemStore(), clock: newClock(t0)}
			m.ks = New(m.store, &Options{Now: m.clock.Now})
			for step := range steps {
				var name string
				var err error
				if m.r.IntN(15) == 0 {
					name, err = m.txn()
				} else {
					name, err = m.op(m.ks, false)
				}
				if err != nil && !expected(err) {
					t.Fatalf("step %d %s: %v", step, name, err)
				}
				if name != "" {
					m.log = append(m.log, name)
					if len(m.log) > 10 {
						m.log = m.log[1:]
					}
				}
				checkCounts(t, m.ks, m.store, modelDBs, fmt.Sprintf("step %d, after %q", step, m.log))
			}
			// Once everything is due and the cycle has run, only keys
			// without a TTL count; a reopened keyspace agrees.
			m.clock.Set(math.MaxInt64)
			expireAll(t, m.ks, m.clock, 7)
			checkCounts(t, m.ks, m.store, modelDBs, "after the last cycle")
			for db := range uint8(modelDBs) {
				if c := m.ks.countsOf(db); c.expires != 0 {
					t.Fatalf("db %d: %d keys with a TTL after everything expired", db, c.expires)
				}
			}
			ks2, err := Open(m.store, &Options{Now: m.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, ks2, m.store, modelDBs, "reopened")
		})
	}
}

// TestCountsConcurrent: writers of every kind, transactions, SWAPDB and
// FLUSHDB, the expiry cycle and the compaction filter run together (under
// -race in make test) while readers read the counts; afterwards the
// counts equal a recount, and a reopened keyspace's.
func TestCountsConcurrent(t *testing.T) {
	workers, ops := 4, 500
	if testing.Short() {
		ops = 300
	}
	store := NewMemStore()
	clock := newClock(t0)
	ks := New(store, &Options{Now: clock.Now})
	var wg sync.WaitGroup
	var stop atomic.Bool
	var drops atomic.Int64
	errs := make(chan error, workers+3)
	fail := func(err error) {
		if err != nil && !expected(err) {
			select {
			case errs <- err:
			default:
			}
		}
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 11))
			key := func() []byte { return fmt.Appendf(nil, "k%d", r.IntN(30)) }
			at := func() int64 { return clock.Ms() + int64(r.IntN(40)) - 5 }
			for range ops {
				db := ks.DB(r.IntN(modelDBs))
				k := key()
				var err error
				switch r.IntN(14) {
				case 0, 1:
					_, err = db.Set(k, b("v"), SetOptions{ExpireAt: max(at(), 0)})
				case 2:
					err = db.MSet([][]byte{k, key(), k}, [][]byte{b("1"), b("2"), b("3")})
				case 3:
					_, err = db.Del(k, key())
				case 4:
					_, err = db.Expire(k, at(), 0)
				case 5:
					_, err = db.Persist(k)
				case 6:
					err = db.Rename(k, key())
				case 7:
					_, err = db.Move(k, r.IntN(modelDBs))
				case 8:
					_, err = db.Copy(k, key(), r.IntN(modelDBs), true)
				case 9:
					_, err = db.HSet(k, [][]byte{b("f"), b("v")})
				case 10:
					_, err = db.HDel(k, [][]byte{b("f")})
				case 11:
					_, err = db.SAdd(k, [][]byte{b("m")})
				case 12:
					if r.IntN(30) == 0 {
						err = db.FlushDB()
					} else if r.IntN(10) == 0 {
						err = ks.SwapDB(r.IntN(modelDBs), r.IntN(modelDBs))
					}
				case 13:
					unlock := ks.Locks().LockAll()
					txks := ks.InTransaction(NewTxnStore(store))
					tdb := txks.DB(r.IntN(modelDBs))
					if _, err = tdb.Set(k, b("t"), SetOptions{ExpireAt: max(at(), 0)}); err == nil {
						_, err = tdb.Del(key())
					}
					if err == nil {
						err = txks.CommitTransaction()
					}
					unlock()
				}
				fail(err)
			}
		}()
	}
	var bg, cron sync.WaitGroup
	var cronStop atomic.Bool
	bg.Add(2)
	cron.Add(1)
	go func() { // the cron
		defer cron.Done()
		for i := 0; !stop.Load() && !cronStop.Load(); i++ {
			clock.Advance(1)
			if i%4 == 0 { // rounds lag, so the filter finds expired strings too
				_, _, err := ks.ExpireRound(clock.Now(), 2)
				fail(err)
			}
			runtime.Gosched()
		}
	}()
	go func() { // the compaction filter
		defer bg.Done()
		for !stop.Load() {
			var expired [][]byte
			it, _ := store.NewIter([]byte{FamilyMeta}, []byte{FamilyMeta + 1})
			for ok := it.First(); ok; ok = it.Next() {
				if CompactionDrop(it.Key(), it.Value(), clock.Ms()) {
					expired = append(expired, bytes.Clone(it.Key()))
				}
			}
			it.Close()
			for _, mk := range expired {
				// Under the key's stripe, so that only the version it
				// looked at is dropped, as the engine guarantees.
				unlock := ks.Locks().Lock(mk)
				if v, err := store.Get(mk); err == nil && CompactionDrop(mk, v, clock.Ms()) {
					bt := store.NewBatch()
					bt.Delete(mk)
					fail(store.Commit(bt))
					drops.Add(1)
				}
				unlock()
			}
			runtime.Gosched()
		}
	}()
	go func() { // INFO and DBSIZE
		defer bg.Done()
		for !stop.Load() {
			for db := range modelDBs {
				if st := ks.DB(db).Stats(); st.Keys < 0 || st.Expires < 0 || st.AvgTTL < 0 {
					fail(fmt.Errorf("db %d: %+v", db, st))
				}
			}
			runtime.Gosched()
		}
	}()
	wg.Wait()
	cronStop.Store(true)
	cron.Wait()
	if drops.Load() == 0 {
		// The timing left the filter nothing the cron had not expired
		// first. With the cron stopped, one string past its expiry is
		// the filter's alone.
		_, err := ks.DB(0).Set(b("filter-target"), b("v"), SetOptions{ExpireAt: clock.Ms() + 1})
		fail(err)
		clock.Advance(2)
		for drops.Load() == 0 && len(errs) == 0 {
			runtime.Gosched()
		}
	}
	stop.Store(true)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if drops.Load() == 0 {
		t.Error("the compaction filter dropped nothing")
	}
	checkCounts(t, ks, store, modelDBs, "after the run")
	clock.Advance(1000)
	expireAll(t, ks, clock, 4)
	checkCounts(t, ks, store, modelDBs, "after the last rounds")
	ks2, err := Open(store, &Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, ks2, store, modelDBs, "reopened")
}

func TestInt128(t *testing.T) {
	toBig := func(a int128) *big.Int {
		v := new(big.Int).Lsh(big.NewInt(int64(a.hi)), 64)
		return v.Add(v, new(big.Int).SetUint64(a.lo))
	}
	r := rand.New(rand.NewPCG(3, 3))
	var a int128
	want := new(big.Int)
	n := int64(0)
	for i := range 10000 {
		v := r.Int64()
		if i%3 == 0 {
			v = math.MaxInt64 - r.Int64N(10)
		}
		sign := int64(1)
		if n > 0 && r.IntN(3) == 0 {
			sign = -1
		}
		a.addInt64(sign * v)
		want.Add(want, big.NewInt(sign*v))
		n += sign
	}
	if toBig(a).Cmp(want) != 0 {
		t.Fatalf("sum %s, want %s", toBig(a), want)
	}
	var b int128
	b.add(a)
	b.add(a)
	if toBig(b).Cmp(new(big.Int).Mul(want, big.NewInt(2))) != 0 {
		t.Fatal("add")
	}
	var c int128
	for range 3 {
		c.addInt64(math.MaxInt64)
	}
	for _, tc := range []struct {
		a    int128
		n    int64
		want int64
	}{
		{c, 3, math.MaxInt64},
		{c, 4, new(big.Int).Div(toBig(c), big.NewInt(4)).Int64()},
		{c, 1, math.MaxInt64}, // capped
		{int128{}, 5, 0},
		{int128{hi: math.MaxUint64, lo: math.MaxUint64}, 1, 0}, // negative: never a sum of expire-ats
	} {
		if got := tc.a.quo(tc.n); got != tc.want {
			t.Errorf("%s / %d = %d, want %d", toBig(tc.a), tc.n, got, tc.want)
		}
	}
}

func TestEpochEncoding(t *testing.T) {
	for _, e := range []uint64{0, 1, 127, 128, 1 << 40, math.MaxUint64} {
		v := appendEpoch(nil, e)
		if got, ok := decodeEpoch(v); !ok || got != e {
			t.Errorf("epoch %d: %x decodes to %d %v", e, v, got, ok)
		}
	}
	if len(appendEpoch(nil, 0)) != 0 {
		t.Error("epoch 0 is not the empty value")
	}
	for _, v := range [][]byte{{0x80}, {1, 2}} {
		if _, ok := decodeEpoch(v); ok {
			t.Errorf("%x decodes", v)
		}
	}
	db, e, err := decodeEpochRecord(epochKey(7), epochRecord(9))
	if db != 7 || e != 9 || err != nil {
		t.Fatal(db, e, err)
	}
	if _, _, err := decodeEpochRecord(epochKey(7), []byte{1}); !isCorruption(err) {
		t.Fatal(err)
	}
}

// TestMSetRepeatedKeys: a key named twice is written once, with its last
// value, and counts once, in short and long argument lists.
func TestMSetRepeatedKeys(t *testing.T) {
	for _, n := range []int{3, 40} {
		f := newFixture(t)
		var keys, values [][]byte
		for i := range n {
			keys = append(keys, fmt.Appendf(nil, "k%d", i%(n/2+1)))
			values = append(values, fmt.Appendf(nil, "v%d", i))
		}
		if err := f.db.MSet(keys, values); err != nil {
			t.Fatal(err)
		}
		if got, want := f.db.DBSize(), int64(n/2+1); got != want {
			t.Fatalf("%d pairs: DBSIZE %d, want %d", n, got, want)
		}
		checkCounts(t, f.ks, f.store, 1, "after MSET")
		if got := f.get("k0"); got != fmt.Sprintf("v%d", (n-1)/(n/2+1)*(n/2+1)) {
			t.Fatalf("%d pairs: k0 = %s", n, got)
		}
	}
}
