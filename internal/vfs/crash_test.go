package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

var crashSeeds = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func memWrite(t *testing.T, fs *MemFS, name, content string, sync bool) File {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func syncDir(t *testing.T, fs FS, dir string) {
	t.Helper()
	d, err := fs.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

// content returns the file's content after a crash, or "<none>".
func content(t *testing.T, fs *MemFS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return "<none>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outcomes crashes fs with every seed and returns the set of results of
// observe, checking each against allowed.
func outcomes(t *testing.T, fs *MemFS, percent int, observe func(c *MemFS) string, allowed ...string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, seed := range crashSeeds {
		c := fs.CrashClone(CrashCloneOptions{Seed: seed, UnsyncedDataPercent: percent})
		got := observe(c)
		if !slices.Contains(allowed, got) {
			t.Fatalf("seed %d: outcome %q not in %q\nbefore crash:\n%s\nafter:\n%s", seed, got, allowed, fs, c)
		}
		seen[got] = true
	}
	return seen
}

func TestCrashNewFileWithoutDirSync(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, fs, "db/000001.log", "synced", true)
	seen := outcomes(t, fs, 100, func(c *MemFS) string { return content(t, c, "db/000001.log") }, "<none>", "synced")
	if len(seen) != 2 {
		t.Fatalf("expected the file both to vanish and to survive across seeds, saw %v", seen)
	}
}

func TestCrashNewFileWithDirSync(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	f := memWrite(t, fs, "db/000001.log", "synced", true)
	syncDir(t, fs, "db")
	if _, err := f.Write([]byte("+tail")); err != nil {
		t.Fatal(err)
	}
	// Percent 0: exactly the synced data.
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "db/000001.log") }, "synced")
	// Percent 100: everything.
	outcomes(t, fs, 100, func(c *MemFS) string { return content(t, c, "db/000001.log") }, "synced+tail")
	// In between: a prefix of the tail, bounded by the percentage.
	seen := outcomes(t, fs, 60, func(c *MemFS) string { return content(t, c, "db/000001.log") },
		"synced", "synced+", "synced+t", "synced+ta", "synced+tai") // 60% of 5 bytes = 3 at most
	for s := range seen {
		if len(s) > len("synced+ta") {
			t.Errorf("kept more than 60%% of the tail: %q", s)
		}
	}
	if len(seen) < 2 {
		t.Errorf("no variety in torn tails: %v", seen)
	}
	// The original is untouched by cloning and keeps working.
	if _, err := f.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	if got := content(t, fs, "db/000001.log"); got != "synced+tail!" {
		t.Fatalf("original = %q", got)
	}
}

func TestCrashUnsyncedFileContent(t *testing.T) {
	fs := NewMem()
	memWrite(t, fs, "x", "never synced", false)
	syncDir(t, fs, "/")
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "x") }, "")
}

func TestCrashRenameIsAtomicPerDirectory(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, fs, "db/CURRENT", "MANIFEST-1", true)
	memWrite(t, fs, "db/CURRENT.2.dbtmp", "MANIFEST-2", true)
	syncDir(t, fs, "db")
	// The rename is not yet durable: either state, never a mix (both names,
	// or no name at all).
	if err := fs.Rename("db/CURRENT.2.dbtmp", "db/CURRENT"); err != nil {
		t.Fatal(err)
	}
	observe := func(c *MemFS) string {
		return fmt.Sprintf("%v CURRENT=%s", list(t, c, "db"), content(t, c, "db/CURRENT"))
	}
	before := "[CURRENT CURRENT.2.dbtmp] CURRENT=MANIFEST-1"
	after := "[CURRENT] CURRENT=MANIFEST-2"
	if seen := outcomes(t, fs, 50, observe, before, after); len(seen) != 2 {
		t.Fatalf("saw only %v", seen)
	}
	syncDir(t, fs, "db")
	outcomes(t, fs, 50, observe, after)
}

