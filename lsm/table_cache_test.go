package lsm

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// TestTableCacheBound keeps far more tables than MaxOpenFiles and reads
// them all, with iterators open across evictions.
func TestTableCacheBound(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MaxOpenFiles = 16
	d := openMem(t, o.FS, o)
	defer d.Close()
	for tbl := 0; tbl < 60; tbl++ {
		for i := 0; i < 5; i++ {
			d.Set(fmt.Appendf(nil, "t%02d/%d", tbl, i), fmt.Appendf(nil, "v%d", tbl), nil)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// An iterator opened now pins readers that later lookups evict.
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for tbl := 0; tbl < 60; tbl++ {
		if got := mustGet(t, d, fmt.Sprintf("t%02d/3", tbl)); got != fmt.Sprintf("v%d", tbl) {
			t.Fatalf("t%02d/3 = %q", tbl, got)
		}
		if n := d.Metrics().TableCache.Open; n > 16 {
			t.Fatalf("%d tables open, limit 16", n)
		}
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil || n != 300 {
		t.Fatalf("iterator over evicted readers: %d keys, %v", n, err)
	}
}

// TestTableCacheFileEntry checks the lock-free path of acquire: a file
// remembers its open entry while the entry is in the cache and forgets it
// once evicted, so metadata never keeps a closed reader alive.
func TestTableCacheFileEntry(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	o.MaxOpenFiles = 16
	d := openMem(t, o.FS, o)
	defer d.Close()
	for tbl := 0; tbl < 50; tbl++ {
		d.Set(fmt.Appendf(nil, "t%02d", tbl), fmt.Appendf(nil, "v%d", tbl), nil)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 3; round++ {
		for tbl := 0; tbl < 50; tbl++ {
			if got := mustGet(t, d, fmt.Sprintf("t%02d", tbl)); got != fmt.Sprintf("v%d", tbl) {
				t.Fatalf("t%02d = %q", tbl, got)
			}
		}
	}
	rs := d.loadReadState()
	defer rs.unref()
	remembered := 0
	for _, files := range rs.version.levels {
		for _, f := range files {
			e := f.cached.Load()
			if e == nil {
				continue
			}
			remembered++
			d.tableCache.mu.RLock()
			inMap := d.tableCache.m[f.FileNum] == e
			d.tableCache.mu.RUnlock()
			if e.removed.Load() || !inMap {
				t.Fatalf("%s remembers an entry no longer cached", f.FileNum)
			}
		}
	}
	if remembered == 0 || remembered > 16 {
		t.Fatalf("%d files remember an entry, want 1 to 16", remembered)
	}
}
