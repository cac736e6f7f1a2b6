package server

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// TestKeyCountsOnEngine: the key counts on the engine survive compactions,
// in which the compaction filter drops expired strings (they count until
// the expiry cycle deletes them, as in Redis), and reopens, where they are
// counted afresh; FLUSHDB's stale index entries never count.
func TestKeyCountsOnEngine(t *testing.T) {
	var nowMs atomic.Int64
	nowMs.Store(1_800_000_000_000)
	clock := func() time.Time { return time.UnixMilli(nowMs.Load()) }
	dir := t.TempDir()
	var eng *lsm.DB
	var ks *codec.Keyspace
	open := func() {
		t.Helper()
		var err error
		eng, err = lsm.Open(dir, &lsm.Options{
			MemTableSize:   64 << 10,
			TargetFileSize: 64 << 10,
			WALMode:        lsm.WALSyncNo,
			CompactionFilter: func(key, value []byte) bool {
				return codec.CompactionDrop(key, value, nowMs.Load())
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if ks, err = codec.Open(engineStore{eng}, &codec.Options{Now: clock}); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func() {
		t.Helper()
		if err := eng.Close(); err != nil {
			t.Fatal(err)
		}
		open()
	}
	open()
	defer func() { eng.Close() }()
	now := nowMs.Load()
	db0, db1 := ks.DB(0), ks.DB(1)
	set := func(db *codec.DB, k string, at int64) {
		t.Helper()
		if _, err := db.Set([]byte(k), []byte("v"), codec.SetOptions{ExpireAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		set(db0, fmt.Sprintf("forever:%d", i), 0)
	}
	for i := range 200 {
		set(db0, fmt.Sprintf("short:%d", i), now+1000)
	}
	for i := range 100 {
		set(db0, fmt.Sprintf("long:%d", i), now+3_600_000)
	}
	for i := range 20 {
		k := []byte(fmt.Sprintf("hash:%d", i))
		if _, err := db0.HSet(k, [][]byte{[]byte("f"), []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if ok, err := db0.Expire(k, now+1000, 0); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	for i := range 50 {
		set(db1, fmt.Sprintf("flushed:%d", i), now+1000)
	}
	if err := db1.FlushDB(); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		set(db1, fmt.Sprintf("after:%d", i), 0)
	}
	check := func(when string, keys0, expires0, keys1 int64) {
		t.Helper()
		if st := db0.Stats(); st.Keys != keys0 || st.Expires != expires0 {
			t.Fatalf("%s: db0 %+v, want keys=%d expires=%d", when, st, keys0, expires0)
		}
		if st := db1.Stats(); st.Keys != keys1 || st.Expires != 0 {
			t.Fatalf("%s: db1 %+v, want keys=%d expires=0", when, st, keys1)
		}
	}
	check("written", 620, 320, 10)
	reopen()
	db0, db1 = ks.DB(0), ks.DB(1)
	check("reopened", 620, 320, 10)

	// The short keys expire; a compaction drops the strings among them.
	nowMs.Add(2000)
	dropped := eng.Metrics().Compact.FilterDropped
	if err := eng.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := eng.Metrics().Compact.FilterDropped - dropped; n < 200 {
		t.Fatalf("the compaction filter dropped %d entries, want at least the 200 expired strings", n)
	}
	check("compacted", 620, 320, 10)
	avg := db0.Stats().AvgTTL
	reopen()
	db0, db1 = ks.DB(0), ks.DB(1)
	check("compacted and reopened", 620, 320, 10)
	if a := db0.Stats().AvgTTL; a != avg {
		t.Fatalf("avg_ttl %d after reopening, %d before", a, avg)
	}

	// The cycle retires the expired keys, dropped or not, and the flushed
	// database's stale entries.
	for {
		_, examined, err := ks.ExpireRound(clock(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if examined < 100 {
			break
		}
	}
	check("expired", 400, 100, 10)
	reopen()
	db0, db1 = ks.DB(0), ks.DB(1)
	check("expired and reopened", 400, 100, 10)
}
