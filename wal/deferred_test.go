package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// TestAppendDeferredWaitsForWaitWritten: deferred records are not written
// until WaitWritten, which writes all of them with one write call.
func TestAppendDeferredWaitsForWaitWritten(t *testing.T) {
	for _, p := range []SyncPolicy{SyncEverySec, SyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			f := newTestFile()
			// A long interval: the ticker must not write during the test.
			w := NewWriter(f, 1, WriterOptions{SyncPolicy: p, SyncInterval: time.Hour})
			var recs [][]byte
			for i := range 16 {
				r := fmt.Appendf(nil, "record %d", i)
				recs = append(recs, r)
				if err := w.AppendDeferred(r); err != nil {
					t.Fatal(err)
				}
			}
			if writes, _ := f.counts(); writes != 0 {
				t.Fatalf("%d writes before WaitWritten, want 0", writes)
			}
			var wt Waiter
			if err := w.WaitWritten(&wt); err != nil {
				t.Fatal(err)
			}
			if writes, _ := f.counts(); writes != 1 {
				t.Fatalf("%d writes for 16 deferred records, want 1", writes)
			}
			if got := int64(len(f.bytes())); got != w.Size() {
				t.Fatalf("%d of %d bytes written", got, w.Size())
			}
			// Nothing pending: the next WaitWritten writes nothing.
			if err := w.WaitWritten(&wt); err != nil {
				t.Fatal(err)
			}
			if writes, _ := f.counts(); writes != 1 {
				t.Fatalf("%d writes after an idle WaitWritten, want 1", writes)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := readLog(f.bytes(), 1)
			if !errors.Is(got.err, io.EOF) || len(got.records) != len(recs) {
				t.Fatalf("read back %d records (err %v), want %d", len(got.records), got.err, len(recs))
			}
			for i := range recs {
				if !bytes.Equal(got.records[i], recs[i]) {
					t.Fatalf("record %d = %q, want %q", i, got.records[i], recs[i])
				}
			}
		})
	}
}

// TestAppendDeferredHandsOffLargeGroups: once 64 KiB of deferred records are
// pending the flusher writes them, with no waiter and no tick.
func TestAppendDeferredHandsOffLargeGroups(t *testing.T) {
	f := newTestFile()
	f.entered = make(chan struct{}, 1)
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncEverySec, SyncInterval: time.Hour})
	defer w.Close()
	rec := make([]byte, 1000)
	for w.Size() < deferHandoff {
		if err := w.AppendDeferred(rec); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-f.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("64 KiB of deferred records not written by the flusher")
	}
}

// TestAppendDeferredTick: under each policy but SyncAlways the flusher's
// tick writes deferred records nobody waits for.
func TestAppendDeferredTick(t *testing.T) {
	for _, p := range []SyncPolicy{SyncEverySec, SyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			f := newTestFile()
			f.entered = make(chan struct{}, 1)
			w := NewWriter(f, 1, WriterOptions{SyncPolicy: p, SyncInterval: time.Millisecond})
			defer w.Close()
			if err := w.AppendDeferred([]byte("late")); err != nil {
				t.Fatal(err)
			}
			select {
			case <-f.entered:
			case <-time.After(30 * time.Second):
				t.Fatal("deferred record not written by the tick")
			}
		})
	}
}

// TestAppendDeferredSyncAlways: under SyncAlways a deferred record is
// written and synced by the flusher, and WaitWritten means synced.
func TestAppendDeferredSyncAlways(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncAlways})
	var wt Waiter
	for range 20 {
		if err := w.AppendDeferred([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := w.WaitWritten(&wt); err != nil {
			t.Fatal(err)
		}
		if got := int64(f.syncedLen()); got != w.Size() {
			t.Fatalf("WaitWritten returned with %d of %d bytes synced", got, w.Size())
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAppendDeferredClose: Close writes deferred records; WaitWritten on the
// closed writer then succeeds, and AppendDeferred fails with ErrClosed.
func TestAppendDeferredClose(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo, SyncInterval: time.Hour})
	if err := w.AppendDeferred([]byte("pending")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := int64(f.syncedLen()); got != w.Size() || got == 0 {
		t.Fatalf("Close left %d of %d bytes unsynced", w.Size()-got, w.Size())
	}
	var wt Waiter
	if err := w.WaitWritten(&wt); err != nil {
		t.Fatalf("WaitWritten after Close: %v", err)
	}
	if err := w.AppendDeferred([]byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("AppendDeferred after Close: %v", err)
	}
}

// TestAppendDeferredError: a failed write reaches WaitWritten, and later
// deferred appends fail with the sticky error.
func TestAppendDeferredError(t *testing.T) {
	errInjected := errors.New("injected")
	f := newTestFile()
	f.writeErr = errInjected
	var onErr error
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncEverySec, SyncInterval: time.Hour,
		OnError: func(err error) { onErr = err }})
	if err := w.AppendDeferred([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	var wt Waiter
	if err := w.WaitWritten(&wt); !errors.Is(err, errInjected) {
		t.Fatalf("WaitWritten returned %v, want the write error", err)
	}
	if !errors.Is(onErr, errInjected) {
		t.Fatalf("OnError got %v", onErr)
	}
	if err := w.WaitWritten(&wt); !errors.Is(err, errInjected) {
		t.Fatalf("second WaitWritten returned %v", err)
	}
	if err := w.AppendDeferred([]byte("late")); !errors.Is(err, errInjected) {
		t.Fatalf("AppendDeferred after the error returned %v", err)
	}
	if err := w.Close(); !errors.Is(err, errInjected) {
		t.Fatalf("Close returned %v", err)
	}
}

// TestAppendDeferredConcurrent: goroutines mix deferred appends, waited
// appends and WaitWritten; every record a WaitWritten covered is in the
// file by then, and all records come back in each goroutine's order.
func TestAppendDeferredConcurrent(t *testing.T) {
	const goroutines, perG = 8, 300
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncEverySec, SyncInterval: time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var wt Waiter
			for i := range perG {
				rec := fmt.Appendf(nil, "%d:%d", g, i)
				var err error
				switch i % 5 {
				case 0:
					err = w.Write(rec, false)
				default:
					err = w.AppendDeferred(rec)
				}
				if err == nil && i%7 == 6 {
					size := w.Size()
					err = w.WaitWritten(&wt)
					if n := int64(len(f.bytes())); err == nil && n < size {
						err = fmt.Errorf("WaitWritten returned with %d of %d bytes written", n, size)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readLog(f.bytes(), 1)
	if !errors.Is(got.err, io.EOF) || len(got.records) != goroutines*perG {
		t.Fatalf("read back %d records (err %v), want %d", len(got.records), got.err, goroutines*perG)
	}
	next := make([]int, goroutines)
	for _, r := range got.records {
		var g, i int
		if _, err := fmt.Sscanf(string(r), "%d:%d", &g, &i); err != nil || i != next[g] {
			t.Fatalf("record %q out of order (want %d:%d)", r, g, next[g])
		}
		next[g]++
	}
}
