package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// TestKeyspaceOnEngineMatchesMemStore runs the same random commands over
// every type on two keyspaces, one on the in-memory MemStore and one on the
// engine with tiny memtables and tables (so flushes and compactions, range
// deletions included, interleave with the commands), and requires the same
// result from every command and the same contents at checkpoints. The
// engine is also reopened along the way. STRATA_KEYSPACE_MODEL_SEEDS runs
// more seeds.
func TestKeyspaceOnEngineMatchesMemStore(t *testing.T) {
	seeds, steps := 3, 4000
	if raceEnabled || testing.Short() {
		seeds, steps = 1, 1500
	}
	if v, err := strconv.Atoi(os.Getenv("STRATA_KEYSPACE_MODEL_SEEDS")); err == nil {
		seeds = v
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runKeyspaceModel(t, uint64(seed), steps) })
	}
}

func runKeyspaceModel(t *testing.T, seed uint64, steps int) {
	var nowMs atomic.Int64
	nowMs.Store(1_800_000_000_000)
	clock := func() time.Time { return time.UnixMilli(nowMs.Load()) }
	dir := t.TempDir()
	opts := func() *lsm.Options {
		return &lsm.Options{
			MemTableSize:          64 << 10,
			TargetFileSize:        32 << 10,
			L0CompactionThreshold: 2,
			WALMode:               lsm.WALSyncNo,
			CompactionFilter: func(key, value []byte) bool {
				return codec.CompactionDrop(key, value, nowMs.Load())
			},
		}
	}
	eng, err := lsm.Open(dir, opts())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close() }()
	mem := codec.New(codec.NewMemStore(), &codec.Options{Now: clock})
	ondisk := codec.New(engineStore{eng}, &codec.Options{Now: clock})
	var flushes, compactions int64
	r := rand.New(rand.NewPCG(seed, 99))
	key := func() []byte { return []byte("k" + strconv.Itoa(r.IntN(8))) }
	elem := func() []byte { return []byte("e" + strconv.Itoa(r.IntN(12))) }
	elems := func() [][]byte {
		out := make([][]byte, 1+r.IntN(4))
		for i := range out {
			out[i] = elem()
		}
		return out
	}
	big := func() []byte { return []byte(fmt.Sprintf("%0*d", 200+r.IntN(2000), r.IntN(1000))) }
	show := func(v any, err error) string { return fmt.Sprintf("%q %v", v, err) }
	for step := range steps {
		var name string
		var op func(db *codec.DB) string
		switch r.IntN(27) {
		case 24, 25:
			k, ms := key(), elems()
			sc := make([]float64, len(ms))
			for i := range sc {
				sc[i] = float64(r.IntN(5))
			}
			name, op = "ZADD", func(db *codec.DB) string { return show(db.ZAdd(k, codec.ZAddOptions{}, sc, ms)) }
		case 26:
			k, max, n := key(), r.IntN(2) == 0, 1+r.IntN(3)
			name, op = "ZPOP", func(db *codec.DB) string {
				ms, sc, err := db.ZPop(k, max, n)
				return show(fmt.Sprint(ms, sc), err)
			}
		case 0, 1:
			k, pairs := key(), [][]byte{elem(), big(), elem(), elem()}
			name, op = "HSET", func(db *codec.DB) string { return show(db.HSet(k, pairs)) }
		case 2:
			k, fs := key(), elems()
			name, op = "HDEL", func(db *codec.DB) string { return show(db.HDel(k, fs)) }
		case 3:
			k, f := key(), elem()
			name, op = "HINCRBY", func(db *codec.DB) string { return show(db.HIncrBy(k, f, 3)) }
		case 4, 5:
			k, es, left := key(), elems(), r.IntN(2) == 0
			name, op = "PUSH", func(db *codec.DB) string { return show(db.Push(k, es, left, false)) }
		case 6:
			k, left, n := key(), r.IntN(2) == 0, 1+r.IntN(3)
			name, op = "POP", func(db *codec.DB) string {
				v, ok, err := db.Pop(k, left, n)
				return show(fmt.Sprint(v, ok), err)
			}
		case 7:
			k, a, b := key(), int64(r.IntN(6)-3), int64(r.IntN(6)-3)
			name, op = "LTRIM", func(db *codec.DB) string { return show(nil, db.LTrim(k, a, b)) }
		case 8:
			k, before, p, e := key(), r.IntN(2) == 0, elem(), big()
			name, op = "LINSERT", func(db *codec.DB) string { return show(db.LInsert(k, before, p, e)) }
		case 9:
			k, n, e := key(), int64(r.IntN(5)-2), elem()
			name, op = "LREM", func(db *codec.DB) string { return show(db.LRem(k, n, e)) }
		case 10:
			a, b, l1, l2 := key(), key(), r.IntN(2) == 0, r.IntN(2) == 0
			name, op = "LMOVE", func(db *codec.DB) string {
				v, ok, err := db.LMove(a, b, l1, l2)
				return show(fmt.Sprint(v, ok), err)
			}
		case 11, 12:
			k, es := key(), elems()
			name, op = "SADD", func(db *codec.DB) string { return show(db.SAdd(k, es)) }
		case 13:
			k, es := key(), elems()
			name, op = "SREM", func(db *codec.DB) string { return show(db.SRem(k, es)) }
		case 14:
			setOp, dst, ks := codec.SetOp(r.IntN(3)), key(), [][]byte{key(), key()}
			name, op = "SSTORE", func(db *codec.DB) string { return show(db.SetStore(setOp, dst, ks)) }
		case 15:
			a, b, m := key(), key(), elem()
			name, op = "SMOVE", func(db *codec.DB) string { return show(db.SMove(a, b, m)) }
		case 16:
			k := key()
			name, op = "DEL", func(db *codec.DB) string { return show(db.Del(k)) }
		case 17:
			k, at := key(), nowMs.Load()+int64(r.IntN(3000))
			name, op = "EXPIRE", func(db *codec.DB) string { return show(db.Expire(k, at, 0)) }
		case 18:
			a, b := key(), key()
			name, op = "RENAME", func(db *codec.DB) string { return show(nil, db.Rename(a, b)) }
		case 19:
			a, b, dstDB := key(), key(), r.IntN(2)
			name, op = "COPY", func(db *codec.DB) string { return show(db.Copy(a, b, dstDB, true)) }
		case 20:
			k, v := key(), big()
			name, op = "SET", func(db *codec.DB) string { return show(db.Set(k, v, codec.SetOptions{})) }
		case 21:
			nowMs.Add(int64(r.IntN(1500)))
			name, op = "TICK+EXPIRECYCLE", func(db *codec.DB) string { return "" }
		case 22:
			if r.IntN(40) == 0 {
				name, op = "FLUSHDB", func(db *codec.DB) string { return show(nil, db.FlushDB()) }
				break
			}
			fallthrough
		default:
			k := key()
			name, op = "READ", func(db *codec.DB) string { return dumpKey(db, k) }
		}
		want, got := op(mem.DB(0)), op(ondisk.DB(0))
		if want != got {
			t.Fatalf("seed %d step %d %s:\n  memstore: %s\n  engine:   %s", seed, step, name, want, got)
		}
		// The key counts agree although the engine's compaction filter
		// drops expired strings that MemStore keeps: they count until
		// the expiry cycle retires them either way.
		for db := range 2 {
			if w, g := mem.DB(db).Stats(), ondisk.DB(db).Stats(); w != g {
				t.Fatalf("seed %d step %d %s: db %d counts: memstore %+v, engine %+v", seed, step, name, db, w, g)
			}
		}
		if name == "TICK+EXPIRECYCLE" {
			now := clock()
			a, err1 := mem.ExpireCycle(now, 1000)
			b, err2 := ondisk.ExpireCycle(now, 1000)
			if a != b || err1 != nil || err2 != nil {
				t.Fatalf("step %d: expire cycle %d %v / %d %v", step, a, err1, b, err2)
			}
		}
		if step%500 == 499 {
			for db := range 2 {
				for i := range 8 {
					k := []byte("k" + strconv.Itoa(i))
					if w, g := dumpKey(mem.DB(db), k), dumpKey(ondisk.DB(db), k); w != g {
						t.Fatalf("step %d: db %d key %s:\n  memstore: %s\n  engine:   %s", step, db, k, w, g)
					}
				}
			}
			if r.IntN(2) == 0 {
				// Reopen: the engine recovers what the keyspace wrote.
				m := eng.Metrics()
				flushes += m.Flush.Count
				compactions += m.Compact.Count
				if err := eng.Close(); err != nil {
					t.Fatal(err)
				}
				if eng, err = lsm.Open(dir, opts()); err != nil {
					t.Fatal(err)
				}
				if ondisk, err = codec.Open(engineStore{eng}, &codec.Options{Now: clock}); err != nil {
					t.Fatal(err)
				}
			} else if err := eng.Compact(nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := eng.Metrics()
	flushes += m.Flush.Count
	compactions += m.Compact.Count
	// Tables come from flushes, counted by the engine that ran them, or
	// from recovery at a reopen, which no engine's metrics count: in the
	// -short run of the jemalloc build (arenas a little larger) the
	// memtable may never fill between reopens. Compactions need tables.
	if compactions == 0 {
		t.Fatalf("no compaction ran: %d flushes, %d compactions", flushes, compactions)
	}
}

// dumpKey renders a key's type, TTL and contents in a canonical form.
func dumpKey(db *codec.DB, k []byte) string {
	typ, err := db.Type(k)
	if err != nil {
		return "TYPE " + err.Error()
	}
	ttl, _ := db.PTTL(k)
	out := fmt.Sprintf("%s ttl=%d ", typ, ttl)
	switch typ {
	case "string":
		v, _, err := db.Get(k)
		out += fmt.Sprintf("%q %v", v, err)
	case "hash":
		fs, vs, err := db.HGetAll(k)
		n, _ := db.HLen(k)
		out += fmt.Sprintf("%q %q len=%d %v", fs, vs, n, err)
	case "list":
		vs, err := db.LRange(k, 0, -1)
		n, _ := db.LLen(k)
		out += fmt.Sprintf("%q len=%d %v", vs, n, err)
	case "zset":
		ms, sc, err := db.ZRange(k, codec.ZRangeSpec{Start: 0, Stop: -1})
		n, _ := db.ZCard(k)
		out += fmt.Sprintf("%q %v card=%d %v", ms, sc, n, err)
	case "set":
		vs, err := db.SMembers(k)
		slices.SortFunc(vs, func(a, b []byte) int { return bytesCompare(a, b) })
		n, _ := db.SCard(k)
		out += fmt.Sprintf("%q card=%d %v", vs, n, err)
	}
	return out
}

func bytesCompare(a, b []byte) int {
	switch {
	case string(a) < string(b):
		return -1
	case string(a) > string(b):
		return 1
	}
	return 0
}
