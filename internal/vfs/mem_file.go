package vfs

import (
	"io"
	"os"
	"path"
	"sync/atomic"
	"syscall"
)

// memFile is an open handle on a MemFS node. Its offset is guarded by the
// MemFS's mu, like the node itself.
type memFile struct {
	fs       *MemFS
	n        *memNode
	name     string
	writable bool
	closed   atomic.Bool
	pos      int // file offset for Read and Write; guarded by fs.mu
}

func (f *memFile) check(op string) error {
	if f.closed.Load() {
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	if f.n.isDir && op != "sync" && op != "stat" && op != "close" {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EISDIR}
	}
	return nil
}

// Read reads from the file offset.
func (f *memFile) Read(p []byte) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.pos >= len(f.n.data) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.pos:])
	f.pos += n
	return n, nil
}

// ReadAt reads at off; it returns io.EOF if fewer than len(p) bytes remain.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: syscall.EINVAL}
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write writes at the file offset. The written bytes are not durable until
// Sync.
func (f *memFile) Write(p []byte) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.EBADF}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.n.writeAt(p, f.pos)
	f.pos += len(p)
	return len(p), nil
}

// WriteAt writes at off, leaving the file offset alone, as pwrite(2)
// does; a gap past the end reads as zeros. The written bytes are not
// durable until Sync.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: syscall.EBADF}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: syscall.EINVAL}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.n.writeAt(p, int(off))
	return len(p), nil
}

// Sync makes the file's content, or a directory's entries, durable.
func (f *memFile) Sync() error {
	if err := f.check("sync"); err != nil {
		return err
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.n.isDir {
		f.n.syncDir()
	} else {
		f.n.syncFile()
	}
	return nil
}

// Stat describes the file as it is now.
func (f *memFile) Stat() (os.FileInfo, error) {
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	return f.n.info(path.Base(cleanPath(f.name))), nil
}

// Close closes the handle; a second Close fails with os.ErrClosed.
func (f *memFile) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	return nil
}
