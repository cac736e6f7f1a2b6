package jemallocprof

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

func stat(p Purpose) Stats { return Snapshot()[p] }

func TestAllocFreeCounts(t *testing.T) {
	before := stat(Other)
	b := Alloc(Other, 1000)
	if len(b) != 1000 {
		t.Fatalf("len = %d", len(b))
	}
	for _, c := range b {
		if c != 0 {
			t.Fatal("Alloc returned a dirty buffer")
		}
	}
	s := stat(Other)
	if s.Live-before.Live != int64(cap(b)) || s.LiveAllocs-before.LiveAllocs != 1 || s.Allocs-before.Allocs != 1 {
		t.Fatalf("after Alloc: %+v (before %+v)", s, before)
	}
	if s.Largest < int64(cap(b)) || s.Peak < s.Live {
		t.Fatalf("peak/largest not raised: %+v", s)
	}
	Free(Other, b[:10])
	s = stat(Other)
	if s.Live != before.Live || s.LiveAllocs != before.LiveAllocs || s.Allocs != before.Allocs+1 {
		t.Fatalf("after Free: %+v (before %+v)", s, before)
	}
	if Alloc(Other, 0) != nil {
		t.Fatal("Alloc(0) should be nil")
	}
	Free(Other, nil)
	if stat(Other).LiveAllocs != before.LiveAllocs {
		t.Fatal("zero-size Alloc/Free changed the counts")
	}
}

func TestMoveAndTrack(t *testing.T) {
	a0, i0 := Live(MemtableActive), Live(MemtableImmutable)
	b := Alloc(MemtableActive, 4096)
	Move(MemtableActive, MemtableImmutable, cap(b))
	if Live(MemtableActive) != a0 || Live(MemtableImmutable) != i0+int64(cap(b)) {
		t.Fatalf("Move: active %d immutable %d", Live(MemtableActive), Live(MemtableImmutable))
	}
	Free(MemtableImmutable, b)
	if Live(MemtableImmutable) != i0 {
		t.Fatal("Free after Move left bytes behind")
	}
	q0 := Live(ClientQuery)
	Track(ClientQuery, 16384)
	if Live(ClientQuery) != q0+16384 {
		t.Fatal("Track not counted")
	}
	Untrack(ClientQuery, 16384)
	if Live(ClientQuery) != q0 {
		t.Fatal("Untrack not counted")
	}
}

func TestConcurrentCountsExact(t *testing.T) {
	before := stat(Batch)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b := Alloc(Batch, 64+g+i%7)
				Free(Batch, b)
			}
		}(g)
	}
	wg.Wait()
	s := stat(Batch)
	if s.Live != before.Live || s.LiveAllocs != before.LiveAllocs || s.Allocs != before.Allocs+8000 {
		t.Fatalf("after concurrent alloc/free: %+v (before %+v)", s, before)
	}
}

func TestPurposeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Purposes() {
		n := p.String()
		if n == "" || n == "unknown" || seen[n] {
			t.Fatalf("purpose %d has a bad or duplicate name %q", p, n)
		}
		seen[n] = true
	}
	if Purpose(NumPurposes).String() != "unknown" {
		t.Fatal("out-of-range purpose should be unknown")
	}
}

func TestDumpHeapProfile(t *testing.T) {
	dir := t.TempDir()
	if _, err := DumpHeapProfile(dir); !errors.Is(err, ErrProfilingDisabled) {
		t.Fatalf("dump while disabled: %v", err)
	}
	if err := EnableProfiling(); err != nil {
		t.Fatal(err)
	}
	defer DisableProfiling()
	if !ProfilingEnabled() {
		t.Fatal("not enabled")
	}
	keep := make([][]byte, 0, 256)
	for i := 0; i < 256; i++ {
		keep = append(keep, make([]byte, 64<<10))
	}
	path, err := DumpHeapProfile(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("dump does not parse: %v", err)
	}
	if len(p.Sample) == 0 {
		t.Fatal("dump has no samples")
	}
	if _, err := DumpHeapProfile(dir + "/missing"); err == nil {
		t.Fatal("dump into a missing directory succeeded")
	}
	_ = keep
}

func TestNativeAllocatedPureGo(t *testing.T) {
	if OffHeap {
		t.Skip("jemalloc build: TestNativeAllocated")
	}
	if n, ok := NativeAllocated(); n != 0 || ok {
		t.Fatalf("NativeAllocated() = %d, %v in the pure-Go build", n, ok)
	}
}
