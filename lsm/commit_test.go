package lsm

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestNoWaitCommit: a NoWait commit is visible at once but leaves its WAL
// record unwritten; WaitLogged writes every pending record with one write
// call, and a process crash after it loses nothing.
func TestNoWaitCommit(t *testing.T) {
	for _, mode := range []WALMode{WALSyncEverySec, WALSyncNo} {
		t.Run(mode.String(), func(t *testing.T) {
			var logWrites atomic.Int64
			count := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
				if op == errorfs.OpWrite && strings.HasSuffix(path, ".log") {
					logWrites.Add(1)
				}
				return nil
			})
			mem := vfs.NewMem()
			// The ticker (an hour) must not write during the test.
			o := &Options{WALMode: mode, WALSyncInterval: time.Hour}
			d := openMem(t, errorfs.Wrap(mem, count), o)
			const n = 16
			for i := range n {
				if err := d.Set(fmt.Appendf(nil, "k%02d", i), []byte("v"), NoWait); err != nil {
					t.Fatal(err)
				}
				if _, err := d.Get(fmt.Appendf(nil, "k%02d", i)); err != nil {
					t.Fatalf("NoWait commit not visible: %v", err)
				}
			}
			if got := logWrites.Load(); got != 0 {
				t.Fatalf("%d WAL writes before WaitLogged, want 0", got)
			}
			var lw LogWaiter
			if err := d.WaitLogged(&lw); err != nil {
				t.Fatal(err)
			}
			if got := logWrites.Load(); got != 1 {
				t.Fatalf("%d WAL writes for %d NoWait commits, want 1", got, n)
			}
			if err := d.WaitLogged(&lw); err != nil || logWrites.Load() != 1 {
				t.Fatalf("idle WaitLogged: %v, %d writes", err, logWrites.Load())
			}
			// A process crash: the files as written, without Close.
			crashed := mem.CrashClone(vfs.CrashCloneOptions{UnsyncedDataPercent: 100})
			d.Close()
			d2 := openMem(t, crashed, &Options{})
			defer d2.Close()
			for i := range n {
				if _, err := d2.Get(fmt.Appendf(nil, "k%02d", i)); err != nil {
					t.Fatalf("k%02d lost after WaitLogged and a crash: %v", i, err)
				}
			}
		})
	}
}

// TestNoWaitSyncAlways: under WALSyncAlways (and with Sync) NoWait is
// ignored: the commit is synced before it returns.
func TestNoWaitSyncAlways(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{WALMode: WALSyncAlways})
	defer d.Close()
	for i := range 4 {
		before := d.Metrics().WAL.Syncs
		if err := d.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), NoWait); err != nil {
			t.Fatal(err)
		}
		if got := d.Metrics().WAL.Syncs - before; got != 1 {
			t.Fatalf("NoWait commit under always made %d syncs, want 1", got)
		}
	}
	d2 := openMem(t, vfs.NewMem(), &Options{WALMode: WALSyncNo})
	defer d2.Close()
	before := d2.Metrics().WAL.Syncs
	if err := d2.Set([]byte("k"), []byte("v"), &WriteOptions{Sync: true, NoWait: true}); err != nil {
		t.Fatal(err)
	}
	if got := d2.Metrics().WAL.Syncs - before; got != 1 {
		t.Fatalf("Sync+NoWait commit made %d syncs, want 1", got)
	}
}

// TestNoWaitWALError: a failed write of NoWait records reaches WaitLogged,
// and the DB turns read-only.
func TestNoWaitWALError(t *testing.T) {
	var armed atomic.Bool
	errInjected := fmt.Errorf("injected")
	fail := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		if armed.Load() && op == errorfs.OpWrite && strings.HasSuffix(path, ".log") {
			return errInjected
		}
		return nil
	})
	d := openMem(t, errorfs.Wrap(vfs.NewMem(), fail), &Options{WALMode: WALSyncEverySec, WALSyncInterval: time.Hour})
	defer d.Close()
	armed.Store(true)
	if err := d.Set([]byte("k"), []byte("v"), NoWait); err != nil {
		t.Fatalf("NoWait commit failed before any write: %v", err)
	}
	var lw LogWaiter
	if err := d.WaitLogged(&lw); !errors.Is(err, errInjected) {
		t.Fatalf("WaitLogged returned %v, want the injected error", err)
	}
	if err := d.WaitLogged(&lw); !errors.Is(err, errInjected) {
		t.Fatalf("second WaitLogged returned %v", err)
	}
	// The writer's error is sticky: the next commit fails at once.
	if err := d.Set([]byte("k2"), []byte("v"), NoWait); !errors.Is(err, errInjected) {
		t.Fatalf("commit after the WAL failed returned %v", err)
	}
}

// TestBackgroundBehind: an idle DB is not behind; L0 at its compaction
// threshold is; once compacted, it is not again.
func TestBackgroundBehind(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	d := openMem(t, o.FS, o)
	defer d.Close()
	if d.BackgroundBehind() {
		t.Fatal("an empty DB is behind")
	}
	for i := range 3 {
		if err := d.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), nil); err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if d.BackgroundBehind() {
		t.Fatal("3 L0 tables under a threshold of 1000: behind")
	}
	d.mu.Lock()
	d.opts.L0CompactionThreshold = 3
	d.mu.Unlock()
	if !d.BackgroundBehind() {
		t.Fatal("3 L0 tables at a threshold of 3: not behind")
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if d.BackgroundBehind() {
		t.Fatal("after a full compaction: behind")
	}
}
