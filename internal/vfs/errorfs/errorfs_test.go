package errorfs

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// step is one operation of the reference workload: exactly one call into
// the FS or a file, so that operation i of the injector is step i.
type step struct {
	op   Op
	path string
	run  func() error
}

// workload returns a script touching every Op once, in order. The script
// keeps going after errors; handles that failed to open are replaced by
// ones opened without injection so later steps still make one call each.
func workload(t *testing.T, fs *FS) []step {
	raw := fs.Unwrap()
	var f, d vfs.File
	open := func(h *vfs.File, fn func() (vfs.File, error), fallback func() (vfs.File, error)) error {
		var err error
		*h, err = fn()
		if err != nil {
			var ferr error
			if *h, ferr = fallback(); ferr != nil {
				t.Fatal(ferr)
			}
		}
		return err
	}
	buf := make([]byte, 3)
	return []step{
		{OpMkdirAll, "db", func() error { return fs.MkdirAll("db", 0o755) }},
		{OpLock, "db/LOCK", func() error {
			l, err := fs.Lock("db/LOCK")
			if err == nil {
				l.Close()
			}
			return err
		}},
		{OpCreate, "db/000001.log", func() error {
			return open(&f, func() (vfs.File, error) { return fs.Create("db/000001.log") },
				func() (vfs.File, error) {
					raw.MkdirAll("db", 0o755)
					f, err := raw.Create("db/000001.log")
					return fs.wrapFile(f, "db/000001.log", err)
				})
		}},
		{OpWrite, "db/000001.log", func() error { _, err := f.Write([]byte("abc")); return err }},
		{OpSync, "db/000001.log", func() error { return f.Sync() }},
		{OpFileStat, "db/000001.log", func() error { _, err := f.Stat(); return err }},
		{OpClose, "db/000001.log", func() error { return f.Close() }},
		{OpOpenDir, "db", func() error {
			return open(&d, func() (vfs.File, error) { return fs.OpenDir("db") },
				func() (vfs.File, error) { f, err := raw.OpenDir("db"); return fs.wrapFile(f, "db", err) })
		}},
		{OpSync, "db", func() error { return d.Sync() }},
		{OpClose, "db", func() error { return d.Close() }},
		{OpOpen, "db/000001.log", func() error {
			return open(&f, func() (vfs.File, error) { return fs.Open("db/000001.log") },
				func() (vfs.File, error) {
					f, err := raw.Open("db/000001.log")
					return fs.wrapFile(f, "db/000001.log", err)
				})
		}},
		{OpRead, "db/000001.log", func() error { _, err := f.Read(buf); return err }},
		{OpReadAt, "db/000001.log", func() error { _, err := f.ReadAt(buf, 0); return err }},
		{OpClose, "db/000001.log", func() error { return f.Close() }},
		{OpStat, "db/000001.log", func() error { _, err := fs.Stat("db/000001.log"); return err }},
		{OpList, "db", func() error { _, err := fs.List("db"); return err }},
		{OpLink, "db/000001.log", func() error { return fs.Link("db/000001.log", "db/link") }},
		{OpRename, "db/link", func() error { return fs.Rename("db/link", "db/renamed") }},
		{OpRemove, "db/renamed", func() error { return fs.Remove("db/renamed") }},
		{OpRemoveAll, "db", func() error { return fs.RemoveAll("db") }},
	}
}

func TestOpString(t *testing.T) {
	seen := map[string]Op{}
	for op := Op(0); op < numOps; op++ {
		s := op.String()
		if s == "" || s[0] == 'o' && s[1] == 'p' && s[2] == '(' {
			t.Errorf("op %d has no name", int(op))
		}
		if prev, ok := seen[s]; ok {
			t.Errorf("ops %d and %d share the name %q", prev, op, s)
		}
		seen[s] = op
	}
	if got := Op(99).String(); got != "op(99)" {
		t.Errorf("unknown op: %q", got)
	}
}

func TestWorkloadCoversEveryOp(t *testing.T) {
	covered := map[Op]bool{}
	for _, s := range workload(t, Wrap(vfs.NewMem(), InjectorFunc(func(Op, string) error { return nil }))) {
		covered[s.op] = true
	}
	for op := Op(0); op < numOps; op++ {
		if !covered[op] {
			t.Errorf("workload misses %s", op)
		}
	}
}

// TestOnIndexFailsExactlyThatOp runs the workload with every index: the
// recorded operations match the script, and only step i fails, with an
// error naming its op and path.
func TestOnIndexFailsExactlyThatOp(t *testing.T) {
	var runs int
	for i := 0; ; i++ {
		inj := OnIndex(i)
		var seen []Op
		var mu sync.Mutex
		rec := InjectorFunc(func(op Op, path string) error {
			mu.Lock()
			seen = append(seen, op)
			mu.Unlock()
			return inj.MaybeError(op, path)
		})
		fs := Wrap(vfs.NewMem(), rec)
		steps := workload(t, fs)
		for j, s := range steps {
			err := s.run()
			if j == i {
				var ie *Error
				if !errors.Is(err, ErrInjected) || !errors.As(err, &ie) || ie.Op != s.op || ie.Path != s.path {
					t.Fatalf("index %d (%s %s): got %v", i, s.op, s.path, err)
				}
				if want := "errorfs: injected error: " + s.op.String() + " " + s.path; err.Error() != want {
					t.Fatalf("message %q, want %q", err.Error(), want)
				}
				if inj.Injected() != ie {
					t.Fatalf("Injected() = %v", inj.Injected())
				}
			} else if errors.Is(err, ErrInjected) {
				t.Fatalf("index %d: step %d (%s) also failed: %v", i, j, s.op, err)
			}
		}
		if len(seen) != len(steps) {
			t.Fatalf("index %d: %d operations for %d steps: %v", i, len(seen), len(steps), seen)
		}
		for j, s := range steps {
			if seen[j] != s.op {
				t.Fatalf("operation %d is %s, want %s", j, seen[j], s.op)
			}
		}
		if inj.Count() != len(steps) || inj.Index() != i {
			t.Fatalf("Count %d Index %d, want %d %d", inj.Count(), inj.Index(), len(steps), i)
		}
		runs++
		if inj.Count() <= inj.Index() {
			if inj.Injected() != nil {
				t.Fatal("fired beyond the last operation")
			}
			break
		}
	}
	if want := len(workload(t, Wrap(vfs.NewMem(), OnIndex(-1)))) + 1; runs != want {
		t.Fatalf("%d runs, want %d", runs, want)
	}
}

