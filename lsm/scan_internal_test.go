package lsm

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

// TestScanInternalSeesWhatCompactionReclaims: entries hidden by a range
// tombstone stay physically present (ScanInternal reports them) until a
// compaction drops them, and the metrics count what was dropped.
func TestScanInternalSeesWhatCompactionReclaims(t *testing.T) {
	o := quietOptions(vfs.NewMem())
	d := openMem(t, o.FS, o)
	defer d.Close()
	for i := range 100 {
		d.Set(fmt.Appendf(nil, "k%03d", i), []byte("value"), nil)
	}
	d.Set([]byte("k050"), []byte("newer"), nil)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteRange([]byte("k000"), []byte("k090"), nil); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		err := d.ScanInternal(nil, nil, func(k []byte, seq uint64, kind EntryKind, v []byte) error {
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 101 {
		t.Fatalf("before compaction: %d entries, want 101 (all versions)", n)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 10 {
		t.Fatalf("after compaction: %d entries, want the 10 live ones", n)
	}
	m := d.Metrics()
	// k050's older version is dropped as shadowed, not by the tombstone.
	if m.Compact.RangeDelDropped != 90 || m.Compact.RangeDelDroppedBytes != 90*(4+5) {
		t.Fatalf("dropped %d entries, %d bytes", m.Compact.RangeDelDropped, m.Compact.RangeDelDroppedBytes)
	}
}
