package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/wal"
)

// TestTimedWALSyncErrorIsSticky: under WALSyncEverySec the WAL is synced by
// a timer that no commit waits for. When that sync fails the DB must turn
// read-only at once, with the cause, although no write is in flight (it
// used to stay writable-looking until the next write met the WAL's error).
func TestTimedWALSyncErrorIsSticky(t *testing.T) {
	mem := vfs.NewMem()
	fault := errorfs.NewToggle(syscall.EIO, func(op errorfs.Op, path string) bool {
		return op == errorfs.OpSync && strings.HasSuffix(path, ".log")
	})
	var d *DB
	for attempt := 0; ; attempt++ {
		var err error
		d, err = Open("db", &Options{FS: errorfs.Wrap(mem, fault), WALMode: WALSyncEverySec, WALSyncInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		fault.On()
		// Acknowledged once written; its sync is left to the timer. When
		// the timer fires in the same flusher pass the Set waits for, the
		// Set itself gets the error: not the case under test, so retry.
		err = d.Set([]byte("k"), []byte("v"), nil)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EIO) || attempt == 10 {
			t.Fatalf("Set (written, sync pending): %v", err)
		}
		fault.Off()
		d.Close()
		mem = vfs.NewMem()
	}
	defer d.Close()
	deadline := time.Now().Add(10 * time.Second)
	for d.BackgroundError() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no background error 10 s after a failed timed sync (%d syncs failed)", fault.Injected())
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
	bg := d.BackgroundError()
	if !errors.Is(bg, ErrReadOnly) || !errors.Is(bg, syscall.EIO) {
		t.Fatalf("background error %v: want ErrReadOnly with EIO", bg)
	}
	if m := d.Metrics(); m.BackgroundError == nil {
		t.Fatal("Metrics does not report the background error")
	}
	if err := d.Set([]byte("k2"), []byte("v"), nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write after the failed sync: %v, want ErrReadOnly", err)
	}
	if v, err := d.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("Get on the read-only DB: %q %v", v, err)
	}
}

// bufFile is a wal.File in memory.
type bufFile struct{ bytes.Buffer }

func (*bufFile) Sync() error  { return nil }
func (*bufFile) Close() error { return nil }

// TestRecoverTornRecordHoldingAChunk: a client value that holds a valid
// chunk of the WAL it is written to (here, on purpose) and a write cut
// short in the middle of its record, as kill -9 or ENOSPC can leave it.
// The tail is torn, not corrupt: the DB must open with everything before
// the record (the reader used to take the embedded chunk for data written
// after the damage and refuse to open).
func TestRecoverTornRecordHoldingAChunk(t *testing.T) {
	mem := vfs.NewMem()
	d := openMem(t, mem, &Options{WALMode: WALSyncAlways})
	if err := d.Set([]byte("before"), []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	d.commit.mu.Lock()
	logNum := d.commit.logNum
	d.commit.mu.Unlock()
	// A record of this log, framed by the WAL writer itself.
	var forged bufFile
	w := wal.NewWriter(&forged, logNum, wal.WriterOptions{})
	if err := w.Append([]byte("forged record"), true, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	value := append(append([]byte("prefix:"), forged.Bytes()...), bytes.Repeat([]byte("z"), 100)...)
	if err := d.Set([]byte("torn"), value, nil); err != nil {
		t.Fatal(err)
	}
	name := "db/" + base.MakeFilename(base.FileTypeLog, logNum)
	data, err := vfs.ReadFile(mem, name)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, forged.Bytes())
	if at < 0 {
		t.Fatal("the value is not in the WAL")
	}
	crashed := mem.CrashClone(vfs.CrashCloneOptions{UnsyncedDataPercent: 100})
	d.Close()
	// The write stopped just after the embedded chunk.
	if err := vfs.WriteFile(crashed, name, data[:at+forged.Len()+10]); err != nil {
		t.Fatal(err)
	}
	d2, err := Open("db", &Options{FS: crashed, WALMode: WALSyncAlways})
	if err != nil {
		t.Fatalf("open after a torn record holding a chunk: %v", err)
	}
	defer d2.Close()
	if v, err := d2.Get([]byte("before")); err != nil || string(v) != "v" {
		t.Fatalf("Get before: %q %v", v, err)
	}
	if _, err := d2.Get([]byte("torn")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of the torn record: %v, want ErrNotFound", err)
	}
}

// TestBackgroundCompactionDiskFull: the disk fills up while a compaction
// that nobody waits for (triggered by L0 files) writes its output. The DB
// must turn read-only with the compaction and ENOSPC named in its error,
// keep serving every acknowledged write, and reopen with all of them once
// space is back. TestCompactionIOErrors covers every operation of a
// manual compaction; this is the automatic one.
func TestBackgroundCompactionDiskFull(t *testing.T) {
	const pad, flushes = 200, 4
	mem := vfs.NewMem()
	var creates atomic.Int64
	full := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		if !strings.HasSuffix(path, ".sst") || (op != errorfs.OpCreate && op != errorfs.OpWrite) {
			return nil
		}
		if op == errorfs.OpCreate && creates.Add(1) <= flushes {
			return nil // the flushes' tables
		}
		if creates.Load() > flushes {
			return errorfs.NewError(op, path, syscall.ENOSPC)
		}
		return nil
	})
	d := openMem(t, errorfs.Wrap(mem, full), &Options{WALMode: WALSyncAlways, MemTableSize: 64 << 10, L0CompactionThreshold: flushes})
	acked := map[string]bool{}
	for f := 0; f < flushes; f++ {
		for bid, ok := range writeFaultBatches(t, d, fmt.Sprintf("f%d", f), 20, pad, Sync) {
			acked[bid] = ok
		}
		// The last flush may already report the compaction it triggers.
		if err := d.Flush(); err != nil && (f < flushes-1 || !errors.Is(err, syscall.ENOSPC)) {
			t.Fatalf("flush %d: %v", f, err)
		}
	}
	// The last flush made L0 reach the trigger: a compaction runs in the
	// background and meets the full disk. Polling with a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for d.BackgroundError() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no background error (%d table creates)", creates.Load())
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
	bg := d.BackgroundError()
	if !errors.Is(bg, ErrReadOnly) || !errors.Is(bg, syscall.ENOSPC) || !strings.Contains(bg.Error(), "compaction") {
		t.Fatalf("background error %q: want ErrReadOnly naming the compaction and ENOSPC", bg)
	}
	if err := d.Set([]byte("x"), []byte("y"), Sync); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write after the failed compaction: %v", err)
	}
	st := readFaultState(t, d, pad, func(bid string) bool { return acked[bid] })
	requireBatches(t, st, acked, "reads after the failed compaction")
	_ = d.Close() // returns the sticky error
	d2 := openMem(t, mem, &Options{WALMode: WALSyncAlways, MemTableSize: 64 << 10})
	defer d2.Close()
	st = readFaultState(t, d2, pad, func(bid string) bool { return acked[bid] })
	requireBatches(t, st, acked, "after reopening with space back")
}
