package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor waits until cond holds, woken by each sync of f; it fails the
// test if that takes unreasonably long.
func waitFor(t *testing.T, f *testFile, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-f.syncNotify:
		case <-deadline:
			t.Fatal("condition not reached")
		}
	}
}

func TestGroupCommit(t *testing.T) {
	const goroutines, perG = 64, 200
	f := newTestFile()
	f.syncDelay = 100 * time.Microsecond // a device whose sync costs something
	w := NewWriter(f, 11, WriterOptions{SyncPolicy: SyncNo})
	// syncedAtDone[g][i] is the synced length of the file when record i of
	// goroutine g was acknowledged.
	syncedAtDone := make([][]int, goroutines)
	var all sync.WaitGroup
	for g := range goroutines {
		all.Add(1)
		go func() {
			defer all.Done()
			syncedAtDone[g] = make([]int, perG)
			for i := range perG {
				var p [8]byte
				binary.BigEndian.PutUint32(p[:], uint32(g))
				binary.BigEndian.PutUint32(p[4:], uint32(i))
				if err := w.Write(p[:], true); err != nil {
					t.Error(err)
					return
				}
				syncedAtDone[g][i] = f.syncedLen()
			}
		}()
	}
	all.Wait()
	m := w.Metrics()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writes, syncs := f.counts()
	const records = goroutines * perG
	t.Logf("%d records, %d writes, %d syncs; metrics %s", records, writes, syncs, m)
	if syncs >= records/2 {
		t.Fatalf("%d syncs for %d records: no group commit", syncs, records)
	}
	if m.Records != records || m.Writes != int64(writes) || m.Syncs > int64(syncs) {
		t.Fatalf("metrics %s disagree with the file (%d writes, %d syncs)", m, writes, syncs)
	}

	res := readLog(f.bytes(), 11)
	if res.err != io.EOF || len(res.records) != records {
		t.Fatalf("read %d records, err %v", len(res.records), res.err)
	}
	next := make([]int, goroutines)
	for k, r := range res.records {
		g, i := int(binary.BigEndian.Uint32(r)), int(binary.BigEndian.Uint32(r[4:]))
		if i != next[g] {
			t.Fatalf("goroutine %d: record %d read where %d expected", g, i, next[g])
		}
		next[g]++
		if int64(syncedAtDone[g][i]) < res.ends[k] {
			t.Fatalf("record %d/%d (ending at %d) acknowledged when only %d bytes were synced",
				g, i, res.ends[k], syncedAtDone[g][i])
		}
	}
}

// TestLeaderWritesGroup checks group commit with a leader: a lone
// appender makes the write call itself, in its Wait; appenders that come
// while a group is being written wait, and the first of them writes the
// next group, for all of them, with one write call. The flusher goroutine
// makes none of these writes.
func TestLeaderWritesGroup(t *testing.T) {
	f := newTestFile()
	var stacks []string
	f.stacks = &stacks
	f.entered = make(chan struct{}, 1)
	gate := make(chan struct{})
	f.gate = gate
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo})

	first := make(chan error, 1)
	go func() { first <- w.Write([]byte("first"), false) }()
	<-f.entered // the first group's write is held at the gate
	const followers = 8
	errs := make(chan error, followers)
	for i := range followers {
		go func() { errs <- w.Write([]byte{byte(i)}, false) }()
	}
	// No sleep: spin until every follower has appended (and is waiting).
	for w.Metrics().Records < followers+1 {
		runtime.Gosched()
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range followers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writes, _ := f.counts()
	if writes != 2 {
		t.Fatalf("%d write calls for a lone record and one group of %d, want 2", writes, followers)
	}
	for i, st := range stacks {
		if !strings.Contains(st, "(*Waiter).Wait") || strings.Contains(st, "flushLoop") {
			t.Fatalf("write %d was not made by an appender in Wait:\n%s", i, st)
		}
	}
	if res := readLog(f.bytes(), 1); res.err != io.EOF || len(res.records) != followers+1 {
		t.Fatalf("read %d records, err %v", len(res.records), res.err)
	}
}

