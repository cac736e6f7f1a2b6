package lsm

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/sstable"
)

// TestBottommostCompression checks that compactions write the bottommost
// level with Options.BottommostCompression (by default Compression) and
// the levels above with Compression, and that every table reads back.
func TestBottommostCompression(t *testing.T) {
	for _, tc := range []struct {
		bottom sstable.Compression
		want   string // the bottom tables' compression property
	}{
		{sstable.DefaultCompression, sstable.FastCompression.String()},
		{sstable.ZstdCompression, sstable.ZstdCompression.String()},
	} {
		t.Run(tc.want, func(t *testing.T) {
			fs := vfs.NewMem()
			d := openMem(t, fs, &Options{MemTableSize: 64 << 10, BottommostCompression: tc.bottom})
			defer d.Close()
			for i := range 3000 {
				if err := d.Set(fmt.Appendf(nil, "key%05d", i), fmt.Appendf(nil, "value %d of a compressible kind", i), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Compact(nil, nil); err != nil {
				t.Fatal(err)
			}
			rs := d.loadReadState()
			defer rs.unref()
			bottom := rs.version.levels[numLevels-1]
			if len(bottom) == 0 {
				t.Fatalf("no table in the bottom level after a full compaction:\n%s", d.Metrics())
			}
			for _, f := range bottom {
				name := fs.PathJoin("db", base.MakeFilename(base.FileTypeTable, f.FileNum))
				file, err := fs.Open(name)
				if err != nil {
					t.Fatal(err)
				}
				r, err := sstable.NewReader(file, sstable.ReaderOptions{FileNum: f.FileNum, Comparer: base.DefaultComparer})
				if err != nil {
					t.Fatal(err)
				}
				got := r.Properties().Compression
				r.Close()
				if got != tc.want {
					t.Errorf("bottom table %s written with %q, want %q", f.FileNum, got, tc.want)
				}
			}
			for _, k := range []int{0, 1234, 2999} {
				if got, want := mustGet(t, d, fmt.Sprintf("key%05d", k)), fmt.Sprintf("value %d of a compressible kind", k); got != want {
					t.Fatalf("key%05d = %q", k, got)
				}
			}
		})
	}
}
