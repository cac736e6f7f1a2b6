package lsm

// Corruption tests: damaged WALs, tables, MANIFESTs and CURRENT files. A
// torn WAL tail is the normal result of a crash and recovery keeps every
// intact record before it; damage anywhere else is reported in the
// base.ErrCorruption class, never ignored and never returned as data.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/sstable"
	"github.com/strata-db/strata/wal"
)

// corruptFind returns the name of the only file in db of the given type
// with some content.
func corruptFind(t *testing.T, mem *vfs.MemFS, typ base.FileType) (string, base.FileNum) {
	t.Helper()
	names, err := mem.List("db")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	var num base.FileNum
	for _, name := range names {
		ft, n, ok := base.ParseFilename(name)
		if !ok || ft != typ {
			continue
		}
		if fi, err := mem.Stat("db/" + name); err != nil || fi.Size() == 0 {
			continue
		}
		found = append(found, name)
		num = n
	}
	if len(found) != 1 {
		t.Fatalf("want one non-empty file of type %v, found %v (%v)", typ, found, names)
	}
	return "db/" + found[0], num
}

// corruptRecordOffsets returns the offset of each record of an intact log.
func corruptRecordOffsets(t *testing.T, data []byte, num base.FileNum) []int64 {
	t.Helper()
	r := wal.NewReader(bytes.NewReader(data), num)
	var offs []int64
	for {
		_, err := r.Next()
		if err == io.EOF {
			return offs
		}
		if err != nil {
			t.Fatalf("reading the intact log: %v", err)
		}
		offs = append(offs, r.Offset())
	}
}

func corruptWrite(t *testing.T, mem *vfs.MemFS, name string, data []byte) {
	t.Helper()
	if err := vfs.WriteFile(mem, name, data); err != nil {
		t.Fatal(err)
	}
}

// corruptWALSetup writes n batches, one WAL record each, into a single WAL
// and closes the DB (leaving them in the WAL). Records of several KiB span
// log blocks.
func corruptWALSetup(t *testing.T, n int) (mem *vfs.MemFS, name string, data []byte, offs []int64, bids []string, pad int) {
	t.Helper()
	pad = 700
	mem = vfs.NewMem()
	d, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		bid := fmt.Sprintf("c.%04d", i)
		bids = append(bids, bid)
		if err := d.Apply(faultBatch(d, bid, pad), Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	name, num := corruptFind(t, mem, base.FileTypeLog)
	data, err = mem.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	offs = corruptRecordOffsets(t, data, num)
	if len(offs) != n {
		t.Fatalf("log holds %d records, want %d", len(offs), n)
	}
	if len(data) < 2*wal.BlockSize {
		t.Fatalf("log of %d bytes spans too few blocks", len(data))
	}
	return mem, name, data, offs, bids, pad
}

// TestCorruptionWALTail damages the end of the WAL as a crash can (cut
// inside a record, or the tail overwritten with zeros or garbage): reopen
// keeps exactly the records before the damage.
func TestCorruptionWALTail(t *testing.T) {
	const n = 60
	_, _, data, offs, bids, pad := corruptWALSetup(t, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, keep := range []int{0, 1, 17, 30, 45, n - 1} {
		cut := int(offs[keep]) + wal.HeaderSize + 1 + rng.IntN(100)
		for _, damage := range []string{"truncate", "zeros", "garbage"} {
			t.Run(fmt.Sprintf("keep=%d/%s", keep, damage), func(t *testing.T) {
				mem, name, _, _, _, _ := corruptWALSetup(t, n)
				bad := bytes.Clone(data[:cut])
				switch damage {
				case "zeros":
					bad = append(bad, make([]byte, len(data)-cut+wal.BlockSize)...)
				case "garbage":
					g := make([]byte, len(data)-cut+100)
					for i := range g {
						g[i] = byte(rng.IntN(256))
					}
					bad = append(bad, g...)
				}
				corruptWrite(t, mem, name, bad)
				want := map[string]bool{}
				for _, bid := range bids[:keep] {
					want[bid] = true
				}
				st := checkCrashClone(t, mem, Options{WALMode: WALSyncAlways}, pad, func(bid string) bool { return want[bid] }, want, "damaged tail")
				if len(st) != keep {
					t.Fatalf("%d batches recovered, want the %d before the damage", len(st), keep)
				}
			})
		}
	}
}

// TestCorruptionWALMiddle flips a byte of a record that has intact records
// after it: that is not a torn tail, and Open must fail with a corruption
// error, leaving the WAL in place for repair.
func TestCorruptionWALMiddle(t *testing.T) {
	const n = 40
	for _, tc := range []struct {
		name   string
		record int
		at     int // offset within the record's first chunk
	}{
		{"payload", 10, wal.HeaderSize + 20},
		{"checksum", 3, 1},
		{"length", 25, 4},
		{"first-record", 0, wal.HeaderSize + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem, name, data, offs, _, _ := corruptWALSetup(t, n)
			bad := bytes.Clone(data)
			bad[int(offs[tc.record])+tc.at] ^= 0x5a
			corruptWrite(t, mem, name, bad)
			_, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways})
			if err == nil {
				t.Fatal("Open succeeded over a corrupt WAL")
			}
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("Open: %v, want an ErrCorruption-class error", err)
			}
			if !strings.Contains(err.Error(), mem.PathBase(name)) {
				t.Fatalf("Open error %q does not name the WAL %s", err, name)
			}
			after, rerr := mem.ReadFile(name)
			if rerr != nil || !bytes.Equal(after, bad) {
				t.Fatalf("the failed Open changed or removed the corrupt WAL (%v)", rerr)
			}
			// A second attempt fails the same way: nothing was "repaired".
			if _, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways}); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("second Open: %v", err)
			}
		})
	}
}