// TestLeaderYieldsToRunnableAppenders runs concurrent appenders on one
// processor with a file that never blocks: a leader that took its group at
// once would write every record alone, as no other appender gets to run
// while it writes. The leader's yield lets the runnable appenders join its
// group first.
func TestLeaderYieldsToRunnableAppenders(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo})
	const goroutines, perG = 8, 500
	var all sync.WaitGroup
	for range goroutines {
		all.Add(1)
		go func() {
			defer all.Done()
			for range perG {
				if err := w.Write([]byte("record"), false); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	all.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writes, _ := f.counts()
	t.Logf("%d records in %d writes", goroutines*perG, writes)
	if writes > goroutines*perG/2 {
		t.Fatalf("%d records in %d writes: the leaders did not let the other appenders join", goroutines*perG, writes)
	}
}

// TestMixedAppendersStress mixes, under every policy, appenders that wait
// (some asking for a sync), appenders that do not wait, explicit Syncs and,
// under SyncEverySec, timed syncs every millisecond, so that leadership
// passes between appenders, the flusher and Sync callers in every way.
// Every record must be logged once, in each goroutine's order, and every
// acknowledged record that asked for a sync (all of them under SyncAlways)
// must have been synced when its Wait returned.
func TestMixedAppendersStress(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncEverySec, SyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			f := newTestFile()
			w := NewWriter(f, 9, WriterOptions{SyncPolicy: policy, SyncInterval: time.Millisecond})
			const goroutines, perG = 6, 300
			// syncedAt[g][i] is the synced length of the file when record i
			// of goroutine g was acknowledged as synced, or -1.
			syncedAt := make([][]int, goroutines)
			var all sync.WaitGroup
			for g := range goroutines {
				all.Add(1)
				go func() {
					defer all.Done()
					syncedAt[g] = make([]int, perG)
					var wt Waiter
					for i := range perG {
						p := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(g)), uint32(i))
						p = append(p, make([]byte, (g*131+i*17)%700)...)
						syncedAt[g][i] = -1
						switch doSync := i%5 == 0; {
						case (g+i)%4 == 0:
							// Not waited for: the flusher or a later group
							// writes it.
							if err := w.Append(p, false, nil); err != nil {
								t.Error(err)
								return
							}
						default:
							if err := w.Append(p, doSync, &wt); err != nil {
								t.Error(err)
								return
							}
							if err := wt.Wait(); err != nil {
								t.Error(err)
								return
							}
							if doSync || policy == SyncAlways {
								syncedAt[g][i] = f.syncedLen()
							}
						}
						if i%50 == 49 {
							if err := w.Sync(); err != nil {
								t.Error(err)
								return
							}
						}
					}
				}()
			}
			all.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			res := readLog(f.bytes(), 9)
			if res.err != io.EOF || len(res.records) != goroutines*perG {
				t.Fatalf("read %d records, err %v", len(res.records), res.err)
			}
			next := make([]int, goroutines)
			for k, r := range res.records {
				g, i := int(binary.BigEndian.Uint32(r)), int(binary.BigEndian.Uint32(r[4:]))
				if i != next[g] {
					t.Fatalf("goroutine %d: record %d read where %d expected", g, i, next[g])
				}
				next[g]++
				if s := syncedAt[g][i]; s >= 0 && int64(s) < res.ends[k] {
					t.Fatalf("record %d/%d (ending at %d) acknowledged as synced with %d bytes synced", g, i, res.ends[k], s)
				}
			}
		})
	}
}

