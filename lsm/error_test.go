package lsm

// Error injection through the FS seam: every file operation of a workload
// is failed in turn (errorfs.OnIndex), and disks fill up mid-run
// (errorfs.Toggle with ENOSPC). The engine must report the error, never
// panic, turn read-only after a background error while reads keep working,
// and leave a directory that reopens with every acknowledged write.

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
)

// errWorkload records what a workload attempted and what was acknowledged.
type errWorkload struct {
	pad       int
	attempted map[string]bool
	acked     map[string]bool
	// surfaced collects every error the DB returned.
	surfaced []error
}

func (w *errWorkload) fail(err error) { w.surfaced = append(w.surfaced, err) }

// run opens the DB on fs and runs: writes (enough to rotate the 64 KiB
// memtable and flush in the background), a Flush, point reads and a scan
// that reach the tables, more writes, Close. It stops at the first error,
// after checking that a background error makes the DB read-only while
// reads still work.
func (w *errWorkload) run(t *testing.T, fs vfs.FS) {
	pad := w.pad
	d, err := Open("db", &Options{FS: fs, WALMode: WALSyncAlways, MemTableSize: 64 << 10, BlockCacheSize: -1})
	if err != nil {
		w.fail(err)
		return
	}
	write := func(prefix string, n int) bool {
		for i := 0; i < n; i++ {
			bid := fmt.Sprintf("%s.%03d", prefix, i)
			w.attempted[bid] = true
			if err := d.Apply(faultBatch(d, bid, pad), Sync); err != nil {
				w.fail(err)
				return false
			}
			w.acked[bid] = true
		}
		return true
	}
	ok := write("a", 14)
	if ok {
		if err := d.Flush(); err != nil {
			w.fail(err)
			ok = false
		}
	}
	if ok {
		// Point reads and a scan over the flushed tables.
		for _, bid := range []string{"a.000", "a.007", "a.013"} {
			v, err := d.Get(faultKey(bid, 1))
			if err != nil {
				w.fail(err)
				ok = false
				break
			}
			if string(v) != string(faultValue(bid, 1, pad)) {
				t.Fatalf("Get %s: wrong value", bid)
			}
		}
	}
	if ok {
		it, err := d.NewIter(nil)
		if err != nil {
			w.fail(err)
			ok = false
		} else {
			n := 0
			for valid := it.First(); valid; valid = it.Next() {
				n++
			}
			if err := it.Close(); err != nil {
				w.fail(err)
				ok = false
			} else if n != len(w.acked)*faultKeysPerBatch {
				t.Fatalf("scan found %d keys, want %d", n, len(w.acked)*faultKeysPerBatch)
			}
		}
	}
	if ok {
		write("b", 12)
	}
	if bg := d.BackgroundError(); bg != nil {
		w.checkReadOnly(t, d, bg, pad)
	}
	if err := d.Close(); err != nil {
		w.fail(err)
	}
}

// checkReadOnly checks a DB with a background error: writes and flushes
// fail with ErrReadOnly and the cause, acknowledged writes stay readable.
func (w *errWorkload) checkReadOnly(t *testing.T, d *DB, bg error, pad int) {
	t.Helper()
	if !errors.Is(bg, ErrReadOnly) {
		t.Fatalf("background error %v is not ErrReadOnly", bg)
	}
	err := d.Set([]byte("k/never.000/0"), []byte("x"), Sync)
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write after the background error %v: got %v, want ErrReadOnly", bg, err)
	}
	w.fail(err)
	if err := d.Flush(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Flush after the background error: got %v, want ErrReadOnly", err)
	}
	for bid := range w.acked {
		for j := 0; j < faultKeysPerBatch; j++ {
			v, err := d.Get(faultKey(bid, j))
			if err != nil {
				t.Fatalf("Get of acknowledged %s/%d on the read-only DB: %v", bid, j, err)
			}
			if string(v) != string(faultValue(bid, j, pad)) {
				t.Fatalf("Get of acknowledged %s/%d on the read-only DB: wrong value", bid, j)
			}
		}
	}
}

// verifyAfterErrors reopens the DB on fs without injection and checks that
// every acknowledged batch is there and nothing else was invented.
func (w *errWorkload) verifyAfterErrors(t *testing.T, fs vfs.FS, what string) {
	t.Helper()
	d, err := Open("db", &Options{FS: fs, WALMode: WALSyncAlways, MemTableSize: 64 << 10})
	if err != nil {
		t.Fatalf("%s: reopen without injection: %v", what, err)
	}
	st := readFaultState(t, d, w.pad, func(bid string) bool { return w.attempted[bid] })
	requireBatches(t, st, w.acked, what)
	if err := d.Close(); err != nil {
		t.Fatalf("%s: close: %v", what, err)
	}
}

// silentOps are the operations whose failure the engine may absorb without
// reporting it: deleting and listing obsolete files is best effort (a file
// left behind is deleted at the next open), and closing a file that was
// only read loses nothing.
func silentOK(e *errorfs.Error) bool {
	switch e.Op {
	case errorfs.OpRemove, errorfs.OpList:
		return true
	case errorfs.OpClose:
		// Read-only handles: WAL replay, MANIFEST replay, CURRENT.
		return strings.HasSuffix(e.Path, ".log") || strings.Contains(e.Path, "MANIFEST") || strings.HasSuffix(e.Path, "CURRENT")
	}
	return false
}

