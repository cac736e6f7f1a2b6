package vfs

import (
	"errors"
	"io"
	"os"
)

// File is an open file. Reads and writes at the file offset (Read, Write)
// must not be used concurrently on one File; ReadAt may be called
// concurrently with itself and with the other methods, as with *os.File.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync makes the file's content durable. On a directory handle (see
	// FS.OpenDir) it makes the directory's entries durable.
	Sync() error
	// Stat describes the file; Size is the current length, synced or not.
	Stat() (os.FileInfo, error)
}

// FS is the filesystem seam of the engine. Every file operation of Strata
// goes through an FS so that tests can run on MemFS, simulate crashes with
// MemFS.CrashClone and inject errors with package errorfs.
//
// Errors for missing files satisfy errors.Is(err, os.ErrNotExist) in every
// implementation.
type FS interface {
	// Create creates the named file, or truncates it if it exists, and opens
	// it read-write. Creating a new file is a directory entry change: it is
	// durable only after a Sync of the parent directory (see OpenDir).
	Create(name string) (File, error)
	// Open opens the named file (or directory) read-only.
	Open(name string) (File, error)
	// OpenDir opens a directory. Sync on the returned handle makes the
	// directory's entry changes (create, rename, remove, link) durable.
	OpenDir(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes name and everything below it. A missing name is not
	// an error.
	RemoveAll(name string) error
	// Rename renames oldname to newname, atomically replacing newname if it
	// is an existing file.
	Rename(oldname, newname string) error
	// Link creates newname as a hard link to the file oldname. newname must
	// not exist.
	Link(oldname, newname string) error
	// MkdirAll creates dir and any missing parents.
	MkdirAll(dir string, perm os.FileMode) error
	// Lock takes an exclusive lock on the named file, creating it if needed.
	// A second Lock of the same file, from this process or another, fails
	// with an error wrapping ErrLocked until the returned Closer is closed.
	Lock(name string) (io.Closer, error)
	// List returns the base names of the entries of dir, sorted.
	List(dir string) ([]string, error)
	// Stat describes the named file.
	Stat(name string) (os.FileInfo, error)

	// PathJoin joins path elements with the FS's separator.
	PathJoin(elem ...string) string
	// PathBase returns the last element of path.
	PathBase(path string) string
	// PathDir returns all but the last element of path.
	PathDir(path string) string
}

// ErrLocked is wrapped by the error of FS.Lock when the lock is already held,
// by this process or another one. Test with errors.Is.
var ErrLocked = errors.New("vfs: lock held by another process")