// appendAndWait appends n small records, then waits for each of them.
func appendAndWait(t *testing.T, w *Writer, n int, doSync bool) {
	t.Helper()
	wts := make([]Waiter, n)
	for i := range wts {
		if err := w.Append([]byte("record"), doSync, &wts[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range wts {
		if err := wts[i].Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSyncAlways(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{}) // zero value: SyncAlways
	for range 20 {
		if err := w.Write([]byte("x"), false); err != nil {
			t.Fatal(err)
		}
		if got := int64(f.syncedLen()); got != w.Size() {
			t.Fatalf("acknowledged with %d of %d bytes synced", got, w.Size())
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSyncNo(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo})
	appendAndWait(t, w, 1000, false)
	if writes, syncs := f.counts(); syncs != 0 || writes == 0 {
		t.Fatalf("%d writes, %d syncs before Close; want some writes and no sync", writes, syncs)
	}
	if len(f.bytes()) != int(w.Size()) {
		t.Fatalf("acknowledged records not written: %d of %d bytes", len(f.bytes()), w.Size())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, syncs := f.counts(); syncs != 1 {
		t.Fatalf("%d syncs after Close, want 1", syncs)
	}
	if f.syncedLen() != len(f.bytes()) || !f.closed {
		t.Fatal("Close did not sync and close the file")
	}
	if err := w.Append(nil, false, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSyncEverySec(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncEverySec, SyncInterval: time.Millisecond})
	appendAndWait(t, w, 100, false)
	// Nothing asked for a sync; the background ticker must sync anyway.
	waitFor(t, f, func() bool { return int64(f.syncedLen()) == w.Size() })
	_, before := f.counts()
	// A record that asks for a sync is synced before it is acknowledged.
	appendAndWait(t, w, 1, true)
	if int64(f.syncedLen()) != w.Size() {
		t.Fatal("sync=true record acknowledged before it was synced")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, after := f.counts(); after <= before {
		t.Fatal("no sync after the background one")
	}
}

func TestExplicitSync(t *testing.T) {
	f := newTestFile()
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo})
	for range 10 {
		if err := w.Append([]byte("abc"), false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if int64(f.syncedLen()) != w.Size() {
		t.Fatalf("Sync returned with %d of %d bytes synced", f.syncedLen(), w.Size())
	}
	// Nothing new: no second sync call.
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, syncs := f.counts(); syncs != 1 {
		t.Fatalf("%d syncs, want 1", syncs)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStickyError(t *testing.T) {
	errInjected := errors.New("injected")
	for _, failSync := range []bool{false, true} {
		name := "write"
		if failSync {
			name = "sync"
		}
		t.Run(name, func(t *testing.T) {
			f := newTestFile()
			gate := make(chan struct{})
			f.gate = gate
			if failSync {
				f.syncErr = errInjected
			} else {
				f.writeErr = errInjected
			}
			w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncAlways})
			// Queue several appenders; the first write is held at the gate.
			const n = 10
			wts := make([]Waiter, n)
			for i := range wts {
				if err := w.Append([]byte("r"), false, &wts[i]); err != nil {
					t.Fatal(err)
				}
			}
			close(gate)
			for i := range wts {
				if err := wts[i].Wait(); !errors.Is(err, errInjected) {
					t.Fatalf("appender %d got %v", i, err)
				}
			}
			// Later appends fail at once, and their Wait returns the error.
			var wt Waiter
			if err := w.Append([]byte("late"), true, &wt); !errors.Is(err, errInjected) {
				t.Fatalf("later Append returned %v", err)
			}
			if err := wt.Wait(); !errors.Is(err, errInjected) {
				t.Fatalf("later Wait returned %v", err)
			}
			if err := w.Sync(); !errors.Is(err, errInjected) {
				t.Fatalf("Sync returned %v", err)
			}
			if err := w.Close(); !errors.Is(err, errInjected) {
				t.Fatalf("Close returned %v", err)
			}
			if !f.closed {
				t.Fatal("file not closed")
			}
		})
	}
}

// TestBackPressure holds writes at a gate and checks that appenders stop
// once the bound is pending, so a single write never carries much more.
func TestBackPressure(t *testing.T) {
	f := newTestFile()
	f.gate = make(chan struct{})
	w := NewWriter(f, 1, WriterOptions{SyncPolicy: SyncNo})
	const recSize, n = 256 << 10, 64 // 16 MiB in all
	done := make(chan error, 1)
	go func() {
		rec := make([]byte, recSize)
		for range n {
			if err := w.Append(rec, false, nil); err != nil {
				done <- err
				return
			}
		}
		done <- w.Close()
	}()
	// Let writes through one at a time until the producer is finished.
	for {
		select {
		case f.gate <- struct{}{}:
			continue
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		}
		break
	}
	if limit := maxPending + 2*recSize; f.maxWrite > limit {
		t.Fatalf("a write carried %d bytes, more than the bound %d", f.maxWrite, limit)
	}
	res := readLog(f.bytes(), 1)
	if res.err != io.EOF || len(res.records) != n {
		t.Fatalf("read %d records, err %v", len(res.records), res.err)
	}
	if !bytes.Equal(res.records[n-1], make([]byte, recSize)) {
		t.Fatal("last record differs")
	}
}

func TestAppendAllocs(t *testing.T) {
	w := NewWriter(discardFile{}, 1, WriterOptions{SyncPolicy: SyncNo})
	defer w.Close()
	p := make([]byte, 100)
	var wt Waiter
	appendOne := func() {
		if err := w.Append(p, false, &wt); err != nil {
			t.Fatal(err)
		}
		if err := wt.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	for range 1000 { // warm up both buffers
		appendOne()
	}
	if a := testing.AllocsPerRun(1000, appendOne); a > 0 {
		t.Fatalf("%.2f allocations per Append", a)
	}
}
