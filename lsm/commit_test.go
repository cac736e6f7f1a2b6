package lsm

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
)

// TestGroupCommitSharesSyncs holds the WAL sync of one commit under
// WALSyncAlways while other writers commit: they must all share the next
// group's single write and sync, not sync once each.
func TestGroupCommitSharesSyncs(t *testing.T) {
	var armed atomic.Bool
	entered := make(chan struct{}, 1)
	gate := make(chan struct{})
	hold := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		if op == errorfs.OpSync && strings.HasSuffix(path, ".log") && armed.CompareAndSwap(true, false) {
			entered <- struct{}{}
			<-gate
		}
		return nil
	})
	d := openMem(t, errorfs.Wrap(vfs.NewMem(), hold), &Options{WALMode: WALSyncAlways})
	defer d.Close()
	before := d.Metrics().WAL

	armed.Store(true)
	first := make(chan error, 1)
	go func() { first <- d.Set([]byte("first"), []byte("v"), nil) }()
	<-entered // the first commit's group is being synced
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.Set(fmt.Appendf(nil, "k%02d", i), []byte("v"), nil)
		}()
	}
	// No sleep: spin until every writer has appended its batch to the WAL.
	for d.Metrics().WAL.Records-before.Records < writers+1 {
		runtime.Gosched()
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := d.Metrics().WAL
	if w, s := after.Writes-before.Writes, after.Syncs-before.Syncs; w != 2 || s != 2 {
		t.Fatalf("%d commits made %d WAL writes and %d syncs, want 2 of each (one lone group, one shared)", writers+1, w, s)
	}
	for i := range writers {
		if _, err := d.Get(fmt.Appendf(nil, "k%02d", i)); err != nil {
			t.Fatalf("k%02d: %v", i, err)
		}
	}
}