// TestCorruptionTable flips a byte inside a data block of a table: a Get of
// a key in that block and an iterator across it must fail with a
// corruption error, never return garbage; other blocks stay readable.
func TestCorruptionTable(t *testing.T) {
	const n = 300
	key := func(i int) []byte { return fmt.Appendf(nil, "t/%04d", i) }
	val := func(i int) []byte { return fmt.Appendf(nil, "val-%04d-%s", i, strings.Repeat("v", 100)) }
	for _, target := range []string{"value", "key"} {
		t.Run(target, func(t *testing.T) {
			mem := vfs.NewMem()
			o := Options{FS: mem, WALMode: WALSyncAlways, Compression: sstable.NoCompression}
			d, err := Open("db", &o)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if err := d.Set(key(i), val(i), NoSync); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			name, _ := corruptFind(t, mem, base.FileTypeTable)
			data, err := mem.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// A key near the middle whose bytes are in the file: for a key,
			// one stored whole (at a restart point, not prefix-compressed).
			victim, at := 0, -1
			var needle []byte
			for victim = 200; victim < n && at < 0; victim++ {
				needle = val(victim)[:9]
				if target == "key" {
					needle = key(victim)
				}
				at = bytes.Index(data, needle)
			}
			victim--
			if at < 0 {
				t.Fatalf("no %s found in the (uncompressed) table", target)
			}
			data[at+len(needle)-1] ^= 0x01
			corruptWrite(t, mem, name, data)

			d, err = Open("db", &o)
			if err != nil {
				t.Fatalf("Open must not read data blocks: %v", err)
			}
			defer d.Close()
			v, err := d.Get(key(victim))
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("Get in the corrupt block: value %.20q, err %v; want an ErrCorruption-class error", v, err)
			}
			// The first block is intact.
			if v, err := d.Get(key(0)); err != nil || !bytes.Equal(v, val(0)) {
				t.Fatalf("Get in an intact block: %.20q, %v", v, err)
			}
			it, err := d.NewIter(nil)
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			for ok := it.First(); ok; ok = it.Next() {
				if !bytes.Equal(it.Key(), key(i)) || !bytes.Equal(it.Value(), val(i)) {
					t.Fatalf("iterator returned %q = %.20q at position %d: garbage", it.Key(), it.Value(), i)
				}
				i++
			}
			if i >= victim {
				t.Fatalf("iterator passed the corrupt block (reached %d)", i)
			}
			if err := it.Error(); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("iterator stopped at %d with %v; want an ErrCorruption-class error", i, err)
			}
			if err := it.Close(); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("iterator Close: %v", err)
			}
			// Seeking into the corrupt block fails too.
			it, err = d.NewIter(&IterOptions{LowerBound: key(victim)})
			if err != nil {
				t.Fatal(err)
			}
			if it.First() {
				t.Fatalf("iterator from the corrupt block returned %q", it.Key())
			}
			if err := it.Close(); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("bounded iterator Close: %v", err)
			}
		})
	}
}

