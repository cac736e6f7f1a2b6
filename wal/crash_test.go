package wal

import (
	"encoding/binary"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// vfs.File is what the engine hands to NewWriter and NewReader.
var _ File = vfs.File(nil)

// TestCrashKeepsAcknowledged runs synced appenders on the in-memory FS and
// takes crash clones while they run: every record acknowledged before a
// clone must be read back from it, and the clone's log must end cleanly
// (a torn tail, never corruption).
func TestCrashKeepsAcknowledged(t *testing.T) {
	const goroutines, perG, clones = 8, 300, 25
	fs := vfs.NewMem()
	f, err := fs.Create("000005.log")
	if err != nil {
		t.Fatal(err)
	}
	// Make the new file's directory entry durable, as the engine does.
	dir, err := fs.OpenDir("/")
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Sync(); err != nil {
		t.Fatal(err)
	}
	dir.Close()
	w := NewWriter(f, 5, WriterOptions{SyncPolicy: SyncNo})
	var acked [goroutines]atomic.Int64
	var all sync.WaitGroup
	for g := range goroutines {
		all.Add(1)
		go func() {
			defer all.Done()
			for i := range perG {
				p := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(g)), uint32(i))
				p = append(p, make([]byte, i*37%2000)...) // some records span blocks
				if err := w.Write(p, i%3 == 0); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 { // only synced records must survive
					acked[g].Store(int64(i + 1))
				}
			}
		}()
	}
	check := func(seed int) {
		var before [goroutines]int64
		for g := range before {
			before[g] = acked[g].Load()
		}
		crashed := fs.CrashClone(vfs.CrashCloneOptions{Seed: int64(seed), UnsyncedDataPercent: 50})
		cf, err := crashed.Open("000005.log")
		if err != nil {
			t.Fatal(err)
		}
		defer cf.Close()
		r := NewReader(cf, 5)
		var next [goroutines]int64
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("clone %d: %v", seed, err)
			}
			g, i := binary.BigEndian.Uint32(rec), int64(binary.BigEndian.Uint32(rec[4:]))
			if i != next[g] {
				t.Fatalf("clone %d: goroutine %d record %d where %d expected", seed, g, i, next[g])
			}
			next[g]++
		}
		for g := range before {
			if next[g] < before[g] {
				t.Fatalf("clone %d: goroutine %d: %d records survived, %d were acknowledged as synced", seed, g, next[g], before[g])
			}
		}
	}
	for seed := range clones {
		check(seed)
	}
	all.Wait()
	check(clones)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
