package errorfs

import (
	"os"

	"github.com/strata-db/strata/internal/vfs"
)

// file is a vfs.File whose operations ask the injector first.
type file struct {
	vfs.File
	name string
	inj  Injector
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.inj.MaybeError(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.inj.MaybeError(OpReadAt, f.name); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

// Write fails as a whole: an injected error writes nothing.
func (f *file) Write(p []byte) (int, error) {
	if err := f.inj.MaybeError(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *file) Sync() error {
	if err := f.inj.MaybeError(OpSync, f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *file) Stat() (os.FileInfo, error) {
	if err := f.inj.MaybeError(OpFileStat, f.name); err != nil {
		return nil, err
	}
	return f.File.Stat()
}

// Close always closes the underlying file, so an injected failure leaks
// nothing, then reports the injected error if there is one.
func (f *file) Close() error {
	injected := f.inj.MaybeError(OpClose, f.name)
	err := f.File.Close()
	if injected != nil {
		return injected
	}
	return err
}
