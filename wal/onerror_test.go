package wal

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestOnErrorTimedSync: a timed sync (SyncEverySec) that fails while no
// caller waits is reported once through OnError, with the sticky error
// that later Appends return.
func TestOnErrorTimedSync(t *testing.T) {
	f := newTestFile()
	f.syncErr = syscall.EIO
	reported := make(chan error, 4)
	w := NewWriter(f, 7, WriterOptions{SyncPolicy: SyncEverySec, SyncInterval: time.Millisecond,
		OnError: func(err error) { reported <- err }})
	if err := w.Append([]byte("rec"), false, nil); err != nil {
		t.Fatal(err)
	}
	var got error
	select {
	case got = <-reported:
	case <-time.After(10 * time.Second):
		t.Fatal("OnError not called after a failed timed sync")
	}
	if !errors.Is(got, syscall.EIO) {
		t.Fatalf("OnError(%v), want EIO", got)
	}
	if err := w.Append([]byte("rec2"), false, nil); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append after the failed sync: %v", err)
	}
	w.Close()
	select {
	case err := <-reported:
		t.Fatalf("OnError called twice (second: %v)", err)
	default:
	}
}

// TestOnWritten: OnWritten sees every waiter of a written group once, its
// Owner intact, before the waiter is released, and is not called for a
// group whose write failed.
func TestOnWritten(t *testing.T) {
	const n = 64
	var (
		mu     sync.Mutex
		seen   [n]int
		failed int // calls with the failed write's waiter (Owner n)
	)
	f := newTestFile()
	w := NewWriter(f, 7, WriterOptions{SyncPolicy: SyncAlways, OnWritten: func(group []*Waiter) {
		mu.Lock()
		defer mu.Unlock()
		for _, wt := range group {
			switch i, ok := wt.Owner.(int); {
			case ok && i == n:
				failed++
			case ok:
				seen[i]++
			}
		}
	}})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			wt := Waiter{Owner: i}
			if err := w.Append([]byte("rec"), false, &wt); err != nil {
				t.Error(err)
				return
			}
			if err := wt.Wait(); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[i] != 1 || wt.Owner != i {
				t.Errorf("waiter %d released after OnWritten saw it %d times (owner %v)", i, seen[i], wt.Owner)
			}
		})
	}
	wg.Wait()

	// A failed write: the waiter gets the error, OnWritten is not called.
	f.mu.Lock()
	f.writeErr = syscall.EIO
	f.mu.Unlock()
	wt := Waiter{Owner: n}
	_ = w.Append([]byte("rec"), false, &wt)
	if err := wt.Wait(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Wait after a failed write: %v", err)
	}
	w.Close()
	mu.Lock()
	defer mu.Unlock()
	for i, c := range seen {
		if c != 1 {
			t.Errorf("OnWritten saw waiter %d %d times", i, c)
		}
	}
	if failed != 0 {
		t.Errorf("OnWritten called %d times for a group whose write failed", failed)
	}
}
