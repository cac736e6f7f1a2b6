package wal

import (
	"errors"
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
