package lsm

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
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
	d, err := Open("db", &Options{FS: errorfs.Wrap(mem, fault), WALMode: WALSyncEverySec, WALSyncInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fault.On()
	if err := d.Set([]byte("k"), []byte("v"), nil); err != nil {
		t.Fatalf("Set (written, sync pending): %v", err)
	}
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
