package wal

import (
	"runtime"
	"sync"
	"time"
)

// testFile is an in-memory File that counts calls, remembers how much was
// synced, and can inject failures and latency.
type testFile struct {
	mu        sync.Mutex
	data      []byte
	synced    int   // bytes covered by the last successful Sync
	writes    int   // Write calls
	syncs     int   // Sync calls
	maxWrite  int   // largest single Write
	closed    bool  //
	writeErr  error // returned by every Write once set
	syncErr   error // returned by every Sync once set
	syncDelay time.Duration
	// gate, if not nil, is received from before each Write.
	gate chan struct{}
	// entered, if not nil, is sent to (without blocking) when a Write
	// starts, before the gate.
	entered chan struct{}
	// stacks, if not nil, collects the stack of the goroutine that makes
	// each Write call.
	stacks *[]string
	// syncNotify receives a value (without blocking) after each Sync.
	syncNotify chan struct{}
}

func newTestFile() *testFile { return &testFile{syncNotify: make(chan struct{}, 1)} }

func (f *testFile) Write(p []byte) (int, error) {
	if f.stacks != nil {
		buf := make([]byte, 64<<10)
		stack := string(buf[:runtime.Stack(buf, false)])
		f.mu.Lock()
		*f.stacks = append(*f.stacks, stack)
		f.mu.Unlock()
	}
	if f.entered != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	f.maxWrite = max(f.maxWrite, len(p))
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *testFile) Sync() error {
	if f.syncDelay > 0 {
		// Simulated device latency, not synchronisation.
		time.Sleep(f.syncDelay)
	}
	f.mu.Lock()
	f.syncs++
	err := f.syncErr
	if err == nil {
		f.synced = len(f.data)
	}
	f.mu.Unlock()
	select {
	case f.syncNotify <- struct{}{}:
	default:
	}
	return err
}

func (f *testFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *testFile) syncedLen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.synced
}

func (f *testFile) counts() (writes, syncs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, f.syncs
}

func (f *testFile) bytes() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.data...)
}

// discardFile is a File whose Write and Sync are free.
type discardFile struct{}

func (discardFile) Write(p []byte) (int, error) { return len(p), nil }
func (discardFile) Sync() error                 { return nil }
func (discardFile) Close() error                { return nil }
