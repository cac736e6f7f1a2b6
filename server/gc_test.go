package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// gcType creates, and checks, keys of one complex type for the GC tests.
// Each type's test file adds itself in an init function.
type gcType struct {
	name string
	// create makes key hold n elements derived from i.
	create func(db *codec.DB, key []byte, i, n int) error
	// check verifies key still holds what create(i, n) made.
	check func(db *codec.DB, key []byte, i, n int) error
}

var gcTypes = []gcType{{
	name: "set",
	create: func(db *codec.DB, key []byte, i, n int) error {
		return gcFill("set", db, key, i*1000, n)
	},
	check: func(db *codec.DB, key []byte, i, n int) error {
		ms, err := db.SMembers(key)
		if err != nil || len(ms) != n || string(ms[0]) != fmt.Sprintf("m%08d", i*1000) {
			return fmt.Errorf("SMEMBERS %s: %q %v", key, ms, err)
		}
		return nil
	},
}, {
	name: "list",
	create: func(db *codec.DB, key []byte, i, n int) error {
		return gcFill("list", db, key, i*1000, n)
	},
	check: func(db *codec.DB, key []byte, i, n int) error {
		es, err := db.LRange(key, 0, -1)
		if err != nil || len(es) != n || string(es[n-1]) != fmt.Sprintf("m%08d", i*1000+n-1) {
			return fmt.Errorf("LRANGE %s: %q %v", key, es, err)
		}
		return nil
	},
}, {
	name: "zset",
	create: func(db *codec.DB, key []byte, i, n int) error {
		return gcFill("zset", db, key, i*1000, n)
	},
	check: func(db *codec.DB, key []byte, i, n int) error {
		s, ok, err := db.ZScore(key, fmt.Appendf(nil, "m%08d", i*1000))
		c, _ := db.ZCard(key)
		if err != nil || !ok || s != float64(i*1000) || c != int64(n) {
			return fmt.Errorf("ZSCORE %s: %v %v %v card %d", key, s, ok, err, c)
		}
		return nil
	},
}, {
	name: "hash",
	create: func(db *codec.DB, key []byte, i, n int) error {
		var pairs [][]byte
		for j := range n {
			pairs = append(pairs, fmt.Appendf(nil, "f%d", j), fmt.Appendf(nil, "v%d-%d", i, j))
		}
		_, err := db.HSet(key, pairs)
		return err
	},
	check: func(db *codec.DB, key []byte, i, n int) error {
		fs, vs, err := db.HGetAll(key)
		if err != nil || len(fs) != n {
			return fmt.Errorf("HGETALL %s: %d fields, %v", key, len(fs), err)
		}
		for j := range fs {
			var fj int
			fmt.Sscanf(string(fs[j]), "f%d", &fj)
			if string(vs[j]) != fmt.Sprintf("v%d-%d", i, fj) {
				return fmt.Errorf("HGETALL %s: %s=%s", key, fs[j], vs[j])
			}
		}
		return nil
	},
}}

// gcEngine is an engine with small memtables and files, so data spreads
// over many tables and levels, and a keyspace on it with a test clock.
type gcEngine struct {
	db    *lsm.DB
	ks    *codec.Keyspace
	nowMs atomic.Int64
}

