package errorfs

import (
	"io"
	"os"

	"github.com/strata-db/strata/internal/vfs"
)

// FS is a vfs.FS that asks an Injector before every operation and forwards
// the operations it lets through to the wrapped FS. Files it returns are
// wrapped too.
type FS struct {
	fs  vfs.FS
	inj Injector
}

var _ vfs.FS = (*FS)(nil)

// Wrap returns fs with errors injected by inj.
func Wrap(fs vfs.FS, inj Injector) *FS { return &FS{fs: fs, inj: inj} }

// Unwrap returns the wrapped FS.
func (fs *FS) Unwrap() vfs.FS { return fs.fs }

func (fs *FS) wrapFile(f vfs.File, name string, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &file{File: f, name: name, inj: fs.inj}, nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	if err := fs.inj.MaybeError(OpCreate, name); err != nil {
		return nil, err
	}
	f, err := fs.fs.Create(name)
	return fs.wrapFile(f, name, err)
}

// Open implements vfs.FS.
func (fs *FS) Open(name string) (vfs.File, error) {
	if err := fs.inj.MaybeError(OpOpen, name); err != nil {
		return nil, err
	}
	f, err := fs.fs.Open(name)
	return fs.wrapFile(f, name, err)
}

// OpenDir implements vfs.FS.
func (fs *FS) OpenDir(name string) (vfs.File, error) {
	if err := fs.inj.MaybeError(OpOpenDir, name); err != nil {
		return nil, err
	}
	f, err := fs.fs.OpenDir(name)
	return fs.wrapFile(f, name, err)
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	if err := fs.inj.MaybeError(OpRemove, name); err != nil {
		return err
	}
	return fs.fs.Remove(name)
}

// RemoveAll implements vfs.FS.
func (fs *FS) RemoveAll(name string) error {
	if err := fs.inj.MaybeError(OpRemoveAll, name); err != nil {
		return err
	}
	return fs.fs.RemoveAll(name)
}

// Rename implements vfs.FS.
func (fs *FS) Rename(oldname, newname string) error {
	if err := fs.inj.MaybeError(OpRename, oldname); err != nil {
		return err
	}
	return fs.fs.Rename(oldname, newname)
}

// Link implements vfs.FS.
func (fs *FS) Link(oldname, newname string) error {
	if err := fs.inj.MaybeError(OpLink, oldname); err != nil {
		return err
	}
	return fs.fs.Link(oldname, newname)
}

// MkdirAll implements vfs.FS.
func (fs *FS) MkdirAll(dir string, perm os.FileMode) error {
	if err := fs.inj.MaybeError(OpMkdirAll, dir); err != nil {
		return err
	}
	return fs.fs.MkdirAll(dir, perm)
}

// Lock implements vfs.FS. Releasing the lock is never failed.
func (fs *FS) Lock(name string) (io.Closer, error) {
	if err := fs.inj.MaybeError(OpLock, name); err != nil {
		return nil, err
	}
	return fs.fs.Lock(name)
}

// List implements vfs.FS.
func (fs *FS) List(dir string) ([]string, error) {
	if err := fs.inj.MaybeError(OpList, dir); err != nil {
		return nil, err
	}
	return fs.fs.List(dir)
}

// Stat implements vfs.FS.
func (fs *FS) Stat(name string) (os.FileInfo, error) {
	if err := fs.inj.MaybeError(OpStat, name); err != nil {
		return nil, err
	}
	return fs.fs.Stat(name)
}

// PathJoin implements vfs.FS; path functions are never failed.
func (fs *FS) PathJoin(elem ...string) string { return fs.fs.PathJoin(elem...) }

// PathBase implements vfs.FS.
func (fs *FS) PathBase(path string) string { return fs.fs.PathBase(path) }

// PathDir implements vfs.FS.
func (fs *FS) PathDir(path string) string { return fs.fs.PathDir(path) }