// corruptManifestSetup makes a DB whose MANIFEST holds several records (a
// snapshot and one edit per flush) and closes it.
func corruptManifestSetup(t *testing.T) *vfs.MemFS {
	t.Helper()
	mem := vfs.NewMem()
	d, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	for f := 0; f < 3; f++ {
		writeFaultBatches(t, d, fmt.Sprintf("m%d", f), 10, 50, NoSync)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return mem
}

// TestCorruptionManifest damages the MANIFEST and CURRENT: Open must fail
// with an error that says what is wrong.
func TestCorruptionManifest(t *testing.T) {
	t.Run("record-in-the-middle", func(t *testing.T) {
		mem := corruptManifestSetup(t)
		name, num := corruptFind(t, mem, base.FileTypeManifest)
		data, err := mem.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		offs := corruptRecordOffsets(t, data, num)
		if len(offs) < 3 {
			t.Fatalf("MANIFEST has %d records, want several", len(offs))
		}
		for _, rec := range []int{0, 1} {
			bad := bytes.Clone(data)
			bad[int(offs[rec])+wal.HeaderSize+1] ^= 0xff
			corruptWrite(t, mem, name, bad)
			_, err := Open("db", &Options{FS: mem, WALMode: WALSyncAlways})
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("record %d damaged: Open: %v, want an ErrCorruption-class error", rec, err)
			}
			if !strings.Contains(err.Error(), "MANIFEST") {
				t.Fatalf("Open error %q does not name the MANIFEST", err)
			}
		}
		// Restored, the DB opens again with all its data.
		corruptWrite(t, mem, name, data)
		st := checkCrashClone(t, mem, Options{WALMode: WALSyncAlways}, 50, nil, nil, "restored MANIFEST")
		if len(st) != 30 {
			t.Fatalf("restored MANIFEST: %d batches, want 30", len(st))
		}
	})
	t.Run("current-names-missing-manifest", func(t *testing.T) {
		mem := corruptManifestSetup(t)
		corruptWrite(t, mem, "db/CURRENT", []byte("MANIFEST-999999\n"))
		_, err := Open("db", &Options{FS: mem})
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "MANIFEST-999999") {
			t.Fatalf("Open: %v; want a not-exist error naming MANIFEST-999999", err)
		}
	})
	t.Run("manifest-removed", func(t *testing.T) {
		mem := corruptManifestSetup(t)
		name, _ := corruptFind(t, mem, base.FileTypeManifest)
		if err := mem.Remove(name); err != nil {
			t.Fatal(err)
		}
		_, err := Open("db", &Options{FS: mem})
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), mem.PathBase(name)) {
			t.Fatalf("Open: %v; want a not-exist error naming %s", err, name)
		}
		// Open must not mistake the DB for a new one and wipe it.
		if _, err := mem.Stat("db/CURRENT"); err != nil {
			t.Fatalf("CURRENT is gone after the failed open: %v", err)
		}
	})
	for _, tc := range []struct{ name, current string }{
		{"current-garbage", "\x00\x01garbage"},
		{"current-empty", ""},
		{"current-names-a-wal", "000004.log\n"},
		{"current-two-lines", "MANIFEST-000001\nMANIFEST-000002\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := corruptManifestSetup(t)
			corruptWrite(t, mem, "db/CURRENT", []byte(tc.current))
			_, err := Open("db", &Options{FS: mem})
			if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "CURRENT") {
				t.Fatalf("Open: %v; want an ErrCorruption-class error about CURRENT", err)
			}
		})
	}
}