func TestErrorInjection(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 2
	}
	const maxRuns = 3000
	for i := 0; ; i += step {
		if i >= maxRuns {
			t.Fatalf("the workload still hits operation %d: it never completes", i)
		}
		mem := vfs.NewMem()
		inj := errorfs.OnIndex(i)
		// Keep the stack of the failed operation for the failure message.
		var stack []byte
		hook := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
			err := inj.MaybeError(op, path)
			if err != nil {
				stack = debug.Stack()
			}
			return err
		})
		w := &errWorkload{pad: 1500, attempted: map[string]bool{}, acked: map[string]bool{}}
		w.run(t, errorfs.Wrap(mem, hook))
		injected := inj.Injected()
		if injected == nil {
			if len(w.surfaced) > 0 {
				t.Fatalf("run %d: error without injection: %v", i, w.surfaced[0])
			}
			if len(w.acked) != 26 {
				t.Fatalf("run %d: %d batches acknowledged, want 26", i, len(w.acked))
			}
			t.Logf("%d runs; the workload makes %d file operations", i/step+1, inj.Count())
			return
		}
		what := fmt.Sprintf("run %d (%s)", i, injected)
		surfaced := false
		for _, err := range w.surfaced {
			if errors.Is(err, errorfs.ErrInjected) {
				surfaced = true
			}
		}
		if !surfaced && !silentOK(injected) {
			t.Fatalf("%s: the injected error was never reported (errors: %v)\n%s", what, w.surfaced, stack)
		}
		// Synced data only, as after a power loss, then the filesystem as
		// the process left it.
		w.verifyAfterErrors(t, mem.CrashClone(vfs.CrashCloneOptions{Seed: int64(i), UnsyncedDataPercent: 0}), what+", then crash")
		w.verifyAfterErrors(t, mem, what)
	}
}

// TestErrorDiskFull fills the disk mid-run: ENOSPC on every write and sync
// (of the WAL, or only of tables so that a flush fails), while writers keep
// going. The DB must turn read-only with the cause in its error, keep
// serving reads, and reopen with everything acknowledged once space is
// back.
func TestErrorDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter errorfs.Filter
		// flush: the full disk is met by flushes (every 50 writes).
		flush bool
	}{
		{"wal", errorfs.Ops(errorfs.OpWrite, errorfs.OpSync), false},
		{"tables", func(op errorfs.Op, path string) bool {
			return (op == errorfs.OpWrite || op == errorfs.OpSync) && strings.HasSuffix(path, ".sst")
		}, true},
		// The version edit of a flush cannot be appended to the MANIFEST.
		{"manifest", func(op errorfs.Op, path string) bool {
			return (op == errorfs.OpWrite || op == errorfs.OpSync) && strings.Contains(path, "MANIFEST")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const pad = 300
			mem := vfs.NewMem()
			full := errorfs.NewToggle(syscall.ENOSPC, tc.filter)
			d, err := Open("db", &Options{FS: errorfs.Wrap(mem, full), WALMode: WALSyncAlways, MemTableSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			w := &errWorkload{pad: pad, attempted: map[string]bool{}, acked: map[string]bool{}}
			apply := func(bid string) error {
				w.attempted[bid] = true
				err := d.Apply(faultBatch(d, bid, pad), Sync)
				if err == nil {
					w.acked[bid] = true
				}
				return err
			}
			// Several memtables' worth, some flushed.
			for i := 0; i < 150; i++ {
				if err := apply(fmt.Sprintf("a.%04d", i)); err != nil {
					t.Fatal(err)
				}
			}
			full.On()
			var first error
			for i := 0; i < 2000 && first == nil; i++ {
				if err := apply(fmt.Sprintf("b.%04d", i)); err != nil {
					first = err
				}
				if tc.flush && i%50 == 49 {
					if err := d.Flush(); err != nil {
						first = err
					}
				}
			}
			if first == nil {
				t.Fatal("no write or flush failed with the disk full")
			}
			if !errors.Is(first, syscall.ENOSPC) {
				t.Fatalf("first error %v does not carry ENOSPC", first)
			}
			bg := d.BackgroundError()
			if bg == nil {
				t.Fatalf("no background error after %v", first)
			}
			if !errors.Is(bg, syscall.ENOSPC) || !strings.Contains(bg.Error(), syscall.ENOSPC.Error()) {
				t.Fatalf("background error %q does not name the cause", bg)
			}
			w.checkReadOnly(t, d, bg, pad)
			st := readFaultState(t, d, pad, func(bid string) bool { return w.attempted[bid] })
			requireBatches(t, st, w.acked, "reads while read-only")
			// Space comes back: the error stays.
			full.Off()
			if err := d.Set([]byte("k/never.000/0"), []byte("x"), Sync); !errors.Is(err, ErrReadOnly) {
				t.Fatalf("write after space came back: got %v, want the sticky ErrReadOnly", err)
			}
			_ = d.Close() // an error is fine
			w.verifyAfterErrors(t, mem.CrashClone(vfs.CrashCloneOptions{Seed: 3, UnsyncedDataPercent: 0}), "crash after disk full")
			w.verifyAfterErrors(t, mem, "reopen after disk full")
		})
	}
}
