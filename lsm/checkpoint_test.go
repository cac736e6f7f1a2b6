package lsm

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
)

func TestCheckpoint(t *testing.T) {
	for _, name := range []string{"os", "mem"} {
		t.Run(name, func(t *testing.T) {
			var fs vfs.FS = vfs.NewMem()
			dir, cp := "db", "cp"
			if name == "os" {
				fs = vfs.Default
				dir, cp = t.TempDir()+"/db", t.TempDir()+"/cp"
			}
			d, err := Open(dir, &Options{FS: fs, MemTableSize: 64 << 10, L0CompactionThreshold: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for i := 0; i < 3000; i++ {
				d.Set(fmt.Appendf(nil, "k%05d", i), fmt.Appendf(nil, "v%d", i), nil)
			}
			d.DeleteRange([]byte("k01000"), []byte("k02000"), nil)
			if err := d.Checkpoint(cp); err != nil {
				t.Fatal(err)
			}
			if err := d.Checkpoint(cp); err == nil {
				t.Fatal("a second checkpoint into the same directory succeeded")
			}
			// Writes after the checkpoint do not reach it.
			d.Set([]byte("after"), []byte("x"), nil)
			for i := 0; i < 3000; i += 7 {
				d.Set(fmt.Appendf(nil, "k%05d", i), []byte("changed"), nil)
			}
			d.Compact(nil, nil)
			c, err := Open(cp, &Options{FS: fs, ErrorIfNotExists: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := 0; i < 3000; i++ {
				want := fmt.Sprintf("v%d", i)
				if i >= 1000 && i < 2000 {
					want = "<nil>"
				}
				if got := mustGet(t, c, fmt.Sprintf("k%05d", i)); got != want {
					t.Fatalf("checkpoint k%05d = %q, want %q", i, got, want)
				}
			}
			if got := mustGet(t, c, "after"); got != "<nil>" {
				t.Fatalf("checkpoint sees a later write: %q", got)
			}
			// The checkpoint is a DB of its own: writable, independent.
			if err := c.Set([]byte("own"), []byte("1"), Sync); err != nil {
				t.Fatal(err)
			}
			if got := mustGet(t, d, "own"); got != "<nil>" {
				t.Fatalf("the source DB sees the checkpoint's write")
			}
		})
	}
}
