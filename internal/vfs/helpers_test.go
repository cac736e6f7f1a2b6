package vfs

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

func TestHelpers(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := fs.PathJoin(dir, "CURRENT")
		if err := WriteFile(fs, name, []byte("MANIFEST-000001\n")); err != nil {
			t.Fatal(err)
		}
		if err := SyncDir(fs, dir); err != nil {
			t.Fatal(err)
		}
		b, err := ReadFile(fs, name)
		if err != nil || string(b) != "MANIFEST-000001\n" {
			t.Fatalf("ReadFile: %q %v", b, err)
		}
		if _, err := ReadFile(fs, name+".missing"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("ReadFile missing: %v", err)
		}
		if err := SyncDir(fs, name); err == nil {
			t.Fatal("SyncDir on a file succeeded")
		}
		// A path through a file is ENOTDIR on both filesystems.
		if _, err := fs.Create(fs.PathJoin(name, "x")); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("create under a file: %v", err)
		}
	})
}

func TestSyncDirMakesEntriesDurable(t *testing.T) {
	fs := NewMem()
	if err := WriteFile(fs, "a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(fs, "/"); err != nil {
		t.Fatal(err)
	}
	outcomes(t, fs, 0, func(c *MemFS) string { return content(t, c, "a") }, "x")
}