func openGCEngine(t *testing.T, store func(codec.Store) codec.Store) *gcEngine {
	t.Helper()
	e := &gcEngine{}
	e.nowMs.Store(time.Now().UnixMilli())
	db, err := lsm.Open(t.TempDir(), &lsm.Options{
		MemTableSize:   256 << 10,
		TargetFileSize: 256 << 10,
		WALMode:        lsm.WALDisabled,
		CompactionFilter: func(key, value []byte) bool {
			return codec.CompactionDrop(key, value, e.nowMs.Load())
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	var s codec.Store = engineStore{db}
	if store != nil {
		s = store(s)
	}
	e.ks = codec.New(s, &codec.Options{Now: func() time.Time { return time.UnixMilli(e.nowMs.Load()) }})
	return e
}

// TestGCReclaimsDeadKeys: 20,000 complex keys are deleted or expire; after a
// compaction the engine physically holds no entry of any of them (counted
// with ScanInternal, which sees what tombstones hide), while live keys of
// every type are intact.
func TestGCReclaimsDeadKeys(t *testing.T) {
	doomed, live := 20000, 2000
	if raceEnabled || testing.Short() {
		doomed, live = 4000, 400
	}
	e := openGCEngine(t, nil)
	db := e.ks.DB(0)
	key := func(kind string, i int) []byte { return fmt.Appendf(nil, "%s:%d", kind, i) }
	liveUUIDs := map[uint64]bool{}
	for i := range doomed + live {
		ty := gcTypes[i%len(gcTypes)]
		kind := "dead"
		if i >= doomed {
			kind = "live"
		}
		if err := ty.create(db, key(kind, i), i, 1+i%7); err != nil {
			t.Fatal(err)
		}
	}
	// Half of the doomed keys are deleted, half expire.
	for i := range doomed {
		k := key("dead", i)
		if i%2 == 0 {
			if n, err := db.Del(k); n != 1 || err != nil {
				t.Fatalf("DEL %s: %d %v", k, n, err)
			}
		} else if ok, err := db.Expire(k, e.nowMs.Load()+1000, 0); !ok || err != nil {
			t.Fatalf("EXPIRE %s: %v %v", k, ok, err)
		}
	}
	e.nowMs.Add(2000)
	for {
		n, err := e.ks.ExpireCycle(time.UnixMilli(e.nowMs.Load()), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for i := doomed; i < doomed+live; i++ {
		m, ok, err := db.Metadata(key("live", i))
		if err != nil || !ok {
			t.Fatalf("live key %d: %v %v", i, ok, err)
		}
		liveUUIDs[m.UUID] = true
	}
	if err := e.db.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	var deadData, deadMeta, liveData int
	err := e.db.ScanInternal(nil, nil, func(k []byte, seq uint64, kind lsm.EntryKind, v []byte) error {
		switch {
		case k[0] == codec.FamilyData:
			if liveUUIDs[binary.BigEndian.Uint64(k[2:10])] {
				liveData++
			} else {
				deadData++
			}
		case k[0] == codec.FamilyMeta && bytes.HasPrefix(k[2:], []byte("dead:")):
			deadMeta++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if deadData != 0 || deadMeta != 0 {
		t.Fatalf("after compaction the engine still holds %d data and %d metadata entries of dead keys", deadData, deadMeta)
	}
	if liveData == 0 {
		t.Fatal("no live data found: the scan is not counting")
	}
	for i := doomed; i < doomed+live; i++ {
		if err := gcTypes[i%len(gcTypes)].check(db, key("live", i), i, 1+i%7); err != nil {
			t.Fatal(err)
		}
	}
	m := e.db.Metrics()
	if m.Compact.RangeDelDropped == 0 {
		t.Fatal("compactions dropped nothing by range deletion")
	}
	t.Logf("reclaimed %d entries (%d bytes), %d tables without reading them",
		m.Compact.RangeDelDropped, m.Compact.RangeDelDroppedBytes, m.Compact.TablesDeletedWithoutRead)
}

// countingStore counts the work a command asks of the engine: reads, and
// the operations and bytes of the batches it commits.
type countingStore struct {
	codec.Store
	reads, ops, bytes atomic.Int64
}

type countingBatch struct {
	codec.Batch
	s *countingStore
}

func (s *countingStore) Get(k []byte) ([]byte, error) {
	s.reads.Add(1)
	return s.Store.Get(k)
}

func (s *countingStore) NewIter(lower, upper []byte) (codec.Iterator, error) {
	s.reads.Add(1)
	return s.Store.NewIter(lower, upper)
}

func (s *countingStore) NewBatch() codec.Batch { return &countingBatch{s.Store.NewBatch(), s} }

func (s *countingStore) Commit(b codec.Batch) error { return s.Store.Commit(b.(*countingBatch).Batch) }

func (b *countingBatch) Set(k, v []byte) {
	b.s.ops.Add(1)
	b.s.bytes.Add(int64(len(k) + len(v)))
	b.Batch.Set(k, v)
}

func (b *countingBatch) Delete(k []byte) {
	b.s.ops.Add(1)
	b.s.bytes.Add(int64(len(k)))
	b.Batch.Delete(k)
}

func (b *countingBatch) DeleteRange(s, e []byte) {
	b.s.ops.Add(1)
	b.s.bytes.Add(int64(len(s) + len(e)))
	b.Batch.DeleteRange(s, e)
}

// TestDeleteHugeKeyIsO1: DEL of a key with a million elements asks the
// engine for one read and a batch of a few small operations, the same as
// for a key of one element.
func TestDeleteHugeKeyIsO1(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 100_000
	}
	var cs *countingStore
	e := openGCEngine(t, func(s codec.Store) codec.Store { cs = &countingStore{Store: s}; return cs })
	db := e.ks.DB(0)
	for _, ty := range gcTypes {
		big, small := []byte(ty.name+":big"), []byte(ty.name+":small")
		const chunk = 10000
		for done := 0; done < n; done += chunk {
			if err := gcFill(ty.name, db, big, done, min(chunk, n-done)); err != nil {
				t.Fatal(err)
			}
		}
		if err := ty.create(db, small, 0, 1); err != nil {
			t.Fatal(err)
		}
		work := func(k []byte) (reads, ops, bytes int64) {
			r0, o0, b0 := cs.reads.Load(), cs.ops.Load(), cs.bytes.Load()
			if got, err := db.Del(k); got != 1 || err != nil {
				t.Fatalf("DEL %s: %d %v", k, got, err)
			}
			return cs.reads.Load() - r0, cs.ops.Load() - o0, cs.bytes.Load() - b0
		}
		br, bo, bb := work(big)
		sr, so, sb := work(small)
		if br != sr || bo != so || bb-sb > 8 || bo > 3 || br > 1 {
			t.Fatalf("%s: DEL of %d elements: %d reads, %d ops, %d bytes; of 1 element: %d, %d, %d",
				ty.name, n, br, bo, bb, sr, so, sb)
		}
	}
}

// gcFill adds count more elements, starting at from, to a key of the named
// type.
func gcFill(typ string, db *codec.DB, key []byte, from, count int) error {
	switch typ {
	case "hash":
		pairs := make([][]byte, 0, 2*count)
		for j := from; j < from+count; j++ {
			pairs = append(pairs, fmt.Appendf(nil, "field-%08d", j), []byte("v"))
		}
		_, err := db.HSet(key, pairs)
		return err
	}
	members := make([][]byte, 0, count)
	scores := make([]float64, 0, count)
	for j := from; j < from+count; j++ {
		members = append(members, fmt.Appendf(nil, "m%08d", j))
		scores = append(scores, float64(j))
	}
	var err error
	switch typ {
	case "set":
		_, err = db.SAdd(key, members)
		return err
	case "list":
		_, err = db.Push(key, members, false, false)
		return err
	case "zset":
		_, err = db.ZAdd(key, codec.ZAddOptions{}, scores, members)
		return err
	}
	return fmt.Errorf("gcFill: unknown type %s", typ)
}

// infoField returns one field of an INFO section as an integer.
func infoField(t *testing.T, c *rawConn, section, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(c.mustDo(t, "INFO", section).Str, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %s", name, line)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, name)
	return 0
}

// TestInfoShowsReclaimedSpace: after big complex keys are deleted and the
// data compacted, INFO stats reports the bytes and entries reclaimed.
func TestInfoShowsReclaimedSpace(t *testing.T) {
	ts := startServer(t, t.TempDir())
	c := dialRaw(t, ts.addr)
	if n := infoField(t, c, "stats", "gc_reclaimed_bytes"); n != 0 {
		t.Fatalf("gc_reclaimed_bytes %d on a new server", n)
	}
	val := strings.Repeat("x", 100)
	for k := range 10 {
		args := []string{"HSET", fmt.Sprintf("h%d", k)}
		for f := range 200 {
			args = append(args, fmt.Sprintf("f%d", f), val)
		}
		c.mustDo(t, args...)
	}
	c.mustDo(t, "FLUSHMEMTABLE") // the fields reach a table before their deletion
	for k := range 10 {
		c.mustDo(t, "DEL", fmt.Sprintf("h%d", k))
	}
	c.mustDo(t, "COMPACT")
	if n := infoField(t, c, "stats", "gc_dropped_entries"); n < 2000 {
		t.Fatalf("gc_dropped_entries %d, want the 2000 fields", n)
	}
	if n := infoField(t, c, "stats", "gc_reclaimed_bytes"); n < 2000*100 {
		t.Fatalf("gc_reclaimed_bytes %d, want at least the fields' values", n)
	}
	if n := infoField(t, c, "stats", "expired_keys_pending"); n != 0 {
		t.Fatalf("expired_keys_pending %d with no TTL set", n)
	}
}

// TestInfoWALSyncTime: INFO engine reports the syncs of the WAL and the
// time spent in them; under appendfsync always every write is synced.
func TestInfoWALSyncTime(t *testing.T) {
	ts := startServer(t, t.TempDir(), "--appendfsync", "always")
	c := dialRaw(t, ts.addr)
	syncs0, usec0 := infoField(t, c, "engine", "wal_syncs"), infoField(t, c, "engine", "wal_sync_usec")
	for i := range 20 {
		c.mustDo(t, "SET", fmt.Sprint("k", i), "v")
	}
	syncs, usec := infoField(t, c, "engine", "wal_syncs"), infoField(t, c, "engine", "wal_sync_usec")
	if syncs-syncs0 < 20 {
		t.Fatalf("wal_syncs rose by %d for 20 SETs under always", syncs-syncs0)
	}
	if usec <= usec0 {
		t.Fatalf("wal_sync_usec %d after %d more syncs (was %d)", usec, syncs-syncs0, usec0)
	}
}
