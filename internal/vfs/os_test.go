package vfs

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// lockHelperEnv names the lock file for the helper process started by
// TestOSLockAcrossProcesses.
const lockHelperEnv = "STRATA_VFS_LOCK_HELPER"

// TestOSLockHelper is not a test on its own: run as a child process, it tries
// to take the lock and reports the result through its exit code.
func TestOSLockHelper(t *testing.T) {
	name := os.Getenv(lockHelperEnv)
	if name == "" {
		t.Skip("helper process only")
	}
	l, err := Default.Lock(name)
	switch {
	case errors.Is(err, ErrLocked):
		os.Exit(3)
	case err != nil:
		os.Exit(4)
	}
	l.Close()
	os.Exit(0)
}

func TestOSLockAcrossProcesses(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	runHelper := func() int {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestOSLockHelper$")
		cmd.Env = append(os.Environ(), lockHelperEnv+"="+name)
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	l, err := Default.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	if code := runHelper(); code != 3 {
		t.Fatalf("other process while locked: exit %d, want 3 (ErrLocked)", code)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if code := runHelper(); code != 0 {
		t.Fatalf("other process after unlock: exit %d, want 0", code)
	}
}

func TestOSOpenDirSyncsEntries(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, Default, filepath.Join(dir, "f"), "x")
	d, err := Default.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatalf("directory sync: %v", err)
	}
}
