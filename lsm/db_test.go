package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

func openMem(t testing.TB, fs vfs.FS, o *Options) *DB {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	o.FS = fs
	d, err := Open("db", o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustGet(t testing.TB, d *DB, k string) string {
	t.Helper()
	v, err := d.Get([]byte(k))
	if errors.Is(err, ErrNotFound) {
		return "<nil>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestBasic(t *testing.T) {
	fs := vfs.NewMem()
	d := openMem(t, fs, &Options{MemTableSize: 64 << 10})
	for i := 0; i < 5000; i++ {
		if err := d.Set(fmt.Appendf(nil, "key%05d", i), fmt.Appendf(nil, "val%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Delete([]byte("key00007"), nil); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, d, "key00042"); got != "val42" {
		t.Fatalf("got %q", got)
	}
	if got := mustGet(t, d, "key00007"); got != "<nil>" {
		t.Fatalf("deleted key: got %q", got)
	}
	// The tiny memtables rotated during the writes; their flushes run in
	// the background and may not have finished yet.
	if m := d.Metrics(); m.Flush.Count == 0 && m.MemTable.Immutables == 0 {
		t.Fatalf("expected rotations with tiny memtables:\n%s", m)
	}
	waitFor(t, "a flush of the tiny memtables", func() bool {
		m := d.Metrics()
		files := 0
		for _, l := range m.Levels {
			files += int(l.NumFiles)
		}
		return m.Flush.Count > 0 && files > 0
	})
	it, err := d.NewIter(&IterOptions{LowerBound: []byte("key00005"), UpperBound: []byte("key00010")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys, ","); got != "key00005,key00006,key00008,key00009" {
		t.Fatalf("iter: %s", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openMem(t, fs, nil)
	defer d.Close()
	if got := mustGet(t, d, "key04999"); got != "val4999" {
		t.Fatalf("after reopen: %q", got)
	}
	if got := mustGet(t, d, "key00007"); got != "<nil>" {
		t.Fatalf("after reopen, deleted key: %q", got)
	}
}

func TestLockRefusesSecondOpen(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
}

func TestSnapshot(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	d.Set([]byte("a"), []byte("1"), nil)
	s := d.NewSnapshot()
	d.Set([]byte("a"), []byte("2"), nil)
	d.Set([]byte("b"), []byte("3"), nil)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get([]byte("a"))
	if err != nil || !bytes.Equal(v, []byte("1")) {
		t.Fatalf("snapshot get: %q %v", v, err)
	}
	if _, err := s.Get([]byte("b")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("snapshot sees later write: %v", err)
	}
	if got := mustGet(t, d, "a"); got != "2" {
		t.Fatalf("db get: %q", got)
	}
	s.Close()
}

// TestBatchLargerThanMemtable: a batch that cannot fit a memtable gets one
// of its own instead of rotating forever.
func TestBatchLargerThanMemtable(t *testing.T) {
	fs := vfs.NewMem()
	d := openMem(t, fs, &Options{MemTableSize: 64 << 10})
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := d.Set([]byte("big"), big, nil); err != nil {
		t.Fatal(err)
	}
	d.Set([]byte("small"), []byte("1"), nil)
	if v, err := d.Get([]byte("big")); err != nil || !bytes.Equal(v, big) {
		t.Fatalf("big value: %d bytes, %v", len(v), err)
	}
	d.Close()
	d = openMem(t, fs, &Options{MemTableSize: 64 << 10})
	defer d.Close()
	if v, err := d.Get([]byte("big")); err != nil || !bytes.Equal(v, big) {
		t.Fatalf("big value after reopen: %d bytes, %v", len(v), err)
	}
}

// Prefetch allocates nothing and leaves what Get reads unchanged, with
// an immutable memtable queued behind the mutable one.
func TestPrefetch(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	for i := range 2000 {
		if err := d.Set(fmt.Appendf(nil, "key%05d", i), fmt.Appendf(nil, "val%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	key := []byte("key00042")
	if n := testing.AllocsPerRun(100, func() { d.Prefetch(key) }); n != 0 {
		t.Fatalf("Prefetch allocates %v times", n)
	}
	d.Prefetch([]byte("absent"))
	if got := mustGet(t, d, "key00042"); got != "val42" {
		t.Fatalf("after Prefetch: %q", got)
	}
	if got := mustGet(t, d, "absent"); got != "<nil>" {
		t.Fatalf("after Prefetch, an absent key: %q", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Prefetch(key) // a hint after Close does nothing
}

// Prefetch takes no reference on the read state: it must stay safe while
// writes rotate memtables and flushes release them under it (run with
// -race).
func TestPrefetchDuringRotations(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 64 << 10})
	defer d.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Appendf(nil, "key%05d", g)
			for {
				select {
				case <-stop:
					return
				default:
					d.Prefetch(k)
				}
			}
		}()
	}
	for i := range 5000 {
		if err := d.Set(fmt.Appendf(nil, "key%05d", i), fmt.Appendf(nil, "val%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if m := d.Metrics(); m.Flush.Count == 0 && m.MemTable.Immutables == 0 {
		t.Fatalf("no rotation under the hints:\n%s", m)
	}
}

// TestRecycleBatch: a batch given back after its commit comes out of
// NewBatch empty and works as a new one; a batch of more than 64 KiB is
// never handed out again.
func TestRecycleBatch(t *testing.T) {
	d := openMem(t, vfs.NewMem(), nil)
	defer d.Close()
	for i := range 50 {
		b := d.NewBatch()
		if b.Count() != 0 || b.Len() != batchHeaderLen {
			t.Fatalf("round %d: NewBatch holds %d writes, %d bytes", i, b.Count(), b.Len())
		}
		k := fmt.Sprintf("k%02d", i)
		b.Set([]byte(k), []byte("v"))
		if i%5 == 0 {
			b.Set([]byte("big"), bytes.Repeat([]byte("x"), maxRecycledBatch)) // past the bound
		}
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
		d.RecycleBatch(b)
		if got := mustGet(t, d, k); got != "v" {
			t.Fatalf("%s = %q after its batch was recycled", k, got)
		}
	}
	for range 100 {
		if b := d.NewBatch(); cap(b.data) > maxRecycledBatch {
			t.Fatalf("NewBatch handed out a batch of %d bytes", cap(b.data))
		}
	}
}