func TestCrashRemoveWithoutDirSync(t *testing.T) {
	fs := NewMem()
	memWrite(t, fs, "old.sst", "table", true)
	syncDir(t, fs, "/")
	if err := fs.Remove("old.sst"); err != nil {
		t.Fatal(err)
	}
	// The removal may be undone; the file comes back with its content.
	seen := outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "old.sst") }, "<none>", "table")
	if len(seen) != 2 {
		t.Fatalf("saw only %v", seen)
	}
	syncDir(t, fs, "/")
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "old.sst") }, "<none>")
}

func TestCrashDirectoriesIndependent(t *testing.T) {
	fs := NewMem()
	for _, d := range []string{"a", "b"} {
		if err := fs.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		memWrite(t, fs, d+"/f", d, true)
	}
	seen := outcomes(t, fs, 0, func(c *MemFS) string {
		return content(t, c, "a/f") + "," + content(t, c, "b/f")
	}, "a,b", "<none>,b", "a,<none>", "<none>,<none>")
	if len(seen) < 3 {
		t.Fatalf("directories do not look independent: %v", seen)
	}
	// A rename across directories can be half applied: each directory
	// decides alone, as on a real filesystem.
}

func TestCrashHardLinksShareContent(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fs.MkdirAll("ckpt", 0o755); err != nil {
		t.Fatal(err)
	}
	f := memWrite(t, fs, "db/1.sst", "abc", true)
	syncDir(t, fs, "db")
	if err := fs.Link("db/1.sst", "ckpt/1.sst"); err != nil {
		t.Fatal(err)
	}
	syncDir(t, fs, "ckpt")
	if _, err := f.Write([]byte("defghijklmnop")); err != nil {
		t.Fatal(err)
	}
	for _, seed := range crashSeeds {
		c := fs.CrashClone(CrashCloneOptions{Seed: seed, UnsyncedDataPercent: 50})
		a, b := content(t, c, "db/1.sst"), content(t, c, "ckpt/1.sst")
		if a != b || !strings.HasPrefix(a, "abc") {
			t.Fatalf("seed %d: links differ or lost synced data: %q %q", seed, a, b)
		}
		// Still one inode after the crash.
		g, err := c.Create("db/1.sst")
		if err != nil {
			t.Fatal(err)
		}
		g.Write([]byte("z"))
		if got := content(t, c, "ckpt/1.sst"); got != "z" {
			t.Fatalf("seed %d: link broken after crash: %q", seed, got)
		}
	}
}

func TestCrashRewrittenFile(t *testing.T) {
	fs := NewMem()
	memWrite(t, fs, "OPTIONS", "old options", true)
	syncDir(t, fs, "/")
	// Create on an existing name truncates: the old content stays durable
	// until the next Sync.
	memWrite(t, fs, "OPTIONS", "new", false)
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "OPTIONS") }, "old options")
	outcomes(t, fs, 100, func(c *MemFS) string { return content(t, c, "OPTIONS") }, "new")
	seen := outcomes(t, fs, 50, func(c *MemFS) string { return content(t, c, "OPTIONS") }, "old options", "new")
	if len(seen) != 2 {
		t.Fatalf("saw only %v", seen)
	}
}

func TestCrashNestedDirectoryReverted(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	syncDir(t, fs, "/")
	// A checkpoint directory renamed into place without syncing the parent.
	if err := fs.MkdirAll("tmp-ckpt", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, fs, "tmp-ckpt/MANIFEST", "m", true)
	syncDir(t, fs, "tmp-ckpt")
	if err := fs.Rename("tmp-ckpt", "ckpt"); err != nil {
		t.Fatal(err)
	}
	seen := outcomes(t, fs, 0, func(c *MemFS) string {
		return fmt.Sprintf("%v %s %s", list(t, c, "/"), content(t, c, "tmp-ckpt/MANIFEST"), content(t, c, "ckpt/MANIFEST"))
	}, "[db tmp-ckpt] m <none>", "[ckpt db] <none> m")
	if len(seen) != 2 {
		t.Fatalf("saw only %v", seen)
	}
}

