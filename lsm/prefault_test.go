//go:build linux

package lsm

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/strata-db/strata/internal/vfs"
)

// waitPrefaulted waits until no memtable prefault runs.
func waitPrefaulted(d *DB) {
	for d.prefaultRunning.Load() {
		time.Sleep(time.Millisecond)
	}
}

// residentPages counts the pages of b that are in memory (mincore).
func residentPages(t *testing.T, b []byte) (resident, total int) {
	t.Helper()
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return 0, 0
	}
	vec := make([]byte, (hi-lo)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	runtime.KeepAlive(b)
	for _, v := range vec {
		if v&1 != 0 {
			resident++
		}
	}
	return resident, len(vec)
}

// TestPrefaultFollowsWriters: the pages of the mutable memtable's arena
// are resident up to prefaultLead/2 to prefaultLead past its writers,
// no further, and the
// data written there is intact.
func TestPrefaultFollowsWriters(t *testing.T) {
	d := openMem(t, vfs.NewMem(), &Options{MemTableSize: 32 << 20})
	defer d.Close()
	value := strings.Repeat("v", 1000)
	n := 0
	for _, batch := range []int{100, 3000, 6000} {
		for range batch {
			if err := d.Set(fmt.Appendf(nil, "k%06d", n), []byte(value), nil); err != nil {
				t.Fatal(err)
			}
			n++
		}
		waitPrefaulted(d)
		if d.prefaultOff.Load() {
			t.Skip("this kernel has no MADV_POPULATE_WRITE (Linux 5.14)")
		}
		d.mu.Lock()
		m := d.mu.mem.mutable
		d.mu.Unlock()
		size, end := uint64(m.Size()), m.prefaulted.Load()
		// A write that finds fewer than prefaultLead/2 bytes resident
		// ahead starts a prefault up to prefaultLead ahead (each write
		// tries: one that finds d.mu busy leaves it to the next).
		if end < size+prefaultLead/2 || end > size+prefaultLead {
			t.Fatalf("after %d writes: %d bytes used, prefaulted to %d, want %d to %d",
				n, size, end, size+prefaultLead/2, size+prefaultLead)
		}
		if res, total := residentPages(t, m.arena[:end]); res != total {
			t.Fatalf("after %d writes: %d of the %d pages before the prefaulted end are resident", n, res, total)
		}
	}
	for i := range n {
		if got := mustGet(t, d, fmt.Sprintf("k%06d", i)); got != value {
			t.Fatalf("k%06d = %.20q...", i, got)
		}
	}
}
