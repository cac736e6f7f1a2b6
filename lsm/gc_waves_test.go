package lsm

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// TestWindowedWavesSpace replays, at the engine level and at a 1/64 scale,
// the workload of `make bench-gc` (issue 5): waves of keys that each own a
// 4 KiB value under a per-key prefix (Strata's metadata record, data key
// under a uuid, and expiry-index entry), a window of waves alive at once,
// and each expiring wave deleted key by key, in random key order, with one
// range deletion per key plus two point deletions, while the next wave is
// written. After each wave, once background work is done, the bytes in
// tables must stay within 1.2x of the live bytes, and the bytes written by
// flushes and compactions within 3.5x of the bytes flushed: the expired
// waves are reclaimed mostly by delete-only compactions, not by rewriting
// live data. It measures bytes, not time (the figures move a little with
// the timing of background compactions between waits).
func TestWindowedWavesSpace(t *testing.T) {
	const (
		window = 3
		member = 4096
	)
	perWave, waves := 2000, 12
	if testing.Short() || raceEnabled {
		perWave, waves = 1000, 8 // same shape, a third of the bytes
	}
	o := &Options{FS: vfs.NewMem(), MemTableSize: 1 << 20, TargetFileSize: 512 << 10, LBaseMaxBytes: 1 << 20,
		SplitOutput: func(prev, key []byte) bool { return prev[0] != key[0] }}
	d := openMem(t, o.FS, o)
	defer d.Close()
	rng := rand.New(rand.NewPCG(5, 5))
	meta := func(w, i int) []byte { return fmt.Appendf(nil, "m|w%d:%d", w, i) }
	uuid := func(w, i int) uint64 { return uint64(w*perWave + i + 1) }
	data := func(u uint64) []byte { return binary.BigEndian.AppendUint64([]byte("d|"), u) }
	xkey := func(w, i int) []byte { return fmt.Appendf(nil, "x|%04d|w%d:%d", w, w, i) }
	val := make([]byte, member)
	live := int64(0)
	var worst float64
	for w := 0; w < waves; w++ {
		dead := w - window
		if dead >= 0 {
			// The wave that expires now is deleted key by key, in random
			// order (the expiry index orders keys by name, not by uuid),
			// just before the next wave is written.
			for _, i := range rng.Perm(perWave) {
				u := uuid(dead, i)
				b := d.NewBatch()
				b.DeleteRange(data(u), data(u+1))
				b.Delete(meta(dead, i))
				b.Delete(xkey(dead, i))
				if err := d.Apply(b, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		for j := 0; j < perWave; j++ {
			// A set of the new wave: metadata, data, expiry index.
			b := d.NewBatch()
			for k := range val {
				val[k] = byte(rng.Uint32())
			}
			u := uuid(w, j)
			b.Set(meta(w, j), binary.BigEndian.AppendUint64(nil, u))
			b.Set(append(data(u), "|member"...), val)
			b.Set(xkey(w, j), nil)
			if err := d.Apply(b, nil); err != nil {
				t.Fatal(err)
			}
		}
		live += int64(perWave * member)
		if dead >= 0 {
			live -= int64(perWave * member)
		}
		if err := d.waitIdle(); err != nil {
			t.Fatal(err)
		}
		m := d.Metrics()
		var tables int64
		for _, l := range m.Levels {
			tables += int64(l.Size)
		}
		ratio := float64(tables) / float64(live)
		t.Logf("wave %2d: tables %6.1f MiB, live %6.1f MiB, ratio %.2f, compactions %d (%d delete-only, %d moves), read %.1f MiB, written %.1f MiB",
			w, float64(tables)/(1<<20), float64(live)/(1<<20), ratio, m.Compact.Count, m.Compact.DeleteOnly, m.Compact.Moves,
			float64(m.Compact.BytesRead)/(1<<20), float64(m.Compact.BytesWritten)/(1<<20))
		if w >= window+1 {
			worst = max(worst, ratio)
		}
	}
	rs := d.loadReadState()
	for level, files := range rs.version.levels {
		for _, f := range files {
			if level > 0 && f.Smallest.UserKey[0] != f.Largest.UserKey[0] {
				t.Errorf("L%d table %s spans two families despite SplitOutput", level, f)
			}
		}
	}
	rs.unref()
	m := d.Metrics()
	wa := float64(m.Compact.BytesWritten+m.Flush.Bytes) / float64(m.Flush.Bytes)
	t.Logf("write amplification %.2f, steady-state worst ratio %.2f", wa, worst)
	if worst > 1.2 {
		t.Errorf("tables reached %.2fx the live bytes at steady state, want <= 1.2x:\n%s", worst, m)
	}
	// Each wave's data is written once by its flush and once more when
	// L0 merges into the base level; it then moves down without rewrites
	// and is dropped by delete-only compactions. Tables that mixed
	// tombstones, new keys and metadata were merged again at every level
	// (write amplification 6-9 before outputs were cut at family
	// boundaries and gaps).
	if wa > 3.5 {
		t.Errorf("write amplification %.2f, want <= 3.5:\n%s", wa, m)
	}
}

// TestGapCutsBounded: sparse updates spread over the whole keyspace leave
// a gap of whole bottom tables between every two keys; a compaction of
// them must not cut a table at each gap (tiny tables by the dozen), only a
// bounded number of times.
func TestGapCutsBounded(t *testing.T) {
	o := quietOptions(nil)
	o.TargetFileSize = 64 << 10
	d := openMem(t, vfs.NewMem(), o)
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	val := make([]byte, 1024)
	for i := range 4000 {
		for j := range val {
			val[j] = byte(rng.Uint32()) // incompressible: tables of 64 KiB
		}
		d.Set(fmt.Appendf(nil, "key%05d", i), val, nil)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4000; i += 100 { // 40 keys, 100 KiB of bottom tables apart
		d.Set(fmt.Appendf(nil, "key%05d", i), []byte("new"), nil)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	d.mu.compact.manual = true
	err := d.compactLevelLocked(0, nil, nil)
	d.mu.compact.manual = false
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	rs := d.loadReadState()
	defer rs.unref()
	if n := len(rs.version.levels[1]); n < 2 || n > 5 {
		t.Fatalf("40 sparse keys compacted into %d tables in L1, want 2 to 5 (4 gap cuts at most)", n)
	}
}
