package sstable

import (
	"io"
	"os"
)

// WritableFile is the part of vfs.File a Writer uses. Any vfs.File
// satisfies it; tests may pass anything else that does.
type WritableFile interface {
	io.Writer
	io.Closer
	Sync() error
}

// ReadableFile is the part of vfs.File a Reader uses. Stat().Size() must be
// the file's length. Any vfs.File satisfies it.
type ReadableFile interface {
	io.ReaderAt
	io.Closer
	Stat() (os.FileInfo, error)
}
