package vfs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
)

// fsCase is one filesystem under the shared suite, with the directory the
// tests work in.
type fsCase struct {
	name string
	fs   FS
	dir  string
}

func fsCases(t *testing.T) []fsCase {
	return []fsCase{
		{"os", Default, t.TempDir()},
		{"mem", NewMem(), "/work"},
	}
}

// forEachFS runs the test body against every FS implementation.
func forEachFS(t *testing.T, body func(t *testing.T, fs FS, dir string)) {
	for _, c := range fsCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fs.MkdirAll(c.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			body(t, c.fs, c.dir)
		})
	}
}

func writeFile(t *testing.T, fs FS, name, content string) {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write([]byte(content)); err != nil || n != len(content) {
		t.Fatalf("write %s: %d %v", name, n, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, fs FS, name string) string {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func list(t *testing.T, fs FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestFSCreateWriteRead(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := fs.PathJoin(dir, "000001.log")
		f, err := fs.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"hello ", "world", ""} {
			if _, err := f.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := f.Stat()
		if err != nil || fi.Size() != 11 || fi.Name() != "000001.log" || fi.IsDir() {
			t.Fatalf("file stat: %v %v", fi, err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err == nil {
			t.Error("second Close succeeded")
		}

		if got := readFile(t, fs, name); got != "hello world" {
			t.Fatalf("read %q", got)
		}
		fi, err = fs.Stat(name)
		if err != nil || fi.Size() != 11 || fi.Name() != "000001.log" {
			t.Fatalf("stat: %v %v", fi, err)
		}

		// ReadAt, including short reads at the end.
		r, err := fs.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, tc := range []struct {
			off  int64
			n    int
			want string
			eof  bool
		}{
			{0, 5, "hello", false},
			{6, 5, "world", false},
			{6, 10, "world", true},
			{11, 1, "", true},
			{20, 1, "", true},
		} {
			buf := make([]byte, tc.n)
			n, err := r.ReadAt(buf, tc.off)
			if string(buf[:n]) != tc.want || (err == io.EOF) != tc.eof || (err != nil && err != io.EOF) {
				t.Errorf("ReadAt(%d, %d) = %q, %v; want %q eof=%v", tc.off, tc.n, buf[:n], err, tc.want, tc.eof)
			}
		}
		// A read-only handle refuses writes.
		if _, err := r.Write([]byte("x")); err == nil {
			t.Error("write on read-only handle succeeded")
		}

		// Create truncates an existing file.
		writeFile(t, fs, name, "new")
		if got := readFile(t, fs, name); got != "new" {
			t.Fatalf("after truncate: %q", got)
		}
	})
}

func TestFSNotExist(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		missing := fs.PathJoin(dir, "missing")
		for name, fn := range map[string]func() error{
			"Open":      func() error { _, err := fs.Open(missing); return err },
			"OpenDir":   func() error { _, err := fs.OpenDir(missing); return err },
			"Stat":      func() error { _, err := fs.Stat(missing); return err },
			"List":      func() error { _, err := fs.List(missing); return err },
			"Remove":    func() error { return fs.Remove(missing) },
			"Rename":    func() error { return fs.Rename(missing, missing+"2") },
			"Link":      func() error { return fs.Link(missing, missing+"2") },
			"CreateSub": func() error { _, err := fs.Create(fs.PathJoin(missing, "x")); return err },
		} {
			if err := fn(); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %v, want ErrNotExist", name, err)
			}
		}
		if err := fs.RemoveAll(missing); err != nil {
			t.Errorf("RemoveAll of a missing name: %v", err)
		}
	})
}

func TestFSRenameLinkRemoveList(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		p := func(name string) string { return fs.PathJoin(dir, name) }
		writeFile(t, fs, p("b"), "bee")
		writeFile(t, fs, p("a"), "ay")
		writeFile(t, fs, p("CURRENT.000003.dbtmp"), "MANIFEST-000003\n")
		writeFile(t, fs, p("CURRENT"), "MANIFEST-000001\n")
		if got, want := list(t, fs, dir), []string{"CURRENT", "CURRENT.000003.dbtmp", "a", "b"}; !slices.Equal(got, want) {
			t.Fatalf("list %v, want %v", got, want)
		}

		// Rename replaces the target.
		if err := fs.Rename(p("CURRENT.000003.dbtmp"), p("CURRENT")); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, fs, p("CURRENT")); got != "MANIFEST-000003\n" {
			t.Fatalf("CURRENT = %q", got)
		}
		if got, want := list(t, fs, dir), []string{"CURRENT", "a", "b"}; !slices.Equal(got, want) {
			t.Fatalf("list %v, want %v", got, want)
		}

		// Link shares content and survives removal of the old name.
		if err := fs.MkdirAll(p("checkpoint/sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := fs.Link(p("a"), p("checkpoint/a")); err != nil {
			t.Fatal(err)
		}
		if err := fs.Link(p("b"), p("checkpoint/a")); !errors.Is(err, os.ErrExist) {
			t.Errorf("link onto an existing name: %v", err)
		}
		if err := fs.Remove(p("a")); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, fs, p("checkpoint/a")); got != "ay" {
			t.Fatalf("linked file = %q", got)
		}
		if got, want := list(t, fs, p("checkpoint")), []string{"a", "sub"}; !slices.Equal(got, want) {
			t.Fatalf("list %v, want %v", got, want)
		}

		// Directories: stat, non-empty removal refused, RemoveAll.
		if fi, err := fs.Stat(p("checkpoint")); err != nil || !fi.IsDir() {
			t.Fatalf("stat dir: %v %v", fi, err)
		}
		if err := fs.Remove(p("checkpoint")); err == nil {
			t.Error("removed a non-empty directory")
		}
		if _, err := fs.OpenDir(p("b")); err == nil {
			t.Error("OpenDir on a file succeeded")
		}
		d, err := fs.OpenDir(p("checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if err := fs.RemoveAll(p("checkpoint")); err != nil {
			t.Fatal(err)
		}
		if got, want := list(t, fs, dir), []string{"CURRENT", "b"}; !slices.Equal(got, want) {
			t.Fatalf("list %v, want %v", got, want)
		}
		if err := fs.Remove(p("b")); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Stat(p("b")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stat removed file: %v", err)
		}
	})
}