func TestOnIndexWithFilter(t *testing.T) {
	inj := OnIndex(1).WithFilter(Ops(OpSync))
	fs := Wrap(vfs.NewMem(), inj)
	f, err := fs.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, true, false} {
		if _, err := f.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); errors.Is(err, ErrInjected) != want {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	if inj.Count() != 3 {
		t.Fatalf("count %d, want 3 syncs", inj.Count())
	}
}

func TestFilters(t *testing.T) {
	for op := Op(0); op < numOps; op++ {
		if WriteOps(op, "") == ReadOps(op, "") {
			t.Errorf("%s: WriteOps and ReadOps agree", op)
		}
	}
	if !WriteOps(OpSync, "") || !ReadOps(OpReadAt, "") || !Ops(OpLink, OpList)(OpList, "") || Ops(OpLink)(OpList, "") {
		t.Error("filter mismatch")
	}
}

func TestToggle(t *testing.T) {
	tog := NewToggle(syscall.ENOSPC, WriteOps)
	mem := vfs.NewMem()
	fs := Wrap(mem, tog)
	f, err := fs.Create("000012.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}

	tog.On()
	if !tog.IsOn() {
		t.Fatal("not on")
	}
	_, err = f.Write([]byte("lost"))
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, ErrInjected) {
		t.Fatalf("write while full: %v", err)
	}
	if want := "errorfs: injected error: write 000012.log: no space left on device"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
	if err := f.Sync(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("sync while full: %v", err)
	}
	if _, err := fs.Create("other"); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("create while full: %v", err)
	}
	// Reads are not selected.
	r, err := fs.Open("000012.log")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "ok" {
		t.Fatalf("read while full: %q %v", buf, err)
	}
	r.Close()
	if tog.Injected() != 3 {
		t.Fatalf("injected %d, want 3", tog.Injected())
	}

	tog.Off()
	if _, err := f.Write([]byte("more")); err != nil {
		t.Fatalf("write after the fault cleared: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, _ := mem.ReadFile("000012.log"); string(got) != "okmore" {
		t.Fatalf("content %q: a failed write reached the file", got)
	}
}

func TestInjectedCloseStillCloses(t *testing.T) {
	fs := Wrap(vfs.NewMem(), OnIndex(1)) // 0: create, 1: close
	f, err := fs.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, ErrInjected) {
		t.Fatalf("close: %v", err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("underlying file not closed: %v", err)
	}
}

func TestOnIndexConcurrent(t *testing.T) {
	inj := OnIndex(500)
	fs := Wrap(vfs.NewMem(), inj)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, err := fs.List("/"); errors.Is(err, ErrInjected) {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failures != 1 || inj.Count() != 800 {
		t.Fatalf("failures %d count %d", failures, inj.Count())
	}
}

// TestErrorInjectionLoop shows the intended loop: a durable file write is
// retried with failure points 0, 1, 2, ... and every run either succeeds or
// fails with the injected error, until no failure point is left.
func TestErrorInjectionLoop(t *testing.T) {
	writeDurably := func(fs vfs.FS) error {
		f, err := fs.Create("CURRENT.tmp")
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte("MANIFEST-000001\n")); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := fs.Rename("CURRENT.tmp", "CURRENT"); err != nil {
			return err
		}
		d, err := fs.OpenDir("/")
		if err != nil {
			return err
		}
		if err := d.Sync(); err != nil {
			d.Close()
			return err
		}
		return d.Close()
	}
	for i := 0; ; i++ {
		inj := OnIndex(i)
		mem := vfs.NewMem()
		err := writeDurably(Wrap(mem, inj))
		if inj.Count() <= inj.Index() {
			if err != nil {
				t.Fatalf("clean run failed: %v", err)
			}
			if i != 8 {
				t.Fatalf("%d failure points, want 8", i)
			}
			return
		}
		if !errors.Is(err, ErrInjected) {
			t.Fatalf("index %d: error %v does not report the injection", i, err)
		}
		// A crash right after the failure never shows a torn CURRENT.
		c := mem.CrashClone(vfs.CrashCloneOptions{Seed: int64(i), UnsyncedDataPercent: 50})
		if b, err := c.ReadFile("CURRENT"); err == nil && string(b) != "MANIFEST-000001\n" {
			t.Fatalf("index %d: torn CURRENT %q", i, b)
		}
	}
}