func TestCrashCloneDeterministic(t *testing.T) {
	fs := NewMem()
	for i := range 20 {
		dir := fmt.Sprintf("d%d", i%4)
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f := memWrite(t, fs, fmt.Sprintf("%s/%06d.log", dir, i), strings.Repeat("x", 10*i), i%3 == 0)
		f.Write(bytes.Repeat([]byte("y"), 50))
		if i%5 == 0 {
			syncDir(t, fs, dir)
		}
	}
	distinct := map[string]bool{}
	for _, seed := range crashSeeds {
		opts := CrashCloneOptions{Seed: seed, UnsyncedDataPercent: 70}
		a, b := fs.CrashClone(opts).String(), fs.CrashClone(opts).String()
		if a != b {
			t.Fatalf("seed %d: clones differ:\n%s\nvs\n%s", seed, a, b)
		}
		distinct[a] = true
	}
	if len(distinct) < len(crashSeeds)/2 {
		t.Errorf("only %d distinct clones over %d seeds", len(distinct), len(crashSeeds))
	}
}

func TestCrashCloneIndependentAndUnlocked(t *testing.T) {
	fs := NewMem()
	l, err := fs.Lock("LOCK")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	syncDir(t, fs, "/")
	c := fs.CrashClone(CrashCloneOptions{Seed: 1})
	l2, err := c.Lock("LOCK")
	if err != nil {
		t.Fatalf("lock held in clone: %v", err)
	}
	l2.Close()
	memWrite(t, c, "only-in-clone", "x", true)
	if _, err := fs.Stat("only-in-clone"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("clone leaks into original: %v", err)
	}
	// Everything in the clone is durable: a second crash changes nothing
	// that was there after the first.
	syncDir(t, c, "/")
	want := c.String()
	if got := c.CrashClone(CrashCloneOptions{Seed: 9}).String(); got != want {
		t.Fatalf("second crash changed a durable clone:\n%s\nvs\n%s", got, want)
	}
}

// TestMemFSConcurrent exercises MemFS under the race detector: writers,
// ReadAt readers, listings and crash clones at once.
func TestMemFSConcurrent(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("db/%d.log", w)
			f, err := fs.Create(name)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			r, err := fs.Open(name)
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			buf := make([]byte, 8)
			for i := range 200 {
				f.Write([]byte("abcdefgh"))
				if i%10 == 0 {
					f.Sync()
				}
				if n, _ := r.ReadAt(buf, int64(i*8)); n != 8 || string(buf) != "abcdefgh" {
					t.Errorf("ReadAt at %d: %q", i*8, buf[:n])
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			fs.List("db")
			fs.CrashClone(CrashCloneOptions{Seed: int64(i), UnsyncedDataPercent: 50})
			_ = fs.String()
		}
	}()
	wg.Wait()
}

func TestMemFSString(t *testing.T) {
	fs := NewMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, fs, "db/old", "", true)
	syncDir(t, fs, "db")
	fs.Remove("db/old")
	f := memWrite(t, fs, "db/000001.log", "0123456789", true)
	f.Write([]byte("ab"))
	want := "/\n  db/ (unsynced entries; durable before: old)\n    000001.log 12 bytes, 10 synced\n"
	if got := fs.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCrashZerosWrittenAhead: zeros written past a file's end with WriteAt
// are an unsynced tail like any other until a Sync; a later write over
// them once synced is a rewrite (the whole file, durable or current).
func TestCrashZerosWrittenAhead(t *testing.T) {
	fs := NewMem()
	f := memWrite(t, fs, "1.log", "rec1", true)
	syncDir(t, fs, "/")
	if _, err := f.(io.WriterAt).WriteAt(make([]byte, 4), 4); err != nil {
		t.Fatal(err)
	}
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "1.log") }, "rec1")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "1.log") }, "rec1\x00\x00\x00\x00")
	if _, err := f.Write([]byte("rec2")); err != nil { // the file offset is 4
		t.Fatal(err)
	}
	seen := outcomes(t, fs, 50, func(c *MemFS) string { return content(t, c, "1.log") }, "rec1\x00\x00\x00\x00", "rec1rec2")
	if len(seen) != 2 {
		t.Fatalf("saw only %v", seen)
	}
}