func TestFSLock(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := fs.PathJoin(dir, "LOCK")
		l1, err := fs.Lock(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if l2, err := fs.Lock(name); !errors.Is(err, ErrLocked) {
				if l2 != nil {
					l2.Close()
				}
				t.Fatalf("second Lock: %v, want ErrLocked", err)
			}
		}
		// Another lock file is independent.
		other, err := fs.Lock(fs.PathJoin(dir, "OTHER"))
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l1.Close(); err != nil {
			t.Fatal(err)
		}
		l3, err := fs.Lock(name)
		if err != nil {
			t.Fatalf("re-lock after Close: %v", err)
		}
		if err := l3.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFSPaths(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		p := fs.PathJoin("a", "b", "c.sst")
		if fs.PathBase(p) != "c.sst" || fs.PathDir(p) != fs.PathJoin("a", "b") {
			t.Errorf("%q: base %q dir %q", p, fs.PathBase(p), fs.PathDir(p))
		}
	})
}

func TestFSLargeSequentialWrite(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := fs.PathJoin(dir, "big")
		f, err := fs.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		for i := 0; i < 1000; i++ {
			chunk := bytes.Repeat([]byte{byte(i)}, i%97+1)
			want.Write(chunk)
			if _, err := f.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, fs, name); got != want.String() {
			t.Fatalf("content differs: %d bytes, want %d", len(got), want.Len())
		}
	})
}

// TestFSWriteAt: WriteAt writes at its offset and leaves the file offset
// where Write left it; a gap past the end reads as zeros. (The WAL writes
// zeros ahead of its end this way, WriterOptions.ZeroAhead.)
func TestFSWriteAt(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := fs.PathJoin(dir, "000002.log")
		f, err := fs.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		wa, ok := f.(io.WriterAt)
		if !ok {
			t.Fatal("a created file is not an io.WriterAt")
		}
		if _, err := f.Write([]byte("head")); err != nil {
			t.Fatal(err)
		}
		if n, err := wa.WriteAt([]byte("tail"), 8); n != 4 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		// Write goes on at the file offset (4), over the gap's start.
		if _, err := f.Write([]byte("ab")); err != nil {
			t.Fatal(err)
		}
		if n, err := wa.WriteAt([]byte("X"), 0); n != 1 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		if _, err := wa.WriteAt([]byte("x"), -1); err == nil {
			t.Error("WriteAt at a negative offset succeeded")
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, fs, name), "Xeadab\x00\x00tail"; got != want {
			t.Fatalf("read %q, want %q", got, want)
		}
		r, err := fs.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.(io.WriterAt).WriteAt([]byte("x"), 0); err == nil {
			t.Error("WriteAt on a read-only handle succeeded")
		}
	})
}
